"""Reminders: the API the domain calls, the dispatcher and the delivery (DESIGN.md §4).

Domain services call, inside their own transaction:

* ``reminders_replace_for(organisation=..., target_type=..., target_id=..., specs=[...])``
  whenever a target's times change (scheduled, rescheduled, held, deadline set): pending
  reminders not in ``specs`` are cancelled, those whose time changed are moved, new ones
  are created. Specs come from the ``specs_*`` helpers below, which know the rules.
* ``reminders_cancel_for(target_type=..., target_id=..., kinds=None)`` when a target goes away.
* ``reminder_schedule(...)`` / ``reminder_cancel(...)`` for one reminder by its key.

Nothing here talks to the broker while scheduling: a request never waits on Redis. The
dispatcher (beat, every 60 s) claims and leases due rows in one UPDATE over a FOR UPDATE
SKIP LOCKED subquery, and enqueues one delivery task per DELIVERY_CHUNK reminders after
commit. Delivery is idempotent per (reminder, recipient): in-app notices by a unique
constraint, e-mails by a locked row marked sent in the same commit as the send.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import smtplib
import time
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.policies import ensure_may_administer
from apps.common.errors import ApplicationError
from apps.common.services import audit_record, model_update
from apps.reminders.audience import audience_reach
from apps.reminders.models import (
    EmailDelivery,
    Notification,
    NotificationPreference,
    Reminder,
    ReminderKind,
    ReminderRecipient,
    ReminderRules,
)
from apps.reminders.rendering import render_reminder

if TYPE_CHECKING:
    from apps.accounts.actors import Actor
    from apps.accounts.models import Organisation, User

logger = logging.getLogger(__name__)

# A claimed row is re-claimed after the lease: longer than the task time limit (120 s) plus
# a reasonable queue wait, so a healthy worker is rarely raced; a duplicate task is harmless.
LEASE = dt.timedelta(minutes=10)
MAX_ATTEMPTS = 5
BACKOFF_BASE = dt.timedelta(minutes=1)
BACKOFF_MAX = dt.timedelta(hours=1)
# When the broker refused the task, try again soon rather than after a whole lease.
ENQUEUE_RETRY = dt.timedelta(minutes=1)
BATCH_SIZE = 200
# Reminders per delivery task: one commit for their notices, one mail connection for their e-mails.
DELIVERY_CHUNK = 50
# Day-based deadlines (action items, commitments) remind at this local time.
DAY_REMINDER_TIME = dt.time(8, 0)

ACTIVE = (Reminder.Status.PENDING, Reminder.Status.SENDING)


# --- The API the domain calls -------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderSpec:
    """One reminder a target should have. ``key`` is stable across reschedules."""

    kind: str
    key: str
    target_type: str
    target_id: int
    due_at: dt.datetime
    recipient_ids: tuple[int, ...]
    context: Mapping[str, Any] = field(default_factory=dict)
    dispute_id: int | None = None


def _recipient_ids(recipients: Iterable[User | int]) -> tuple[int, ...]:
    return tuple(sorted({r if isinstance(r, int) else r.pk for r in recipients}))


def _check_due_at(due_at: dt.datetime) -> dt.datetime:
    if timezone.is_naive(due_at):
        raise ApplicationError(_("A reminder's time must carry a time zone."), field="due_at")
    return due_at.astimezone(dt.UTC)


@transaction.atomic
def reminder_schedule(
    *,
    organisation: Organisation,
    kind: str,
    target_type: str,
    target_id: int,
    due_at: dt.datetime,
    recipients: Iterable[User | int],
    context: Mapping[str, Any],
    key: str,
    dispute_id: int | None = None,
) -> Reminder:
    """Create the reminder with this key, or move the pending one that has it.

    Scheduling the same key and time again is a no-op even after it was sent, so a caller may
    replay its specs freely; a new time after it was sent creates a fresh reminder.
    """
    if kind not in ReminderKind.values:
        raise ApplicationError(_("Unknown reminder kind."), field="kind")
    due_at = _check_due_at(due_at)
    recipient_ids = _recipient_ids(recipients)
    values = {
        "kind": kind,
        "target_type": target_type,
        "target_id": target_id,
        "dispute_id": dispute_id,
        "context": dict(context),
    }
    # A row another transaction has inserted but not committed is neither seen nor locked by
    # SELECT … FOR UPDATE, so two schedulers of one key would both insert. A transaction-level
    # advisory lock on (organisation, key) makes the second wait for the first to finish.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"reminder:{organisation.pk}:{key}"])
    pending = (
        Reminder.objects.select_for_update()
        .filter(organisation=organisation, key=key, status=Reminder.Status.PENDING)
        .first()
    )
    if pending is not None:
        if pending.attempts == 0 or pending.due_at == due_at:
            for name, value in values.items():
                setattr(pending, name, value)
            if pending.due_at != due_at:
                pending.due_at = pending.next_attempt_at = due_at
            pending.save()
            pending.recipients.set(recipient_ids)
            return pending
        # Partly delivered (quiet hours, back-off) and now moved: its notices were for the
        # old time, so the new time gets a fresh reminder that may notify everyone again.
        pending.status = Reminder.Status.CANCELLED
        pending.save(update_fields=["status", "updated_at"])
    else:
        done = (
            Reminder.objects.filter(organisation=organisation, key=key, due_at=due_at)
            .exclude(status=Reminder.Status.CANCELLED)
            .first()
        )
        if done is not None:
            return done
    reminder = Reminder.objects.create(
        organisation=organisation, key=key, due_at=due_at, next_attempt_at=due_at, **values
    )
    reminder.recipients.set(recipient_ids)
    return reminder


@transaction.atomic
def reminder_cancel(*, organisation: Organisation, key: str) -> int:
    return Reminder.objects.filter(organisation=organisation, key=key, status__in=ACTIVE).update(
        status=Reminder.Status.CANCELLED, updated_at=timezone.now()
    )


@transaction.atomic
def reminders_cancel_for(*, target_type: str, target_id: int, kinds: Iterable[str] | None = None) -> int:
    """Cancel the target's pending reminders (and in-flight ones: delivery checks the status first)."""
    qs = Reminder.objects.filter(target_type=target_type, target_id=target_id, status__in=ACTIVE)
    if kinds is not None:
        qs = qs.filter(kind__in=list(kinds))
    return qs.update(status=Reminder.Status.CANCELLED, updated_at=timezone.now())


