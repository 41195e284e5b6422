"""Three organisations and the callers of DESIGN.md §3, with a marker string in everything.

Alpha (A) owns a standard dispute (shared for reading with Charlie, C) and a restricted one;
Beta (B) owns its own dispute. Each dispute is seeded through the services with sessions, a
shared note, a team-only caucus note, a consent and disclosures, proposals, a shuttle round,
an action item and an agreement with versions, signatories, provisions and an assessment.

Every text carries a marker so a response body can be searched for what must not be in it:
  ZQSTD   anything of A's standard dispute (A's members, A's keys and C may read it)
  ZQRES   anything of A's restricted dispute (A's admins and its case team only)
  ZQTEAM  the text of every team-only note (the case team only: no caller of the sweep)
  ZQBETA  anything of B
  ZQALPHA A's organisation-level records outside the shared dispute: parties and representatives,
          those of the restricted dispute among them (never B or C)
  ZQNOTIF a notification of A's lead mediator (nobody else)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from apps.accounts.actors import Actor
from apps.accounts.models import Membership
from apps.agreements.models import AgreementLink
from apps.agreements.services import (
    agreement_change_status,
    agreement_create,
    agreement_version_create,
    assessment_record,
    provision_create,
    signatory_add,
)
from apps.api.services import api_key_revoke
from apps.common.models import AuditEvent
from apps.dashboard.services import calendar_feed_create
from apps.disputes.models import CaseShare, Confidentiality
from apps.disputes.services import dispute_change_risk
from apps.negotiations.services import proposal_counter, proposal_table
from apps.reminders.models import Notification, Reminder
from apps.sessions.models import SessionKind, Visibility
from apps.sessions.services import (
    action_item_create,
    disclosure_consent_record,
    disclosure_record,
    session_note_add,
    session_record_held,
    session_schedule,
    shuttle_round_open,
    shuttle_visit_record,
)
from tests.factories import (
    CasePartyFactory,
    CaseShareFactory,
    DisputeFactory,
    MembershipFactory,
    NegotiationIssueFactory,
    OrganisationFactory,
    PartyFactory,
    PartyPositionFactory,
    RepresentativeFactory,
)
from tests.factories.api import make_api_key
from tests.factories.webhooks import WebhookDeliveryFactory, WebhookEndpointFactory

Role = Membership.Role

STD, RES, TEAM, BETA, ALPHA, NOTIF = "ZQSTD", "ZQRES", "ZQTEAM", "ZQBETA", "ZQALPHA", "ZQNOTIF"
MARKERS = (STD, RES, TEAM, BETA, ALPHA, NOTIF)

# The callers of the sweep: none of them is on a case team.
ROLES = (
    "a_admin", "a_mediator", "a_analyst", "a_partner", "b_admin", "c_member",
    "anonymous", "revoked_key", "b_read_key", "a_read_key",
)
ALWAYS_FORBIDDEN = {TEAM, NOTIF}
FORBIDDEN: dict[str, set[str]] = {
    "a_admin": ALWAYS_FORBIDDEN | {BETA},
    "a_mediator": ALWAYS_FORBIDDEN | {BETA, RES},
    "a_analyst": ALWAYS_FORBIDDEN | {BETA, RES},
    "a_partner": ALWAYS_FORBIDDEN | {BETA, RES},
    "a_read_key": ALWAYS_FORBIDDEN | {BETA, RES},
    "b_admin": ALWAYS_FORBIDDEN | {STD, RES, ALPHA},
    "b_read_key": ALWAYS_FORBIDDEN | {STD, RES, ALPHA},
    "c_member": ALWAYS_FORBIDDEN | {RES, BETA, ALPHA},
    "anonymous": set(MARKERS),
    "revoked_key": set(MARKERS),
}


@dataclass
class Case:
    """One seeded dispute and its parts."""

    dispute: Any
    a: Any
    b: Any
    issue: Any
    joint: Any
    caucus: Any
    planned: Any
    shared_note: Any
    team_note: Any
    consent: Any
    disclosure: Any
    team_disclosure: Any
    proposal: Any
    counter: Any
    position: Any
    round: Any
    item: Any
    agreement: Any
    v1: Any
    v2: Any
    signatory: Any
    provision: Any
    assessment: Any
    rep: Any
    lead_member: Any


@dataclass
class World:
    a: Any
    b: Any
    c: Any
    std: Case
    res: Case
    beta: Case
    lead: Any
    alpha_party: Any
    alpha_rep: Any
    share: Any
    notification: Any
    webhook: Any
    feed_token: str
    reset_uid: str
    reset_token: str
    team_note_event: Any
    res_event: Any
    members: dict[str, Any] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    # A's standard agreement implements A's restricted one: the link must not show where the restricted end cannot.
    link: Any = None

    def client(self, role: str) -> Client:
        client = Client()
        if role in self.members:
            client.force_login(self.members[role].user)
        elif role in self.keys:
            client.defaults["HTTP_AUTHORIZATION"] = f"Api-Key {self.keys[role]}"
        return client


def _seed_case(*, org, lead_m, dispute, marker: str, party_marker: str) -> Case:
    """``party_marker`` marks the parties and representatives: they belong to the organisation (reusable
    across its disputes), so a restricted dispute's parties are the organisation's, not the dispute's."""
    lead = Actor.for_membership(lead_m)
    a = CasePartyFactory(dispute=dispute, party=PartyFactory(organisation=org, name=f"{party_marker} Government side"))
    b = CasePartyFactory(dispute=dispute, party=PartyFactory(organisation=org, name=f"{party_marker} Liberation Front",
                                                             kind="non_state_armed_group"))
    issue = NegotiationIssueFactory(dispute=dispute, title=f"{marker} border demarcation")
    position = PartyPositionFactory(case_party=a, issue=issue, position=f"{marker} the line at the river")
    now = timezone.now()
    zone = "Africa/Nairobi"
    joint = session_record_held(actor=lead, dispute=dispute, kind=SessionKind.JOINT, title=f"{marker} joint talks",
                                starts_at=now - dt.timedelta(days=3), ends_at=now - dt.timedelta(days=3, hours=-2),
                                time_zone=zone, parties=[a, b], agenda=[issue], summary=f"{marker} joint summary")
    caucus = session_record_held(actor=lead, dispute=dispute, kind=SessionKind.CAUCUS, title=f"{marker} caucus",
                                 starts_at=now - dt.timedelta(days=2), ends_at=now - dt.timedelta(days=2, hours=-1),
                                 time_zone=zone, parties=[a])
    planned = session_schedule(actor=lead, dispute=dispute, kind=SessionKind.JOINT, title=f"{marker} next round",
                               starts_at=now + dt.timedelta(days=2), ends_at=now + dt.timedelta(days=2, hours=2),
                               time_zone=zone, parties=[a, b])
    shared_note = session_note_add(actor=lead, session=joint, text=f"{marker} both sides agreed to meet",
                                   visibility=Visibility.SHARED)
    team_note = session_note_add(actor=lead, session=caucus, text=f"{TEAM} {marker} A would accept the river line",
                                 visibility=Visibility.TEAM, source_party=a)
    consent = disclosure_consent_record(actor=lead, note=team_note, method="in_session",
                                        given_at=now - dt.timedelta(days=2), given_by_name=f"{marker} negotiator")
    team_disclosure = disclosure_record(actor=lead, to_party=b, note=team_note, consent=consent)
    disclosure = disclosure_record(actor=lead, to_party=a, note=shared_note)
    proposal = proposal_table(actor=lead, dispute=dispute, issue=issue, text=f"{marker} line at the river",
                              tabled_by=a, tabled_in=joint, response_deadline=now + dt.timedelta(days=5))
    counter = proposal_counter(actor=lead, parent=proposal, text=f"{marker} line at the ridge", tabled_by=b)
    round_ = shuttle_round_open(actor=lead, dispute=dispute, parties=[a, b], subject_issue=issue,
                                opened_at=now - dt.timedelta(days=5))
    shuttle_visit_record(actor=lead, shuttle_round=round_, case_party=a, starts_at=now - dt.timedelta(days=4),
                         ends_at=now - dt.timedelta(days=4, hours=-1), time_zone="UTC", party_replied=True)
    item = action_item_create(actor=lead, session=joint, description=f"{marker} send the draft map",
                              due_on=now.date() + dt.timedelta(days=3), owner_user=lead_m.user)
    agreement = agreement_create(actor=lead, dispute=dispute, title=f"{marker} ceasefire", type="ceasefire",
                                 text=f"Article 1\n{marker} the parties cease fire.", change_summary="first draft")
    v1 = agreement.versions.get(number=1)
    v2 = agreement_version_create(actor=lead, agreement=agreement, based_on=v1,
                                  text=f"Article 1\n{marker} the parties cease fire at midnight.",
                                  change_summary="time")
    signatory = signatory_add(actor=lead, agreement=agreement, party=a.party)
    signatory_add(actor=lead, agreement=agreement, party=b.party)
    provision = provision_create(actor=lead, agreement=agreement, text=f"{marker} cease fire at midnight",
                                 category="ceasefire", deadline=now.date() + dt.timedelta(days=10),
                                 responsible_parties=[a.party, b.party])
    agreement_change_status(actor=lead, agreement=agreement, to_status="signed", on=now.date() - dt.timedelta(days=2))
    provision.refresh_from_db()
    assessment = assessment_record(actor=lead, provision=provision, score=1, narrative=f"{marker} partly observed")
    dispute_change_risk(actor=lead, dispute=dispute, risk="high", reason=f"{marker} troop movements")
    rep = RepresentativeFactory(party=a.party, name=f"{party_marker} Amina Envoy")
    return Case(
        dispute=dispute, a=a, b=b, issue=issue, joint=joint, caucus=caucus, planned=planned,
        shared_note=shared_note, team_note=team_note, consent=consent, disclosure=disclosure,
        team_disclosure=team_disclosure, proposal=proposal, counter=counter, position=position, round=round_,
        item=item, agreement=agreement, v1=v1, v2=v2, signatory=signatory, provision=provision,
        assessment=assessment, rep=rep, lead_member=dispute.team.get(user=lead_m.user),
    )


