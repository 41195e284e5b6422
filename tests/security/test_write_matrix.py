"""Who may change what (DESIGN.md §3b): every writing service against every kind of actor.

The services are discovered, not listed (the audit walk's discovery, and its calls and scene:
``tests/operations/test_service_audit_walk.py``), so a new service without a row in ``RULES``
(or a reason in ``NO_ACTOR``) fails here. Each service is called once per actor kind inside a
savepoint that is rolled back, on one scene:

  the scene's standard dispute of organisation "walk" (stage negotiation), with
  admin              an admin of "walk", not on the case team
  lead               the dispute's lead mediator (a mediator of "walk")
  co_mediator        a co-mediator on the team
  observer           an observer on the team (a mediator of "walk")
  officer_off_team   a case officer of "walk" off the team
  analyst            an analyst of "walk"
  read_key/write_key "walk"'s API keys
  contributor        a mediator of an organisation holding a contribute share
  contributor_key    that organisation's write key
  read_share_member  a mediator of the organisation holding a read share (the scene's share)

Anonymous callers never reach a service (the API answers 401 and the pages send them to the
sign-in page before any view code: tests/security/test_permission_sweep.py walks every URL).

Each cell asserts one outcome: ALLOW (the call succeeds and changes rows), REFUSE (AccessDenied
with a reason, and no row of any table changes: every table is hashed before and after) or NOOP
(the actor's own rows only, so nothing of someone else's changes).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Model

from apps.accounts.actors import Actor
from apps.accounts.models import Membership
from apps.common.errors import AccessDenied
from apps.dashboard.services import calendar_feed_create
from apps.disputes.models import CaseShare, CaseTeamMember
from apps.sessions.models import Visibility
from tests.factories import DisputeFactory, MembershipFactory, OrganisationFactory, SessionNoteFactory
from tests.factories.api import make_api_key
from tests.operations.test_service_audit_walk import CALLS, SERVICES, Scene, scene  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

Role = Membership.Role
ALLOW, REFUSE, NOOP = "allow", "refuse", "noop"

KINDS = ("admin", "lead", "co_mediator", "observer", "officer_off_team", "analyst", "read_key", "write_key",
         "contributor", "contributor_key", "read_share_member")

# Who may, per decision of §3b (everyone else is refused).
TEAM = frozenset({"lead", "co_mediator", "observer"})
STEWARDS = frozenset({"admin", "lead"})                        # case team, confidentiality, decisive stages
CASE_WORK = TEAM | {"admin", "write_key", "contributor", "contributor_key"}
ORG_ADMINS = frozenset({"admin"})                              # shares, keys, webhooks, reminder rules
ORG_WRITERS = TEAM | {"admin", "officer_off_team", "write_key"}  # the organisation's parties
# In their own organisation (open a dispute, add a party): every writing member and write key.
ANY_WRITER = ORG_WRITERS | {"contributor", "contributor_key", "read_share_member"}
PEOPLE = frozenset(KINDS) - {"read_key", "write_key", "contributor_key"}
LEAD_ONLY = frozenset({"lead"})


def allowed(who: frozenset[str]) -> Callable[[str], str]:
    return lambda kind: ALLOW if kind in who else REFUSE


def own_rows(owner: str) -> Callable[[str], str]:
    return lambda kind: ALLOW if kind == owner else NOOP


# Every discovered service that takes an actor: its rule. A new service fails until it has one.
RULES: dict[str, Callable[[str], str]] = {
    **{f"agreements.{n}": allowed(CASE_WORK) for n in (
        "agreement_amend", "agreement_change_status", "agreement_create", "agreement_import_upsert",
        "agreement_link_add", "agreement_link_remove", "agreement_update", "agreement_version_create",
        "assessment_record", "provision_create", "provision_delete", "provision_set_deadline", "provision_update",
        "signatory_add", "signatory_remove")},
    "api.api_key_create": allowed(ORG_ADMINS),
    "api.api_key_revoke": allowed(ORG_ADMINS),
    "dashboard.calendar_feed_create": allowed(PEOPLE),  # a person's own feed
    "dashboard.calendar_feed_revoke": allowed(PEOPLE),
    **{f"disputes.{n}": allowed(CASE_WORK) for n in (
        "case_party_add", "case_party_remove", "case_party_update", "dispute_change_risk", "dispute_change_stage",
        "dispute_update", "negotiation_issue_create", "negotiation_issue_update", "party_position_set")},
    "disputes.dispute_open": allowed(ANY_WRITER),
    "disputes.dispute_set_confidentiality": allowed(STEWARDS),
    "disputes.case_share_grant": allowed(ORG_ADMINS),
    "disputes.case_share_revoke": allowed(ORG_ADMINS),
    **{f"disputes.{n}": allowed(STEWARDS) for n in (
        "team_member_add", "team_member_change_role", "team_member_remove", "team_lead_transfer")},
    **{f"negotiations.{n}": allowed(CASE_WORK) for n in (
        "issue_reopen", "proposal_accept", "proposal_consider", "proposal_counter", "proposal_reject",
        "proposal_set_deadline", "proposal_table", "proposal_withdraw")},
    "parties.party_create": allowed(ANY_WRITER),
    "parties.party_update": allowed(ORG_WRITERS),
    "parties.representative_create": allowed(ORG_WRITERS),
    "parties.representative_update": allowed(ORG_WRITERS),
    "reminders.notification_mark_read": own_rows("admin"),  # the walk's notification is the admin's
    "reminders.notification_mark_all_read": own_rows("admin"),
    "reminders.reminder_rules_update": allowed(ORG_ADMINS),
    **{f"sessions.{n}": allowed(CASE_WORK) for n in (
        "action_item_complete", "action_item_create", "action_item_reopen", "action_item_update",
        "session_cancel", "session_mark_held", "session_note_add", "session_postpone", "session_record_held",
        "session_reschedule", "session_schedule", "session_set_agenda", "session_set_attendance",
        "session_update", "shuttle_reply_record", "shuttle_round_abandon", "shuttle_round_conclude",
        "shuttle_round_open", "shuttle_visit_record", "shuttle_visit_schedule")},
    # The walk's note is team-only: consent and disclosure of it are the case team's.
    "sessions.disclosure_consent_record": allowed(TEAM),
    "sessions.disclosure_consent_withdraw": allowed(TEAM),
    "sessions.disclosure_record": allowed(TEAM),
    # Its text: the author (none here: a factory's) or the lead, who is on the team.
    "sessions.session_note_edit": allowed(LEAD_ONLY),
    "webhooks.webhook_endpoint_create": allowed(ORG_ADMINS),
    "webhooks.webhook_endpoint_update": allowed(ORG_ADMINS),
    "webhooks.webhook_endpoint_delete": allowed(ORG_ADMINS),
    # Added by branches merged after the matrix (webhooks, API keys self-service): the same last row of §3b.
    "api.api_key_rotate": allowed(ORG_ADMINS),
    "webhooks.webhook_endpoint_rotate_secret": allowed(ORG_ADMINS),
    "webhooks.webhook_endpoint_ping": allowed(ORG_ADMINS),
    "webhooks.webhook_delivery_redeliver": allowed(ORG_ADMINS),
    "webhooks.webhook_deliveries_replay": allowed(ORG_ADMINS),
}

# Decisions one call cannot show: the same service with other arguments.
VARIANTS: dict[str, tuple[str, Callable[..., dict[str, Any]], Callable[[str], str]]] = {
    "disputes.dispute_change_stage[close]": (
        "disputes.dispute_change_stage",
        lambda s, a: {"dispute": s.dispute, "to_stage": "closed",
                         "closure_reason": "ended_without_agreement"},
        allowed(STEWARDS)),
    "disputes.dispute_change_stage[suspend]": (
        "disputes.dispute_change_stage",
        lambda s, a: {"dispute": s.dispute, "to_stage": "suspended", "reason": "Elections"},
        allowed(STEWARDS)),
    "disputes.dispute_change_stage[resume]": (
        "disputes.dispute_change_stage",
        lambda s, a: {"dispute": _suspended(s), "to_stage": "negotiation"},
        allowed(STEWARDS)),
    "disputes.dispute_update[confidentiality]": (
        "disputes.dispute_update",
        lambda s, a: {"dispute": _lead_dispute(s), "data": {"confidentiality": "restricted"}},
        allowed(STEWARDS)),
    "sessions.session_note_add[team]": (
        "sessions.session_note_add",
        lambda s, a: {"session": s.held, "text": "Team words", "visibility": Visibility.TEAM},
        allowed(TEAM)),
    "sessions.session_note_edit[to team]": (
        "sessions.session_note_edit",
        lambda s, a: _shared_note_edit(s, visibility=Visibility.TEAM),
        allowed(TEAM)),
    "sessions.session_note_edit[narrow shared]": (
        "sessions.session_note_edit",
        lambda s, a: _shared_note_edit(s, visibility=Visibility.PARTIES, parties=[s.north]),
        allowed(CASE_WORK)),
    "sessions.session_note_edit[own text]": (
        "sessions.session_note_edit",
        lambda s, a: _own_note_edit(s, a),
        allowed(PEOPLE & CASE_WORK)),
}

# Services without an actor: nobody outside the server calls them with someone's rights.
NO_ACTOR = {
    "accounts.organisation_create": "platform operators only (command, Django admin)",
    "accounts.membership_create": "the service checks that ``by`` is an admin of the organisation",
    "accounts.membership_change_role": "the service checks that ``by`` is an admin of the organisation",
    "accounts.user_update_profile": "a person's own profile: the service checks ``by`` is the account's owner",
    "api.api_key_mark_used": "bookkeeping of the authenticating key",
    "api.idempotency_purge_expired": "housekeeping task",
    "operations.dispute_archive_import": "operator command (restore an archive)",
    "reminders.reminder_schedule": "called by domain services in their transaction",
    "reminders.reminder_cancel": "called by domain services in their transaction",
    "reminders.reminders_cancel_for": "called by domain services in their transaction",
    "reminders.reminders_replace_for": "called by domain services in their transaction",
    "reminders.reminders_dispatch": "Celery beat",
    "reminders.reminder_deliver": "Celery worker (re-checks the recipient's access)",
    "webhooks.webhook_emit": "called by domain services in their transaction",
    "webhooks.webhook_delivery_attempt": "Celery worker",
}

# Calls that need the actor (the walk's are built for its admin).
ACTOR_CALLS: dict[str, Callable[..., dict[str, Any]]] = {
    "disputes.dispute_open": lambda s, a: {"title": "New dispute", "lead_mediator": _writer_in(a)},
    "dashboard.calendar_feed_revoke": lambda s, a: _feed_of(a),
    "disputes.dispute_set_confidentiality": lambda s, a: {"dispute": _lead_dispute(s),
                                                          "confidentiality": "restricted"},
}


def _writer_in(actor: Actor):
    if actor.user is not None:
        return actor.user
    return MembershipFactory(organisation=actor.organisation, role=Role.MEDIATOR).user


def _feed_of(actor: Actor) -> dict[str, Any]:
    if actor.user is not None:
        calendar_feed_create(actor=actor)
    return {}


def _suspended(s: Scene):
    type(s.dispute).objects.filter(pk=s.dispute.pk).update(stage="suspended", stage_before_suspension="negotiation")
    s.dispute.refresh_from_db()
    return s.dispute


def _lead_dispute(s: Scene):
    """A standard, unshared dispute of the scene's organisation whose lead is the matrix's lead."""
    return DisputeFactory(organisation=s.org, lead=s.actors["lead"].user)


def _shared_note_edit(s: Scene, **change: Any) -> dict[str, Any]:
    note = SessionNoteFactory(session=s.held, visibility=Visibility.SHARED)
    return {"note": note, "based_on_version": note.version, **change}


def _own_note_edit(s: Scene, actor: Actor) -> dict[str, Any]:
    note = SessionNoteFactory(session=s.held, visibility=Visibility.SHARED, author=actor.user)
    return {"note": note, "based_on_version": note.version, "text": "Corrected by its author"}


# --- the actors ------------------------------------------------------------------------------------------


def _key_actor(org, scope: str) -> Actor:
    key, _raw = make_api_key(org, scope=scope, name=f"{org.slug}-{scope}")
    return Actor(organisation=org, role=Role.PARTNER, user=None, api_key_id=key.pk, api_key_name=key.name,
                 scopes=key.scopes)


def cast(s: Scene) -> dict[str, Actor]:
    """The actor kinds on the walk's scene (its admin is the lead there: the lead moves to a mediator)."""
    org, dispute = s.org, s.dispute
    lead = MembershipFactory(organisation=org, role=Role.MEDIATOR)
    CaseTeamMember.objects.filter(dispute=dispute, role=CaseTeamMember.Role.LEAD_MEDIATOR).update(user=lead.user)
    observer = MembershipFactory(organisation=org, role=Role.MEDIATOR)
    CaseTeamMember.objects.create(dispute=dispute, user=observer.user, role=CaseTeamMember.Role.OBSERVER,
                                  starts_on=dispute.opened_on)
    contributor_org = OrganisationFactory(slug="walk-contributor")
    CaseShare.objects.create(dispute=dispute, organisation=contributor_org, level=CaseShare.Level.CONTRIBUTE,
                             granted_by=s.lead)
    co = Membership.objects.get(organisation=org, user=s.officer)
    return {
        "admin": s.actor,
        "lead": Actor.for_membership(lead),
        "co_mediator": Actor.for_membership(co),
        "observer": Actor.for_membership(observer),
        "officer_off_team": Actor.for_membership(MembershipFactory(organisation=org, role=Role.CASE_OFFICER)),
        "analyst": Actor.for_membership(MembershipFactory(organisation=org, role=Role.ANALYST)),
        "read_key": _key_actor(org, "read"),
        "write_key": _key_actor(org, "write"),
        "contributor": Actor.for_membership(MembershipFactory(organisation=contributor_org, role=Role.MEDIATOR)),
        "contributor_key": _key_actor(contributor_org, "write"),
        "read_share_member": Actor.for_membership(MembershipFactory(organisation=s.other_org, role=Role.MEDIATOR)),
    }


