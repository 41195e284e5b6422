import datetime as dt

import pytest
from django.utils import timezone

from apps.common.errors import ApplicationError
from apps.common.models import AuditEvent
from apps.reminders.models import Reminder
from apps.sessions import selectors, services
from apps.sessions.models import ActionItem, MediationSession, SessionKind, ShuttleRound
from tests.factories import ActionItemFactory, MediationSessionFactory, ProposalFactory

pytestmark = pytest.mark.django_db

ROUND = "mediation_sessions.shuttleround"
ITEM = "mediation_sessions.actionitem"


def _round(w, parties=None, **kw):
    return services.shuttle_round_open(actor=w.lead, dispute=w.dispute, parties=parties or [w.a, w.b],
                                       subject_issue=kw.pop("subject_issue", w.issue),
                                       opened_at=kw.pop("opened_at", w.now - dt.timedelta(days=5)), **kw)


def _visit(w, rnd, party, hours_ago, replied):
    start = w.now - dt.timedelta(hours=hours_ago)
    return services.shuttle_visit_record(actor=w.lead, shuttle_round=rnd, case_party=party, starts_at=start,
                                         ends_at=start + dt.timedelta(hours=1), time_zone="Asia/Beirut",
                                         party_replied=replied)


def _state(w, rnd):
    return selectors.shuttle_round_state(selectors.shuttle_round_list(actor=w.lead).get(pk=rnd.pk))


def _follow_ups(rnd) -> dict[str, dt.datetime]:
    return dict(Reminder.objects.filter(target_type=ROUND, target_id=rnd.pk, status="pending")
                .values_list("key", "due_at"))


# --- shuttle rounds -----------------------------------------------------------------------------------


def test_whose_move_follows_the_visits(w):
    rnd = _round(w)
    state = _state(w, rnd)
    assert (state.whose_move, state.waiting_since) == (w.a, rnd.opened_at)  # nobody visited: the first party

    v1 = _visit(w, rnd, w.a, 72, replied=True)  # A gives its message
    state = _state(w, rnd)
    assert (state.whose_move, state.waiting_since) == (w.b, rnd.opened_at)  # B has not been visited yet

    v2 = _visit(w, rnd, w.b, 48, replied=True)  # B answers
    state = _state(w, rnd)
    assert (state.whose_move, state.waiting_since) == (w.a, v1.ends_at)  # A owes a reply to B's answer

    v3 = _visit(w, rnd, w.a, 24, replied=False)  # A wants time to think
    state = _state(w, rnd)
    assert (state.whose_move, state.waiting_since) == (w.a, v3.ends_at)
    assert [t.owes_reply for t in state.parties] == [True, False]
    assert state.parties[1].last_visit.pk == v2.pk

    services.shuttle_reply_record(actor=w.lead, visit=v3)  # A answers by phone
    state = _state(w, rnd)
    assert (state.whose_move, state.waiting_since) == (w.b, v2.ends_at)


def test_the_next_planned_visit_is_shown_and_a_closed_round_has_no_move(w):
    rnd = _round(w)
    nxt = services.shuttle_visit_schedule(actor=w.lead, shuttle_round=rnd, case_party=w.b, starts_at=w.future,
                                          ends_at=w.future + dt.timedelta(hours=1), time_zone="UTC")
    assert nxt.title == "Shuttle visit: Southern Liberation Front"
    assert list(nxt.agenda.all()) == [w.issue]
    assert _state(w, rnd).next_visit.pk == nxt.pk
    services.shuttle_round_conclude(actor=w.lead, shuttle_round=rnd, reason="Message delivered")
    state = _state(w, rnd)
    assert (state.whose_move, state.waiting_since, state.next_visit) == (None, None, None)
    nxt.refresh_from_db()
    assert nxt.status == MediationSession.Status.CANCELLED  # the planned visit will not happen
    assert not Reminder.objects.filter(target_id=nxt.pk, target_type="mediation_sessions.mediationsession",
                                       status="pending").exists()


def test_a_visit_without_an_answer_sets_a_follow_up_that_moves_and_ends_with_the_answer(w):
    rnd = _round(w)
    v1 = _visit(w, rnd, w.b, 30, replied=False)
    key = f"shuttle:{rnd.pk}:party:{w.b.pk}:follow_up"
    assert _follow_ups(rnd) == {key: v1.ends_at + dt.timedelta(hours=48)}
    v2 = _visit(w, rnd, w.b, 2, replied=False)  # visited again: the reminder moves, no second one
    assert _follow_ups(rnd) == {key: v2.ends_at + dt.timedelta(hours=48)}
    services.shuttle_reply_record(actor=w.lead, visit=v2)
    assert _follow_ups(rnd) == {}
    _visit(w, rnd, w.a, 1, replied=False)
    services.shuttle_round_abandon(actor=w.lead, shuttle_round=rnd, reason="Talks broke down")
    assert _follow_ups(rnd) == {}


def test_a_shuttle_visit_is_refused_outside_its_round(w):
    rnd = _round(w)
    before = (MediationSession.objects.count(), AuditEvent.objects.count(), Reminder.objects.count())
    with pytest.raises(ApplicationError, match="not in this shuttle round"):
        _visit(w, rnd, w.c, 3, replied=True)
    with pytest.raises(ApplicationError, match="belongs to a shuttle round"):
        services.session_record_held(actor=w.lead, dispute=w.dispute, kind=SessionKind.SHUTTLE_VISIT, title="v",
                                     starts_at=w.past, ends_at=w.past + dt.timedelta(hours=1), time_zone="UTC",
                                     parties=[w.a])
    with pytest.raises(ApplicationError, match="Only shuttle visits"):
        services.session_record_held(actor=w.lead, dispute=w.dispute, kind=SessionKind.CAUCUS, title="v",
                                     starts_at=w.past, ends_at=w.past + dt.timedelta(hours=1), time_zone="UTC",
                                     parties=[w.a], shuttle_round=rnd)
    services.shuttle_round_conclude(actor=w.lead, shuttle_round=rnd)
    before = (MediationSession.objects.count(), AuditEvent.objects.count(), Reminder.objects.count())
    with pytest.raises(ApplicationError, match="concluded"):
        _visit(w, rnd, w.a, 3, replied=True)
    assert (MediationSession.objects.count(), AuditEvent.objects.count(), Reminder.objects.count()) == before


