"""A second factor, once due, guards everything but the pages that set it up or verify it and
signing out (DESIGN.md §3b), and platform staff need one too (issue #14, 1 and 2)."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.hashers import check_password
from django.test import RequestFactory, override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts import twofactor
from apps.accounts.models import Membership
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

enforced = override_settings(PEACECASE_ENFORCE_2FA=True, OTP_TOTP_THROTTLE_FACTOR=0, OTP_STATIC_THROTTLE_FACTOR=0)


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def _sign_in(client, email, password, **extra):
    response = client.post("/accounts/login/", {"username": email, "password": password}, **extra)
    assert response.status_code == 302, "the password itself must be accepted"
    return response


@pytest.fixture
def mediator_with_authenticator():
    m = MembershipFactory(role=Membership.Role.MEDIATOR, user__email=f"med-{time.time_ns()}@alpha.example")
    device = TOTPDevice.objects.create(user=m.user, name="phone", confirmed=True)
    codes = twofactor.recovery_codes_regenerate(user=m.user)
    return m.user, device, codes


def _tokens(user) -> set[str]:
    return set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))


@enforced
def test_recovery_codes_cannot_be_made_before_the_second_factor(client, password, mediator_with_authenticator):
    user, _device, codes = mediator_with_authenticator
    _sign_in(client, user.email, password)
    response = client.post("/accounts/security/recovery-codes/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/verify/")
    assert "Your recovery codes" not in response.content.decode()
    assert _tokens(user) == set(codes), "no new codes were made"
    # And so no code of the attacker's making can pass the verification step.
    assert client.get("/").status_code == 302


@enforced
def test_the_password_cannot_be_changed_before_the_second_factor(client, password, mediator_with_authenticator):
    user, _device, _codes = mediator_with_authenticator
    _sign_in(client, user.email, password)
    page = client.get("/accounts/password/change/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/2fa/verify/")
    new = "a brand new passphrase 42"
    response = client.post("/accounts/password/change/",
                           {"old_password": password, "new_password1": new, "new_password2": new})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/verify/")
    user.refresh_from_db()
    assert check_password(password, user.password)
    assert not check_password(new, user.password)


@enforced
@pytest.mark.parametrize("url", ["/accounts/security/", "/accounts/password/change/done/"])
def test_other_security_pages_wait_for_the_second_factor(client, password, mediator_with_authenticator, url):
    user, _device, _codes = mediator_with_authenticator
    _sign_in(client, user.email, password)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/verify/")


@enforced
def test_signing_out_everywhere_waits_for_the_second_factor(client, password, mediator_with_authenticator):
    user, _device, _codes = mediator_with_authenticator
    epoch = user.session_epoch
    _sign_in(client, user.email, password)
    response = client.post("/accounts/security/sign-out-everywhere/")
    assert response["Location"].startswith("/accounts/2fa/verify/")
    user.refresh_from_db()
    assert user.session_epoch == epoch


@enforced
def test_verify_setup_and_sign_out_stay_reachable(client, password, mediator_with_authenticator):
    user, device, _codes = mediator_with_authenticator
    _sign_in(client, user.email, password)
    assert client.get("/accounts/2fa/verify/").status_code == 200
    done = client.post("/accounts/2fa/verify/", {"token": _code(device), "next": "/accounts/security/"})
    assert done.status_code == 302 and done["Location"] == "/accounts/security/"
    # Verified: the security pages open and new recovery codes can be made.
    assert client.get("/accounts/security/").status_code == 200
    made = client.post("/accounts/security/recovery-codes/")
    assert made.status_code == 200 and made.content.decode().count("<li><code>") == 10
    out = client.post("/accounts/logout/")
    assert out.status_code == 302 and "_auth_user_id" not in client.session


@enforced
def test_signing_out_needs_no_second_factor(client, password, mediator_with_authenticator):
    user, _device, _codes = mediator_with_authenticator
    _sign_in(client, user.email, password)
    out = client.post("/accounts/logout/")
    assert out.status_code == 302 and not out["Location"].startswith("/accounts/2fa/")
    assert "_auth_user_id" not in client.session


@enforced
def test_a_mediator_without_a_device_may_only_set_one_up(client, password):
    m = MembershipFactory(role=Membership.Role.MEDIATOR)
    _sign_in(client, m.user.email, password)
    assert client.get("/accounts/2fa/setup/").status_code == 200
    for url in ["/accounts/security/", "/accounts/password/change/", "/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/setup/"), url


@enforced
def test_a_user_without_a_second_factor_who_needs_none_changes_the_password(client, password):
    m = MembershipFactory(role=Membership.Role.ANALYST)
    _sign_in(client, m.user.email, password)
    assert client.get("/accounts/password/change/").status_code == 200
    assert client.get("/accounts/security/").status_code == 200


# --- Platform staff and the Django admin -------------------------------------------------------------


@enforced
def test_a_superuser_needs_a_second_factor_before_the_admin(client, password):
    boss = UserFactory(is_staff=True, is_superuser=True, email=f"root-{time.time_ns()}@platform.example")
    _sign_in(client, boss.email, password)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/setup/")
    assert client.get("/admin/accounts/user/").status_code == 302
    # Set it up, and the admin opens.
    client.get("/accounts/2fa/setup/")
    device = TOTPDevice.objects.get(user=boss, confirmed=False)
    client.post("/accounts/2fa/setup/", {"token": _code(device), "next": "/admin/"})
    admin_page = client.get("/admin/")
    assert admin_page.status_code == 200
    assert "Site administration" in admin_page.content.decode()


@enforced
def test_staff_need_a_second_factor_even_when_no_organisation_requires_one():
    staff = UserFactory(is_staff=True)
    plain = UserFactory()
    assert twofactor.user_requires_2fa(staff)
    assert not twofactor.user_requires_2fa(plain)


@enforced
def test_the_admin_refuses_a_staff_session_that_has_not_verified_its_second_factor():
    """The admin's own check, apart from the middleware: a staff session without a verified device."""
    from django.contrib import admin

    boss = UserFactory(is_staff=True, is_superuser=True)
    request = RequestFactory().get("/admin/")
    request.user = boss
    boss.is_verified = lambda: False
    request.session = {}
    assert admin.site.has_permission(request) is False
    boss.is_verified = lambda: True
    assert admin.site.has_permission(request) is True


