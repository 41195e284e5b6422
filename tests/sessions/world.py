"""One dispute seen from every side: the case team, and everyone who must never read its team notes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from apps.accounts.actors import Actor
from apps.accounts.models import Membership
from apps.disputes.models import CaseParty, CaseShare, Dispute, NegotiationIssue
from apps.parties.models import Representative
from tests.factories import (
    CasePartyFactory,
    CaseShareFactory,
    CaseTeamMemberFactory,
    DisputeFactory,
    MembershipFactory,
    NegotiationIssueFactory,
    OrganisationFactory,
    PartyFactory,
    RepresentativeFactory,
)

Role = Membership.Role


@dataclass
class World:
    dispute: Dispute
    lead: Actor
    co: Actor
    a: CaseParty
    b: CaseParty
    c: CaseParty
    issue: NegotiationIssue
    issue2: NegotiationIssue
    rep_a: Representative
    rep_b: Representative
    rep_outsider: Representative
    outsiders: dict[str, Actor]
    now: dt.datetime

    @property
    def past(self) -> dt.datetime:
        return self.now - dt.timedelta(days=2)

    @property
    def future(self) -> dt.datetime:
        return self.now + dt.timedelta(days=3)


def _actor(org, role) -> Actor:
    return Actor.for_membership(MembershipFactory(organisation=org, role=role))


def build_world() -> World:
    org = OrganisationFactory(slug="alpha", name="Alpha Mediation")
    lead_m = MembershipFactory(organisation=org, role=Role.MEDIATOR)
    dispute = DisputeFactory(organisation=org, lead=lead_m.user)
    co_m = MembershipFactory(organisation=org, role=Role.CASE_OFFICER)
    CaseTeamMemberFactory(dispute=dispute, user=co_m.user)
    a = CasePartyFactory(dispute=dispute, party=PartyFactory(organisation=org, name="Government of Northland"))
    b = CasePartyFactory(dispute=dispute, party=PartyFactory(organisation=org, name="Southern Liberation Front"))
    c = CasePartyFactory(dispute=dispute, party=PartyFactory(organisation=org, name="Eastern Council"))
    stranger = PartyFactory(organisation=org, name="Unrelated Party")
    read_org = OrganisationFactory(slug="reader", name="Reader Partner")
    contribute_org = OrganisationFactory(slug="contrib", name="Contributing Partner")
    other_org = OrganisationFactory(slug="beta", name="Beta Mediation")
    CaseShareFactory(dispute=dispute, organisation=read_org, level=CaseShare.Level.READ)
    CaseShareFactory(dispute=dispute, organisation=contribute_org, level=CaseShare.Level.CONTRIBUTE)
    # A mediator on the team of another dispute of the same organisation.
    other_dispute = DisputeFactory(organisation=org)
    other_team = _actor(org, Role.MEDIATOR)
    CaseTeamMemberFactory(dispute=other_dispute, user=other_team.user)
    outsiders = {
        "analyst": _actor(org, Role.ANALYST),
        "partner_member": _actor(org, Role.PARTNER),
        "mediator_off_team": _actor(org, Role.MEDIATOR),
        "admin_off_team": _actor(org, Role.ADMIN),
        "team_of_other_dispute": other_team,
        "other_org_admin": _actor(other_org, Role.ADMIN),
        "read_share_mediator": _actor(read_org, Role.MEDIATOR),
        "read_share_admin": _actor(read_org, Role.ADMIN),
        "contribute_share_mediator": _actor(contribute_org, Role.MEDIATOR),
        "api_key": Actor(organisation=org, role=Role.PARTNER, user=None, api_key_id="key-1", api_key_name="sync",
                         scopes=frozenset({"read", "write"})),
    }
    return World(
        dispute=dispute,
        lead=Actor.for_membership(lead_m),
        co=Actor.for_membership(co_m),
        a=a, b=b, c=c,
        issue=NegotiationIssueFactory(dispute=dispute, title="Border demarcation"),
        issue2=NegotiationIssueFactory(dispute=dispute, title="Prisoner exchange"),
        rep_a=RepresentativeFactory(party=a.party, name="Amina Rep"),
        rep_b=RepresentativeFactory(party=b.party, name="Bongani Rep"),
        rep_outsider=RepresentativeFactory(party=stranger, name="Olu Outsider"),
        outsiders=outsiders,
        now=timezone.now(),
    )


OUTSIDER_NAMES = [
    "analyst", "partner_member", "mediator_off_team", "admin_off_team", "team_of_other_dispute",
    "other_org_admin", "read_share_mediator", "read_share_admin", "contribute_share_mediator", "api_key",
]