@transaction.atomic
def reminders_replace_for(
    *, organisation: Organisation, target_type: str, target_id: int, specs: Iterable[ReminderSpec]
) -> list[Reminder]:
    """Make the target's pending reminders exactly ``specs``: cancel, move, create."""
    specs = list(specs)
    for spec in specs:
        if (spec.target_type, spec.target_id) != (target_type, target_id):
            raise ValueError(f"spec {spec.key} belongs to {spec.target_type}#{spec.target_id}")
    keys = {spec.key for spec in specs}
    # Lock first, so a concurrent replace for the same target waits instead of interleaving.
    current = list(
        Reminder.objects.select_for_update()
        .filter(target_type=target_type, target_id=target_id, status__in=ACTIVE)
        .values_list("pk", "key")
    )
    stale = [pk for pk, key in current if key not in keys]
    if stale:
        Reminder.objects.filter(pk__in=stale).update(status=Reminder.Status.CANCELLED, updated_at=timezone.now())
    return [
        reminder_schedule(
            organisation=organisation,
            kind=spec.kind,
            target_type=spec.target_type,
            target_id=spec.target_id,
            due_at=spec.due_at,
            recipients=spec.recipient_ids,
            context=spec.context,
            key=spec.key,
            dispute_id=spec.dispute_id,
        )
        for spec in specs
    ]


def reminder_rules_for(*, organisation: Organisation) -> ReminderRules:
    """The organisation's rules, or an unsaved instance holding the defaults (reading never writes)."""
    rules = ReminderRules.objects.filter(organisation=organisation).first()
    return rules if rules is not None else ReminderRules(organisation=organisation)


RULE_FIELDS = [
    "session_upcoming_hours",
    "shuttle_follow_up_hours",
    "proposal_response_hours_before",
    "action_item_days_before",
    "provision_days_before",
    "dispute_stale_days",
    "quiet_hours_enabled",
    "quiet_hours_start",
    "quiet_hours_end",
]


