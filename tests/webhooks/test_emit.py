from __future__ import annotations

import pytest
from django.db import transaction

from apps.webhooks.models import WebhookDelivery, WebhookEvent
from apps.webhooks.services import webhook_emit
from tests.factories.disputes import DisputeFactory
from tests.factories.webhooks import WebhookEndpointFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dispute(org):
    return DisputeFactory(organisation=org)


def test_it_writes_one_row_per_subscribed_active_endpoint(org, other_org, dispute,
                                                           django_capture_on_commit_callbacks):
    subscribed = WebhookEndpointFactory(organisation=org, events=["session.scheduled", "agreement.signed"])
    WebhookEndpointFactory(organisation=org, events=["agreement.signed"])
    WebhookEndpointFactory(organisation=org, events=["session.scheduled"], active=False)
    WebhookEndpointFactory(organisation=other_org, events=["session.scheduled"])
    with django_capture_on_commit_callbacks() as callbacks:
        deliveries = webhook_emit(dispute_id=dispute.pk, event=WebhookEvent.SESSION_SCHEDULED,
                                  payload={"session_id": 7})
    assert [d.endpoint_id for d in deliveries] == [subscribed.pk]
    row = WebhookDelivery.objects.get()
    assert row.status == "pending" and row.payload == {"session_id": 7} and row.webhook_id.startswith("msg_")
    assert row.dispute_id == dispute.pk and row.retry_until is not None
    assert len(callbacks) == 1  # delivery is enqueued only once the transaction commits


def test_the_outbox_row_exists_only_if_the_transaction_commits(org, dispute, django_capture_on_commit_callbacks):
    WebhookEndpointFactory(organisation=org, events=["session.cancelled"])

    class Boom(Exception):
        pass

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(Boom), transaction.atomic():
        webhook_emit(dispute_id=dispute.pk, event="session.cancelled", payload={"session_id": 1})
        raise Boom
    assert not WebhookDelivery.objects.exists()
    assert callbacks == []


def test_nothing_is_written_without_a_subscriber(org, dispute, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        assert webhook_emit(dispute_id=dispute.pk, event="proposal.tabled", payload={"proposal_id": 1}) == []
    assert callbacks == []


@pytest.mark.parametrize("payload", [
    {"note_id": 1, "text": "what the party said"},
    {"session": {"notes": ["caucus"]}},
    {"items": [{"summary": "x"}]},
])
def test_payloads_never_carry_note_text(org, dispute, payload):
    WebhookEndpointFactory(organisation=org, events=["session.held"])
    with pytest.raises(ValueError, match="never carry"):
        webhook_emit(dispute_id=dispute.pk, event="session.held", payload=payload)


def test_an_unknown_event_is_a_programming_error(org, dispute):
    with pytest.raises(ValueError, match="Unknown webhook event"):
        webhook_emit(dispute_id=dispute.pk, event="session.leaked", payload={})
    with pytest.raises(ValueError, match="Unknown webhook event"):  # a ping is sent on request, never emitted
        webhook_emit(dispute_id=dispute.pk, event="webhook.ping", payload={})
