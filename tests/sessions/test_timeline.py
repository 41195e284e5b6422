import datetime as dt
import time

import pytest

from apps.common.errors import ApplicationError
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

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 2, 1, 8, 0, tzinfo=dt.UTC)


def _fill(w, *, sessions: int, notes: int, proposals: int, start: dt.datetime = T0) -> None:
    """Bulk rows for one dispute, each kind spread evenly over the same weeks (so any page mixes them all);
    a third of the notes team-only, every tenth shared note told to C, an action item every fifth session."""
    span = dt.timedelta(days=20)
    step = span / sessions / 4
    made = list(MediationSession.objects.bulk_create([
        MediationSession(dispute=w.dispute, kind=SessionKind.CAUCUS if i % 3 == 0 else SessionKind.JOINT,
                         title=f"S{i}", starts_at=start + i * 4 * step, ends_at=start + i * 4 * step + step,
                         time_zone="Africa/Nairobi", status=MediationSession.Status.HELD)
        for i in range(sessions)
    ]))
    SessionParty.objects.bulk_create(
        [SessionParty(session=s, case_party=w.a) for s in made] + [SessionParty(session=s, case_party=w.b)
                                                                     for s in made if s.kind == SessionKind.JOINT]
    )
    note_rows = SessionNote.objects.bulk_create([
        SessionNote(session=made[i % sessions], dispute=w.dispute, text=f"note {i}", author_label="bulk",
                    visibility=Visibility.TEAM if i % 3 == 0 else Visibility.SHARED)
        for i in range(notes)
    ])
    for i, n in enumerate(note_rows):
        n.created_at = start + i * (span / notes) + dt.timedelta(seconds=11)
    SessionNote.objects.bulk_update(note_rows, ["created_at"])
    Proposal.objects.bulk_create([
        Proposal(dispute=w.dispute, issue=w.issue if i % 2 else w.issue2, tabled_by=w.a if i % 2 else w.b,
                 text=f"proposal {i}", tabled_at=start + i * (span / proposals) + dt.timedelta(seconds=23))
        for i in range(proposals)
    ])
    Disclosure.objects.bulk_create([
        Disclosure(dispute=w.dispute, note=n, note_visibility=n.visibility, to_party=w.c,
                   disclosed_at=n.created_at + dt.timedelta(seconds=1))
        for n in note_rows[1:: 10] if n.visibility == Visibility.SHARED
    ])
    items = ActionItem.objects.bulk_create([
        ActionItem(dispute=w.dispute, session=s, description=f"do {i}", owner_party=w.a, due_on=dt.date(2026, 6, 1))
        for i, s in enumerate(made[::5])
    ])
    for item in items:
        item.created_at = item.session.ends_at + dt.timedelta(seconds=5)
    ActionItem.objects.bulk_update(items, ["created_at"])


def _walk(actor, w, limit):
    seen, cursor = [], None
    while True:
        page = selectors.dispute_timeline(actor=actor, dispute_id=w.dispute.pk, cursor=cursor, limit=limit)
        seen += [(e.kind, e.obj.pk, e.at) for e in page.entries]
        cursor = page.next_cursor
        if cursor is None:
            return seen


def test_the_timeline_merges_every_kind_newest_first(w):
    _fill(w, sessions=4, notes=6, proposals=3)
    StageChange.objects.filter(dispute=w.dispute).update(created_at=T0 - dt.timedelta(days=1))
    entries = selectors.dispute_timeline(actor=w.lead, dispute_id=w.dispute.pk).entries
    kinds = {e.kind for e in entries}
    assert kinds == {"stage_change", "session", "note", "disclosure", "proposal", "action_item"}
    times = [e.at for e in entries]
    assert times == sorted(times, reverse=True)
    assert entries[-1].kind == "stage_change"
    session = next(e.obj for e in entries if e.kind == "session")
    assert session.party_names and session.party_names[0] == "Government of Northland"
    item = next(e.obj for e in entries if e.kind == "action_item")
    assert item.is_overdue is True
    assert len([e for e in entries if e.kind == "note"]) == 6


def test_the_cursor_walks_every_entry_once_even_when_times_tie(w):
    _fill(w, sessions=5, notes=9, proposals=4)
    # Ties across kinds and within one kind.
    SessionNote.objects.filter(dispute=w.dispute).update(created_at=T0)
    Proposal.objects.filter(dispute=w.dispute).update(tabled_at=T0)
    everything = _walk(w.lead, w, limit=50)
    for limit in (1, 3, 7):
        assert _walk(w.lead, w, limit=limit) == everything
    assert len({(k, pk) for k, pk, _at in everything}) == len(everything)