@transaction.atomic
def reminder_rules_update(*, actor: Actor, data: Mapping[str, Any]) -> ReminderRules:
    """Only an organisation admin sets the rules; they apply to reminders scheduled from now on."""
    ensure_may_administer(actor=actor, organisation_id=actor.organisation.pk, what=_("the reminder rules"))
    rules, _created = ReminderRules.objects.select_for_update().get_or_create(organisation=actor.organisation)
    rules, before, after = model_update(instance=rules, fields=RULE_FIELDS, data=dict(data))
    if before:
        audit_record(actor=actor, action="reminders.rules.updated", target=rules, before=before, after=after)
    return rules


# --- Specs: domain events to reminders, without importing the domain ----------------------------
# Target types are the domain's "<app_label>.<model_name>"; keys embed the target id, so they
# are unique per organisation. Reminders already due when a spec is computed are left out:
# a session booked 30 minutes ahead gets no "24 hours before" notice.


def _future(specs: list[ReminderSpec], now: dt.datetime | None) -> list[ReminderSpec]:
    now = now or timezone.now()
    return [s for s in specs if s.due_at > now]


def _local(day: dt.date, at: dt.time, tz: str) -> dt.datetime:
    return dt.datetime.combine(day, at, tzinfo=zoneinfo.ZoneInfo(tz or "UTC")).astimezone(dt.UTC)


def specs_session_upcoming(
    *,
    session_id: int,
    starts_at: dt.datetime,
    venue_tz: str,
    title: str,
    dispute_id: int | None,
    dispute_reference: str,
    recipients: Iterable[User | int],
    rules: ReminderRules,
    url: str = "",
    target_type: str = "mediation_sessions.mediationsession",
    now: dt.datetime | None = None,
) -> list[ReminderSpec]:
    """``rules.session_upcoming_hours`` before the start (absolute hours, so right across DST)."""
    starts_at = _check_due_at(starts_at)
    ids = _recipient_ids(recipients)
    specs = [
        ReminderSpec(
            kind=ReminderKind.SESSION_UPCOMING,
            key=f"session:{session_id}:upcoming:{hours}h",
            target_type=target_type,
            target_id=session_id,
            due_at=starts_at - dt.timedelta(hours=hours),
            recipient_ids=ids,
            dispute_id=dispute_id,
            context={
                "title": title,
                "dispute_reference": dispute_reference,
                "event_at": starts_at.isoformat(),
                "venue_tz": venue_tz,
                "hours_before": hours,
                "url": url,
            },
        )
        for hours in sorted(set(rules.session_upcoming_hours or []), reverse=True)
    ]
    return _future(specs, now)


def specs_shuttle_follow_up(
    *,
    shuttle_round_id: int,
    party_id: int,
    party_name: str,
    visited_at: dt.datetime,
    venue_tz: str,
    title: str,
    dispute_id: int | None,
    dispute_reference: str,
    recipients: Iterable[User | int],
    rules: ReminderRules,
    url: str = "",
    target_type: str = "mediation_sessions.shuttleround",
) -> list[ReminderSpec]:
    """A party visited and not visited again (or answered) within N hours.

    Call it again on each visit to that party (same key: the reminder moves); cancel with
    ``reminder_cancel(key=spec.key)`` when the party answers.
    """
    visited_at = _check_due_at(visited_at)
    return [
        ReminderSpec(
            kind=ReminderKind.SHUTTLE_FOLLOW_UP,
            key=f"shuttle:{shuttle_round_id}:party:{party_id}:follow_up",
            target_type=target_type,
            target_id=shuttle_round_id,
            due_at=visited_at + dt.timedelta(hours=rules.shuttle_follow_up_hours),
            recipient_ids=_recipient_ids(recipients),
            dispute_id=dispute_id,
            context={
                "title": title,
                "party": party_name,
                "dispute_reference": dispute_reference,
                "event_at": visited_at.isoformat(),
                "venue_tz": venue_tz,
                "url": url,
            },
        )
    ]


