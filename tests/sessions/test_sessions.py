import datetime as dt
import zoneinfo

import pytest

from apps.common.errors import AccessDenied, ApplicationError
from apps.common.models import AuditEvent
from apps.disputes.models import Stage
from apps.reminders.models import Reminder
from apps.sessions import selectors, services
from apps.sessions.models import (
    MediationSession,
    SessionAgendaItem,
    SessionKind,
    SessionParty,
    SessionRepresentative,
    SessionTeamMember,
)
from tests.factories import DisputeFactory, MediationSessionFactory

pytestmark = pytest.mark.django_db

NAIROBI = zoneinfo.ZoneInfo("Africa/Nairobi")
TARGET = "mediation_sessions.mediationsession"


def _counts() -> tuple[int, ...]:
    return (
        MediationSession.objects.count(), SessionParty.objects.count(), SessionRepresentative.objects.count(),
        SessionTeamMember.objects.count(), SessionAgendaItem.objects.count(), AuditEvent.objects.count(),
        Reminder.objects.count(),
    )


def _schedule(w, **kw):
    start = kw.pop("starts_at", w.future)
    args = {
        "actor": w.lead, "dispute": w.dispute, "kind": SessionKind.JOINT, "title": "Round one", "starts_at": start,
        "ends_at": start + dt.timedelta(hours=3), "time_zone": "Africa/Nairobi", "parties": [w.a, w.b],
    }
    args.update(kw)
    return services.session_schedule(**args)


def _pending(session_id: int) -> list[Reminder]:
    return list(Reminder.objects.filter(target_type=TARGET, target_id=session_id, status="pending").order_by("due_at"))


# --- scheduling -------------------------------------------------------------------------------------


def test_it_schedules_a_joint_session_in_utc_with_attendance_agenda_audit_and_reminders(w):
    local_start = dt.datetime(2030, 5, 4, 10, 0, tzinfo=NAIROBI)
    s = _schedule(w, starts_at=local_start, ends_at=local_start + dt.timedelta(hours=2),
                  representatives=[w.rep_a, w.rep_b], team_members=[w.co.user], agenda=[w.issue],
                  venue="Addis Ababa")
    s.refresh_from_db()
    assert s.starts_at == dt.datetime(2030, 5, 4, 7, 0, tzinfo=dt.UTC)
    assert s.starts_at.utcoffset() == dt.timedelta(0)
    assert s.time_zone == "Africa/Nairobi"
    assert s.status == MediationSession.Status.PLANNED
    assert set(s.session_parties.values_list("case_party_id", flat=True)) == {w.a.pk, w.b.pk}
    assert set(s.session_representatives.values_list("representative_id", flat=True)) == {w.rep_a.pk, w.rep_b.pk}
    assert list(s.session_team.values_list("user_id", flat=True)) == [w.co.user.pk]
    assert list(s.agenda.all()) == [w.issue]
    event = AuditEvent.objects.get(action="sessions.session.scheduled", target_id=str(s.pk))
    assert event.dispute_id == w.dispute.pk and event.actor == w.lead.user
    reminders = _pending(s.pk)
    assert [r.due_at for r in reminders] == [s.starts_at - dt.timedelta(hours=24), s.starts_at - dt.timedelta(hours=1)]
    assert {u.pk for u in reminders[0].recipients.all()} == {w.co.user.pk}  # the team at the session


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (lambda w: {"ends_at": w.future - dt.timedelta(minutes=5)}, "ends_at", "end after it starts"),
        (lambda w: {"ends_at": w.future}, "ends_at", "end after it starts"),
        (lambda w: {"starts_at": dt.datetime(2030, 1, 1, 9, 0), "ends_at": dt.datetime(2030, 1, 1, 11, 0)},
         "starts_at", "time zone"),
        (lambda w: {"time_zone": "Mars/Olympus_Mons"}, "time_zone", "not a known time zone"),
        (lambda w: {"time_zone": ""}, "time_zone", "not a known time zone"),
        (lambda w: {"kind": SessionKind.CAUCUS}, "parties", "exactly one party"),
        (lambda w: {"kind": SessionKind.SHUTTLE_VISIT, "parties": [w.a]}, "shuttle_round", "shuttle round"),
        (lambda w: {"parties": [w.a]}, "parties", "at least two parties"),
        (lambda w: {"kind": SessionKind.BILATERAL, "parties": [w.a, w.b, w.c]}, "parties", "exactly two"),
        (lambda w: {"representatives": [w.rep_outsider]}, "representatives", "not in this dispute"),
        (lambda w: {"parties": [w.a, w.b], "representatives": [w.rep_a, w.rep_b], "kind": SessionKind.JOINT,
                    "team_members": [w.outsiders["mediator_off_team"].user]}, "team_members", "not on the case team"),
        (lambda w: {"title": "   "}, "title", "needs a title"),
        (lambda w: {"kind": "tea_party"}, "kind", "Unknown kind"),
    ],
    ids=["end-before-start", "end-equals-start", "naive", "unknown-zone", "no-zone", "caucus-two-parties",
         "shuttle-visit-outside-round", "joint-one-party", "bilateral-three", "representative-not-in-dispute",
         "team-member-off-team", "no-title", "unknown-kind"],
)
def test_it_refuses_bad_session_input_and_writes_nothing(w, change, field, message):
    before = _counts()
    with pytest.raises(ApplicationError) as exc:
        _schedule(w, **change(w))
    assert exc.value.field == field
    assert message in str(exc.value.message)
    assert _counts() == before


