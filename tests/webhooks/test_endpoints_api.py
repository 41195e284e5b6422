from __future__ import annotations

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from apps.common.models import AuditEvent
from apps.webhooks.models import WebhookEndpoint
from apps.webhooks.transport import UnsafeURL, resolve_safely
from tests.api.helpers import assert_problem
from tests.factories import MembershipFactory
from tests.factories.api import make_api_key
from tests.factories.webhooks import WebhookDeliveryFactory, WebhookEndpointFactory

pytestmark = pytest.mark.django_db

PUBLIC_URL = "https://93.184.216.34/hooks"  # an IP literal: checked without DNS


@pytest.fixture
def admin_api(admin_membership) -> APIClient:
    client = APIClient()
    client.force_login(admin_membership.user)
    return client


def test_an_admin_creates_an_endpoint_and_sees_the_secret_once(org, admin_api):
    response = admin_api.post(
        "/api/v1/webhooks/", {"url": PUBLIC_URL, "events": ["session.held", "agreement.signed"]}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secret"].startswith("whsec_") and body["events"] == ["agreement.signed", "session.held"]
    endpoint = WebhookEndpoint.objects.get(pk=body["id"])
    assert endpoint.organisation == org and endpoint.created_by is not None
    detail = admin_api.get(f"/api/v1/webhooks/{endpoint.pk}/").json()
    assert "secret" not in detail
    assert "secret" not in admin_api.get("/api/v1/webhooks/").json()["results"][0]
    event = AuditEvent.objects.get(action="webhooks.endpoint.created")
    assert "secret" not in str(event.after)


def test_an_admin_updates_with_if_match_and_deletes(org, admin_api):
    endpoint = WebhookEndpointFactory(organisation=org, url=PUBLIC_URL)
    url = f"/api/v1/webhooks/{endpoint.pk}/"
    assert_problem(admin_api.patch(url, {"active": False}, format="json"), 428)
    etag = admin_api.get(url)["ETag"]
    response = admin_api.patch(url, {"active": False}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200 and response.json()["active"] is False
    assert_problem(admin_api.patch(url, {"active": True}, format="json", HTTP_IF_MATCH=etag), 412)
    assert admin_api.delete(url).status_code == 204
    assert not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
    assert AuditEvent.objects.filter(action__startswith="webhooks.endpoint.").count() == 2


def test_unknown_events_and_fields_are_refused(admin_api):
    body = assert_problem(admin_api.post("/api/v1/webhooks/", {"url": PUBLIC_URL, "events": ["note.read"]},
                                         format="json"), 400)
    assert "events" in body["errors"]
    body = assert_problem(admin_api.post("/api/v1/webhooks/", {"url": PUBLIC_URL, "events": ["session.held"],
                                                               "secret": "mine"}, format="json"), 400)
    assert body["errors"] == {"secret": ["Unknown field."]}


@override_settings(WEBHOOKS_ALLOW_PRIVATE=False)
@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8000/hook", "http://localhost/hook", "http://10.0.0.5/hook", "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/", "http://[::1]/hook", "http://[::ffff:127.0.0.1]/", "ftp://93.184.216.34/",
])
def test_private_loopback_and_link_local_addresses_are_refused(admin_api, url):
    body = assert_problem(admin_api.post("/api/v1/webhooks/", {"url": url, "events": ["session.held"]},
                                         format="json"), 400)
    assert "url" in body["errors"]


@override_settings(WEBHOOKS_ALLOW_PRIVATE=False)
def test_a_public_address_is_accepted_when_private_ones_are_not():
    assert resolve_safely(PUBLIC_URL)[3] == "93.184.216.34"
    with pytest.raises(UnsafeURL):
        resolve_safely("http://127.0.0.1/")


