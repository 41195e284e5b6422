"""The permission matrix (DESIGN.md §3): for every model of the case core and every kind of
caller, exactly which rows the selectors return and which service calls succeed.

The world: organisation Alpha owns three disputes — "std" (standard, shared with Reader for
read and with Contributor to contribute), "res" (restricted) and "plain" (standard, never
shared; a revoked share with Beta) — and Beta owns "beta". The lead and the co-mediator are
on the teams of std and res; plain has a lead of its own. Each dispute carries one row of
every dispute-scoped model; parties "std", "res", "plain" are in those disputes, "free" in
none, "beta" is Beta's.

One test per caller, a subtest per model: a failure names both, e.g.
"SUBFAIL test_visible_rows[analyst] [analyst reading CaseParty] (model='CaseParty')".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from apps.accounts.actors import Actor
from apps.common.errors import AccessDenied, ApplicationError
from apps.common.models import AuditEvent
from apps.disputes import selectors, services
from apps.disputes.models import (
    CaseParty,
    CaseShare,
    CaseTeamMember,
    Dispute,
    NegotiationIssue,
    PartyPosition,
    RiskAssessment,
    StageChange,
)
from apps.parties import services as party_services
from apps.parties.models import Party, Representative
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
    RiskAssessmentFactory,
)

pytestmark = pytest.mark.django_db

ALPHA_DISPUTES = {"std", "res", "plain"}
ALL_DISPUTES = {*ALPHA_DISPUTES, "beta"}
ALPHA_PARTIES = {"std", "res", "plain", "free"}

# Which disputes each caller reads.
VISIBLE: dict[str, set[str]] = {
    "admin": {"std", "res", "plain"},
    "lead_mediator": {"std", "res", "plain"},
    "co_mediator": {"std", "res", "plain"},
    "mediator_off_team": {"std", "plain"},
    "case_officer_off_team": {"std", "plain"},
    "analyst": {"std", "plain"},
    "partner_member": {"std", "plain"},
    "api_key_read": {"std", "plain"},
    "api_key_write": {"std", "plain"},
    "other_org_admin": {"beta"},
    "shared_read_member": {"std"},
    "shared_contribute_member": {"std"},
    "shared_contribute_analyst": {"std"},
    "shared_contribute_api_key_write": {"std"},
}
# Which disputes each caller may change (dispute, stage, risk, parties, positions, issues).
WRITABLE: dict[str, set[str]] = {
    "admin": {"std", "res", "plain"},
    "lead_mediator": {"std", "res"},
    "co_mediator": {"std", "res"},
    "mediator_off_team": set(),
    "case_officer_off_team": set(),
    "analyst": set(),
    "partner_member": set(),
    "api_key_read": set(),
    "api_key_write": {"std", "plain"},
    "other_org_admin": {"beta"},
    "shared_read_member": set(),
    "shared_contribute_member": {"std"},
    "shared_contribute_analyst": set(),
    "shared_contribute_api_key_write": {"std"},
}
OWN_ORG_ROLES = {"admin", "lead_mediator", "co_mediator", "mediator_off_team", "case_officer_off_team", "analyst",
                 "partner_member", "api_key_read", "api_key_write"}
# The case team (DESIGN.md §3b): the owning organisation's admins and the dispute's lead mediator only;
# never API keys, contributor organisations or other team members (issue #14).
TEAM_MANAGEABLE = {role: set() for role in WRITABLE} | {
    "admin": ALPHA_DISPUTES, "lead_mediator": {"std", "res"}, "other_org_admin": {"beta"}}
# Sharing: an admin of the owning organisation, never for a restricted dispute.
SHARE_OK = {"admin": {"std", "plain"}, "other_org_admin": {"beta"}}
SHARE_REFUSED_AS_RESTRICTED = {"admin": {"res"}}
# Parties and representatives: the writing members (and write-scoped keys) of their organisation.
PARTY_VISIBLE = {role: (ALPHA_PARTIES if role in OWN_ORG_ROLES else {"beta"} if role == "other_org_admin" else {"std"})
                 for role in VISIBLE}
PARTY_WRITABLE = {
    "admin": ALPHA_PARTIES, "lead_mediator": ALPHA_PARTIES, "co_mediator": ALPHA_PARTIES,
    "mediator_off_team": ALPHA_PARTIES, "case_officer_off_team": ALPHA_PARTIES, "api_key_write": ALPHA_PARTIES,
    "other_org_admin": {"beta"},
}

ROLES = list(VISIBLE)
MODELS = ["Party", "Representative", "Dispute", "StageChange", "RiskAssessment", "CaseParty", "PartyPosition",
          "NegotiationIssue", "CaseTeamMember", "CaseShare"]


@dataclass
class World:
    orgs: dict[str, object]
    actors: dict[str, Actor]
    disputes: dict[str, Dispute]
    parties: dict[str, Party]
    rows: dict[str, list[tuple[str, object]]] = field(default_factory=dict)  # model -> [(key, row)]


@pytest.fixture
def world() -> World:
    alpha = OrganisationFactory(slug="alpha", name="Alpha Mediation")
    beta = OrganisationFactory(slug="beta", name="Beta Mediation")
    reader = OrganisationFactory(slug="reader", name="Reader Institute")
    contributor = OrganisationFactory(slug="contributor", name="Contributor Forum")

    def member(org, role):
        return MembershipFactory(organisation=org, role=role)

    lead, co = member(alpha, "mediator"), member(alpha, "mediator")
    actors = {
        "admin": Actor.for_membership(member(alpha, "admin")),
        "lead_mediator": Actor.for_membership(lead),
        "co_mediator": Actor.for_membership(co),
        "mediator_off_team": Actor.for_membership(member(alpha, "mediator")),
        "case_officer_off_team": Actor.for_membership(member(alpha, "case_officer")),
        "analyst": Actor.for_membership(member(alpha, "analyst")),
        "partner_member": Actor.for_membership(member(alpha, "partner")),
        "api_key_read": Actor(organisation=alpha, role="partner", user=None, api_key_id="k1",
                              scopes=frozenset({"read"})),
        "api_key_write": Actor(organisation=alpha, role="partner", user=None, api_key_id="k2",
                               scopes=frozenset({"read", "write"})),
        "other_org_admin": Actor.for_membership(member(beta, "admin")),
        "shared_read_member": Actor.for_membership(member(reader, "mediator")),
        "shared_contribute_member": Actor.for_membership(member(contributor, "mediator")),
        "shared_contribute_analyst": Actor.for_membership(member(contributor, "analyst")),
        "shared_contribute_api_key_write": Actor(organisation=contributor, role="partner", user=None,
                                                 api_key_id="k3", scopes=frozenset({"read", "write"})),
    }
    disputes = {
        "std": DisputeFactory(organisation=alpha, title="Standard shared", lead=lead.user),
        "res": DisputeFactory(organisation=alpha, title="Restricted", confidentiality="restricted", lead=lead.user),
        "plain": DisputeFactory(organisation=alpha, title="Plain"),
        "beta": DisputeFactory(organisation=beta, title="Beta's own"),
    }
    w = World(orgs={"alpha": alpha, "beta": beta, "reader": reader, "contributor": contributor},
              actors=actors, disputes=disputes, parties={})
    for key in ("std", "res"):
        CaseTeamMemberFactory(dispute=disputes[key], user=co.user, role=CaseTeamMember.Role.CO_MEDIATOR)
    for key, dispute in disputes.items():
        w.parties[key] = PartyFactory(organisation=dispute.organisation, name=f"Party of {key}")
        case_party = CasePartyFactory(dispute=dispute, party=w.parties[key])
        issue = NegotiationIssueFactory(dispute=dispute, title=f"Issue of {key}")
        PartyPositionFactory(case_party=case_party, issue=issue)
        RiskAssessmentFactory(dispute=dispute)
    w.parties["free"] = PartyFactory(organisation=alpha, name="Party in no dispute")
    for party in w.parties.values():
        RepresentativeFactory(party=party)
    CaseShareFactory(dispute=disputes["std"], organisation=reader, level=CaseShare.Level.READ)
    CaseShareFactory(dispute=disputes["std"], organisation=contributor, level=CaseShare.Level.CONTRIBUTE)
    CaseShareFactory(dispute=disputes["plain"], organisation=beta, level=CaseShare.Level.CONTRIBUTE,
                     revoked_at=dt.datetime(2026, 2, 1, tzinfo=dt.UTC))

    by_dispute = {d.pk: key for key, d in disputes.items()}
    by_party = {p.pk: key for key, p in w.parties.items()}
    w.rows = {
        "Dispute": [(by_dispute[d.pk], d) for d in Dispute.objects.all()],
        "StageChange": [(by_dispute[r.dispute_id], r) for r in StageChange.objects.all()],
        "RiskAssessment": [(by_dispute[r.dispute_id], r) for r in RiskAssessment.objects.all()],
        "CaseParty": [(by_dispute[r.dispute_id], r) for r in CaseParty.objects.all()],
        "PartyPosition": [(by_dispute[r.case_party.dispute_id], r)
                          for r in PartyPosition.objects.select_related("case_party")],
        "NegotiationIssue": [(by_dispute[r.dispute_id], r) for r in NegotiationIssue.objects.all()],
        "CaseTeamMember": [(by_dispute[r.dispute_id], r) for r in CaseTeamMember.objects.all()],
        "CaseShare": [(by_dispute[r.dispute_id], r) for r in CaseShare.objects.all()],
        "Party": [(by_party[p.pk], p) for p in Party.objects.all()],
        "Representative": [(by_party[r.party_id], r) for r in Representative.objects.all()],
    }
    return w


SELECTORS: dict[str, Callable] = {
    "Dispute": lambda actor: selectors.dispute_list(actor=actor),
    "StageChange": lambda actor: selectors.stage_change_list(actor=actor),
    "RiskAssessment": lambda actor: selectors.risk_assessment_list(actor=actor),
    "CaseParty": lambda actor: selectors.case_party_list(actor=actor),
    "PartyPosition": lambda actor: selectors.party_position_list(actor=actor),
    "NegotiationIssue": lambda actor: selectors.negotiation_issue_list(actor=actor),
    "CaseTeamMember": lambda actor: selectors.team_member_list(actor=actor),
    "CaseShare": lambda actor: selectors.case_share_list(actor=actor),
    "Party": lambda actor: selectors.party_list(actor=actor),
    "Representative": lambda actor: selectors.representative_list(actor=actor),
}


def _expected_keys(role: str, model: str) -> set[str]:
    if model in ("Party", "Representative"):
        return PARTY_VISIBLE[role]
    if model == "CaseShare":
        # Shares are listed to the owning organisation only.
        return VISIBLE[role] & (ALPHA_DISPUTES if role in OWN_ORG_ROLES else {"beta"})
    return VISIBLE[role]


@pytest.mark.parametrize("role", ROLES)
def test_visible_rows(world: World, role: str, subtests) -> None:
    actor = world.actors[role]
    for model in MODELS:
        with subtests.test(msg=f"{role} reading {model}", model=model):
            expected_keys = _expected_keys(role, model)
            expected = {row.pk for key, row in world.rows[model] if key in expected_keys}
            hidden = {row.pk for key, row in world.rows[model] if key not in expected_keys}
            seen = set(SELECTORS[model](actor).values_list("pk", flat=True))
            assert seen == expected, f"{role} / {model}: saw {sorted(seen)}, expected {sorted(expected)}"
            assert not seen & hidden


# --- writes -------------------------------------------------------------------------------------


def _write(world: World, model: str, key: str, actor: Actor) -> None:
    """One service call that changes a row of ``model`` in dispute (or party) ``key``."""
    if model in ("Party", "Representative"):
        party = world.parties[key]
        if model == "Party":
            party_services.party_update(actor=actor, party=party, data={"notes": f"changed by {actor.label}"})
        else:
            party_services.representative_create(actor=actor, party=party, name="Amina Yusuf",
                                                 time_zone="Africa/Khartoum")
        return
    dispute = world.disputes[key]
    if model == "Dispute":
        services.dispute_update(actor=actor, dispute=dispute, data={"summary": f"changed by {actor.label}"})
    elif model == "StageChange":
        services.dispute_change_stage(actor=actor, dispute=dispute, to_stage="assessment", reason="mission agreed")
    elif model == "RiskAssessment":
        services.dispute_change_risk(actor=actor, dispute=dispute, risk="critical", reason="clashes")
    elif model == "CaseParty":
        services.case_party_add(actor=actor, dispute=dispute,
                                party=PartyFactory(organisation=dispute.organisation, name=f"New party {key}"))
    elif model == "PartyPosition":
        position = PartyPosition.objects.select_related("case_party__dispute", "issue").get(
            case_party__party=world.parties[key])
        services.party_position_set(actor=actor, case_party=position.case_party, issue=position.issue,
                                    position=f"A phased withdrawal ({actor.label})", interests="Safe return")
    elif model == "NegotiationIssue":
        services.negotiation_issue_create(actor=actor, dispute=dispute, title="Prisoner exchange")
    elif model == "CaseTeamMember":
        newcomer = MembershipFactory(organisation=dispute.organisation, role="mediator").user
        services.team_member_add(actor=actor, dispute=dispute, user=newcomer, role="adviser")
    elif model == "CaseShare":
        services.case_share_grant(actor=actor, dispute=dispute, organisation=OrganisationFactory(), level="read")
    else:  # pragma: no cover
        raise AssertionError(model)


def _expected_writes(role: str, model: str) -> set[str]:
    if model in ("Party", "Representative"):
        return PARTY_WRITABLE.get(role, set())
    if model == "CaseTeamMember":
        return TEAM_MANAGEABLE[role]
    if model == "CaseShare":
        return SHARE_OK.get(role, set())
    return WRITABLE[role]


def _model_count(model: str) -> int:
    return {"Party": Party, "Representative": Representative, "Dispute": Dispute, "StageChange": StageChange,
            "RiskAssessment": RiskAssessment, "CaseParty": CaseParty, "PartyPosition": PartyPosition,
            "NegotiationIssue": NegotiationIssue, "CaseTeamMember": CaseTeamMember,
            "CaseShare": CaseShare}[model].objects.count()


@pytest.mark.parametrize("role", ROLES)
def test_writes(world: World, role: str, subtests) -> None:
    """Each model's write, tried on every dispute (or party); one world per role, a subtest per model.

    The writes of one model do not change who may write another (no stage is final, no one
    joins or leaves a team the actor is on, no share is granted to the actor's organisation).
    """
    actor = world.actors[role]
    for model in MODELS:
        with subtests.test(msg=f"{role} writing {model}", model=model):
            _check_writes(world, role, model, actor)


def _check_writes(world: World, role: str, model: str, actor: Actor) -> None:
    keys = ALPHA_PARTIES | {"beta"} if model in ("Party", "Representative") else ALL_DISPUTES
    expected_ok = _expected_writes(role, model)
    refused_as_restricted = SHARE_REFUSED_AS_RESTRICTED.get(role, set()) if model == "CaseShare" else set()
    for key in sorted(keys):
        rows, events = _model_count(model), AuditEvent.objects.count()
        label = f"{role} writing {model} of {key}"
        if key in expected_ok:
            _write(world, model, key, actor)
            assert AuditEvent.objects.count() == events + 1, label
            continue
        if key in refused_as_restricted:
            with pytest.raises(ApplicationError) as refused:
                _write(world, model, key, actor)
            assert not isinstance(refused.value, AccessDenied), label
            assert refused.value.field == "dispute", label
        else:
            with pytest.raises(AccessDenied):
                _write(world, model, key, actor)
        assert _model_count(model) == rows, label
        assert AuditEvent.objects.count() == events, label


# --- edges the matrix does not show -----------------------------------------------------------------


def test_a_stale_team_row_gives_an_analyst_nothing_of_a_restricted_dispute(world: World) -> None:
    analyst = world.actors["analyst"]
    CaseTeamMember.objects.create(dispute=world.disputes["res"], user=analyst.user, role="observer",
                                  starts_on=dt.date(2026, 1, 15))
    assert world.disputes["res"] not in selectors.disputes_visible(actor=analyst)
    assert not selectors.dispute_ids_on_team(actor=analyst).exists()
    with pytest.raises(AccessDenied):
        services.dispute_update(actor=analyst, dispute=world.disputes["res"], data={"summary": "x"})


def test_leaving_the_team_ends_access_to_a_restricted_dispute(world: World) -> None:
    admin, co = world.actors["admin"], world.actors["co_mediator"]
    member = CaseTeamMember.objects.get(dispute=world.disputes["res"], user=co.user)
    services.team_member_remove(actor=admin, member=member)
    assert selectors.dispute_get(actor=co, dispute_id=world.disputes["res"].pk) is None
    assert selectors.dispute_get(actor=co, dispute_id=world.disputes["std"].pk) is not None


def test_a_revoked_share_ends_the_partner_organisations_access(world: World) -> None:
    reader = world.actors["shared_read_member"]
    share = CaseShare.objects.get(dispute=world.disputes["std"], organisation=world.orgs["reader"])
    services.case_share_revoke(actor=world.actors["admin"], share=share)
    assert not selectors.disputes_visible(actor=reader).exists()
    assert not selectors.party_list(actor=reader).exists()
    assert not selectors.case_party_list(actor=reader).exists()


def test_a_contributor_organisation_cannot_remove_or_promote_team_members(world: World) -> None:
    contributor = world.actors["shared_contribute_member"]
    member = CaseTeamMember.objects.get(dispute=world.disputes["std"], user=world.actors["co_mediator"].user)
    with pytest.raises(AccessDenied):
        services.team_member_remove(actor=contributor, member=member)
    with pytest.raises(AccessDenied):
        services.team_lead_transfer(actor=contributor, dispute=world.disputes["std"], to_member=member)
    member.refresh_from_db()
    assert member.active and member.role == CaseTeamMember.Role.CO_MEDIATOR


def test_only_the_owning_admin_revokes_a_share(world: World) -> None:
    share = CaseShare.objects.get(dispute=world.disputes["std"], organisation=world.orgs["contributor"])
    for role in ROLES:
        if role == "admin":
            continue
        with pytest.raises(AccessDenied):
            services.case_share_revoke(actor=world.actors[role], share=share)
    share.refresh_from_db()
    assert share.revoked_at is None


def test_restricting_or_opening_up_is_for_admins_and_the_lead_only(world: World) -> None:
    plain = world.disputes["plain"]
    for role in ("co_mediator", "api_key_write", "shared_contribute_member"):
        with pytest.raises(AccessDenied):
            services.dispute_set_confidentiality(actor=world.actors[role], dispute=world.disputes["res"],
                                                 confidentiality="standard")
    with pytest.raises(AccessDenied):
        services.dispute_update(actor=world.actors["co_mediator"], dispute=world.disputes["res"],
                                data={"confidentiality": "standard"})
    services.dispute_set_confidentiality(actor=world.actors["lead_mediator"], dispute=world.disputes["res"],
                                         confidentiality="standard", reason="talks are public now")
    services.dispute_set_confidentiality(actor=world.actors["admin"], dispute=plain, confidentiality="restricted")
    assert plain not in selectors.disputes_visible(actor=world.actors["mediator_off_team"])


def test_a_shared_dispute_cannot_be_restricted_until_its_shares_are_revoked(world: World) -> None:
    std = world.disputes["std"]
    with pytest.raises(ApplicationError) as refused:
        services.dispute_set_confidentiality(actor=world.actors["admin"], dispute=std, confidentiality="restricted")
    assert refused.value.field == "confidentiality"
    std.refresh_from_db()
    assert std.confidentiality == "standard"
