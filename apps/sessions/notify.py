"""Everything the sessions app tells the layers below it: reminders and webhooks, in one place.

Called by the services inside their transaction, so a reminder or a webhook outbox row
commits or rolls back with the change it announces. Nothing here puts note text, summaries
or outcomes in a reminder's context or a webhook payload: they carry ids, references,
kinds, statuses and times.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Max

from apps.disputes.models import CaseTeamMember, Dispute
from apps.disputes.selectors import dispute_ids_on_team, dispute_ids_visible, disputes_visible
from apps.reminders.audience import audience_register
from apps.reminders.services import (
    reminder_cancel,
    reminder_rules_for,
    reminder_schedule,
    reminders_cancel_for,
    reminders_replace_for,
    specs_action_item,
    specs_dispute_stale,
    specs_session_upcoming,
    specs_shuttle_follow_up,
)
from apps.webhooks.services import webhook_emit

if TYPE_CHECKING:
    from apps.accounts.actors import Actor
    from apps.sessions.models import ActionItem, MediationSession, ShuttleRound

SESSION_TARGET = "mediation_sessions.mediationsession"
ROUND_TARGET = "mediation_sessions.shuttleround"
ACTION_ITEM_TARGET = "mediation_sessions.actionitem"
DISPUTE_TARGET = "disputes.dispute"


def _team_ids(dispute_id: int) -> list[int]:
    return list(CaseTeamMember.objects.filter(dispute_id=dispute_id, active=True).values_list("user_id", flat=True))


def _session_recipients(session: MediationSession) -> list[int]:
    """The team members at the session, or the whole active case team when none is named."""
    named = list(session.session_team.values_list("user_id", flat=True))
    return named or _team_ids(session.dispute_id)


def _session_payload(session: MediationSession) -> dict:
    dispute = session.dispute
    return {
        "dispute": {"id": dispute.pk, "reference": dispute.reference},
        "session": {
            "id": session.pk, "kind": session.kind, "status": session.status,
            "starts_at": session.starts_at.isoformat(), "ends_at": session.ends_at.isoformat(),
            "time_zone": session.time_zone,
            "shuttle_round": session.shuttle_round_id,
        },
    }


def _emit(session: MediationSession, event: str) -> None:
    webhook_emit(dispute_id=session.dispute_id, event=event, payload=_session_payload(session))


def _upcoming(session: MediationSession) -> None:
    dispute = session.dispute
    specs = specs_session_upcoming(
        session_id=session.pk, starts_at=session.starts_at, venue_tz=session.time_zone, title=session.title,
        dispute_id=dispute.pk, dispute_reference=dispute.reference, recipients=_session_recipients(session),
        rules=reminder_rules_for(organisation=dispute.organisation), target_type=SESSION_TARGET,
    )
    reminders_replace_for(organisation=dispute.organisation, target_type=SESSION_TARGET, target_id=session.pk,
                          specs=specs)


def _refresh_stale(dispute: Dispute) -> None:
    """"No session for N days": due N days after the dispute's latest planned or held session."""
    from apps.sessions.models import MediationSession

    last = MediationSession.objects.filter(
        dispute=dispute, status__in=[MediationSession.Status.PLANNED, MediationSession.Status.HELD]
    ).aggregate(last=Max("starts_at"))["last"]
    if last is None or not dispute.is_open:
        return
    for spec in specs_dispute_stale(
        dispute_id=dispute.pk, dispute_reference=dispute.reference, title=dispute.title, last_session_at=last,
        recipients=_team_ids(dispute.pk), rules=reminder_rules_for(organisation=dispute.organisation),
    ):
        reminder_schedule(organisation=dispute.organisation, kind=spec.kind, target_type=spec.target_type,
                          target_id=spec.target_id, due_at=spec.due_at, recipients=spec.recipient_ids,
                          context=spec.context, key=spec.key, dispute_id=spec.dispute_id)


# --- sessions -------------------------------------------------------------------------------------


def session_scheduled(*, session: MediationSession) -> None:
    _upcoming(session)
    _refresh_stale(session.dispute)
    _emit(session, "session.scheduled")


def session_rescheduled(*, session: MediationSession) -> None:
    _upcoming(session)
    _refresh_stale(session.dispute)
    _emit(session, "session.rescheduled")


def session_postponed(*, session: MediationSession) -> None:
    # No webhook event exists for a postponement; partners learn the new date from session.rescheduled.
    reminders_cancel_for(target_type=SESSION_TARGET, target_id=session.pk)
    _refresh_stale(session.dispute)


def session_cancelled(*, session: MediationSession) -> None:
    reminders_cancel_for(target_type=SESSION_TARGET, target_id=session.pk)
    _refresh_stale(session.dispute)
    _emit(session, "session.cancelled")


def session_held(*, session: MediationSession) -> None:
    reminders_cancel_for(target_type=SESSION_TARGET, target_id=session.pk)
    _refresh_stale(session.dispute)
    if session.shuttle_round_id:
        _shuttle_follow_up(session)
    _emit(session, "session.held")


# --- shuttle rounds -------------------------------------------------------------------------------


def _follow_up_key(round_id: int, case_party_id: int) -> str:
    return f"shuttle:{round_id}:party:{case_party_id}:follow_up"