def specs_proposal_response(
    *,
    proposal_id: int,
    deadline: dt.datetime,
    title: str,
    dispute_id: int | None,
    dispute_reference: str,
    recipients: Iterable[User | int],
    rules: ReminderRules,
    venue_tz: str = "",
    url: str = "",
    target_type: str = "negotiations.proposal",
    now: dt.datetime | None = None,
) -> list[ReminderSpec]:
    """N hours before the response deadline, and when it passes."""
    deadline = _check_due_at(deadline)
    ids = _recipient_ids(recipients)
    context = {
        "title": title,
        "dispute_reference": dispute_reference,
        "event_at": deadline.isoformat(),
        "venue_tz": venue_tz,
        "url": url,
    }
    specs = []
    if rules.proposal_response_hours_before:
        specs.append(
            ReminderSpec(
                kind=ReminderKind.PROPOSAL_RESPONSE_DUE,
                key=f"proposal:{proposal_id}:response:due",
                target_type=target_type,
                target_id=proposal_id,
                due_at=deadline - dt.timedelta(hours=rules.proposal_response_hours_before),
                recipient_ids=ids,
                dispute_id=dispute_id,
                context=context,
            )
        )
    specs.append(
        ReminderSpec(
            kind=ReminderKind.PROPOSAL_RESPONSE_OVERDUE,
            key=f"proposal:{proposal_id}:response:overdue",
            target_type=target_type,
            target_id=proposal_id,
            due_at=deadline,
            recipient_ids=ids,
            dispute_id=dispute_id,
            context=context,
        )
    )
    return _future(specs, now)


def _day_specs(
    *,
    prefix: str,
    kinds: tuple[str, str | None, str],
    target_type: str,
    target_id: int,
    day: dt.date,
    tz: str,
    days_before: int,
    context: dict[str, Any],
    recipient_ids: tuple[int, ...],
    dispute_id: int | None,
    now: dt.datetime | None,
) -> list[ReminderSpec]:
    before_kind, today_kind, overdue_kind = kinds
    plan: list[tuple[str, str, dt.datetime]] = []
    if days_before:
        plan.append((before_kind, "due", _local(day - dt.timedelta(days=days_before), DAY_REMINDER_TIME, tz)))
    if today_kind:
        plan.append((today_kind, "today", _local(day, DAY_REMINDER_TIME, tz)))
    # Overdue the morning after the day has ended in the deadline's zone.
    plan.append((overdue_kind, "overdue", _local(day + dt.timedelta(days=1), DAY_REMINDER_TIME, tz)))
    specs = [
        ReminderSpec(
            kind=kind,
            key=f"{prefix}:{target_id}:{suffix}",
            target_type=target_type,
            target_id=target_id,
            due_at=due_at,
            recipient_ids=recipient_ids,
            dispute_id=dispute_id,
            context={**context, "event_date": day.isoformat(), "days": days_before},
        )
        for kind, suffix, due_at in plan
    ]
    return _future(specs, now)


def specs_action_item(
    *,
    action_item_id: int,
    due_date: dt.date,
    tz: str,
    title: str,
    dispute_id: int | None,
    dispute_reference: str,
    recipients: Iterable[User | int],
    rules: ReminderRules,
    url: str = "",
    target_type: str = "mediation_sessions.actionitem",
    now: dt.datetime | None = None,
) -> list[ReminderSpec]:
    """N days before the due date and when it is overdue; ``tz`` decides where the day falls."""
    return _day_specs(
        prefix="action_item",
        kinds=(ReminderKind.ACTION_ITEM_DUE, None, ReminderKind.ACTION_ITEM_OVERDUE),
        target_type=target_type,
        target_id=action_item_id,
        day=due_date,
        tz=tz,
        days_before=rules.action_item_days_before,
        context={"title": title, "dispute_reference": dispute_reference, "url": url},
        recipient_ids=_recipient_ids(recipients),
        dispute_id=dispute_id,
        now=now,
    )


def specs_provision_deadline(
    *,
    provision_id: int,
    deadline: dt.date,
    tz: str,
    title: str,
    dispute_id: int | None,
    dispute_reference: str,
    recipients: Iterable[User | int],
    rules: ReminderRules,
    url: str = "",
    target_type: str = "agreements.provision",
    now: dt.datetime | None = None,
) -> list[ReminderSpec]:
    """N days before, on the day, and overdue (the morning after)."""
    return _day_specs(
        prefix="provision",
        kinds=(ReminderKind.PROVISION_DUE, ReminderKind.PROVISION_DUE_TODAY, ReminderKind.PROVISION_OVERDUE),
        target_type=target_type,
        target_id=provision_id,
        day=deadline,
        tz=tz,
        days_before=rules.provision_days_before,
        context={"title": title, "dispute_reference": dispute_reference, "url": url},
        recipient_ids=_recipient_ids(recipients),
        dispute_id=dispute_id,
        now=now,
    )


