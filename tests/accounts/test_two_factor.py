import time

import pytest
from django.test import override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import Membership
from apps.common.models import AuditEvent
from tests.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

# No throttle delay between a wrong and a right code (django-otp throttles by time).
enforced = override_settings(PEACECASE_ENFORCE_2FA=True, OTP_TOTP_THROTTLE_FACTOR=0, OTP_STATIC_THROTTLE_FACTOR=0)


def _code(device: TOTPDevice, offset: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


def _sign_in(client, email, password):
    return client.post("/accounts/login/", {"username": email, "password": password})


@enforced
def test_a_mediator_must_set_up_an_authenticator_before_working(client, password):
    m = MembershipFactory(role=Membership.Role.MEDIATOR, user__email="med@alpha.example")
    _sign_in(client, m.user.email, password)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/setup/")
    page = client.get(response["Location"])
    assert "Set up two-factor sign-in" in page.content.decode()
    device = TOTPDevice.objects.get(user=m.user, confirmed=False)
    wrong = client.post("/accounts/2fa/setup/", {"token": "000000" if _code(device) != "000000" else "111111"})
    assert "That code is not right" in wrong.content.decode()
    done = client.post("/accounts/2fa/setup/", {"token": _code(device), "next": "/"})
    body = done.content.decode()
    assert "Your recovery codes" in body
    assert body.count("<li><code>") == 10
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(action="accounts.two_factor.enabled", target_id=str(m.user.pk)).exists()


@enforced
def test_an_analyst_is_not_forced_but_a_user_with_a_device_must_use_it(client, password):
    m = MembershipFactory(role=Membership.Role.ANALYST)
    _sign_in(client, m.user.email, password)
    assert client.get("/").status_code == 200
    device = TOTPDevice.objects.create(user=m.user, name="phone", confirmed=True)
    client.logout()
    _sign_in(client, m.user.email, password)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/verify/")
    assert client.post("/accounts/2fa/verify/", {"token": "12"}).status_code == 200
    ok = client.post("/accounts/2fa/verify/", {"token": _code(device), "next": "/"})
    assert ok.status_code == 302 and ok["Location"] == "/"
    assert client.get("/").status_code == 200


@enforced
def test_the_organisation_can_turn_the_requirement_off(client, password):
    org = OrganisationFactory(require_2fa=False)
    m = MembershipFactory(organisation=org, role=Membership.Role.ADMIN)
    _sign_in(client, m.user.email, password)
    assert client.get("/").status_code == 200


@enforced
def test_a_recovery_code_works_once(client, password):
    from apps.accounts import twofactor

    m = MembershipFactory(role=Membership.Role.MEDIATOR)
    TOTPDevice.objects.create(user=m.user, name="phone", confirmed=True)
    codes = twofactor.recovery_codes_regenerate(user=m.user)
    _sign_in(client, m.user.email, password)
    assert client.post("/accounts/2fa/verify/", {"token": codes[0], "next": "/"}).status_code == 302
    client.logout()
    _sign_in(client, m.user.email, password)
    again = client.post("/accounts/2fa/verify/", {"token": codes[0], "next": "/"})
    assert again.status_code == 200
    assert "That code is not right" in again.content.decode()


@enforced
def test_api_requests_with_a_session_need_the_second_factor_but_keys_do_not(client, password):
    m = MembershipFactory(role=Membership.Role.MEDIATOR)
    _sign_in(client, m.user.email, password)
    response = client.get("/api/v1/me/")
    assert response.status_code == 403
    assert response.json()["code"] == "two_factor_required"


def test_repeated_failures_lock_the_address_with_the_same_message_for_unknown_accounts(client, password):
    real = MembershipFactory(user__email=f"lock-{time.time_ns()}@alpha.example").user
    ghost = f"ghost-{time.time_ns()}@alpha.example"
    for _ in range(5):
        _sign_in(client, real.email, "wrong-password-x")
        _sign_in(client, ghost, "wrong-password-x")
    locked_real = _sign_in(client, real.email, password).content.decode()
    locked_ghost = _sign_in(client, ghost, password).content.decode()
    assert "Too many failed sign-in attempts" in locked_real
    assert "Too many failed sign-in attempts" in locked_ghost
    assert "_auth_user_id" not in client.session
    other_client_ok = client.post("/accounts/login/", {"username": real.email, "password": password},
                                  REMOTE_ADDR="10.9.8.7")
    assert other_client_ok.status_code == 302


def test_password_reset_sends_at_most_three_mails_an_hour(client, mailoutbox):
    user = MembershipFactory(user__email=f"reset-{time.time_ns()}@alpha.example").user
    pages = [client.post("/accounts/password/reset/", {"email": user.email}, follow=True) for _ in range(5)]
    assert len(mailoutbox) == 3
    assert all("Check your e-mail" in p.content.decode() for p in pages)


def test_sign_out_everywhere_ends_other_sessions(client, password):
    from django.test import Client

    m = MembershipFactory()
    other = Client()
    other.force_login(m.user)
    client.force_login(m.user)
    assert other.get("/").status_code == 200
    response = client.post("/accounts/security/sign-out-everywhere/")
    assert response.status_code == 302
    assert other.get("/").status_code == 302
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="accounts.user.signed_out_everywhere").count() == 1


def test_the_session_expires_after_the_organisations_inactivity_timeout(client):
    org = OrganisationFactory(session_timeout_minutes=30)
    m = MembershipFactory(organisation=org)
    client.force_login(m.user)
    client.get("/")
    assert client.session.get_expiry_age() == 30 * 60


@override_settings(PEACECASE_ENFORCE_2FA=True)
def test_guessing_codes_is_throttled(client, password):
    m = MembershipFactory(role=Membership.Role.MEDIATOR)
    device = TOTPDevice.objects.create(user=m.user, name="phone", confirmed=True)
    _sign_in(client, m.user.email, password)
    wrong = "000000" if _code(device) != "000000" else "111111"
    client.post("/accounts/2fa/verify/", {"token": wrong})
    right_too_soon = client.post("/accounts/2fa/verify/", {"token": _code(device), "next": "/"})
    assert right_too_soon.status_code == 200
    assert client.get("/").status_code == 302


@override_settings(PEACECASE_SESSION_RENEW_SECONDS=60)
def test_the_session_is_renewed_at_most_once_a_minute_and_expires_after_inactivity(client, monkeypatch):
    """Activity pushes the expiry back (the inactivity limit counts from the last renewal), but the
    session row is written at most once a minute, not on every page."""
    import time as real_time

    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    org = OrganisationFactory(session_timeout_minutes=30)
    m = MembershipFactory(organisation=org)
    client.force_login(m.user)
    clock = [real_time.time()]
    monkeypatch.setattr(real_time, "time", lambda: clock[0])
    client.get("/")
    key = client.session.session_key
    first_expiry = Session.objects.get(session_key=key).expire_date
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    assert not [q for q in queries.captured_queries if q["sql"].startswith('UPDATE "django_session"')]
    assert Session.objects.get(session_key=key).expire_date == first_expiry

    clock[0] += 61
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    assert [q for q in queries.captured_queries if q["sql"].startswith('UPDATE "django_session"')]
    assert Session.objects.get(session_key=key).expire_date > first_expiry
