import datetime as dt

import pytest
from django.utils import timezone

from apps.common.models import AuditEvent
from apps.sessions.models import ActionItem, MediationSession, SessionKind, SessionNote, Visibility
from tests.dashboard.record_world import SECRET, build
from tests.factories import MediationSessionFactory, SessionNoteFactory

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def w(org):
    return build(org)


def page(pk, suffix=""):
    return f"/sessions/{pk}/{suffix}"


def test_a_caucus_page_shows_the_team_note_with_its_marker_to_the_case_team(client, w):
    client.force_login(w.mediator)
    body = client.get(page(w.caucus.pk)).content.decode()
    assert SECRET in body
    assert "Team only" in body and "visibility-team" in body
    assert "Private session: notes are team-only" in body
    # The team-only choice is preselected in a caucus.
    assert 'value="team" required id="note-visibility_0" checked' in body or \
        'name="visibility" value="team"' in body.split("checked")[0][-200:]
    assert AuditEvent.objects.filter(action="sessions.note.read_team", target_id=str(w.team_note.pk)).exists()


@pytest.mark.parametrize("who", ["analyst", "outsider"])
def test_the_team_note_is_absent_from_the_html_for_anyone_off_the_team(client, w, who):
    client.force_login(getattr(w, who))
    body = client.get(page(w.caucus.pk)).content.decode()
    assert SECRET not in body
    assert "ZEBRA-CAUCUS" not in body
    assert "Both sides want the rains season respected" in body  # shared notes stay


def test_an_analyst_reads_the_session_without_any_form(client, w):
    client.force_login(w.analyst)
    body = client.get(page(w.joint.pk)).content.decode()
    main = body.split("<main")[1].split("</main>")[0]
    assert "<form" not in main
    assert client.post(page(w.joint.pk, "notes/"), {"text": "x", "visibility": "shared"}).status_code == 403
    assert SessionNote.objects.filter(session=w.joint).count() == 0


def test_sessions_out_of_reach_are_a_404(client, w, other_org):
    from tests.factories import MembershipFactory

    stranger = MembershipFactory(organisation=other_org, role="admin").user
    client.force_login(stranger)
    assert client.get(page(w.caucus.pk)).status_code == 404
    assert client.get("/sessions/999999/").status_code == 404
    assert client.post(page(w.caucus.pk, "notes/"), {"text": "x", "visibility": "shared"}).status_code == 404
    assert client.get(f"/disputes/{w.dispute.pk}/sessions/new/").status_code == 404
    assert SessionNote.objects.count() == 2


def test_creating_a_caucus_in_a_few_fields_converts_the_venue_time(client, w):
    client.force_login(w.mediator)
    day = (timezone.now() + dt.timedelta(days=3)).date()
    response = client.post(f"/disputes/{w.dispute.pk}/sessions/new/", {
        "kind": "caucus", "parties": [str(w.herders.pk)], "day": day.isoformat(), "start": "10:00",
        "duration": "60", "time_zone": "Africa/Nairobi",
    })
    assert response.status_code == 302
    session = MediationSession.objects.get(kind=SessionKind.CAUCUS, status="planned")
    assert session.time_zone == "Africa/Nairobi"
    assert session.starts_at == dt.datetime.combine(day, dt.time(7, 0), tzinfo=dt.UTC)  # 10:00 in Nairobi
    assert session.title == "Caucus: Hill Herders Council"
    body = client.get(response["Location"]).content.decode()
    assert "10:00" in body and "Europe/Paris" in body and "09:00" in body  # the mediator's own zone beside it


def test_a_refused_session_keeps_what_was_typed(client, w):
    client.force_login(w.mediator)
    before = MediationSession.objects.count()
    response = client.post(f"/disputes/{w.dispute.pk}/sessions/new/", {
        "kind": "caucus", "parties": [str(w.herders.pk), str(w.farmers.pk)], "day": "2026-05-01", "start": "10:00",
        "duration": "60", "time_zone": "Africa/Nairobi", "venue": "Hotel Serena, room 12",
    })
    assert response.status_code == 200
    body = response.content.decode()
    assert "A caucus is a private session with exactly one party; it has 2." in body
    assert "Hotel Serena, room 12" in body
    assert MediationSession.objects.count() == before


def test_the_time_preview_shows_the_venue_time_in_my_zone(client, w):
    client.force_login(w.mediator)
    body = client.get("/sessions/time-preview/", {"day": "2026-07-01", "start": "10:00", "duration": "60",
                                                  "time_zone": "Africa/Nairobi"}).content.decode()
    assert "09:00" in body and "Europe/Paris" in body


