"""Reads: scoping, the current score, roll-ups computed in the database, diffs, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404
from django.utils import timezone

from apps.agreements import selectors
from apps.agreements.diff import diff_texts
from apps.agreements.models import AgreementLink, AgreementStatus, AgreementVersion
from apps.disputes.models import CaseShare, Confidentiality
from tests.factories import (
    AgreementFactory,
    AgreementVersionFactory,
    CasePartyFactory,
    CaseShareFactory,
    DisputeFactory,
    ImplementationAssessmentFactory,
    ProvisionFactory,
    SignatoryFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _versions(agreement, texts):
    previous = None
    out = []
    for n, text in enumerate(texts, start=1):
        previous = AgreementVersionFactory(agreement=agreement, number=n, based_on=previous, text=text)
        out.append(previous)
    return out


def _assess(provision, *scores, start=dt.date(2026, 3, 1)):
    for i, score in enumerate(scores):
        ImplementationAssessmentFactory(provision=provision, score=score, assessed_on=start + dt.timedelta(days=i))


# --- scoping -----------------------------------------------------------------------------------


def test_another_organisation_sees_nothing_of_ours(case, other_actor):
    agreement = AgreementFactory(dispute=case.dispute, signed=True)
    provision = ProvisionFactory(agreement=agreement)
    _assess(provision, 2)
    assert selectors.agreements_visible(actor=case.analyst).filter(pk=agreement.pk).exists()
    assert not selectors.agreements_visible(actor=other_actor).exists()
    assert not selectors.provision_list(actor=other_actor).exists()
    assert not selectors.assessment_list(actor=other_actor).exists()
    assert not selectors.signatory_list(actor=other_actor).exists()
    assert selectors.implementation_rollup(actor=other_actor, by="agreement") == []
    with pytest.raises(Http404):
        selectors.agreement_version_diff(actor=other_actor, agreement_id=agreement.pk, from_number=1, to_number=1)


def test_a_restricted_dispute_is_seen_by_its_team_and_admins_only(case):
    case.dispute.confidentiality = Confidentiality.RESTRICTED
    case.dispute.save(update_fields=["confidentiality"])
    agreement = AgreementFactory(dispute=case.dispute)
    for actor, visible in ((case.mediator, True), (case.admin, True), (case.outsider, False), (case.analyst, False)):
        assert selectors.agreement_detail(actor=actor).filter(pk=agreement.pk).exists() is visible


def test_a_shared_dispute_is_readable_by_the_partner_until_revoked(case, other_actor):
    agreement = AgreementFactory(dispute=case.dispute)
    share = CaseShareFactory(dispute=case.dispute, organisation=other_actor.organisation, level=CaseShare.Level.READ)
    assert list(selectors.agreement_list(actor=other_actor)) == [agreement]
    share.revoked_at = timezone.now()
    share.save()
    assert not selectors.agreement_list(actor=other_actor).exists()


def test_links_to_agreements_the_reader_cannot_see_are_left_out(case):
    visible = AgreementFactory(dispute=case.dispute, signed=True)
    secret_dispute = DisputeFactory(organisation=case.org, confidentiality=Confidentiality.RESTRICTED)
    secret = AgreementFactory(dispute=secret_dispute, signed=True, title="Secret protocol")
    other = AgreementFactory(dispute=case.dispute, signed=True)
    AgreementLink.objects.create(from_agreement=secret, to_agreement=visible, kind="implements")
    AgreementLink.objects.create(from_agreement=other, to_agreement=visible, kind="renews")
    detail = selectors.agreement_detail(actor=case.analyst).get(pk=visible.pk)
    assert [link.from_agreement for link in detail.links_in_loaded] == [other]
    admin_detail = selectors.agreement_detail(actor=case.admin).get(pk=visible.pk)
    assert {link.from_agreement for link in admin_detail.links_in_loaded} == {other, secret}


# --- detail and its query count ----------------------------------------------------------------


def _full_agreement(case, size):
    agreement = AgreementFactory(dispute=case.dispute, signed=True)
    _versions(agreement, [f"Article 1\nText {n}" for n in range(size)])
    for _ in range(size):
        SignatoryFactory(agreement=agreement)
    for i in range(size):
        provision = ProvisionFactory(agreement=agreement, deadline=TODAY - dt.timedelta(days=i - 1))
        provision.responsible_parties.set([case.government, case.rebels])
        _assess(provision, 0, i % 4)
    agreement.third_parties.set([case.observer])
    for _ in range(size):
        AgreementLink.objects.create(from_agreement=AgreementFactory(dispute=case.dispute), to_agreement=agreement,
                                     kind="implements")
    return agreement


def _walk(detail):
    """Touch everything the agreement page shows."""
    out = [detail.dispute.reference, detail.organisation.name, detail.latest_text]
    out += [(v.number, v.change_summary, str(v.author)) for v in detail.versions_loaded]
    out += [(s.party.name, s.representative, s.role) for s in detail.signatories_loaded]
    for p in detail.provisions_loaded:
        out += [p.text, p.current_score, p.is_overdue, p.verifier_party, [r.name for r in p.responsible_parties.all()]]
    out += [link.from_agreement.title for link in detail.links_in_loaded]
    out += [link.to_agreement.title for link in detail.links_out_loaded]
    out += [p.name for p in detail.third_parties_loaded]
    return out


@pytest.mark.parametrize("size", [2, 9])
def test_agreement_detail_takes_eight_queries_whatever_its_size(case, size, django_assert_num_queries):
    agreement = _full_agreement(case, size)
    with django_assert_num_queries(8):
        detail = selectors.agreement_detail(actor=case.mediator).get(pk=agreement.pk)
        walked = _walk(detail)
    assert len(detail.versions_loaded) == size
    assert detail.latest_text == f"Article 1\nText {size - 1}"
    assert len(detail.provisions_loaded) == size
    assert [p.current_score for p in detail.provisions_loaded] == [i % 4 for i in range(size)]
    assert walked


def test_versions_in_the_detail_carry_no_text(case):
    agreement = AgreementFactory(dispute=case.dispute)
    _versions(agreement, ["a", "b"])
    detail = selectors.agreement_detail(actor=case.mediator).get(pk=agreement.pk)
    assert all("text" in v.get_deferred_fields() for v in detail.versions_loaded)


@pytest.mark.parametrize("size", [2, 8])
def test_agreement_list_is_one_query(case, size, django_assert_num_queries):
    for _ in range(size):
        agreement = AgreementFactory(dispute=case.dispute)
        _versions(agreement, ["a", "b", "c"])
        ProvisionFactory.create_batch(2, agreement=agreement)
    with django_assert_num_queries(1):
        rows = [(a.dispute.reference, a.provision_count, a.latest_version)
                for a in selectors.agreement_list(actor=case.analyst, dispute_id=case.dispute.pk)]
    assert rows == [(case.dispute.reference, 2, 3)] * size


# --- versions and diffs ------------------------------------------------------------------------


def test_diff_between_any_two_versions_in_either_direction(case):
    agreement = AgreementFactory(dispute=case.dispute)
    _versions(agreement, [
        "Article 1\nCeasefire from 1 May.\nArticle 2\nMonitors.",
        "Article 1\nCeasefire from 1 May.\nArticle 2\nJoint monitors.",
        "Article 1\nCeasefire from 15 May.\nArticle 2\nJoint monitors.\nArticle 3\nPrisoners.",
    ])
    forward = selectors.agreement_version_diff(actor=case.analyst, agreement_id=agreement.pk, from_number=1,
                                               to_number=3)
    assert (forward.lines_added, forward.lines_removed) == (4, 2)
    assert "-Ceasefire from 1 May." in forward.unified
    assert "+Ceasefire from 15 May." in forward.unified
    assert "+Article 3" in forward.unified
    backward = selectors.agreement_version_diff(actor=case.analyst, agreement_id=agreement.pk, from_number=3,
                                                to_number=1)
    assert (backward.lines_added, backward.lines_removed) == (2, 4)
    same = selectors.agreement_version_diff(actor=case.analyst, agreement_id=agreement.pk, from_number=2, to_number=2)
    assert not same.changed
    with pytest.raises(Http404):
        selectors.agreement_version_diff(actor=case.analyst, agreement_id=agreement.pk, from_number=1, to_number=7)


def test_diff_chunks_describe_each_change():
    result = diff_texts("a\nb\nc", "a\nB\nc\nd", from_number=1, to_number=2)
    assert [(c.tag, c.old_lines, c.new_lines) for c in result.chunks] == [
        ("equal", ["a"], ["a"]), ("replace", ["b"], ["B"]), ("equal", ["c"], ["c"]), ("insert", [], ["d"]),
    ]
    assert result.chunks[1].old_start == 2


def test_version_list_is_scoped_and_ordered(case, other_actor):
    agreement = AgreementFactory(dispute=case.dispute)
    _versions(agreement, ["one", "two"])
    assert [v.number for v in selectors.agreement_version_list(actor=case.analyst, agreement_id=agreement.pk)] == [1, 2]
    assert not selectors.agreement_version_list(actor=other_actor, agreement_id=agreement.pk).exists()
    assert AgreementVersion.objects.count() == 2


# --- roll-ups ----------------------------------------------------------------------------------


def _portfolio(case):
    """Two agreements; provision scores chosen so every share and mean is known."""
    first = AgreementFactory(dispute=case.dispute, signed=True)
    second = AgreementFactory(dispute=case.dispute, signed=True)
    p = {}
    p["cease_full"] = ProvisionFactory(agreement=first, category="ceasefire", deadline=TODAY - dt.timedelta(days=5))
    p["cease_min"] = ProvisionFactory(agreement=first, category="ceasefire", deadline=TODAY - dt.timedelta(days=5))
    p["ddr_none"] = ProvisionFactory(agreement=first, category="ddr", deadline=TODAY - dt.timedelta(days=1))
    p["ddr_unassessed"] = ProvisionFactory(agreement=first, category="ddr", deadline=TODAY - dt.timedelta(days=2))
    p["elections_mid"] = ProvisionFactory(agreement=second, category="elections", deadline=TODAY + dt.timedelta(9))
    p["ddr_mid"] = ProvisionFactory(agreement=second, category="ddr")
    _assess(p["cease_full"], 1, 3)  # history 1 → now 3
    _assess(p["cease_min"], 2, 1)  # regressed: now 1
    _assess(p["ddr_none"], 0)
    _assess(p["elections_mid"], 2)
    _assess(p["ddr_mid"], 3, 2)
    return first, second, p


def test_rollup_per_agreement_and_category(case):
    first, second, _p = _portfolio(case)
    rows = {(r["agreement_id"], r["category"]): r
            for r in selectors.implementation_rollup(actor=case.analyst, by="agreement_category")}
    cease = rows[(first.pk, "ceasefire")]
    assert (cease["total"], cease["level_1"], cease["level_3"], cease["mean_score"]) == (2, 1, 1, 2.0)
    assert (cease["share_1"], cease["share_3"], cease["share_0"]) == (0.5, 0.5, 0.0)
    assert cease["overdue"] == 1  # the minimal one; the full one is done
    ddr = rows[(first.pk, "ddr")]
    assert (ddr["total"], ddr["assessed"], ddr["not_assessed"], ddr["level_0"], ddr["mean_score"]) == (2, 1, 1, 1, 0.0)
    assert ddr["overdue"] == 2  # never assessed counts as not done
    assert rows[(second.pk, "elections")]["overdue"] == 0  # deadline still ahead


def test_rollup_per_agreement_and_per_category_over_the_portfolio(case):
    first, second, _p = _portfolio(case)
    by_agreement = {r["agreement_id"]: r for r in selectors.implementation_rollup(actor=case.analyst, by="agreement")}
    assert by_agreement[first.pk]["total"] == 4
    assert by_agreement[first.pk]["mean_score"] == pytest.approx((3 + 1 + 0) / 3)
    assert by_agreement[first.pk]["overdue"] == 3
    assert by_agreement[second.pk]["share_2"] == 1.0
    by_category = {r["category"]: r for r in selectors.implementation_rollup(actor=case.analyst, by="category")}
    assert by_category["ddr"]["total"] == 3
    assert by_category["ddr"]["mean_score"] == pytest.approx(1.0)  # 0 and 2; one never assessed
    only_second = selectors.implementation_rollup(actor=case.analyst, by="category", agreement_id=second.pk)
    assert {r["category"] for r in only_second} == {"elections", "ddr"}


def test_a_terminated_agreement_has_no_overdue_provisions(case):
    first, _second, _p = _portfolio(case)
    first.status, first.ended_on = AgreementStatus.TERMINATED, TODAY
    first.save()
    rows = {r["agreement_id"]: r for r in selectors.implementation_rollup(actor=case.analyst, by="agreement")}
    assert rows[first.pk]["overdue"] == 0
    assert not selectors.provisions_overdue(actor=case.analyst).filter(agreement=first).exists()


def test_overdue_provisions_are_past_deadline_and_not_fully_implemented(case, other_actor):
    _first, _second, p = _portfolio(case)
    overdue = list(selectors.provisions_overdue(actor=case.analyst))
    assert set(overdue) == {p["cease_min"], p["ddr_none"], p["ddr_unassessed"]}
    assert [x.deadline for x in overdue] == sorted(x.deadline for x in overdue)
    assert not selectors.provisions_overdue(actor=other_actor).exists()
    assert not selectors.provisions_overdue(actor=case.analyst, today=TODAY - dt.timedelta(days=30)).exists()


@pytest.mark.parametrize("agreements", [1, 6])
def test_the_rollup_is_one_query_whatever_the_portfolio(case, agreements, django_assert_num_queries):
    for _ in range(agreements):
        agreement = AgreementFactory(dispute=case.dispute, signed=True)
        for category in ("ceasefire", "ddr", "gender"):
            _assess(ProvisionFactory(agreement=agreement, category=category), 1, 2)
    for by in ("agreement", "category", "agreement_category"):
        with django_assert_num_queries(1):
            rows = selectors.implementation_rollup(actor=case.analyst, by=by)
        assert sum(r["total"] for r in rows) == agreements * 3


@pytest.mark.parametrize("size", [2, 7])
def test_provision_list_and_overdue_are_one_query(case, size, django_assert_num_queries):
    agreement = AgreementFactory(dispute=case.dispute, signed=True)
    for _ in range(size):
        _assess(ProvisionFactory(agreement=agreement, deadline=TODAY - dt.timedelta(days=3)), 1)
    with django_assert_num_queries(1):
        rows = [(p.agreement.dispute.reference, p.current_score, p.is_overdue)
                for p in selectors.provisions_overdue(actor=case.analyst)]
    assert rows == [(case.dispute.reference, 1, True)] * size


def test_a_party_of_another_dispute_is_not_a_signatory_here(case):
    other = DisputeFactory(organisation=case.org)
    party = CasePartyFactory(dispute=other).party
    agreement = AgreementFactory(dispute=case.dispute)
    SignatoryFactory(agreement=agreement)
    assert party not in [s.party for s in selectors.signatory_list(actor=case.mediator, agreement_id=agreement.pk)]
