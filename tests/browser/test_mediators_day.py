"""Issue #16, "The mediator's day, right", in a real browser: the shuttle board agrees with itself,
times name their zone, the profile page is one click from every page, Swagger renders every
operation, the bell is a drawn icon, and the wide tables fit a tablet and a laptop.

The "before" screenshot of the board (var/screenshots/shuttle_board_before.png) was taken with
the same world on the branch's starting commit; ``shuttle_board_after`` is taken here."""

import datetime as dt

import pytest
import yaml

from apps.accounts.models import Membership
from tests.dashboard.record_world import build
from tests.dashboard.shuttle_world import COUNTER, NO_CONSENT_SECRET, TOLD_SECRET, build_shuttle
from tests.factories import (
    AgreementFactory,
    AgreementVersionFactory,
    ImplementationAssessmentFactory,
    MediationSessionFactory,
    MembershipFactory,
    ProvisionFactory,
    SignatoryFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def w(org):
    world = build(org)
    world.mediator.time_zone = "Europe/Berlin"
    world.mediator.save()
    return world


@pytest.fixture
def sw(w):
    return build_shuttle(w)


def test_the_shuttle_board_agrees_with_itself(page, live_server, login, w, sw, screenshot, check_accessibility):
    login(w.mediator)
    page.goto(f"{live_server.url}/shuttle/{sw.round.pk}/")
    header = page.locator(".whose-move").inner_text()
    assert "Next move: Hill Herders Council" in header and "Riverside Farmers Union" not in header
    herders = page.locator(".shuttle-column").nth(1)
    assert COUNTER in herders.locator(".carry-list").inner_text()
    assert "nothing new" not in herders.inner_text()
    assert TOLD_SECRET in herders.locator(".told-ledger").inner_text()
    farmers = page.locator(".shuttle-column").nth(0)
    told = farmers.locator("li.note-team", has_text=TOLD_SECRET)
    assert "Told to Hill Herders Council on" in told.inner_text()
    assert told.get_by_role("button").count() == 0
    untold = farmers.locator("li.note-team", has_text=NO_CONSENT_SECRET)
    assert untold.get_by_role("button").count() == 0
    assert untold.get_by_role("link", name="Record the consent").count() == 1
    check_accessibility("shuttle board")
    screenshot("shuttle_board_after")
    # Carrying the counter-proposal moves the board on, in place.
    herders.locator(".carry-proposal").get_by_role("button", name="Record: told Hill Herders Council").click()
    page.get_by_text("Recorded: Hill Herders Council was told.").wait_for()
    assert COUNTER in page.locator(".shuttle-column").nth(1).locator(".told-ledger").inner_text()
    assert page.csp_errors == []


def test_the_profile_is_one_click_from_a_page_and_changes_the_zone_times_are_shown_in(
    page, live_server, login, w, sw, check_accessibility
):
    login(w.mediator)
    page.goto(f"{live_server.url}/shuttle/{sw.round.pk}/")
    page.locator(".site-header").get_by_role("link", name="Your profile").click()
    page.wait_for_url(f"{live_server.url}/accounts/profile/")
    assert page.get_by_role("link", name="Security settings").get_attribute("href") == "/accounts/security/"
    check_accessibility("profile")
    page.get_by_label("Your time zone").fill("Asia/Kathmandu")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Your profile was saved.").wait_for()
    assert "(Asia/Kathmandu)" in page.locator("main").inner_text()
    page.goto(f"{live_server.url}/shuttle/{sw.round.pk}/")
    assert "(Asia/Kathmandu)" in page.locator(".told-ledger").first.inner_text() + page.content()
    assert page.csp_errors == []


def test_the_bell_is_a_drawn_icon_with_a_name(page, live_server, login, w):
    login(w.mediator)
    bell = page.locator("a.bell")
    assert bell.locator("svg").count() == 1
    assert "🔔" not in bell.inner_html()
    assert "0 unread notifications" in bell.inner_text() or "unread notification" in bell.text_content()
    box = bell.locator("svg").bounding_box()
    assert box["width"] >= 16 and box["height"] >= 16


def _operations(schema: dict) -> int:
    """Operations Swagger UI draws as blocks: every path operation and every webhook (OpenAPI 3.1)."""
    methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    return sum(1 for section in ("paths", "webhooks") for item in schema.get(section, {}).values()
               for m in item if m in methods)


def test_swagger_ui_renders_every_operation_of_the_schema(page, live_server, login, org):
    admin = MembershipFactory(organisation=org, role=Membership.Role.ADMIN).user
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(admin)
    expected = _operations(yaml.safe_load(page.request.get(f"{live_server.url}/api/schema/").text()))
    assert expected > 100
    page.goto(f"{live_server.url}/api/docs/")
    page.locator(".opblock").first.wait_for(timeout=60_000)  # the schema is built per request: slow on a busy machine
    page.wait_for_function(f"document.querySelectorAll('.opblock').length >= {expected}", timeout=30_000)
    assert page.locator(".opblock").count() == expected
    # And the last operation can be found without scrolling (the browser's search sees it).
    assert page.locator(".opblock-summary-path").last.text_content()
    assert errors == [] and page.csp_errors == []


@pytest.fixture
def agreement(w):
    agreement = AgreementFactory(dispute=w.dispute, title="Water points accord with a long title for the page",
                                 signed_on=dt.date(2026, 3, 1))
    AgreementVersionFactory(agreement=agreement, number=1, text="Article 1\n" + "Two wells are shared. " * 40)
    SignatoryFactory(agreement=agreement, party=w.farmers.party)
    SignatoryFactory(agreement=agreement, party=w.herders.party)
    for i in range(4):
        provision = ProvisionFactory(agreement=agreement, label=f"{i + 1}.", category="natural_resources",
                                     text=f"Open well number {i + 1} to both communities at agreed hours")
        for q in range(8):
            ImplementationAssessmentFactory(provision=provision, score=(i + q) % 4,
                                            assessed_on=dt.date(2024, 1, 15) + dt.timedelta(days=91 * q))
    return agreement


def test_wide_tables_fit_a_laptop_and_a_tablet(page, live_server, login, w, sw, agreement, screenshot,
                                               check_accessibility):
    for i in range(3):
        start = dt.datetime(2027, 1, 10 + i, 4, 15, tzinfo=dt.UTC)
        MediationSessionFactory(dispute=w.dispute, title=f"Kathmandu talks {i}", time_zone="Asia/Kathmandu",
                                starts_at=start, ends_at=start + dt.timedelta(hours=1), parties=[w.farmers, w.herders])
    login(w.mediator)
    # 1440: the matrix shows "Current" without scrolling.
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{live_server.url}/agreements/{agreement.pk}/")
    wrap = page.locator(".table-wrap", has=page.locator("table.matrix")).bounding_box()
    current = page.locator("table.matrix thead th.matrix-current").bounding_box()
    assert current["x"] + current["width"] <= wrap["x"] + wrap["width"]
    check_accessibility("agreement at 1440")
    screenshot("agreement_1440")
    # 768: the agreement page has no sideways scroll, the matrix keeps its first column and "Current".
    page.set_viewport_size({"width": 768, "height": 1024})
    page.goto(f"{live_server.url}/agreements/{agreement.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    wrap = page.locator(".table-wrap", has=page.locator("table.matrix")).bounding_box()
    current = page.locator("table.matrix thead th.matrix-current").bounding_box()
    assert current["x"] + current["width"] <= wrap["x"] + wrap["width"]
    screenshot("agreement_768")
    # 768: the sessions table stacks: every cell, Parties and Status included, within the page.
    page.goto(f"{live_server.url}/disputes/{w.dispute.pk}/#sessions")
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    section = page.locator("#sessions")
    for label in ("Parties", "Status"):
        cell = section.locator(f'td[data-label="{label}"]').first
        box = cell.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 768, label
        assert cell.is_visible()
    assert "at the venue" in section.locator('td[data-label="When"]').first.inner_text()
    check_accessibility("workspace at 768")
    screenshot("workspace_768")
    page.goto(f"{live_server.url}/shuttle/{sw.round.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    screenshot("shuttle_board_768")
    assert page.csp_errors == []
