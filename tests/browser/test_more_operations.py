"""The new controls in a real browser: accessible, CSP-clean, and working with a click."""

import datetime as dt

import pytest

from apps.accounts.models import Membership
from apps.agreements.models import AgreementLink
from apps.disputes.models import Confidentiality
from apps.sessions.models import DisclosureConsent, SessionKind, Visibility
from tests.factories import (
    AgreementFactory,
    CasePartyFactory,
    DisputeFactory,
    MediationSessionFactory,
    MembershipFactory,
    PartyFactory,
    ProvisionFactory,
    RepresentativeFactory,
    SessionNoteFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(org):
    mediator = MembershipFactory(organisation=org, role=Membership.Role.MEDIATOR, user__name="Mina Mediator").user
    admin = MembershipFactory(organisation=org, role=Membership.Role.ADMIN, user__name="Ada Admin").user
    analyst = MembershipFactory(organisation=org, role=Membership.Role.ANALYST, user__name="Ana Analyst").user
    dispute = DisputeFactory(organisation=org, lead=mediator, title="Northern grazing corridor")
    farmers = CasePartyFactory(dispute=dispute, party=PartyFactory(organisation=org, name="Riverside Farmers Union"))
    herders = CasePartyFactory(dispute=dispute, party=PartyFactory(organisation=org, name="Hill Herders Council"))
    RepresentativeFactory(party=farmers.party, name="Amina Odhiambo")
    return {"mediator": mediator, "admin": admin, "analyst": analyst, "dispute": dispute, "farmers": farmers,
            "herders": herders}


def test_an_admin_changes_a_members_role_on_the_settings_page(page, live_server, login, world, check_accessibility,
                                                              screenshot):
    login(world["admin"])
    page.goto(f"{live_server.url}/settings/")
    check_accessibility("members")
    analyst_m = Membership.objects.get(user=world["analyst"])
    row = page.locator("tr", has_text=world["analyst"].email)
    row.get_by_label("Role").select_option("case_officer")
    row.get_by_role("button", name="Change the role").click()
    page.wait_for_selector("text=role is now Case officer")
    analyst_m.refresh_from_db()
    assert analyst_m.role == Membership.Role.CASE_OFFICER
    screenshot("organisation-members")
    assert page.csp_errors == []


def test_the_lead_restricts_a_dispute_after_confirming(page, live_server, login, world, check_accessibility):
    login(world["mediator"])
    page.goto(f"{live_server.url}/disputes/{world['dispute'].pk}/edit/")
    check_accessibility("dispute edit with confidentiality")
    assert page.get_by_text("new shares are refused").is_visible()
    messages = []
    page.on("dialog", lambda dialog: (messages.append(dialog.message), dialog.accept()))
    page.locator("#confidentiality").get_by_label("Confidentiality").select_option("restricted")
    page.get_by_role("button", name="Change the confidentiality").click()
    page.wait_for_selector("text=The dispute is now restricted.")
    assert messages and "who in the organisation can see" in messages[0]
    world["dispute"].refresh_from_db()
    assert world["dispute"].confidentiality == Confidentiality.RESTRICTED
    assert page.csp_errors == []


def test_the_lead_links_agreements_and_sets_a_deadline_in_place(page, live_server, login, world, check_accessibility):
    accord = AgreementFactory(dispute=world["dispute"], title="Water points accord", signed=True)
    framework = AgreementFactory(dispute=world["dispute"], title="Framework accord", signed=True)
    provision = ProvisionFactory(agreement=accord, label="1.", text="Open the wells")
    login(world["mediator"])
    page.goto(f"{live_server.url}/agreements/{accord.pk}/")
    page.get_by_text("Link to another agreement").click()
    page.get_by_label("Other agreement").select_option(str(framework.pk))
    page.get_by_role("button", name="Record the link").click()
    page.wait_for_selector("#links >> text=Link recorded.")
    assert AgreementLink.objects.filter(from_agreement=accord, to_agreement=framework).exists()
    page.get_by_text("Set or clear a deadline").click()
    page.locator("#deadline-provision").select_option(str(provision.pk))
    page.locator("#deadline-deadline").fill("2027-03-31")
    page.get_by_role("button", name="Save the deadline").click()
    page.wait_for_selector("#implementation >> text=Deadline saved.")
    provision.refresh_from_db()
    assert provision.deadline == dt.date(2027, 3, 31)
    check_accessibility("agreement with links")
    assert page.csp_errors == []


def test_the_lead_records_a_consent_on_a_caucus_note(page, live_server, login, world, check_accessibility):
    caucus = MediationSessionFactory(dispute=world["dispute"], kind=SessionKind.CAUCUS, title="Caucus with farmers",
                                     parties=[world["farmers"]])
    note = SessionNoteFactory(session=caucus, text="They would share the well", visibility=Visibility.TEAM,
                              source_party=world["farmers"])
    login(world["mediator"])
    page.goto(f"{live_server.url}/sessions/{caucus.pk}/")
    page.get_by_text("consent to pass this on").click()
    form = page.locator(f"#note-{note.pk} form", has_text="Record the consent")
    form.get_by_label("Given by (representative)").select_option(label="Amina Odhiambo")
    form.get_by_label("Hill Herders Council").check()
    form.get_by_role("button", name="Record the consent").click()
    page.wait_for_selector("#notes >> text=Consent recorded.")
    consent = DisclosureConsent.objects.get(note=note)
    assert list(consent.consent_parties.values_list("case_party_id", flat=True)) == [world["herders"].pk]
    check_accessibility("session with consent")
    assert page.csp_errors == []