def specs_dispute_stale(
    *,
    dispute_id: int,
    dispute_reference: str,
    title: str,
    last_session_at: dt.datetime,
    recipients: Iterable[User | int],
    rules: ReminderRules,
    url: str = "",
    target_type: str = "disputes.dispute",
) -> list[ReminderSpec]:
    """"No session for N days" as one reminder due N days after the latest session.

    Replace it (same key) whenever a session is scheduled or held, cancel it when the
    dispute closes: no periodic scan, and a quiet dispute is noticed to the minute.
    """
    last_session_at = _check_due_at(last_session_at)
    return [
        ReminderSpec(
            kind=ReminderKind.DISPUTE_STALE,
            key=f"dispute:{dispute_id}:stale",
            target_type=target_type,
            target_id=dispute_id,
            due_at=last_session_at + dt.timedelta(days=rules.dispute_stale_days),
            recipient_ids=_recipient_ids(recipients),
            dispute_id=dispute_id,
            context={
                "title": title,
                "dispute_reference": dispute_reference,
                "days": rules.dispute_stale_days,
                "event_at": last_session_at.isoformat(),
                "url": url,
            },
        )
    ]


# --- Notifications (the user's own) -------------------------------------------------------------


def notification_mark_read(*, actor: Actor, notification_id: int) -> int:
    return Notification.objects.filter(
        pk=notification_id, recipient_id=actor.user_id, organisation=actor.organisation, read_at__isnull=True
    ).update(read_at=timezone.now())


def notification_mark_all_read(*, actor: Actor) -> int:
    return Notification.objects.filter(
        recipient_id=actor.user_id, organisation=actor.organisation, read_at__isnull=True
    ).update(read_at=timezone.now())


# --- Dispatch -----------------------------------------------------------------------------------


def reminders_dispatch(
    *, now: dt.datetime | None = None, batch_size: int = BATCH_SIZE, max_batches: int = 50
) -> int:
    """Claim due reminders batch by batch and enqueue their delivery; returns how many were enqueued.

    Safe to run concurrently (SKIP LOCKED) and to interrupt anywhere: a claimed row whose
    task never ran is reclaimed when its lease ends.
    """
    now = now or timezone.now()
    total = 0
    for _batch in range(max_batches):
        outcome: dict[str, int] = {"enqueued": 0, "refused": 0}
        with transaction.atomic():
            ids = _claim_batch(now=now, batch_size=batch_size)
            if ids:
                transaction.on_commit(lambda ids=ids, outcome=outcome: outcome.update(_enqueue(ids=ids, now=now)))
        total += outcome["enqueued"]
        if len(ids) < batch_size or outcome["refused"]:
            break
    return total


