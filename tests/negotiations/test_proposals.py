import datetime as dt

import pytest

from apps.common.errors import AccessDenied, ApplicationError
from apps.common.models import AuditEvent
from apps.disputes.models import NegotiationIssue, Stage
from apps.negotiations import selectors, services
from apps.negotiations.models import Proposal, ProposalResponse, ProposalStatus
from apps.reminders.models import Reminder
from apps.sessions import services as session_services
from apps.sessions.models import SessionKind
from apps.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.factories import DisputeFactory, NegotiationIssueFactory, ProposalFactory

pytestmark = pytest.mark.django_db

TARGET = "negotiations.proposal"


def _counts():
    return (Proposal.objects.count(), ProposalResponse.objects.count(), AuditEvent.objects.count(),
            Reminder.objects.count(), WebhookDelivery.objects.count(),
            list(Proposal.objects.order_by("pk").values_list("status", flat=True)))


def _table(w, **kw):
    args = {"actor": w.lead, "dispute": w.dispute, "issue": w.issue, "text": "Demarcate along the 1964 line",
            "tabled_by": w.a}
    args.update(kw)
    return services.proposal_table(**args)


def _pending(p) -> list[Reminder]:
    return list(Reminder.objects.filter(target_type=TARGET, target_id=p.pk, status="pending").order_by("due_at"))


def test_tabling_records_the_proposal_its_deadline_reminders_and_a_webhook(w):
    WebhookEndpoint.objects.create(organisation=w.dispute.organisation, url="https://example.org/hook",
                                   events=["proposal.tabled", "proposal.answered"], secret="whsec_x")
    session = session_services.session_record_held(
        actor=w.lead, dispute=w.dispute, kind=SessionKind.JOINT, title="R1", starts_at=w.past,
        ends_at=w.past + dt.timedelta(hours=2), time_zone="Asia/Kolkata", parties=[w.a, w.b])
    deadline = w.now + dt.timedelta(days=5)
    p = _table(w, tabled_in=session, response_deadline=deadline, concessions="Drops claim to the island")
    assert (p.status, p.tabled_by, p.tabled_in, p.bridging) == (ProposalStatus.TABLED, w.a, session, False)
    assert [r.due_at for r in _pending(p)] == [deadline - dt.timedelta(hours=24), deadline]
    event = AuditEvent.objects.get(action="negotiations.proposal.tabled", target_id=str(p.pk))
    assert "1964" not in str(event.after) and "island" not in str(event.after)
    delivery = WebhookDelivery.objects.get(event="proposal.tabled")
    assert delivery.payload["proposal"]["id"] == p.pk
    assert "1964" not in str(delivery.payload)


def test_a_bridging_proposal_is_the_mediators(w):
    p = _table(w, tabled_by=None, bridging=True)
    assert p.bridging and p.tabled_by is None
    with pytest.raises(ApplicationError, match="mediator's, not a party's"):
        _table(w, bridging=True)
    with pytest.raises(ApplicationError, match="Say which party"):
        _table(w, tabled_by=None)


def test_a_counter_proposal_supersedes_its_parent_and_cancels_the_parents_reminders(w):
    parent = _table(w, response_deadline=w.now + dt.timedelta(days=3))
    counter = services.proposal_counter(actor=w.lead, parent=parent, tabled_by=w.b, text="Along the river instead")
    parent.refresh_from_db()
    assert parent.status == ProposalStatus.SUPERSEDED
    assert _pending(parent) == []
    assert (counter.responds_to, counter.issue) == (parent, w.issue)
    assert AuditEvent.objects.filter(action="negotiations.proposal.superseded", target_id=str(parent.pk)).exists()


def test_a_parent_still_considered_by_another_party_is_not_superseded(w):
    parent = _table(w)
    services.proposal_consider(actor=w.lead, proposal=parent, case_party=w.c)
    services.proposal_consider(actor=w.lead, proposal=parent, case_party=w.b)
    services.proposal_counter(actor=w.lead, parent=parent, tabled_by=w.b, text="B's counter")
    parent.refresh_from_db()
    assert parent.status == ProposalStatus.UNDER_CONSIDERATION  # C is still weighing it
    services.proposal_counter(actor=w.lead, parent=parent, tabled_by=w.c, text="C's counter")
    parent.refresh_from_db()
    assert parent.status == ProposalStatus.SUPERSEDED  # only B (who countered) was left considering


