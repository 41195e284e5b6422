"""Issue #14 held-out style probes on the new surfaces: invitations (never reveal whether an account
exists; accepted once, by the invited account, before expiry), and what must never be shown again or
at all: API key hashes and raw keys, webhook secrets, the OpenAPI schema, the change feed, the
profile page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.invitations import invitation_create
from apps.accounts.models import Invitation, Membership
from apps.api.models import OrganisationAPIKey
from apps.webhooks.models import WebhookEndpoint
from tests.api.world import BETA_SECRET, RESTRICTED_TITLE, TEAM_SECRET, build_world
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
Role = Membership.Role


@pytest.fixture
def w():
    return build_world()


def _invite(w, email: str, role: str = Role.MEDIATOR) -> str:
    tokens = []
    invitation_create(actor=w.actor("admin"), email=email, role=role,
                      link_for=lambda token: tokens.append(token) or f"https://x/invitations/{token}/")
    return tokens[0]


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- invitations --------------------------------------------------------------------------------------------


def test_inviting_says_the_same_whether_the_address_has_an_account(w, django_capture_on_commit_callbacks):
    UserFactory(email="known@example.org")
    admin = _signed_in(w.members["admin"].user)
    answers = []
    for email in ("known@example.org", "unknown@example.org"):
        Invitation.objects.all().delete()  # each page lists only its own invitation
        with django_capture_on_commit_callbacks(execute=True):
            response = admin.post(reverse("organisation_member_add"), {"email": email, "role": "mediator"},
                                  follow=True)
        assert response.status_code == 200
        body = response.content.decode()
        # Normalise what differs by construction: the address itself and the per-request tokens.
        body = body.replace(email, "EMAIL")
        body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)
        body = re.sub(r"(known|unknown)@example\.org", "OTHER", body)
        body = re.sub(r"nonce-[^'\"]+|nonce=\"[^\"]+\"", "", body)
        body = re.sub(r'data-draft-scope="[^"]*"', "", body)
        body = re.sub(r"\d\d:\d\d", "HH:MM", body)
        body = re.sub(r"/settings/invitations/\d+/", "/settings/invitations/N/", body)
        body = re.sub(r'(id|for|aria-\w+)="[^"]*\d+[^"]*"', "", body)
        answers.append((response.status_code, body))
    if answers[0] != answers[1]:
        import difflib
        diff = "\n".join(difflib.unified_diff(answers[0][1].splitlines(), answers[1][1].splitlines(), lineterm=""))
        raise AssertionError(diff[:3000])
    assert [m.to for m in mail.outbox] == [["known@example.org"], ["unknown@example.org"]]
    assert mail.outbox[0].body.replace("known@", "X@") .split("/invitations/")[0] == \
        mail.outbox[1].body.replace("unknown@", "X@").split("/invitations/")[0]


def test_an_invitation_is_accepted_only_by_the_invited_account_once(w):
    invitee = UserFactory(email="invitee@example.org")
    stranger = MembershipFactory(organisation=w.beta, role=Role.ADMIN).user
    token = _invite(w, "Invitee@Example.org", Role.ADMIN)
    url = reverse("invitation_accept", args=[token])
    # Another account, however privileged elsewhere, cannot take it.
    response = _signed_in(stranger).post(url)
    assert response.status_code == 400
    assert not Membership.objects.filter(user=stranger, organisation=w.org).exists()
    # Nor can the signed-out holder of the link make an account for an address that has one.
    response = Client().post(url, {"name": "Mallory", "password": "a long enough passphrase 77",
                                   "password_again": "a long enough passphrase 77"})
    assert response.status_code == 400
    assert not Membership.objects.filter(user=invitee, organisation=w.org).exists()
    # The invitee accepts, once.
    invitee_client = _signed_in(invitee)
    assert invitee_client.post(url).status_code == 302
    assert Membership.objects.get(user=invitee, organisation=w.org).role == Role.ADMIN
    second = UserFactory(email="second@example.org")
    for client in (invitee_client, _signed_in(second), Client()):
        response = client.post(url, {"name": "x", "password": "a long enough passphrase 77",
                                     "password_again": "a long enough passphrase 77"})
        assert response.status_code == 404
    assert Membership.objects.filter(organisation=w.org, user__email__in=["invitee@example.org",
                                                                          "second@example.org"]).count() == 1


@pytest.mark.parametrize("state", ["expired", "revoked"])
def test_an_expired_or_withdrawn_invitation_does_nothing(w, state):
    invitee = UserFactory(email="late@example.org")
    token = _invite(w, "late@example.org")
    invitation = Invitation.objects.get(email="late@example.org")
    if state == "expired":
        invitation.expires_at = timezone.now() - dt.timedelta(seconds=1)
    else:
        invitation.revoked_at = timezone.now()
    invitation.save()
    url = reverse("invitation_accept", args=[token])
    for client in (_signed_in(invitee), Client()):
        page = client.get(url)
        assert page.status_code == 404
        if not page.wsgi_request.user.is_authenticated:  # a signed-in page names its own user
            assert "late@example.org" not in page.content.decode()
        assert client.post(url, {"name": "x", "password": "a long enough passphrase 77",
                                 "password_again": "a long enough passphrase 77"}).status_code == 404
    assert not Membership.objects.filter(organisation=w.org, user__email="late@example.org").exists()


def test_a_wrong_or_odd_token_says_nothing(w):
    _invite(w, "someone@example.org")
    for token in ("x", "A" * 43, "A" * 300, "%00", "..%2F"):
        response = Client().get(f"/invitations/{token}/")
        assert response.status_code == 404
        assert "someone@example.org" not in response.content.decode()
        assert w.org.name not in response.content.decode()


@override_settings(PEACECASE_ENFORCE_2FA=True)
def test_a_new_admin_made_by_an_invitation_still_owes_the_second_factor(w):
    w.org.require_2fa = True
    w.org.save()
    token = _invite(w, "fresh@example.org", Role.ADMIN)
    client = Client()
    response = client.post(reverse("invitation_accept", args=[token]), {
        "name": "Fresh", "password": "a long enough passphrase 77", "password_again": "a long enough passphrase 77"})
    assert response.status_code == 302
    page = client.get(reverse("organisation_settings"))
    assert page.status_code == 302 and page["Location"].startswith("/accounts/2fa/setup/")
    api = client.get("/api/v1/disputes/")
    assert api.status_code == 403 and RESTRICTED_TITLE not in api.content.decode()


# --- secrets never shown again ------------------------------------------------------------------------------


def test_api_keys_list_never_shows_a_hash_or_a_raw_key(w):
    admin_api = w.client("admin")
    created = admin_api.post("/api/v1/api-keys/", {"name": "fresh", "scope": "read"}, format="json")
    assert created.status_code == 201
    raw = created.json()["key"]
    hashes = list(OrganisationAPIKey.objects.values_list("hashed_key", flat=True))
    raws = [raw, *w.keys.values()]
    for response in (admin_api.get("/api/v1/api-keys/"), admin_api.get(f"/api/v1/api-keys/{raw.split('.')[0]}/"),
                     _signed_in(w.members["admin"].user).get(reverse("api_key_list")),
                     admin_api.get("/api/v1/me/"), w.client("read_key").get("/api/v1/me/"),
                     admin_api.get("/api/v1/audit-events/")):
        body = response.content.decode()
        assert response.status_code == 200, response.content[:200]
        for secret in (*hashes, *raws):
            assert secret not in body
        for raw_key in raws:
            assert raw_key.split(".", 1)[1] not in body


def test_webhook_secrets_are_shown_once(w):
    admin_api = w.client("admin")
    created = admin_api.post("/api/v1/webhooks/", {"url": "https://93.184.216.34/hooks",
                                                   "events": ["dispute.stage_changed"]}, format="json")
    assert created.status_code == 201, created.content
    secret = created.json()["secret"]
    endpoint_id = created.json()["id"]
    page = _signed_in(w.members["admin"].user)
    for response in (admin_api.get("/api/v1/webhooks/"), admin_api.get(f"/api/v1/webhooks/{endpoint_id}/"),
                     page.get(reverse("webhook_list")), page.get(reverse("webhook_detail", args=[endpoint_id])),
                     admin_api.get("/api/v1/audit-events/")):
        assert response.status_code == 200
        assert secret not in response.content.decode()
        assert secret.removeprefix("whsec_") not in response.content.decode()
    assert WebhookEndpoint.objects.get(pk=endpoint_id).secret == secret


def test_the_openapi_schema_holds_no_data(w):
    body = APIClient().get("/api/schema/?format=json").content.decode()
    for secret in (TEAM_SECRET, BETA_SECRET, RESTRICTED_TITLE, *w.keys.values(), w.members["admin"].user.email):
        assert secret not in body


# --- the change feed and the profile ------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["read_share_member", "read_key", "analyst", "other_org_admin"])
def test_the_change_feed_gives_ids_never_text(w, who):
    response = w.client(who).get("/api/v1/changes/?since=1970-01-01T00:00:00Z")
    assert response.status_code in (200, 400), response.content
    body = response.content.decode()
    for secret in (TEAM_SECRET, BETA_SECRET, RESTRICTED_TITLE, "Northland", "Southern Liberation Front"):
        assert secret not in body


def test_the_profile_changes_only_ones_own_account(w):
    me, other = w.members["co"].user, w.members["admin"].user
    client = _signed_in(me)
    page = client.get(reverse("profile"))
    assert page.status_code == 200 and other.email not in page.content.decode()
    client.post(reverse("profile"), {"name": "Renamed", "language": "en", "time_zone": "Europe/Berlin",
                                     "user": other.pk, "id": other.pk, "email": "taken@example.org",
                                     "is_staff": "on", "is_superuser": "on"})
    other.refresh_from_db()
    me.refresh_from_db()
    assert other.name != "Renamed"
    assert me.email != "taken@example.org" and not me.is_staff and not me.is_superuser
