"""In a real browser (#15): an organisation admin creates and revokes an API key, and creates a webhook and
pings it; a real Celery worker delivers the ping to a receiver on 127.0.0.1, signed with the secret the
page showed once. axe finds nothing serious, and the CSP blocks nothing."""

from __future__ import annotations

import time

import pytest
from rest_framework.test import APIClient
from standardwebhooks import Webhook

from apps.accounts.models import Membership
from apps.api.models import OrganisationAPIKey
from apps.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.factories import MembershipFactory
from tests.webhooks.conftest import celery_worker_thread, receiver  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _api(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


def test_an_admin_creates_and_revokes_a_key(page, live_server, login, org, check_accessibility):
    admin = MembershipFactory(organisation=org, role=Membership.Role.ADMIN, user__name="Ada Admin").user
    login(admin)
    page.goto(f"{live_server.url}/settings/")
    page.get_by_role("link", name="API keys").click()
    page.wait_for_url(f"{live_server.url}/settings/api-keys/")
    check_accessibility("API keys, empty")
    page.get_by_label("Name").fill("Partner ERP")
    page.get_by_label("Access").select_option("write")
    page.get_by_role("button", name="Create the key").click()
    raw_key = page.locator("#shown-once-value").input_value()
    api_key = OrganisationAPIKey.objects.get(organisation=org)
    assert raw_key.startswith(api_key.prefix + ".") and api_key.scope == "write"
    assert _api(raw_key).get("/api/v1/me/").status_code == 200
    check_accessibility("API keys, a key shown once")

    page.reload()
    assert raw_key not in page.content() and page.locator("#shown-once-value").count() == 0
    messages = []
    page.once("dialog", lambda dialog: (messages.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Revoke Partner ERP").click()
    page.wait_for_selector("text=is revoked: it no longer works.")
    assert messages and "stop working at once" in messages[0]
    assert _api(raw_key).get("/api/v1/me/").status_code == 401
    assert "Revoked" in page.locator("table").inner_text()
    check_accessibility("API keys, a revoked key")
    assert page.csp_errors == []


def test_an_admin_creates_a_webhook_and_pings_it(page, live_server, login, org, check_accessibility,
                                                 receiver, celery_worker_thread):  # noqa: F811
    admin = MembershipFactory(organisation=org, role=Membership.Role.ADMIN).user
    login(admin)
    page.goto(f"{live_server.url}/settings/")
    page.get_by_role("link", name="Webhooks").click()
    page.wait_for_url(f"{live_server.url}/settings/webhooks/")
    check_accessibility("webhooks, empty")
    page.get_by_label("URL").fill(receiver.url)
    page.get_by_label("Description").fill("Partner CRM")
    page.get_by_label("Session held").check()
    page.get_by_label("Agreement signed").check()
    page.get_by_role("button", name="Add the endpoint").click()
    secret = page.locator("#shown-once-value").input_value()
    endpoint = WebhookEndpoint.objects.get(organisation=org)
    assert secret == endpoint.secret and sorted(endpoint.events) == ["agreement.signed", "session.held"]
    check_accessibility("webhook endpoint, secret shown once")

    page.get_by_role("button", name="Send a test ping").click()
    page.wait_for_selector("text=A test ping is on its way")
    assert receiver.received.wait(20)
    body = Webhook(secret).verify(receiver.requests[0]["body"], receiver.requests[0]["headers"])
    assert body["type"] == "webhook.ping" and body["data"]["endpoint"] == {"id": endpoint.pk}
    deadline = time.monotonic() + 20
    while not WebhookDelivery.objects.filter(endpoint=endpoint, status="delivered").exists():
        assert time.monotonic() < deadline, "the ping was not recorded as delivered"
        time.sleep(0.1)
    page.reload()
    log = page.locator("#deliveries-title + .table-wrap table").inner_text()
    assert "webhook.ping" in log and "Delivered" in log and "200" in log
    assert secret not in page.content()
    check_accessibility("webhook endpoint with its delivery log")
    assert page.csp_errors == []
