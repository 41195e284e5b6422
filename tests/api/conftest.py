from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories.api import make_api_key


@pytest.fixture(autouse=True)
def _fresh_address_budget():
    """Each test is a new client: refused keys count against the address (apps.api.throttling),
    and the whole suite refuses more keys a minute from 127.0.0.1 than any one client may."""
    from apps.api.throttling import throttle_reset

    throttle_reset("ip:127.0.0.1")


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def key_client():
    """key_client(raw_key) -> an APIClient sending ``Authorization: Api-Key <raw_key>``."""

    def make(raw_key: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
        return client

    return make


@pytest.fixture
def read_key(org):
    return make_api_key(org, scope="read", name="reader")


@pytest.fixture
def write_key(org):
    return make_api_key(org, scope="write", name="writer")


@pytest.fixture
def admin_api(admin_membership):
    client = APIClient()
    client.force_login(admin_membership.user)
    return client

