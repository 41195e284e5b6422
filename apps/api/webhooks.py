"""/api/v1/webhooks/: an organisation admin's webhook endpoints and their deliveries.

Session only: API keys cannot manage webhooks (a leaked key must not be able to redirect
the organisation's events to an address of the thief's choosing). Besides the CRUD: rotate
the signing secret, ping, replay a time window, and redeliver one delivery.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.api.base import ResourceViewSet
from apps.api.permissions import ActorCanWrite, IsActor, IsOrganisationAdmin, NoAPIKeys
from apps.api.serializers import InputSerializer
from apps.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from apps.webhooks.selectors import webhook_delivery_list, webhook_endpoint_list
from apps.webhooks.services import (
    webhook_deliveries_replay,
    webhook_delivery_redeliver,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_ping,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
)


class WebhookEndpointOutput(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.subscribable()))

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "description", "events", "active", "previous_secret_expires_at",
                  "created_at", "updated_at"]


class WebhookEndpointCreatedOutput(WebhookEndpointOutput):
    secret = serializers.CharField(
        help_text=_("The signing secret (Standard Webhooks, whsec_…). Shown only in this response: keep it.")
    )

    class Meta(WebhookEndpointOutput.Meta):
        fields = [*WebhookEndpointOutput.Meta.fields, "secret"]


class WebhookEndpointInput(InputSerializer):
    url = serializers.URLField(max_length=2000)
    description = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.subscribable()), allow_empty=False
    )
    active = serializers.BooleanField(required=False, default=True)


class WebhookEndpointUpdateInput(InputSerializer):
    url = serializers.URLField(max_length=2000, required=False)
    description = serializers.CharField(max_length=200, allow_blank=True, required=False)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.subscribable()), allow_empty=False, required=False
    )
    active = serializers.BooleanField(required=False)


class WebhookDeliveryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    webhook_id = serializers.CharField(help_text=_("The webhook-id header the receiver saw."))
    event = serializers.ChoiceField(choices=WebhookEvent.choices)
    status = serializers.ChoiceField(choices=WebhookDelivery.Status.choices)
    dispute_id = serializers.IntegerField(allow_null=True)
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    retry_until = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)


class SecretRotateInput(InputSerializer):
    overlap_hours = serializers.FloatField(
        required=False, min_value=0, max_value=168,
        help_text=_("How long the old secret keeps signing next to the new one (default 24; 0 ends it now)."),
    )


class SecretRotatedOutput(serializers.Serializer):
    secret = serializers.CharField(help_text=_("The new signing secret. Shown only in this response: keep it."))
    previous_secret_expires_at = serializers.DateTimeField(
        allow_null=True, help_text=_("Until then every delivery carries both signatures.")
    )


class ReplayInput(InputSerializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    only_failed = serializers.BooleanField(
        required=False, default=True,
        help_text=_("Only deliveries that were given up (default), or every delivery of the window."),
    )


class ReplayOutput(serializers.Serializer):
    queued = serializers.IntegerField(help_text=_("How many deliveries will be sent again (at most 1000)."))


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

    def _validated(self, request: Request, input_class: type[serializers.Serializer]) -> dict[str, Any]:
        serializer = input_class(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    @extend_schema(tags=_TAGS, request=SecretRotateInput, responses=SecretRotatedOutput,
                   summary="Rotate the signing secret (both secrets sign during the overlap)")
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        endpoint = self.get_object()
        data = self._validated(request, SecretRotateInput)
        overlap = timedelta(hours=data["overlap_hours"]) if "overlap_hours" in data else None
        endpoint, secret = webhook_endpoint_rotate_secret(actor=self.actor, endpoint=endpoint, overlap=overlap)
        return Response(SecretRotatedOutput(
            {"secret": secret, "previous_secret_expires_at": endpoint.previous_secret_expires_at}).data)

    @extend_schema(tags=_TAGS, request=None, responses={202: WebhookDeliveryOutput},
                   summary="Send a webhook.ping to this endpoint now")
    @action(detail=True, methods=["post"])
    def ping(self, request: Request, pk: str | None = None) -> Response:
        with transaction.atomic():
            delivery = webhook_endpoint_ping(actor=self.actor, endpoint=self.get_object())
        return Response(WebhookDeliveryOutput(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(tags=_TAGS, request=ReplayInput, responses={202: ReplayOutput},
                   summary="Send again the deliveries of a time window")
    @action(detail=True, methods=["post"])
    def replay(self, request: Request, pk: str | None = None) -> Response:
        endpoint = self.get_object()
        data = self._validated(request, ReplayInput)
        queued = webhook_deliveries_replay(actor=self.actor, endpoint=endpoint, **data)
        return Response({"queued": queued}, status=status.HTTP_202_ACCEPTED)


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

    @extend_schema(tags=_TAGS, request=None, responses={202: WebhookDeliveryOutput},
                   operation_id="webhooks_deliveries_redeliver",
                   summary="Send this delivery again (same webhook-id; access is checked again)")
    def redeliver(self, request: Request, endpoint_id: int, pk: int) -> Response:
        delivery = get_object_or_404(self.get_queryset().select_related("endpoint"), pk=pk)
        with transaction.atomic():
            delivery = webhook_delivery_redeliver(actor=self.actor, delivery=delivery)
        return Response(WebhookDeliveryOutput(delivery).data, status=status.HTTP_202_ACCEPTED)
