"""Reads for the web app's pages, built on the domain selectors (never around them).

Everything starts from apps.disputes.selectors, so a page shows exactly what its
caller may see (DESIGN.md §3); restricted disputes count only for those who see them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Now
from django.db.models.lookups import Contains
from django.utils.translation import gettext_lazy as _

from apps.accounts.actors import Actor
from apps.common.models import AuditEvent
from apps.disputes.models import (
    CaseParty,
    CaseTeamMember,
    Dispute,
    DisputeType,
    PartyPosition,
    Risk,
    Stage,
    StageChange,
)
from apps.disputes.selectors import (
    case_party_list,
    dispute_ids_visible,
    dispute_list,
    dispute_visible_q,
    disputes_visible,
)
from apps.operations.selectors import audit_events_visible
from apps.parties.models import normalise_name

STAGE_ORDER = list(Stage.values)
RISK_ORDER = list(Risk.values)  # low → critical


def _order_case(field: str, values: list[str]) -> Case:
    return Case(*[When(**{field: v}, then=Value(i)) for i, v in enumerate(values)], output_field=IntegerField())


SORT_ORDERING: dict[str, list[Any]] = {
    "-updated": ["-updated_at", "-id"],
    "reference": ["reference", "id"],
    "title": ["title", "id"],
    "-opened": ["-opened_on", "-id"],
    "opened": ["opened_on", "id"],
    "stage": [_order_case("stage", STAGE_ORDER).asc(), "-updated_at", "-id"],
    "-risk": [_order_case("risk", RISK_ORDER).desc(), "-updated_at", "-id"],
}


def _party_name_q(term: str) -> Q:
    """A case party whose name or one of its aliases contains the term (case- and accent-width-blind)."""
    key = normalise_name(term)
    if not key:
        return Q(pk__in=[])
    # The unit separator keeps a term from matching across two aliases.
    aliases = Func(F("party__normalised_aliases"), Value("\x1f"), function="array_to_string",
                   output_field=CharField())
    return Q(party__normalised_name__contains=key) | Contains(aliases, key)


# Title and summary as one "simple" vector (cases are written in many languages). Kept free of
# weights so that a GIN index on exactly this expression serves the search.
SEARCH_VECTOR = SearchVector("title", "summary", config="simple")


def dispute_search(*, actor: Actor, filters: Mapping[str, Any] | None = None, sort: str = "") -> QuerySet[Dispute]:
    """The disputes list: dispute_list's filters, plus full-text search and sorting.

    The search term matches the title and summary through PostgreSQL full-text search,
    the title and reference as typed fragments, and the names and aliases of the
    dispute's parties. Each of those is an uncorrelated id list, so each can use its own
    index. With a term and no explicit sort, the best matches come first.
    """
    filters = dict(filters or {})
    term = str(filters.pop("q", "") or "").strip()
    qs = dispute_list(actor=actor, filters=filters)
    if term:
        query = SearchQuery(term, config="simple", search_type="websearch")
        text_ids = (
            Dispute.objects.filter(dispute_visible_q(actor)).annotate(search=SEARCH_VECTOR).filter(search=query)
            .values("pk")
        )
        party_ids = CaseParty.objects.filter(_party_name_q(term)).values("dispute_id")
        qs = qs.filter(
            Q(pk__in=text_ids) | Q(pk__in=party_ids) | Q(title__icontains=term) | Q(reference__icontains=term)
        )
        if not sort:
            return qs.annotate(search_rank=SearchRank(SEARCH_VECTOR, query)).order_by(
                "-search_rank", "-updated_at", "-id"
            )
    return qs.order_by(*SORT_ORDERING.get(sort or "-updated", SORT_ORDERING["-updated"]))


def my_disputes(*, actor: Actor) -> QuerySet[Dispute]:
    """Open disputes whose case team the actor is on, most recently active first."""
    if actor.user_id is None:
        return Dispute.objects.none()
    return dispute_list(actor=actor, filters={"mine": True}).order_by(
        _order_case("risk", RISK_ORDER).desc(), "-updated_at", "-id"
    ).exclude(stage__in=[Stage.CLOSED, Stage.WITHDRAWN])


# --- the case workspace ------------------------------------------------------------------------------


def workspace_parties(*, actor: Actor, dispute: Dispute) -> QuerySet[CaseParty]:
    """The dispute's parties with their positions on each issue (two queries)."""
    return case_party_list(actor=actor, dispute_id=dispute.pk).prefetch_related(
        Prefetch("positions", queryset=PartyPosition.objects.order_by("issue_id"), to_attr="positions_loaded"),
    ).order_by("id")


def workspace_team(*, actor: Actor, dispute: Dispute) -> QuerySet[CaseTeamMember]:
    from apps.disputes.selectors import team_member_list

    return team_member_list(actor=actor, dispute_id=dispute.pk).select_related("conflict_override_by").order_by(
        _order_case("role", list(CaseTeamMember.Role.values)).asc(), "id"
    )


def dispute_audit_events(*, actor: Actor, dispute: Dispute) -> QuerySet[AuditEvent]:
    """The audit trail of one dispute, newest first: the admin's trail (``audit_events_visible``, the
    same as the API and the CSV) narrowed to this dispute; empty for anyone but an admin."""
    return (audit_events_visible(actor=actor).filter(dispute_id=dispute.pk)
            .select_related("actor").order_by("-created_at", "-id"))


# --- the portfolio -------------------------------------------------------------------------------------


