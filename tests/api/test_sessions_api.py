"""Sessions, notes, disclosures, shuttle rounds and action items over the API.

The team-note field-level rule (ASVS 8.2.3): the text of a ``team`` note is served to the case
team only, never to API keys (read or write) nor analysts, on any endpoint; every read of it by
a team member is audited, exactly once per note served.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.accounts.actors import Actor
from apps.api.sessions import NoteOutput
from apps.common.models import AuditEvent
from apps.sessions.models import MediationSession, SessionNote
from apps.sessions.reads import READ_TEAM_ACTION
from tests.api.helpers import assert_problem
from tests.api.querycount import assert_fixed_queries
from tests.api.world import TEAM_SECRET, build_world
from tests.factories import ActionItemFactory, MediationSessionFactory, SessionNoteFactory

pytestmark = pytest.mark.django_db

NOTE_SURFACES = [
    "/api/v1/notes/", "/api/v1/notes/?visibility=team", "/api/v1/notes/{note}/", "/api/v1/notes/{note}/versions/",
    "/api/v1/sessions/{caucus}/", "/api/v1/disputes/{dispute}/timeline/?page_size=200", "/api/v1/disclosures/",
    "/api/v1/consents/", "/api/v1/sessions/", "/api/v1/action-items/",
]


@pytest.fixture
def world():
    return build_world()


def _urls(w):
    return [u.format(note=w.team_note.pk, caucus=w.caucus.pk, dispute=w.dispute.pk) for u in NOTE_SURFACES]


@pytest.mark.parametrize("principal", ["read_key", "write_key", "analyst", "admin", "mediator_off_team",
                                       "read_share_member", "contribute_share_member"])
def test_team_note_text_is_never_served_off_the_case_team(world, principal):
    client = world.client(principal)
    for url in _urls(world):
        response = client.get(url)
        assert TEAM_SECRET not in response.content.decode(), url
    assert_problem(client.get(f"/api/v1/notes/{world.team_note.pk}/"), 404)
    # Nobody off the team read it, so nothing was audited as a read.
    assert not AuditEvent.objects.filter(action=READ_TEAM_ACTION).exists()


def test_the_case_team_reads_team_notes_and_each_read_is_audited_once(world):
    client = world.client("co")
    body = client.get(f"/api/v1/notes/{world.team_note.pk}/").json()
    assert body["text"] == TEAM_SECRET and body["visibility"] == "team"
    reads = AuditEvent.objects.filter(action=READ_TEAM_ACTION, target_id=str(world.team_note.pk))
    assert reads.count() == 1 and reads.get().actor_id == world.members["co"].user_id
    # A list page audits exactly the team notes it serves: here one, not the page's extra row.
    client.get("/api/v1/notes/?page_size=1&visibility=team")
    assert reads.count() == 2
    client.get("/api/v1/notes/?visibility=shared")
    assert reads.count() == 2


def test_a_session_shows_the_team_its_notes_and_audits_the_team_ones(world):
    body = world.client("lead").get(f"/api/v1/sessions/{world.caucus.pk}/").json()
    assert [n["text"] for n in body["notes"]] == [TEAM_SECRET]
    assert AuditEvent.objects.filter(action=READ_TEAM_ACTION, target_id=str(world.team_note.pk)).count() == 1
    assert world.client("write_key").get(f"/api/v1/sessions/{world.caucus.pk}/").json()["notes"] == []


def test_the_serializer_blanks_team_text_for_a_caller_who_may_not_read_it(world):
    # The second line of the rule: even handed a team note, the output has no text for a key.
    key_actor = Actor(organisation=world.org, role="partner", api_key_id="k", scopes=frozenset({"read"}))
    note = SessionNote.objects.get(pk=world.team_note.pk)
    assert NoteOutput(note, context={"actor": key_actor}).data["text"] is None
    assert NoteOutput(note, context={"actor": world.actor("analyst")}).data["text"] is None
    assert NoteOutput(note, context={"actor": world.actor("lead")}).data["text"] == TEAM_SECRET


def test_a_caucus_note_written_by_the_team_defaults_to_team_only(world):
    response = world.client("lead").post("/api/v1/notes/", {"session": world.caucus.pk, "text": "They may move."},
                                         format="json")
    assert response.status_code == 201 and response.json()["visibility"] == "team"
    assert "They may move." not in world.client("write_key").get("/api/v1/notes/").content.decode()


def test_editing_a_note_needs_if_match_and_keeps_the_versions(world):
    client = world.client("lead")
    url = f"/api/v1/notes/{world.shared_note.pk}/"
    assert_problem(client.patch(url, {"text": "v2"}, format="json"), 428)
    etag = client.get(url)["ETag"]
    response = client.patch(url, {"text": "v2"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200 and response.json()["version"] == 2
    assert_problem(client.patch(url, {"text": "v3"}, format="json", HTTP_IF_MATCH=etag), 412)
    versions = client.get(f"{url}versions/").json()
    assert [v["version"] for v in versions] == [1, 2]
    body = assert_problem(client.patch(url, {"visibility": "parties", "colour": "red"}, format="json",
                                       HTTP_IF_MATCH=response["ETag"]), 400)
    assert "colour" in body["errors"]


def test_scheduling_a_session_refuses_naive_times_and_foreign_ids(world):
    client = world.client("lead")
    start = timezone.now() + dt.timedelta(days=3)
    good = {"dispute": world.dispute.pk, "kind": "joint_session", "title": "Round 2",
            "starts_at": start.isoformat(), "ends_at": (start + dt.timedelta(hours=2)).isoformat(),
            "time_zone": "Africa/Nairobi", "parties": [world.a.pk, world.b.pk], "agenda": [world.issue.pk]}
    before = MediationSession.objects.count()
    naive = {**good, "starts_at": "2026-12-01T09:00:00"}
    body = assert_problem(client.post("/api/v1/sessions/", naive, format="json"), 400)
    assert "starts_at" in body["errors"]
    foreign = {**good, "parties": [world.a.pk, world.beta_ids["a"]]}
    body = assert_problem(client.post("/api/v1/sessions/", foreign, format="json"), 400)
    assert "parties" in body["errors"]
    body = assert_problem(client.post("/api/v1/sessions/", {**good, "dispute": world.beta_ids["dispute"]},
                                      format="json"), 400)
    assert "dispute" in body["errors"]
    assert MediationSession.objects.count() == before
    response = client.post("/api/v1/sessions/", good, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert [p["case_party_id"] for p in created["parties"]] == [world.a.pk, world.b.pk]
    assert created["agenda"] == [{"issue_id": world.issue.pk, "title": world.issue.title}]
    assert created["starts_at"].endswith("Z")
    moved = client.post(f"/api/v1/sessions/{created['id']}/reschedule/", {
        "starts_at": (start + dt.timedelta(days=1)).isoformat(),
        "ends_at": (start + dt.timedelta(days=1, hours=2)).isoformat()}, format="json")
    assert moved.status_code == 200
    cancelled = client.post(f"/api/v1/sessions/{created['id']}/cancel/", {"reason": "Fighting"}, format="json")
    assert cancelled.json()["status"] == "cancelled"


def test_session_filters(world):
    client = world.client("read_key")
    assert {s["id"] for s in client.get("/api/v1/sessions/?kind=caucus").json()["results"]} == {world.caucus.pk}
    after = (world.joint.starts_at + dt.timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    ids = {s["id"] for s in client.get(f"/api/v1/sessions/?starts_after={after}").json()["results"]}
    assert world.caucus.pk in ids and world.joint.pk not in ids
    assert_problem(client.get("/api/v1/sessions/?starts_after=2026-01-01T10:00"), 400)
    assert_problem(client.get("/api/v1/sessions/?kind=dinner"), 400)
    assert_problem(client.get("/api/v1/sessions/?status=held&dispute=abc"), 400)


def test_overdue_action_items_and_completion(world):
    client = world.client("co")
    overdue = client.get("/api/v1/action-items/?overdue=true").json()["results"]
    assert [i["id"] for i in overdue] == [world.item.pk] and overdue[0]["is_overdue"] is True
    done = client.post(f"/api/v1/action-items/{world.item.pk}/complete/", {}, format="json").json()
    assert done["done_at"] and done["is_overdue"] is False
    assert client.get("/api/v1/action-items/?overdue=true").json()["results"] == []
    assert_problem(client.get("/api/v1/action-items/?overdue=maybe"), 400)


def test_a_shuttle_round_says_whose_move_it_is(world):
    body = world.client("read_key").get(f"/api/v1/shuttle-rounds/{world.round.pk}/").json()
    # A was visited and answered; B was never visited: B's move, waiting since the round opened.
    assert body["whose_move"] == {"case_party_id": world.b.pk, "name": "Southern Liberation Front"}
    assert body["waiting_since"] == world.round.opened_at.isoformat().replace("+00:00", "Z")
    start = timezone.now() - dt.timedelta(hours=3)
    visit = world.client("lead").post(f"/api/v1/shuttle-rounds/{world.round.pk}/visits/", {
        "case_party": world.b.pk, "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=1)).isoformat(), "time_zone": "UTC", "held": True,
        "party_replied": False}, format="json")
    assert visit.status_code == 201, visit.content
    after = world.client("read_key").get(f"/api/v1/shuttle-rounds/{world.round.pk}/").json()
    assert len(after["visits"]) == 2


def test_a_disclosure_of_a_team_note_without_consent_is_refused(world):
    note = world.client("lead").post("/api/v1/notes/", {"session": world.caucus.pk, "text": "Private"},
                                     format="json").json()
    body = assert_problem(world.client("lead").post("/api/v1/disclosures/", {
        "to_party": world.b.pk, "note": note["id"]}, format="json"), 400)
    assert body["errors"]


def test_session_and_note_lists_run_in_a_fixed_number_of_queries(world):
    for _ in range(15):
        session = MediationSessionFactory(dispute=world.dispute, parties=[world.a, world.b])
        SessionNoteFactory(session=session)
        SessionNoteFactory(session=session, visibility="team")
        ActionItemFactory(session=session, owner_party=world.a)
    key = world.client("read_key")
    for url in ("/api/v1/sessions/", "/api/v1/notes/", "/api/v1/disclosures/", "/api/v1/action-items/",
                "/api/v1/shuttle-rounds/", "/api/v1/consents/"):
        assert_fixed_queries(key, url, at_most=5)
    team = world.client("lead")
    # Notes for the team: the page's ids, the notes with their parties, one INSERT auditing the team
    # notes served (a page without team notes has no INSERT, so pin a page that always has some).
    assert_fixed_queries(team, "/api/v1/notes/?visibility=team", at_most=12, min_rows=15)
