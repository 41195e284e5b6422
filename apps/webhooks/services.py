"""Webhooks: a layer below the domain. Domain services call webhook_emit in their transaction."""

from __future__ import annotations

import importlib
import random
import time
import uuid
from datetime import datetime, timedelta
from types import ModuleType
from typing import Any

import orjson
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.actors import Actor
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


# Replay of a time window re-sends at most this many deliveries per request.
REPLAY_LIMIT = 1000
# A rotated secret keeps signing at most this long next to the new one.
MAX_SECRET_OVERLAP = timedelta(days=7)


def _max_attempts() -> int:
    return int(getattr(settings, "WEBHOOKS_MAX_ATTEMPTS", 40))


def _retry_window() -> timedelta:
    return timedelta(hours=float(getattr(settings, "WEBHOOKS_RETRY_HOURS", 24)))


def _backoff(attempts: int) -> timedelta:
    """Exponential back-off with "equal jitter": half the delay fixed, half random.

    The jitter spreads retries of many deliveries that failed together (a receiver's outage)
    so they do not all come back at the same second.
    """
    base = float(getattr(settings, "WEBHOOKS_RETRY_BASE_SECONDS", 30))
    cap = float(getattr(settings, "WEBHOOKS_RETRY_MAX_SECONDS", 2 * 3600))
    delay = min(cap, base * 2 ** max(0, attempts - 1))
    return timedelta(seconds=delay / 2 + random.uniform(0, delay / 2))  # noqa: S311 - jitter, not a secret


def _audience() -> ModuleType:
    """The domain's module answering "whose integrations may read this dispute" (a layer above us).

    It provides ``dispute_audience(dispute_id=) -> list[organisation id]`` and
    ``dispute_readable_by(organisation=, dispute_id=) -> bool``.
    """
    return importlib.import_module(getattr(settings, "WEBHOOKS_AUDIENCE", "apps.disputes.audience"))


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


def _new_delivery(*, endpoint: WebhookEndpoint, event: str, payload: dict[str, Any], dispute_id: int | None,
                  now: datetime) -> WebhookDelivery:
    return WebhookDelivery(
        endpoint=endpoint, event=event, payload=payload, dispute_id=dispute_id,
        webhook_id=f"msg_{uuid.uuid4().hex}", next_attempt_at=now, retry_until=now + _retry_window(),
    )


