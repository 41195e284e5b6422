"""Agreements, versions (If-Match, never overwritten, diff), provisions with current scores,
assessments and roll-ups over the API."""

from __future__ import annotations

import pytest

from apps.agreements.models import AgreementVersion, Provision
from tests.api.helpers import assert_problem
from tests.api.querycount import assert_fixed_queries
from tests.api.world import BETA_SECRET, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def test_editing_a_version_adds_its_successor_and_needs_the_latest_etag(world):
    client = world.client("lead")
    url = f"/api/v1/agreement-versions/{world.v2.pk}/"
    edit = {"text": "Article 1\nThe parties cease fire at dawn.", "change_summary": "dawn", "reason": "Typo"}
    assert_problem(client.patch(url, edit, format="json"), 428)
    etag = client.get(url)["ETag"]
    response = client.patch(url, edit, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content
    v3 = response.json()
    assert v3["number"] == 3 and v3["based_on_id"] == world.v2.pk and v3["is_amendment"] is True
    # The old version is untouched and its tag is now stale: a second edit from it is a 412.
    assert AgreementVersion.objects.get(pk=world.v2.pk).text.endswith("midnight.")
    assert client.get(url).json()["is_latest"] is False
    assert_problem(client.patch(url, edit, format="json", HTTP_IF_MATCH=etag), 412)
    diff = client.get(f"/api/v1/agreements/{world.agreement.pk}/diff/?from=2&to=3").json()
    assert diff["lines_added"] == 1 and diff["lines_removed"] == 1
    assert "+The parties cease fire at dawn." in diff["unified"]


def test_a_signed_text_is_only_amended_with_a_reason(world):
    client = world.client("lead")
    url = f"/api/v1/agreement-versions/{world.v2.pk}/"
    body = assert_problem(client.patch(url, {"text": "Other"}, format="json", HTTP_IF_MATCH="*"), 400)
    assert body["errors"]


def test_diff_bad_numbers_and_unknown_versions(world):
    client = world.client("read_key")
    assert_problem(client.get(f"/api/v1/agreements/{world.agreement.pk}/diff/?from=1"), 400)
    assert_problem(client.get(f"/api/v1/agreements/{world.agreement.pk}/diff/?from=1&to=9"), 404)
    beta_agreement = world.beta_ids["agreement"]
    assert_problem(client.get(f"/api/v1/agreements/{beta_agreement}/diff/?from=1&to=2"), 404)


def test_provisions_carry_their_current_score_and_filter_by_it(world):
    client = world.client("read_key")
    row = client.get(f"/api/v1/provisions/?agreement={world.agreement.pk}").json()["results"][0]
    assert row["current_score"] == 1 and row["is_overdue"] is True
    assert row["responsible_party_ids"] == sorted([world.a.party_id, world.b.party_id])
    assert [r["id"] for r in client.get("/api/v1/provisions/?score=1").json()["results"]] == [world.provision.pk]
    assert client.get("/api/v1/provisions/?score=3").json()["results"] == []
    assert [r["id"] for r in client.get("/api/v1/provisions/?overdue=true").json()["results"]] == [world.provision.pk]
    assert client.get("/api/v1/provisions/?category=elections").json()["results"] == []
    for bad in ("score=4", "category=magic", "overdue=1", "updated_since=2026-01-01"):
        assert_problem(client.get(f"/api/v1/provisions/?{bad}"), 400)


def test_an_assessment_updates_the_current_score(world):
    client = world.client("write_key")
    response = client.post("/api/v1/assessments/", {"provision": world.provision.pk, "score": 3,
                                                     "evidence": "Monitors' report"}, format="json")
    assert response.status_code == 201, response.content
    assert client.get(f"/api/v1/provisions/{world.provision.pk}/").json()["current_score"] == 3
    rollup = client.get(f"/api/v1/rollups/?by=agreement&agreement={world.agreement.pk}").json()
    assert rollup == [{**rollup[0], "agreement_id": world.agreement.pk, "total": 1, "level_3": 1}]
    assert_problem(client.get("/api/v1/rollups/?by=planet"), 400)


def test_a_provision_cannot_name_another_organisations_party(world):
    before = Provision.objects.count()
    body = assert_problem(world.client("lead").post("/api/v1/provisions/", {
        "agreement": world.agreement.pk, "text": "Elections", "category": "elections",
        "responsible_parties": [world.beta_ids["party"]]}, format="json"), 400)
    assert "responsible_parties" in body["errors"] and BETA_SECRET not in str(body)
    assert Provision.objects.count() == before


def test_agreement_lists_run_in_a_fixed_number_of_queries(world):
    client = world.client("read_key")
    for n in range(8):
        response = world.client("lead").post("/api/v1/provisions/", {
            "agreement": world.agreement.pk, "text": f"Provision {n}", "category": "elections",
            "responsible_parties": [world.a.party_id]}, format="json")
        assert response.status_code == 201, response.content
    for url in ("/api/v1/agreements/", "/api/v1/agreement-versions/", "/api/v1/signatories/",
                "/api/v1/provisions/", "/api/v1/assessments/", "/api/v1/proposals/"):
        assert_fixed_queries(client, url, at_most=4)
    # The key, the pull's sync watermark, the page.
    assert_fixed_queries(client, "/api/v1/provisions/", at_most=3, min_rows=9)
