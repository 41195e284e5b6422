"""/api/v1/disputes/ and its parts: the list contract, filters, writes through the services,
If-Match, the stage and risk actions, the timeline, and a fixed number of queries per list."""

from __future__ import annotations

import pytest

from apps.disputes.models import Dispute, StageChange
from tests.api.helpers import assert_problem
from tests.api.querycount import assert_fixed_queries
from tests.api.world import build_world
from tests.factories import CasePartyFactory, DisputeFactory, MembershipFactory, PartyFactory

pytestmark = pytest.mark.django_db

ROW_KEYS = {"id", "reference", "title", "stage", "risk", "confidentiality", "process_format", "track", "countries",
            "dispute_types", "opened_on", "closed_on", "updated_at", "parties", "lead_mediator"}


@pytest.fixture
def world():
    return build_world()


def test_the_list_row_keeps_the_contract(world):
    body = world.client("write_key").get("/api/v1/disputes/").json()
    row = next(r for r in body["results"] if r["id"] == world.dispute.pk)
    assert set(row) == ROW_KEYS
    assert row["parties"] == [
        {"id": world.a.party_id, "name": "Government of Northland", "kind": "state", "role": "conflict_party"},
        {"id": world.b.party_id, "name": "Southern Liberation Front", "kind": "non_state_armed_group",
         "role": "conflict_party"},
    ]
    lead = world.members["lead"].user
    assert row["lead_mediator"] == {"id": lead.pk, "name": lead.name, "email": lead.email}
    assert row["updated_at"].endswith("Z") and row["opened_on"] == "2026-01-15"
    # A key reads standard disputes only: the restricted one is not in the list.
    assert world.restricted.pk not in {r["id"] for r in body["results"]}


def test_parties_come_in_the_order_they_joined_the_dispute(world):
    first, second = PartyFactory(organisation=world.org), PartyFactory(organisation=world.org)
    dispute = DisputeFactory(organisation=world.org)
    CasePartyFactory(dispute=dispute, party=second)
    CasePartyFactory(dispute=dispute, party=first)
    rows = world.client("admin").get("/api/v1/disputes/?page_size=200").json()["results"]
    row = next(r for r in rows if r["id"] == dispute.pk)
    assert [p["id"] for p in row["parties"]] == [second.pk, first.pk]


def test_a_dispute_without_lead_or_parties_has_null_and_empty(world):
    bare = DisputeFactory(organisation=world.org, lead=False)
    row = next(r for r in world.client("admin").get("/api/v1/disputes/").json()["results"] if r["id"] == bare.pk)
    assert row["parties"] == [] and row["lead_mediator"] is None


def test_the_disputes_list_runs_in_a_fixed_number_of_queries(world):
    for _ in range(60):
        d = DisputeFactory(organisation=world.org)
        CasePartyFactory.create_batch(2, dispute=d)
    # Key lookup, then one query for the page (parties and lead as JSON sub-selects).
    # The key, the sync watermark (first page of a pull only: later pages carry it in the cursor), the page.
    assert_fixed_queries(world.client("read_key"), "/api/v1/disputes/", at_most=3, min_rows=60)
    assert_fixed_queries(world.client("admin"), "/api/v1/disputes/?stage=intake", at_most=7, min_rows=60)


FILTERS = [
    ("stage=intake", True), ("stage=negotiation", False), ("stage=intake&stage=negotiation", True),
    ("risk=medium", True), ("risk=high", False), ("type=territorial", True), ("type=trade", False),
    ("country=ke", True), ("country=FR", False), ("updated_since=2000-01-01T00:00:00Z", True),
    ("updated_since=2999-01-01T00:00:00%2B02:00", False), ("updated_since=2999-01-01T00:00:00 02:00", False),
    ("reference=REF", True), ("mine=true", True), ("mine=false", False),
]
BAD_FILTERS = [
    "stage=bogus", "risk=extreme", "type=nope", "updated_since=2026-01-01T00:00:00", "updated_since=yesterday",
    "mine=yes", "page_size=201", "page_size=0", "page_size=ten",
]


def test_filters_narrow_the_list(world):
    client = world.client("lead")
    for query, found in FILTERS:
        query = query.replace("REF", world.dispute.reference.lower())
        ids = {r["id"] for r in client.get(f"/api/v1/disputes/?{query}").json()["results"]}
        assert (world.dispute.pk in ids) is found, query


def test_bad_filter_values_are_a_400_problem(world):
    client = world.client("lead")
    for query in BAD_FILTERS:
        body = assert_problem(client.get(f"/api/v1/disputes/?{query}"), 400)
        assert body["errors"], query