def test_it_refuses_a_party_of_another_dispute(w):
    other = DisputeFactory(organisation=w.dispute.organisation)
    from tests.factories import CasePartyFactory

    foreign = CasePartyFactory(dispute=other)
    before = _counts()
    with pytest.raises(ApplicationError, match="not a party to this dispute"):
        _schedule(w, parties=[w.a, foreign])
    assert _counts() == before


def test_it_refuses_a_representative_whose_party_is_not_at_the_session(w):
    with pytest.raises(ApplicationError, match="not taking part in this session"):
        _schedule(w, kind=SessionKind.CAUCUS, parties=[w.a], representatives=[w.rep_b])


def test_it_refuses_scheduling_on_a_closed_dispute(w):
    closed = DisputeFactory(organisation=w.dispute.organisation, lead=w.lead.user, stage=Stage.CLOSED)
    before = _counts()
    with pytest.raises(ApplicationError, match="reopen it"):
        services.session_schedule(actor=w.lead, dispute=closed, kind=SessionKind.TECHNICAL, title="x",
                                  starts_at=w.future, ends_at=w.future + dt.timedelta(hours=1), time_zone="UTC")
    assert _counts() == before


@pytest.mark.parametrize("who", ["analyst", "mediator_off_team", "read_share_mediator", "other_org_admin"])
def test_it_refuses_scheduling_by_someone_who_may_not_write_the_dispute(w, who):
    before = _counts()
    with pytest.raises(AccessDenied):
        _schedule(w, actor=w.outsiders[who])
    assert _counts() == before


def test_a_contributing_partner_and_an_admin_off_the_team_may_schedule(w):
    assert _schedule(w, actor=w.outsiders["contribute_share_mediator"]).pk
    assert _schedule(w, actor=w.outsiders["admin_off_team"]).pk


# --- status rules -----------------------------------------------------------------------------------


def test_rescheduling_moves_the_reminders_and_keeps_one_per_offset(w):
    s = _schedule(w)
    new_start = w.future + dt.timedelta(days=2)
    services.session_reschedule(actor=w.lead, session=s, starts_at=new_start, ends_at=new_start + dt.timedelta(hours=1),
                                time_zone="Europe/Zurich")
    s.refresh_from_db()
    assert s.time_zone == "Europe/Zurich"
    assert [r.due_at for r in _pending(s.pk)] == [new_start - dt.timedelta(hours=24), new_start - dt.timedelta(hours=1)]
    assert AuditEvent.objects.filter(action="sessions.session.rescheduled", target_id=str(s.pk)).count() == 1


def test_a_held_session_keeps_its_times_and_cannot_be_cancelled(w):
    s = services.session_record_held(actor=w.lead, dispute=w.dispute, kind=SessionKind.JOINT, title="Held",
                                     starts_at=w.past, ends_at=w.past + dt.timedelta(hours=2), time_zone="UTC",
                                     parties=[w.a, w.b])
    before = _counts()
    with pytest.raises(ApplicationError, match="this one is held"):
        services.session_reschedule(actor=w.lead, session=s, starts_at=w.future,
                                    ends_at=w.future + dt.timedelta(hours=1))
    with pytest.raises(ApplicationError, match="this one is held"):
        services.session_cancel(actor=w.lead, session=s)
    with pytest.raises(ApplicationError, match="this one is held"):
        services.session_mark_held(actor=w.lead, session=s)
    assert _counts() == before
    s.refresh_from_db()
    assert s.starts_at == w.past


def test_a_session_is_marked_held_only_once_it_has_started(w):
    s = _schedule(w)
    with pytest.raises(ApplicationError, match="only once it has started"):
        services.session_mark_held(actor=w.lead, session=s)
    assert MediationSession.objects.get(pk=s.pk).status == "planned"
    with pytest.raises(ApplicationError, match="only once it has started"):
        _schedule(w, starts_at=w.future) and services.session_record_held(
            actor=w.lead, dispute=w.dispute, kind=SessionKind.JOINT, title="x", starts_at=w.future,
            ends_at=w.future + dt.timedelta(hours=1), time_zone="UTC", parties=[w.a, w.b])