def build_world() -> World:
    a = OrganisationFactory(slug="alpha", name="Alpha Mediation")
    # Organisation names are not confidential (an admin picks one to share a dispute with).
    b = OrganisationFactory(slug="beta", name="Beta Mediation")
    c = OrganisationFactory(slug="charlie", name="Charlie Partner")
    lead = MembershipFactory(organisation=a, role=Role.MEDIATOR)
    members = {
        "a_admin": MembershipFactory(organisation=a, role=Role.ADMIN),
        "a_mediator": MembershipFactory(organisation=a, role=Role.MEDIATOR),
        "a_analyst": MembershipFactory(organisation=a, role=Role.ANALYST),
        "a_partner": MembershipFactory(organisation=a, role=Role.PARTNER),
        "b_admin": MembershipFactory(organisation=b, role=Role.ADMIN),
        "c_member": MembershipFactory(organisation=c, role=Role.MEDIATOR),
    }
    std_dispute = DisputeFactory(organisation=a, lead=lead.user, title=f"{STD} Northland border dispute",
                                 summary=f"{STD} grazing land")
    share = CaseShareFactory(dispute=std_dispute, organisation=c, level=CaseShare.Level.READ)
    res_dispute = DisputeFactory(organisation=a, lead=lead.user, title=f"{RES} back channel",
                                 summary=f"{RES} secret talks", confidentiality=Confidentiality.RESTRICTED)
    std = _seed_case(org=a, lead_m=lead, dispute=std_dispute, marker=STD, party_marker=STD)
    res = _seed_case(org=a, lead_m=lead, dispute=res_dispute, marker=RES, party_marker=ALPHA)
    b_lead = MembershipFactory(organisation=b, role=Role.MEDIATOR)
    beta_dispute = DisputeFactory(organisation=b, lead=b_lead.user, title=f"{BETA} harbour dispute")
    beta = _seed_case(org=b, lead_m=b_lead, dispute=beta_dispute, marker=BETA, party_marker=BETA)

    # A party and a representative of A's that no dispute names: organisation-level, never B's or C's.
    alpha_party = PartyFactory(organisation=a, name=f"{ALPHA} Highland Council")
    alpha_rep = RepresentativeFactory(party=alpha_party, name=f"{ALPHA} Council envoy")

    reminder = Reminder.objects.create(
        organisation=a, kind="action_item_due", target_type="mediation_sessions.actionitem",
        target_id=std.item.pk, dispute_id=std_dispute.pk, key=f"item-{std.item.pk}",
        due_at=timezone.now(), next_attempt_at=timezone.now(),
    )
    notification = Notification.objects.create(reminder=reminder, recipient=lead.user, organisation=a,
                                               title=f"{NOTIF} action item due", body=f"{NOTIF} send the map")
    webhook = WebhookEndpointFactory(organisation=a, url="https://hooks.example.org/alpha")
    WebhookDeliveryFactory(endpoint=webhook, payload={"note": f"{ALPHA} delivery"})

    # The feed token is a credential of its owner (A's mediator off the team): whoever holds it
    # sees that mediator's calendar, so its URL is judged by the owner's reach.
    _feed, feed_token = calendar_feed_create(actor=Actor.for_membership(members["a_mediator"]))
    admin_user = members["a_admin"].user
    reset_uid = urlsafe_base64_encode(force_bytes(admin_user.pk))
    reset_token = default_token_generator.make_token(admin_user)

    _key, a_read = make_api_key(a, scope="read", name="a-reader")
    _key, b_read = make_api_key(b, scope="read", name="b-reader")
    revoked, revoked_raw = make_api_key(a, scope="write", name="revoked")
    api_key_revoke(actor=None, api_key=revoked)

    link = AgreementLink.objects.create(from_agreement=std.agreement, to_agreement=res.agreement, kind="implements")
    team_note_event = AuditEvent.objects.filter(target_type__icontains="note", target_id=str(std.team_note.pk)).first()
    res_event = AuditEvent.objects.filter(dispute_id=res_dispute.pk).first()
    return World(
        a=a, b=b, c=c, std=std, res=res, beta=beta, lead=lead, alpha_party=alpha_party, alpha_rep=alpha_rep,
        share=share, notification=notification, webhook=webhook, feed_token=feed_token,
        reset_uid=reset_uid, reset_token=reset_token, team_note_event=team_note_event, res_event=res_event,
        members=members, keys={"a_read_key": a_read, "b_read_key": b_read, "revoked_key": revoked_raw},
        link=link,
    )
