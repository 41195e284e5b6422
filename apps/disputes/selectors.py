"""Who may see and change which dispute (DESIGN.md §3), in one place.

Every other app scopes its rows through these functions: a session, a note, an
agreement is visible exactly when its dispute is (team-only notes narrow further).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery

from apps.accounts.actors import Actor
from apps.disputes.models import (
    CaseParty,
    CaseShare,
    CaseTeamMember,
    Confidentiality,
    Dispute,
    NegotiationIssue,
    StageChange,
)
from apps.parties.models import Party, Representative

NOTHING = Q(pk__in=[])


def _team(actor: Actor, dispute_ref: str = "pk") -> QuerySet:
    return CaseTeamMember.objects.filter(dispute=OuterRef(dispute_ref), user_id=actor.user_id, active=True)


def _share(actor: Actor, *, contribute: bool = False, dispute_ref: str = "pk") -> QuerySet:
    qs = CaseShare.objects.filter(dispute=OuterRef(dispute_ref), organisation=actor.organisation,
                                  revoked_at__isnull=True)
    return qs.filter(level=CaseShare.Level.CONTRIBUTE) if contribute else qs


def dispute_visible_q(actor: Actor) -> Q:
    """Disputes the actor may read.

    Own organisation: admins see all; everyone else sees standard disputes and the
    restricted ones whose case team they are on. Other organisations' disputes only
    through an active share, and never restricted ones (sharing is refused for them,
    and a dispute made restricted after sharing disappears from the partner).
    """
    own = Q(organisation=actor.organisation)
    if not actor.is_admin:
        standard = Q(confidentiality=Confidentiality.STANDARD)
        own &= (standard | Exists(_team(actor))) if actor.user_id else standard
    shared = Q(confidentiality=Confidentiality.STANDARD) & Exists(_share(actor))
    return own | shared


def dispute_writable_q(actor: Actor) -> Q:
    """Disputes the actor may change: the case team, the organisation's admins, contributor shares."""
    if not actor.can_write:
        return NOTHING
    if actor.is_admin:
        own = Q(organisation=actor.organisation)
    elif actor.is_api_key:
        own = Q(organisation=actor.organisation, confidentiality=Confidentiality.STANDARD)
    else:
        own = Q(organisation=actor.organisation) & Exists(_team(actor))
    contribute = Q(confidentiality=Confidentiality.STANDARD) & Exists(_share(actor, contribute=True))
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
        return Dispute.objects.none().values("pk")
    return CaseTeamMember.objects.filter(
        user_id=actor.user_id, active=True, dispute__organisation=actor.organisation
    ).values("dispute_id")


def actor_can_write(*, actor: Actor, dispute: Dispute) -> bool:
    return disputes_writable(actor=actor).filter(pk=dispute.pk).exists()


def actor_is_on_team(*, actor: Actor, dispute: Dispute) -> bool:
    return dispute_ids_on_team(actor=actor).filter(dispute_id=dispute.pk).exists()


def dispute_list(*, actor: Actor, filters: dict | None = None) -> QuerySet[Dispute]:
    """The dispute list: parties, lead mediator and the latest stage change, in three queries."""
    latest_change = StageChange.objects.filter(dispute=OuterRef("pk")).order_by("-created_at", "-id")
    qs = (
        disputes_visible(actor=actor)
        .select_related("organisation")
        .annotate(
            last_stage_change_at=Subquery(latest_change.values("created_at")[:1]),
            last_stage_change_to=Subquery(latest_change.values("to_stage")[:1]),
            is_mine=Exists(_team(actor)) if actor.user_id else Q(pk__in=[]),
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
    if f.get("stage"):
        qs = qs.filter(stage__in=f["stage"] if isinstance(f["stage"], list | tuple) else [f["stage"]])
    if f.get("risk"):
        qs = qs.filter(risk=f["risk"])
    if f.get("dispute_type"):
        qs = qs.filter(dispute_types__contains=[f["dispute_type"]])
    if f.get("country"):
        qs = qs.filter(countries__contains=[str(f["country"]).upper()])
    if f.get("process_format"):
        qs = qs.filter(process_format=f["process_format"])
    if f.get("mine"):
        qs = qs.filter(Exists(_team(actor)))
    if f.get("updated_since"):
        qs = qs.filter(updated_at__gte=f["updated_since"])
    if f.get("q"):
        term = str(f["q"]).strip()
        party_match = CaseParty.objects.filter(dispute=OuterRef("pk")).filter(
            Q(party__name__icontains=term) | Q(party__aliases__icontains=term)
        )
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


def stage_change_list(*, actor: Actor, dispute_id: int | None = None) -> QuerySet[StageChange]:
    qs = StageChange.objects.filter(dispute__in=dispute_ids_visible(actor=actor)).select_related("by")
    return qs.filter(dispute_id=dispute_id) if dispute_id else qs


def case_party_list(*, actor: Actor, dispute_id: int | None = None) -> QuerySet[CaseParty]:
    qs = CaseParty.objects.filter(dispute__in=dispute_ids_visible(actor=actor)).select_related("party", "dispute")
    return qs.filter(dispute_id=dispute_id) if dispute_id else qs


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


def party_visible_q(actor: Actor) -> Q:
    """Own organisation's parties, and the parties of disputes shared with the organisation."""
    shared = CaseParty.objects.filter(
        party=OuterRef("pk"), dispute__in=Dispute.objects.filter(dispute_visible_q(actor))
        .exclude(organisation=actor.organisation).values("pk")
    )
    return Q(organisation=actor.organisation) | Exists(shared)


def party_list(*, actor: Actor, q: str | None = None) -> QuerySet[Party]:
    qs = Party.objects.filter(party_visible_q(actor))
    if q:
        from apps.parties.models import normalise_name

        term = normalise_name(q)
        qs = qs.filter(Q(normalised_name__contains=term) | Q(aliases__icontains=q.strip()))
    return qs.order_by("name", "id")


def parties_writable(*, actor: Actor) -> QuerySet[Party]:
    if not actor.can_write:
        return Party.objects.none()
    return Party.objects.filter(organisation=actor.organisation)


def representative_list(*, actor: Actor, party_id: int | None = None) -> QuerySet[Representative]:
    qs = Representative.objects.filter(party__in=Party.objects.filter(party_visible_q(actor)).values("pk"))
    qs = qs.select_related("party")
    return qs.filter(party_id=party_id) if party_id else qs
