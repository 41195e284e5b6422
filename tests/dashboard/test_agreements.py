import datetime as dt

import pytest

from apps.agreements.models import AgreementStatus, AgreementVersion, ImplementationAssessment
from tests.dashboard.record_world import build
from tests.factories import (
    AgreementFactory,
    AgreementVersionFactory,
    ImplementationAssessmentFactory,
    ProvisionFactory,
    SignatoryFactory,
)

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def w(org):
    return build(org)


@pytest.fixture
def draft(w):
    a = AgreementFactory(dispute=w.dispute, title="Water points accord")
    v1 = AgreementVersionFactory(agreement=a, number=1, text="Article 1\nTwo wells.\nArticle 2\nPatrols.")
    AgreementVersionFactory(agreement=a, number=2, based_on=v1, text="Article 1\nThree wells.\nArticle 2\nPatrols.")
    return a


@pytest.fixture
def signed(w):
    a = AgreementFactory(dispute=w.dispute, title="Signed accord", signed=True)
    AgreementVersionFactory(agreement=a, number=1, text="Article 1")
    p1 = ProvisionFactory(agreement=a, label="1.", text="Open the wells", category="natural_resources")
    ProvisionFactory(agreement=a, label="2.", text="Joint patrols", category="verification")
    ImplementationAssessmentFactory(provision=p1, score=1, assessed_on=dt.date(2026, 2, 10))
    return a


def url(a, suffix=""):
    return f"/agreements/{a.pk}/{suffix}"


def test_the_page_shows_versions_and_a_side_by_side_diff(client, w, draft):
    client.force_login(w.mediator)
    body = client.get(url(draft)).content.decode()
    assert "Water points accord" in body
    assert "Version 1 → version 2: lines added: 1, lines removed: 1" in body
    assert "Two wells." in body and "Three wells." in body and 'class="diff-del"' in body


def test_a_new_version_on_a_stale_base_is_refused_and_the_text_kept(client, w, draft):
    client.force_login(w.mediator)
    r = client.post(url(draft, "version/"), {"text": "Article 1\nFour wells.", "based_on": "1"}, **HX)
    body = r.content.decode()
    assert "The text has changed since you opened it" in body and "Four wells." in body
    assert AgreementVersion.objects.filter(agreement=draft).count() == 2
    r = client.post(url(draft, "version/"), {"text": "Article 1\nFour wells.", "based_on": "2"}, **HX)
    assert "New version saved." in r.content.decode()
    assert AgreementVersion.objects.filter(agreement=draft).count() == 3


def test_signing_needs_two_conflict_party_signatories_then_moves_to_signed(client, w, draft):
    client.force_login(w.mediator)
    r = client.post(url(draft, "status/"), {"to_status": "signed", "place": "Nairobi"})
    assert "Signing needs at least two signatories who are conflict parties" in r.content.decode()
    draft.refresh_from_db()
    assert draft.status == AgreementStatus.DRAFTING
    for cp in (w.farmers, w.herders):
        r = client.post(url(draft, "signatory/"), {"party": cp.party_id, "role": "signatory"}, **HX)
        assert "Signatory added." in r.content.decode()
    r = client.post(url(draft, "status/"), {"to_status": "signed", "place": "Nairobi"})
    assert r.status_code == 302
    draft.refresh_from_db()
    assert draft.status == AgreementStatus.SIGNED and draft.place == "Nairobi"


def test_the_matrix_labels_every_cell_and_changes_with_an_assessment(client, w, signed):
    client.force_login(w.mediator)
    body = client.get(url(signed)).content.decode()
    assert "2026 Q1" in body and "1 · Minimal" in body
    assert "Peace Accords Matrix scale" in body and "3 · Full" in body  # the legend, in words
    assert "<svg class=\"rollup-chart\"" in body and "Natural resources" in body
    p2 = signed.provisions.get(label="2.")
    r = client.post(url(signed, "assessment/"), {"provision": p2.pk, "score": "3", "assessed_on": "2026-04-02",
                                                  "source": "Monitoring report"}, **HX)
    body = r.content.decode()
    assert "Assessment recorded." in body and "2026 Q2" in body
    assert body.count("3 · Full") >= 3  # legend, the Q2 cell, the current column
    assert ImplementationAssessment.objects.filter(provision=p2).count() == 1


def test_a_refused_assessment_keeps_what_was_typed(client, w, draft):
    p = ProvisionFactory(agreement=draft)
    client.force_login(w.mediator)
    before = ImplementationAssessment.objects.count()
    r = client.post(url(draft, "assessment/"), {"provision": p.pk, "score": "2", "evidence": "Field visit notes"},
                    **HX)
    body = r.content.decode()
    assert "Implementation is assessed once the agreement is signed." in body
    assert ImplementationAssessment.objects.count() == before


def test_readers_get_no_forms_and_outsiders_a_404(client, w, signed, other_org):
    from tests.factories import MembershipFactory

    client.force_login(w.analyst)
    body = client.get(url(signed)).content.decode()
    assert "Signed accord" in body and 'method="post"' not in body.split("<main")[1].split("</main>")[0]
    assert client.post(url(signed, "assessment/"), {"provision": signed.provisions.first().pk,
                                                    "score": "3"}).status_code == 403
    client.force_login(MembershipFactory(organisation=other_org, role="admin").user)
    assert client.get(url(signed)).status_code == 404
    assert client.get("/agreements/999999/").status_code == 404
    assert ImplementationAssessment.objects.count() == 1


def test_creating_an_agreement(client, w):
    client.force_login(w.mediator)
    r = client.post(f"/disputes/{w.dispute.pk}/agreements/new/", {"title": "Ceasefire", "type": "ceasefire",
                                                                 "text": "Article 1"})
    assert r.status_code == 302


@pytest.mark.parametrize("n", [2, 8])
def test_the_agreement_page_runs_a_fixed_number_of_queries(client, w, signed, n, django_assert_num_queries):
    for i in range(n):
        p = ProvisionFactory(agreement=signed, category="elections")
        ImplementationAssessmentFactory(provision=p, score=i % 4, assessed_on=dt.date(2026, 1 + i % 5, 3))
        SignatoryFactory(agreement=signed)
    client.force_login(w.mediator)
    client.get(url(signed))
    with django_assert_num_queries(18):  # 18th: the agreements a link may point to
        assert client.get(url(signed)).status_code == 200
