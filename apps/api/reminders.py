"""/api/v1/notifications/: the caller's own in-app notices (read; mark read).

People only: notices are addressed to users, and an API key is nobody's inbox.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.api.fields import FilterSet, StrictBooleanFilter
from apps.api.permissions import IsActor, NoAPIKeys
from apps.api.resources import DomainViewSet
from apps.reminders.models import Notification
from apps.reminders.selectors import notification_list_for_actor
from apps.reminders.services import notification_mark_all_read, notification_mark_read


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



