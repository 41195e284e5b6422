"""Unsaved note text kept in the tab (sessionStorage) belongs to the signed-in person and this
sign-in: it survives a reload, never a sign-out or another account in the same tab (issue #14, 10)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from apps.accounts.models import Membership
from apps.sessions.models import SessionKind
from tests.factories import CaseTeamMemberFactory, DisputeFactory, MediationSessionFactory, MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = "UNSAVED-DRAFT-4471: the herders might give up the northern well"
RESTORED = "Your unsaved text was restored"


@pytest.fixture
def team(org):
    first = MembershipFactory(organisation=org, role=Membership.Role.MEDIATOR, user__name="Mina First").user
    second = MembershipFactory(organisation=org, role=Membership.Role.MEDIATOR, user__name="Sami Second").user
    dispute = DisputeFactory(organisation=org, lead=first, title="Grazing corridor")
    CaseTeamMemberFactory(dispute=dispute, user=second)
    session = MediationSessionFactory(dispute=dispute, kind=SessionKind.CAUCUS, title="Caucus with the herders")
    return {"first": first, "second": second, "session": session}


def _type_a_draft(page, live_server, session):
    page.goto(f"{live_server.url}/sessions/{session.pk}/")
    page.locator("#note-text").fill(WORDS)
    assert WORDS in page.evaluate("JSON.stringify(Object.assign({}, sessionStorage))")


def _assert_no_draft(page, live_server, session):
    page.goto(f"{live_server.url}/sessions/{session.pk}/")
    page.locator("#note-text").wait_for()
    assert page.locator("#note-text").input_value() == ""
    assert page.locator(".draft-restored").count() == 0
    assert WORDS not in page.evaluate("JSON.stringify(Object.assign({}, sessionStorage))")


def test_the_same_person_gets_the_draft_back_after_a_reload(page, live_server, login, team):
    login(team["first"])
    _type_a_draft(page, live_server, team["session"])
    page.reload()
    assert page.locator("#note-text").input_value() == WORDS
    assert page.get_by_text(RESTORED).is_visible()


def test_a_draft_does_not_survive_signing_out_nor_reach_the_next_person(page, live_server, login, team):
    login(team["first"])
    _type_a_draft(page, live_server, team["session"])
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server.url}/accounts/login/**")
    assert WORDS not in page.evaluate("JSON.stringify(Object.assign({}, sessionStorage))")
    login(team["second"])
    _assert_no_draft(page, live_server, team["session"])
    # Nor does it come back to its author after a new sign-in.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server.url}/accounts/login/**")
    login(team["first"])
    _assert_no_draft(page, live_server, team["session"])


def test_another_account_in_the_same_tab_without_a_sign_out_gets_nothing(page, live_server, login, team):
    """The first session simply ends (or another person's cookie arrives) and the second person opens
    the page directly: the draft was kept under the first sign-in's scope, so it is dropped."""
    login(team["first"])
    _type_a_draft(page, live_server, team["session"])
    other = Client()
    other.force_login(team["second"])
    page.context.clear_cookies()
    page.context.add_cookies([{
        "name": settings.SESSION_COOKIE_NAME, "value": other.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }])
    _assert_no_draft(page, live_server, team["session"])