def test_a_counter_proposal_on_another_issue_is_refused(w):
    parent = _table(w)
    before = _counts()
    with pytest.raises(ApplicationError, match="same issue") as exc:
        services.proposal_counter(actor=w.lead, parent=parent, tabled_by=w.b, text="x", issue=w.issue2)
    assert exc.value.field == "issue"
    with pytest.raises(ApplicationError, match="same issue"):
        _table(w, issue=w.issue2, responds_to=parent, tabled_by=w.b)
    assert _counts() == before


def test_a_proposal_on_a_closed_dispute_is_refused(w):
    closed = DisputeFactory(organisation=w.dispute.organisation, lead=w.lead.user, stage=Stage.CLOSED)
    issue = NegotiationIssueFactory(dispute=closed)
    from tests.factories import CasePartyFactory

    party = CasePartyFactory(dispute=closed)
    before = _counts()
    with pytest.raises(ApplicationError, match="reopen it") as exc:
        services.proposal_table(actor=w.lead, dispute=closed, issue=issue, text="x", tabled_by=party)
    assert exc.value.field == "dispute"
    assert _counts() == before


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (lambda w: {"text": "  "}, "text", "no text"),
        (lambda w: {"response_deadline": dt.datetime(2030, 1, 1, 12, 0)}, "response_deadline", "time zone"),
        (lambda w: {"response_deadline": w.past}, "response_deadline", "after the proposal is tabled"),
        (lambda w: {"tabled_at": dt.datetime(2026, 1, 1, 12, 0)}, "tabled_at", "time zone"),
        (lambda w: {"tabled_at": w.future}, "tabled_at", "future"),
        (lambda w: {"issue": NegotiationIssueFactory()}, "issue", "another dispute"),
    ],
    ids=["empty", "naive-deadline", "deadline-before-tabling", "naive-tabled-at", "tabled-in-future",
         "issue-elsewhere"],
)
def test_it_refuses_bad_proposal_input_and_writes_nothing(w, change, field, message):
    before = _counts()
    with pytest.raises(ApplicationError) as exc:
        _table(w, **change(w))
    assert exc.value.field == field and message in str(exc.value.message)
    assert _counts() == before


def test_a_party_must_have_been_at_the_session_it_tabled_in(w):
    caucus = session_services.session_record_held(
        actor=w.lead, dispute=w.dispute, kind=SessionKind.CAUCUS, title="A", starts_at=w.past,
        ends_at=w.past + dt.timedelta(hours=1), time_zone="UTC", parties=[w.a])
    with pytest.raises(ApplicationError, match="did not take part"):
        _table(w, tabled_by=w.b, tabled_in=caucus)


def test_accepting_agrees_the_issue_supersedes_the_rest_and_reopening_is_explicit(w):
    p1 = _table(w, response_deadline=w.now + dt.timedelta(days=2))
    p2 = _table(w, tabled_by=w.b, text="B's own idea")
    other_issue = _table(w, issue=w.issue2)
    services.proposal_accept(actor=w.lead, proposal=p1, by_parties=[w.b, w.c])
    p1.refresh_from_db()
    p2.refresh_from_db()
    other_issue.refresh_from_db()
    assert (p1.status, p2.status, other_issue.status) == ("accepted", "superseded", "tabled")
    assert NegotiationIssue.objects.get(pk=w.issue.pk).status == NegotiationIssue.Status.AGREED
    assert set(p1.responses.values_list("case_party_id", "stance")) == {(w.b.pk, "accepted"), (w.c.pk, "accepted")}
    assert _pending(p1) == []
    before = _counts()
    with pytest.raises(ApplicationError, match="reopen the issue"):
        _table(w, tabled_by=w.c)
    with pytest.raises(ApplicationError, match="no longer be answered"):
        services.proposal_reject(actor=w.lead, proposal=p1)
    assert _counts() == before
    with pytest.raises(ApplicationError, match="Say why"):
        services.issue_reopen(actor=w.lead, issue=w.issue, reason="")
    services.issue_reopen(actor=w.lead, issue=w.issue, reason="Parliament rejected the line")
    assert NegotiationIssue.objects.get(pk=w.issue.pk).status == NegotiationIssue.Status.OPEN
    assert Proposal.objects.get(pk=p1.pk).status == "accepted"  # history stays
    assert _table(w, tabled_by=w.c).pk
    assert AuditEvent.objects.filter(action="negotiations.issue.reopened").count() == 1