def portfolio_disputes(
    *, actor: Actor, opened_from: dt.date | None = None, opened_to: dt.date | None = None, country: str = ""
) -> QuerySet[Dispute]:
    """The disputes the portfolio counts: visible to the actor, own organisation, within the period."""
    qs = disputes_visible(actor=actor).filter(organisation=actor.organisation)
    if opened_from:
        qs = qs.filter(opened_on__gte=opened_from)
    if opened_to:
        qs = qs.filter(opened_on__lte=opened_to)
    if country:
        qs = qs.filter(countries__contains=[country.upper()])
    return qs


def _counted(rows: dict[str, int], choices: list[tuple[str, Any]]) -> list[tuple[str, Any, int]]:
    return [(value, label, rows.get(value, 0)) for value, label in choices]


def portfolio_by_stage(*, disputes: QuerySet[Dispute]) -> list[tuple[str, Any, int]]:
    rows = dict(disputes.order_by().values_list("stage").annotate(n=Count("pk")))
    return _counted(rows, list(Stage.choices))


def portfolio_by_risk(*, disputes: QuerySet[Dispute]) -> list[tuple[str, Any, int]]:
    rows = dict(disputes.order_by().values_list("risk").annotate(n=Count("pk")))
    return _counted(rows, list(Risk.choices))


def portfolio_by_type(*, disputes: QuerySet[Dispute]) -> list[tuple[str, Any, int]]:
    unnested = Func(F("dispute_types"), function="unnest")
    rows = dict(disputes.order_by().annotate(t=unnested).values_list("t").annotate(n=Count("pk")))
    return _counted(rows, list(DisputeType.choices))


def portfolio_by_country(*, disputes: QuerySet[Dispute], limit: int = 15) -> list[tuple[str, Any, int]]:
    from django_countries import countries

    unnested = Func(F("countries"), function="unnest")
    rows = (
        disputes.order_by().annotate(c=unnested).values_list("c").annotate(n=Count("pk")).order_by("-n", "c")[:limit]
    )
    return [(code, countries.name(code) or code, n) for code, n in rows]


def portfolio_time_per_stage(*, disputes: QuerySet[Dispute]) -> list[tuple[str, Any, float, int]]:
    """Average days spent per stage, from the stage history.

    Each stage change lasts until the dispute's next change (or until now for the
    current stage). Closed and withdrawn are end states, not time spent working.
    Returns (stage, label, average days, number of stays).
    """
    following = StageChange.objects.filter(dispute_id=OuterRef("dispute_id")).filter(
        Q(created_at__gt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), id__gt=OuterRef("id"))
    ).order_by("created_at", "id")
    stays = (
        StageChange.objects.filter(dispute__in=disputes.values("pk"))
        .exclude(to_stage__in=[Stage.CLOSED, Stage.WITHDRAWN])
        .annotate(ended=Coalesce(Subquery(following.values("created_at")[:1]), Now()))
        .annotate(spent=ExpressionWrapper(F("ended") - F("created_at"), output_field=DurationField()))
        .order_by()
        .values_list("to_stage")
    )
    rows = {stage: (avg, n) for stage, avg, n in stays.annotate(avg=Avg("spent"), n=Count("pk"))}
    out = []
    for value, label in Stage.choices:
        if value in (Stage.CLOSED, Stage.WITHDRAWN):
            continue
        avg, n = rows.get(value, (None, 0))
        days = round(avg.total_seconds() / 86400, 1) if avg is not None else 0.0
        out.append((value, label, days, n))
    return out


def dispute_count_visible(*, actor: Actor) -> int:
    return dispute_ids_visible(actor=actor).count()


PORTFOLIO_FIGURES = {
    "stage": _("Disputes by stage"),
    "type": _("Disputes by type"),
    "country": _("Disputes by country"),
    "risk": _("Disputes by escalation risk"),
    "time": _("Average time per stage (days)"),
}


# --- calendar ------------------------------------------------------------------------------------------


def calendar_feed_active(*, actor: Actor):
    from apps.dashboard.models import CalendarFeed

    if actor.user is None:
        return None
    return CalendarFeed.objects.filter(user=actor.user, organisation=actor.organisation,
                                       revoked_at__isnull=True).first()


def calendar_feed_actor(*, token: str) -> Actor | None:
    """The person a feed token speaks for, if the feed is active and they are still a member."""
    from apps.accounts.models import Membership
    from apps.dashboard.models import CalendarFeed
    from apps.dashboard.services import hash_feed_token

    if not token or len(token) > 100:
        return None
    feed = CalendarFeed.objects.filter(token_hash=hash_feed_token(token), revoked_at__isnull=True).first()
    if feed is None:
        return None
    membership = Membership.objects.filter(user_id=feed.user_id, organisation_id=feed.organisation_id,
                                           user__is_active=True).select_related("user", "organisation").first()
    if membership is None:
        return None
    return Actor.for_membership(membership)


def calendar_sessions(*, actor: Actor, start: dt.datetime, end: dt.datetime, mine_only: bool = True):
    """Sessions starting in [start, end) that the actor may see; by default only on the actor's case teams."""
    from apps.dashboard.workspace import optional_selector
    from apps.disputes.selectors import dispute_ids_on_team

    select = optional_selector("apps.sessions.selectors", "session_list")
    if select is None:
        return None
    qs = select(actor=actor, starts_after=start, starts_before=end)
    if mine_only:
        qs = qs.filter(dispute_id__in=dispute_ids_on_team(actor=actor))
    return qs.order_by("starts_at", "id")
