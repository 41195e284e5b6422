"""GET /api/v1/disputes/{id}/timeline/ built in one page query (``dispute_timeline_json``): the same
body as the model-object path it replaced, field by field, page by page, for a team member and for a
partner key; the same audit of team-note reads; and a fixed number of queries whatever the page size."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs, urlparse

import orjson
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.actors import Actor
from apps.accounts.models import Membership
from apps.common.models import AuditEvent
from apps.disputes.models import StageChange
from apps.negotiations.models import Proposal
from apps.sessions import selectors
from apps.sessions.models import (
    ActionItem,
    Disclosure,
    MediationSession,
    SessionKind,
    SessionNote,
    SessionParty,
    Visibility,
)
from apps.sessions.reads import READ_TEAM_ACTION
from tests.api.helpers import assert_problem
from tests.api.world import TEAM_SECRET, build_world
from tests.factories import ProposalFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 2, 1, 8, 0, tzinfo=dt.UTC)
ODD_TEXT = 'He said "no" \\ then\nleft — ünïcødé 🕊\ttab \x01 and \u2028 line separator'


@pytest.fixture
def world():
    return build_world()


def _url(w, size: int | None = None) -> str:
    return f"/api/v1/disputes/{w.dispute.pk}/timeline/" + (f"?page_size={size}" if size else "")


def _key_actor(w) -> Actor:
    # What apps/api/authentication.py builds for the read key (its id only labels audit rows).
    return Actor(organisation=w.org, role=Membership.Role.PARTNER, api_key_id="reference", api_key_name="reader",
                 scopes=frozenset({"read"}))


def _enrich(w) -> None:
    """Every shape of every kind: a bridging proposal and its disclosure, a "parties" note, a done
    action item, a session without parties, whole-second and microsecond times, ties across and
    within kinds, odd characters; then enough bulk rows for several pages of 200."""
    now = timezone.now().replace(microsecond=0)
    bare = MediationSession.objects.create(
        dispute=w.dispute, kind=SessionKind.JOINT, title=ODD_TEXT, starts_at=now - dt.timedelta(hours=5),
        ends_at=now - dt.timedelta(hours=4, microseconds=-7), time_zone="UTC",
    )
    bridging = ProposalFactory(dispute=w.dispute, issue=w.issue, tabled_by=None, bridging=True, text=ODD_TEXT,
                               tabled_at=now - dt.timedelta(hours=3))
    Disclosure.objects.create(dispute=w.dispute, proposal=bridging, to_party=w.b, disclosed_at=now - dt.timedelta(
        hours=2, microseconds=1), disclosed_by_label="Lead ✓")
    parties_note = SessionNote.objects.create(session=w.joint, dispute=w.dispute, text=ODD_TEXT, author_label="",
                                              visibility=Visibility.PARTIES)
    SessionNote.objects.filter(pk=parties_note.pk).update(created_at=now - dt.timedelta(hours=3))  # ties the proposal
    done = ActionItem.objects.create(dispute=w.dispute, session=bare, description=ODD_TEXT, owner_party=w.a,
                                     due_on=now.date() - dt.timedelta(days=9), done_at=now - dt.timedelta(hours=1))
    ActionItem.objects.filter(pk=done.pk).update(created_at=now - dt.timedelta(hours=1))
    ActionItem.objects.create(dispute=w.dispute, session=bare, description="later", owner_user=w.members["co"].user,
                              due_on=now.date() + dt.timedelta(days=9))
    StageChange.objects.create(dispute=w.dispute, from_stage="assessment", to_stage="negotiation", reason=ODD_TEXT,
                               by_label="Lead")

    sessions = MediationSession.objects.bulk_create([
        MediationSession(dispute=w.dispute, kind=SessionKind.CAUCUS if i % 3 == 0 else SessionKind.JOINT,
                         title=f"S{i}", starts_at=T0 + dt.timedelta(hours=6 * i),
                         ends_at=T0 + dt.timedelta(hours=6 * i + 1, microseconds=i), time_zone="Africa/Nairobi",
                         status=MediationSession.Status.HELD)
        for i in range(40)
    ])
    SessionParty.objects.bulk_create(
        [SessionParty(session=s, case_party=w.b) for s in sessions]
        + [SessionParty(session=s, case_party=w.a) for s in sessions if s.kind == SessionKind.JOINT]
    )
    notes = SessionNote.objects.bulk_create([
        SessionNote(session=sessions[i % 40], dispute=w.dispute, text=f"note {i} {TEAM_SECRET if i % 3 == 0 else ''}",
                    author_label="bulk", visibility=Visibility.TEAM if i % 3 == 0 else Visibility.SHARED)
        for i in range(120)
    ])
    for i, n in enumerate(notes):
        # Every fourth note shares its time with a session start (a tie across kinds), pairs tie within kind.
        n.created_at = T0 + dt.timedelta(hours=6 * (i // 3)) if i % 4 == 0 else T0 + dt.timedelta(minutes=50 * (i // 2))
    SessionNote.objects.bulk_update(notes, ["created_at"])
    Disclosure.objects.bulk_create([
        Disclosure(dispute=w.dispute, note=n, note_visibility=n.visibility, to_party=w.a if i % 2 else w.b,
                   consent=w.consent if n.visibility == Visibility.TEAM else None,
                   disclosed_at=n.created_at + dt.timedelta(seconds=1))
        for i, n in enumerate(notes[::7])
    ])
    Proposal.objects.bulk_create([
        Proposal(dispute=w.dispute, issue=w.issue, tabled_by=w.a if i % 2 else w.b, text=f"proposal {i}",
                 tabled_at=T0 + dt.timedelta(hours=7 * i, microseconds=500 * i))
        for i in range(45)
    ])
    items = ActionItem.objects.bulk_create([
        ActionItem(dispute=w.dispute, session=s, description=f"do {i}", owner_party=w.a,
                   due_on=dt.date(2026, 6, 1) if i % 2 else now.date() + dt.timedelta(days=3))
        for i, s in enumerate(sessions[::4])
    ])
    for item in items:
        item.created_at = item.session.ends_at
    ActionItem.objects.bulk_update(items, ["created_at"])


# --- the reference: the model-object path the API used before ------------------------------------------


def _reference_data(kind: str, obj: Any, actor: Actor) -> dict[str, Any]:
    """The API's ``_timeline_data`` as it was, shaping ``selectors.dispute_timeline``'s model objects."""
    if kind == "stage_change":
        return {"from_stage": obj.from_stage, "to_stage": obj.to_stage, "reason": obj.reason, "by": obj.by_label}
    if kind == "session":
        return {"title": obj.title, "kind": obj.kind, "status": obj.status, "ends_at": obj.ends_at,
                "parties": list(obj.party_names or [])}
    if kind == "note":
        readable = obj.visibility != Visibility.TEAM or actor.may_read_team_notes
        return {"session_id": obj.session_id, "visibility": obj.visibility, "author": obj.author_label,
                "text": obj.text if readable else None}
    if kind == "disclosure":
        return {"note_id": obj.note_id, "proposal_id": obj.proposal_id, "to_party": obj.to_party.party.name,
                "session_id": obj.session_id, "by": obj.disclosed_by_label}
    if kind == "proposal":
        return {"issue_id": obj.issue_id, "issue": obj.issue.title, "status": obj.status, "bridging": obj.bridging,
                "tabled_by": obj.tabled_by.party.name if obj.tabled_by_id else None, "text": obj.text}
    return {"description": obj.description, "due_on": obj.due_on, "done_at": obj.done_at,
            "is_overdue": bool(obj.is_overdue), "session_id": obj.session_id}


def _reference_page(w, actor: Actor, cursor: str | None, size: int) -> tuple[list[dict], str | None]:
    page = selectors.dispute_timeline(actor=actor, dispute_id=w.dispute.pk, cursor=cursor, limit=size)
    results = [{"kind": e.kind, "at": e.at, "id": e.obj.pk, "data": _reference_data(e.kind, e.obj, actor)}
               for e in page.entries]
    # Through the API's renderer options, so datetimes are written as the API writes them.
    return orjson.loads(orjson.dumps(results, option=orjson.OPT_UTC_Z)), page.next_cursor


def _reads_since(mark: int) -> list[tuple]:
    return sorted(AuditEvent.objects.filter(pk__gt=mark, action=READ_TEAM_ACTION).values_list(
        "target_id", "target_label", "dispute_id", "actor_id", "actor_label", "organisation_id", "after"))


def _last_event() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


@pytest.mark.parametrize("who", ["lead", "read_key"])
def test_every_page_is_the_old_paths_page_field_by_field(world, who):
    w = world
    _enrich(w)
    client = w.client(who)
    actor = w.actor("lead") if who == "lead" else _key_actor(w)
    kinds_seen: set[str] = set()
    for size in (1, 7, 200):
        cursor, pages, entries = None, 0, 0
        while True:
            mark = _last_event()
            response = client.get(_url(w, size) + (f"&cursor={cursor}" if cursor else ""))
            assert response.status_code == 200, response.content
            body = response.json()
            api_reads = _reads_since(mark)
            mark = _last_event()
            expected, expected_cursor = _reference_page(w, actor, cursor, size)
            reference_reads = _reads_since(mark)
            assert body["results"] == expected
            # The keys in the same order too (json_build_object keeps them as written).
            assert [list(e["data"]) for e in body["results"]] == [list(e["data"]) for e in expected]
            next_cursor = parse_qs(urlparse(body["next"]).query)["cursor"][0] if body["next"] else None
            assert next_cursor == expected_cursor
            # The same team-note reads recorded, the actor's label aside (the reference key is not the real one).
            if who == "lead":
                team_on_page = [e for e in expected if e["kind"] == "note" and e["data"]["visibility"] == "team"]
                assert len(api_reads) == len(team_on_page)
                assert api_reads == reference_reads
            else:
                assert api_reads == [] and reference_reads == []
                assert TEAM_SECRET not in response.content.decode()
            kinds_seen |= {e["kind"] for e in body["results"]}
            pages += 1
            entries += len(body["results"])
            cursor = next_cursor
            if cursor is None:
                break
        assert entries > 200 and pages == -(-entries // size)
    assert kinds_seen == set(selectors.TIMELINE_KINDS)


def test_keys_and_analysts_never_get_team_notes_or_their_disclosures(world):
    w = world
    _enrich(w)
    team_notes = set(SessionNote.objects.filter(dispute=w.dispute, visibility=Visibility.TEAM).values_list("pk",
                                                                                                          flat=True))
    team_disclosures = set(Disclosure.objects.filter(dispute=w.dispute, note_visibility=Visibility.TEAM)
                           .values_list("pk", flat=True))
    assert team_notes and team_disclosures
    for who in ("read_key", "analyst", "mediator_off_team", "read_share_member"):
        mark = _last_event()
        response = w.client(who).get(_url(w, 200))
        everything, url = [], _url(w, 200)
        while url:
            response = w.client(who).get(url)
            assert response.status_code == 200
            assert TEAM_SECRET not in response.content.decode()
            everything += response.json()["results"]
            url = response.json()["next"]
        assert not {e["id"] for e in everything if e["kind"] == "note"} & team_notes
        assert not {e["id"] for e in everything if e["kind"] == "disclosure"} & team_disclosures
        assert all("text" not in e["data"] for e in everything if e["kind"] == "disclosure")
        assert _reads_since(mark) == []
    team = []
    url = _url(w, 200)
    while url:
        body = w.client("co").get(url).json()
        team += body["results"]
        url = body["next"]
    assert team_notes <= {e["id"] for e in team if e["kind"] == "note"}
    assert any(e["data"]["text"] == TEAM_SECRET for e in team if e["kind"] == "note")


def test_a_team_member_reading_team_notes_is_audited_once_per_note_shown(world):
    w = world
    _enrich(w)
    mark = _last_event()
    body = w.client("co").get(_url(w, 50)).json()
    shown = {e["id"] for e in body["results"] if e["kind"] == "note" and e["data"]["visibility"] == "team"}
    reads = AuditEvent.objects.filter(pk__gt=mark, action=READ_TEAM_ACTION)
    assert shown and {r.target_id for r in reads} == {str(pk) for pk in shown}
    assert {r.actor_id for r in reads} == {w.members["co"].user.pk}
    assert {r.after["via"] for r in reads} == {"timeline"}
    assert {r.target_label for r in reads} == {f"Note #{pk}" for pk in shown}


def test_out_of_reach_bad_size_and_bad_cursor_answer_as_before(world):
    w = world
    client = w.client("read_key")
    for size in ("0", "201", "x", "²", "-1"):
        assert_problem(client.get(f"/api/v1/disputes/{w.dispute.pk}/timeline/?page_size={size}"), 400)
        # Out of reach comes first: a 404 whatever the page size.
        assert_problem(client.get(f"/api/v1/disputes/{w.beta_dispute.pk}/timeline/?page_size={size}"), 404)
        assert_problem(client.get(f"/api/v1/disputes/{w.restricted.pk}/timeline/?page_size={size}"), 404)
    for cursor in ("garbage", "bm90IGEgY3Vyc29y", "MjAyNi0wMS0wMVQwMDowMDowMHwxfDE"):  # the last: a naive time
        assert_problem(client.get(f"/api/v1/disputes/{w.dispute.pk}/timeline/?cursor={cursor}"), 404)
    assert_problem(client.get("/api/v1/disputes/999999999/timeline/"), 404)
    body = client.get(_url(w)).json()
    assert len(body["results"]) == min(selectors.DEFAULT_TIMELINE_PAGE, len(body["results"])) and body["results"]


# --- queries --------------------------------------------------------------------------------------------

# Authentication, then the timeline's own: access (1) and the page with its data (1); for the case
# team, one INSERT auditing the team notes on the page when there are any.
KEY_QUERIES = 1 + 2  # the key's row (its organisation joined)
# The session, the user, the membership (the session is saved at most once a minute, not here).
MEMBER_QUERIES = 3 + 2
AUDIT_INSERT = 1


def _newest_is_a_team_note(w) -> None:
    SessionNote.objects.filter(pk=w.team_note.pk).update(created_at=timezone.now() + dt.timedelta(minutes=1))


@pytest.mark.parametrize("size", [1, 10, 50, 200])
def test_a_key_reads_any_page_size_in_a_fixed_number_of_queries(world, size, django_assert_num_queries):
    w = world
    _enrich(w)
    _newest_is_a_team_note(w)
    client = w.client("read_key")
    client.get(_url(w, 1))  # warm-up: the key's last-used write
    with django_assert_num_queries(KEY_QUERIES):
        body = client.get(_url(w, size)).json()
    assert len(body["results"]) == size


@pytest.mark.parametrize("size", [1, 10, 50, 200])
def test_a_team_member_reads_any_page_size_in_a_fixed_number_of_queries(world, size, django_assert_num_queries):
    w = world
    _enrich(w)
    _newest_is_a_team_note(w)  # so every page, even of one entry, holds a team note to audit
    client = w.client("lead")
    client.get(_url(w, 1))  # warm-up: the session's first save
    with django_assert_num_queries(MEMBER_QUERIES + AUDIT_INSERT):
        body = client.get(_url(w, size)).json()
    assert len(body["results"]) == size
    assert body["results"][0]["id"] == w.team_note.pk and body["results"][0]["data"]["text"] == TEAM_SECRET


def test_a_page_without_team_notes_writes_no_audit_row(world, django_assert_num_queries):
    w = world
    _enrich(w)
    client = w.client("lead")
    client.get(_url(w, 1))
    first = client.get(_url(w, 1)).json()["results"][0]
    assert first["kind"] != "note" or first["data"]["visibility"] != "team"
    with django_assert_num_queries(MEMBER_QUERIES):
        client.get(_url(w, 1))


def test_the_page_query_is_the_same_size_with_a_cursor(world):
    w = world
    _enrich(w)
    client = w.client("read_key")
    client.get(_url(w, 1))
    counts = set()
    url = _url(w, 50)
    while url:
        with CaptureQueriesContext(connection) as ctx:
            body = client.get(url).json()
        counts.add(len(ctx.captured_queries))
        url = body["next"]
    assert counts == {KEY_QUERIES}
