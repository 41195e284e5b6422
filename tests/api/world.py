"""One organisation's case, seen through the API by everyone who calls it.

Alpha owns a standard dispute (shared with Reader for reading and with Contrib for
contributing) and a restricted one; Beta is another organisation with its own case. Every
resource has at least one row in the standard dispute, and a secret in Beta and in a team-only
note, so a body can be searched for what must never be in it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.actors import Actor
from apps.accounts.models import Membership
from apps.agreements.models import Agreement
from apps.agreements.services import (
    agreement_change_status,
    agreement_create,
    agreement_version_create,
    assessment_record,
    provision_create,
    signatory_add,
)
from apps.api.services import api_key_revoke
from apps.disputes.models import CaseShare, Confidentiality
from apps.reminders.models import Notification, Reminder
from apps.sessions.models import SessionKind, Visibility
from apps.sessions.services import (
    action_item_create,
    disclosure_consent_record,
    disclosure_record,
    session_note_add,
    session_record_held,
    shuttle_round_open,
    shuttle_visit_record,
)
from tests.factories import (
    CasePartyFactory,
    CaseShareFactory,
    CaseTeamMemberFactory,
    DisputeFactory,
    MembershipFactory,
    NegotiationIssueFactory,
    OrganisationFactory,
    PartyFactory,
    ProposalFactory,
    RepresentativeFactory,
)
from tests.factories.api import make_api_key

Role = Membership.Role

TEAM_SECRET = "TEAM-ONLY-SECRET: the Front would accept a ceasefire line at the river"
BETA_SECRET = "BETA-CONFIDENTIAL-MARKER"
RESTRICTED_TITLE = "RESTRICTED-DISPUTE-MARKER"

PRINCIPALS = [
    "admin", "lead", "co", "mediator_off_team", "analyst", "other_org_admin", "read_share_member",
    "contribute_share_member", "read_key", "write_key", "revoked_key", "anonymous",
]


@dataclass
class World:
    org: Any
    beta: Any
    dispute: Any
    restricted: Any
    beta_dispute: Any
    a: Any
    b: Any
    issue: Any
    joint: Any
    caucus: Any
    shared_note: Any
    team_note: Any
    consent: Any
    disclosure: Any
    team_disclosure: Any
    proposal: Any
    counter: Any
    round: Any
    item: Any
    agreement: Agreement
    v1: Any
    v2: Any
    signatory: Any
    provision: Any
    assessment: Any
    rep: Any
    notification: Any
    members: dict[str, Any] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    beta_ids: dict[str, int] = field(default_factory=dict)

    def actor(self, name: str) -> Actor:
        return Actor.for_membership(self.members[name])

    def client(self, name: str) -> APIClient:
        client = APIClient()
        if name in self.members:
            client.force_login(self.members[name].user)
        elif name in self.keys:
            client.credentials(HTTP_AUTHORIZATION=f"Api-Key {self.keys[name]}")
        return client


def _seed_case(*, org, lead_m, co_m, dispute, names: tuple[str, str], secret: str = "") -> dict[str, Any]:
    lead = Actor.for_membership(lead_m)
    a = CasePartyFactory(dispute=dispute, party=PartyFactory(organisation=org, name=names[0]))
    b = CasePartyFactory(dispute=dispute, party=PartyFactory(organisation=org, name=names[1],
                                                             kind="non_state_armed_group"))
    issue = NegotiationIssueFactory(dispute=dispute, title=f"Border demarcation {org.slug}")
    now = timezone.now()
    joint = session_record_held(actor=lead, dispute=dispute, kind=SessionKind.JOINT, title=f"Joint talks {secret}",
                                starts_at=now - dt.timedelta(days=3), ends_at=now - dt.timedelta(days=3, hours=-2),
                                time_zone="Africa/Nairobi", parties=[a, b], agenda=[issue])
    caucus = session_record_held(actor=lead, dispute=dispute, kind=SessionKind.CAUCUS, title="Caucus with A",
                                 starts_at=now - dt.timedelta(days=2), ends_at=now - dt.timedelta(days=2, hours=-1),
                                 time_zone="Africa/Nairobi", parties=[a])
    shared_note = session_note_add(actor=lead, session=joint, text=f"Both sides agreed to meet again {secret}",
                                   visibility=Visibility.SHARED)
    team_note = session_note_add(actor=lead, session=caucus, text=secret or TEAM_SECRET,
                                 visibility=Visibility.TEAM, source_party=a)
    consent = disclosure_consent_record(actor=lead, note=team_note, method="in_session",
                                        given_at=now - dt.timedelta(days=2), given_by_name="A's negotiator")
    team_disclosure = disclosure_record(actor=lead, to_party=b, note=team_note, consent=consent)
    disclosure = disclosure_record(actor=lead, to_party=a, note=shared_note)
    proposal = ProposalFactory(dispute=dispute, issue=issue, tabled_by=a, text=f"Line at the river {secret}")
    counter = ProposalFactory(dispute=dispute, issue=issue, tabled_by=b, responds_to=proposal,
                              text="Line at the ridge")
    round_ = shuttle_round_open(actor=lead, dispute=dispute, parties=[a, b], subject_issue=issue,
                                opened_at=now - dt.timedelta(days=5))
    shuttle_visit_record(actor=lead, shuttle_round=round_, case_party=a, starts_at=now - dt.timedelta(days=4),
                         ends_at=now - dt.timedelta(days=4, hours=-1), time_zone="UTC", party_replied=True)
    item = action_item_create(actor=lead, session=joint, description="Send the draft map",
                              due_on=now.date() - dt.timedelta(days=1), owner_user=co_m.user)
    agreement = agreement_create(actor=lead, dispute=dispute, title=f"Ceasefire {secret}", type="ceasefire",
                                 text="Article 1\nThe parties cease fire.", change_summary="first draft")
    v1 = agreement.versions.get(number=1)
    v2 = agreement_version_create(actor=lead, agreement=agreement, based_on=v1,
                                  text="Article 1\nThe parties cease fire at midnight.", change_summary="time")
    signatory = signatory_add(actor=lead, agreement=agreement, party=a.party)
    signatory_add(actor=lead, agreement=agreement, party=b.party)
    provision = provision_create(actor=lead, agreement=agreement, text="Cease fire at midnight",
                                 category="ceasefire", deadline=now.date() - dt.timedelta(days=1),
                                 responsible_parties=[a.party, b.party])
    agreement_change_status(actor=lead, agreement=agreement, to_status="signed", on=now.date() - dt.timedelta(days=2))
    provision.refresh_from_db()
    provision.agreement.refresh_from_db()
    assessment = assessment_record(actor=lead, provision=provision, score=1, narrative="Partly observed")
    rep = RepresentativeFactory(party=a.party, name=f"Amina Rep {secret}")
    return {
        "a": a, "b": b, "issue": issue, "joint": joint, "caucus": caucus, "shared_note": shared_note,
        "team_note": team_note, "consent": consent, "disclosure": disclosure, "team_disclosure": team_disclosure,
        "proposal": proposal, "counter": counter, "round": round_, "item": item, "agreement": agreement,
        "v1": v1, "v2": v2, "signatory": signatory, "provision": provision, "assessment": assessment, "rep": rep,
    }


def build_world() -> World:
    org = OrganisationFactory(slug="alpha", name="Alpha Mediation")
    beta = OrganisationFactory(slug="beta", name="Beta Mediation")
    reader = OrganisationFactory(slug="reader", name="Reader Partner")
    contrib = OrganisationFactory(slug="contrib", name="Contributing Partner")
    members = {
        "admin": MembershipFactory(organisation=org, role=Role.ADMIN),
        "lead": MembershipFactory(organisation=org, role=Role.MEDIATOR),
        "co": MembershipFactory(organisation=org, role=Role.CASE_OFFICER),
        "mediator_off_team": MembershipFactory(organisation=org, role=Role.MEDIATOR),
        "analyst": MembershipFactory(organisation=org, role=Role.ANALYST),
        "other_org_admin": MembershipFactory(organisation=beta, role=Role.ADMIN),
        "read_share_member": MembershipFactory(organisation=reader, role=Role.MEDIATOR),
        "contribute_share_member": MembershipFactory(organisation=contrib, role=Role.MEDIATOR),
    }
    dispute = DisputeFactory(organisation=org, lead=members["lead"].user, title="Northland border dispute")
    CaseTeamMemberFactory(dispute=dispute, user=members["co"].user)
    CaseShareFactory(dispute=dispute, organisation=reader, level=CaseShare.Level.READ)
    CaseShareFactory(dispute=dispute, organisation=contrib, level=CaseShare.Level.CONTRIBUTE)
    restricted = DisputeFactory(organisation=org, lead=members["lead"].user, title=RESTRICTED_TITLE,
                                confidentiality=Confidentiality.RESTRICTED)
    # The analyst once sat on the restricted case's team (before being made an analyst): a stale
    # row that must grant nothing.
    from apps.disputes.models import CaseTeamMember

    CaseTeamMember.objects.create(dispute=restricted, user=members["analyst"].user, role="observer",
                                  starts_on=restricted.opened_on)
    seeded = _seed_case(org=org, lead_m=members["lead"], co_m=members["co"], dispute=dispute,
                        names=("Government of Northland", "Southern Liberation Front"))

    beta_lead = MembershipFactory(organisation=beta, role=Role.MEDIATOR)
    beta_dispute = DisputeFactory(organisation=beta, lead=beta_lead.user, title=f"Beta case {BETA_SECRET}")
    beta_seed = _seed_case(org=beta, lead_m=beta_lead, co_m=beta_lead, dispute=beta_dispute,
                           names=(f"Beta State {BETA_SECRET}", f"Beta Movement {BETA_SECRET}"), secret=BETA_SECRET)
    beta_ids = {name: obj.pk for name, obj in beta_seed.items()}
    beta_ids["dispute"] = beta_dispute.pk
    beta_ids["party"] = beta_seed["a"].party_id

    reminder = Reminder.objects.create(
        organisation=org, kind="action_item_due", target_type="mediation_sessions.actionitem",
        target_id=seeded["item"].pk, dispute_id=dispute.pk, key=f"item-{seeded['item'].pk}",
        due_at=timezone.now(), next_attempt_at=timezone.now(),
    )
    notification = Notification.objects.create(reminder=reminder, recipient=members["lead"].user, organisation=org,
                                               title="Action item due", body="Send the draft map")

    _key, read_raw = make_api_key(org, scope="read", name="reader")
    _key, write_raw = make_api_key(org, scope="write", name="writer")
    revoked, revoked_raw = make_api_key(org, scope="write", name="revoked")
    api_key_revoke(actor=None, api_key=revoked)
    return World(
        org=org, beta=beta, dispute=dispute, restricted=restricted, beta_dispute=beta_dispute,
        notification=notification, members=members,
        keys={"read_key": read_raw, "write_key": write_raw, "revoked_key": revoked_raw},
        beta_ids=beta_ids, **seeded,
    )
