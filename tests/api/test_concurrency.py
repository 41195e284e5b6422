from __future__ import annotations

import pytest

from tests.api.helpers import assert_problem

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.api.urls")]


@pytest.fixture
def writer(write_key, key_client):
    return key_client(write_key[1])


def test_a_read_carries_an_etag_and_answers_304_when_unchanged(org, writer):
    response = writer.get(f"/test-api/probes/{org.pk}/")
    etag = response["ETag"]
    assert etag.startswith('"')
    assert writer.get(f"/test-api/probes/{org.pk}/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert writer.get("/api/v1/organisation/")["ETag"] == etag


def test_an_edit_without_if_match_is_a_428(org, writer):
    assert_problem(writer.patch(f"/test-api/probes/{org.pk}/", {"name": "N"}, format="json"), 428)


def test_an_edit_with_a_stale_etag_is_a_412_and_changes_nothing(org, writer):
    stale = writer.get(f"/test-api/probes/{org.pk}/")["ETag"]
    fresh = writer.patch(f"/test-api/probes/{org.pk}/", {"name": "First"}, format="json", HTTP_IF_MATCH=stale)
    assert fresh.status_code == 200 and fresh["ETag"] != stale
    response = writer.patch(f"/test-api/probes/{org.pk}/", {"name": "Second"}, format="json", HTTP_IF_MATCH=stale)
    assert_problem(response, 412, "precondition_failed")
    org.refresh_from_db()
    assert org.name == "First"
    ok = writer.put(f"/test-api/probes/{org.pk}/", {"name": "Third"}, format="json", HTTP_IF_MATCH=fresh["ETag"])
    assert ok.status_code == 200 and ok.json()["name"] == "Third"
