"""Journeys through the web app in a real browser, with an accessibility check and a screenshot per page."""

import re

import pytest
from django.utils import translation

from apps.accounts.models import Membership
from apps.disputes.models import Confidentiality, Stage
from tests.factories import (
    CasePartyFactory,
    DisputeFactory,
    MembershipFactory,
    NegotiationIssueFactory,
    PartyFactory,
    RepresentativeFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(org, other_org):
    mediator = MembershipFactory(organisation=org, role=Membership.Role.MEDIATOR, user__name="Mina Mediator",
                                 user__email="mina@alpha.example").user
    analyst = MembershipFactory(organisation=org, role=Membership.Role.ANALYST, user__name="Ana Analyst").user
    admin = MembershipFactory(organisation=org, role=Membership.Role.ADMIN, user__name="Ada Admin").user
    stranger = MembershipFactory(organisation=other_org, role=Membership.Role.ADMIN, user__name="Sam Stranger").user
    farmers = PartyFactory(organisation=org, name="Riverside Farmers Union", aliases=["RFU"], country="KE")
    herders = PartyFactory(organisation=org, name="Hill Herders Council", country="ET")
    RepresentativeFactory(party=farmers, name="Amina Odhiambo")
    standard = DisputeFactory(organisation=org, lead=mediator, title="Northern grazing corridor",
                              summary="Herders and farmers disagree over seasonal water points.", risk="high")
    CasePartyFactory(dispute=standard, party=farmers)
    CasePartyFactory(dispute=standard, party=herders)
    NegotiationIssueFactory(dispute=standard, title="Access to water points")
    NegotiationIssueFactory(dispute=standard, title="Compensation for lost cattle")
    restricted = DisputeFactory(organisation=org, lead=mediator, title="Back channel with the armed group",
                                confidentiality=Confidentiality.RESTRICTED, stage=Stage.PRE_NEGOTIATION)
    DisputeFactory(organisation=org, title="Coastal fishing rights", stage=Stage.NEGOTIATION, risk="low",
                   countries=["TZ"], dispute_types=["resources"])
    return {"mediator": mediator, "analyst": analyst, "admin": admin, "stranger": stranger,
            "standard": standard, "restricted": restricted, "farmers": farmers}


def test_a_mediator_opens_the_dashboard_and_a_dispute_and_changes_its_stage(
    page, live_server, login, world, screenshot, check_accessibility
):
    login(world["mediator"])
    assert page.locator("h1").inner_text() == "Dashboard"
    assert page.locator("nav.main-nav a[aria-current=page]").inner_text() == "Dashboard"
    check_accessibility("dashboard")
    screenshot("dashboard")

    page.get_by_role("link", name="Disputes", exact=True).click()
    assert page.locator("nav.main-nav a[aria-current=page]").inner_text() == "Disputes"
    check_accessibility("disputes list")
    screenshot("disputes-list")
    page.get_by_label("Search").fill("RFU")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"q=RFU"))
    rows = page.locator("table.dispute-table tbody tr")
    assert rows.count() == 1
    assert "Northern grazing corridor" in rows.first.inner_text()

    rows.first.get_by_role("link").first.click()
    page.wait_for_url(re.compile(rf"/disputes/{world['standard'].pk}/$"))
    assert page.locator("h1").inner_text() == "Northern grazing corridor"
    check_accessibility("case workspace")
    screenshot("case-workspace")

    page.locator("#stage-reason").fill("Both parties accepted an assessment mission")
    page.get_by_role("button", name="Assessment", exact=True).click()
    page.get_by_text("Stage changed to Assessment.").wait_for()
    assert page.locator("#dispute-header .badge.stage").inner_text().endswith("Assessment")
    page.reload()
    assert page.locator("#dispute-header .badge.stage").inner_text().endswith("Assessment")
    world["standard"].refresh_from_db()
    assert world["standard"].stage == Stage.ASSESSMENT
    assert page.csp_errors == []


def test_pages_pass_the_accessibility_check(page, live_server, login, world, screenshot, check_accessibility):
    login(world["admin"])
    for name, path in [
        ("workspace-admin", f"/disputes/{world['standard'].pk}/"),
        ("dispute-form", "/disputes/new/"),
        ("parties-list", "/parties/"),
        ("party-detail", f"/parties/{world['farmers'].pk}/"),
        ("portfolio", "/portfolio/"),
        ("organisation-settings", "/settings/"),
        ("calendar", "/calendar/"),
    ]:
        page.goto(f"{live_server.url}{path}")
        check_accessibility(name)
        screenshot(name)
    # A tablet in portrait: nothing may overflow the viewport sideways.
    page.set_viewport_size({"width": 768, "height": 1024})
    for name, path in [("tablet-workspace", f"/disputes/{world['standard'].pk}/"), ("tablet-disputes", "/disputes/")]:
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 768
        screenshot(name)
    assert page.csp_errors == []


def test_an_analyst_reads_a_standard_dispute_and_never_sees_a_restricted_one(page, live_server, login, world):
    login(world["analyst"])
    page.goto(f"{live_server.url}/disputes/")
    body = page.locator("main").inner_text()
    assert "Northern grazing corridor" in body
    assert "Back channel" not in body
    page.goto(f"{live_server.url}/disputes/{world['standard'].pk}/")
    assert page.get_by_text("Read only").is_visible()
    assert page.locator("button[name=to_stage]").count() == 0
    assert page.locator("main form").count() == 0
    response = page.goto(f"{live_server.url}/disputes/{world['restricted'].pk}/")
    assert response.status == 404
    assert "Back channel" not in page.content()


def test_a_user_of_another_organisation_gets_a_404_for_the_dispute(page, live_server, login, world):
    login(world["stranger"])
    response = page.goto(f"{live_server.url}/disputes/{world['standard'].pk}/")
    assert response.status == 404
    assert "Northern grazing corridor" not in page.content()
    page.goto(f"{live_server.url}/disputes/")
    assert "Northern grazing corridor" not in page.locator("main").inner_text()


def test_switching_to_arabic_flips_the_layout(page, live_server, login, world, screenshot, check_accessibility):
    login(world["mediator"])
    assert page.locator("html").get_attribute("dir") == "ltr"
    page.select_option("#language-select", "ar")
    page.wait_for_function("document.documentElement.dir === 'rtl'")
    assert page.locator("html").get_attribute("lang") == "ar"
    with translation.override("ar"):
        assert page.locator("h1").inner_text() == translation.gettext("Dashboard")
    check_accessibility("dashboard in Arabic")
    screenshot("dashboard-ar")
    page.goto(f"{live_server.url}/disputes/{world['standard'].pk}/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    screenshot("case-workspace-ar")
