"""/api/v1/notifications/: the caller's own in-app notices (read; mark read), and
/api/v1/reminder-rules/: the organisation's reminder rules (read; admins change them).

Notices are for people only: they are addressed to users, and an API key is nobody's inbox.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.api.base import ActorAPIView
from apps.api.fields import FilterSet, StrictBooleanFilter
from apps.api.permissions import IsActor, NoAPIKeys
from apps.api.resources import DomainViewSet
from apps.api.serializers import InputSerializer
from apps.reminders.models import Notification, ReminderRules
from apps.reminders.selectors import notification_list_for_actor
from apps.reminders.services import (
    RULE_FIELDS,
    notification_mark_all_read,
    notification_mark_read,
    reminder_rules_for,
    reminder_rules_update,
)


class NotificationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    body = serializers.CharField(allow_blank=True)
    url = serializers.CharField(allow_blank=True, help_text=_("A path in the web app."))
    read_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class NotificationFilter(FilterSet):
    unread = StrictBooleanFilter(method="filter_unread")
    updated_since = None  # type: ignore[assignment]

    class Meta:
        model = Notification
        fields = ["unread"]

    def filter_unread(self, qs: Any, name: str, value: bool) -> Any:
        return qs.filter(read_at__isnull=value)


_TAGS = ["notifications"]
_MARKED = inline_serializer("NotificationsMarked", {"marked": serializers.IntegerField()})


@extend_schema_view(list=extend_schema(tags=_TAGS), retrieve=extend_schema(tags=_TAGS))
class NotificationViewSet(DomainViewSet):
    """The caller's notices in the current organisation, newest first."""

    permission_classes = [IsActor, NoAPIKeys]
    serializer_class = NotificationOutput
    filterset_class = NotificationFilter
    list_fields = {n: n for n in NotificationOutput().fields}
    idempotent_create = False  # marking read twice is harmless

    def get_queryset(self) -> Any:
        return notification_list_for_actor(actor=self.actor).order_by()

    @extend_schema(tags=_TAGS, request=None, responses=_MARKED, summary="Mark one notice read")
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        notification = self.get_object()
        return Response({"marked": notification_mark_read(actor=self.actor, notification_id=notification.pk)})

    @extend_schema(tags=_TAGS, request=None, responses=_MARKED, summary="Mark every notice read")
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        return Response({"marked": notification_mark_all_read(actor=self.actor)})



# --- the organisation's reminder rules -------------------------------------------------------------------

_RULES_TAGS = ["reminder-rules"]
_INT_MAX = 2_147_483_647  # PostgreSQL integer
_LOCAL_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$")


@extend_schema_field({"type": "string", "pattern": _LOCAL_TIME.pattern, "example": "21:00:00"})
class LocalTimeField(serializers.TimeField):
    """A wall-clock time without an offset: quiet hours apply in each recipient's own time zone.

    (OpenAPI's ``time`` format demands an offset, and an aware time cannot be stored.)"""

    default_error_messages = {"local": _("Give a local time as HH:MM or HH:MM:SS, without an offset.")}

    def to_internal_value(self, value: Any) -> dt.time:
        if not isinstance(value, str) or not _LOCAL_TIME.match(value):
            self.fail("local")
        return super().to_internal_value(value)


class HoursListField(serializers.ListField):
    """Errors on the list as a whole (the problem shape has a flat list of messages per field)."""

    def to_internal_value(self, data: Any) -> list[Any]:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            detail = exc.detail
            if isinstance(detail, dict):
                messages = sorted({str(m) for errors in detail.values() for m in errors})
                raise serializers.ValidationError(messages) from None
            raise


class ReminderRulesOutput(serializers.Serializer):
    session_upcoming_hours = serializers.ListField(child=serializers.IntegerField(), help_text=_(
        "Hours before a session its attendees are reminded (up to four)."
    ))
    shuttle_follow_up_hours = serializers.IntegerField()
    proposal_response_hours_before = serializers.IntegerField()
    action_item_days_before = serializers.IntegerField()
    provision_days_before = serializers.IntegerField()
    dispute_stale_days = serializers.IntegerField()
    quiet_hours_enabled = serializers.BooleanField()
    quiet_hours_start = LocalTimeField()
    quiet_hours_end = LocalTimeField()
    is_default = serializers.BooleanField(help_text=_("True while the organisation has never changed the rules."))
    updated_at = serializers.DateTimeField(allow_null=True)


def _rules_data(rules: ReminderRules) -> dict[str, Any]:
    return {**{name: getattr(rules, name) for name in RULE_FIELDS},
            "is_default": rules.pk is None, "updated_at": rules.updated_at if rules.pk else None}


class ReminderRulesInput(InputSerializer):
    """The same bounds as the model's validators (the service cleans the row too)."""

    session_upcoming_hours = HoursListField(
        child=serializers.IntegerField(min_value=1, max_value=24 * 30), max_length=4, allow_empty=True,
    )
    shuttle_follow_up_hours = serializers.IntegerField(min_value=1, max_value=_INT_MAX)
    proposal_response_hours_before = serializers.IntegerField(min_value=0, max_value=24 * 30)
    action_item_days_before = serializers.IntegerField(min_value=0, max_value=90)
    provision_days_before = serializers.IntegerField(min_value=0, max_value=365)
    dispute_stale_days = serializers.IntegerField(min_value=1, max_value=_INT_MAX)
    quiet_hours_enabled = serializers.BooleanField()
    quiet_hours_start = LocalTimeField()
    quiet_hours_end = LocalTimeField()


class ReminderRulesView(ActorAPIView):
    """When the organisation's reminders go out. Every caller reads them (reading never writes);
    only an organisation admin changes them (the service refuses anyone else with a 403), and the
    change applies to reminders scheduled from then on."""

    @extend_schema(tags=_RULES_TAGS, operation_id="reminder_rules_retrieve", responses=ReminderRulesOutput,
                   summary="The organisation's reminder rules")
    def get(self, request: Request) -> Response:
        return Response(_rules_data(reminder_rules_for(organisation=self.actor.organisation)))

    def _update(self, request: Request, *, partial: bool) -> Response:
        serializer = ReminderRulesInput(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        rules = reminder_rules_update(actor=self.actor, data=dict(serializer.validated_data))
        return Response(_rules_data(rules))

    @extend_schema(tags=_RULES_TAGS, operation_id="reminder_rules_update", request=ReminderRulesInput,
                   responses=ReminderRulesOutput, summary="Replace the reminder rules (admins)")
    def put(self, request: Request) -> Response:
        return self._update(request, partial=False)

    @extend_schema(tags=_RULES_TAGS, operation_id="reminder_rules_partial_update", request=ReminderRulesInput,
                   responses=ReminderRulesOutput, summary="Change some reminder rules (admins)")
    def patch(self, request: Request) -> Response:
        return self._update(request, partial=True)
