"""Every service that writes leaves an audit event (DESIGN.md §2, issue 10 §5).

The services are discovered, not listed: every public function defined in an
``apps/*/services.py`` whose name reads ``<entity>_<action>``. Each is called once with
arguments built from factories (``CALLS`` below; the generic ones come from ``Scene``), the
SQL it runs is captured, and the test fails when it wrote a row outside the audit table
without writing an audit event. A new service the table cannot call fails too, so it gets
a call here, or a place in ``DOES_NOT_WRITE`` if it is a pure helper.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import apps
from apps.accounts.actors import Actor
from apps.accounts.models import Membership
from apps.agreements.importers.records import ImportedAgreement, ImportedDispute, ImportedParty, ImportedProvision
from apps.agreements.models import AgreementLink, AgreementVersion, Signatory
from apps.agreements.services import DatasetIndex
from apps.common.models import AuditEvent
from apps.dashboard.services import calendar_feed_create
from apps.disputes.models import CaseShare, CaseTeamMember, Stage
from apps.sessions.models import (
    DisclosureConsent,
    MediationSession,
    SessionKind,
    SessionParty,
    Visibility,
)
from apps.webhooks.models import WebhookEvent
from tests.factories import (
    ActionItemFactory,
    AgreementFactory,
    CasePartyFactory,
    DisputeFactory,
    MediationSessionFactory,
    MembershipFactory,
    NegotiationIssueFactory,
    OrganisationFactory,
    PartyFactory,
    ProposalFactory,
    ProvisionFactory,
    RepresentativeFactory,
    SessionNoteFactory,
    ShuttleRoundFactory,
    UserFactory,
)
from tests.factories.api import make_api_key
from tests.factories.reminders import NotificationFactory, ReminderFactory
from tests.factories.webhooks import WebhookDeliveryFactory, WebhookEndpointFactory

pytestmark = pytest.mark.django_db

NAME = re.compile(r"^[a-z]+(_[a-z]+)+$")
_WRITE = re.compile(r'^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?([a-z0-9_]+)"?', re.IGNORECASE)
AUDIT_TABLE = AuditEvent._meta.db_table

# Functions that match the naming pattern but never write: checks, pure computations, building
# blocks whose caller audits. Each one says why; anything else that writes must audit.
DOES_NOT_WRITE = {
    # apps/common: the audit helper itself, and the generic update helpers every service calls
    # before its own audit_record (they write only the row their caller audits).
    "common.audit_record": "is the audit",
    "common.model_update": "building block: the calling service audits the change it returns",
    "common.model_update_or_raise": "building block: the calling service audits the change it returns",
    "common.full_clean_or_raise": "validation only",
    # Access checks and rules: read-only.
    "disputes.ensure_open": "state check",
    "disputes.ensure_not_closed": "state check",
    "disputes.allowed_transitions": "pure: the stage workflow",
    "disputes.conflicting_parties": "read: conflict-of-interest matches",
    "sessions.clean_time_zone": "input cleaning",
    "sessions.clean_aware": "input cleaning",
    "dashboard.hash_feed_token": "pure: a hash",
    # Reminders: rules read with defaults, and reminder specs computed for the domain services to pass on.
    "reminders.reminder_rules_for": "read (an unsaved default when the organisation has none)",
    "reminders.specs_session_upcoming": "pure: computes reminder specs",
    "reminders.specs_shuttle_follow_up": "pure: computes reminder specs",
    "reminders.specs_proposal_response": "pure: computes reminder specs",
    "reminders.specs_action_item": "pure: computes reminder specs",
    "reminders.specs_provision_deadline": "pure: computes reminder specs",
    "reminders.specs_dispute_stale": "pure: computes reminder specs",
    "reminders.quiet_until": "pure: quiet-hours arithmetic",
    # Webhooks: reads the due deliveries and enqueues their tasks; webhook_delivery_attempt writes the outcome.
    "webhooks.webhook_sweep": "read + enqueue only",
}

# Services that write without an audit event of their own, by design. Each may write only the tables
# named here (the walk checks it, so a later change that writes anything else must audit), and says why.
_DERIVED = "derived rows; the calling domain service audits"
_OUTBOX = "outbox rows; the calling domain service audits"
_BOOKKEEPING = "delivery bookkeeping; the row is the record"
_REM, _WHD = "reminders_reminder", "webhooks_webhookdelivery"
WRITES_WITHOUT_AUDIT: dict[str, tuple[frozenset[str], str]] = {
    # Reminder rows are derived from an audited domain change: session_schedule, proposal_table,
    # action_item_create ... audit the change and call these in the same transaction.
    "reminders.reminder_schedule": (frozenset({_REM, "reminders_reminderrecipient"}), _DERIVED),
    "reminders.reminder_cancel": (frozenset({_REM}), _DERIVED),
    "reminders.reminders_cancel_for": (frozenset({_REM}), _DERIVED),
    "reminders.reminders_replace_for": (frozenset({_REM, "reminders_reminderrecipient"}), _DERIVED),
    "webhooks.webhook_emit": (frozenset({_WHD}), _OUTBOX),
    # Delivery bookkeeping run by Celery: no person acts; each row is itself the record of the delivery
    # (status, attempts, last error), kept as long as the audit trail.
    "reminders.reminders_dispatch": (frozenset({_REM}), _BOOKKEEPING),
    "reminders.reminder_deliver": (
        frozenset({"reminders_emaildelivery", "reminders_notification", _REM}), _BOOKKEEPING),
    "webhooks.webhook_delivery_attempt": (frozenset({_WHD}), _BOOKKEEPING),
    # A member's own read markers and an API key's last-used stamp: personal or technical state.
    "reminders.notification_mark_read": (frozenset({"reminders_notification"}), "a member's own read marker"),
    "reminders.notification_mark_all_read": (frozenset({"reminders_notification"}), "a member's own read markers"),
    "api.api_key_mark_used": (frozenset({"api_organisationapikey"}), "last-used stamp, at most once a minute"),
    # Housekeeping: drops replay records older than 24 h (they hold responses, not decisions).
    "api.idempotency_purge_expired": (frozenset({"api_idempotencyrecord"}), "expired replay records"),
}


def discover() -> list[tuple[str, Callable]]:
    found = []
    for info in pkgutil.iter_modules(apps.__path__):
        try:
            module = importlib.import_module(f"apps.{info.name}.services")
        except ModuleNotFoundError:
            continue
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not name.startswith("_") and NAME.match(name):
                found.append((f"{info.name}.{name}", fn))
    return sorted(found)


SERVICES = discover()


# --- the scene every call is built from ------------------------------------------------------------


T = dt.datetime(2027, 5, 3, 9, 0, tzinfo=dt.UTC)


@dataclass
class Scene:
    org: Any
    other_org: Any
    actor: Actor
    lead: Any
    officer: Any
    dispute: Any
    north: Any
    south: Any
    issue: Any
    rep: Any
    planned: Any
    held: Any
    round: Any
    visit: Any
    note: Any
    consent: Any
    proposal: Any
    item: Any
    agreement: Any
    signed: Any
    version: Any
    provision: Any
    officer_member: Any
    share: Any


@pytest.fixture
def scene() -> Scene:
    org = OrganisationFactory(slug="walk")
    other = OrganisationFactory(slug="walk-other")
    admin = MembershipFactory(organisation=org, role=Membership.Role.ADMIN)
    lead = admin.user
    officer = MembershipFactory(organisation=org, role=Membership.Role.MEDIATOR).user
    dispute = DisputeFactory(organisation=org, lead=lead, stage=Stage.NEGOTIATION)
    officer_member = CaseTeamMember.objects.create(dispute=dispute, user=officer, role="co_mediator",
                                                   starts_on=dispute.opened_on)
    north = CasePartyFactory(dispute=dispute)
    south = CasePartyFactory(dispute=dispute)
    issue = NegotiationIssueFactory(dispute=dispute)
    rep = RepresentativeFactory(party=north.party)
    planned = MediationSessionFactory(dispute=dispute, parties=[north, south], starts_at=T,
                                      ends_at=T + dt.timedelta(hours=2))
    held = MediationSessionFactory(dispute=dispute, parties=[north, south], status="held",
                                   starts_at=T - dt.timedelta(days=400), ends_at=T - dt.timedelta(days=400, hours=-2))
    rnd = ShuttleRoundFactory(dispute=dispute, subject_issue=issue)
    rnd.round_parties.create(case_party=north, order=1)
    rnd.round_parties.create(case_party=south, order=2)
    visit = MediationSessionFactory(dispute=dispute, kind=SessionKind.SHUTTLE_VISIT, shuttle_round=rnd,
                                    status="held", parties=[north], starts_at=T - dt.timedelta(days=300),
                                    ends_at=T - dt.timedelta(days=300, hours=-1))
    note = SessionNoteFactory(session=held, visibility=Visibility.TEAM, source_party=north)
    consent = DisclosureConsent.objects.create(dispute=dispute, note=note, source_party=north, given_by_name="A",
                                               given_at=T - dt.timedelta(days=399), method="in_session")
    proposal = ProposalFactory(dispute=dispute, issue=issue, tabled_by=north, tabled_at=T - dt.timedelta(days=10),
                               response_deadline=T + dt.timedelta(days=30))
    item = ActionItemFactory(session=held, owner_user=officer)
    agreement = AgreementFactory(dispute=dispute)
    version = AgreementVersion.objects.create(agreement=agreement, number=1, text="Article 1")
    signed = AgreementFactory(dispute=dispute, status="signed", signed_on=dt.date(2026, 2, 1))
    signed_v1 = AgreementVersion.objects.create(agreement=signed, number=1, text="Signed article 1")
    Signatory.objects.create(agreement=signed, party=north.party, signed_on=dt.date(2026, 2, 1))
    provision = ProvisionFactory(agreement=signed, deadline=dt.date(2027, 6, 1))
    share = CaseShare.objects.create(dispute=dispute, organisation=other, level="read", granted_by=lead)
    scene = Scene(org=org, other_org=other, actor=Actor.for_membership(admin), lead=lead, officer=officer,
                  dispute=dispute, north=north, south=south, issue=issue, rep=rep, planned=planned, held=held,
                  round=rnd, visit=visit, note=note, consent=consent, proposal=proposal, item=item,
                  agreement=agreement, signed=signed, version=version, provision=provision,
                  officer_member=officer_member, share=share)
    scene.signed_v1 = signed_v1
    return scene


def _imported(scene: Scene) -> dict[str, Any]:
    record = ImportedAgreement(
        line=1, source="pax", external_id="9999", dispute=ImportedDispute(key="p1", title="Process"),
        title="Imported accord", type="ceasefire", status="signed", signed_on=dt.date(2020, 1, 1),
        signed_on_precision="day",
        conflict_parties=[ImportedParty(name=scene.north.party.name, kind="state")],
        provisions=[ImportedProvision(source_code="pax:Ce", category="ceasefire", label="1", text="Cease fire")],
    )
    return {"record": record, "existing": None, "index": DatasetIndex.load(scene.org, [scene.dispute.pk])}


def _export_archive(scene: Scene) -> dict[str, Any]:
    from apps.operations.archive import dispute_archive_build

    target = OrganisationFactory(slug="walk-target")
    for user in (scene.lead, scene.officer):
        MembershipFactory(organisation=target, user=user)
    return {"organisation": target, "archive": dispute_archive_build(actor=scene.actor, dispute=scene.dispute)}


# Keyword arguments per service; `actor` is added for every service that takes one.
CALLS: dict[str, Callable[[Scene], dict[str, Any]]] = {
    "accounts.organisation_create": lambda s: {"name": "New org", "slug": "new-org", "by": s.lead},
    "accounts.membership_create": lambda s: {"user": UserFactory(), "organisation": s.org, "role": "analyst",
                                             "by": s.lead},
    "accounts.membership_change_role": lambda s: {
        "membership": MembershipFactory(organisation=s.org, role="analyst"), "role": "case_officer", "by": s.lead},
    "accounts.user_update_profile": lambda s: {"user": s.lead, "by": s.lead, "name": "Renamed", "language": "fr",
                                               "time_zone": "Asia/Kathmandu", "organisation": s.org},
    "agreements.agreement_create": lambda s: {"dispute": s.dispute, "title": "Accord", "type": "ceasefire",
                                              "text": "Article 1"},
    "agreements.agreement_update": lambda s: {"agreement": s.agreement, "data": {"title": "Renamed accord"}},
    "agreements.agreement_change_status": lambda s: {"agreement": s.agreement, "to_status": "initialled"},
    "agreements.agreement_link_add": lambda s: {"agreement": s.signed, "target": s.agreement, "kind": "implements"},
    "agreements.agreement_link_remove": lambda s: {
        "link": AgreementLink.objects.create(from_agreement=s.signed, to_agreement=s.agreement, kind="renews")},
    "agreements.agreement_version_create": lambda s: {"agreement": s.agreement, "based_on": s.version,
                                                      "text": "Article 1\nArticle 2"},
    "agreements.agreement_amend": lambda s: {"agreement": s.signed, "based_on": s.signed_v1, "text": "Amended",
                                             "change_summary": "Amendment", "reason": "Agreed at the review"},
    "agreements.signatory_add": lambda s: {"agreement": s.agreement, "party": s.south.party},
    "agreements.signatory_remove": lambda s: {
        "signatory": Signatory.objects.create(agreement=s.agreement, party=s.south.party)},
    "agreements.provision_create": lambda s: {"agreement": s.signed, "text": "Release prisoners",
                                              "category": "prisoner_release"},
    "agreements.provision_update": lambda s: {"provision": s.provision, "data": {"text": "Amended text"}},
    "agreements.provision_set_deadline": lambda s: {"provision": s.provision, "deadline": dt.date(2027, 9, 1)},
    "agreements.provision_delete": lambda s: {"provision": ProvisionFactory(agreement=s.agreement)},
    "agreements.assessment_record": lambda s: {"provision": s.provision, "score": 2,
                                               "assessed_on": dt.date(2026, 3, 1)},
    "agreements.agreement_import_upsert": lambda s: {"dispute": s.dispute, **_imported(s)},
    "api.api_key_create": lambda s: {"organisation": s.org, "name": "partner"},
    "api.api_key_revoke": lambda s: {"api_key": make_api_key(s.org)[0]},
    "api.api_key_rotate": lambda s: {"api_key": make_api_key(s.org)[0]},
    "api.api_key_mark_used": lambda s: {"api_key": make_api_key(s.org)[0]},
    "api.idempotency_purge_expired": lambda s: _idempotency_row(s),
    "dashboard.calendar_feed_create": lambda s: {},
    "dashboard.calendar_feed_revoke": lambda s: _with(lambda: calendar_feed_create(actor=s.actor)),
    "disputes.dispute_open": lambda s: {"title": "New dispute", "lead_mediator": s.lead},
    "disputes.dispute_update": lambda s: {"dispute": s.dispute, "data": {"title": "Renamed dispute"}},
    "disputes.dispute_set_confidentiality": lambda s: {
        "dispute": DisputeFactory(organisation=s.org, lead=s.lead), "confidentiality": "restricted"},
    "disputes.dispute_change_stage": lambda s: {"dispute": s.dispute, "to_stage": "agreement"},
    "disputes.dispute_change_risk": lambda s: {"dispute": s.dispute, "risk": "critical"},
    "disputes.case_party_add": lambda s: {"dispute": s.dispute, "party": PartyFactory(organisation=s.org)},
    "disputes.case_party_update": lambda s: {"case_party": s.north, "data": {"red_lines": "No partition"}},
    "disputes.case_party_remove": lambda s: {"case_party": CasePartyFactory(dispute=s.dispute)},
    "disputes.party_position_set": lambda s: {"case_party": s.north, "issue": s.issue, "position": "River line"},
    "disputes.negotiation_issue_create": lambda s: {"dispute": s.dispute, "title": "Water sharing"},
    "disputes.negotiation_issue_update": lambda s: {"issue": s.issue, "data": {"title": "Renamed issue"}},
    "disputes.team_member_add": lambda s: {
        "dispute": s.dispute, "user": MembershipFactory(organisation=s.org, role="case_officer").user,
        "role": "case_officer", "affiliations": []},
    "disputes.team_member_change_role": lambda s: {"member": s.officer_member, "role": "adviser"},
    "disputes.team_member_remove": lambda s: {"member": s.officer_member},
    "disputes.team_lead_transfer": lambda s: {"dispute": s.dispute, "to_member": s.officer_member},
    "disputes.case_share_grant": lambda s: {"dispute": s.dispute, "organisation": OrganisationFactory(),
                                            "level": "contribute"},
    "disputes.case_share_revoke": lambda s: {"share": s.share},
    "negotiations.proposal_table": lambda s: {"dispute": s.dispute, "issue": s.issue, "text": "New offer",
                                              "tabled_by": s.south},
    "negotiations.proposal_counter": lambda s: {"parent": s.proposal, "text": "Counter offer", "tabled_by": s.south},
    "negotiations.proposal_consider": lambda s: {"proposal": s.proposal, "case_party": s.south},
    "negotiations.proposal_accept": lambda s: {"proposal": s.proposal, "by_parties": [s.south]},
    "negotiations.proposal_reject": lambda s: {"proposal": s.proposal, "by_party": s.south},
    "negotiations.proposal_withdraw": lambda s: {"proposal": s.proposal, "reason": "Overtaken"},
    "negotiations.proposal_set_deadline": lambda s: {"proposal": s.proposal,
                                                     "response_deadline": T + dt.timedelta(days=60)},
    "negotiations.issue_reopen": lambda s: _reopenable_issue(s),
    "operations.dispute_archive_import": _export_archive,
    "parties.party_create": lambda s: {"kind": "state", "name": "Newland"},
    "parties.party_update": lambda s: {"party": s.north.party, "data": {"notes": "Updated"}},
    "parties.representative_create": lambda s: {"party": s.north.party, "name": "New envoy"},
    "parties.representative_update": lambda s: {"representative": s.rep, "data": {"title": "Envoy"}},
    "reminders.reminder_schedule": lambda s: {
        "organisation": s.org, "kind": "session_upcoming", "target_type": "mediation_sessions.session",
        "target_id": s.planned.pk, "due_at": T, "recipients": [s.lead], "context": {"title": "x"}, "key": "walk:1"},
    "reminders.reminder_cancel": lambda s: {"organisation": s.org,
                                            "key": ReminderFactory(organisation=s.org, key="walk:2").key},
    "reminders.reminders_cancel_for": lambda s: {
        "target_type": "mediation_sessions.session",
        "target_id": ReminderFactory(organisation=s.org, target_id=s.planned.pk).target_id},
    "reminders.reminders_replace_for": lambda s: _with(
        lambda: ReminderFactory(organisation=s.org, target_id=s.planned.pk),
        organisation=s.org, target_type="mediation_sessions.session", target_id=s.planned.pk, specs=[]),
    "reminders.reminder_rules_update": lambda s: {"data": {"dispute_stale_days": 45, "action_item_days_before": 3}},
    "reminders.notification_mark_read": lambda s: {
        "notification_id": NotificationFactory(recipient=s.lead, organisation=s.org).pk},
    "reminders.notification_mark_all_read": lambda s: _with(
        lambda: NotificationFactory(recipient=s.lead, organisation=s.org)),
    "reminders.reminders_dispatch": lambda s: _with(
        lambda: ReminderFactory(organisation=s.org, recipients=[s.lead]), now=timezone.now()),
    "reminders.reminder_deliver": lambda s: {
        "reminder_id": ReminderFactory(organisation=s.org, recipients=[s.lead], status="sending").pk},
    "sessions.session_schedule": lambda s: {
        "dispute": s.dispute, "kind": "joint_session", "title": "Round 2", "starts_at": T + dt.timedelta(days=2),
        "ends_at": T + dt.timedelta(days=2, hours=2), "time_zone": "Africa/Nairobi", "parties": [s.north, s.south]},
    "sessions.session_record_held": lambda s: {
        "dispute": s.dispute, "kind": "joint_session", "title": "Round 0", "starts_at": T - dt.timedelta(days=500),
        "ends_at": T - dt.timedelta(days=500, hours=-2), "time_zone": "UTC", "parties": [s.north, s.south]},
    "sessions.session_update": lambda s: {"session": s.planned, "data": {"title": "Renamed session"}},
    "sessions.session_set_attendance": lambda s: {"session": s.planned, "parties": [s.north, s.south],
                                                  "representatives": [s.rep]},
    "sessions.session_set_agenda": lambda s: {"session": s.planned, "issues": [s.issue]},
    "sessions.session_reschedule": lambda s: {"session": s.planned, "starts_at": T + dt.timedelta(days=1),
                                              "ends_at": T + dt.timedelta(days=1, hours=2)},
    "sessions.session_postpone": lambda s: {"session": s.planned, "reason": "Travel"},
    "sessions.session_cancel": lambda s: {"session": s.planned, "reason": "Violence"},
    "sessions.session_mark_held": lambda s: {"session": _past_planned(s), "summary": "Went well"},
    "sessions.shuttle_round_open": lambda s: {"dispute": s.dispute, "parties": [s.north, s.south],
                                              "subject_issue": NegotiationIssueFactory(dispute=s.dispute)},
    "sessions.shuttle_visit_schedule": lambda s: {
        "shuttle_round": s.round, "case_party": s.south, "starts_at": T + dt.timedelta(days=3),
        "ends_at": T + dt.timedelta(days=3, hours=1), "time_zone": "UTC"},
    "sessions.shuttle_visit_record": lambda s: {
        "shuttle_round": s.round, "case_party": s.south, "starts_at": T - dt.timedelta(days=200),
        "ends_at": T - dt.timedelta(days=200, hours=-1), "time_zone": "UTC", "party_replied": False},
    "sessions.shuttle_reply_record": lambda s: {"visit": s.visit, "replied_at": T - dt.timedelta(days=250)},
    "sessions.shuttle_round_conclude": lambda s: {"shuttle_round": s.round, "reason": "Done"},
    "sessions.shuttle_round_abandon": lambda s: {"shuttle_round": s.round, "reason": "Stalled"},
    "sessions.session_note_add": lambda s: {"session": s.held, "text": "Walk note", "visibility": "shared"},
    "sessions.session_note_edit": lambda s: {"note": s.note, "based_on_version": s.note.version,
                                             "text": "Walk edit"},
    "sessions.disclosure_consent_record": lambda s: {"note": s.note, "method": "written",
                                                     "given_at": T - dt.timedelta(days=390), "given_by_name": "B"},
    "sessions.disclosure_consent_withdraw": lambda s: {"consent": s.consent},
    "sessions.disclosure_record": lambda s: {"to_party": s.south, "note": s.note, "consent": s.consent,
                                             "disclosed_at": T - dt.timedelta(days=390)},
    "sessions.action_item_create": lambda s: {"session": s.held, "description": "Send maps",
                                              "due_on": dt.date(2027, 6, 1), "owner_user": s.officer},
    "sessions.action_item_update": lambda s: {"item": s.item, "description": "Send the maps"},
    "sessions.action_item_complete": lambda s: {"item": s.item},
    "sessions.action_item_reopen": lambda s: {"item": _done(s.item)},
    "webhooks.webhook_emit": lambda s: _with(
        lambda: WebhookEndpointFactory(organisation=s.org, events=[WebhookEvent.SESSION_SCHEDULED]),
        dispute_id=s.dispute.pk, event=WebhookEvent.SESSION_SCHEDULED, payload={"session_id": 1}),
    "webhooks.webhook_endpoint_create": lambda s: {"url": "http://127.0.0.1:9/hook",
                                                   "events": [WebhookEvent.SESSION_SCHEDULED]},
    "webhooks.webhook_endpoint_update": lambda s: {"endpoint": WebhookEndpointFactory(organisation=s.org),
                                                   "data": {"description": "Renamed"}},
    "webhooks.webhook_endpoint_delete": lambda s: {"endpoint": WebhookEndpointFactory(organisation=s.org)},
    "webhooks.webhook_endpoint_rotate_secret": lambda s: {"endpoint": WebhookEndpointFactory(organisation=s.org)},
    "webhooks.webhook_endpoint_ping": lambda s: {"endpoint": WebhookEndpointFactory(organisation=s.org)},
    "webhooks.webhook_delivery_redeliver": lambda s: {"delivery": WebhookDeliveryFactory(
        endpoint=WebhookEndpointFactory(organisation=s.org), status="given_up")},
    "webhooks.webhook_deliveries_replay": lambda s: {
        "endpoint": WebhookDeliveryFactory(endpoint=WebhookEndpointFactory(organisation=s.org),
                                           status="given_up").endpoint,
        "since": timezone.now() - dt.timedelta(days=1), "until": timezone.now() + dt.timedelta(minutes=1)},
    # A closed port on this machine: the attempt fails at once and is recorded, nothing leaves it.
    "webhooks.webhook_delivery_attempt": lambda s: {"delivery_id": WebhookDeliveryFactory(
        endpoint=WebhookEndpointFactory(organisation=s.org, url="http://127.0.0.1:9/hook")).pk},
}


def _with(setup: Callable[[], Any], **kwargs: Any) -> dict[str, Any]:
    setup()
    return kwargs


def _done(item):
    item.done_at = T - dt.timedelta(days=1)
    item.save(update_fields=["done_at"])
    return item


def _past_planned(s: Scene) -> MediationSession:
    session = MediationSessionFactory(dispute=s.dispute, starts_at=T - dt.timedelta(days=450),
                                      ends_at=T - dt.timedelta(days=450, hours=-2))
    SessionParty.objects.create(session=session, case_party=s.north)
    return session


def _reopenable_issue(s: Scene) -> dict[str, Any]:
    s.issue.status = "agreed"
    s.issue.save(update_fields=["status"])
    return {"issue": s.issue, "reason": "The accord collapsed"}


def _idempotency_row(s: Scene) -> dict[str, Any]:
    from apps.api.models import IdempotencyRecord

    record = IdempotencyRecord.objects.create(organisation=s.org, caller="walk", key="k1", fingerprint="f",
                                              status_code=201)
    IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - dt.timedelta(days=30))
    return {}


# --- the walk --------------------------------------------------------------------------------------------


def _params():
    out = []
    for name, fn in SERVICES:
        if name in DOES_NOT_WRITE:
            continue
        out.append(pytest.param(name, fn, id=name))
    return out


def test_the_walk_finds_the_services_of_every_domain_app():
    apps_seen = {name.split(".")[0] for name, _ in SERVICES}
    assert {"accounts", "parties", "disputes", "sessions", "negotiations", "agreements", "reminders",
            "webhooks", "operations"} <= apps_seen
    assert len(SERVICES) > 60


def test_the_allow_list_names_only_services_that_exist():
    names = {name for name, _ in SERVICES}
    assert set(DOES_NOT_WRITE) <= names
    assert set(WRITES_WITHOUT_AUDIT) <= names
    assert set(CALLS) <= names


@pytest.mark.parametrize(("name", "fn"), _params())
def test_every_service_that_writes_records_an_audit_event(scene, name, fn):
    assert name in CALLS, f"{name}: new service; add a call to CALLS (or DOES_NOT_WRITE with the reason)"
    kwargs = CALLS[name](scene)
    if "actor" in inspect.signature(fn).parameters and "actor" not in kwargs:
        kwargs["actor"] = scene.actor
    writes, audited = _run(fn, kwargs)
    assert writes, f"{name}: the call wrote nothing, so the walk proves nothing; fix its entry in CALLS"
    if name in WRITES_WITHOUT_AUDIT:
        allowed, why = WRITES_WITHOUT_AUDIT[name]
        assert set(writes) <= allowed, f"{name} ({why}) may write only {sorted(allowed)}, wrote {writes}"
        return
    assert audited, f"{name} wrote {writes} without an audit event"


def _run(fn: Callable, kwargs: dict[str, Any]) -> tuple[list[str], bool]:
    """(tables written outside the audit trail, whether an audit event was written)."""
    audit_before = AuditEvent.objects.count()
    with CaptureQueriesContext(connection) as queries:
        fn(**kwargs)
    writes = sorted({m.group(2) for q in queries.captured_queries if (m := _WRITE.match(q["sql"]))}
                    - {AUDIT_TABLE})
    return writes, AuditEvent.objects.count() > audit_before


def test_the_walk_catches_a_write_without_an_audit_event(scene):
    def dispute_rename(*, dispute, title):
        type(dispute).objects.filter(pk=dispute.pk).update(title=title)

    writes, audited = _run(dispute_rename, {"dispute": scene.dispute, "title": "Unaudited"})
    assert writes == ["disputes_dispute"]
    assert audited is False