def test_adding_a_team_note_with_htmx_returns_the_notes_part(client, w):
    client.force_login(w.mediator)
    response = client.post(page(w.caucus.pk, "notes/"), {"text": "They fear the dry season", "visibility": "team",
                                                          "source_party": str(w.farmers.pk)}, **HX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="notes"')
    assert "They fear the dry season" in body and "Note saved." in body
    note = SessionNote.objects.get(text="They fear the dry season")
    assert note.visibility == Visibility.TEAM and note.source_party == w.farmers


def test_a_note_without_an_explicit_visibility_is_refused_and_its_text_kept(client, w):
    client.force_login(w.mediator)
    response = client.post(page(w.joint.pk, "notes/"), {"text": "Words I must not lose"}, **HX)
    body = response.content.decode()
    assert "Words I must not lose" in body and "This field is required." in body
    assert SessionNote.objects.filter(session=w.joint).count() == 0


def test_a_parties_note_without_parties_shows_the_services_message(client, w):
    client.force_login(w.mediator)
    response = client.post(page(w.joint.pk, "notes/"), {"text": "Only for some", "visibility": "parties"}, **HX)
    body = response.content.decode()
    assert "Name the parties this note may be told to." in body and "Only for some" in body
    assert SessionNote.objects.filter(session=w.joint).count() == 0


def test_a_stale_note_edit_is_a_conflict_and_the_new_text_is_kept(client, w):
    client.force_login(w.mediator)
    note = w.shared_note
    ok = client.post(page(w.caucus.pk, f"notes/{note.pk}/"),
                     {"text": "Second version", "visibility": "shared", "based_on_version": "1"}, **HX)
    assert ok.status_code == 200 and "Second version" in ok.content.decode()
    stale = client.post(page(w.caucus.pk, f"notes/{note.pk}/"),
                        {"text": "My stale but precious words", "visibility": "shared", "based_on_version": "1"}, **HX)
    body = stale.content.decode()
    assert "Someone saved version 2 of this note" in body
    assert "My stale but precious words" in body
    note.refresh_from_db()
    assert note.version == 2 and note.text == "Second version"


def test_widening_a_team_note_is_not_offered_and_refused(client, w):
    client.force_login(w.mediator)
    response = client.post(page(w.caucus.pk, f"notes/{w.team_note.pk}/"),
                           {"text": SECRET, "visibility": "shared", "based_on_version": "1"}, **HX)
    assert "Select a valid choice" in response.content.decode()
    w.team_note.refresh_from_db()
    assert w.team_note.visibility == Visibility.TEAM


def test_attendance_record_and_action_items_update_in_place(client, w):
    client.force_login(w.mediator)
    r = client.post(page(w.joint.pk, "attendance/"), {"parties": [str(w.farmers.pk), str(w.herders.pk)],
                                                       "team_members": [str(w.mediator.pk)]}, **HX)
    assert r.content.decode().lstrip().startswith('<section id="attendance"')
    assert "Attendance saved." in r.content.decode()
    r = client.post(page(w.joint.pk, "record/"), {"summary": "Calm meeting", "outcomes": "Agreed to meet again"}, **HX)
    assert "Summary and outcomes saved." in r.content.decode()
    w.joint.refresh_from_db()
    assert w.joint.outcomes == "Agreed to meet again"
    r = client.post(page(w.joint.pk, "actions/"), {"description": "Send the draft map", "owner":
                                                    f"user:{w.mediator.pk}", "due_on": "2026-06-01"}, **HX)
    assert "Send the draft map" in r.content.decode()
    item = ActionItem.objects.get(description="Send the draft map")
    r = client.post(page(w.joint.pk, f"actions/{item.pk}/done/"), {}, **HX)
    item.refresh_from_db()
    assert item.done_at is not None and "Action item done." in r.content.decode()


def test_a_caucus_refuses_a_summary(client, w):
    client.force_login(w.mediator)
    r = client.post(page(w.caucus.pk, "record/"), {"summary": "What they said"}, **HX)
    assert "A caucus or a shuttle visit has no summary or outcomes" in r.content.decode()
    w.caucus.refresh_from_db()
    assert w.caucus.summary == ""


def test_reschedule_cancel_and_mark_held_follow_the_services_rules(client, w):
    client.force_login(w.mediator)
    # Held sessions cannot be moved: the service's message is shown.
    r = client.post(page(w.caucus.pk, "reschedule/"), {"day": "2026-09-01", "start": "10:00", "duration": "60",
                                                        "time_zone": "Africa/Nairobi"}, **HX)
    assert "Only a planned session can be moved; this one is held." in r.content.decode()
    r = client.post(page(w.joint.pk, "held/"), {}, **HX)
    w.joint.refresh_from_db()
    assert w.joint.status == "held" and "Session marked as held." in r.content.decode()
    future = MediationSessionFactory(dispute=w.dispute, starts_at=timezone.now() + dt.timedelta(days=2),
                                     ends_at=timezone.now() + dt.timedelta(days=2, hours=1), parties=[w.farmers,
                                                                                                     w.herders])
    r = client.post(page(future.pk, "held/"), {}, **HX)
    assert "A session can be marked as held only once it has started." in r.content.decode()
    r = client.post(page(future.pk, "cancel/"), {"reason": "Roads flooded"})
    assert r.status_code == 302
    future.refresh_from_db()
    assert future.status == "cancelled" and future.status_reason == "Roads flooded"


def _notes(session, n, visibility):
    for i in range(n):
        SessionNoteFactory(session=session, visibility=visibility, text=f"extra note {i}")


@pytest.mark.parametrize("extra", [0, 6])
def test_the_session_page_runs_a_fixed_number_of_queries(client, w, extra, django_assert_num_queries):
    _notes(w.caucus, extra, Visibility.TEAM)
    client.force_login(w.mediator)
    client.get(page(w.caucus.pk))  # warm the session and membership caches
    with django_assert_num_queries(21):  # 20th and 21st: the team notes' consents and the source's representatives
        assert client.get(page(w.caucus.pk)).status_code == 200