def test_reject_withdraw_and_deadline_changes(w):
    p = _table(w, response_deadline=w.now + dt.timedelta(days=4))
    new = w.now + dt.timedelta(days=9)
    services.proposal_set_deadline(actor=w.lead, proposal=p, response_deadline=new)
    assert [r.due_at for r in _pending(p)] == [new - dt.timedelta(hours=24), new]
    services.proposal_reject(actor=w.lead, proposal=p, by_party=w.b)
    assert Proposal.objects.get(pk=p.pk).status == "rejected"
    assert _pending(p) == []
    q = _table(w, tabled_by=w.b)
    services.proposal_withdraw(actor=w.lead, proposal=q, reason="Changed instructions")
    assert Proposal.objects.get(pk=q.pk).status == "withdrawn"
    with pytest.raises(ApplicationError, match="its own proposal"):
        services.proposal_consider(actor=w.lead, proposal=_table(w), case_party=w.a)


@pytest.mark.parametrize("who", ["analyst", "read_share_mediator", "other_org_admin", "mediator_off_team"])
def test_those_who_may_not_write_the_dispute_cannot_table(w, who):
    before = _counts()
    with pytest.raises(AccessDenied):
        _table(w, actor=w.outsiders[who])
    assert _counts() == before


# --- reading ---------------------------------------------------------------------------------------


def _grow_thread(w, n):
    """A branching thread: each new proposal counters one of the earlier ones."""
    rows = list(Proposal.objects.filter(issue=w.issue).order_by("id"))
    while len(rows) < n:
        parent = rows[len(rows) // 2] if rows else None
        rows.append(ProposalFactory(issue=w.issue, tabled_by=w.a if len(rows) % 2 else w.b, responds_to=parent))
    return rows


def test_the_thread_is_a_tree_built_in_two_queries(w, django_assert_num_queries):
    for n in (4, 25):
        rows = _grow_thread(w, n)
        ProposalFactory(issue=w.issue2, tabled_by=w.a)  # another issue's thread stays out
        with django_assert_num_queries(2):
            roots = selectors.proposal_thread(actor=w.lead, issue_id=w.issue.pk)

            def walk(nodes):
                for node in nodes:
                    yield node
                    yield from walk(node.children)

            flat = list(walk(roots))
            assert {node.proposal.pk for node in flat} == {p.pk for p in rows}
            assert all(node.proposal.tabled_by.party.name for node in flat)
            assert all(c.proposal.responds_to_id == node.proposal.pk for node in flat for c in node.children)
            assert [r.proposal.pk for r in roots] == [rows[0].pk]
            assert all(isinstance(node.proposal.responses_loaded, list) for node in flat)
    assert selectors.proposal_thread(actor=w.outsiders["other_org_admin"], issue_id=w.issue.pk) == []
    assert len(selectors.proposal_thread(actor=w.outsiders["read_share_mediator"], issue_id=w.issue.pk)) == 1


def test_the_current_text_of_each_issue_in_one_query(w, django_assert_num_queries):
    first = _table(w, text="Version one")
    counter = services.proposal_counter(actor=w.lead, parent=first, tabled_by=w.b, text="Version two")
    bridging = _table(w, issue=w.issue2, tabled_by=None, bridging=True, text="Mediator's bridge")
    services.proposal_accept(actor=w.lead, proposal=bridging)
    NegotiationIssueFactory(dispute=w.dispute, title="Water sharing")
    with django_assert_num_queries(1):
        rows = {i.title: (i.current_proposal_id, i.current_text, i.current_status, i.current_tabled_by)
                for i in selectors.issue_current_texts(actor=w.lead, dispute_id=w.dispute.pk)}
    assert rows == {
        "Border demarcation": (counter.pk, "Version two", "tabled", "Southern Liberation Front"),
        "Prisoner exchange": (bridging.pk, "Mediator's bridge", "accepted", None),
        "Water sharing": (None, None, None, None),
    }
    assert list(selectors.issue_current_texts(actor=w.outsiders["other_org_admin"], dispute_id=w.dispute.pk)) == []


def test_proposal_lists_flag_overdue_responses_in_the_database(w, django_assert_num_queries):
    late = ProposalFactory(issue=w.issue, tabled_by=w.a, tabled_at=w.now - dt.timedelta(days=5),
                           response_deadline=w.now - dt.timedelta(days=1))
    soon = ProposalFactory(issue=w.issue, tabled_by=w.b, tabled_at=w.now - dt.timedelta(days=1),
                           response_deadline=w.now + dt.timedelta(days=1))
    ProposalFactory(issue=w.issue, tabled_by=w.b)
    with django_assert_num_queries(1):
        rows = [(p.pk, p.response_overdue) for p in selectors.proposal_list(actor=w.lead, awaiting_response=True)]
    assert rows == [(late.pk, True), (soon.pk, False)]
    assert selectors.proposal_get(actor=w.outsiders["other_org_admin"], proposal_id=late.pk) is None
    assert selectors.proposal_get(actor=w.outsiders["analyst"], proposal_id=late.pk).pk == late.pk
