"""The stage workflow and the escalation-risk history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.actors import Actor
from apps.common.errors import ApplicationError
from apps.disputes import services
from apps.disputes.models import Dispute, RiskAssessment, Stage, StageChange
from tests.factories import DisputeFactory, MembershipFactory

pytestmark = pytest.mark.django_db

OPEN = ["intake", "assessment", "pre_negotiation", "negotiation", "agreement", "implementation"]


@pytest.fixture
def lead(org) -> Actor:
    return Actor.for_membership(MembershipFactory(organisation=org, role="mediator"))


@pytest.fixture
def dispute(org, lead) -> Dispute:
    return DisputeFactory(organisation=org, lead=lead.user, opened_on=dt.date(2026, 2, 1))


def _move(actor, dispute, to, **kw) -> Dispute:
    return services.dispute_change_stage(actor=actor, dispute=dispute, to_stage=to, **kw)


@pytest.mark.parametrize(
    ("stage", "before_pause", "allowed"),
    [
        ("intake", "", ["assessment", "suspended", "withdrawn", "closed"]),
        ("assessment", "", ["pre_negotiation", "intake", "suspended", "withdrawn", "closed"]),
        ("pre_negotiation", "", ["negotiation", "assessment", "suspended", "withdrawn", "closed"]),
        ("negotiation", "", ["agreement", "pre_negotiation", "suspended", "withdrawn", "closed"]),
        ("agreement", "", ["implementation", "negotiation", "suspended", "withdrawn", "closed"]),
        ("implementation", "", ["closed", "agreement", "suspended", "withdrawn"]),
        ("suspended", "negotiation", ["negotiation", "withdrawn", "closed"]),
        ("withdrawn", "assessment", ["assessment", "suspended", "closed"]),
        ("closed", "", []),
    ],
)
def test_the_allowed_transitions_from_each_stage(stage, before_pause, allowed):
    dispute = Dispute(stage=stage, stage_before_suspension=before_pause)
    assert services.allowed_transitions(dispute) == allowed


def test_a_dispute_walks_the_whole_workflow_and_each_move_is_recorded(lead, dispute):
    for to in OPEN[1:]:
        _move(lead, dispute, to, reason=f"to {to}")
    _move(lead, dispute, "closed", closure_reason="agreement_reached", closed_on=dt.date(2026, 9, 1),
          reason="signed and implemented")
    dispute.refresh_from_db()
    assert (dispute.stage, dispute.closure_reason, dispute.closed_on) == (
        "closed", "agreement_reached", dt.date(2026, 9, 1))
    changes = list(StageChange.objects.filter(dispute=dispute).values_list("from_stage", "to_stage"))
    assert changes == [("", "intake"), *zip(OPEN, [*OPEN[1:], "closed"], strict=True)]
    last = StageChange.objects.filter(dispute=dispute).last()
    assert (last.by, last.by_label, last.reason) == (lead.user, str(lead.user), "signed and implemented")


def test_the_callers_instance_follows_the_move(lead, dispute):
    returned = _move(lead, dispute, "assessment")
    assert returned is dispute
    assert dispute.stage == "assessment"


@pytest.mark.parametrize("from_stage", OPEN)
def test_suspension_from_any_open_stage_resumes_where_it_left(lead, org, from_stage):
    dispute = DisputeFactory(organisation=org, lead=lead.user, stage=from_stage)
    _move(lead, dispute, "suspended", reason="elections")
    assert dispute.stage_before_suspension == from_stage
    _move(lead, dispute, "withdrawn", reason="one party walked out")
    assert services.allowed_transitions(dispute) == [from_stage, "suspended", "closed"]
    _move(lead, dispute, from_stage, reason="back at the table")
    dispute.refresh_from_db()
    assert (dispute.stage, dispute.stage_before_suspension) == (from_stage, "")


def test_a_paused_dispute_cannot_jump_elsewhere_when_it_resumes(lead, dispute):
    _move(lead, dispute, "assessment")
    _move(lead, dispute, "suspended", reason="rainy season")
    with pytest.raises(ApplicationError) as refused:
        _move(lead, dispute, "negotiation")
    assert refused.value.field == "to_stage"


def test_a_withdrawn_dispute_can_be_closed_and_closing_is_final(lead, dispute):
    _move(lead, dispute, "withdrawn", reason="the government left the talks")
    _move(lead, dispute, "closed", closure_reason="parties_withdrew")
    assert dispute.closed_on == timezone.localdate()
    for to in [*OPEN, "suspended", "withdrawn", "closed"]:
        with pytest.raises(ApplicationError):
            _move(lead, dispute, to, reason="x", closure_reason="parties_withdrew" if to == "closed" else "")
    assert StageChange.objects.filter(dispute=dispute).count() == 3


def test_an_agreement_closure_is_allowed_once_the_agreement_stage_was_reached(lead, org):
    dispute = DisputeFactory(organisation=org, lead=lead.user, stage="agreement")
    _move(lead, dispute, "suspended", reason="ratification pending")
    _move(lead, dispute, "closed", closure_reason="agreement_reached")
    assert dispute.closure_reason == "agreement_reached"


def test_the_database_refuses_a_closed_dispute_without_date_and_reason(dispute):
    with pytest.raises(IntegrityError), transaction.atomic():
        Dispute.objects.filter(pk=dispute.pk).update(stage=Stage.CLOSED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Dispute.objects.filter(pk=dispute.pk).update(closure_reason="parties_withdrew")


def test_the_database_refuses_closing_before_opening(dispute):
    with pytest.raises(IntegrityError), transaction.atomic():
        Dispute.objects.filter(pk=dispute.pk).update(stage=Stage.CLOSED, closure_reason="parties_withdrew",
                                                     closed_on=dt.date(2026, 1, 1))


def test_the_lead_stays_through_a_suspension_and_may_leave_once_closed(lead, dispute):
    admin = Actor.for_membership(MembershipFactory(organisation=dispute.organisation, role="admin"))
    lead_row = dispute.team.get(role="lead_mediator")
    _move(lead, dispute, "suspended", reason="elections")
    with pytest.raises(ApplicationError):
        services.team_member_remove(actor=admin, member=lead_row)
    _move(lead, dispute, "closed", closure_reason="overtaken_by_events")
    services.team_member_remove(actor=admin, member=lead_row)
    lead_row.refresh_from_db()
    assert not lead_row.active


def test_a_closed_dispute_refuses_content_changes_but_not_sharing(lead, org, other_org, dispute):
    admin = Actor.for_membership(MembershipFactory(organisation=org, role="admin"))
    _move(lead, dispute, "closed", closure_reason="referred_elsewhere")
    for call in (
        lambda: services.dispute_change_risk(actor=admin, dispute=dispute, risk="low"),
        lambda: services.negotiation_issue_create(actor=admin, dispute=dispute, title="Late item"),
        lambda: services.dispute_set_confidentiality(actor=admin, dispute=dispute, confidentiality="restricted"),
    ):
        with pytest.raises(ApplicationError):
            call()
    services.case_share_grant(actor=admin, dispute=dispute, organisation=other_org, level="read")


# --- escalation risk ----------------------------------------------------------------------------


def test_the_risk_history_is_dated_and_the_latest_assessment_is_the_current_risk(lead, dispute):
    services.dispute_change_risk(actor=lead, dispute=dispute, risk="high", assessed_on=dt.date(2026, 3, 1),
                                 reason="clashes")
    services.dispute_change_risk(actor=lead, dispute=dispute, risk="critical", assessed_on=dt.date(2026, 3, 1),
                                 reason="more clashes, same day")
    services.dispute_change_risk(actor=lead, dispute=dispute, risk="low", assessed_on=dt.date(2026, 4, 1))
    history = list(RiskAssessment.objects.filter(dispute=dispute).values_list("assessed_on", "previous", "risk"))
    assert history == [(dt.date(2026, 3, 1), "medium", "high"), (dt.date(2026, 3, 1), "high", "critical"),
                       (dt.date(2026, 4, 1), "critical", "low")]
    dispute.refresh_from_db()
    assert dispute.risk == "low"


def test_a_risk_assessment_cannot_be_slipped_in_before_the_latest(lead, dispute):
    services.dispute_change_risk(actor=lead, dispute=dispute, risk="high", assessed_on=dt.date(2026, 4, 1))
    with pytest.raises(ApplicationError) as refused:
        services.dispute_change_risk(actor=lead, dispute=dispute, risk="low", assessed_on=dt.date(2026, 3, 15))
    assert refused.value.field == "assessed_on"
    dispute.refresh_from_db()
    assert dispute.risk == "high"
    assert RiskAssessment.objects.filter(dispute=dispute).count() == 1


def test_opening_a_dispute_starts_its_stage_and_risk_history(org, lead):
    admin = Actor.for_membership(MembershipFactory(organisation=org, role="admin"))
    dispute = services.dispute_open(actor=admin, title="Coastal fisheries", lead_mediator=lead.user, risk="high",
                                    opened_on=dt.date(2026, 5, 4), stage="assessment", countries=["so", "ke", "SO"],
                                    lead_affiliations=["  Red  Cross "])
    assert dispute.reference == "PC-2026-0001"
    assert dispute.countries == ["SO", "KE"]
    assert list(dispute.stage_changes.values_list("from_stage", "to_stage")) == [("", "assessment")]
    assert list(dispute.risk_history.values_list("risk", "assessed_on")) == [("high", dt.date(2026, 5, 4))]
    lead_row = dispute.team.get()
    assert (lead_row.user, lead_row.role, lead_row.affiliations) == (lead.user, "lead_mediator", ["Red Cross"])


def test_references_count_per_organisation_and_year_and_skip_taken_numbers(org, other_org, lead):
    admin = Actor.for_membership(MembershipFactory(organisation=org, role="admin"))
    other_admin = Actor.for_membership(MembershipFactory(organisation=other_org, role="admin"))
    DisputeFactory(organisation=org, reference="PC-2026-0002")  # imported by hand
    refs = [services.dispute_open(actor=admin, title=f"D{i}", lead_mediator=lead.user,
                                  opened_on=dt.date(2026, 6, 1)).reference for i in range(3)]
    assert refs == ["PC-2026-0001", "PC-2026-0003", "PC-2026-0004"]
    assert services.dispute_open(actor=admin, title="Next year", lead_mediator=lead.user,
                                 opened_on=dt.date(2027, 1, 2)).reference == "PC-2027-0001"
    other_lead = MembershipFactory(organisation=other_org, role="mediator").user
    assert services.dispute_open(actor=other_admin, title="Theirs", lead_mediator=other_lead,
                                 opened_on=dt.date(2026, 6, 1)).reference == "PC-2026-0001"
