"""Every service of the case core writes exactly one audit event: dotted action, the target,
the dispute's organisation, and the changed fields before and after."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from apps.accounts.actors import Actor
from apps.common import context
from apps.common.errors import ApplicationError
from apps.common.models import AuditEvent
from apps.disputes import services
from apps.disputes.models import CaseShare, CaseTeamMember, Dispute
from apps.parties import services as party_services
from tests.factories import (
    CasePartyFactory,
    CaseShareFactory,
    CaseTeamMemberFactory,
    DisputeFactory,
    MembershipFactory,
    NegotiationIssueFactory,
    OrganisationFactory,
    PartyFactory,
    PartyPositionFactory,
    RepresentativeFactory,
)

pytestmark = pytest.mark.django_db


@dataclass
class Ctx:
    admin: Actor
    lead: Actor
    dispute: Dispute
    org: Any
    other_org: Any


@pytest.fixture
def ctx(org, other_org) -> Ctx:
    admin = Actor.for_membership(MembershipFactory(organisation=org, role="admin"))
    lead = MembershipFactory(organisation=org, role="mediator")
    dispute = DisputeFactory(organisation=org, lead=lead.user, opened_on=dt.date(2026, 3, 1))
    return Ctx(admin=admin, lead=Actor.for_membership(lead), dispute=dispute, org=org, other_org=other_org)


def _member(c: Ctx, role: str = "mediator"):
    return MembershipFactory(organisation=c.org, role=role).user


# name: (call -> the target, action, expected subset of before, expected subset of after)
CALLS: dict[str, tuple[Callable[[Ctx], Any], str, dict, dict]] = {
    "party_create": (
        lambda c: party_services.party_create(actor=c.admin, kind="community", name="Hill Herders",
                                              aliases=["HH"], country="ke"),
        "parties.party.created", {}, {"name": "Hill Herders", "kind": "community", "aliases": ["HH"],
                                      "country": "KE"}),
    "party_update": (
        lambda c: party_services.party_update(actor=c.admin, party=PartyFactory(organisation=c.org, name="Old name",
                                                                                country="KE"),
                                              data={"name": "New name", "country": "et", "notes": "Old name"}),
        "parties.party.updated", {"name": "Old name", "country": "KE", "notes": ""},
        {"name": "New name", "country": "ET", "notes": "Old name"}),
    "representative_create": (
        lambda c: party_services.representative_create(actor=c.admin, party=PartyFactory(organisation=c.org),
                                                       name="Amina Yusuf", time_zone="Africa/Khartoum",
                                                       languages=["AR", "en"], authority="yes"),
        "parties.representative.created", {},
        {"name": "Amina Yusuf", "time_zone": "Africa/Khartoum", "languages": ["ar", "en"], "authority": "yes"}),
    "representative_update": (
        lambda c: party_services.representative_update(
            actor=c.admin, representative=RepresentativeFactory(party=PartyFactory(organisation=c.org)),
            data={"time_zone": "Asia/Kabul", "active": False}),
        "parties.representative.updated", {"time_zone": "Africa/Nairobi", "active": True},
        {"time_zone": "Asia/Kabul", "active": False}),
    "dispute_open": (
        lambda c: services.dispute_open(actor=c.admin, title="Coastal fisheries", lead_mediator=c.lead.user,
                                        opened_on=dt.date(2026, 4, 2), countries=["so", "KE"]),
        "disputes.dispute.opened", {},
        {"title": "Coastal fisheries", "stage": "intake", "risk": "medium", "opened_on": "2026-04-02"}),
    "dispute_update": (
        lambda c: services.dispute_update(actor=c.admin, dispute=c.dispute,
                                          data={"title": "Renamed", "countries": ["SD"], "track": "2"}),
        "disputes.dispute.updated", {"countries": ["KE", "ET"], "track": "1"},
        {"title": "Renamed", "countries": ["SD"], "track": "2"}),
    "dispute_set_confidentiality": (
        lambda c: services.dispute_set_confidentiality(actor=c.lead, dispute=c.dispute, confidentiality="restricted",
                                                       reason="a leak to the press"),
        "disputes.dispute.restricted", {"confidentiality": "standard"},
        {"confidentiality": "restricted", "reason": "a leak to the press"}),
    "dispute_change_stage": (
        lambda c: services.dispute_change_stage(actor=c.lead, dispute=c.dispute, to_stage="suspended",
                                                reason="elections"),
        "disputes.dispute.stage_changed", {"stage": "intake"}, {"stage": "suspended", "reason": "elections"}),
    "dispute_change_stage to closed": (
        lambda c: services.dispute_change_stage(actor=c.lead, dispute=c.dispute, to_stage="closed",
                                                closure_reason="referred_elsewhere", closed_on=dt.date(2026, 5, 1)),
        "disputes.dispute.stage_changed", {"stage": "intake", "closure_reason": "", "closed_on": None},
        {"stage": "closed", "closure_reason": "referred_elsewhere", "closed_on": "2026-05-01"}),
    "dispute_change_risk": (
        lambda c: services.dispute_change_risk(actor=c.lead, dispute=c.dispute, risk="critical",
                                               assessed_on=dt.date(2026, 4, 1), reason="troops massing"),
        "disputes.dispute.risk_changed", {"risk": "medium"},
        {"risk": "critical", "assessed_on": "2026-04-01", "reason": "troops massing"}),
    "case_party_add": (
        lambda c: services.case_party_add(actor=c.lead, dispute=c.dispute, role="guarantor",
                                          party=PartyFactory(organisation=c.org, name="Neighbour State")),
        "disputes.case_party.added", {}, {"party_name": "Neighbour State", "role": "guarantor"}),
    "case_party_add over a declared conflict": (
        lambda c: (CaseTeamMemberFactory(dispute=c.dispute, affiliations=["Neighbour State"]),
                   services.case_party_add(actor=c.admin, dispute=c.dispute,
                                           party=PartyFactory(organisation=c.org, name="Neighbour State"),
                                           override_reason="the link ended in 2019"))[1],
        "disputes.case_party.conflict_overridden", {},
        {"party_name": "Neighbour State", "conflict_override": {"reason": "the link ended in 2019"}}),
    "case_party_update": (
        lambda c: services.case_party_update(actor=c.lead, case_party=CasePartyFactory(dispute=c.dispute),
                                             data={"red_lines": "No foreign troops", "role": "third_party"}),
        "disputes.case_party.updated", {"red_lines": "", "role": "conflict_party"},
        {"red_lines": "No foreign troops", "role": "third_party"}),
    "case_party_remove": (
        # the deleted row's id, for comparing with the event's target
        lambda c: (cp := CasePartyFactory(dispute=c.dispute, red_lines="Autonomy"), pk := cp.pk,
                   services.case_party_remove(actor=c.lead, case_party=cp), setattr(cp, "pk", pk), cp)[-1],
        "disputes.case_party.removed", {"role": "conflict_party", "red_lines": "Autonomy", "positions": 0}, {}),
    "party_position_set (new)": (
        lambda c: services.party_position_set(actor=c.lead, case_party=CasePartyFactory(dispute=c.dispute),
                                              issue=NegotiationIssueFactory(dispute=c.dispute),
                                              position="Border along the river", interests="Water access"),
        "disputes.position.set", {}, {"position": "Border along the river", "interests": "Water access"}),
    "party_position_set (change)": (
        lambda c: (p := PartyPositionFactory(case_party=CasePartyFactory(dispute=c.dispute),
                                             position="All or nothing", interests="Pride"),
                   services.party_position_set(actor=c.lead, case_party=p.case_party, issue=p.issue,
                                               position="Half the wells", interests="Pride"))[1],
        "disputes.position.set", {"position": "All or nothing", "interests": "Pride"},
        {"position": "Half the wells", "interests": "Pride"}),
    "negotiation_issue_create": (
        lambda c: services.negotiation_issue_create(actor=c.lead, dispute=c.dispute, title="Prisoner  exchange"),
        "disputes.issue.created", {}, {"title": "Prisoner exchange"}),
    "negotiation_issue_update": (
        lambda c: services.negotiation_issue_update(
            actor=c.lead, issue=NegotiationIssueFactory(dispute=c.dispute, title="Water"),
            data={"status": "agreed", "title": "Water points"}),
        "disputes.issue.updated", {"status": "open", "title": "Water"}, {"status": "agreed", "title": "Water points"}),
    "team_member_add": (
        lambda c: services.team_member_add(actor=c.lead, dispute=c.dispute, user=_member(c), role="adviser",
                                           affiliations=["Red Cross"], starts_on=dt.date(2026, 3, 5)),
        "disputes.team.member_added", {},
        {"role": "adviser", "affiliations": ["Red Cross"], "starts_on": "2026-03-05"}),
    "team_member_add over a declared conflict": (
        lambda c: (CasePartyFactory(dispute=c.dispute, party=PartyFactory(organisation=c.org, name="River Union")),
                   services.team_member_add(actor=c.admin, dispute=c.dispute, user=_member(c), role="adviser",
                                            affiliations=["river  union"], override_reason="left in 2019"))[1],
        "disputes.team.conflict_overridden", {},
        {"role": "adviser", "conflict_override": {"reason": "left in 2019"}}),
    "team_member_change_role": (
        lambda c: services.team_member_change_role(actor=c.lead, role="observer",
                                                   member=CaseTeamMemberFactory(dispute=c.dispute, role="adviser")),
        "disputes.team.role_changed", {"role": "adviser"}, {"role": "observer"}),
    "team_member_remove": (
        lambda c: services.team_member_remove(actor=c.lead, member=CaseTeamMemberFactory(dispute=c.dispute),
                                              ends_on=dt.date(2026, 6, 30)),
        "disputes.team.member_removed", {"active": True, "ends_on": None}, {"active": False, "ends_on": "2026-06-30"}),
    "team_lead_transfer": (
        lambda c: services.team_lead_transfer(actor=c.admin, dispute=c.dispute,
                                              to_member=CaseTeamMemberFactory(dispute=c.dispute)),
        "disputes.team.lead_transferred", {"new_lead_role": "co_mediator"}, {}),
    "case_share_grant": (
        lambda c: services.case_share_grant(actor=c.admin, dispute=c.dispute, organisation=c.other_org,
                                            level="contribute"),
        "disputes.share.granted", {}, {"level": "contribute"}),
    "case_share_grant (level change)": (
        lambda c: (CaseShareFactory(dispute=c.dispute, organisation=c.other_org, level="read"),
                   services.case_share_grant(actor=c.admin, dispute=c.dispute, organisation=c.other_org,
                                             level="contribute"))[1],
        "disputes.share.level_changed", {"level": "read"}, {"level": "contribute"}),
    "case_share_revoke": (
        lambda c: services.case_share_revoke(actor=c.admin, share=CaseShareFactory(dispute=c.dispute,
                                                                                   organisation=c.other_org)),
        "disputes.share.revoked", {"revoked": False}, {"revoked": True}),
}


def _subset(expected: dict, actual: dict) -> bool:
    for key, value in expected.items():
        if isinstance(value, dict):
            if not isinstance(actual.get(key), dict) or not _subset(value, actual[key]):
                return False
        elif actual.get(key, object()) != value:
            return False
    return True


@pytest.mark.parametrize("name", list(CALLS))
def test_each_service_writes_one_audit_event(ctx: Ctx, name: str) -> None:
    call, action, before, after = CALLS[name]
    first = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    target = call(ctx)
    new = list(AuditEvent.objects.filter(id__gt=first))
    assert [e.action for e in new] == [action], name
    event = new[0]
    assert event.target_type == f"{target._meta.app_label}.{target._meta.model_name}"
    assert event.target_id == str(target.pk)
    assert event.organisation_id == ctx.org.pk
    assert event.actor_id is not None and event.actor_label
    if target._meta.app_label == "disputes":
        expected_dispute = target.pk if isinstance(target, Dispute) else (
            target.case_party.dispute_id if hasattr(target, "case_party") else target.dispute_id)
        assert event.dispute_id == expected_dispute
    assert _subset(before, event.before), f"{name}: before {event.before}"
    assert _subset(after, event.after), f"{name}: after {event.after}"


def test_an_update_that_changes_nothing_writes_no_event(ctx: Ctx) -> None:
    party = PartyFactory(organisation=ctx.org, name="Hill Herders")
    count = AuditEvent.objects.count()
    party_services.party_update(actor=ctx.admin, party=party, data={"name": "  Hill   Herders "})
    services.dispute_update(actor=ctx.admin, dispute=ctx.dispute, data={"title": ctx.dispute.title})
    assert AuditEvent.objects.count() == count


def test_a_contributor_organisations_change_lands_in_the_owners_trail(ctx: Ctx) -> None:
    partner = OrganisationFactory(slug="partner-forum")
    CaseShareFactory(dispute=ctx.dispute, organisation=partner, level=CaseShare.Level.CONTRIBUTE)
    contributor = Actor.for_membership(MembershipFactory(organisation=partner, role="mediator"))
    services.dispute_change_risk(actor=contributor, dispute=ctx.dispute, risk="high", reason="reports")
    event = AuditEvent.objects.first()
    assert event.action == "disputes.dispute.risk_changed"
    assert event.organisation_id == ctx.org.pk
    assert event.actor_id == contributor.user.pk


def test_an_api_key_is_named_in_the_event(ctx: Ctx) -> None:
    key = Actor(organisation=ctx.org, role="partner", user=None, api_key_id="k1", api_key_name="Monitoring",
                scopes=frozenset({"read", "write"}))
    services.negotiation_issue_create(actor=key, dispute=ctx.dispute, title="Hotline")
    event = AuditEvent.objects.first()
    assert event.actor_id is None
    assert event.actor_label == "API key Monitoring (alpha)"


def test_the_request_id_and_ip_are_kept(ctx: Ctx) -> None:
    token = context.set_current(context.RequestContext(request_id="req-42", ip="203.0.113.7"))
    try:
        services.dispute_change_stage(actor=ctx.lead, dispute=ctx.dispute, to_stage="assessment")
    finally:
        context.reset(token)
    event = AuditEvent.objects.first()
    assert (event.request_id, event.ip) == ("req-42", "203.0.113.7")


def test_a_refused_call_writes_no_event(ctx: Ctx) -> None:
    count = AuditEvent.objects.count()
    with pytest.raises(ApplicationError):
        services.dispute_change_stage(actor=ctx.lead, dispute=ctx.dispute, to_stage="closed")
    assert AuditEvent.objects.count() == count
    assert CaseTeamMember.objects.filter(dispute=ctx.dispute).count() == 1
