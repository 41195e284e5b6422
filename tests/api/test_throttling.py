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
