"""The payloads the domain really sends match what the OpenAPI document's ``webhooks`` section says."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.accounts.actors import Actor
from apps.accounts.models import Membership
from apps.api.webhook_events import payload_matches
from apps.disputes.services import dispute_change_stage
from apps.negotiations.services import proposal_reject, proposal_table
from apps.sessions.models import SessionKind
from apps.sessions.services import session_cancel, session_reschedule, session_schedule
from apps.webhooks.models import WebhookDelivery, WebhookEvent
from apps.webhooks.services import webhook_endpoint_ping
from tests.factories import MembershipFactory
from tests.factories.webhooks import WebhookEndpointFactory
from tests.sessions.world import build_world

pytestmark = pytest.mark.django_db


def test_every_event_is_in_the_openapi_webhooks_section(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert set(schema["webhooks"]) == set(WebhookEvent.values)
    op = schema["webhooks"]["session.scheduled"]["post"]
    assert set(op["responses"]) == {"200"}
    assert {p["name"] for p in op["parameters"]} == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    envelope = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][envelope]["properties"]) == {"type", "timestamp", "data"}


def test_real_payloads_match_their_documented_shape(django_capture_on_commit_callbacks):
    w = build_world()
    org = w.dispute.organisation
    endpoint = WebhookEndpointFactory(organisation=org, events=[v for v, _l in WebhookEvent.subscribable()])
    with django_capture_on_commit_callbacks():
        start = timezone.now() + dt.timedelta(days=2)
        session = session_schedule(actor=w.lead, dispute=w.dispute, kind=SessionKind.CAUCUS, title="C",
                                   starts_at=start, ends_at=start + dt.timedelta(hours=1), time_zone="UTC",
                                   parties=[w.a])
        later = start + dt.timedelta(days=1)
        session_reschedule(actor=w.lead, session=session, starts_at=later, ends_at=later + dt.timedelta(hours=1))
        session_cancel(actor=w.lead, session=session, reason="Travel")
        proposal = proposal_table(actor=w.lead, dispute=w.dispute, issue=w.issue, text="A line", tabled_by=w.a,
                                  response_deadline=timezone.now() + dt.timedelta(days=3))
        proposal_reject(actor=w.lead, proposal=proposal, by_party=w.b)
        dispute_change_stage(actor=w.lead, dispute=w.dispute, to_stage="assessment")
        admin = Actor.for_membership(MembershipFactory(organisation=org, role=Membership.Role.ADMIN))
        webhook_endpoint_ping(actor=admin, endpoint=endpoint)
    rows = list(WebhookDelivery.objects.filter(endpoint=endpoint).order_by("id"))
    assert {r.event for r in rows} == {"session.scheduled", "session.rescheduled", "session.cancelled",
                                       "proposal.tabled", "proposal.answered", "dispute.stage_changed", "webhook.ping"}
    for row in rows:
        assert payload_matches(row.event, row.payload) == [], row.event


def test_the_comparison_notices_a_drift():
    assert payload_matches("dispute.stage_changed", {"dispute": {"id": 1, "reference": "X"}, "from": "intake",
                                                     "to": "assessment", "summary": "leak"}) == [
        "data.summary: not documented"]
    assert payload_matches("webhook.ping", {"endpoint": {"id": None}, "organisation": {"slug": "a"}}) == [
        "data.endpoint.id: null but not nullable"]