def test_the_admin_login_page_sends_people_to_the_apps_sign_in(client, password):
    boss = UserFactory(is_staff=True, is_superuser=True)
    page = client.get("/admin/login/?next=/admin/accounts/user/")
    assert page.status_code == 302
    assert page["Location"] == "/accounts/login/?next=%2Fadmin%2Faccounts%2Fuser%2F"
    # Its form no longer signs anyone in: the password goes to the app's sign-in only.
    posted = client.post("/admin/login/", {"username": boss.email, "password": password})
    assert "_auth_user_id" not in client.session
    assert posted.status_code == 302 and posted["Location"].startswith("/accounts/login/")


def test_the_admin_sign_in_has_the_apps_lockout(client, password):
    """The attack of the issue: 20 wrong passwords at /admin/login/, then the right one."""
    boss = UserFactory(is_staff=True, is_superuser=True, email=f"root-{time.time_ns()}@platform.example")
    for _ in range(20):
        client.post("/admin/login/", {"username": boss.email, "password": "wrong-password-x"})
    client.post("/admin/login/", {"username": boss.email, "password": password})
    assert "_auth_user_id" not in client.session
    # Where the admin sends people, failures lock the account for this address.
    sign_in = client.get("/admin/login/?next=/admin/")["Location"]
    for _ in range(5):
        client.post(sign_in, {"username": boss.email, "password": "wrong-password-x"})
    right = client.post(sign_in, {"username": boss.email, "password": password})
    assert "Too many failed sign-in attempts" in right.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_a_signed_in_non_staff_user_is_refused_by_the_admin_without_a_loop(client):
    m = MembershipFactory()
    client.force_login(m.user)
    assert client.get("/admin/login/?next=/admin/").status_code == 403


# --- Client addresses: lockouts are not keyed on a header the client writes ---------------------------


def test_the_sign_in_lockout_ignores_a_forged_x_forwarded_for(client, password):
    user = MembershipFactory(user__email=f"xff-{time.time_ns()}@alpha.example").user
    for n in range(6):
        client.post("/accounts/login/", {"username": user.email, "password": "wrong-password-x"},
                    HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    right = client.post("/accounts/login/", {"username": user.email, "password": password},
                        HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert "Too many failed sign-in attempts" in right.content.decode()


@override_settings(PEACECASE_TRUSTED_PROXIES=["10.0.0.0/8"])
def test_the_client_address_is_the_peer_unless_the_peer_is_a_trusted_proxy():
    from apps.accounts.lockout import client_address

    rf = RequestFactory()
    direct = rf.get("/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert client_address(direct) == "203.0.113.5"
    proxied = rf.get("/", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.1, 10.9.9.9")
    assert client_address(proxied) == "198.51.100.1"
    garbage = rf.get("/", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="198.51.100.1, not-an-ip")
    assert client_address(garbage) == "10.1.2.3"
    bare = rf.get("/", REMOTE_ADDR="10.1.2.3")
    assert client_address(bare) == "10.1.2.3"


def test_without_trusted_proxies_forwarded_headers_are_ignored():
    from apps.accounts.lockout import client_address

    request = RequestFactory().get("/", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert client_address(request) == "10.1.2.3"
