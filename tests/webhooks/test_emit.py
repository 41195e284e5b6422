from __future__ import annotations

import pytest
from django.db import transaction

from apps.webhooks.models import WebhookDelivery, WebhookEvent
from apps.webhooks.services import webhook_emit
from tests.factories.webhooks import WebhookEndpointFactory

pytestmark = pytest.mark.django_db


def test_it_writes_one_row_per_subscribed_active_endpoint(org, other_org, django_capture_on_commit_callbacks):
    subscribed = WebhookEndpointFactory(organisation=org, events=["session.scheduled", "agreement.signed"])
    WebhookEndpointFactory(organisation=org, events=["agreement.signed"])
    WebhookEndpointFactory(organisation=org, events=["session.scheduled"], active=False)
    WebhookEndpointFactory(organisation=other_org, events=["session.scheduled"])
    with django_capture_on_commit_callbacks() as callbacks:
        deliveries = webhook_emit(organisation=org, event=WebhookEvent.SESSION_SCHEDULED, payload={"session_id": 7})
    assert [d.endpoint_id for d in deliveries] == [subscribed.pk]
    row = WebhookDelivery.objects.get()
    assert row.status == "pending" and row.payload == {"session_id": 7} and row.webhook_id.startswith("msg_")
    assert len(callbacks) == 1  # delivery is enqueued only once the transaction commits


def test_the_outbox_row_exists_only_if_the_transaction_commits(org, django_capture_on_commit_callbacks):
    WebhookEndpointFactory(organisation=org, events=["session.cancelled"])

    class Boom(Exception):
        pass

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(Boom), transaction.atomic():
        webhook_emit(organisation=org, event="session.cancelled", payload={"session_id": 1})
        raise Boom
    assert not WebhookDelivery.objects.exists()
    assert callbacks == []


def test_nothing_is_written_without_a_subscriber(org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        assert webhook_emit(organisation=org, event="proposal.tabled", payload={"proposal_id": 1}) == []
    assert callbacks == []


@pytest.mark.parametrize("payload", [
    {"note_id": 1, "text": "what the party said"},
    {"session": {"notes": ["caucus"]}},
    {"items": [{"summary": "x"}]},
])
def test_payloads_never_carry_note_text(org, payload):
    WebhookEndpointFactory(organisation=org, events=["session.held"])
    with pytest.raises(ValueError, match="never carry"):
        webhook_emit(organisation=org, event="session.held", payload=payload)


def test_an_unknown_event_is_a_programming_error(org):
    with pytest.raises(ValueError, match="Unknown webhook event"):
        webhook_emit(organisation=org, event="session.leaked", payload={})
