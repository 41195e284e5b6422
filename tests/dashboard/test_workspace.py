import pytest

from apps.accounts.models import Membership
from apps.common.models import AuditEvent
from apps.disputes.models import CaseParty, CaseShare, CaseTeamMember, PartyPosition, RiskAssessment, Stage, StageChange
from tests.factories import (
    CasePartyFactory,
    CaseShareFactory,
    CaseTeamMemberFactory,
    DisputeFactory,
    MembershipFactory,
    NegotiationIssueFactory,
    PartyFactory,
)

pytestmark = pytest.mark.django_db


def url(d, suffix=""):
    return f"/disputes/{d.pk}/{suffix}"


def test_the_workspace_shows_the_header_sections_and_the_allowed_transitions(client, mediator, dispute):
    client.force_login(mediator)
    body = client.get(url(dispute)).content.decode()
    assert dispute.reference in body and dispute.title in body
    assert "Riverside Farmers Union" in body
    assert 'name="to_stage" value="assessment"' in body
    assert 'name="to_stage" value="negotiation"' not in body  # not allowed from intake
    for title in ("Parties and positions", "Case team", "Negotiation issues", "Sessions", "Proposals by issue",
                  "Agreements", "Upcoming reminders"):
        assert title in body
    assert "Audit trail" not in body  # admins only
    assert "Sharing" not in body


def test_an_analyst_reads_a_standard_dispute_without_any_form(client, analyst, dispute):
    client.force_login(analyst)
    body = client.get(url(dispute)).content.decode()
    assert dispute.title in body
    assert "Read only" in body
    assert "Upcoming reminders" not in body
    assert "to_stage" not in body
    assert "Add a team member" not in body
    assert "<form" not in body.split('<main')[1].split("</main>")[0]


def test_out_of_reach_disputes_are_a_404_whether_they_exist_or_not(client, org, analyst, restricted, foreign):
    outsider = MembershipFactory(organisation=org, role="mediator").user
    for user in (analyst, outsider):
        client.force_login(user)
        assert client.get(url(restricted)).status_code == 404
        assert client.get(url(foreign)).status_code == 404
        assert client.get("/disputes/999999/").status_code == 404
        assert client.post(url(restricted, "stage/"), {"to_stage": "assessment"}).status_code == 404
    assert StageChange.objects.filter(dispute=restricted).count() == 1


def test_a_partner_organisation_reads_a_shared_dispute_read_only(client, other_org, dispute):
    CaseShareFactory(dispute=dispute, organisation=other_org)
    partner_admin = MembershipFactory(organisation=other_org, role=Membership.Role.ADMIN).user
    client.force_login(partner_admin)
    body = client.get(url(dispute)).content.decode()
    assert dispute.title in body and "Read only" in body
    assert "Audit trail" not in body and "Sharing" not in body


def test_changing_the_stage_records_it_and_redirects(client, mediator, dispute):
    client.force_login(mediator)
    response = client.post(url(dispute, "stage/"), {"to_stage": "assessment", "reason": "Parties agreed"})
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert dispute.stage == Stage.ASSESSMENT
    change = StageChange.objects.filter(dispute=dispute).last()
    assert change.reason == "Parties agreed" and change.by == mediator
    assert "Stage changed to Assessment." in client.get(url(dispute)).content.decode()