def test_a_write_key_opens_a_dispute_through_the_service(world):
    lead = world.members["lead"].user
    response = world.client("write_key").post("/api/v1/disputes/", {
        "title": "Water sharing", "lead_mediator": lead.pk, "countries": ["sd", "SS"], "dispute_types": ["resources"],
    }, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reference"].startswith("PC-") and body["countries"] == ["SD", "SS"]
    assert body["lead_mediator"]["id"] == lead.pk and response["ETag"]
    assert StageChange.objects.filter(dispute_id=body["id"]).count() == 1


def test_a_lead_mediator_of_another_organisation_is_a_400_not_a_link(world):
    beta_user = world.members["other_org_admin"].user
    before = Dispute.objects.count()
    body = assert_problem(world.client("write_key").post(
        "/api/v1/disputes/", {"title": "X", "lead_mediator": beta_user.pk}, format="json"), 400)
    assert "lead_mediator" in body["errors"] and Dispute.objects.count() == before


def test_changing_a_dispute_needs_the_current_etag(world):
    client = world.client("lead")
    url = f"/api/v1/disputes/{world.dispute.pk}/"
    assert_problem(client.patch(url, {"summary": "New"}, format="json"), 428)
    assert_problem(client.patch(url, {"summary": "New"}, format="json", HTTP_IF_MATCH='"stale"'), 412)
    etag = client.get(url)["ETag"]
    response = client.patch(url, {"summary": "New"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200 and response.json()["summary"] == "New"
    assert response["ETag"] != etag
    assert_problem(client.patch(url, {"summary": "Again"}, format="json", HTTP_IF_MATCH=etag), 412)
    assert client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_stage_changes_go_through_the_workflow(world):
    client = world.client("lead")
    url = f"/api/v1/disputes/{world.dispute.pk}/stage/"
    body = assert_problem(client.post(url, {"to_stage": "agreement"}, format="json"), 400)
    assert "to_stage" in body["errors"]
    response = client.post(url, {"to_stage": "assessment", "reason": "Mission agreed"}, format="json",
                           HTTP_IDEMPOTENCY_KEY="stage-1")
    assert response.status_code == 200 and response.json()["stage"] == "assessment"
    replay = client.post(url, {"to_stage": "assessment", "reason": "Mission agreed"}, format="json",
                         HTTP_IDEMPOTENCY_KEY="stage-1")
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    assert StageChange.objects.filter(dispute=world.dispute, to_stage="assessment").count() == 1
    changes = client.get(f"/api/v1/stage-changes/?dispute={world.dispute.pk}").json()["results"]
    assert [c["to_stage"] for c in changes][:1] == ["assessment"]


def test_a_risk_change_is_recorded_in_the_history(world):
    client = world.client("co")
    response = client.post(f"/api/v1/disputes/{world.dispute.pk}/risk/", {"risk": "critical", "reason": "Shelling"},
                           format="json")
    assert response.status_code == 200 and response.json()["risk"] == "critical"
    history = client.get(f"/api/v1/risk-assessments/?dispute={world.dispute.pk}").json()["results"]
    assert history[0]["risk"] == "critical" and history[0]["previous"] == "medium"


def test_the_timeline_pages_with_a_cursor_and_hides_team_text_from_keys(world):
    client = world.client("read_key")
    first = client.get(f"/api/v1/disputes/{world.dispute.pk}/timeline/?page_size=3").json()
    assert len(first["results"]) == 3 and first["next"]
    second = client.get(first["next"]).json()
    # An id is unique within its kind only (a note and a session may both be #1).
    keys = [{(e["kind"], e["id"]) for e in page["results"]} for page in (first, second)]
    assert keys[1] and keys[0].isdisjoint(keys[1])
    everything = client.get(f"/api/v1/disputes/{world.dispute.pk}/timeline/?page_size=200").json()["results"]
    notes = [e for e in everything if e["kind"] == "note"]
    assert notes and all(n["data"]["visibility"] != "team" for n in notes)
    assert_problem(client.get(f"/api/v1/disputes/{world.dispute.pk}/timeline/?page_size=201"), 400)
    assert_problem(client.get(f"/api/v1/disputes/{world.dispute.pk}/timeline/?cursor=garbage"), 404)
    assert_problem(client.get(f"/api/v1/disputes/{world.beta_dispute.pk}/timeline/"), 404)


def test_the_team_is_managed_by_the_owning_organisation_only(world):
    co_member = world.dispute.team.get(user=world.members["co"].user)
    contributor = world.client("contribute_share_member")
    assert_problem(contributor.patch(f"/api/v1/team-members/{co_member.pk}/", {"role": "adviser"}, format="json"),
                   403)
    newcomer = MembershipFactory(organisation=world.org, role="mediator").user
    response = world.client("admin").post("/api/v1/team-members/", {
        "dispute": world.dispute.pk, "user": newcomer.pk, "role": "adviser"}, format="json")
    assert response.status_code == 201 and response.json()["name"] == newcomer.name


def test_sub_resource_lists_run_in_a_fixed_number_of_queries(world):
    for _ in range(12):
        d = DisputeFactory(organisation=world.org)
        CasePartyFactory.create_batch(2, dispute=d)
    client = world.client("read_key")
    for url in ("/api/v1/case-parties/", "/api/v1/parties/", "/api/v1/stage-changes/", "/api/v1/team-members/",
                "/api/v1/issues/", "/api/v1/positions/", "/api/v1/risk-assessments/", "/api/v1/representatives/"):
        assert_fixed_queries(client, url, at_most=3)