def _claim_batch(*, now: dt.datetime, batch_size: int) -> list[int]:
    """Lease up to ``batch_size`` due rows in one statement; returns the ids to deliver.

    One UPDATE over a ``SELECT … FOR UPDATE SKIP LOCKED`` subquery: no second round trip
    with 500 parameters, and a row that ran out of attempts (a reminder that kills its
    worker) is marked failed by the same statement instead of being leased again.
    """
    table = Reminder._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} AS r SET
                status = CASE WHEN r.attempts >= %(max)s THEN %(failed)s ELSE %(sending)s END,
                next_attempt_at = CASE WHEN r.attempts >= %(max)s THEN r.next_attempt_at ELSE %(lease)s END,
                attempts = CASE WHEN r.attempts >= %(max)s THEN r.attempts ELSE r.attempts + 1 END,
                last_error = CASE WHEN r.attempts >= %(max)s THEN %(gave_up)s ELSE r.last_error END,
                updated_at = %(now)s
            WHERE r.id IN (
                SELECT id FROM {table}
                WHERE status IN (%(pending)s, %(sending)s) AND next_attempt_at <= %(now)s
                ORDER BY next_attempt_at
                LIMIT %(limit)s
                FOR UPDATE SKIP LOCKED
            )
            RETURNING r.id, r.status
            """,  # noqa: S608 (the table is the model's own name; every value is a parameter)
            {
                "max": MAX_ATTEMPTS,
                "failed": str(Reminder.Status.FAILED),
                "sending": str(Reminder.Status.SENDING),
                "pending": str(Reminder.Status.PENDING),
                "lease": now + LEASE,
                "gave_up": f"Gave up after {MAX_ATTEMPTS} attempts: the delivery never finished.",
                "now": now,
                "limit": batch_size,
            },
        )
        rows = cursor.fetchall()
    return sorted(pk for pk, status in rows if status == Reminder.Status.SENDING)


def _enqueue(*, ids: list[int], now: dt.datetime) -> dict[str, int]:
    """Publish one task per chunk of ids. A broker that refuses puts the rest back to pending, soon."""
    from apps.reminders.tasks import deliver_reminders  # tasks import this module

    sent = 0
    try:
        with deliver_reminders.app.producer_or_acquire() as producer:
            for start in range(0, len(ids), DELIVERY_CHUNK):
                chunk = ids[start : start + DELIVERY_CHUNK]
                # A message older than the lease is redundant: the rows were re-claimed meanwhile.
                deliver_reminders.apply_async(args=[chunk], producer=producer, expires=LEASE.total_seconds())
                sent += len(chunk)
    except Exception:
        logger.exception("reminders: the broker refused %d delivery task(s); they stay pending", len(ids) - sent)
        Reminder.objects.filter(pk__in=ids[sent:], status=Reminder.Status.SENDING).update(
            status=Reminder.Status.PENDING,
            next_attempt_at=now + ENQUEUE_RETRY,
            attempts=F("attempts") - 1,
            updated_at=timezone.now(),
        )
        return {"enqueued": sent, "refused": len(ids) - sent}
    return {"enqueued": sent, "refused": 0}


# --- Delivery -----------------------------------------------------------------------------------


def _test_pause() -> None:
    # Lets the fault tests kill a worker in the middle of a batch; inert outside test runs.
    delay = os.environ.get("PEACECASE_REMINDERS_TEST_DELIVERY_DELAY")
    if delay and settings.TESTING:
        time.sleep(float(delay))


def quiet_until(*, rules: ReminderRules, tz: zoneinfo.ZoneInfo, now: dt.datetime) -> dt.datetime | None:
    """The end of the quiet hours ``now`` falls in, in the recipient's zone; None outside them."""
    if not rules.quiet_hours_enabled or rules.quiet_hours_start == rules.quiet_hours_end:
        return None
    local = now.astimezone(tz)
    start, end, t = rules.quiet_hours_start, rules.quiet_hours_end, local.time()
    if start < end:
        inside, end_day = start <= t < end, local.date()
    else:  # the window spans midnight, e.g. 21:00–07:00
        inside = t >= start or t < end
        end_day = local.date() + dt.timedelta(days=1) if t >= start else local.date()
    if not inside:
        return None
    return dt.datetime.combine(end_day, end, tzinfo=tz).astimezone(dt.UTC)


def _backoff(attempts: int) -> dt.timedelta:
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


def reminder_deliver(*, reminder_id: int, now: dt.datetime | None = None) -> str:
    """Deliver one claimed reminder (a batch of one); safe to run twice, or after a crash.

    Returns what happened: skipped / sent / deferred / retry / failed.
    """
    return _deliver_batch(reminder_ids=[reminder_id], now=now)[reminder_id]


@dataclass
class _Outcome:
    reminder: Reminder
    errors: list[str] = field(default_factory=list)
    deferred: list[dt.datetime] = field(default_factory=list)


@dataclass
class _Email:
    delivery_id: int
    outcome: _Outcome
    message: EmailMessage


# The mail server answered for this one message; any other error is the server or the
# connection, and the batch stops sending rather than waiting out a timeout per message.
_MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


