"""Deliveries by a real Celery worker, over the real broker, to a real HTTP receiver."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from apps.accounts.models import Organisation
from apps.webhooks.models import WebhookDelivery
from apps.webhooks.services import webhook_delivery_attempt, webhook_emit, webhook_sweep
from tests.factories.disputes import DisputeFactory
from tests.factories.webhooks import WebhookDeliveryFactory, WebhookEndpointFactory
from tests.webhooks.helpers import wait_for

FAST_RETRIES = {"WEBHOOKS_RETRY_BASE_SECONDS": 0.2, "WEBHOOKS_ALLOW_PRIVATE": True}


def _verify(secret: str, request: dict) -> bool:
    """What a receiver does (Standard Webhooks), written independently of the sender."""
    headers = request["headers"]
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + request["body"]
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        sig.startswith("v1,") and hmac.compare_digest(sig[3:], expected)
        for sig in headers["webhook-signature"].split()
    )


def _emit(organisation: Organisation, event: str = "session.scheduled") -> WebhookDelivery:
    dispute = DisputeFactory(organisation=organisation)
    with transaction.atomic():
        (delivery,) = webhook_emit(dispute_id=dispute.pk, event=event, payload={"session_id": 42})
    return delivery


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@override_settings(**FAST_RETRIES)
def test_a_committed_event_is_delivered_signed(org, receiver, celery_worker_thread):
    endpoint = WebhookEndpointFactory(organisation=org, url=receiver.url, events=["session.scheduled"])
    delivery = _emit(org)
    assert receiver.received.wait(20)
    request = receiver.requests[0]
    assert _verify(endpoint.secret, request)
    assert request["headers"]["webhook-id"] == delivery.webhook_id
    assert abs(int(request["headers"]["webhook-timestamp"]) - time.time()) < 60
    body = json.loads(request["body"])
    assert body["type"] == "session.scheduled" and body["data"] == {"session_id": 42}
    row = wait_for(lambda: WebhookDelivery.objects.filter(pk=delivery.pk, status="delivered").first())
    assert row.attempts == 1 and row.last_status_code == 200 and row.delivered_at is not None


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@override_settings(**FAST_RETRIES)
def test_it_retries_with_back_off_then_delivers(org, receiver, celery_worker_thread):
    endpoint = WebhookEndpointFactory(organisation=org, url=receiver.url, events=["session.scheduled"])
    receiver.statuses = [500, 503]
    delivery = _emit(org)
    row = wait_for(lambda: WebhookDelivery.objects.filter(pk=delivery.pk, status="delivered").first())
    assert row.attempts == 3 and len(receiver.requests) == 3
    assert [r["status"] for r in receiver.requests] == [500, 503, 200]
    # Same id on every attempt (receivers deduplicate on it), each attempt signed afresh.
    assert {r["headers"]["webhook-id"] for r in receiver.requests} == {delivery.webhook_id}
    assert all(_verify(endpoint.secret, r) for r in receiver.requests)
    # Exponential back-off: at least 0.2 s, then at least 0.4 s, between attempts.
    at = [r["at"] for r in receiver.requests]
    # Equal jitter: each wait is between half and all of the doubling delay (0.2 s, then 0.4 s).
    assert at[1] - at[0] >= 0.1 and at[2] - at[1] >= 0.2


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@override_settings(**FAST_RETRIES, WEBHOOKS_MAX_ATTEMPTS=3)
def test_it_gives_up_after_the_last_attempt(org, receiver, celery_worker_thread):
    WebhookEndpointFactory(organisation=org, url=receiver.url, events=["session.scheduled"])
    receiver.statuses = [500] * 10
    delivery = _emit(org)
    row = wait_for(lambda: WebhookDelivery.objects.filter(pk=delivery.pk, status="given_up").first())
    assert row.attempts == 3 and row.last_status_code == 500 and row.next_attempt_at is None
    time.sleep(1.0)
    assert len(receiver.requests) == 3


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@override_settings(**FAST_RETRIES)
def test_the_sweep_sends_a_delivery_whose_task_was_lost(org, receiver, celery_worker_thread):
    endpoint = WebhookEndpointFactory(organisation=org, url=receiver.url, events=["session.scheduled"])
    # A row written but never enqueued (the broker was down at commit).
    lost = WebhookDeliveryFactory(endpoint=endpoint, next_attempt_at=timezone.now() - timedelta(minutes=5))
    assert webhook_sweep() == 1
    wait_for(lambda: WebhookDelivery.objects.filter(pk=lost.pk, status="delivered").exists())
    assert webhook_sweep() == 0


@pytest.mark.django_db
@override_settings(WEBHOOKS_ALLOW_PRIVATE=False)
def test_a_private_address_is_refused_at_delivery_time_too(org, receiver):
    # Saved while allowed (or re-pointed by DNS since): the sender checks again before connecting.
    endpoint = WebhookEndpointFactory(organisation=org, url=receiver.url)
    delivery = WebhookDeliveryFactory(endpoint=endpoint, next_attempt_at=None)
    with transaction.atomic():  # the retry enqueue is on_commit: nothing leaves this test
        result = webhook_delivery_attempt(delivery_id=delivery.pk)
    assert result is not None and result.status == "failed"
    assert "Private" in result.last_error
    assert receiver.requests == []


@pytest.mark.django_db
def test_a_finished_or_claimed_delivery_is_not_sent_twice(org, receiver):
    endpoint = WebhookEndpointFactory(organisation=org, url=receiver.url)
    done = WebhookDeliveryFactory(endpoint=endpoint, status="delivered")
    assert webhook_delivery_attempt(delivery_id=done.pk) is None
    claimed = WebhookDeliveryFactory(endpoint=endpoint, next_attempt_at=timezone.now() + timedelta(minutes=1))
    assert webhook_delivery_attempt(delivery_id=claimed.pk) is None
    assert receiver.requests == []
