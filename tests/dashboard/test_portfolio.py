import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from apps.disputes.models import Confidentiality, Stage, StageChange
from tests.factories import DisputeFactory

pytestmark = pytest.mark.django_db


def _figure(response, key):
    return next(f for f in response.context["figures"] if f["key"] == key)


def _count(figure, label):
    return next(row[1] for row in figure["table"] if str(row[0]) == label)


@pytest.fixture
def portfolio(org, other_org, mediator):
    DisputeFactory(organisation=org, stage=Stage.NEGOTIATION, risk="high", countries=["KE"],
                   dispute_types=["resources"])
    DisputeFactory(organisation=org, stage=Stage.NEGOTIATION, risk="low", countries=["SD"],
                   opened_on=dt.date(2025, 3, 1))
    DisputeFactory(organisation=org, lead=mediator, stage=Stage.NEGOTIATION,
                   confidentiality=Confidentiality.RESTRICTED, risk="critical")
    DisputeFactory(organisation=other_org, stage=Stage.NEGOTIATION, risk="critical")


def test_restricted_disputes_count_only_for_those_who_may_see_them(client, admin, analyst, portfolio):
    client.force_login(analyst)
    seen = client.get("/portfolio/")
    assert _count(_figure(seen, "stage"), "Negotiation") == 2
    assert _count(_figure(seen, "risk"), "Critical") == 0
    client.force_login(admin)
    seen = client.get("/portfolio/")
    assert _count(_figure(seen, "stage"), "Negotiation") == 3
    assert _count(_figure(seen, "risk"), "Critical") == 1  # never the other organisation's


def test_the_period_and_country_filters(client, analyst, portfolio):
    client.force_login(analyst)
    response = client.get("/portfolio/", {"opened_from": "2026-01-01"})
    assert _count(_figure(response, "stage"), "Negotiation") == 1
    response = client.get("/portfolio/", {"country": "SD"})
    assert _count(_figure(response, "stage"), "Negotiation") == 1
    response = client.get("/portfolio/", {"opened_from": "2026-02-01", "opened_to": "2026-01-01"})
    assert "The end of the period must come after its start." in response.content.decode()


def test_each_figure_is_an_svg_chart_with_a_table_and_a_csv(client, analyst, portfolio):
    client.force_login(analyst)
    body = client.get("/portfolio/").content.decode()
    assert body.count('<svg class="bar-chart"') == 5
    response = client.get("/portfolio/type.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["Disputes by type", "Disputes"]
    assert ["Resources / economic", "1"] in rows
    assert client.get("/portfolio/nonsense.csv").status_code == 404


def test_time_per_stage_comes_from_the_stage_history(client, org, analyst):
    d = DisputeFactory(organisation=org, lead=False)
    start = timezone.now() - dt.timedelta(days=30)
    first = StageChange.objects.create(dispute=d, from_stage="", to_stage=Stage.INTAKE)
    second = StageChange.objects.create(dispute=d, from_stage=Stage.INTAKE, to_stage=Stage.ASSESSMENT)
    StageChange.objects.filter(pk=first.pk).update(created_at=start)
    StageChange.objects.filter(pk=second.pk).update(created_at=start + dt.timedelta(days=10))
    client.force_login(analyst)
    figure = _figure(client.get("/portfolio/"), "time")
    rows = {str(label): (days, n) for label, days, n in figure["table"]}
    assert rows["Intake"] == (10.0, 1)
    assert rows["Assessment"][0] == pytest.approx(20.0, abs=0.1)


def test_mediators_do_not_get_the_portfolio(client, mediator):
    client.force_login(mediator)
    assert client.get("/portfolio/").status_code == 403
    assert client.get("/portfolio/stage.csv").status_code == 403


def test_the_portfolio_runs_in_a_fixed_number_of_queries(client, org, analyst, django_assert_num_queries):
    client.force_login(analyst)
    client.get("/portfolio/")
    for n in (2, 10):
        for _ in range(n):
            DisputeFactory(organisation=org, countries=["KE", "UG"])
        # request 3; stage, type, country, risk, time; switcher; bell
        with django_assert_num_queries(10):
            client.get("/portfolio/")
