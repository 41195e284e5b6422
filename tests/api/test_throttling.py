from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings

from apps.api.throttling import throttle_reset
from tests.api.helpers import assert_problem

pytestmark = pytest.mark.django_db


def _rates(**rates):
    return override_settings(REST_FRAMEWORK={
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates},
    })


def test_a_key_over_its_rate_gets_429_with_retry_after(read_key, key_client):
    client = key_client(read_key[1])
    with _rates(api_key="3/min"):
        for _ in range(3):
            assert client.get("/api/v1/me/").status_code == 200
        response = client.get("/api/v1/me/")
    assert_problem(response, 429, "throttled")
    assert 1 <= int(response["Retry-After"]) <= 60


def test_keys_and_users_have_separate_buckets(org, read_key, key_client, admin_membership, api):
    throttle_reset(f"user:{admin_membership.user.pk}")
    api.force_login(admin_membership.user)
    client = key_client(read_key[1])
    with _rates(api_key="1/min", user="2/min"):
        assert client.get("/api/v1/me/").status_code == 200
        assert client.get("/api/v1/me/").status_code == 429
        assert api.get("/api/v1/me/").status_code == 200
        assert api.get("/api/v1/me/").status_code == 200
        assert api.get("/api/v1/me/").status_code == 429


def test_the_previous_window_still_counts_in_proportion(read_key, key_client, monkeypatch):
    """10/min: 10 requests late in one minute, then early in the next one the caller is still refused."""
    from apps.api import throttling

    client = key_client(read_key[1])
    clock = [6000.0 + 50]  # minute 100, 50 s in
    monkeypatch.setattr(throttling.time, "time", lambda: clock[0])
    with _rates(api_key="10/min"):
        for _ in range(10):
            assert client.get("/api/v1/me/").status_code == 200
        clock[0] = 6000.0 + 60 + 6  # 6 s into minute 101: 10 x 0.9 = 9 still weigh in
        assert client.get("/api/v1/me/").status_code == 200  # 9 + 1 = 10
        refused = client.get("/api/v1/me/")  # 9 + 2 = 11
        assert refused.status_code == 429
        assert int(refused["Retry-After"]) == 54
        clock[0] = 6000.0 + 120 + 59  # minute 102: minute 101 had 2 (one refused), 2 x 0.02 + 1
        assert client.get("/api/v1/me/").status_code == 200


def test_the_counter_is_a_few_bytes_whatever_the_rate(read_key, key_client):
    from apps.api.throttling import KEY_PREFIX, throttle_redis

    client = key_client(read_key[1])
    with _rates(api_key="100000/min"):
        for _ in range(30):
            assert client.get("/api/v1/me/").status_code == 200
    keys = list(throttle_redis().scan_iter(f"{KEY_PREFIX}:key:{read_key[0].pk}:*"))
    assert keys and all(int(throttle_redis().get(k)) <= 30 for k in keys)
    assert all(throttle_redis().strlen(k) <= 6 for k in keys)


def test_requests_pass_when_the_throttle_store_is_down(read_key, key_client):
    client = key_client(read_key[1])
    with _rates(api_key="1/min"), override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        assert client.get("/api/v1/me/").status_code == 200
        assert client.get("/api/v1/me/").status_code == 200


# --- The anonymous limit: the peer's address, and failed authentications count (issue #14, 11) ------


def _fresh_address(n: int) -> str:
    import time

    address = f"198.18.{(time.time_ns() // 1000) % 250}.{n}"
    throttle_reset(f"ip:{address}")
    return address


def test_bad_keys_count_against_the_address_and_a_forged_x_forwarded_for_does_not_help(api):
    address = _fresh_address(1)
    with _rates(anon="3/min"):
        codes = [
            api.get("/api/v1/me/", REMOTE_ADDR=address, HTTP_AUTHORIZATION=f"Api-Key bad{n}.key",
                    HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
            for n in range(6)
        ]
    assert codes[:3] == [401, 401, 401]
    assert codes[3:] == [429, 429, 429]


def test_a_refused_address_gets_429_with_retry_after_for_any_authorization_header(api):
    address = _fresh_address(2)
    with _rates(anon="2/min"):
        for header in ["Bearer x", "Api-Key nope"]:
            assert api.get("/api/v1/me/", REMOTE_ADDR=address, HTTP_AUTHORIZATION=header).status_code == 401
        refused = api.get("/api/v1/me/", REMOTE_ADDR=address, HTTP_AUTHORIZATION="Basic Zm9vOmJhcg==")
    assert_problem(refused, 429, "throttled")
    assert 1 <= int(refused["Retry-After"]) <= 60


def test_a_revoked_key_counts_but_another_address_and_a_good_key_are_not_held_back(api, read_key, org):
    from apps.api.services import api_key_revoke
    from tests.factories.api import make_api_key

    revoked, revoked_raw = make_api_key(org, scope="read", name="old")
    api_key_revoke(actor=None, api_key=revoked)
    address, other = _fresh_address(3), _fresh_address(4)

    def call(remote, raw):
        return api.get("/api/v1/me/", REMOTE_ADDR=remote, HTTP_AUTHORIZATION=f"Api-Key {raw}").status_code

    with _rates(anon="2/min"):
        assert [call(address, revoked_raw) for _ in range(3)] == [401, 401, 429]
        assert call(other, revoked_raw) == 401
        # A partner's valid key has its own budget, whatever its neighbours on the address do.
        assert call(address, read_key[1]) == 200


def test_behind_a_trusted_proxy_each_client_has_its_own_budget(api):
    first, second = _fresh_address(5), _fresh_address(6)
    proxy = "10.20.30.40"
    throttle_reset(f"ip:{proxy}")
    with _rates(anon="2/min"), override_settings(PEACECASE_TRUSTED_PROXIES=["10.0.0.0/8"]):
        def call(client_address, forged):
            return api.get("/api/v1/me/", REMOTE_ADDR=proxy, HTTP_AUTHORIZATION="Api-Key bad.key",
                           HTTP_X_FORWARDED_FOR=f"{forged}, {client_address}").status_code

        # What the client wrote itself (the left-most entry) changes nothing.
        assert [call(first, f"203.0.113.{n}") for n in range(3)] == [401, 401, 429]
        assert call(second, "203.0.113.9") == 401


def test_ipv6_clients_are_counted_by_their_64(api):
    throttle_reset("ip:2001:db8:7:7::/64")
    with _rates(anon="2/min"):
        codes = [
            api.get("/api/v1/me/", REMOTE_ADDR=f"2001:db8:7:7::{n}", HTTP_AUTHORIZATION="Api-Key bad.key").status_code
            for n in range(1, 4)
        ]
    assert codes == [401, 401, 429]


def test_a_session_refused_for_its_second_factor_counts_too(password):
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from rest_framework.test import APIClient

    from apps.accounts.models import Membership
    from tests.factories import MembershipFactory

    m = MembershipFactory(role=Membership.Role.MEDIATOR)
    TOTPDevice.objects.create(user=m.user, name="phone", confirmed=True)
    client = APIClient()
    address = _fresh_address(7)
    with override_settings(PEACECASE_ENFORCE_2FA=True, MIDDLEWARE=[
        x for x in settings.MIDDLEWARE if not x.endswith(".TwoFactorMiddleware")
    ]), _rates(anon="2/min"):
        client.post("/accounts/login/", {"username": m.user.email, "password": password})
        codes = [client.get("/api/v1/me/", REMOTE_ADDR=address).status_code for _ in range(3)]
    assert codes == [403, 403, 429]
