"""``GET /api/v1/changes/?since=``: the ids that left the caller's view since a sync watermark.

The rows come from ``disputes_departure``, written by the triggers of disputes migration 0005.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from apps.accounts.actors import Actor
from apps.api.fields import AwareDateTimeFilter, FilterSet
from apps.api.resources import DomainViewSet
from apps.disputes.models import CaseTeamMember, Departure
from apps.disputes.selectors import disputes_visible
from apps.sessions.selectors import session_notes_visible

DEPARTURE_RESOURCES = ("dispute", "case-party", "provision", "signatory", "note")



def departure_list(*, actor: Actor) -> QuerySet[Departure]:
    """Departures the caller should apply (the reads scoped to the caller, like a selector).

    - a dispute: when the caller's organisation was among those that could see it (its owner, or the
      organisation of a revoked share) and the caller cannot see it now (restricted and not on the
      team, no longer shared, deleted); a dispute that was already restricted only for the
      organisation's admins and its (former) case team;
    - a row under a dispute the caller still sees (a case party, provision or signatory deleted, a
      note narrowed to team-only): unless the caller can still see it (the case team reads team notes).

    What left with a dispute (its sessions, notes, ...) is not listed one by one: drop every row with
    that ``dispute_id``. Nothing says why a row left.
    """
    visible = disputes_visible(actor=actor).values("pk")
    # A restricted dispute's departure only for those who could have seen it: admins and members
    # who were ever on its case team (keys never read restricted disputes).
    if actor.is_admin:
        saw_restricted = Q()
    elif actor.is_api_key or actor.user is None:
        saw_restricted = Q(pk__in=[])
    else:
        saw_restricted = Q(object_id__in=CaseTeamMember.objects.filter(user=actor.user).values("dispute_id"))
    disputes = (Q(resource="dispute", organisation_id=actor.organisation.pk) & ~Q(object_id__in=visible)
                & (Q(restricted=False) | saw_restricted))
    children = ~Q(resource="dispute") & Q(dispute_id__in=visible) & ~Q(
        resource="note", object_id__in=session_notes_visible(actor=actor).values("pk")
    )
    return Departure.objects.filter(disputes | children)


class DepartureOutput(serializers.Serializer):
    resource = serializers.ChoiceField(choices=[(r, r) for r in DEPARTURE_RESOURCES], help_text=_(
        "The list the row was in: dispute (/disputes/), case-party, provision, signatory, note."
    ))
    id = serializers.IntegerField(source="object_id", help_text=_("The row's id in that list."))
    dispute_id = serializers.IntegerField(allow_null=True, help_text=_("Id of the dispute the row was under."))
    left_at = serializers.DateTimeField(help_text=_("When it left (not why)."))


class DepartureFilter(FilterSet):
    updated_since = None  # type: ignore[assignment]
    since = AwareDateTimeFilter(
        field_name="left_at", lookup_expr="gte",
        help_text=_("Your last pull's sync_watermark (ISO 8601 with offset): what left since then."),
    )

    class Meta:
        model = Departure
        fields = ["since"]


@extend_schema_view(list=extend_schema(tags=["sync"], summary="Ids that left your view since a watermark"))
class ChangeViewSet(DomainViewSet):
    """What left the caller's view since a moment: deleted rows, disputes restricted or no longer
    shared. Apply it after each incremental pull (docs/PARTNERS.md)."""

    serializer_class = DepartureOutput
    filterset_class = DepartureFilter
    # Model rows, not list_fields: the cursor runs on the departure's own id, the body's ``id`` is the
    # row that left. The page is one query whatever its size (no relations).
    ordering = "id"

    def get_queryset(self) -> Any:
        return departure_list(actor=self.actor)

    @classmethod
    def supported_actions(cls) -> set[str]:
        return {"list"}