@transaction.atomic
def webhook_emit(*, event: str, dispute_id: int, payload: dict[str, Any]) -> list[WebhookDelivery]:
    """Queue ``event`` about a dispute for every endpoint that may hear of it.

    The audience is every organisation whose integrations may read the dispute now (the owner
    and organisations with an active share, as a read-scoped API key of each would see it);
    each delivery is checked again just before it is sent, so a share revoked or a dispute
    restricted in between stops it. Call it inside the domain service's transaction: the outbox
    rows commit or roll back with the change they announce, and delivery is enqueued only after
    the commit. ``payload`` holds ids, references, statuses and times (JSON types); keys that
    would carry text are refused.
    """
    if event not in WebhookEvent.values or event == WebhookEvent.PING:
        raise ValueError(f"Unknown webhook event {event!r}")
    _check_payload(payload)
    # Round-trip now so a payload that is not JSON fails in the caller, not in a worker later.
    payload = orjson.loads(orjson.dumps(payload))
    subscribed = WebhookEndpoint.objects.filter(active=True, events__contains=[event])
    if not subscribed.exists():  # the common case costs one query
        return []
    audience = _audience().dispute_audience(dispute_id=dispute_id)
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create([
        _new_delivery(endpoint=endpoint, event=event, payload=payload, dispute_id=dispute_id, now=now)
        for endpoint in subscribed.filter(organisation_id__in=audience).only("id")
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
    unknown = sorted(set(events) - {value for value, _label in WebhookEvent.subscribable()})
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
    _require_own(actor, endpoint)
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
    _require_own(actor, endpoint)
    audit_record(
        actor=actor, action="webhooks.endpoint.deleted", target=endpoint,
        before={"url": endpoint.url, "events": endpoint.events},
    )
    endpoint.delete()


def _require_own(actor: Actor, endpoint: WebhookEndpoint) -> None:
    _require_admin(actor, endpoint.organisation_id)


def _secret_overlap() -> timedelta:
    return timedelta(hours=float(getattr(settings, "WEBHOOKS_SECRET_OVERLAP_HOURS", 24)))


@transaction.atomic
def webhook_endpoint_rotate_secret(
    *, actor: Actor, endpoint: WebhookEndpoint, overlap: timedelta | None = None
) -> tuple[WebhookEndpoint, str]:
    """Give the endpoint a new secret and return it (shown once).

    For ``overlap`` (default WEBHOOKS_SECRET_OVERLAP_HOURS, at most 7 days; zero ends the old
    secret at once) every delivery carries both signatures in ``webhook-signature``, so the
    receiver can switch secrets without rejecting anything. Rotating again during an overlap
    replaces the older secret: only the last two ever sign.
    """
    _require_own(actor, endpoint)
    overlap = _secret_overlap() if overlap is None else overlap
    if overlap < timedelta(0) or overlap > MAX_SECRET_OVERLAP:
        raise ApplicationError(_("The overlap must be between 0 and 7 days."), field="overlap")
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    now = timezone.now()
    if overlap:
        endpoint.previous_secret, endpoint.previous_secret_expires_at = endpoint.secret, now + overlap
    else:
        endpoint.previous_secret, endpoint.previous_secret_expires_at = "", None
    endpoint.secret = generate_secret()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
    audit_record(
        actor=actor, action="webhooks.endpoint.secret_rotated", target=endpoint,
        after={"previous_secret_expires_at": endpoint.previous_secret_expires_at.isoformat()
               if endpoint.previous_secret_expires_at else None},
    )
    return endpoint, endpoint.secret


@transaction.atomic
def webhook_endpoint_ping(*, actor: Actor, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Send a ``webhook.ping`` to this endpoint alone (it need not subscribe; it must be active)."""
    _require_own(actor, endpoint)
    if not endpoint.active:
        raise ApplicationError(_("Activate the endpoint before pinging it."), field="active")
    delivery = _new_delivery(
        endpoint=endpoint, event=WebhookEvent.PING, dispute_id=None, now=timezone.now(),
        payload={"endpoint": {"id": endpoint.pk}, "organisation": {"slug": endpoint.organisation.slug}},
    )
    delivery.save()
    audit_record(actor=actor, action="webhooks.endpoint.pinged", target=endpoint,
                 after={"webhook_id": delivery.webhook_id})
    transaction.on_commit(lambda: _enqueue([delivery.pk]), robust=True)
    return delivery


def _redeliver(delivery: WebhookDelivery, now: datetime) -> None:
    """Due again now, with a fresh retry window; the webhook-id stays, so receivers can deduplicate."""
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.retry_until = now + _retry_window()
    delivery.last_error = ""


_REDELIVER_FIELDS = ["status", "attempts", "next_attempt_at", "retry_until", "last_error"]


@transaction.atomic
def webhook_delivery_redeliver(*, actor: Actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send one delivery again (whatever its status). Access is checked again when it is sent."""
    _require_own(actor, delivery.endpoint)
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    before = {"status": delivery.status, "attempts": delivery.attempts}
    _redeliver(delivery, timezone.now())
    delivery.save(update_fields=_REDELIVER_FIELDS)
    # Target the endpoint, not the delivery: a delivery names a dispute, maybe another organisation's.
    audit_record(actor=actor, action="webhooks.delivery.redelivered", target=delivery.endpoint, before=before,
                 after={"delivery": delivery.pk, "webhook_id": delivery.webhook_id})
    transaction.on_commit(lambda: _enqueue([delivery.pk]), robust=True)
    return delivery


@transaction.atomic
def webhook_deliveries_replay(
    *, actor: Actor, endpoint: WebhookEndpoint, since: datetime, until: datetime, only_failed: bool = True
) -> int:
    """Send again the endpoint's deliveries created in [since, until): the given-up ones, or all.

    For a receiver that lost events (an outage longer than the retries, a restore from backup).
    Withheld deliveries stay withheld (the organisation could not read them when they were due);
    at most REPLAY_LIMIT deliveries, oldest first, per call. Returns how many were queued.
    """
    _require_own(actor, endpoint)
    if until <= since:
        raise ApplicationError(_("The end of the window must be after its start."), field="until")
    statuses = [WebhookDelivery.Status.GIVEN_UP] if only_failed else [
        WebhookDelivery.Status.GIVEN_UP, WebhookDelivery.Status.DELIVERED, WebhookDelivery.Status.FAILED]
    deliveries = list(
        WebhookDelivery.objects.select_for_update(skip_locked=True)
        .filter(endpoint=endpoint, created_at__gte=since, created_at__lt=until, status__in=statuses)
        .order_by("created_at", "pk")[:REPLAY_LIMIT]
    )
    now = timezone.now()
    for delivery in deliveries:
        _redeliver(delivery, now)
    WebhookDelivery.objects.bulk_update(deliveries, _REDELIVER_FIELDS)
    audit_record(actor=actor, action="webhooks.endpoint.replayed", target=endpoint,
                 after={"since": since.isoformat(), "until": until.isoformat(), "only_failed": only_failed,
                        "count": len(deliveries)})
    ids = [d.pk for d in deliveries]
    if ids:
        transaction.on_commit(lambda: _enqueue(ids), robust=True)
    return len(ids)


# --- delivery (Celery tasks call these) -------------------------------------------------------


def _body(delivery: WebhookDelivery) -> bytes:
    return orjson.dumps(
        {"type": delivery.event, "timestamp": delivery.created_at, "data": delivery.payload},
        option=orjson.OPT_UTC_Z,
    )


def _signature_header(*, endpoint: WebhookEndpoint, webhook_id: str, timestamp: int, body: bytes,
                      now: datetime) -> str:
    """One ``v1,<sig>`` per live secret, space-separated (Standard Webhooks allows several)."""
    return " ".join(
        sign(secret=secret, webhook_id=webhook_id, timestamp=timestamp, body=body)
        for secret in endpoint.signing_secrets(now=now)
    )


def webhook_delivery_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """Send one delivery once; safe to call twice (a claimed or finished delivery is skipped).

    The row is claimed in a short transaction (attempts + 1, leased), in which the endpoint's
    organisation's access to the dispute is checked again (DESIGN.md §3b: a revoked share or a
    restricted dispute withholds it); the HTTP call happens outside any transaction, then the
    outcome is recorded and a retry scheduled with back-off and jitter until ``retry_until``.
    """
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint__organisation")
            .filter(pk=delivery_id, status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.FAILED])
            .first()
        )
        if delivery is None or (delivery.next_attempt_at is not None and delivery.next_attempt_at > now):
            return None  # finished, claimed by another worker, or an early duplicate
        stop = ""
        if not delivery.endpoint.active:
            delivery.status, stop = WebhookDelivery.Status.GIVEN_UP, "The endpoint was deactivated."
        elif delivery.dispute_id is not None and not _audience().dispute_readable_by(
            organisation=delivery.endpoint.organisation, dispute_id=delivery.dispute_id
        ):
            delivery.status = WebhookDelivery.Status.WITHHELD
            stop = "The organisation may no longer read this dispute; nothing was sent."
        if stop:
            delivery.last_error, delivery.next_attempt_at = stop, None
            delivery.save(update_fields=["status", "last_error", "next_attempt_at"])
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
            "webhook-signature": _signature_header(
                endpoint=delivery.endpoint, webhook_id=delivery.webhook_id, timestamp=timestamp, body=body,
                now=now,
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
        retry_until = delivery.retry_until or delivery.created_at + _retry_window()
        if delivery.attempts >= _max_attempts() or done >= retry_until:
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
