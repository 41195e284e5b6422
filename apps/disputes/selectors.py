"""Who may see and change which dispute (DESIGN.md §3), in one place.

Every other app scopes its rows through these functions: a session, a note, an
agreement is visible exactly when its dispute is (team-only notes narrow further).

The rules:
- Own organisation: admins see every dispute; other members (and the organisation's API
  keys) see the standard ones, and the restricted ones whose case team they are on.
  Analysts and partner-role members never count as team members, even on a stale row.
- Another organisation's dispute: only through an active share (read or contribute), and
  never a restricted one.
- Writing (case work): the case team (writing roles only), the organisation's admins, its
  write-scoped API keys on standard disputes, and members with a writing role of an
  organisation holding a contribute share. Which change needs more than that (the case team,
  confidentiality, shares, closing) is decided in ``apps/disputes/policies.py``.
"""

from __future__ import annotations

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import BooleanField, CharField, Exists, F, Func, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.lookups import Contains

from apps.accounts.actors import WRITING_ROLES, Actor
from apps.disputes.models import (
    CaseParty,
    CaseShare,
    CaseTeamMember,
    Confidentiality,
    Dispute,
    NegotiationIssue,
    PartyPosition,
    RiskAssessment,
    StageChange,
)
from apps.parties.models import Party, Representative, normalise_name

NOTHING = Q(pk__in=[])


class _InArray(Func):
    """``<column> = ANY(ARRAY(<subquery>))``.

    Unlike ``IN (subquery)`` or ``EXISTS``, PostgreSQL evaluates the array once (an InitPlan)
    and can then use an index on the column inside an OR, so the dispute list of an
    organisation stays an index scan on (organisation, ...) plus the few shared ids.
    """

    arg_joiner = " = ANY("
    template = "(%(expressions)s))"
    output_field = BooleanField()


def _id_in(column: str, subquery: QuerySet) -> _InArray:
    return _InArray(F(column), ArraySubquery(subquery))


def _team_dispute_ids(actor: Actor) -> QuerySet:
    # order_by(): an ARRAY(subquery) keeps the model's ordering otherwise, a sort for nothing.
    return CaseTeamMember.objects.filter(user_id=actor.user_id, active=True).order_by().values("dispute_id")


def _shared_dispute_ids(actor: Actor, *, contribute: bool = False) -> QuerySet:
    qs = CaseShare.objects.filter(organisation=actor.organisation, revoked_at__isnull=True).order_by()
    if contribute:
        qs = qs.filter(level=CaseShare.Level.CONTRIBUTE)
    return qs.values("dispute_id")


def _counts_as_team(actor: Actor) -> bool:
    # Only writing roles sit on a case team: a stale team row of an analyst or partner grants nothing.
    return actor.user_id is not None and not actor.is_api_key and actor.role in WRITING_ROLES


def _team(actor: Actor, dispute_ref: str = "pk") -> QuerySet:
    return CaseTeamMember.objects.filter(dispute=OuterRef(dispute_ref), user_id=actor.user_id, active=True)


def _share(actor: Actor, *, contribute: bool = False, dispute_ref: str = "pk") -> QuerySet:
    qs = CaseShare.objects.filter(dispute=OuterRef(dispute_ref), organisation=actor.organisation,
                                  revoked_at__isnull=True)
    return qs.filter(level=CaseShare.Level.CONTRIBUTE) if contribute else qs


def dispute_visible_q(actor: Actor) -> Q:
    """Disputes the actor may read (see the module docstring)."""
    standard = Q(confidentiality=Confidentiality.STANDARD)
    own = Q(organisation=actor.organisation)
    if not actor.is_admin:
        own &= (standard | _id_in("pk", _team_dispute_ids(actor))) if _counts_as_team(actor) else standard
    shared = standard & _id_in("pk", _shared_dispute_ids(actor))
    return own | shared


def dispute_writable_q(actor: Actor) -> Q:
    """Disputes the actor may change: the case team, the organisation's admins, contributor shares."""
    if not actor.can_write:
        return NOTHING
    standard = Q(confidentiality=Confidentiality.STANDARD)
    if actor.is_admin:
        own = Q(organisation=actor.organisation)
    elif actor.is_api_key:
        own = Q(organisation=actor.organisation) & standard
    else:
        own = Q(organisation=actor.organisation) & _id_in("pk", _team_dispute_ids(actor))
    contribute = standard & _id_in("pk", _shared_dispute_ids(actor, contribute=True))
    return own | contribute


def disputes_visible(*, actor: Actor) -> QuerySet[Dispute]:
    return Dispute.objects.filter(dispute_visible_q(actor))


def disputes_writable(*, actor: Actor) -> QuerySet[Dispute]:
    return Dispute.objects.filter(dispute_writable_q(actor))


def dispute_ids_visible(*, actor: Actor) -> QuerySet:
    return disputes_visible(actor=actor).values("pk")


