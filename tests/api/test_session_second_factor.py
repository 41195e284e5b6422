"""The API and a browser session that has not done its second factor (issue #14, 1b): whatever
headers come with it, nothing is answered; an Authorization header is a key or a 401."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from tests.api.helpers import assert_problem
from tests.api.world import TEAM_SECRET, build_world

pytestmark = pytest.mark.django_db

enforced = override_settings(PEACECASE_ENFORCE_2FA=True, OTP_TOTP_THROTTLE_FACTOR=0)
without_middleware = override_settings(
    MIDDLEWARE=[m for m in settings.MIDDLEWARE if not m.endswith(".TwoFactorMiddleware")]
)

FOREIGN_HEADERS = ["Bearer x", "Basic Zm9vOmJhcg==", "Token abc", "Api-Key", "Api-Key nope", "", "x"]


@pytest.fixture
def world():
    return build_world()


def _urls(world) -> list[str]:
    return [
        "/api/v1/me/",
        "/api/v1/notes/",
        f"/api/v1/notes/{world.team_note.pk}/",
        f"/api/v1/disputes/{world.dispute.pk}/",
        f"/api/v1/sessions/{world.caucus.pk}/",
    ]


def _signed_in_with_password_only(world, password) -> APIClient:
    lead = world.members["lead"].user
    TOTPDevice.objects.create(user=lead, name="phone", confirmed=True)
    client = APIClient()
    assert client.post("/accounts/login/", {"username": lead.email, "password": password}).status_code == 302
    return client


def _verify(client, user) -> None:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    assert client.post("/accounts/2fa/verify/", {"token": code, "next": "/"}).status_code == 302


def _assert_nothing_leaks(response, world) -> None:
    body = response.content.decode()
    assert TEAM_SECRET not in body
    assert world.dispute.title not in body
    assert world.members["lead"].user.email not in body


@enforced
def test_an_unverified_session_gets_nothing_whatever_the_authorization_header(world, password):
    client = _signed_in_with_password_only(world, password)
    for url in _urls(world):
        plain = client.get(url)
        assert_problem(plain, 403, "two_factor_required")
        _assert_nothing_leaks(plain, world)
        for header in FOREIGN_HEADERS:
            response = client.get(url, HTTP_AUTHORIZATION=header)
            assert response.status_code in (401, 403), (url, header, response.status_code)
            _assert_nothing_leaks(response, world)


@enforced
@without_middleware
def test_the_api_itself_refuses_an_unverified_session(world, password):
    """The API's own authentication, with the middleware out of the way."""
    client = _signed_in_with_password_only(world, password)
    for url in _urls(world):
        response = client.get(url)
        assert_problem(response, 403, "two_factor_required")
        _assert_nothing_leaks(response, world)
        for header in FOREIGN_HEADERS:
            refused = client.get(url, HTTP_AUTHORIZATION=header)
            assert_problem(refused, 401, "invalid_api_key")
            _assert_nothing_leaks(refused, world)


@enforced
def test_a_verified_session_reads_but_a_foreign_header_is_never_passed_on_to_it(world, password):
    client = _signed_in_with_password_only(world, password)
    _verify(client, world.members["lead"].user)
    note = client.get(f"/api/v1/notes/{world.team_note.pk}/")
    assert note.status_code == 200 and TEAM_SECRET in note.content.decode()
    for header in FOREIGN_HEADERS:
        refused = client.get(f"/api/v1/notes/{world.team_note.pk}/", HTTP_AUTHORIZATION=header)
        assert_problem(refused, 401, "invalid_api_key")
        _assert_nothing_leaks(refused, world)


def test_a_foreign_authorization_header_is_refused_even_when_second_factors_are_off(world):
    client = APIClient()
    client.force_login(world.members["lead"].user)
    assert client.get("/api/v1/me/").status_code == 200
    for header in FOREIGN_HEADERS:
        refused = client.get(f"/api/v1/notes/{world.team_note.pk}/", HTTP_AUTHORIZATION=header)
        assert_problem(refused, 401, "invalid_api_key")
        _assert_nothing_leaks(refused, world)


@enforced
def test_a_key_still_works_without_any_session(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {world.keys['read_key']}")
    me = client.get("/api/v1/me/")
    assert me.status_code == 200