def _shuttle_follow_up(visit: MediationSession) -> None:
    """A visited party that still owes its answer gets a follow-up N hours after the visit; one that
    answered gets none. The key is per (round, party), so a later visit moves it."""
    case_party = visit.session_parties.select_related("case_party__party").first().case_party
    dispute = visit.dispute
    if visit.party_replied_at is not None:
        reminder_cancel(organisation=dispute.organisation, key=_follow_up_key(visit.shuttle_round_id, case_party.pk))
        return
    for spec in specs_shuttle_follow_up(
        shuttle_round_id=visit.shuttle_round_id, party_id=case_party.pk, party_name=case_party.party.name,
        visited_at=visit.ends_at, venue_tz=visit.time_zone, title=visit.shuttle_round.title or visit.title,
        dispute_id=dispute.pk, dispute_reference=dispute.reference, recipients=_session_recipients(visit),
        rules=reminder_rules_for(organisation=dispute.organisation), target_type=ROUND_TARGET,
    ):
        reminder_schedule(organisation=dispute.organisation, kind=spec.kind, target_type=spec.target_type,
                          target_id=spec.target_id, due_at=spec.due_at, recipients=spec.recipient_ids,
                          context=spec.context, key=spec.key, dispute_id=spec.dispute_id)


def shuttle_reply_recorded(*, visit: MediationSession) -> None:
    case_party_id = visit.session_parties.values_list("case_party_id", flat=True).first()
    reminder_cancel(organisation=visit.dispute.organisation, key=_follow_up_key(visit.shuttle_round_id, case_party_id))


def shuttle_round_closed(*, shuttle_round: ShuttleRound) -> None:
    reminders_cancel_for(target_type=ROUND_TARGET, target_id=shuttle_round.pk)


# --- action items ---------------------------------------------------------------------------------


def action_item_changed(*, item: ActionItem) -> None:
    """Created, moved, handed over or reopened: its due and overdue reminders follow."""
    dispute = item.dispute
    session = item.session
    if item.owner_user_id:
        recipients = [item.owner_user_id]
        tz = item.owner_user.time_zone
    else:
        # A party's commitment: the team that follows it up is reminded, on the venue's calendar.
        recipients = _session_recipients(session)
        tz = session.time_zone
    specs = specs_action_item(
        action_item_id=item.pk, due_date=item.due_on, tz=tz, title=str(item.description)[:120],
        dispute_id=dispute.pk, dispute_reference=dispute.reference, recipients=recipients,
        rules=reminder_rules_for(organisation=dispute.organisation), target_type=ACTION_ITEM_TARGET,
    )
    reminders_replace_for(organisation=dispute.organisation, target_type=ACTION_ITEM_TARGET, target_id=item.pk,
                          specs=specs)


def action_item_done(*, item: ActionItem) -> None:
    reminders_cancel_for(target_type=ACTION_ITEM_TARGET, target_id=item.pk)


# --- who is told at send time (apps/reminders/audience.py) ------------------------------------------
# Reminders go to the case team ("you are on the case team"): a recipient hears about a target only
# while the read selectors still show it to them and they are still on the dispute's team. Each check
# returns the fresh text the recipient may read, which replaces what was stored when it was scheduled.


def _reach_sessions(*, actor: Actor, target_ids: list[int]) -> dict[int, dict]:
    from apps.sessions.selectors import sessions_visible

    rows = sessions_visible(actor=actor).filter(pk__in=target_ids, dispute__in=dispute_ids_on_team(actor=actor))
    return {pk: {"title": title, "dispute_reference": reference}
            for pk, title, reference in rows.values_list("pk", "title", "dispute__reference")}


def _reach_rounds(*, actor: Actor, target_ids: list[int]) -> dict[int, dict]:
    from apps.sessions.models import ShuttleRound

    # shuttle_round_list loads visits and parties (3 queries); the same scope, without them.
    rows = ShuttleRound.objects.filter(pk__in=target_ids, dispute__in=dispute_ids_visible(actor=actor)).filter(
        dispute__in=dispute_ids_on_team(actor=actor))
    return {pk: ({"title": title} if title else {}) | {"dispute_reference": reference}
            for pk, title, reference in rows.values_list("pk", "title", "dispute__reference")}


def _reach_action_items(*, actor: Actor, target_ids: list[int]) -> dict[int, dict]:
    from apps.sessions.selectors import action_item_list

    rows = action_item_list(actor=actor).filter(pk__in=target_ids, dispute__in=dispute_ids_on_team(actor=actor))
    return {pk: {"title": str(description)[:120], "dispute_reference": reference}
            for pk, description, reference in rows.values_list("pk", "description", "dispute__reference")}


def _reach_disputes(*, actor: Actor, target_ids: list[int]) -> dict[int, dict]:
    rows = disputes_visible(actor=actor).filter(pk__in=target_ids).filter(pk__in=dispute_ids_on_team(actor=actor))
    return {pk: {"title": title, "dispute_reference": reference}
            for pk, title, reference in rows.values_list("pk", "title", "reference")}


audience_register(SESSION_TARGET, _reach_sessions)
audience_register(ROUND_TARGET, _reach_rounds)
audience_register(ACTION_ITEM_TARGET, _reach_action_items)
# The "no session for N days" reminder is scheduled here, so its check lives here too.
audience_register(DISPUTE_TARGET, _reach_disputes)
