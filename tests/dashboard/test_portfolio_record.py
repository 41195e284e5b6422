import datetime as dt

import pytest
from django.utils import timezone

from apps.accounts.models import Membership
from apps.disputes.models import Confidentiality
from tests.factories import (
    AgreementFactory,
    DisputeFactory,
    ImplementationAssessmentFactory,
    MediationSessionFactory,
    MembershipFactory,
    ProvisionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio(org):
    admin = MembershipFactory(organisation=org, role=Membership.Role.ADMIN).user
    analyst = MembershipFactory(organisation=org, role=Membership.Role.ANALYST).user
    kenya = DisputeFactory(organisation=org, countries=["KE"])
    colombia = DisputeFactory(organisation=org, countries=["CO"])
    secret = DisputeFactory(organisation=org, countries=["KE"], confidentiality=Confidentiality.RESTRICTED)
    now = timezone.now() - dt.timedelta(days=1)
    for d in (kenya, colombia, secret):
        MediationSessionFactory(dispute=d, status="held", starts_at=now, ends_at=now + dt.timedelta(hours=1))
        a = AgreementFactory(dispute=d, signed=True, type="ceasefire")
        p = ProvisionFactory(agreement=a, category="elections")
        ImplementationAssessmentFactory(provision=p, score=2)
    return {"admin": admin, "analyst": analyst}


def test_analysts_see_the_figures_without_restricted_disputes(client, portfolio):
    client.force_login(portfolio["analyst"])
    body = client.get("/portfolio/record/").content.decode()
    assert "Sessions held per month" in body and "Agreements reached" in body and "Elections" in body
    month = timezone.localdate().strftime("%Y-%m")
    assert f'<th scope="row">{month}</th><td class="num">2</td>' in body  # the restricted one is not counted
    csv = b"".join(client.get("/portfolio/record/sessions.csv").streaming_content).decode()
    assert f"{month},2" in csv
    client.force_login(portfolio["admin"])
    csv = b"".join(client.get("/portfolio/record/sessions.csv").streaming_content).decode()
    assert f"{month},3" in csv


def test_the_region_filter_narrows_every_figure(client, portfolio):
    client.force_login(portfolio["admin"])
    body = client.get("/portfolio/record/", {"region": "americas"}).content.decode()
    month = timezone.localdate().strftime("%Y-%m")
    assert f'<th scope="row">{month}</th><td class="num">1</td>' in body
    csv = b"".join(client.get("/portfolio/record/implementation.csv", {"region": "africa"})
                   .streaming_content).decode()
    assert "Elections,0,0,2,0,0,2.0" in csv


def test_mediators_may_not_open_it(client, org):
    client.force_login(MembershipFactory(organisation=org, role=Membership.Role.MEDIATOR).user)
    assert client.get("/portfolio/record/").status_code == 403
    assert client.get("/portfolio/record/sessions.csv").status_code == 403


@pytest.mark.parametrize("extra", [0, 5])
def test_the_page_runs_a_fixed_number_of_queries(client, org, portfolio, extra, django_assert_num_queries):
    for _ in range(extra):
        d = DisputeFactory(organisation=org, countries=["FR"])
        ProvisionFactory(agreement=AgreementFactory(dispute=d, signed=True), category="ddr")
    client.force_login(portfolio["admin"])
    client.get("/portfolio/record/")
    with django_assert_num_queries(8):
        assert client.get("/portfolio/record/", {"region": "europe"}).status_code == 200
