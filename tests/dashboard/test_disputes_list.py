import csv
import io

import pytest

from apps.disputes.models import Risk, Stage
from tests.factories import CasePartyFactory, DisputeFactory, MembershipFactory, PartyFactory

pytestmark = pytest.mark.django_db


def _titles(response) -> list[str]:
    return [d.title for d in response.context["disputes"]]


def test_the_list_shows_my_organisations_disputes_and_never_another_organisations(client, mediator, dispute,
                                                                                     foreign):
    client.force_login(mediator)
    body = client.get("/disputes/").content.decode()
    assert dispute.title in body
    assert dispute.reference in body
    assert "Riverside Farmers Union" in body
    assert foreign.title not in body


def test_restricted_disputes_are_listed_only_for_their_team_and_admins(client, org, dispute, restricted, analyst,
                                                                       admin, mediator):
    outsider = MembershipFactory(organisation=org, role="mediator").user
    for user, sees in ((mediator, True), (admin, True), (analyst, False), (outsider, False)):
        client.force_login(user)
        titles = _titles(client.get("/disputes/"))
        assert (restricted.title in titles) is sees, user
        assert dispute.title in titles


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"stage": "negotiation"}, {"Talks"}),
        ({"risk": "critical"}, {"Talks"}),
        ({"dispute_type": "resources"}, {"Water"}),
        ({"country": "SD"}, {"Water"}),
        ({"process_format": "shuttle_diplomacy"}, {"Water"}),
    ],
)
def test_each_filter_narrows_the_list(client, org, mediator, params, expected):
    DisputeFactory(organisation=org, title="Talks", stage=Stage.NEGOTIATION, risk=Risk.CRITICAL)
    DisputeFactory(organisation=org, title="Water", dispute_types=["resources"], countries=["SD"],
                   process_format="shuttle_diplomacy")
    DisputeFactory(organisation=org, title="Other")
    client.force_login(mediator)
    assert set(_titles(client.get("/disputes/", params))) == expected


def test_my_cases_shows_only_the_disputes_whose_team_i_am_on(client, org, mediator, dispute):
    DisputeFactory(organisation=org, title="Not mine")
    client.force_login(mediator)
    assert _titles(client.get("/disputes/", {"mine": "on"})) == [dispute.title]


@pytest.mark.parametrize("term", ["grazing", "water points", "riverside", "RFU", "farmers union"])
def test_search_finds_a_dispute_by_title_summary_party_name_or_alias(client, org, mediator, dispute, term):
    DisputeFactory(organisation=org, title="Unrelated harbour", summary="Ships.")
    client.force_login(mediator)
    assert _titles(client.get("/disputes/", {"q": term})) == [dispute.title]


def test_search_finds_a_dispute_by_reference(client, mediator, dispute):
    client.force_login(mediator)
    assert _titles(client.get("/disputes/", {"q": dispute.reference.lower()})) == [dispute.title]


def test_search_never_reaches_another_organisations_parties(client, org, other_org, mediator):
    theirs = DisputeFactory(organisation=other_org, title="Theirs")
    CasePartyFactory(dispute=theirs, party=PartyFactory(organisation=other_org, name="Hidden Movement"))
    client.force_login(mediator)
    assert _titles(client.get("/disputes/", {"q": "Hidden"})) == []


def test_sort_by_reference_and_by_risk(client, org, mediator):
    DisputeFactory(organisation=org, title="B", reference="PC-2026-0200", risk=Risk.LOW)
    DisputeFactory(organisation=org, title="A", reference="PC-2026-0100", risk=Risk.CRITICAL)
    DisputeFactory(organisation=org, title="C", reference="PC-2026-0300", risk=Risk.HIGH)
    client.force_login(mediator)
    assert _titles(client.get("/disputes/", {"sort": "reference"})) == ["A", "B", "C"]
    assert _titles(client.get("/disputes/", {"sort": "-risk"})) == ["A", "C", "B"]


def test_the_list_is_paginated(client, org, mediator):
    for _ in range(27):
        DisputeFactory(organisation=org, lead=False)
    client.force_login(mediator)
    first = client.get("/disputes/")
    assert len(first.context["disputes"]) == 25
    assert "Page 1 of 2" in first.content.decode()
    assert len(client.get("/disputes/", {"page": 2}).context["disputes"]) == 2


def test_an_htmx_request_gets_only_the_results_fragment(client, mediator, dispute):
    client.force_login(mediator)
    body = client.get("/disputes/", {"q": "grazing"}, headers={"HX-Request": "true"}).content.decode()
    assert body.lstrip().startswith('<div id="results"')
    assert "<html" not in body
    assert dispute.title in body


def test_the_csv_export_holds_what_the_filters_show(client, org, mediator, dispute, restricted, foreign, analyst):
    DisputeFactory(organisation=org, title="=HYPERLINK(1)", stage=Stage.NEGOTIATION)
    client.force_login(mediator)
    response = client.get("/disputes/export.csv", {"stage": "intake"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    titles = {r[1] for r in rows[1:]}
    assert titles == {dispute.title, restricted.title}
    assert "Riverside Farmers Union" in rows[1][8] or "Riverside Farmers Union" in rows[2][8]
    everything = b"".join(client.get("/disputes/export.csv").streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in everything  # a formula is neutralised
    assert foreign.title not in everything
    client.force_login(analyst)
    as_analyst = b"".join(client.get("/disputes/export.csv").streaming_content).decode("utf-8-sig")
    assert restricted.title not in as_analyst


def test_the_list_page_runs_in_a_fixed_number_of_queries(client, org, mediator, django_assert_num_queries):
    client.force_login(mediator)
    client.get("/disputes/")  # warm the session
    for n in (3, 20):
        while len(client.get("/disputes/").context["disputes"]) < n:
            d = DisputeFactory(organisation=org, lead=mediator)
            CasePartyFactory(dispute=d)
            CasePartyFactory(dispute=d)
        # session, user, membership; count, page, parties, leads; the organisation switcher's memberships,
        # the bell's unread count (the session is saved at most once a minute, not on this request).
        with django_assert_num_queries(9):
            response = client.get("/disputes/", {"q": "Dispute", "sort": "stage"})
        assert len(response.context["disputes"]) == n
