"""Reads for operations: the organisation's audit trail."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from apps.accounts.actors import Actor
from apps.common.models import AuditEvent
from apps.disputes.models import Dispute


def audit_events_visible(*, actor: Actor) -> QuerySet[AuditEvent]:
    """The audit trail an organisation's admin reads: the one home of that rule.

    The API (``/api/v1/audit-events/``), the CSV download and the dispute page's trail all start
    here, so they always agree. Admins only (API keys never: ``Actor.is_admin`` is false for a key);
    anyone else gets an empty queryset. An event belongs to the organisation when one of its members
    or keys caused it, or when it concerns one of its disputes (a contributor organisation's change
    to a shared dispute is the owner's business too). Unordered: each caller orders as it shows.
    """
    if not actor.is_admin:
        return AuditEvent.objects.none()
    own_disputes = Dispute.objects.filter(organisation=actor.organisation).order_by().values("pk")
    return AuditEvent.objects.filter(Q(organisation=actor.organisation) | Q(dispute_id__in=own_disputes))


def audit_events_for_admin(
    *,
    actor: Actor,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    action_prefix: str = "",
    dispute_reference: str = "",
) -> QuerySet[AuditEvent]:
    """The trail of ``audit_events_visible`` filtered for the CSV, oldest first.

    Dates are whole UTC days, both ends included.
    """
    if not actor.is_admin:
        return AuditEvent.objects.none()
    own_disputes = Dispute.objects.filter(organisation=actor.organisation)
    qs = audit_events_visible(actor=actor)
    if date_from:
        qs = qs.filter(created_at__gte=dt.datetime.combine(date_from, dt.time.min, tzinfo=dt.UTC))
    if date_to:
        qs = qs.filter(created_at__lt=dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC))
    if action_prefix:
        qs = qs.filter(action__startswith=action_prefix)
    if dispute_reference:
        qs = qs.filter(dispute_id__in=own_disputes.filter(reference=dispute_reference.strip().upper()).values("pk"))
    return qs.order_by("created_at", "id")


def dispute_references(*, actor: Actor, dispute_ids: set[int]) -> dict[int, str]:
    """Reference of each of the organisation's disputes among these ids (an audit row stores the id only)."""
    if not dispute_ids:
        return {}
    return dict(
        Dispute.objects.filter(organisation=actor.organisation, pk__in=dispute_ids).values_list("pk", "reference")
    )
