"""Bad input: each refusal is an ApplicationError naming the field, and nothing is half-written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import pytest
from django.utils import timezone

from apps.accounts.actors import Actor
from apps.common.errors import AccessDenied, ApplicationError
from apps.common.models import AuditEvent
from apps.disputes import services
from apps.disputes.models import (
    CaseParty,
    CaseShare,
    CaseTeamMember,
    Dispute,
    NegotiationIssue,
    PartyPosition,
    ReferenceCounter,
    RiskAssessment,
    Stage,
    StageChange,
)
from apps.parties import services as party_services
from apps.parties.models import Party, Representative
from tests.factories import (
    CasePartyFactory,
    DisputeFactory,
    MembershipFactory,
    NegotiationIssueFactory,
    OrganisationFactory,
    PartyFactory,
    RepresentativeFactory,
)

pytestmark = pytest.mark.django_db

COUNTED = [Party, Representative, Dispute, StageChange, RiskAssessment, CaseParty, PartyPosition, NegotiationIssue,
           CaseTeamMember, CaseShare, ReferenceCounter, AuditEvent]


def counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in COUNTED}


@dataclass
class Case:
    admin: Actor
    lead: Actor
    org: object
    other_org: object
    dispute: Dispute
    restricted: Dispute
    closed: Dispute
    party: Party
    representative: Representative


@pytest.fixture
def case(org, other_org) -> Case:
    admin = Actor.for_membership(MembershipFactory(organisation=org, role="admin"))
    lead = MembershipFactory(organisation=org, role="mediator")
    dispute = DisputeFactory(organisation=org, lead=lead.user, opened_on=dt.date(2026, 3, 1))
    party = PartyFactory(organisation=org, name="Riverside Farmers Union", aliases=["RFU"])
    CasePartyFactory(dispute=dispute, party=party)
    return Case(
        admin=admin, lead=Actor.for_membership(lead), org=org, other_org=other_org, dispute=dispute,
        restricted=DisputeFactory(organisation=org, confidentiality="restricted", lead=lead.user),
        closed=DisputeFactory(organisation=org, stage=Stage.CLOSED, lead=lead.user),
        party=party, representative=RepresentativeFactory(party=party),
    )


def _new_member(c: Case, role: str = "mediator"):
    return MembershipFactory(organisation=c.org, role=role).user


# name: (the field the error names, case -> the refused call with its arguments already built)
BAD_INPUT: dict[str, tuple[str | None, Callable[[Case], Callable[[], object]]]] = {
    # the issue's list
    "unknown country code on a dispute": ("countries", lambda c: partial(services.dispute_open,
        actor=c.admin, title="Coastal fisheries", lead_mediator=c.lead.user, countries=["KE", "XX"])),
    "unknown country code on an update": ("countries", lambda c: partial(services.dispute_update,
        actor=c.admin, dispute=c.dispute, data={"countries": ["ZZ"]})),
    "unknown country code on a party": ("country", lambda c: partial(party_services.party_create,
        actor=c.admin, kind="state", name="Atlantis", country="AA")),
    "unknown time zone on a representative": ("time_zone", lambda c: partial(party_services.representative_create,
        actor=c.admin, party=c.party, name="Joseph Lado", time_zone="Africa/Atlantis")),
    "unknown time zone on a representative update": ("time_zone", lambda c: partial(
        party_services.representative_update, actor=c.admin, representative=c.representative,
        data={"time_zone": "Nairobi"})),
    "closed on before opened on": ("closed_on", lambda c: partial(services.dispute_change_stage,
        actor=c.admin, dispute=c.dispute, to_stage="closed", closure_reason="overtaken_by_events",
        closed_on=dt.date(2026, 2, 28))),
    "a transition not in the workflow": ("to_stage", lambda c: partial(services.dispute_change_stage,
        actor=c.admin, dispute=c.dispute, to_stage="agreement")),
    "closing without a reason": ("closure_reason", lambda c: partial(services.dispute_change_stage,
        actor=c.admin, dispute=c.dispute, to_stage="closed")),
    "a second lead mediator": ("role", lambda c: partial(services.team_member_add,
        actor=c.admin, dispute=c.dispute, user=_new_member(c), role="lead_mediator")),
    "a party added twice": ("party", lambda c: partial(services.case_party_add,
        actor=c.admin, dispute=c.dispute, party=c.party)),
    "a party of another organisation": ("party", lambda c: partial(services.case_party_add,
        actor=c.admin, dispute=c.dispute, party=PartyFactory(organisation=c.other_org))),
    "a team member from another organisation": ("user", lambda c: partial(services.team_member_add,
        actor=c.admin, dispute=c.dispute, user=MembershipFactory(organisation=c.other_org).user, role="adviser")),
    "an analyst on a team": ("user", lambda c: partial(services.team_member_add,
        actor=c.admin, dispute=c.dispute, user=_new_member(c, "analyst"), role="observer")),
    "a share to one's own organisation": ("organisation", lambda c: partial(services.case_share_grant,
        actor=c.admin, dispute=c.dispute, organisation=c.org, level="read")),
    "a share of a restricted dispute": ("dispute", lambda c: partial(services.case_share_grant,
        actor=c.admin, dispute=c.restricted, organisation=c.other_org, level="read")),
    # and the neighbours of those
    "a closing date in the future": ("closed_on", lambda c: partial(services.dispute_change_stage,
        actor=c.admin, dispute=c.dispute, to_stage="closed", closure_reason="overtaken_by_events",
        closed_on=timezone.localdate() + dt.timedelta(days=2))),
    "an unknown closure reason": ("closure_reason", lambda c: partial(services.dispute_change_stage,
        actor=c.admin, dispute=c.dispute, to_stage="closed", closure_reason="bored")),
    "an agreement closure before any agreement": ("closure_reason", lambda c: partial(services.dispute_change_stage,
        actor=c.admin, dispute=c.dispute, to_stage="closed", closure_reason="agreement_reached")),
    "a closure reason when not closing": ("closure_reason", lambda c: partial(services.dispute_change_stage,
        actor=c.admin, dispute=c.dispute, to_stage="assessment", closure_reason="parties_withdrew")),
    "suspending without a reason": ("reason", lambda c: partial(services.dispute_change_stage,
        actor=c.admin, dispute=c.dispute, to_stage="suspended", reason="  ")),
    "an unknown stage": ("to_stage", lambda c: partial(services.dispute_change_stage,
        actor=c.admin, dispute=c.dispute, to_stage="ceasefire")),
    "any move out of closed": ("to_stage", lambda c: partial(services.dispute_change_stage,
        actor=c.admin, dispute=c.closed, to_stage="implementation")),
    "opening in a closed stage": ("stage", lambda c: partial(services.dispute_open,
        actor=c.admin, title="Late", lead_mediator=c.lead.user, stage="closed")),
    "a dispute without a title": ("title", lambda c: partial(services.dispute_open,
        actor=c.admin, title="   ", lead_mediator=c.lead.user)),
    "an unknown dispute type": ("dispute_types", lambda c: partial(services.dispute_open,
        actor=c.admin, title="Coastal fisheries", lead_mediator=c.lead.user, dispute_types=["maritime"])),
    "an unknown process format": ("process_format", lambda c: partial(services.dispute_open,
        actor=c.admin, title="Coastal fisheries", lead_mediator=c.lead.user, process_format="arbitration")),
    "an unknown root cause": ("root_causes", lambda c: partial(services.dispute_open,
        actor=c.admin, title="Coastal fisheries", lead_mediator=c.lead.user, root_causes=["bad luck"])),
    "an analyst as lead mediator": ("lead_mediator", lambda c: partial(services.dispute_open,
        actor=c.admin, title="Coastal fisheries", lead_mediator=_new_member(c, "analyst"))),
    "a lead mediator of another organisation": ("lead_mediator", lambda c: partial(services.dispute_open,
        actor=c.admin, title="Coastal fisheries", lead_mediator=MembershipFactory(organisation=c.other_org).user)),
    "an unknown risk level": ("risk", lambda c: partial(services.dispute_change_risk,
        actor=c.admin, dispute=c.dispute, risk="apocalyptic")),
    "a risk assessment before the dispute opened": ("assessed_on", lambda c: partial(services.dispute_change_risk,
        actor=c.admin, dispute=c.dispute, risk="high", assessed_on=dt.date(2026, 2, 1))),
    "a risk assessment in the future": ("assessed_on", lambda c: partial(services.dispute_change_risk,
        actor=c.admin, dispute=c.dispute, risk="high", assessed_on=timezone.localdate() + dt.timedelta(days=3))),
    "an issue title the dispute already has (other case)": ("title", lambda c: (
        NegotiationIssueFactory(dispute=c.dispute, title="Water points"),
        partial(services.negotiation_issue_create, actor=c.admin, dispute=c.dispute, title="water  POINTS"))[1]),
    "an unknown issue status": ("status", lambda c: partial(services.negotiation_issue_update,
        actor=c.admin, issue=NegotiationIssueFactory(dispute=c.dispute), data={"status": "resolved"})),
    "an issue of another dispute for a position": ("issue", lambda c: partial(services.party_position_set,
        actor=c.admin, case_party=c.dispute.case_parties.get(), issue=NegotiationIssueFactory(), position="x")),
    "an unknown team role": ("role", lambda c: partial(services.team_member_add,
        actor=c.admin, dispute=c.dispute, user=_new_member(c), role="spokesperson")),
    "a conflicting affiliation": ("affiliations", lambda c: partial(services.team_member_add,
        actor=c.admin, dispute=c.dispute, user=_new_member(c), role="adviser", affiliations=["  rfu "])),
    "an unknown share level": ("level", lambda c: partial(services.case_share_grant,
        actor=c.admin, dispute=c.dispute, organisation=c.other_org, level="admin")),
    "restricting a shared dispute": ("confidentiality", lambda c: (
        services.case_share_grant(actor=c.admin, dispute=c.dispute, organisation=OrganisationFactory(), level="read"),
        partial(services.dispute_update, actor=c.admin, dispute=c.dispute, data={"confidentiality": "restricted"}))[1]),
    "a party name that exists after normalising": ("name", lambda c: partial(party_services.party_create,
        actor=c.admin, kind="community", name="  riverside   farmers UNION ")),
    "a party renamed onto another": ("name", lambda c: partial(party_services.party_update,
        actor=c.admin, party=PartyFactory(organisation=c.org, name="Hill Herders"),
        data={"name": "Riverside Farmers Union"})),
    "a party without a name": ("name", lambda c: partial(party_services.party_create,
        actor=c.admin, kind="state", name=" ")),
    "an unknown party kind": ("kind", lambda c: partial(party_services.party_create,
        actor=c.admin, kind="alliance", name="Northern Alliance")),
    "an unknown language": ("languages", lambda c: partial(party_services.representative_create,
        actor=c.admin, party=c.party, name="Joseph Lado", languages=["en", "english!"])),
    "an unknown representative field": ("nickname", lambda c: partial(party_services.representative_create,
        actor=c.admin, party=c.party, name="Joseph Lado", nickname="Joe")),
    "a representative's invalid e-mail": ("email", lambda c: partial(party_services.representative_create,
        actor=c.admin, party=c.party, name="Joseph Lado", email="not-an-address")),
    "a representative's unknown authority": ("authority", lambda c: partial(party_services.representative_update,
        actor=c.admin, representative=c.representative, data={"authority": "maybe"})),
    "removing the lead of an open dispute": ("role", lambda c: partial(services.team_member_remove,
        actor=c.admin, member=c.dispute.team.get(role="lead_mediator"))),
    "changing a closed dispute": (None, lambda c: partial(services.dispute_update,
        actor=c.admin, dispute=c.closed, data={"summary": "rewritten"})),
    "adding a party to a closed dispute": ("party", lambda c: partial(services.case_party_add,
        actor=c.admin, dispute=c.closed, party=PartyFactory(organisation=c.org))),
}


@pytest.mark.parametrize("name", list(BAD_INPUT))
def test_bad_input_is_refused_with_the_field_and_nothing_written(case: Case, name: str) -> None:
    field, prepare = BAD_INPUT[name]
    call = prepare(case)  # builds the arguments (a new user, a foreign party...) before counting
    before = counts()
    with pytest.raises(ApplicationError) as refused:
        call()
    error = refused.value
    assert not isinstance(error, AccessDenied)
    assert error.field == field, f"{name}: field {error.field!r}, message {error.message!r}"
    assert str(error.message).strip()
    assert counts() == before, name
