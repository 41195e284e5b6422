"""A dispute with two parties, a caucus and a joint session, seen by its team and by those off it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from apps.accounts.models import Membership, User
from apps.disputes.models import CaseParty, Dispute, NegotiationIssue
from apps.sessions.models import MediationSession, SessionKind, SessionNote, Visibility
from tests.factories import (
    CasePartyFactory,
    DisputeFactory,
    MediationSessionFactory,
    MembershipFactory,
    NegotiationIssueFactory,
    PartyFactory,
    SessionNoteFactory,
)

SECRET = "ZEBRA-CAUCUS-7731 the farmers would accept a shared well"


@dataclass
class RecordWorld:
    dispute: Dispute
    mediator: User
    analyst: User
    outsider: User
    farmers: CaseParty
    herders: CaseParty
    issue: NegotiationIssue
    caucus: MediationSession
    joint: MediationSession
    team_note: SessionNote
    shared_note: SessionNote


def build(org) -> RecordWorld:
    mediator = MembershipFactory(organisation=org, role=Membership.Role.MEDIATOR, user__name="Mina Mediator",
                                 user__time_zone="Europe/Paris").user
    analyst = MembershipFactory(organisation=org, role=Membership.Role.ANALYST, user__name="Ana Analyst").user
    outsider = MembershipFactory(organisation=org, role=Membership.Role.MEDIATOR, user__name="Otto Outsider").user
    dispute = DisputeFactory(organisation=org, lead=mediator, title="Northern grazing corridor")
    farmers = CasePartyFactory(dispute=dispute, party=PartyFactory(organisation=org, name="Riverside Farmers Union"))
    herders = CasePartyFactory(dispute=dispute, party=PartyFactory(organisation=org, name="Hill Herders Council"))
    issue = NegotiationIssueFactory(dispute=dispute, title="Access to water points")
    past = timezone.now() - dt.timedelta(days=1)
    caucus = MediationSessionFactory(dispute=dispute, kind=SessionKind.CAUCUS, title="Caucus with the farmers",
                                     starts_at=past, ends_at=past + dt.timedelta(hours=1), parties=[farmers],
                                     status=MediationSession.Status.HELD)
    joint = MediationSessionFactory(dispute=dispute, kind=SessionKind.JOINT, title="Joint session one",
                                    starts_at=past, ends_at=past + dt.timedelta(hours=2), parties=[farmers, herders])
    team_note = SessionNoteFactory(session=caucus, text=SECRET, visibility=Visibility.TEAM, source_party=farmers)
    shared_note = SessionNoteFactory(session=caucus, text="Both sides want the rains season respected",
                                     visibility=Visibility.SHARED, source_party=farmers)
    return RecordWorld(dispute=dispute, mediator=mediator, analyst=analyst, outsider=outsider, farmers=farmers,
                       herders=herders, issue=issue, caucus=caucus, joint=joint, team_note=team_note,
                       shared_note=shared_note)
