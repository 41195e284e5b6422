"""Ping, secret rotation with an overlap, redelivery, replay of a window, and the 24-hour retry window."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError

from apps.accounts.actors import Actor
from apps.accounts.models import Membership
from apps.common.errors import AccessDenied, ApplicationError
from apps.webhooks.models import WebhookDelivery
from apps.webhooks.services import (
    _backoff,
    webhook_deliveries_replay,
    webhook_delivery_attempt,
    webhook_delivery_redeliver,
    webhook_endpoint_ping,
    webhook_endpoint_rotate_secret,
)
from tests.factories import MembershipFactory
from tests.factories.webhooks import WebhookDeliveryFactory, WebhookEndpointFactory
from tests.webhooks.helpers import wait_for

FAST = {"WEBHOOKS_ALLOW_PRIVATE": True, "WEBHOOKS_RETRY_BASE_SECONDS": 0.2}


def _admin(org) -> Actor:
    return Actor.for_membership(MembershipFactory(organisation=org, role=Membership.Role.ADMIN))


def _verifies(secret: str, request: dict) -> bool:
    try:
        Webhook(secret).verify(request["body"], request["headers"])
    except WebhookVerificationError:
        return False
    return True


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@override_settings(**FAST)
def test_during_a_rotation_both_secrets_verify_and_after_it_only_the_new_one(org, receiver, celery_worker_thread):
    admin = _admin(org)
    endpoint = WebhookEndpointFactory(organisation=org, url=receiver.url)
    old_secret = endpoint.secret
    endpoint, new_secret = webhook_endpoint_rotate_secret(actor=admin, endpoint=endpoint, overlap=timedelta(hours=1))
    assert new_secret != old_secret and endpoint.previous_secret == old_secret
    webhook_endpoint_ping(actor=admin, endpoint=endpoint)
    wait_for(lambda: len(receiver.requests) == 1)
    during = receiver.requests[0]
    assert len(during["headers"]["webhook-signature"].split(" ")) == 2
    assert _verifies(old_secret, during) and _verifies(new_secret, during)
    body = Webhook(new_secret).verify(during["body"], during["headers"])
    assert body["type"] == "webhook.ping" and body["data"]["endpoint"] == {"id": endpoint.pk}

    # A second rotation without overlap: only the newest secret signs.
    endpoint, newest = webhook_endpoint_rotate_secret(actor=admin, endpoint=endpoint, overlap=timedelta(0))
    webhook_endpoint_ping(actor=admin, endpoint=endpoint)
    wait_for(lambda: len(receiver.requests) == 2)
    after = receiver.requests[1]
    assert _verifies(newest, after)
    assert not _verifies(new_secret, after) and not _verifies(old_secret, after)


@pytest.mark.django_db
def test_an_expired_overlap_signs_with_the_new_secret_only(org):
    endpoint = WebhookEndpointFactory(organisation=org, previous_secret="whsec_b2xk",
                                      previous_secret_expires_at=timezone.now() - timedelta(seconds=1))
    assert endpoint.signing_secrets(now=timezone.now()) == [endpoint.secret]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@override_settings(**FAST, WEBHOOKS_MAX_ATTEMPTS=1)
def test_a_given_up_delivery_is_redelivered_with_the_same_id(org, receiver, celery_worker_thread):
    admin = _admin(org)
    endpoint = WebhookEndpointFactory(organisation=org, url=receiver.url)
    receiver.statuses = [503]
    delivery = webhook_endpoint_ping(actor=admin, endpoint=endpoint)
    row = wait_for(lambda: WebhookDelivery.objects.filter(pk=delivery.pk, status="given_up").first())
    assert row.last_status_code == 503
    webhook_delivery_redeliver(actor=admin, delivery=row)
    row = wait_for(lambda: WebhookDelivery.objects.filter(pk=delivery.pk, status="delivered").first())
    assert [r["headers"]["webhook-id"] for r in receiver.requests] == [delivery.webhook_id] * 2
    assert row.last_status_code == 200 and row.attempts == 1


@pytest.mark.django_db
def test_replay_requeues_the_given_up_deliveries_of_the_window_only(org, django_capture_on_commit_callbacks):
    admin = _admin(org)
    endpoint = WebhookEndpointFactory(organisation=org)
    now = timezone.now()
    old = WebhookDeliveryFactory(endpoint=endpoint, status="given_up")
    inside = WebhookDeliveryFactory(endpoint=endpoint, status="given_up")
    delivered = WebhookDeliveryFactory(endpoint=endpoint, status="delivered")
    withheld = WebhookDeliveryFactory(endpoint=endpoint, status="withheld")
    WebhookDelivery.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=3))
    with django_capture_on_commit_callbacks():
        queued = webhook_deliveries_replay(actor=admin, endpoint=endpoint, since=now - timedelta(days=1),
                                           until=now + timedelta(minutes=1))
    assert queued == 1
    statuses = dict(WebhookDelivery.objects.values_list("pk", "status"))
    assert statuses == {old.pk: "given_up", inside.pk: "pending", delivered.pk: "delivered",
                        withheld.pk: "withheld"}
    # Everything of the window: the delivered one too (the first is already pending again).
    with django_capture_on_commit_callbacks():
        assert webhook_deliveries_replay(actor=admin, endpoint=endpoint, since=now - timedelta(days=1),
                                         until=now + timedelta(minutes=1), only_failed=False) == 1
    assert WebhookDelivery.objects.get(pk=delivered.pk).status == "pending"
    with pytest.raises(ApplicationError):
        webhook_deliveries_replay(actor=admin, endpoint=endpoint, since=now, until=now - timedelta(hours=1))


@pytest.mark.django_db
def test_only_the_organisations_admins_operate_its_endpoints(org, other_org, make_actor):
    endpoint = WebhookEndpointFactory(organisation=org)
    delivery = WebhookDeliveryFactory(endpoint=endpoint, status="given_up")
    now = timezone.now()
    key = Actor(organisation=org, role=Membership.Role.PARTNER, api_key_id="k", scopes=frozenset({"read", "write"}))
    for actor in (make_actor(org, Membership.Role.MEDIATOR), make_actor(org, Membership.Role.ANALYST),
                  make_actor(org, Membership.Role.PARTNER), key, _admin(other_org)):
        with pytest.raises(AccessDenied):
            webhook_endpoint_rotate_secret(actor=actor, endpoint=endpoint)
        with pytest.raises(AccessDenied):
            webhook_endpoint_ping(actor=actor, endpoint=endpoint)
        with pytest.raises(AccessDenied):
            webhook_delivery_redeliver(actor=actor, delivery=delivery)
        with pytest.raises(AccessDenied):
            webhook_deliveries_replay(actor=actor, endpoint=endpoint, since=now - timedelta(days=1), until=now)
    endpoint.refresh_from_db()
    assert endpoint.previous_secret == "" and WebhookDelivery.objects.count() == 1


@pytest.mark.django_db
@override_settings(WEBHOOKS_ALLOW_PRIVATE=True)
def test_failures_are_retried_until_the_window_closes_then_given_up(org):
    # A closed port: each attempt fails at once, nothing leaves the machine.
    endpoint = WebhookEndpointFactory(organisation=org, url="http://127.0.0.1:9/hook")
    delivery = WebhookDeliveryFactory(endpoint=endpoint, next_attempt_at=None,
                                      retry_until=timezone.now() + timedelta(hours=1))
    with transaction.atomic():
        row = webhook_delivery_attempt(delivery_id=delivery.pk)
    assert row.status == "failed" and row.next_attempt_at > timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=None,
                                                          retry_until=timezone.now() - timedelta(seconds=1))
    with transaction.atomic():
        row = webhook_delivery_attempt(delivery_id=delivery.pk)
    assert row.status == "given_up" and row.next_attempt_at is None and row.attempts == 2


def test_the_default_schedule_retries_for_at_least_a_day_with_jitter(settings):
    settings.WEBHOOKS_RETRY_BASE_SECONDS = 30
    settings.WEBHOOKS_RETRY_MAX_SECONDS = 7200
    delays = [_backoff(n).total_seconds() for n in range(1, 41)]
    # Equal jitter: between half and all of the exponential delay, capped at two hours.
    assert 15 <= delays[0] <= 30 and 3600 <= delays[-1] <= 7200
    assert len({round(d, 3) for d in delays[-10:]}) > 1  # jittered, not all identical
    # The safety cap on attempts (40) never cuts the 24-hour window short, even with the shortest jitter.
    shortest = sum(min(7200, 30 * 2 ** (n - 1)) / 2 for n in range(1, 40))
    assert shortest >= 24 * 3600
    assert settings.WEBHOOKS_RETRY_HOURS >= 24