def _deliver_batch(*, reminder_ids: Sequence[int], now: dt.datetime | None = None) -> dict[int, str]:
    """Deliver a batch of claimed reminders; safe to run twice, concurrently, or after a crash.

    In-app notices and e-mail rows of the whole batch are written in one commit (unique
    (reminder, recipient) pairs, conflicts ignored, so a second run adds nothing); each e-mail
    then goes out over one mail connection in its own short transaction that marks its row
    sent conditionally, so a concurrent runner waits on the row and finds it sent. The query
    count does not grow with the batch, except three statements per e-mail actually sent.

    Returns {reminder id: skipped / sent / deferred / retry / failed}.
    """
    now = now or timezone.now()
    results = dict.fromkeys(reminder_ids, "skipped")
    reminders = list(Reminder.objects.filter(pk__in=list(results), status=Reminder.Status.SENDING).order_by("pk"))
    if not reminders:
        return results  # cancelled, already sent, or reclaimed and finished by another task
    rules = _rules_by_organisation({r.organisation_id for r in reminders})
    links = (
        ReminderRecipient.objects.filter(reminder__in=reminders, user__is_active=True)
        .select_related("user", "user__notification_preference")
        .order_by("reminder_id", "user_id")
    )
    outcomes = {r.pk: _Outcome(reminder=r) for r in reminders}
    stored: dict[int, list[User]] = {}
    for link in links:
        stored.setdefault(link.reminder_id, []).append(link.user)
    # Who may be told, and what, is decided now, not when the reminder was scheduled (DESIGN.md §3b).
    reach, unknown = audience_reach(reminders=reminders, recipients=stored)
    for outcome in outcomes.values():
        if outcome.reminder.target_type in unknown:
            outcome.errors.append(f"No recipient check for {outcome.reminder.target_type}: nothing sent.")
    notices: list[Notification] = []
    emails: dict[tuple[int, int], tuple[User, Any]] = {}
    for reminder_id, people in stored.items():
        reminder = outcomes[reminder_id].reminder
        for user in people:
            context = reach.get((reminder_id, user.pk))
            if context is None:
                continue  # no longer a member, on the team, or able to see the target: nothing at all
            _prepare(reminder, user, context, notices, emails)

    with transaction.atomic():
        if notices:
            Notification.objects.bulk_create(notices, ignore_conflicts=True)
        if emails:
            EmailDelivery.objects.bulk_create(
                [
                    EmailDelivery(reminder_id=reminder_id, recipient_id=user_id, email=user.email)
                    for (reminder_id, user_id), (user, _rendered) in emails.items()
                ],
                ignore_conflicts=True,
            )

    to_send: list[_Email] = []
    if emails:
        quiet: list[EmailDelivery] = []
        pending = EmailDelivery.objects.filter(reminder__in=reminders).exclude(status=EmailDelivery.Status.SENT)
        for delivery in pending.only("pk", "reminder_id", "recipient_id", "email"):
            wanted = emails.get((delivery.reminder_id, delivery.recipient_id))
            if wanted is None:
                continue  # e-mail turned off, or no longer a recipient, since the row was made
            user, rendered = wanted
            outcome = outcomes[delivery.reminder_id]
            morning = quiet_until(rules=rules[outcome.reminder.organisation_id], tz=user.tzinfo, now=now)
            if morning is not None:
                delivery.not_before = morning
                quiet.append(delivery)
                outcome.deferred.append(morning)
                continue
            message = EmailMessage(rendered.email_subject, rendered.email_body, to=[delivery.email])
            to_send.append(_Email(delivery_id=delivery.pk, outcome=outcome, message=message))
        if quiet:
            EmailDelivery.objects.bulk_update(quiet, ["not_before"])
    if to_send:
        _send_emails(to_send)

    finished = _finish_batch(list(outcomes.values()), now=now)
    results.update(finished)
    return results


def _prepare(
    reminder: Reminder,
    user: User,
    context: dict[str, Any],
    notices: list[Notification],
    emails: dict[tuple[int, int], tuple[User, Any]],
) -> None:
    """Render one recipient's notice and e-mail from the context they may read now, per their preferences."""
    try:
        preference = user.notification_preference
    except NotificationPreference.DoesNotExist:
        preference = NotificationPreference(user=user)
    send_email = preference.email and bool(user.email)
    if not (preference.in_app or send_email):
        return
    rendered = render_reminder(reminder=reminder, user=user, context=context)
    if preference.in_app:
        notices.append(
            Notification(
                reminder=reminder,
                recipient_id=user.pk,
                organisation_id=reminder.organisation_id,
                title=rendered.title,
                body=rendered.body,
                url=rendered.url,
            )
        )
    if send_email:
        emails[(reminder.pk, user.pk)] = (user, rendered)


def _rules_by_organisation(organisation_ids: set[int]) -> dict[int, ReminderRules]:
    found = {r.organisation_id: r for r in ReminderRules.objects.filter(organisation_id__in=organisation_ids)}
    return {pk: found.get(pk) or ReminderRules(organisation_id=pk) for pk in organisation_ids}