def test_a_round_needs_two_parties_and_one_subject(w):
    before = ShuttleRound.objects.count()
    with pytest.raises(ApplicationError, match="at least two parties"):
        _round(w, parties=[w.a])
    with pytest.raises(ApplicationError, match="either an issue or a proposal"):
        _round(w, subject_issue=None)
    p = ProposalFactory(issue=w.issue, tabled_by=w.a)
    with pytest.raises(ApplicationError, match="either an issue or a proposal"):
        _round(w, subject_proposal=p)
    assert ShuttleRound.objects.count() == before
    rnd = _round(w, subject_issue=None, subject_proposal=p)
    assert rnd.subject_proposal == p


def test_the_shuttle_board_loads_in_three_queries(w, django_assert_num_queries):
    for n in (2, 6):
        while ShuttleRound.objects.count() < n:
            rnd = _round(w)
            _visit(w, rnd, w.a, 5, replied=True)
            _visit(w, rnd, w.b, 3, replied=False)
        with django_assert_num_queries(3):
            states = [selectors.shuttle_round_state(r) for r in selectors.shuttle_round_list(actor=w.lead)]
        assert len(states) == n
        assert all(s.whose_move == w.b for s in states)


# --- action items -----------------------------------------------------------------------------------


def test_overdue_is_computed_by_the_database(w, django_assert_num_queries):
    session = MediationSessionFactory(dispute=w.dispute)
    today = timezone.now().date()
    late = ActionItemFactory(session=session, owner_user=w.lead.user, due_on=today - dt.timedelta(days=1))
    ActionItemFactory(session=session, owner_user=w.lead.user, due_on=today)
    ActionItemFactory(session=session, owner_party=w.a, due_on=today + dt.timedelta(days=3))
    ActionItemFactory(session=session, owner_party=w.a, due_on=today - dt.timedelta(days=9),
                      done_at=timezone.now())
    with django_assert_num_queries(1):
        rows = {i.pk: i.is_overdue for i in selectors.action_item_list(actor=w.lead, dispute_id=w.dispute.pk)}
    assert sum(rows.values()) == 1 and rows[late.pk] is True
    with django_assert_num_queries(1):
        assert [i.pk for i in selectors.action_item_list(actor=w.lead, overdue=True)] == [late.pk]
    assert len(selectors.action_item_list(actor=w.lead, overdue=False)) == 3
    assert len(selectors.action_item_list(actor=w.lead, open_only=True)) == 3
    assert list(selectors.action_item_list(actor=w.outsiders["other_org_admin"])) == []


def test_action_items_get_due_reminders_that_follow_them(w):
    session = MediationSessionFactory(dispute=w.dispute, parties=[w.a, w.b])
    due = timezone.now().date() + dt.timedelta(days=10)
    item = services.action_item_create(actor=w.lead, session=session, description="Draft the ceasefire annex",
                                       due_on=due, owner_user=w.co.user)
    def pending():
        return list(Reminder.objects.filter(target_type=ITEM, target_id=item.pk, status="pending"))

    assert {r.kind for r in pending()} == {"action_item_due", "action_item_overdue"}
    assert {u.pk for r in pending() for u in r.recipients.all()} == {w.co.user.pk}
    services.action_item_update(actor=w.lead, item=item, due_on=due + dt.timedelta(days=5))
    assert len(pending()) == 2
    assert all(r.due_at.date() >= due + dt.timedelta(days=3) for r in pending())
    services.action_item_complete(actor=w.co, item=item)
    assert pending() == []
    item.refresh_from_db()
    assert item.done_by == w.co.user
    services.action_item_reopen(actor=w.lead, item=item)
    assert len(pending()) == 2


def test_an_action_item_has_one_owner_from_the_case(w):
    session = MediationSessionFactory(dispute=w.dispute)
    due = dt.date(2030, 1, 1)
    before = (ActionItem.objects.count(), AuditEvent.objects.count(), Reminder.objects.count())
    with pytest.raises(ApplicationError, match="one owner"):
        services.action_item_create(actor=w.lead, session=session, description="x", due_on=due)
    with pytest.raises(ApplicationError, match="one owner"):
        services.action_item_create(actor=w.lead, session=session, description="x", due_on=due,
                                    owner_user=w.lead.user, owner_party=w.a)
    with pytest.raises(ApplicationError, match="not on the case team"):
        services.action_item_create(actor=w.lead, session=session, description="x", due_on=due,
                                    owner_user=w.outsiders["mediator_off_team"].user)
    with pytest.raises(ApplicationError, match="as a date"):
        services.action_item_create(actor=w.lead, session=session, description="x", due_on=w.future,
                                    owner_party=w.a)
    assert (ActionItem.objects.count(), AuditEvent.objects.count(), Reminder.objects.count()) == before
    item = services.action_item_create(actor=w.lead, session=session, description="Consult elders", due_on=due,
                                       owner_party=w.c)
    assert item.owner_party == w.c and item.dispute == w.dispute