def dispute_ids_on_team(*, actor: Actor) -> QuerySet:
    """Disputes whose team-only material the actor may read: own organisation's, on the team."""
    if not actor.may_read_team_notes:
        # Same shape as below, so callers can filter on dispute_id either way.
        return CaseTeamMember.objects.none().values("dispute_id")
    return CaseTeamMember.objects.filter(
        user_id=actor.user_id, active=True, dispute__organisation=actor.organisation
    ).values("dispute_id")


def actor_is_on_team(*, actor: Actor, dispute: Dispute) -> bool:
    return dispute_ids_on_team(actor=actor).filter(dispute_id=dispute.pk).exists()


def _as_list(value) -> list:
    return list(value) if isinstance(value, list | tuple | set | frozenset) else [value]


def dispute_list(*, actor: Actor, filters: dict | None = None) -> QuerySet[Dispute]:
    """The dispute list: parties, lead mediator and the latest stage change, in three queries.

    ``filters`` (all optional): stage, risk, confidentiality, process_format, track (a value or a
    list of values), dispute_type, country, mine (on the actor's team), updated_since, reference
    (exact), q (title, reference, party name or alias).
    """
    latest_change = StageChange.objects.filter(dispute=OuterRef("pk")).order_by("-created_at", "-id")
    on_team = _id_in("pk", _team_dispute_ids(actor)) if _counts_as_team(actor) else Value(False)
    qs = (
        disputes_visible(actor=actor)
        .select_related("organisation")
        .annotate(
            last_stage_change_at=Subquery(latest_change.values("created_at")[:1]),
            last_stage_change_to=Subquery(latest_change.values("to_stage")[:1]),
            is_mine=on_team,
        )
        .prefetch_related(
            Prefetch(
                "case_parties",
                queryset=CaseParty.objects.select_related("party").order_by("id"),
                to_attr="parties_loaded",
            ),
            Prefetch(
                "team",
                queryset=CaseTeamMember.objects.filter(active=True, role=CaseTeamMember.Role.LEAD_MEDIATOR)
                .select_related("user"),
                to_attr="leads_loaded",
            ),
        )
    )
    f = filters or {}
    for key, column in (("stage", "stage"), ("risk", "risk"), ("confidentiality", "confidentiality"),
                        ("process_format", "process_format"), ("track", "track")):
        if f.get(key):
            qs = qs.filter(**{f"{column}__in": _as_list(f[key])})
    if f.get("dispute_type"):
        qs = qs.filter(dispute_types__contains=[f["dispute_type"]])
    if f.get("country"):
        qs = qs.filter(countries__contains=[str(f["country"]).strip().upper()])
    if f.get("mine"):
        qs = qs.filter(is_mine=True)
    if f.get("updated_since"):
        qs = qs.filter(updated_at__gte=f["updated_since"])
    if f.get("reference"):
        qs = qs.filter(reference=str(f["reference"]).strip().upper())
    if f.get("q") and str(f["q"]).strip():
        term = str(f["q"]).strip()
        party_match = CaseParty.objects.filter(dispute=OuterRef("pk")).filter(_party_search_q(term, prefix="party__"))
        qs = qs.filter(Q(title__icontains=term) | Q(reference__icontains=term) | Exists(party_match))
    return qs


def dispute_detail(*, actor: Actor) -> QuerySet[Dispute]:
    """One dispute with everything its header and parties section need."""
    return dispute_list(actor=actor).prefetch_related(
        Prefetch("issues", queryset=NegotiationIssue.objects.order_by("order", "id")),
        Prefetch(
            "team", queryset=CaseTeamMember.objects.filter(active=True).select_related("user"), to_attr="team_loaded"
        ),
    )


def dispute_get(*, actor: Actor, dispute_id: int | str | None = None, reference: str | None = None) -> Dispute | None:
    """The dispute if the actor may see it, else None (the caller answers 404 either way)."""
    if dispute_id is None and not reference:
        return None
    qs = disputes_visible(actor=actor).select_related("organisation")
    if dispute_id is not None:
        if not str(dispute_id).isdecimal():
            return None
        qs = qs.filter(pk=int(dispute_id))
    if reference:
        qs = qs.filter(reference=str(reference).strip().upper())
    return qs.first()


def stage_change_list(*, actor: Actor, dispute_id: int | None = None) -> QuerySet[StageChange]:
    qs = StageChange.objects.filter(dispute__in=dispute_ids_visible(actor=actor)).select_related("by")
    return qs.filter(dispute_id=dispute_id) if dispute_id else qs


def risk_assessment_list(*, actor: Actor, dispute_id: int | None = None) -> QuerySet[RiskAssessment]:
    """The dated escalation-risk history of the disputes the actor may see."""
    qs = RiskAssessment.objects.filter(dispute__in=dispute_ids_visible(actor=actor)).select_related("by")
    return qs.filter(dispute_id=dispute_id) if dispute_id else qs


