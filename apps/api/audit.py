"""/api/v1/audit-events/: the organisation's audit trail, for its admins (never API keys).

The trail names people and records reads of team-only notes, so only a signed-in admin of the
organisation reads it: the events ``apps.operations.selectors.audit_events_visible`` gives, the same
trail as the CSV download and the dispute page.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from apps.api.fields import AwareDateTimeFilter, FilterSet, IdFilter
from apps.api.permissions import IsActor, IsOrganisationAdmin, NoAPIKeys
from apps.api.resources import DomainViewSet
from apps.common.models import AuditEvent
from apps.operations.selectors import audit_events_visible


class AuditEventOutput(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    actor_id = serializers.IntegerField(allow_null=True)
    actor_label = serializers.CharField(allow_blank=True)
    action = serializers.CharField(help_text=_('Dotted, e.g. "disputes.dispute.stage_changed".'))
    target_type = serializers.CharField(allow_blank=True)
    target_id = serializers.CharField(allow_blank=True)
    target_label = serializers.CharField(allow_blank=True)
    dispute_id = serializers.IntegerField(allow_null=True)
    before = serializers.DictField()
    after = serializers.DictField()
    request_id = serializers.CharField(allow_blank=True)


class AuditFilter(FilterSet):
    dispute = IdFilter(field_name="dispute_id")
    action = django_filters.CharFilter(field_name="action", lookup_expr="startswith",
                                       help_text=_('A prefix, e.g. "sessions." or "sessions.note.read_team".'))
    target_type = django_filters.CharFilter()
    target_id = django_filters.CharFilter()
    actor = IdFilter(field_name="actor_id")
    updated_since = None  # type: ignore[assignment]
    since = AwareDateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = AwareDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = ["dispute", "action", "target_type", "target_id", "actor", "since", "until"]


@extend_schema_view(list=extend_schema(tags=["audit"]), retrieve=extend_schema(tags=["audit"]))
class AuditEventViewSet(DomainViewSet):
    """Who did what to which record, when (append-only)."""

    permission_classes = [IsActor, NoAPIKeys, IsOrganisationAdmin]
    serializer_class = AuditEventOutput
    filterset_class = AuditFilter
    list_fields = {n: n for n in AuditEventOutput().fields}

    def get_queryset(self) -> Any:
        return audit_events_visible(actor=self.actor)
