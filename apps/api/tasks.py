from __future__ import annotations

from celery import shared_task

from apps.api.services import idempotency_purge_expired


@shared_task(name="api.idempotency_purge", ignore_result=True)
def purge_idempotency_records() -> int:
    return idempotency_purge_expired()
