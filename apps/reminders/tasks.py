"""Celery tasks: ids in, services do the work; each is safe to run twice."""

from __future__ import annotations

from celery import shared_task

from apps.reminders import services


@shared_task(name="reminders.dispatch_due", ignore_result=True)
def dispatch_due_reminders() -> int:
    """Beat runs this every 60 s; overlapping runs are harmless (SKIP LOCKED)."""
    return services.reminders_dispatch()


# No Celery retry in either task: a failure is recorded on the row and the dispatcher retries
# it with back-off, so a retry survives a broker restart too.


@shared_task(name="reminders.deliver_batch", ignore_result=True)
def deliver_reminders(reminder_ids: list[int]) -> dict[int, str]:
    """The dispatcher's task: up to services.DELIVERY_CHUNK claimed reminders."""
    return services._deliver_batch(reminder_ids=reminder_ids)


@shared_task(name="reminders.deliver", ignore_result=True)
def deliver_reminder(reminder_id: int) -> str:
    # Kept for messages already queued by an older dispatcher, and for one-off calls.
    return services.reminder_deliver(reminder_id=reminder_id)
