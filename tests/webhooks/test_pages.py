"""The organisation's integrations pages (#15): API keys and webhooks in the browser, for its admins."""

from __future__ import annotations

import pytest
from django.test import override_settings

from apps.api.models import OrganisationAPIKey
from apps.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.factories import MembershipFactory
from tests.factories.api import make_api_key
from tests.factories.webhooks import WebhookDeliveryFactory, WebhookEndpointFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_membership):
    client.force_login(admin_membership.user)
    return client


def test_the_settings_page_links_to_both_pages(admin_client):
    body = admin_client.get("/settings/").content.decode()
    assert 'href="/settings/api-keys/"' in body and 'href="/settings/webhooks/"' in body
    assert body.count("not available yet") <= 1  # only the reminder rules, which another page provides


def test_a_created_key_is_shown_once_and_works(org, admin_client, key_client):
    response = admin_client.post("/settings/api-keys/new/", {"name": "Partner ERP", "scope": "write",
                                                             "expires_on": "2099-12-31"})
    assert response.status_code == 302
    api_key = OrganisationAPIKey.objects.get(organisation=org)
    assert api_key.scope == "write" and api_key.expiry_date.year in (2099, 2100)
    page = admin_client.get("/settings/api-keys/").content.decode()
    raw_key = page.split('id="shown-once-value" value="', 1)[1].split('"', 1)[0]
    assert raw_key.startswith(api_key.prefix + ".")
    assert key_client(raw_key).get("/api/v1/me/").status_code == 200
    again = admin_client.get("/settings/api-keys/").content.decode()
    assert raw_key not in again and raw_key.partition(".")[2] not in again and "Partner ERP" in again


