"""Reads of proposals, scoped through apps/disputes/selectors.py: a proposal is visible exactly when its dispute is."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import (
    BooleanField,
    Case,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Now

from apps.accounts.actors import Actor
from apps.disputes.models import NegotiationIssue
from apps.disputes.selectors import dispute_ids_visible
from apps.negotiations.models import LIVE_STATUSES, Proposal, ProposalResponse, ProposalStatus


def proposal_visible_q(actor: Actor, prefix: str = "") -> Q:
    return Q(**{f"{prefix}dispute__in": dispute_ids_visible(actor=actor)})


def proposals_visible(*, actor: Actor) -> QuerySet[Proposal]:
    return Proposal.objects.filter(proposal_visible_q(actor))


def _with_overdue(qs: QuerySet[Proposal]) -> QuerySet[Proposal]:
    return qs.annotate(
        response_overdue=ExpressionWrapper(
            Q(status__in=LIVE_STATUSES, response_deadline__lt=Now()), output_field=BooleanField()
        )
    )


def proposal_list(
    *,
    actor: Actor,
    dispute_id: int | None = None,
    issue_id: int | None = None,
    status: str | list[str] | None = None,
    awaiting_response: bool = False,
) -> QuerySet[Proposal]:
    """Proposals with issue, party and session loaded, and ``response_overdue`` from the database."""
    qs = _with_overdue(
        proposals_visible(actor=actor).select_related("issue", "tabled_by__party", "tabled_in", "dispute")
    )
    if dispute_id:
        qs = qs.filter(dispute_id=dispute_id)
    if issue_id:
        qs = qs.filter(issue_id=issue_id)
    if status:
        qs = qs.filter(status__in=[status] if isinstance(status, str) else list(status))
    if awaiting_response:
        qs = qs.filter(status__in=LIVE_STATUSES, response_deadline__isnull=False).order_by("response_deadline", "id")
        return qs
    return qs.order_by("-tabled_at", "-id")


def proposal_get(*, actor: Actor, proposal_id: int) -> Proposal | None:
    return (
        proposal_list(actor=actor)
        .filter(pk=proposal_id)
        .prefetch_related(
            Prefetch("responses", queryset=ProposalResponse.objects.select_related("case_party__party"),
                     to_attr="responses_loaded")
        )
        .first()
    )


@dataclass
class ProposalNode:
    proposal: Proposal
    children: list[ProposalNode] = field(default_factory=list)


def proposal_thread(*, actor: Actor, issue_id: int) -> list[ProposalNode]:
    """An issue's proposals as a tree (roots first, each node's counter-proposals in the order tabled),
    in two queries: the proposals, and every party's response to them. [] when out of reach."""
    rows = list(
        proposals_visible(actor=actor)
        .filter(issue_id=issue_id)
        .select_related("tabled_by__party", "tabled_in")
        .prefetch_related(
            Prefetch("responses", queryset=ProposalResponse.objects.select_related("case_party__party"),
                     to_attr="responses_loaded")
        )
        .order_by("tabled_at", "id")
    )
    nodes = {p.pk: ProposalNode(p) for p in rows}
    roots: list[ProposalNode] = []
    for p in rows:
        parent = nodes.get(p.responds_to_id) if p.responds_to_id else None
        (parent.children if parent is not None else roots).append(nodes[p.pk])
    return roots


def issue_current_texts(*, actor: Actor, dispute_id: int) -> QuerySet[NegotiationIssue]:
    """Each issue of a dispute with the text currently on the table, in one query.

    The current proposal is the latest tabled one that is accepted or still live (tabled,
    under consideration); annotations ``current_proposal_id``, ``current_text``,
    ``current_status``, ``current_tabled_at``, ``current_tabled_by`` (party name, or None for
    a bridging proposal). None when nothing is on the table.
    """
    current = (
        Proposal.objects.filter(issue=OuterRef("pk"),
                                status__in=[ProposalStatus.ACCEPTED, *LIVE_STATUSES])
        .annotate(rank=Case(When(status=ProposalStatus.ACCEPTED, then=Value(0)), default=Value(1),
                            output_field=IntegerField()))
        .order_by("-tabled_at", "rank", "-id")
    )
    return (
        NegotiationIssue.objects.filter(dispute_id=dispute_id, dispute__in=dispute_ids_visible(actor=actor))
        .annotate(
            current_proposal_id=Subquery(current.values("pk")[:1]),
            current_text=Subquery(current.values("text")[:1]),
            current_status=Subquery(current.values("status")[:1]),
            current_tabled_at=Subquery(current.values("tabled_at")[:1]),
            current_tabled_by=Subquery(current.values("tabled_by__party__name")[:1]),
        )
        .order_by("order", "id")
    )
