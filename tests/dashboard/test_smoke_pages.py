import pytest

from apps.accounts.models import Membership
from tests.factories import CasePartyFactory, DisputeFactory, MembershipFactory, NegotiationIssueFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["admin", "mediator", "analyst"])
def test_every_page_renders_for_each_role(client, org, role):
    m = MembershipFactory(organisation=org, role=role)
    d = DisputeFactory(organisation=org, lead=m.user if role != "analyst" else None)
    CasePartyFactory(dispute=d)
    NegotiationIssueFactory(dispute=d)
    client.force_login(m.user)
    for url in ["/", "/disputes/", f"/disputes/{d.pk}/", "/parties/", "/calendar/", "/disputes/export.csv"]:
        r = client.get(url)
        assert r.status_code == 200, (url, r.status_code)
    expected = 200 if role in (Membership.Role.ADMIN, Membership.Role.ANALYST) else 403
    assert client.get("/portfolio/").status_code == expected
    assert client.get("/settings/").status_code == (200 if role == "admin" else 403)