def test_bad_key_input_is_a_form_error(admin_client):
    response = admin_client.post("/settings/api-keys/new/", {"name": "", "scope": "root", "expires_on": "2001-01-01"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Not saved" in body and "This field is required." in body
    assert not OrganisationAPIKey.objects.exists()
    response = admin_client.post("/settings/api-keys/new/", {"name": "old", "scope": "read",
                                                             "expires_on": "2001-01-01"})
    assert response.status_code == 400 and "The expiry must be in the future." in response.content.decode()
    assert not OrganisationAPIKey.objects.exists()


def test_revoke_and_rotate_from_the_page(org, admin_client, key_client):
    api_key, raw_key = make_api_key(org, name="Sync")
    assert admin_client.post(f"/settings/api-keys/{api_key.prefix}/rotate/").status_code == 302
    new_key = OrganisationAPIKey.objects.exclude(pk=api_key.pk).get()
    assert new_key.name == "Sync"
    assert key_client(raw_key).get("/api/v1/me/").status_code == 200  # the overlap
    assert admin_client.post(f"/settings/api-keys/{api_key.prefix}/revoke/").status_code == 302
    assert key_client(raw_key).get("/api/v1/me/").status_code == 401


@pytest.mark.parametrize("role", ["mediator", "case_officer", "analyst", "partner"])
def test_members_who_are_not_admins_are_refused(client, org, role):
    api_key, _raw = make_api_key(org)
    endpoint = WebhookEndpointFactory(organisation=org)
    client.force_login(MembershipFactory(organisation=org, role=role).user)
    for url in ("/settings/api-keys/", "/settings/webhooks/", f"/settings/webhooks/{endpoint.pk}/"):
        assert client.get(url).status_code == 403
    for url in ("/settings/api-keys/new/", f"/settings/api-keys/{api_key.prefix}/revoke/",
                f"/settings/api-keys/{api_key.prefix}/rotate/", "/settings/webhooks/new/",
                f"/settings/webhooks/{endpoint.pk}/rotate/", f"/settings/webhooks/{endpoint.pk}/ping/"):
        data = {"name": "x", "url": "https://example.org/", "events": ["session.held"]}
        assert client.post(url, data).status_code == 403
    api_key.refresh_from_db()
    assert not api_key.revoked and OrganisationAPIKey.objects.count() == 1
    assert WebhookEndpoint.objects.count() == 1 and not WebhookDelivery.objects.exists()


def test_another_organisations_things_are_a_404(client, org, other_org):
    api_key, _raw = make_api_key(org)
    endpoint = WebhookEndpointFactory(organisation=org)
    delivery = WebhookDeliveryFactory(endpoint=endpoint, status="given_up")
    client.force_login(MembershipFactory(organisation=other_org, role="admin").user)
    assert client.get(f"/settings/webhooks/{endpoint.pk}/").status_code == 404
    for url in (f"/settings/api-keys/{api_key.prefix}/revoke/", f"/settings/webhooks/{endpoint.pk}/ping/",
                f"/settings/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/redeliver/"):
        assert client.post(url).status_code == 404
    assert endpoint.url not in client.get("/settings/webhooks/").content.decode()
    assert api_key.prefix not in client.get("/settings/api-keys/").content.decode()
    api_key.refresh_from_db()
    delivery.refresh_from_db()
    assert not api_key.revoked and delivery.status == "given_up"


@override_settings(WEBHOOKS_ALLOW_PRIVATE=False)
def test_a_webhook_with_a_private_address_is_a_form_error(admin_client):
    response = admin_client.post("/settings/webhooks/new/", {"url": "http://127.0.0.1/hook",
                                                             "events": ["session.held"], "active": "on"})
    assert response.status_code == 400 and "Private, loopback" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_create_edit_ping_rotate_and_redeliver_from_the_pages(org, admin_client, django_capture_on_commit_callbacks):
    response = admin_client.post("/settings/webhooks/new/", {
        "url": "https://93.184.216.34/hooks", "description": "Partner CRM", "events": ["session.held"],
        "active": "on"})
    endpoint = WebhookEndpoint.objects.get(organisation=org)
    assert response.status_code == 302 and response["Location"].startswith(f"/settings/webhooks/{endpoint.pk}/")
    page = admin_client.get(f"/settings/webhooks/{endpoint.pk}/").content.decode()
    assert endpoint.secret in page  # once
    assert endpoint.secret not in admin_client.get(f"/settings/webhooks/{endpoint.pk}/").content.decode()

    response = admin_client.post(f"/settings/webhooks/{endpoint.pk}/edit/", {
        "url": "https://93.184.216.34/v2", "description": "CRM", "events": ["session.held", "agreement.signed"]})
    endpoint.refresh_from_db()
    assert response.status_code == 302 and endpoint.url.endswith("/v2") and not endpoint.active
    assert endpoint.events == ["agreement.signed", "session.held"]
    bad = admin_client.post(f"/settings/webhooks/{endpoint.pk}/edit/", {"url": "https://93.184.216.34/v3",
                                                                       "events": ["webhook.ping"]})
    assert bad.status_code == 400
    endpoint.refresh_from_db()
    assert endpoint.url.endswith("/v2")

    endpoint.active = True
    endpoint.save(update_fields=["active"])
    with django_capture_on_commit_callbacks():
        assert admin_client.post(f"/settings/webhooks/{endpoint.pk}/ping/").status_code == 302
    ping = WebhookDelivery.objects.get(endpoint=endpoint, event="webhook.ping")
    old_secret = endpoint.secret
    assert admin_client.post(f"/settings/webhooks/{endpoint.pk}/rotate/").status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.previous_secret == old_secret
    page = admin_client.get(f"/settings/webhooks/{endpoint.pk}/").content.decode()
    assert endpoint.secret in page and old_secret not in page and ping.webhook_id in page

    WebhookDelivery.objects.filter(pk=ping.pk).update(status="given_up")
    with django_capture_on_commit_callbacks():
        response = admin_client.post(f"/settings/webhooks/{endpoint.pk}/deliveries/{ping.pk}/redeliver/")
    assert response.status_code == 302
    ping.refresh_from_db()
    assert ping.status == "pending"


def test_the_pages_have_a_fixed_number_of_queries(org, admin_client, django_assert_max_num_queries):
    for n in range(5):
        make_api_key(org, name=f"key {n}")
    endpoint = WebhookEndpointFactory(organisation=org)
    for _n in range(5):
        WebhookEndpointFactory(organisation=org)
        WebhookDeliveryFactory(endpoint=endpoint, status="delivered", last_status_code=200)
    # Measured: 9, 6 and 7 queries (session, user, membership, ... then one per list), with 1 row or 6.
    with django_assert_max_num_queries(9):
        assert admin_client.get("/settings/api-keys/").status_code == 200
    with django_assert_max_num_queries(6):
        assert admin_client.get("/settings/webhooks/").status_code == 200
    with django_assert_max_num_queries(7):
        assert admin_client.get(f"/settings/webhooks/{endpoint.pk}/").status_code == 200


def test_an_admin_replays_a_period_from_the_page(org, admin_client, django_capture_on_commit_callbacks):
    endpoint = WebhookEndpointFactory(organisation=org)
    given_up = WebhookDeliveryFactory(endpoint=endpoint, status="given_up")
    delivered = WebhookDeliveryFactory(endpoint=endpoint, status="delivered")
    with django_capture_on_commit_callbacks():
        response = admin_client.post(f"/settings/webhooks/{endpoint.pk}/replay/", {
            "since": "2020-01-01T00:00", "until": "2100-01-01T00:00", "only_failed": "on"}, follow=True)
    assert response.status_code == 200 and "1 delivery will be sent again." in response.content.decode()
    given_up.refresh_from_db()
    delivered.refresh_from_db()
    assert given_up.status == "pending" and delivered.status == "delivered"
    bad = admin_client.post(f"/settings/webhooks/{endpoint.pk}/replay/", {
        "since": "2021-01-01T00:00", "until": "2020-01-01T00:00"})
    assert bad.status_code == 400 and "The end of the window must be after its start." in bad.content.decode()
