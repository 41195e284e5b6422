"""Issue #14 held-out style probes: a password-only session where a second factor is due reaches
nothing but the pages that set it up or verify it, and signing out (DESIGN.md §3b, the edges).

Every URL pattern of the URLconf is walked (GET and POST), the API also with odd headers, and the
Django admin as an unverified staff member. Each answer must be the step (a redirect to it, or the
API's 403 ``two_factor_required``) and must carry none of the world's markers."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.middleware import TWO_FACTOR_ALLOWED_VIEWS
from apps.api.throttling import ActorRateThrottle
from apps.disputes.models import Dispute
from tests.security.urlsweep import PARAM, fill, walk
from tests.security.world import MARKERS, build_world

pytestmark = pytest.mark.django_db

enforced = override_settings(PEACECASE_ENFORCE_2FA=True, OTP_TOTP_THROTTLE_FACTOR=0)


@pytest.fixture(autouse=True)
def _no_throttle(monkeypatch):
    monkeypatch.setattr(ActorRateThrottle, "allow_request", lambda self, request, view: True)


def _password_only(client: Client, user, password: str) -> None:
    response = client.post("/accounts/login/", {"username": user.email, "password": password})
    assert response.status_code == 302, "the password itself is accepted"


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _assert_held_back(response, path: str, method: str) -> None:
    body = _body(response)
    for marker in MARKERS:
        assert marker not in body, (method, path, marker)
    if path.startswith("/api/"):
        assert response.status_code == 403, (method, path, response.status_code, body[:300])
        assert response.json()["code"] == "two_factor_required", (method, path, body[:300])
    else:
        assert response.status_code == 302, (method, path, response.status_code, body[:300])
        assert response["Location"].startswith(("/accounts/2fa/verify/", "/accounts/2fa/setup/")), (
            method, path, response["Location"])


def _walk_everything(client: Client, w) -> int:
    checked = 0
    for pattern in walk():
        if pattern.name in TWO_FACTOR_ALLOWED_VIEWS and not pattern.is_admin:
            continue
        try:
            paths = fill(w, pattern)[:2]
        except AssertionError:  # a pattern the shared sweep has no filler for yet: the guard runs first anyway
            paths = ["/" + PARAM.sub("1", pattern.template)]
        for path in paths:
            for method in ("get", "post"):
                if pattern.name == "api-schema":
                    continue
                response = client.get(path) if method == "get" else client.post(path, {"x": "1"})
                _assert_held_back(response, path, method)
                checked += 1
    return checked


@enforced
def test_every_url_waits_for_a_confirmed_authenticator(password):
    w = build_world()
    user = w.members["a_admin"].user
    user.set_password(password)
    user.save()
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    _password_only(client, user, password)
    before = list(Dispute.objects.order_by("pk").values_list("pk", "title", "stage", "confidentiality"))
    assert _walk_everything(client, w) > 300
    assert list(Dispute.objects.order_by("pk").values_list("pk", "title", "stage", "confidentiality")) == before


@enforced
def test_every_url_waits_for_the_setup_when_the_organisation_requires_it(password):
    w = build_world()
    w.a.require_2fa = True
    w.a.save()
    user = w.members["a_mediator"].user
    user.set_password(password)
    user.save()
    client = Client()
    _password_only(client, user, password)
    assert _walk_everything(client, w) > 300


ODD_HEADERS = [
    {},
    {"HTTP_AUTHORIZATION": "Api-Key not-a-key"},
    {"HTTP_AUTHORIZATION": "Api-Key "},
    {"HTTP_AUTHORIZATION": "Bearer x"},
    {"HTTP_AUTHORIZATION": "Basic YTpi"},
    {"HTTP_AUTHORIZATION": "Token x"},
    {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"},
    {"HTTP_ACCEPT": "text/html"},
    {"HTTP_ACCEPT": "application/json; version=2"},
    {"HTTP_X_HTTP_METHOD_OVERRIDE": "GET"},
    {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_HOST": "evil.example"},
]


@enforced
@pytest.mark.parametrize("path", ["/api/v1/disputes/", "/api/v1/me/", "/api/v1/notes/", "/api//v1/disputes/",
                                  "/api/v1/disputes/?format=json", "/api/v1/changes/?since=0",
                                  "/api/v1/api-keys/", "/api/v1/webhooks/", "/api/v1/audit-events/"])
def test_the_api_with_a_password_only_session_and_odd_headers_gives_nothing(password, path):
    w = build_world()
    user = w.members["a_admin"].user
    user.set_password(password)
    user.save()
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    _password_only(client, user, password)
    for headers in ODD_HEADERS:
        _check_odd(client, user, path, headers)


def _check_odd(client: Client, user, path: str, headers: dict) -> None:
    for response in (client.get(path, **headers), client.post(path, {}, content_type="application/json", **headers),
                     client.options(path, **headers), client.head(path, **headers)):
        body = _body(response)
        assert response.status_code in (401, 403, 404, 405), (path, headers, response.status_code, body[:300])
        for marker in MARKERS:
            assert marker not in body
        assert user.email not in body


@enforced
def test_the_admin_waits_for_the_second_factor_of_an_unverified_staff_member(password):
    w = build_world()
    user = w.members["a_admin"].user
    user.is_staff = user.is_superuser = True
    user.set_password(password)
    user.save()
    client = Client()
    # Through the admin's own login page: the password alone does not open the admin.
    response = client.post("/admin/login/?next=/admin/", {"username": user.email, "password": password})
    assert response.status_code in (200, 302)
    for path in ["/admin/", "/admin/disputes/dispute/", f"/admin/disputes/dispute/{w.res.dispute.pk}/change/",
                 "/admin/accounts/user/", "/admin/auth/group/add/", "/admin/password_change/"]:
        page = client.get(path)
        assert page.status_code == 302, (path, page.status_code)
        assert page["Location"].startswith(("/accounts/2fa/setup/", "/accounts/2fa/verify/", "/admin/login/")), (
            path, page["Location"])
        assert all(marker not in _body(page) for marker in MARKERS)


@enforced
def test_the_admin_refuses_non_staff_even_verified_admins_of_an_organisation(password):
    w = build_world()
    client = Client()
    client.force_login(w.members["a_admin"].user)
    for path in ["/admin/", "/admin/disputes/dispute/", f"/admin/disputes/dispute/{w.std.dispute.pk}/change/"]:
        response = client.get(path)
        assert response.status_code in (302, 404), path
        if response.status_code == 302:
            assert "/admin/login/" in response["Location"] or "/accounts/2fa/" in response["Location"]
        assert all(marker not in _body(response) for marker in MARKERS)
