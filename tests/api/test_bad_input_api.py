"""Bad input on the domain resources: each a documented 4xx problem, never a 500, nothing written."""

from __future__ import annotations

import pytest
from django.test import override_settings

from apps.api.services import api_key_revoke
from apps.disputes.models import NegotiationIssue
from tests.api.helpers import assert_problem
from tests.factories import DisputeFactory, MembershipFactory, OrganisationFactory
from tests.factories.api import make_api_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(org, key_client):
    lead = MembershipFactory(organisation=org, role="mediator").user
    dispute = DisputeFactory(organisation=org, lead=lead)
    _key, raw = make_api_key(org, scope="write", name="w")
    return dispute, key_client(raw)


def _issue_body(dispute, **extra):
    return {"dispute": dispute.pk, "title": "Prisoner exchange"} | extra


def test_malformed_json_is_a_400(case):
    _dispute, client = case
    response = client.post("/api/v1/issues/", data='{"dispute": 1,', content_type="application/json")
    assert_problem(response, 400, "parse_error")


def test_a_body_that_is_not_json_is_a_415(case):
    _dispute, client = case
    assert_problem(client.post("/api/v1/issues/", data="title=x", content_type="application/x-www-form-urlencoded"),
                   415)


@pytest.mark.parametrize(("body", "field"), [
    ({"colour": "red"}, "colour"),
    ({"title": 42, "order": "first"}, "order"),
    ({"order": -1}, "order"),
    ({"dispute": "1"}, "dispute"),
    ({"dispute": True}, "dispute"),
])
def test_unknown_fields_and_wrong_types_are_a_400_naming_the_field(case, body, field):
    dispute, client = case
    before = NegotiationIssue.objects.count()
    problem = assert_problem(client.post("/api/v1/issues/", _issue_body(dispute) | body, format="json"), 400)
    assert field in problem["errors"]
    assert NegotiationIssue.objects.count() == before


def test_another_organisations_dispute_in_a_body_is_a_400_not_a_link(case):
    _dispute, client = case
    foreign = DisputeFactory(organisation=OrganisationFactory(slug="beta"))
    problem = assert_problem(client.post("/api/v1/issues/", _issue_body(foreign), format="json"), 400)
    assert "dispute" in problem["errors"] and not NegotiationIssue.objects.filter(dispute=foreign).exists()


def test_naive_datetimes_are_refused_in_bodies_and_queries(case):
    dispute, client = case
    problem = assert_problem(client.post("/api/v1/sessions/", {
        "dispute": dispute.pk, "kind": "joint_session", "title": "T", "starts_at": "2026-12-01T09:00:00",
        "ends_at": "2026-12-01T11:00:00Z", "time_zone": "UTC"}, format="json"), 400)
    assert "starts_at" in problem["errors"]
    for url in ("/api/v1/disputes/?updated_since=2026-01-01T00:00:00", "/api/v1/notes/?updated_since=2026-01-01",
                "/api/v1/stage-changes/?since=2026-01-01T12:00"):
        assert_problem(client.get(url), 400)


@pytest.mark.parametrize("url", [
    "/api/v1/disputes/?page_size=201", "/api/v1/sessions/?page_size=500", "/api/v1/provisions/?page_size=0",
    "/api/v1/sessions/?kind=banquet", "/api/v1/provisions/?score=9", "/api/v1/action-items/?overdue=perhaps",
    "/api/v1/proposals/?status=lost", "/api/v1/parties/?kind=alien", "/api/v1/case-parties/?dispute=x",
])
def test_page_sizes_over_the_limit_and_unknown_filter_values_are_a_400(case, url):
    _dispute, client = case
    assert_problem(client.get(url), 400)


def test_a_read_only_key_cannot_write(org, key_client, case):
    dispute, _client = case
    _key, raw = make_api_key(org, scope="read", name="r")
    assert_problem(key_client(raw).post("/api/v1/issues/", _issue_body(dispute), format="json"), 403, "read_only_key")


def test_a_revoked_key_is_a_401(org, key_client, case):
    dispute, _client = case
    key, raw = make_api_key(org, scope="write", name="gone")
    api_key_revoke(actor=None, api_key=key)
    assert_problem(key_client(raw).get("/api/v1/disputes/"), 401)
    assert_problem(key_client(raw).post("/api/v1/issues/", _issue_body(dispute), format="json"), 401)


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_an_oversized_body_is_a_413(case):
    dispute, client = case
    assert_problem(client.post("/api/v1/issues/", _issue_body(dispute, description="x" * 5000), format="json"), 413)


def test_an_unknown_id_in_the_url_is_a_404_problem(case):
    _dispute, client = case
    for url in ("/api/v1/disputes/999999/", "/api/v1/notes/999999/", "/api/v1/disputes/999999/timeline/",
                "/api/v1/issues/999999/thread/", "/api/v1/agreements/999999/diff/?from=1&to=2"):
        assert_problem(client.get(url), 404)


@pytest.mark.parametrize("value", ["²", "1²", "③", "٣٠٠"])
def test_unicode_digits_in_numbers_are_a_400_not_a_500(value, read_key, key_client):
    """str.isdigit() accepts "²" and "③", which int() refuses: every numeric query value is checked
    with isdecimal(); Arabic-Indic digits are decimals and are read as numbers (300 is over the limit)."""
    client = key_client(read_key[1])
    response = client.get("/api/v1/disputes/", {"page_size": value})
    assert response.status_code == 400, response.content
    assert "page_size" in response.json()["errors"]
