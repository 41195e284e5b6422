"""/api/v1/webhooks/: an organisation admin's webhook endpoints and their deliveries.

Session only: API keys cannot manage webhooks (a leaked key must not be able to redirect
the organisation's events to an address of the thief's choosing).
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from apps.api.base import ResourceViewSet
from apps.api.permissions import ActorCanWrite, IsActor, IsOrganisationAdmin, NoAPIKeys
from apps.api.serializers import InputSerializer
from apps.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from apps.webhooks.selectors import webhook_delivery_list, webhook_endpoint_list
from apps.webhooks.services import webhook_endpoint_create, webhook_endpoint_delete, webhook_endpoint_update


class WebhookEndpointOutput(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.choices))

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "description", "events", "active", "created_at", "updated_at"]


class WebhookEndpointCreatedOutput(WebhookEndpointOutput):
    secret = serializers.CharField(
        help_text=_("The signing secret (Standard Webhooks, whsec_…). Shown only in this response: keep it.")
    )

    class Meta(WebhookEndpointOutput.Meta):
        fields = [*WebhookEndpointOutput.Meta.fields, "secret"]


class WebhookEndpointInput(InputSerializer):
    url = serializers.URLField(max_length=2000)
    description = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.choices), allow_empty=False)
    active = serializers.BooleanField(required=False, default=True)


class WebhookEndpointUpdateInput(InputSerializer):
    url = serializers.URLField(max_length=2000, required=False)
    description = serializers.CharField(max_length=200, allow_blank=True, required=False)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices), allow_empty=False, required=False
    )
    active = serializers.BooleanField(required=False)


_TAGS = ["webhooks"]


@extend_schema_view(
    list=extend_schema(tags=_TAGS),
    retrieve=extend_schema(tags=_TAGS),
    create=extend_schema(tags=_TAGS, request=WebhookEndpointInput, responses={201: WebhookEndpointCreatedOutput}),
    update=extend_schema(tags=_TAGS, request=WebhookEndpointUpdateInput),
    partial_update=extend_schema(tags=_TAGS, request=WebhookEndpointUpdateInput),
    destroy=extend_schema(tags=_TAGS),
)
class WebhookEndpointViewSet(ResourceViewSet):
    permission_classes = [IsActor, NoAPIKeys, IsOrganisationAdmin, ActorCanWrite]
    serializer_class = WebhookEndpointOutput
    input_serializer_class = WebhookEndpointInput
    ordering = "id"
    if_match_required = True

    def get_queryset(self) -> Any:
        return webhook_endpoint_list(actor=self.actor)

    def get_input_serializer(self, *args: Any, **kwargs: Any) -> serializers.BaseSerializer:
        if self.action in ("update", "partial_update"):
            kwargs.setdefault("context", self.get_serializer_context())
            # PUT replaces: every field required; PATCH: any subset.
            if self.action == "update":
                return WebhookEndpointInput(*args, **kwargs)
            return WebhookEndpointUpdateInput(*args, **kwargs)
        return super().get_input_serializer(*args, **kwargs)

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.action == "create":
            return WebhookEndpointCreatedOutput
        return super().get_serializer_class()

    def create_object(self, *, data: dict[str, Any]) -> WebhookEndpoint:
        return webhook_endpoint_create(actor=self.actor, **data)

    def update_object(self, *, instance: WebhookEndpoint, data: dict[str, Any], partial: bool) -> WebhookEndpoint:
        return webhook_endpoint_update(actor=self.actor, endpoint=instance, data=data)

    def destroy_object(self, *, instance: WebhookEndpoint) -> None:
        webhook_endpoint_delete(actor=self.actor, endpoint=instance)


class WebhookDeliveryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    webhook_id = serializers.CharField(help_text=_("The webhook-id header the receiver saw."))
    event = serializers.ChoiceField(choices=WebhookEvent.choices)
    status = serializers.ChoiceField(choices=WebhookDelivery.Status.choices)
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(allow_null=True)


@extend_schema_view(list=extend_schema(tags=_TAGS, operation_id="webhooks_deliveries_list"))
class WebhookDeliveryViewSet(ResourceViewSet):
    """The deliveries of one endpoint, newest first (payloads are not repeated here)."""

    permission_classes = [IsActor, NoAPIKeys, IsOrganisationAdmin]
    serializer_class = WebhookDeliveryOutput
    list_fields = {name: name for name in WebhookDeliveryOutput().fields}

    def get_queryset(self) -> Any:
        endpoint_id = self.kwargs.get("endpoint_id")
        if endpoint_id is None:  # schema generation
            return WebhookDelivery.objects.none()
        # An endpoint out of reach is a 404, not an empty list.
        get_object_or_404(webhook_endpoint_list(actor=self.actor), pk=endpoint_id)
        return webhook_delivery_list(actor=self.actor, endpoint_id=endpoint_id)

    @classmethod
    def supported_actions(cls) -> set[str]:
        return {"list"}
