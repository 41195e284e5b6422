from __future__ import annotations

from celery import shared_task

from apps.webhooks.services import webhook_delivery_attempt, webhook_sweep


@shared_task(name="webhooks.deliver", ignore_result=True)
def deliver_webhook(delivery_id: int) -> None:
    # Retries are scheduled by the service from the database row, not by Celery's retry:
    # the row survives a lost message, and the sweep finds it.
    webhook_delivery_attempt(delivery_id=delivery_id)


@shared_task(name="webhooks.sweep", ignore_result=True)
def sweep_webhooks() -> int:
    return webhook_sweep()