def case_party_list(*, actor: Actor, dispute_id: int | None = None) -> QuerySet[CaseParty]:
    qs = CaseParty.objects.filter(dispute__in=dispute_ids_visible(actor=actor)).select_related("party", "dispute")
    return qs.filter(dispute_id=dispute_id) if dispute_id else qs


def party_position_list(
    *, actor: Actor, dispute_id: int | None = None, issue_id: int | None = None
) -> QuerySet[PartyPosition]:
    """Positions and interests per party and issue, of the disputes the actor may see."""
    qs = PartyPosition.objects.filter(case_party__dispute__in=dispute_ids_visible(actor=actor)).select_related(
        "case_party__party", "issue"
    ).order_by("issue__order", "issue_id", "case_party_id")
    if dispute_id:
        qs = qs.filter(case_party__dispute_id=dispute_id)
    if issue_id:
        qs = qs.filter(issue_id=issue_id)
    return qs


def negotiation_issue_list(*, actor: Actor, dispute_id: int | None = None) -> QuerySet[NegotiationIssue]:
    qs = NegotiationIssue.objects.filter(dispute__in=dispute_ids_visible(actor=actor))
    return qs.filter(dispute_id=dispute_id) if dispute_id else qs


def team_member_list(*, actor: Actor, dispute_id: int | None = None, include_past: bool = False):
    qs = CaseTeamMember.objects.filter(dispute__in=dispute_ids_visible(actor=actor)).select_related("user")
    if not include_past:
        qs = qs.filter(active=True)
    return qs.filter(dispute_id=dispute_id) if dispute_id else qs


def case_share_list(*, actor: Actor, dispute_id: int | None = None) -> QuerySet[CaseShare]:
    """Shares are the owning organisation's business: its members see them, grantees do not."""
    qs = CaseShare.objects.filter(
        dispute__in=dispute_ids_visible(actor=actor), dispute__organisation=actor.organisation
    ).select_related("organisation", "dispute")
    return qs.filter(dispute_id=dispute_id) if dispute_id else qs


# --- parties ------------------------------------------------------------------------------------

# Between aliases when they are searched as one string: a term never matches across two aliases
# (normalise_name turns this character, like all white space, into a plain space).
_ALIAS_SEPARATOR = "\x1f"


def _party_search_q(term: str, *, prefix: str = "") -> Q:
    """A party whose normalised name or one of its normalised aliases contains the term."""
    key = normalise_name(term)
    if not key:
        return Q()
    aliases = Func(F(f"{prefix}normalised_aliases"), Value(_ALIAS_SEPARATOR), function="array_to_string",
                   output_field=CharField())
    return Q(**{f"{prefix}normalised_name__contains": key}) | Contains(aliases, key)


def party_visible_q(actor: Actor) -> Q:
    """Own organisation's parties, and the parties of disputes shared with the organisation."""
    shared = CaseParty.objects.filter(
        party=OuterRef("pk"), dispute__in=Dispute.objects.filter(dispute_visible_q(actor))
        .exclude(organisation=actor.organisation).values("pk")
    )
    return Q(organisation=actor.organisation) | Exists(shared)


def party_list(
    *, actor: Actor, q: str | None = None, kind: str | None = None, country: str | None = None
) -> QuerySet[Party]:
    """Parties the actor may see; ``q`` matches the name or any alias, ignoring case, accents and spacing."""
    qs = Party.objects.filter(party_visible_q(actor))
    if q and normalise_name(q):
        qs = qs.filter(_party_search_q(q))
    if kind:
        qs = qs.filter(kind=kind)
    if country:
        qs = qs.filter(country=str(country).strip().upper())
    return qs.order_by("name", "id")


def party_get(*, actor: Actor, party_id: int | str) -> Party | None:
    """The party if the actor may see it, else None."""
    if not str(party_id).isdecimal():
        return None
    return Party.objects.filter(party_visible_q(actor), pk=int(party_id)).first()


def party_find_by_name(*, actor: Actor, name: str) -> QuerySet[Party]:
    """The actor's own organisation's parties whose name or an alias *is* this name (after normalising).

    For "this party may already exist" hints and for matching imported names.
    """
    key = normalise_name(name)
    if not key:
        return Party.objects.none()
    return Party.objects.filter(organisation=actor.organisation).filter(
        Q(normalised_name=key) | Q(normalised_aliases__contains=[key])
    ).order_by("name", "id")


def parties_writable(*, actor: Actor) -> QuerySet[Party]:
    if not actor.can_write:
        return Party.objects.none()
    return Party.objects.filter(organisation=actor.organisation)


def representative_list(*, actor: Actor, party_id: int | None = None) -> QuerySet[Representative]:
    qs = Representative.objects.filter(party__in=Party.objects.filter(party_visible_q(actor)).values("pk"))
    qs = qs.select_related("party")
    return qs.filter(party_id=party_id) if party_id else qs