def test_a_refused_stage_change_shows_the_reason_and_keeps_what_was_typed(client, mediator, dispute):
    client.force_login(mediator)
    response = client.post(url(dispute, "stage/"), {"to_stage": "closed", "reason": "My careful words"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Closing a dispute needs a closure reason." in body
    assert "My careful words" in body
    dispute.refresh_from_db()
    assert dispute.stage == Stage.INTAKE
    assert StageChange.objects.filter(dispute=dispute).count() == 1


def test_a_transition_that_is_not_allowed_is_refused(client, mediator, dispute):
    client.force_login(mediator)
    response = client.post(url(dispute, "stage/"), {"to_stage": "implementation"})
    assert response.status_code == 200
    dispute.refresh_from_db()
    assert dispute.stage == Stage.INTAKE


def test_an_analyst_cannot_change_the_stage_even_by_posting(client, analyst, dispute):
    client.force_login(analyst)
    response = client.post(url(dispute, "stage/"), {"to_stage": "assessment"})
    assert response.status_code == 403
    assert "You may read this dispute but not change it." in response.content.decode()
    dispute.refresh_from_db()
    assert dispute.stage == Stage.INTAKE
    assert StageChange.objects.filter(dispute=dispute).count() == 1


def test_htmx_stage_change_returns_only_the_new_header(client, mediator, dispute):
    client.force_login(mediator)
    response = client.post(url(dispute, "stage/"), {"to_stage": "assessment"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<header id="dispute-header"')
    assert "Stage changed to Assessment." in body
    assert 'value="pre_negotiation"' in body


def test_the_risk_changes_with_a_reason(client, mediator, dispute):
    client.force_login(mediator)
    assert client.post(url(dispute, "risk/"), {"risk": "high", "reason": ""}).status_code == 200
    assert RiskAssessment.objects.filter(dispute=dispute).count() == 0
    response = client.post(url(dispute, "risk/"), {"risk": "high", "reason": "Clashes near the river"})
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert dispute.risk == "high"
    assert RiskAssessment.objects.get(dispute=dispute).reason == "Clashes near the river"


def test_adding_a_team_member_with_a_conflicting_affiliation_is_refused_for_a_mediator(client, org, mediator,
                                                                                      dispute):
    candidate = MembershipFactory(organisation=org, role="mediator", user__name="Cara Candidate").user
    client.force_login(mediator)
    response = client.post(url(dispute, "team/"), {"user": candidate.pk, "role": "adviser",
                                                   "affiliations": "RFU, Red Cross"})
    body = response.content.decode()
    assert "Conflict of interest" in body and "Riverside Farmers Union" in body
    assert "RFU, Red Cross" in body  # what was typed is kept
    assert 'name="override_reason"' not in body  # mediators cannot override
    assert not CaseTeamMember.objects.filter(dispute=dispute, user=candidate).exists()


def test_an_admin_overrides_a_conflict_with_a_reason(client, org, admin, dispute):
    candidate = MembershipFactory(organisation=org, role="mediator").user
    client.force_login(admin)
    response = client.post(url(dispute, "team/"), {"user": candidate.pk, "role": "adviser", "affiliations": "RFU",
                                                   "override_reason": "Former link, ended 2019"})
    assert response.status_code == 302
    member = CaseTeamMember.objects.get(dispute=dispute, user=candidate)
    assert member.conflict_override_reason == "Former link, ended 2019"
    body = client.get(url(dispute)).content.decode()
    assert "Conflict overridden" in body and "Former link, ended 2019" in body
    event = AuditEvent.objects.get(action__startswith="disputes.team.", dispute_id=dispute.pk)
    assert event.after["conflict_override"]["reason"] == "Former link, ended 2019"


def test_adding_and_removing_a_team_member_through_htmx(client, org, mediator, dispute):
    candidate = MembershipFactory(organisation=org, role="case_officer", user__name="Olu Officer").user
    client.force_login(mediator)
    response = client.post(url(dispute, "team/"), {"user": candidate.pk, "role": "case_officer"},
                           headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="team"')
    assert "Olu Officer" in body and "Added to the case team." in body
    member = CaseTeamMember.objects.get(dispute=dispute, user=candidate, active=True)
    response = client.post(url(dispute, f"team/{member.pk}/remove/"), headers={"HX-Request": "true"})
    member.refresh_from_db()
    assert member.active is False
    assert "<td>Olu Officer</td>" not in response.content.decode()


def test_a_team_member_of_another_dispute_cannot_be_removed_through_this_one(client, org, mediator, dispute):
    other = CaseTeamMemberFactory(dispute=DisputeFactory(organisation=org))
    client.force_login(mediator)
    assert client.post(url(dispute, f"team/{other.pk}/remove/")).status_code == 404
    other.refresh_from_db()
    assert other.active


def test_parties_issues_and_positions_are_added_from_the_workspace(client, org, mediator, dispute):
    party = PartyFactory(organisation=org, name="Hill Herders")
    client.force_login(mediator)
    assert client.post(url(dispute, "parties/"), {"party": party.pk, "role": "conflict_party"}).status_code == 302
    assert client.post(url(dispute, "issues/"), {"title": "Water points"}).status_code == 302
    duplicate = client.post(url(dispute, "issues/"), {"title": "water points"})
    assert "already has an issue with this title" in duplicate.content.decode()
    cp = CaseParty.objects.get(dispute=dispute, party=party)
    issue = dispute.issues.get()
    response = client.post(url(dispute, f"parties/{cp.pk}/issues/{issue.pk}/"),
                           {"position": "Access every dry season", "interests": "Herd survival"})
    assert response.status_code == 302
    assert PartyPosition.objects.get(case_party=cp, issue=issue).position == "Access every dry season"
    body = client.get(url(dispute)).content.decode()
    assert "Hill Herders" in body and "Access every dry season" in body


def test_an_issue_of_another_dispute_is_a_404_for_positions(client, org, mediator, dispute):
    cp = dispute.case_parties.get()
    foreign_issue = NegotiationIssueFactory(dispute=DisputeFactory(organisation=org))
    client.force_login(mediator)
    response = client.post(url(dispute, f"parties/{cp.pk}/issues/{foreign_issue.pk}/"), {"position": "x"})
    assert response.status_code == 404
    assert PartyPosition.objects.count() == 0


def test_admins_see_the_audit_trail_and_sharing_and_share_the_dispute(client, admin, other_org, dispute):
    client.force_login(admin)
    client.post(url(dispute, "risk/"), {"risk": "high", "reason": "Escalation"})
    body = client.get(url(dispute)).content.decode()
    assert "Audit trail" in body and "disputes.dispute.risk_changed" in body
    response = client.post(url(dispute, "shares/"), {"organisation": other_org.pk, "level": "read"})
    assert response.status_code == 302
    share = CaseShare.objects.get(dispute=dispute, organisation=other_org)
    assert client.post(url(dispute, f"shares/{share.pk}/revoke/")).status_code == 302
    share.refresh_from_db()
    assert share.revoked_at is not None


def test_a_mediator_cannot_share(client, mediator, other_org, dispute):
    client.force_login(mediator)
    response = client.post(url(dispute, "shares/"), {"organisation": other_org.pk, "level": "read"})
    assert response.status_code == 403
    assert "Only an admin" in response.content.decode()
    assert CaseShare.objects.count() == 0


def test_the_workspace_runs_in_a_fixed_number_of_queries(client, org, admin, dispute, django_assert_num_queries):
    client.force_login(admin)
    client.get(url(dispute))
    for n in (2, 6):
        while dispute.case_parties.count() < n:
            CasePartyFactory(dispute=dispute)
            NegotiationIssueFactory(dispute=dispute)
            CaseTeamMemberFactory(dispute=dispute)
        # 3 request (session, user, membership) + 5 dispute_detail + 1 can-write + 2 parties + 1 team
        # + 1 share list + 1 audit + 3 form choices (parties, users, organisations) + switcher + bell
        # + 1 may-manage-team + sessions, proposals, agreements, reminders (1 each)
        # + timeline (access, page keys, stage changes) + shuttle rounds and the parties of its form
        with django_assert_num_queries(28):  # the admin decides the team without a query (policies)
            response = client.get(url(dispute))
        assert response.content.decode().count('class="party-card"') == n
