"""Query counts that do not grow with the rows, and query plans that use the indexes."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db import connection

from apps.accounts.actors import Actor
from apps.disputes import selectors
from apps.disputes.models import CaseShare, CaseTeamMember, Dispute
from tests.factories import (
    CasePartyFactory,
    CaseShareFactory,
    DisputeFactory,
    MembershipFactory,
    NegotiationIssueFactory,
    OrganisationFactory,
    PartyFactory,
    PartyPositionFactory,
    RepresentativeFactory,
    RiskAssessmentFactory,
)

pytestmark = pytest.mark.django_db

FILTERS = [
    {},
    {"stage": ["intake", "negotiation"], "risk": "medium"},
    {"q": "border", "country": "ke"},
    {"mine": True, "dispute_type": "territorial", "process_format": "mediation"},
    {"confidentiality": "standard", "track": ["1", "2"], "reference": "PC-2026-0001"},
]


def _callers(org, lead_user) -> dict[str, Actor]:
    partner = OrganisationFactory(slug="partner-forum")
    return {
        "admin": Actor.for_membership(MembershipFactory(organisation=org, role="admin")),
        "lead": Actor(organisation=org, role="mediator", user=lead_user),
        "analyst": Actor.for_membership(MembershipFactory(organisation=org, role="analyst")),
        "api key": Actor(organisation=org, role="partner", user=None, api_key_id="k", scopes=frozenset({"read"})),
        "partner": Actor.for_membership(MembershipFactory(organisation=partner, role="mediator")),
    }


def _grow(org, lead_user, n: int) -> None:
    partner = OrganisationFactory(slug="partner-forum")
    rnd = random.Random(n)
    while Dispute.objects.filter(organisation=org).count() < n:
        d = DisputeFactory(organisation=org, lead=lead_user, title="Border grazing",
                           confidentiality=rnd.choice(["standard", "standard", "restricted"]))
        CasePartyFactory(dispute=d)
        CasePartyFactory(dispute=d)
        if d.confidentiality == "standard":
            CaseShareFactory(dispute=d, organisation=partner)


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f) or "no filter")
def test_the_dispute_list_runs_in_three_queries_for_every_caller_and_filter(org, filters, django_assert_num_queries):
    lead_user = MembershipFactory(organisation=org, role="mediator").user
    callers = _callers(org, lead_user)
    for n in (3, 30):
        _grow(org, lead_user, n)
        for name, actor in callers.items():
            # the list, its parties, its lead mediators; none of them when the list is empty
            expected = 3 if selectors.dispute_list(actor=actor, filters=filters).exists() else 1
            with django_assert_num_queries(expected):
                rows = list(selectors.dispute_list(actor=actor, filters=filters))
                for row in rows:
                    assert len(row.parties_loaded) == 2, name
                    assert row.leads_loaded[0].user.email, name
                    assert row.last_stage_change_to == "intake"
                    assert row.organisation.name
            if name in ("admin", "lead") and not filters:
                assert len(rows) == n


def test_the_dispute_detail_runs_in_a_fixed_number_of_queries(org, django_assert_num_queries):
    admin = Actor.for_membership(MembershipFactory(organisation=org, role="admin"))
    dispute = DisputeFactory(organisation=org)
    for n in (2, 12):
        while dispute.case_parties.count() < n:
            CasePartyFactory(dispute=dispute)
            NegotiationIssueFactory(dispute=dispute)
            CaseTeamMember.objects.create(dispute=dispute, role="adviser", starts_on=dispute.opened_on,
                                          user=MembershipFactory(organisation=org).user)
        with django_assert_num_queries(5):
            row = selectors.dispute_detail(actor=admin).get(pk=dispute.pk)
            assert len(row.parties_loaded) == n and len(row.issues.all()) == n
            assert {m.user.email for m in row.team_loaded}


@pytest.mark.parametrize("list_name", ["party_list", "representative_list", "case_party_list", "team_member_list",
                                       "stage_change_list", "risk_assessment_list", "party_position_list",
                                       "negotiation_issue_list", "case_share_list"])
def test_each_list_selector_is_one_query_whatever_the_rows(org, other_org, list_name, django_assert_num_queries):
    """The selectors carry their select_related: walking the relations a page shows costs nothing."""
    member = MembershipFactory(organisation=org, role="mediator")
    actor = Actor.for_membership(member)
    walks = {
        "party_list": lambda r: r.name,
        "representative_list": lambda r: r.party.name,
        "case_party_list": lambda r: (r.party.name, r.dispute.reference),
        "team_member_list": lambda r: r.user.email,
        "stage_change_list": lambda r: r.by_id and r.by.email,
        "risk_assessment_list": lambda r: r.by_id and r.by.email,
        "party_position_list": lambda r: (r.case_party.party.name, r.issue.title),
        "negotiation_issue_list": lambda r: r.title,
        "case_share_list": lambda r: (r.organisation.name, r.dispute.reference),
    }
    for n in (3, 30):
        while Dispute.objects.filter(organisation=org).count() < n:
            d = DisputeFactory(organisation=org, lead=member.user)
            PartyPositionFactory(case_party=CasePartyFactory(dispute=d))
            RepresentativeFactory(party=PartyFactory(organisation=org))
            RiskAssessmentFactory(dispute=d, by=member.user)
            CaseShareFactory(dispute=d, organisation=other_org)
        with django_assert_num_queries(1):
            rows = list(getattr(selectors, list_name)(actor=actor))
            assert len(rows) >= n
            for row in rows:
                walks[list_name](row)


# --- query plans ----------------------------------------------------------------------------------------


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.fixture
def many_disputes():
    """5,000 disputes in 10 organisations, a fifth restricted, one lead each; 40 shared with the first."""
    rnd = random.Random(7)
    orgs = [OrganisationFactory(slug=f"bulk-{i}") for i in range(10)]
    leads = {o.pk: [MembershipFactory(organisation=o).user for _ in range(5)] for o in orgs}
    stages = ["intake", "assessment", "pre_negotiation", "negotiation", "agreement", "implementation", "suspended"]
    Dispute.objects.bulk_create(
        Dispute(organisation=o, reference=f"PC-2026-{i + 1:04d}", title=f"Dispute {i}", stage=rnd.choice(stages),
                confidentiality="restricted" if rnd.random() < 0.2 else "standard",
                opened_on=dt.date(2025, 1, 1) + dt.timedelta(days=i % 600))
        for o in orgs for i in range(500)
    )
    CaseTeamMember.objects.bulk_create(
        CaseTeamMember(dispute_id=pk, user=rnd.choice(leads[org_id]), role="lead_mediator",
                       starts_on=dt.date(2025, 1, 1))
        for pk, org_id in Dispute.objects.values_list("pk", "organisation_id")
    )
    shared = Dispute.objects.filter(confidentiality="standard").exclude(organisation=orgs[0])[:40]
    CaseShare.objects.bulk_create(CaseShare(dispute=d, organisation=orgs[0]) for d in shared)
    with connection.cursor() as cursor:
        # Every table the plans touch, the organisations included: with stale statistics from earlier
        # tests the planner may start from a one-row guess of accounts_organisation instead.
        cursor.execute("ANALYZE disputes_dispute; ANALYZE disputes_caseteammember; ANALYZE disputes_caseshare; "
                       "ANALYZE accounts_organisation; ANALYZE disputes_stagechange")
    return orgs[0], leads[orgs[0].pk][0]


@pytest.mark.parametrize("role", ["admin", "mediator"])
def test_the_dispute_list_of_an_organisation_uses_its_indexes(many_disputes, role):
    org, user = many_disputes
    actor = (Actor.for_membership(MembershipFactory(organisation=org, role="admin")) if role == "admin"
             else Actor(organisation=org, role="mediator", user=user))

    by_stage = _plan(selectors.dispute_list(actor=actor, filters={"stage": "negotiation"}))
    assert "dispute_org_stage" in by_stage, by_stage

    by_reference = _plan(selectors.dispute_list(actor=actor, filters={"reference": "PC-2026-0042"}))
    assert "dispute_unique_reference_per_org" in by_reference, by_reference

    # The shared disputes join through the primary key, so the organisation's own rows still come
    # from an index: no pass over the other organisations' 4,500 disputes.
    everything = _plan(selectors.dispute_list(actor=actor))
    assert "Seq Scan on disputes_dispute" not in everything, everything
    assert selectors.dispute_list(actor=actor).count() == (
        Dispute.objects.filter(organisation=org).count() + 40 if role == "admin"
        else selectors.disputes_visible(actor=actor).count()
    )
