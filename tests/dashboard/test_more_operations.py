"""Pages for service operations that had none: agreement links, provision deadlines, reopening an issue,
a dispute's confidentiality, organisation members, and a party's consent to pass on a team-only note.

Each: the control shows only to those the service allows, the POST works and the change is visible,
a caller not allowed is refused and nothing changes, bad input is a form error that writes nothing,
and another organisation's object is a 404.
"""

import datetime as dt

import pytest
from django.utils import timezone

from apps.accounts.models import Membership
from apps.agreements.models import AgreementLink, AgreementStatus, Provision
from apps.common.models import AuditEvent
from apps.disputes.models import CaseShare, Confidentiality, NegotiationIssue, Stage
from apps.sessions.models import DisclosureConsent, Visibility
from tests.dashboard.record_world import SECRET, build
from tests.factories import (
    AgreementFactory,
    AgreementVersionFactory,
    CaseShareFactory,
    CaseTeamMemberFactory,
    DisputeFactory,
    MediationSessionFactory,
    MembershipFactory,
    NegotiationIssueFactory,
    OrganisationFactory,
    ProvisionFactory,
    RepresentativeFactory,
    SessionNoteFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def w(org):
    return build(org)


@pytest.fixture
def admin(org):
    return MembershipFactory(organisation=org, role=Membership.Role.ADMIN, user__name="Ada Admin").user


@pytest.fixture
def foreign(other_org):
    return DisputeFactory(organisation=other_org, title="Beta's harbour dispute")


# --- 1. agreement links ---------------------------------------------------------------------------------


@pytest.fixture
def pair(w):
    accord = AgreementFactory(dispute=w.dispute, title="Implementation protocol")
    framework = AgreementFactory(dispute=w.dispute, title="Framework accord", signed=True)
    return accord, framework


def agreement_url(a, suffix=""):
    return f"/agreements/{a.pk}/{suffix}"


def test_the_agreement_page_shows_links_both_ways_with_their_kind(client, w, pair):
    accord, framework = pair
    AgreementLink.objects.create(from_agreement=accord, to_agreement=framework, kind="implements")
    client.force_login(w.mediator)
    body = client.get(agreement_url(accord)).content.decode()
    assert "This agreement implements" in body and "Framework accord" in body
    body = client.get(agreement_url(framework)).content.decode()
    assert "Implementation protocol" in body and "implements this agreement" in body


def test_the_lead_links_two_agreements_and_the_link_shows(client, w, pair):
    accord, framework = pair
    client.force_login(w.mediator)
    assert "Link to another agreement" in client.get(agreement_url(accord)).content.decode()
    r = client.post(agreement_url(accord, "link/"), {"kind": "implements", "target": framework.pk}, follow=True)
    body = r.content.decode()
    assert "Link recorded." in body and "This agreement implements" in body
    assert AgreementLink.objects.filter(from_agreement=accord, to_agreement=framework, kind="implements").exists()


def test_a_reader_sees_no_link_controls_and_cannot_add_or_remove(client, w, pair):
    accord, framework = pair
    link = AgreementLink.objects.create(from_agreement=accord, to_agreement=framework, kind="renews")
    client.force_login(w.analyst)
    body = client.get(agreement_url(accord)).content.decode()
    assert "Framework accord" in body
    assert "Link to another agreement" not in body and "Remove the link" not in body
    r = client.post(agreement_url(accord, "link/"), {"kind": "implements", "target": framework.pk})
    assert r.status_code == 403
    r = client.post(agreement_url(accord, "unlink/"), {"link": link.pk})
    assert r.status_code == 403
    assert list(AgreementLink.objects.values_list("kind", flat=True)) == ["renews"]


def test_a_bad_or_repeated_link_is_a_form_error_and_writes_nothing(client, w, pair):
    accord, framework = pair
    AgreementLink.objects.create(from_agreement=accord, to_agreement=framework, kind="implements")
    client.force_login(w.mediator)
    r = client.post(agreement_url(accord, "link/"), {"kind": "implements", "target": framework.pk}, **HX)
    assert "This link is already recorded." in r.content.decode()
    r = client.post(agreement_url(accord, "link/"), {"kind": "implements", "target": accord.pk}, **HX)
    assert "Select a valid choice" in r.content.decode()  # itself is not offered
    r = client.post(agreement_url(accord, "link/"), {"kind": "replaces", "target": framework.pk}, **HX)
    assert "Select a valid choice" in r.content.decode()
    assert AgreementLink.objects.count() == 1


def test_another_organisations_agreement_is_out_of_reach(client, w, pair, foreign):
    accord, _framework = pair
    theirs = AgreementFactory(dispute=foreign, title="Beta harbour accord")
    their_link = AgreementLink.objects.create(
        from_agreement=theirs, to_agreement=AgreementFactory(dispute=foreign), kind="renews")
    client.force_login(w.mediator)
    assert "Beta harbour accord" not in client.get(agreement_url(accord)).content.decode()
    assert client.post(agreement_url(theirs, "link/"), {"kind": "renews", "target": accord.pk}).status_code == 404
    r = client.post(agreement_url(accord, "link/"), {"kind": "renews", "target": theirs.pk}, **HX)
    assert "Select a valid choice" in r.content.decode()
    assert client.post(agreement_url(accord, "unlink/"), {"link": their_link.pk}).status_code == 404
    assert AgreementLink.objects.count() == 1


def test_the_lead_removes_a_link_but_not_the_one_recording_a_supersession(client, w, pair):
    accord, framework = pair
    renews = AgreementLink.objects.create(from_agreement=accord, to_agreement=framework, kind="renews")
    old = AgreementFactory(dispute=w.dispute, title="Old ceasefire", status=AgreementStatus.SUPERSEDED,
                           signed_on=dt.date(2025, 1, 1))
    kept = AgreementLink.objects.create(from_agreement=framework, to_agreement=old, kind="supersedes")
    client.force_login(w.mediator)
    r = client.post(agreement_url(framework, "unlink/"), {"link": renews.pk}, follow=True)  # the incoming one
    assert "Link removed." in r.content.decode()
    assert not AgreementLink.objects.filter(pk=renews.pk).exists()
    r = client.post(agreement_url(framework, "unlink/"), {"link": kept.pk}, **HX)
    assert "it stays" in r.content.decode()
    assert AgreementLink.objects.filter(pk=kept.pk).exists()


def test_the_agreement_page_with_many_links_keeps_its_query_count(client, w, pair, django_assert_max_num_queries):
    accord, _framework = pair
    for i in range(8):
        other = AgreementFactory(dispute=w.dispute, title=f"Linked accord {i}")
        AgreementLink.objects.create(from_agreement=accord, to_agreement=other, kind="renews")
        AgreementLink.objects.create(from_agreement=other, to_agreement=accord, kind="implements")
    client.force_login(w.mediator)
    client.get(agreement_url(accord))
    with django_assert_max_num_queries(21):
        body = client.get(agreement_url(accord)).content.decode()
    assert body.count("Remove the link") == 16


# --- 3. provision deadlines -----------------------------------------------------------------------------


@pytest.fixture
def signed(w):
    a = AgreementFactory(dispute=w.dispute, title="Signed accord", signed=True)
    AgreementVersionFactory(agreement=a, number=1, text="Article 1")
    ProvisionFactory(agreement=a, label="1.", text="Open the wells", category="natural_resources")
    return a


def test_the_lead_sets_and_clears_a_provision_deadline(client, w, signed):
    provision = signed.provisions.get()
    client.force_login(w.mediator)
    assert "Set or clear a deadline" in client.get(agreement_url(signed)).content.decode()
    r = client.post(agreement_url(signed, "deadline/"), {"provision": provision.pk, "deadline": "2027-03-31"},
                    follow=True)
    assert "Deadline saved." in r.content.decode()
    provision.refresh_from_db()
    assert provision.deadline == dt.date(2027, 3, 31)
    assert AuditEvent.objects.filter(action="agreements.provision.updated", target_id=str(provision.pk)).exists()
    client.post(agreement_url(signed, "deadline/"), {"provision": provision.pk, "deadline": ""})
    provision.refresh_from_db()
    assert provision.deadline is None


def test_a_reader_cannot_set_a_deadline(client, w, signed):
    provision = signed.provisions.get()
    client.force_login(w.analyst)
    assert "Set or clear a deadline" not in client.get(agreement_url(signed)).content.decode()
    r = client.post(agreement_url(signed, "deadline/"), {"provision": provision.pk, "deadline": "2027-03-31"})
    assert r.status_code == 403
    provision.refresh_from_db()
    assert provision.deadline is None


def test_a_deadline_before_signing_or_not_a_date_is_a_form_error(client, w, signed):
    provision = signed.provisions.get()
    client.force_login(w.mediator)
    r = client.post(agreement_url(signed, "deadline/"), {"provision": provision.pk, "deadline": "2025-12-31"}, **HX)
    assert "is before the agreement was signed" in r.content.decode()
    r = client.post(agreement_url(signed, "deadline/"), {"provision": provision.pk, "deadline": "2026-02-30"}, **HX)
    assert "Enter a valid date." in r.content.decode()
    provision.refresh_from_db()
    assert provision.deadline is None


def test_another_organisations_provision_is_out_of_reach(client, w, signed, foreign):
    theirs = ProvisionFactory(agreement=AgreementFactory(dispute=foreign, signed=True))
    client.force_login(w.mediator)
    r = client.post(agreement_url(theirs.agreement, "deadline/"), {"provision": theirs.pk, "deadline": "2027-01-01"})
    assert r.status_code == 404
    r = client.post(agreement_url(signed, "deadline/"), {"provision": theirs.pk, "deadline": "2027-01-01"}, **HX)
    assert "Select a valid choice" in r.content.decode()
    assert Provision.objects.get(pk=theirs.pk).deadline is None


# --- 2. reopening a negotiation issue ------------------------------------------------------------------


@pytest.fixture
def agreed(w):
    w.dispute.stage = Stage.NEGOTIATION
    w.dispute.save(update_fields=["stage"])
    return NegotiationIssueFactory(dispute=w.dispute, title="Prisoner exchange", status=NegotiationIssue.Status.AGREED)


def reopen_url(issue):
    return f"/disputes/{issue.dispute_id}/issues/{issue.pk}/reopen/"


def test_the_lead_reopens_an_agreed_issue_with_a_reason(client, w, agreed):
    client.force_login(w.mediator)
    body = client.get(f"/disputes/{w.dispute.pk}/proposals/").content.decode()
    assert body.count("Reopen this issue") == 1  # the agreed issue only, not the open one
    r = client.post(reopen_url(agreed), {"reason": "The list of prisoners was disputed"}, follow=True)
    assert "The issue is open again." in r.content.decode()
    agreed.refresh_from_db()
    assert agreed.status == NegotiationIssue.Status.OPEN
    event = AuditEvent.objects.get(action="negotiations.issue.reopened")
    assert event.after["reason"] == "The list of prisoners was disputed"


def test_a_reader_cannot_reopen_an_issue(client, w, agreed):
    client.force_login(w.analyst)
    assert "Reopen this issue" not in client.get(f"/disputes/{w.dispute.pk}/proposals/").content.decode()
    assert client.post(reopen_url(agreed), {"reason": "Because"}).status_code == 403
    agreed.refresh_from_db()
    assert agreed.status == NegotiationIssue.Status.AGREED


def test_reopening_without_a_reason_or_an_open_issue_is_a_form_error(client, w, agreed):
    client.force_login(w.mediator)
    r = client.post(reopen_url(agreed), {"reason": "   "}, **HX)
    assert "This field is required." in r.content.decode()
    agreed.refresh_from_db()
    assert agreed.status == NegotiationIssue.Status.AGREED
    r = client.post(reopen_url(w.issue), {"reason": "Try anyway"}, **HX)
    assert "Only an agreed issue can be reopened." in r.content.decode()
    assert not AuditEvent.objects.filter(action="negotiations.issue.reopened").exists()


def test_another_organisations_issue_is_out_of_reach(client, w, agreed, foreign):
    theirs = NegotiationIssueFactory(dispute=foreign, status=NegotiationIssue.Status.AGREED)
    client.force_login(w.mediator)
    assert client.post(reopen_url(theirs), {"reason": "Because"}).status_code == 404
    # nor through one's own dispute's address
    assert client.post(f"/disputes/{w.dispute.pk}/issues/{theirs.pk}/reopen/", {"reason": "x"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == NegotiationIssue.Status.AGREED


# --- 4. a dispute's confidentiality --------------------------------------------------------------------


def conf_url(dispute):
    return f"/disputes/{dispute.pk}/confidentiality/"


def test_the_edit_page_offers_confidentiality_to_the_lead_and_admins_only(client, w, admin):
    co = CaseTeamMemberFactory(dispute=w.dispute, user=MembershipFactory(organisation=w.dispute.organisation,
                                                                          role=Membership.Role.MEDIATOR).user)
    for user in (w.mediator, admin):
        client.force_login(user)
        body = client.get(f"/disputes/{w.dispute.pk}/edit/").content.decode()
        assert "Change the confidentiality" in body
        assert "new shares are refused" in body and "only its case team and the organisation's admins" in body
    client.force_login(co.user)
    body = client.get(f"/disputes/{w.dispute.pk}/edit/").content.decode()
    assert "Change the confidentiality" not in body
    assert "Only an admin or the lead mediator can change" in body
    assert 'name="confidentiality"' not in body  # the edit form no longer carries it either


def test_the_lead_restricts_the_dispute_and_readers_lose_it(client, w):
    client.force_login(w.analyst)
    assert client.get(f"/disputes/{w.dispute.pk}/").status_code == 200
    client.force_login(w.mediator)
    r = client.post(conf_url(w.dispute), {"confidentiality": "restricted", "reason": "Back channel opened"},
                    follow=True)
    assert "The dispute is now restricted." in r.content.decode()
    w.dispute.refresh_from_db()
    assert w.dispute.confidentiality == Confidentiality.RESTRICTED
    assert AuditEvent.objects.get(action="disputes.dispute.restricted").after["reason"] == "Back channel opened"
    client.force_login(w.analyst)
    assert client.get(f"/disputes/{w.dispute.pk}/").status_code == 404


def test_a_team_member_who_is_not_lead_cannot_change_it(client, w):
    co = CaseTeamMemberFactory(dispute=w.dispute, user=MembershipFactory(organisation=w.dispute.organisation,
                                                                          role=Membership.Role.MEDIATOR).user)
    client.force_login(co.user)
    assert client.post(conf_url(w.dispute), {"confidentiality": "restricted"}).status_code == 403
    client.force_login(w.outsider)  # a mediator of the organisation off the team
    assert client.post(conf_url(w.dispute), {"confidentiality": "restricted"}).status_code == 403
    w.dispute.refresh_from_db()
    assert w.dispute.confidentiality == Confidentiality.STANDARD
    assert not AuditEvent.objects.filter(action="disputes.dispute.restricted").exists()


def test_restricting_a_shared_dispute_or_a_bad_level_is_a_form_error(client, w, other_org):
    CaseShareFactory(dispute=w.dispute, organisation=other_org, level=CaseShare.Level.READ)
    client.force_login(w.mediator)
    r = client.post(conf_url(w.dispute), {"confidentiality": "restricted"})
    assert r.status_code == 200
    assert "Revoke the dispute&#x27;s shares with other organisations before restricting it." in r.content.decode()
    r = client.post(conf_url(w.dispute), {"confidentiality": "top-secret"})
    assert "Select a valid choice" in r.content.decode()
    w.dispute.refresh_from_db()
    assert w.dispute.confidentiality == Confidentiality.STANDARD


def test_an_admin_opens_a_restricted_dispute_up_and_another_organisation_gets_a_404(client, w, admin, foreign):
    secret = DisputeFactory(organisation=w.dispute.organisation, lead=w.mediator,
                            confidentiality=Confidentiality.RESTRICTED)
    client.force_login(admin)
    client.post(conf_url(secret), {"confidentiality": "standard", "reason": "Talks are public now"})
    secret.refresh_from_db()
    assert secret.confidentiality == Confidentiality.STANDARD
    assert client.post(conf_url(foreign), {"confidentiality": "restricted"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.confidentiality == Confidentiality.STANDARD


# --- 5. organisation members ---------------------------------------------------------------------------


def test_admins_see_members_with_role_forms_and_others_are_refused(client, w, admin):
    client.force_login(admin)
    body = client.get("/settings/").content.decode()
    assert "Invite a person" in body and "Change the role" in body and w.analyst.email in body
    client.force_login(w.mediator)
    assert client.get("/settings/").status_code == 403
    analyst_m = Membership.objects.get(user=w.analyst)
    assert client.post(f"/settings/members/{analyst_m.pk}/role/", {"role": "admin"}).status_code == 403
    newcomer = UserFactory(email="newcomer@example.org")
    assert client.post("/settings/members/", {"email": newcomer.email, "role": "admin"}).status_code == 403
    analyst_m.refresh_from_db()
    assert analyst_m.role == Membership.Role.ANALYST
    assert not Membership.objects.filter(user=newcomer).exists()


def test_an_admin_invites_an_address_and_the_page_says_the_same_whether_it_has_an_account(client, w, admin,
                                                                                          other_org):
    # Adding people is an invitation (DESIGN.md §3b; tests/accounts/test_invitations.py has the rest): this
    # test used to assert that an existing account was added at once and an unknown address was refused.
    newcomer = UserFactory(email="Newcomer@Example.org", name="Nora Newcomer")
    MembershipFactory(organisation=other_org, user=newcomer)
    client.force_login(admin)
    known = client.post("/settings/members/", {"email": "newcomer@example.org ", "role": "case_officer"},
                        follow=True).content.decode()
    unknown = client.post("/settings/members/", {"email": "nobody@example.org", "role": "case_officer"},
                          follow=True).content.decode()
    assert "An invitation to join as Case officer was sent to newcomer@example.org." in known
    assert "An invitation to join as Case officer was sent to nobody@example.org." in unknown
    assert "Nora Newcomer" not in known and "Beta Mediation" not in known
    assert not Membership.objects.filter(user=newcomer, organisation=w.dispute.organisation).exists()


def test_inviting_a_member_again_or_bad_input_is_a_form_error(client, w, admin, other_org):
    outsider = UserFactory(email="beta-only@example.org")
    MembershipFactory(organisation=other_org, user=outsider)
    client.force_login(admin)
    count = Membership.objects.count()
    body = client.post("/settings/members/", {"email": w.analyst.email, "role": "mediator"}).content.decode()
    assert "This person is already a member of the organisation." in body
    body = client.post("/settings/members/", {"email": outsider.email, "role": "overlord"}).content.decode()
    assert "Select a valid choice" in body and "Beta Mediation" not in body
    body = client.post("/settings/members/", {"email": "not-an-address", "role": "mediator"}).content.decode()
    assert "Enter a valid email address." in body
    assert Membership.objects.count() == count


def test_an_admin_changes_a_role_but_not_the_last_admins(client, w, admin):
    analyst_m = Membership.objects.get(user=w.analyst)
    client.force_login(admin)
    r = client.post(f"/settings/members/{analyst_m.pk}/role/", {"role": "case_officer"}, follow=True)
    assert "role is now Case officer" in r.content.decode()
    analyst_m.refresh_from_db()
    assert analyst_m.role == Membership.Role.CASE_OFFICER
    assert AuditEvent.objects.filter(action="accounts.membership.role_changed").count() == 1
    own = Membership.objects.get(user=admin)
    body = client.post(f"/settings/members/{own.pk}/role/", {"role": "mediator"}).content.decode()
    assert "The organisation needs at least one admin" in body
    own.refresh_from_db()
    assert own.role == Membership.Role.ADMIN


def test_another_organisations_membership_is_out_of_reach(client, w, admin, other_org):
    theirs = MembershipFactory(organisation=other_org, role=Membership.Role.ANALYST)
    client.force_login(admin)
    assert client.post(f"/settings/members/{theirs.pk}/role/", {"role": "admin"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.role == Membership.Role.ANALYST
    assert theirs.user.email not in client.get("/settings/").content.decode()


@pytest.mark.parametrize("extra", [0, 12])
def test_the_members_list_keeps_its_query_count(client, w, admin, extra, django_assert_num_queries):
    from tests.factories.accounts import InvitationFactory

    for _ in range(extra):
        MembershipFactory(organisation=w.dispute.organisation, role=Membership.Role.MEDIATOR)
        InvitationFactory(organisation=w.dispute.organisation, invited_by=admin)
    client.force_login(admin)
    client.get("/settings/")
    with django_assert_num_queries(7):  # 6, and the open invitations with who sent them
        body = client.get("/settings/").content.decode()
    assert body.count("Change the role") == Membership.objects.filter(organisation=w.dispute.organisation).count()


# --- 6. a party's consent to pass on a team-only note --------------------------------------------------


def consent_url(note):
    return f"/sessions/{note.session_id}/notes/{note.pk}/consent/"


def _given_at(days_ago=1):
    return (timezone.localtime(timezone.now()) - dt.timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M")


def test_the_case_team_sees_the_consent_form_on_a_team_note_and_others_do_not(client, w):
    client.force_login(w.mediator)
    body = client.get(f"/sessions/{w.caucus.pk}/").content.decode()
    assert "Record a consent to pass this on, given by Riverside Farmers Union" in body
    assert body.count("Record the consent") == 1  # the team-only note, not the shared one
    for user in (w.analyst, w.outsider):
        client.force_login(user)
        body = client.get(f"/sessions/{w.caucus.pk}/").content.decode()
        assert SECRET not in body and "Record the consent" not in body


def test_the_lead_records_a_consent_scoped_to_one_party(client, w):
    rep = RepresentativeFactory(party=w.farmers.party, name="Fatima Farmer")
    client.force_login(w.mediator)
    r = client.post(consent_url(w.team_note), {
        "given_by_representative": rep.pk, "method": "written", "given_at": _given_at(),
        "parties": [w.herders.pk], "reference": "Letter of 3 March",
    }, follow=True)
    body = r.content.decode()
    assert "Consent recorded." in body and "Fatima Farmer" in body and "Letter of 3 March" in body
    consent = DisclosureConsent.objects.get(note=w.team_note)
    assert consent.given_by_representative == rep and consent.method == "written"
    assert list(consent.consent_parties.values_list("case_party_id", flat=True)) == [w.herders.pk]
    w.team_note.refresh_from_db()
    assert w.team_note.visibility == Visibility.TEAM  # consent does not widen the note


def test_off_the_team_a_consent_cannot_be_recorded(client, w, admin):
    for user in (w.analyst, w.outsider, admin):
        client.force_login(user)
        r = client.post(consent_url(w.team_note), {"given_by_name": "Someone", "method": "phone",
                                                   "given_at": _given_at()})
        assert r.status_code == 404, user
    assert not DisclosureConsent.objects.exists()


def test_a_consent_without_who_or_in_the_future_or_by_another_partys_representative_is_refused(client, w):
    other_rep = RepresentativeFactory(party=w.herders.party)
    client.force_login(w.mediator)
    body = client.post(consent_url(w.team_note), {"method": "phone", "given_at": _given_at()}, **HX).content.decode()
    assert "Say who gave the consent." in body
    body = client.post(consent_url(w.team_note), {"given_by_name": "Farmer", "method": "phone",
                                                  "given_at": _given_at(-2)}, **HX).content.decode()
    assert "future" in body
    body = client.post(consent_url(w.team_note), {"given_by_representative": other_rep.pk, "method": "phone",
                                                  "given_at": _given_at()}, **HX).content.decode()
    assert "Select a valid choice" in body
    body = client.post(consent_url(w.team_note), {"given_by_name": "Farmer", "method": "phone",
                                                  "given_at": _given_at(), "parties": [w.farmers.pk]},
                       **HX).content.decode()
    assert "Select a valid choice" in body  # the source party is not offered: it knows what it said
    body = client.post(consent_url(w.shared_note), {"given_by_name": "Farmer", "method": "phone",
                                                    "given_at": _given_at()}, **HX).content.decode()
    assert "Only a team-only note needs consent to be passed on." in body
    assert not DisclosureConsent.objects.exists()


def test_another_organisations_note_is_out_of_reach(client, w, foreign):
    session = MediationSessionFactory(dispute=foreign)
    theirs = SessionNoteFactory(session=session, visibility=Visibility.TEAM)
    client.force_login(w.mediator)
    r = client.post(consent_url(theirs), {"given_by_name": "X", "method": "phone", "given_at": _given_at()})
    assert r.status_code == 404
    # nor through one's own session's address
    r = client.post(f"/sessions/{w.caucus.pk}/notes/{theirs.pk}/consent/",
                    {"given_by_name": "X", "method": "phone", "given_at": _given_at()})
    assert r.status_code == 404
    assert not DisclosureConsent.objects.exists()


def test_the_session_page_with_many_consentable_notes_keeps_its_query_count(
    client, w, django_assert_max_num_queries
):
    client.force_login(w.mediator)
    client.get(f"/sessions/{w.caucus.pk}/")
    with django_assert_max_num_queries(60) as few:
        client.get(f"/sessions/{w.caucus.pk}/")
    baseline = len(few.captured_queries)
    for i in range(6):
        note = SessionNoteFactory(session=w.caucus, text=f"Team note {i}", visibility=Visibility.TEAM,
                                  source_party=w.farmers)
        RepresentativeFactory(party=w.farmers.party)
        DisclosureConsent.objects.create(dispute=w.dispute, note=note, source_party=w.farmers, given_by_name="F",
                                         given_at=timezone.now() - dt.timedelta(days=1), method="phone")
    with django_assert_max_num_queries(baseline + 3):  # the consents, their parties, the representatives
        body = client.get(f"/sessions/{w.caucus.pk}/").content.decode()
    assert body.count("Record the consent") == 7


def test_the_consent_form_lists_only_the_source_partys_representatives(client, w):
    mine = RepresentativeFactory(party=w.farmers.party, name="Fatima Farmer")
    RepresentativeFactory(party=w.herders.party, name="Hamid Herder")
    elsewhere = OrganisationFactory(slug="gamma")
    RepresentativeFactory(party__organisation=elsewhere, name="Gamma Envoy")
    client.force_login(w.mediator)
    body = client.get(f"/sessions/{w.caucus.pk}/").content.decode()
    form = body[body.index(consent_url(w.team_note)):]
    form = form[:form.index("</form>")]
    assert mine.name in form and "Hamid Herder" not in form and "Gamma Envoy" not in form
