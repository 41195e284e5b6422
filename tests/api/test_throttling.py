from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings

from apps.api.throttling import throttle_cache
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
    throttle_cache().delete(f"user:user:{admin_membership.user.pk}")
    api.force_login(admin_membership.user)
    client = key_client(read_key[1])
    with _rates(api_key="1/min", user="2/min"):
        assert client.get("/api/v1/me/").status_code == 200
        assert client.get("/api/v1/me/").status_code == 429
        assert api.get("/api/v1/me/").status_code == 200
        assert api.get("/api/v1/me/").status_code == 200
        assert api.get("/api/v1/me/").status_code == 429