def test_marking_held_cancels_the_upcoming_reminders(w):
    s = MediationSessionFactory(dispute=w.dispute, starts_at=w.past, ends_at=w.past + dt.timedelta(hours=1),
                                parties=[w.a, w.b])
    services.session_mark_held(actor=w.lead, session=s, summary="Agreed to meet again", outcomes="Joint statement")
    s.refresh_from_db()
    assert (s.status, s.summary, s.outcomes) == ("held", "Agreed to meet again", "Joint statement")
    assert _pending(s.pk) == []


def test_cancelled_and_postponed_sessions_lose_their_reminders_and_a_postponed_one_can_be_replanned(w):
    s = _schedule(w)
    services.session_postpone(actor=w.lead, session=s, reason="Travel ban")
    assert MediationSession.objects.get(pk=s.pk).status == "postponed"
    assert _pending(s.pk) == []
    new_start = w.future + dt.timedelta(days=10)
    services.session_reschedule(actor=w.lead, session=s, starts_at=new_start, ends_at=new_start + dt.timedelta(hours=1))
    assert MediationSession.objects.get(pk=s.pk).status == "planned"
    assert len(_pending(s.pk)) == 2
    services.session_cancel(actor=w.lead, session=s, reason="Talks called off")
    assert _pending(s.pk) == []
    with pytest.raises(ApplicationError, match="this one is cancelled"):
        services.session_reschedule(actor=w.lead, session=s, starts_at=new_start,
                                    ends_at=new_start + dt.timedelta(hours=1))


def test_a_planned_session_can_be_cancelled_on_a_suspended_dispute(w):
    s = _schedule(w)
    w.dispute.stage = Stage.SUSPENDED
    w.dispute.save(update_fields=["stage"])
    s.refresh_from_db()
    services.session_cancel(actor=w.lead, session=s, reason="Suspended")
    assert MediationSession.objects.get(pk=s.pk).status == "cancelled"


def test_attendance_is_replaced_and_the_kind_rules_still_hold(w):
    s = services.session_schedule(actor=w.lead, dispute=w.dispute, kind=SessionKind.CAUCUS, title="Caucus A",
                                  starts_at=w.future, ends_at=w.future + dt.timedelta(hours=1), time_zone="UTC",
                                  parties=[w.a])
    with pytest.raises(ApplicationError, match="exactly one party"):
        services.session_set_attendance(actor=w.lead, session=s, parties=[w.a, w.b])
    assert list(s.session_parties.values_list("case_party_id", flat=True)) == [w.a.pk]
    services.session_set_attendance(actor=w.lead, session=s, parties=[w.b], representatives=[w.rep_b],
                                    team_members=[w.lead.user])
    assert list(s.session_parties.values_list("case_party_id", flat=True)) == [w.b.pk]
    assert list(s.session_representatives.values_list("representative_id", flat=True)) == [w.rep_b.pk]


def test_inclusion_figures_are_recorded_and_cannot_exceed_the_total(w):
    s = _schedule(w)
    services.session_update(actor=w.lead, session=s, data={"participant_count": 20, "women_count": 8,
                                                             "youth_count": 5, "civil_society_count": 3})
    s.refresh_from_db()
    assert (s.participant_count, s.women_count, s.youth_count, s.civil_society_count) == (20, 8, 5, 3)
    before = _counts()
    with pytest.raises(ApplicationError):
        services.session_update(actor=w.lead, session=s, data={"women_count": 21})
    assert _counts() == before
    with pytest.raises(ApplicationError, match="cannot be changed here"):
        services.session_update(actor=w.lead, session=s, data={"starts_at": w.past})


def test_the_audit_of_a_summary_change_does_not_quote_it(w):
    s = _schedule(w)
    services.session_update(actor=w.lead, session=s, data={"summary": "A said it would give up the valley"})
    event = AuditEvent.objects.get(action="sessions.session.updated", target_id=str(s.pk))
    assert "valley" not in str(event.before) + str(event.after)
    assert event.after["changed"] == ["summary"]


# --- reading ---------------------------------------------------------------------------------------


def test_session_list_is_scoped_and_runs_in_one_query(w, django_assert_num_queries):
    for _ in range(3):
        MediationSessionFactory(dispute=w.dispute, parties=[w.a, w.b])
    MediationSessionFactory()  # another organisation's
    for n in (3, 12):
        while MediationSession.objects.filter(dispute=w.dispute).count() < n:
            MediationSessionFactory(dispute=w.dispute, parties=[w.a, w.b])
        with django_assert_num_queries(1):
            rows = list(selectors.session_list(actor=w.lead))
        assert len(rows) == n
        assert all(r.party_names == ["Government of Northland", "Southern Liberation Front"] for r in rows)
        assert {r.dispute_id for r in rows} == {w.dispute.pk}
    assert list(selectors.session_list(actor=w.outsiders["other_org_admin"])) == []
    assert len(list(selectors.session_list(actor=w.outsiders["read_share_mediator"]))) == 12


