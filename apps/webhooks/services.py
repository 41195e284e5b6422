"""Webhooks: a layer below the domain. Domain services call webhook_emit in their transaction."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from typing import Any

import orjson
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.actors import Actor
from apps.accounts.models import Organisation
from apps.accounts.policies import ensure_may_administer
from apps.common.errors import ApplicationError
from apps.common.services import audit_record, model_update
from apps.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from apps.webhooks.transport import UnsafeURL, generate_secret, resolve_safely, send, sign

# A claimed delivery is not re-sent by the sweep before this, so a slow receiver is not hit twice.
CLAIM_LEASE = timedelta(minutes=2)
# The sweep leaves a due delivery this long to its own task before deciding the task was lost.
SWEEP_GRACE = timedelta(seconds=30)
# Keys that would carry what was said; webhook payloads refer to records, they never quote them.
FORBIDDEN_PAYLOAD_KEYS = frozenset({"note", "notes", "note_text", "text", "body", "content", "summary"})


def _max_attempts() -> int:
    return int(getattr(settings, "WEBHOOKS_MAX_ATTEMPTS", 8))


def _backoff(attempts: int) -> timedelta:
    base = float(getattr(settings, "WEBHOOKS_RETRY_BASE_SECONDS", 30))
    cap = float(getattr(settings, "WEBHOOKS_RETRY_MAX_SECONDS", 6 * 3600))
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def _check_payload(value: Any, path: str = "payload") -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if str(key).lower() in FORBIDDEN_PAYLOAD_KEYS:
                raise ValueError(f"{path}.{key}: webhook payloads never carry note or proposal text")
            _check_payload(item, f"{path}.{key}")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_payload(item, f"{path}[{i}]")


def _enqueue(delivery_ids: list[int], countdown: float | None = None) -> None:
    from apps.webhooks.tasks import deliver_webhook

    for delivery_id in delivery_ids:
        deliver_webhook.apply_async((delivery_id,), countdown=countdown)


@transaction.atomic
def webhook_emit(*, organisation: Organisation, event: str, payload: dict[str, Any]) -> list[WebhookDelivery]:
    """Queue ``event`` for every active endpoint of the organisation that subscribed to it.

    Call it inside the domain service's transaction: the outbox rows commit or roll back with
    the change they announce, and delivery is enqueued only after the commit. ``payload`` holds
    ids, references, statuses and times (JSON types); keys that would carry text are refused.
    """
    if event not in WebhookEvent.values:
        raise ValueError(f"Unknown webhook event {event!r}")
    _check_payload(payload)
    # Round-trip now so a payload that is not JSON fails in the caller, not in a worker later.
    payload = orjson.loads(orjson.dumps(payload))
    endpoints = WebhookEndpoint.objects.filter(
        organisation=organisation, active=True, events__contains=[event]
    ).only("id")
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create([
        WebhookDelivery(
            endpoint=endpoint, event=event, payload=payload, webhook_id=f"msg_{uuid.uuid4().hex}",
            next_attempt_at=now,
        )
        for endpoint in endpoints
    ])
    if deliveries:
        ids = [d.pk for d in deliveries]
        # robust: a broker outage must not fail the committed request; the sweep will send them.
        transaction.on_commit(lambda: _enqueue(ids), robust=True)
    return deliveries


# --- endpoints (admins only) ------------------------------------------------------------------


def _require_admin(actor: Actor, organisation_id: int | None = None) -> None:
    ensure_may_administer(actor=actor, organisation_id=organisation_id or actor.organisation.pk, what=_("webhooks"))


def _clean_url(url: str) -> str:
    url = url.strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as exc:
        raise ApplicationError(_("Enter a valid http or https URL."), field="url") from exc
    try:
        resolve_safely(url)
    except UnsafeURL as exc:
        raise ApplicationError(str(exc), field="url") from exc
    return url


def _clean_events(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - set(WebhookEvent.values))
    if unknown:
        raise ApplicationError(
            _("Unknown events: %(events)s.") % {"events": ", ".join(unknown)}, field="events"
        )
    if not events:
        raise ApplicationError(_("Choose at least one event."), field="events")
    return sorted(set(events))


@transaction.atomic
def webhook_endpoint_create(
    *, actor: Actor, url: str, events: list[str], description: str = "", active: bool = True
) -> WebhookEndpoint:
    _require_admin(actor)
    endpoint = WebhookEndpoint(
        organisation=actor.organisation, url=_clean_url(url), events=_clean_events(events),
        description=description, active=active, secret=generate_secret(), created_by=actor.user,
    )
    endpoint.full_clean()
    endpoint.save()
    audit_record(
        actor=actor, action="webhooks.endpoint.created", target=endpoint,
        after={"url": endpoint.url, "events": endpoint.events, "active": endpoint.active},
    )
    return endpoint


@transaction.atomic
def webhook_endpoint_update(*, actor: Actor, endpoint: WebhookEndpoint, data: dict[str, Any]) -> WebhookEndpoint:
    _require_admin(actor, endpoint.organisation_id)
    data = dict(data)
    if "url" in data:
        data["url"] = _clean_url(data["url"])
    if "events" in data:
        data["events"] = _clean_events(data["events"])
    endpoint, before, after = model_update(
        instance=endpoint, fields=["url", "events", "description", "active"], data=data
    )
    if before:
        audit_record(actor=actor, action="webhooks.endpoint.updated", target=endpoint, before=before, after=after)
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, actor: Actor, endpoint: WebhookEndpoint) -> None:
    _require_admin(actor, endpoint.organisation_id)
    audit_record(
        actor=actor, action="webhooks.endpoint.deleted", target=endpoint,
        before={"url": endpoint.url, "events": endpoint.events},
    )
    endpoint.delete()


# --- delivery (Celery tasks call these) -------------------------------------------------------


def _body(delivery: WebhookDelivery) -> bytes:
    return orjson.dumps(
        {"type": delivery.event, "timestamp": delivery.created_at, "data": delivery.payload},
        option=orjson.OPT_UTC_Z,
    )


def webhook_delivery_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """Send one delivery once; safe to call twice (a claimed or finished delivery is skipped).

    The row is claimed in a short transaction (attempts + 1, leased), the HTTP call happens
    outside any transaction, then the outcome is recorded and a retry scheduled with back-off.
    """
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(pk=delivery_id, status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.FAILED])
            .first()
        )
        if delivery is None or (delivery.next_attempt_at is not None and delivery.next_attempt_at > now):
            return None  # finished, claimed by another worker, or an early duplicate
        if not delivery.endpoint.active:
            delivery.status = WebhookDelivery.Status.GIVEN_UP
            delivery.last_error = "The endpoint was deactivated."
            delivery.save(update_fields=["status", "last_error"])
            return delivery
        delivery.attempts += 1
        delivery.next_attempt_at = now + CLAIM_LEASE
        delivery.save(update_fields=["attempts", "next_attempt_at"])

    timestamp = int(time.time())
    body = _body(delivery)
    result = send(
        url=delivery.endpoint.url,
        body=body,
        headers={
            "webhook-id": delivery.webhook_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(
                secret=delivery.endpoint.secret, webhook_id=delivery.webhook_id, timestamp=timestamp, body=body
            ),
        },
    )

    done = timezone.now()
    delivery.last_status_code = result.status_code
    retry_in: timedelta | None = None
    if result.ok:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = done
        delivery.next_attempt_at = None
        delivery.last_error = ""
    else:
        delivery.last_error = result.error or f"HTTP {result.status_code}"
        if delivery.attempts >= _max_attempts():
            delivery.status = WebhookDelivery.Status.GIVEN_UP
            delivery.next_attempt_at = None
        else:
            retry_in = _backoff(delivery.attempts)
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.next_attempt_at = done + retry_in
    with transaction.atomic():
        delivery.save(update_fields=[
            "status", "delivered_at", "next_attempt_at", "last_status_code", "last_error",
        ])
        if retry_in is not None:
            transaction.on_commit(
                lambda: _enqueue([delivery.pk], countdown=retry_in.total_seconds()), robust=True
            )
    return delivery


def webhook_sweep(*, limit: int = 500) -> int:
    """Re-enqueue due deliveries whose task was lost (broker outage, worker crash)."""
    cutoff = timezone.now() - SWEEP_GRACE
    ids = list(
        WebhookDelivery.objects.filter(
            status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.FAILED], next_attempt_at__lte=cutoff
        ).order_by("next_attempt_at").values_list("pk", flat=True)[:limit]
    )
    _enqueue(ids)
    return len(ids)
