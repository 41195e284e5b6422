from __future__ import annotations

import pytest

from apps.accounts.models import Organisation
from apps.api.models import IdempotencyRecord
from tests.api.helpers import assert_problem
from tests.factories.api import make_api_key

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.api.urls")]


def test_the_same_key_and_body_replays_the_first_response(write_key, key_client):
    client = key_client(write_key[1])
    first = client.post("/test-api/probes/", {"name": "Once"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post("/test-api/probes/", {"name": "Once"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["ETag"] == first["ETag"]
    assert again["Idempotent-Replayed"] == "true"
    assert Organisation.objects.filter(name="Once").count() == 1


def test_the_same_key_with_another_body_is_a_409(write_key, key_client):
    client = key_client(write_key[1])
    client.post("/test-api/probes/", {"name": "First"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    response = client.post("/test-api/probes/", {"name": "Second"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert_problem(response, 409, "idempotency_key_reused")
    assert not Organisation.objects.filter(name="Second").exists()


def test_keys_are_per_caller(org, write_key, key_client):
    _other, other_raw = make_api_key(org, scope="write", name="other")
    key_client(write_key[1]).post("/test-api/probes/", {"name": "A1"}, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    response = key_client(other_raw).post(
        "/test-api/probes/", {"name": "B1"}, format="json", HTTP_IDEMPOTENCY_KEY="k-3"
    )
    assert response.status_code == 201 and "Idempotent-Replayed" not in response


def test_a_failed_request_is_not_remembered(write_key, key_client):
    client = key_client(write_key[1])
    assert client.post("/test-api/probes/", {"name": ""}, format="json", HTTP_IDEMPOTENCY_KEY="k-4").status_code == 400
    assert not IdempotencyRecord.objects.filter(key="k-4").exists()
    ok = client.post("/test-api/probes/", {"name": "Fixed"}, format="json", HTTP_IDEMPOTENCY_KEY="k-4")
    assert ok.status_code == 201


def test_a_record_older_than_a_day_is_forgotten(write_key, key_client):
    from datetime import timedelta

    from django.utils import timezone

    client = key_client(write_key[1])
    client.post("/test-api/probes/", {"name": "Old"}, format="json", HTTP_IDEMPOTENCY_KEY="k-5")
    IdempotencyRecord.objects.filter(key="k-5").update(created_at=timezone.now() - timedelta(hours=25))
    response = client.post("/test-api/probes/", {"name": "New"}, format="json", HTTP_IDEMPOTENCY_KEY="k-5")
    assert response.status_code == 201 and response.json()["name"] == "New"


def test_an_unusable_idempotency_key_is_a_400(write_key, key_client):
    client = key_client(write_key[1])
    response = client.post("/test-api/probes/", {"name": "X"}, format="json", HTTP_IDEMPOTENCY_KEY="x" * 256)
    assert "Idempotency-Key" in assert_problem(response, 400)["errors"]