def test_a_caucus_keeps_no_summary_its_record_lives_in_notes(w):
    caucus = services.session_record_held(actor=w.lead, dispute=w.dispute, kind=SessionKind.CAUCUS, title="A alone",
                                          starts_at=w.past, ends_at=w.past + dt.timedelta(hours=1), time_zone="UTC",
                                          parties=[w.a])
    before = _counts()
    with pytest.raises(ApplicationError, match="write them as notes") as exc:
        services.session_update(actor=w.lead, session=caucus, data={"summary": "A would cede the valley"})
    assert exc.value.field == "summary"
    with pytest.raises(ApplicationError, match="write them as notes"):
        services.session_record_held(actor=w.lead, dispute=w.dispute, kind=SessionKind.CAUCUS, title="x",
                                     starts_at=w.past, ends_at=w.past + dt.timedelta(hours=1), time_zone="UTC",
                                     parties=[w.b], outcomes="B agreed to a pause")
    assert _counts() == before
    assert MediationSession.objects.get(pk=caucus.pk).summary == ""
    services.session_update(actor=w.lead, session=caucus, data={"venue": "Hotel annex"})
    assert MediationSession.objects.get(pk=caucus.pk).venue == "Hotel annex"


def test_the_session_page_loads_in_a_fixed_number_of_queries(w, django_assert_num_queries):
    from apps.sessions.models import Visibility

    s = services.session_record_held(actor=w.lead, dispute=w.dispute, kind=SessionKind.JOINT, title="Round",
                                     starts_at=w.past, ends_at=w.past + dt.timedelta(hours=2), time_zone="UTC",
                                     parties=[w.a, w.b], representatives=[w.rep_a], team_members=[w.lead.user],
                                     agenda=[w.issue, w.issue2])
    for n in (2, 8):
        while s.notes.count() < n:
            i = s.notes.count()
            services.session_note_add(actor=w.lead, session=s, text=f"n{i}",
                                      visibility=Visibility.TEAM if i % 2 else Visibility.PARTIES, parties=None
                                      if i % 2 else [w.c])
            services.action_item_create(actor=w.lead, session=s, description=f"a{i}", due_on=dt.date(2030, 1, i + 1),
                                        owner_party=w.a)
        # session, parties, representatives, team, agenda, notes, note parties, audit INSERT, actions, proposals
        with django_assert_num_queries(10):
            page = selectors.session_get_for_reader(actor=w.lead, session_id=s.pk)
            assert len(page.notes_loaded) == n and len(page.action_items_loaded) == n
            assert [a.issue.title for a in page.agenda_loaded] == ["Border demarcation", "Prisoner exchange"]
            assert [r.representative.name for r in page.representatives_loaded] == ["Amina Rep"]
            assert page.team_loaded[0].user == w.lead.user
            assert all(n.parties_loaded[0].case_party.party.name for n in page.notes_loaded
                       if n.visibility == Visibility.PARTIES)
        with django_assert_num_queries(9):  # no team note read: no audit INSERT
            page = selectors.session_get_for_reader(actor=w.outsiders["analyst"], session_id=s.pk)
            assert len(page.notes_loaded) == n // 2
    assert selectors.session_get_for_reader(actor=w.outsiders["other_org_admin"], session_id=s.pk) is None


def test_session_webhooks_carry_ids_and_times_but_no_text(w):
    from apps.webhooks.models import WebhookDelivery, WebhookEndpoint

    WebhookEndpoint.objects.create(organisation=w.dispute.organisation, url="https://example.org/h", secret="whsec_x",
                                   events=["session.scheduled", "session.rescheduled", "session.cancelled",
                                           "session.held"])
    s = _schedule(w)
    services.session_update(actor=w.lead, session=s, data={"summary": "Both sides will exchange maps"})
    later = w.future + dt.timedelta(days=1)
    services.session_reschedule(actor=w.lead, session=s, starts_at=later, ends_at=later + dt.timedelta(hours=1))
    services.session_cancel(actor=w.lead, session=s, reason="Flights cancelled")
    events = list(WebhookDelivery.objects.order_by("id").values_list("event", "payload"))
    assert [e for e, _p in events] == ["session.scheduled", "session.rescheduled", "session.cancelled"]
    assert events[1][1]["session"]["starts_at"] == later.astimezone(dt.UTC).isoformat()
    assert all("maps" not in str(p) and "Flights" not in str(p) for _e, p in events)
