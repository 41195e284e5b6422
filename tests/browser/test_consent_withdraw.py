"""In a real browser: withdrawing a consent asks first (a dismissed confirm sends nothing), then updates in place."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.accounts.models import Membership
from apps.sessions.models import DisclosureConsent, SessionKind, Visibility
from tests.factories import (
    CasePartyFactory,
    DisputeFactory,
    MediationSessionFactory,
    MembershipFactory,
    PartyFactory,
    SessionNoteFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_lead_withdraws_a_consent_after_confirming(page, live_server, login, org, check_accessibility):
    mediator = MembershipFactory(organisation=org, role=Membership.Role.MEDIATOR, user__name="Mina Mediator").user
    dispute = DisputeFactory(organisation=org, lead=mediator, title="Northern grazing corridor")
    farmers = CasePartyFactory(dispute=dispute, party=PartyFactory(organisation=org, name="Riverside Farmers Union"))
    caucus = MediationSessionFactory(dispute=dispute, kind=SessionKind.CAUCUS, title="Caucus with farmers",
                                     parties=[farmers])
    note = SessionNoteFactory(session=caucus, text="They would share the well", visibility=Visibility.TEAM,
                              source_party=farmers)
    consent = DisclosureConsent.objects.create(dispute=dispute, note=note, source_party=farmers,
                                               given_by_name="Amina Odhiambo", method="in_session",
                                               given_at=timezone.now() - dt.timedelta(days=1))
    login(mediator)
    page.goto(f"{live_server.url}/sessions/{caucus.pk}/")
    button = page.locator(f"#consent-{consent.pk}").get_by_role("button", name="Withdraw consent")
    messages = []
    page.once("dialog", lambda dialog: (messages.append(dialog.message), dialog.dismiss()))
    button.click()
    assert messages and "Nothing more may be passed on under it" in messages[0]
    consent.refresh_from_db()
    assert consent.withdrawn_at is None  # dismissed: nothing sent
    page.once("dialog", lambda dialog: dialog.accept())
    button.click()
    page.wait_for_selector("#notes >> text=Consent withdrawn: nothing more may be passed on under it.")
    assert "by Mina Mediator" in page.locator(f"#consent-{consent.pk}").inner_text()
    consent.refresh_from_db()
    assert consent.withdrawn_by == mediator
    check_accessibility("session with a withdrawn consent")
    assert page.csp_errors == []