# --- every row of every table ------------------------------------------------------------------------------


def _snapshot_sql() -> str:
    with connection.cursor() as cursor:
        tables = [t for t in connection.introspection.table_names(cursor) if not t.startswith("pg_")]
    parts = [f"SELECT '{t}', md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM \"{t}\" x"  # noqa: S608
             for t in tables]
    return " UNION ALL ".join(parts)


def snapshot(sql: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(cursor.fetchall())


def _refresh(s: Scene) -> None:
    """Bring the scene's instances back to the rolled-back rows (services update instances in place)."""
    for name, value in list(vars(s).items()):
        if isinstance(value, Model):
            setattr(s, name, type(value)._base_manager.get(pk=value.pk))


# --- the matrix ------------------------------------------------------------------------------------------


SERVICE_FNS = dict(SERVICES)


def _cells() -> list[Any]:
    out = []
    for name, fn in SERVICES:
        if "actor" not in inspect.signature(fn).parameters or _is_helper(name):
            continue
        out.append(pytest.param(name, name, id=name))
    out += [pytest.param(label, service, id=label) for label, (service, _call, _rule) in VARIANTS.items()]
    return out


def test_every_service_has_a_write_rule_or_says_why_it_has_no_actor():
    missing = []
    for name, fn in SERVICES:
        takes_actor = "actor" in inspect.signature(fn).parameters
        if takes_actor and name not in RULES and not _is_helper(name):
            missing.append(f"{name}: add its rule (DESIGN.md §3b) to RULES")
        if not takes_actor and name not in NO_ACTOR and not _is_helper(name):
            missing.append(f"{name}: takes no actor; say in NO_ACTOR who calls it")
    assert not missing, "\n".join(missing)
    assert set(RULES) <= set(SERVICE_FNS)
    assert set(NO_ACTOR) <= set(SERVICE_FNS)


def _is_helper(name: str) -> bool:
    from tests.operations.test_service_audit_walk import DOES_NOT_WRITE

    return name in DOES_NOT_WRITE


@pytest.mark.parametrize(("label", "service"), _cells())
def test_every_actor_is_allowed_or_refused_as_the_policy_says(scene, label, service):  # noqa: F811
    fn = SERVICE_FNS[service]
    if label in VARIANTS:
        _service, build, rule = VARIANTS[label]
    else:
        rule = RULES[service]
        build = ACTOR_CALLS.get(service) or (lambda s, a, _c=CALLS[service]: _c(s))
    scene.actors = cast(scene)
    _refresh(scene)
    sql = _snapshot_sql()
    failures = []
    for kind in KINDS:
        actor = scene.actors[kind]
        expected = rule(kind)
        sid = transaction.savepoint()
        try:
            kwargs = build(scene, actor)
            kwargs["actor"] = actor
            before = snapshot(sql)
            try:
                fn(**kwargs)
            except AccessDenied as exc:
                got, reason = REFUSE, str(exc.message)
            except Exception as exc:  # any other outcome fails the cell, named below
                got, reason = f"error {type(exc).__name__}: {exc}", ""
            else:
                got, reason = None, ""
            after = snapshot(sql)
            changed = sorted(t for t in after if after[t] != before.get(t))
            if got is None:
                got = ALLOW if changed else NOOP
            if got != expected:
                failures.append(f"{label} as {kind}: expected {expected}, got {got}")
            elif got == REFUSE and (changed or not reason.strip()):
                failures.append(f"{label} as {kind}: refused but changed {changed} / gave no reason")
        finally:
            transaction.savepoint_rollback(sid)
            _refresh(scene)
    assert not failures, "\n".join(failures)


def test_the_matrix_covers_every_kind_and_more_than_ninety_services(scene):  # noqa: F811
    cells = _cells()
    assert len(KINDS) == 11
    assert len(cells) > 80, len(cells)
    assert set(cast(scene)) == set(KINDS)