def test_only_admins_of_the_organisation_manage_webhooks(org, other_org, mediator_membership, key_client):
    endpoint = WebhookEndpointFactory(organisation=org)
    mediator = APIClient()
    mediator.force_login(mediator_membership.user)
    assert_problem(mediator.get("/api/v1/webhooks/"), 403, "admin_only")
    _key, raw_key = make_api_key(org, scope="write")
    assert_problem(key_client(raw_key).get("/api/v1/webhooks/"), 403, "no_api_keys")
    assert_problem(key_client(raw_key).post("/api/v1/webhooks/", {}, format="json"), 403, "no_api_keys")
    outsider = APIClient()
    outsider.force_login(MembershipFactory(organisation=other_org, role="admin").user)
    assert_problem(outsider.get(f"/api/v1/webhooks/{endpoint.pk}/"), 404)
    assert_problem(outsider.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/"), 404)
    assert outsider.get("/api/v1/webhooks/").json()["results"] == []


def test_deliveries_are_listed_newest_first(org, admin_api, django_assert_max_num_queries):
    endpoint = WebhookEndpointFactory(organisation=org)
    first, second = WebhookDeliveryFactory(endpoint=endpoint), WebhookDeliveryFactory(endpoint=endpoint)
    WebhookDeliveryFactory()  # another organisation's
    with django_assert_max_num_queries(9):
        rows = admin_api.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/").json()["results"]
    assert [r["id"] for r in rows] == [second.pk, first.pk]
    assert "payload" not in rows[0] and rows[0]["status"] == "pending"


def test_an_admin_rotates_pings_replays_and_redelivers_through_the_api(org, admin_api,
                                                                     django_capture_on_commit_callbacks):
    endpoint = WebhookEndpointFactory(organisation=org)
    old_secret = endpoint.secret
    response = admin_api.post(f"/api/v1/webhooks/{endpoint.pk}/rotate-secret/", {"overlap_hours": 2}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    endpoint.refresh_from_db()
    assert body["secret"] == endpoint.secret != old_secret and endpoint.previous_secret == old_secret
    assert body["previous_secret_expires_at"] is not None
    assert old_secret not in str(admin_api.get(f"/api/v1/webhooks/{endpoint.pk}/").json())
    assert_problem(admin_api.post(f"/api/v1/webhooks/{endpoint.pk}/rotate-secret/", {"overlap_hours": 500},
                                  format="json"), 400)

    with django_capture_on_commit_callbacks() as callbacks:
        ping = admin_api.post(f"/api/v1/webhooks/{endpoint.pk}/ping/", format="json")
    assert ping.status_code == 202 and ping.json()["event"] == "webhook.ping" and len(callbacks) == 1

    given_up = WebhookDeliveryFactory(endpoint=endpoint, status="given_up", attempts=8)
    with django_capture_on_commit_callbacks():
        redelivered = admin_api.post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{given_up.pk}/redeliver/")
    assert redelivered.status_code == 202 and redelivered.json()["status"] == "pending"
    assert redelivered.json()["webhook_id"] == given_up.webhook_id

    WebhookDeliveryFactory(endpoint=endpoint, status="given_up")
    with django_capture_on_commit_callbacks():
        replay = admin_api.post(f"/api/v1/webhooks/{endpoint.pk}/replay/", {
            "since": "2020-01-01T00:00:00Z", "until": "2100-01-01T00:00:00Z"}, format="json")
    assert replay.status_code == 202 and replay.json() == {"queued": 1}
    assert_problem(admin_api.post(f"/api/v1/webhooks/{endpoint.pk}/replay/", {
        "since": "2021-01-01T00:00:00Z", "until": "2020-01-01T00:00:00Z"}, format="json"), 400)


def test_operations_on_endpoints_are_for_their_organisations_admins(org, other_org, mediator_membership, key_client):
    endpoint = WebhookEndpointFactory(organisation=org)
    delivery = WebhookDeliveryFactory(endpoint=endpoint, status="given_up")
    secret = endpoint.secret
    mediator = APIClient()
    mediator.force_login(mediator_membership.user)
    _key, raw_key = make_api_key(org, scope="write")
    outsider = APIClient()
    outsider.force_login(MembershipFactory(organisation=other_org, role="admin").user)
    for path in (f"/api/v1/webhooks/{endpoint.pk}/rotate-secret/", f"/api/v1/webhooks/{endpoint.pk}/ping/",
                 f"/api/v1/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/redeliver/"):
        assert_problem(mediator.post(path, {}, format="json"), 403, "admin_only")
        assert_problem(key_client(raw_key).post(path, {}, format="json"), 403, "no_api_keys")
        assert_problem(outsider.post(path, {}, format="json"), 404)
    endpoint.refresh_from_db()
    delivery.refresh_from_db()
    assert endpoint.secret == secret and delivery.status == "given_up"