def test_the_timeline_shows_only_the_notes_the_caller_may_read(w):
    _fill(w, sessions=3, notes=9, proposals=1)
    team_ids = set(SessionNote.objects.filter(visibility=Visibility.TEAM).values_list("pk", flat=True))
    for who in ("analyst", "read_share_mediator", "api_key", "admin_off_team"):
        notes = {pk for kind, pk, _at in _walk(w.outsiders[who], w, limit=4) if kind == "note"}
        assert notes and not notes & team_ids
    assert _walk(w.outsiders["other_org_admin"], w, limit=10) == []
    lead_notes = {pk for kind, pk, _at in _walk(w.lead, w, limit=4) if kind == "note"}
    assert team_ids <= lead_notes
    assert AuditEvent.objects.filter(action=READ_TEAM_ACTION, actor=w.lead.user).count() == len(team_ids)


def test_a_bad_cursor_or_page_size_is_refused(w):
    with pytest.raises(ApplicationError, match="not valid"):
        selectors.dispute_timeline(actor=w.lead, dispute_id=w.dispute.pk, cursor="bm90IGEgY3Vyc29y")
    with pytest.raises(ApplicationError, match="page size"):
        selectors.dispute_timeline(actor=w.lead, dispute_id=w.dispute.pk, limit=0)


# Access (1) + keys (1) + one query per kind on the page (6) + the INSERT auditing the team notes shown (1).
TEAM_QUERIES = 9
READER_QUERIES = 8


def test_the_first_page_is_a_fixed_number_of_queries_at_two_sizes(w, django_assert_num_queries):
    _fill(w, sessions=6, notes=12, proposals=6)
    StageChange.objects.filter(dispute=w.dispute).update(created_at=T0 + dt.timedelta(hours=3))
    with django_assert_num_queries(TEAM_QUERIES):
        small = selectors.dispute_timeline(actor=w.lead, dispute_id=w.dispute.pk, limit=50)
    with django_assert_num_queries(READER_QUERIES):
        selectors.dispute_timeline(actor=w.outsiders["analyst"], dispute_id=w.dispute.pk, limit=50)
    assert {e.kind for e in small.entries} == set(selectors.TIMELINE_KINDS)

    _fill(w, sessions=60, notes=240, proposals=36, start=T0 - dt.timedelta(days=30))
    with django_assert_num_queries(TEAM_QUERIES):
        big = selectors.dispute_timeline(actor=w.lead, dispute_id=w.dispute.pk, limit=50)
    # The older rows sit further down: the newest entries are the same ones.
    assert [(e.kind, e.obj.pk) for e in big.entries[: len(small.entries)]] == [
        (e.kind, e.obj.pk) for e in small.entries
    ]
    # A page loads only the kinds it holds: this one has no stage change, so one query fewer.
    with django_assert_num_queries(TEAM_QUERIES - 1):
        second = selectors.dispute_timeline(actor=w.lead, dispute_id=w.dispute.pk, cursor=big.next_cursor, limit=50)
    assert "stage_change" not in {e.kind for e in second.entries}
    assert second.entries and second.entries[0].at <= big.entries[-1].at


def test_a_dispute_with_500_sessions_2000_notes_300_proposals_keeps_the_same_query_count(
    w, django_assert_num_queries, capsys
):
    _fill(w, sessions=500, notes=2000, proposals=300)
    assert (MediationSession.objects.count(), SessionNote.objects.count(), Proposal.objects.count()) == (500, 2000, 300)
    with django_assert_num_queries(TEAM_QUERIES):
        started = time.perf_counter()
        page = selectors.dispute_timeline(actor=w.lead, dispute_id=w.dispute.pk, limit=50)
        elapsed = time.perf_counter() - started
    assert len(page.entries) == 50 and page.next_cursor
    assert {e.kind for e in page.entries} >= {"session", "note", "proposal"}
    with django_assert_num_queries(READER_QUERIES):
        started = time.perf_counter()
        selectors.dispute_timeline(actor=w.outsiders["analyst"], dispute_id=w.dispute.pk, limit=50)
        elapsed_reader = time.perf_counter() - started
    # A figure for the record, not an assertion: timings depend on the machine.
    with capsys.disabled():
        print(f"\n[timeline] 500 sessions / 2000 notes / 300 proposals: first page of 50 built in "
              f"{elapsed * 1000:.1f} ms (team member, incl. audit insert), {elapsed_reader * 1000:.1f} ms (analyst)")
