"""The case team: one lead, the conflict-of-interest check, assignments over time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from apps.accounts.actors import Actor
from apps.common.errors import AccessDenied, ApplicationError
from apps.common.models import AuditEvent
from apps.disputes import services
from apps.disputes.models import CaseParty, CaseTeamMember, Dispute
from tests.factories import CasePartyFactory, CaseTeamMemberFactory, DisputeFactory, MembershipFactory, PartyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(org) -> Actor:
    return Actor.for_membership(MembershipFactory(organisation=org, role="admin"))


@pytest.fixture
def lead(org) -> Actor:
    return Actor.for_membership(MembershipFactory(organisation=org, role="mediator"))


@pytest.fixture
def dispute(org, lead) -> Dispute:
    dispute = DisputeFactory(organisation=org, lead=lead.user)
    CasePartyFactory(dispute=dispute, party=PartyFactory(
        organisation=org, name="Côte d’Ivoire Herders’ Union", aliases=["CIHU", "Union des éleveurs"]))
    return dispute


def _candidate(org, role="mediator"):
    return MembershipFactory(organisation=org, role=role).user


@pytest.mark.parametrize("declared", [
    "Côte d’Ivoire Herders’ Union", "cote d'ivoire herders' union", "  COTE  D'IVOIRE   HERDERS' UNION ",
    "cihu", "Union des eleveurs", "ＣＩＨＵ",  # full-width letters
])
def test_an_affiliation_matching_a_party_name_or_alias_is_a_conflict(lead, dispute, declared):
    user = _candidate(dispute.organisation)
    with pytest.raises(ApplicationError) as refused:
        services.team_member_add(actor=lead, dispute=dispute, user=user, role="adviser",
                                 affiliations=["Red Cross", declared])
    assert refused.value.field == "affiliations"
    assert "Côte d’Ivoire Herders’ Union" in str(refused.value.message)
    assert not CaseTeamMember.objects.filter(user=user).exists()


@pytest.mark.parametrize("declared", ["Herders", "Côte d’Ivoire", "CIHU Youth Wing", "Red Cross"])
def test_a_partial_or_unrelated_affiliation_is_not_a_conflict(lead, dispute, declared):
    member = services.team_member_add(actor=lead, dispute=dispute, user=_candidate(dispute.organisation),
                                      role="adviser", affiliations=[declared])
    assert member.affiliations == [declared]
    assert not member.no_conflict_declared


def test_no_affiliations_is_a_declaration_of_no_conflict(lead, dispute):
    member = services.team_member_add(actor=lead, dispute=dispute, user=_candidate(dispute.organisation),
                                      role="observer", affiliations=["", "  "])
    assert member.affiliations == [] and member.no_conflict_declared


def test_only_an_admin_overrides_a_conflict_and_only_with_a_reason(admin, lead, dispute):
    user = _candidate(dispute.organisation)
    with pytest.raises(AccessDenied) as denied:
        services.team_member_add(actor=lead, dispute=dispute, user=user, role="adviser", affiliations=["CIHU"],
                                 override_reason="I vouch for them")
    assert denied.value.field == "override_reason"
    with pytest.raises(ApplicationError) as refused:
        services.team_member_add(actor=admin, dispute=dispute, user=user, role="adviser", affiliations=["CIHU"],
                                 override_reason="   ")
    assert refused.value.field == "affiliations"
    member = services.team_member_add(actor=admin, dispute=dispute, user=user, role="adviser",
                                      affiliations=["CIHU"], override_reason="Membership lapsed in 2019")
    assert (member.conflict_override_reason, member.conflict_override_by) == ("Membership lapsed in 2019", admin.user)
    event = AuditEvent.objects.first()
    assert event.action == "disputes.team.conflict_overridden"
    assert event.after["conflict_override"]["reason"] == "Membership lapsed in 2019"


def test_adding_a_party_a_team_member_is_affiliated_with_is_a_conflict_too(admin, lead, dispute):
    CaseTeamMemberFactory(dispute=dispute, affiliations=["Northern Cattle Keepers"])
    party = PartyFactory(organisation=dispute.organisation, name="NCK", aliases=["Northern  cattle keepers"])
    with pytest.raises(ApplicationError) as refused:
        services.case_party_add(actor=lead, dispute=dispute, party=party)
    assert refused.value.field == "party"
    with pytest.raises(AccessDenied):
        services.case_party_add(actor=lead, dispute=dispute, party=party, override_reason="known and managed")
    assert not CaseParty.objects.filter(party=party).exists()
    services.case_party_add(actor=admin, dispute=dispute, party=party, override_reason="known and managed")
    assert AuditEvent.objects.first().action == "disputes.case_party.conflict_overridden"


def test_a_former_member_does_not_block_a_party(lead, dispute):
    former = CaseTeamMemberFactory(dispute=dispute, affiliations=["Northern Cattle Keepers"])
    services.team_member_remove(actor=lead, member=former)
    services.case_party_add(actor=lead, dispute=dispute,
                            party=PartyFactory(organisation=dispute.organisation, name="Northern Cattle Keepers"))


def test_the_lead_is_handed_over_and_there_is_always_exactly_one(lead, dispute):
    co = CaseTeamMemberFactory(dispute=dispute, role="co_mediator")
    services.team_lead_transfer(actor=lead, dispute=dispute, to_member=co)
    roles = dict(CaseTeamMember.objects.filter(dispute=dispute, active=True).values_list("user_id", "role"))
    assert roles == {co.user_id: "lead_mediator", lead.user.pk: "co_mediator"}
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseTeamMember.objects.filter(dispute=dispute, user=lead.user).update(role="lead_mediator")


def test_the_lead_cannot_be_handed_to_an_outsider_or_a_former_member(lead, org, dispute):
    elsewhere = CaseTeamMemberFactory(dispute=DisputeFactory(organisation=org))
    former = CaseTeamMemberFactory(dispute=dispute, active=False, ends_on=dt.date(2026, 2, 1))
    for member in (elsewhere, former):
        with pytest.raises(ApplicationError) as refused:
            services.team_lead_transfer(actor=lead, dispute=dispute, to_member=member)
        assert refused.value.field == "to_member"
    assert dispute.team.get(role="lead_mediator").user == lead.user


def test_roles_change_except_to_and_from_the_lead(lead, dispute):
    member = CaseTeamMemberFactory(dispute=dispute, role="adviser")
    services.team_member_change_role(actor=lead, member=member, role="case_officer")
    assert member.role == "case_officer"
    for target, role in ((member, "lead_mediator"), (dispute.team.get(role="lead_mediator"), "adviser")):
        with pytest.raises(ApplicationError):
            services.team_member_change_role(actor=lead, member=target, role=role)


def test_a_member_who_left_can_join_again(lead, dispute):
    user = _candidate(dispute.organisation)
    first = services.team_member_add(actor=lead, dispute=dispute, user=user, role="adviser")
    services.team_member_remove(actor=lead, member=first)
    with pytest.raises(ApplicationError):
        services.team_member_remove(actor=lead, member=first)
    again = services.team_member_add(actor=lead, dispute=dispute, user=user, role="co_mediator")
    assert list(CaseTeamMember.objects.filter(dispute=dispute, user=user).values_list("active", flat=True)) == [
        False, True]
    assert again.pk != first.pk


def test_a_case_officer_can_be_on_a_team_but_a_partner_member_cannot(lead, dispute):
    services.team_member_add(actor=lead, dispute=dispute, user=_candidate(dispute.organisation, "case_officer"),
                             role="case_officer")
    with pytest.raises(ApplicationError) as refused:
        services.team_member_add(actor=lead, dispute=dispute, user=_candidate(dispute.organisation, "partner"),
                                 role="observer")
    assert refused.value.field == "user"


def test_an_assignment_cannot_end_before_it_starts(lead, dispute):
    member = CaseTeamMemberFactory(dispute=dispute, starts_on=dt.date(2026, 3, 1))
    with pytest.raises(ApplicationError) as refused:
        services.team_member_remove(actor=lead, member=member, ends_on=dt.date(2026, 2, 1))
    assert refused.value.field == "ends_on"
    member.refresh_from_db()
    assert member.active