class _NotSent(Exception):
    pass


def _send_emails(emails: list[_Email]) -> None:
    """Send each e-mail at most once, over one connection.

    Per e-mail, one transaction: the conditional UPDATE marks the row sent (and locks it)
    before the message goes out; a failure rolls the mark back. So the row stays locked from
    the check to the commit that marks it sent, and a second runner blocks on it, then skips
    it. A crash between the mail server's acceptance and that commit is the one window in
    which an e-mail can go twice (one e-mail, never the batch); nothing short of a
    transactional mail server closes it.
    """
    mailer = mailers.default
    broken: str | None = None
    try:
        for n, email in enumerate(emails):
            _test_pause()
            if broken is None and n == 0:
                try:
                    mailer.open()
                except Exception as exc:
                    broken = f"{type(exc).__name__}: {exc}"
            if broken is not None:
                _email_failed(email, broken, tried=False)
                continue
            try:
                with transaction.atomic():
                    marked = (
                        EmailDelivery.objects.filter(pk=email.delivery_id)
                        .exclude(status=EmailDelivery.Status.SENT)
                        .update(
                            status=EmailDelivery.Status.SENT,
                            sent_at=timezone.now(),
                            attempts=F("attempts") + 1,
                            last_error="",
                        )
                    )
                    if not marked:
                        continue  # another runner sent it meanwhile
                    try:
                        mailer.send_messages([email.message])
                    except Exception as exc:
                        raise _NotSent(exc) from exc
            except _NotSent as failure:
                exc = failure.__cause__
                error = f"{type(exc).__name__}: {exc}"
                _email_failed(email, error, tried=True)
                if not isinstance(exc, _MESSAGE_ERRORS):
                    broken = error
    finally:
        with contextlib.suppress(Exception):
            mailer.close()


def _email_failed(email: _Email, error: str, *, tried: bool) -> None:
    reminder = email.outcome.reminder
    error = error[:2000]
    EmailDelivery.objects.filter(pk=email.delivery_id).exclude(status=EmailDelivery.Status.SENT).update(
        attempts=F("attempts") + (1 if tried else 0),
        last_error=error,
        status=EmailDelivery.Status.FAILED if reminder.attempts >= MAX_ATTEMPTS else EmailDelivery.Status.PENDING,
    )
    email.outcome.errors.append(f"{email.message.to[0]}: {error}")


def _finish_batch(outcomes: list[_Outcome], *, now: dt.datetime) -> dict[int, str]:
    """Set each reminder's end state; conditional on SENDING, so a cancel that arrived meanwhile stays."""
    results: dict[int, str] = {}
    sent: list[int] = []
    others: list[Reminder] = []
    for outcome in outcomes:
        reminder = outcome.reminder
        if outcome.errors:
            reminder.last_error = "\n".join(outcome.errors)[:4000]
            if reminder.attempts >= MAX_ATTEMPTS:
                logger.warning("reminders: reminder %s failed after %s attempts", reminder.pk, reminder.attempts)
                reminder.status, results[reminder.pk] = Reminder.Status.FAILED, "failed"
            else:
                retry_at = now + _backoff(reminder.attempts)
                if outcome.deferred:
                    retry_at = min(retry_at, *outcome.deferred)
                reminder.status, reminder.next_attempt_at = Reminder.Status.PENDING, retry_at
                results[reminder.pk] = "retry"
        elif outcome.deferred:
            # The attempt still counts (attempts = claims), which also tells reminder_schedule that
            # notices went out for this time and a move needs a fresh reminder.
            reminder.status, reminder.next_attempt_at = Reminder.Status.PENDING, min(outcome.deferred)
            results[reminder.pk] = "deferred"
        else:
            sent.append(reminder.pk)
            results[reminder.pk] = "sent"
            continue
        reminder.updated_at = now
        others.append(reminder)
    mine = Reminder.objects.filter(status=Reminder.Status.SENDING)
    if sent:
        mine.filter(pk__in=sent).update(
            status=Reminder.Status.SENT, sent_at=timezone.now(), last_error="", updated_at=now
        )
    if others:
        mine.bulk_update(others, ["status", "next_attempt_at", "last_error", "updated_at"])
    return results
