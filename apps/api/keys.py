"""/api/v1/api-keys/: an organisation admin's API keys (create, list, revoke, rotate).

Signed-in admins only: keys never manage keys (DESIGN.md §3b), so an API-key caller gets a 403
whatever its scope. The raw key is in the response of create and rotate only; the database
keeps a prefix and a hash. Keys are addressed by their prefix (not secret, shown in the pages).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.api.base import ResourceViewSet
from apps.api.models import OrganisationAPIKey
from apps.api.permissions import ActorCanWrite, IsActor, IsOrganisationAdmin, NoAPIKeys
from apps.api.selectors import api_key_list
from apps.api.serializers import InputSerializer
from apps.api.services import api_key_create, api_key_revoke, api_key_rotate


class APIKeyOutput(serializers.ModelSerializer):
    created_at = serializers.DateTimeField(source="created")
    expires_at = serializers.DateTimeField(source="expiry_date", allow_null=True)
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = OrganisationAPIKey
        fields = ["prefix", "name", "scope", "created_at", "created_by", "last_used_at", "expires_at",
                  "revoked", "revoked_at"]

    def get_created_by(self, obj: OrganisationAPIKey) -> str | None:
        return str(obj.created_by) if obj.created_by_id else None


class APIKeyCreatedOutput(APIKeyOutput):
    key = serializers.CharField(
        help_text=_("The key, for `Authorization: Api-Key <key>`. Shown only in this response: store it now.")
    )

    class Meta(APIKeyOutput.Meta):
        fields = [*APIKeyOutput.Meta.fields, "key"]


class APIKeyInput(InputSerializer):
    name = serializers.CharField(max_length=50, help_text=_("What the key is for, e.g. the partner's system."))
    scope = serializers.ChoiceField(choices=OrganisationAPIKey.Scope.choices, default=OrganisationAPIKey.Scope.READ)
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class APIKeyRotateInput(InputSerializer):
    overlap_hours = serializers.FloatField(
        required=False, min_value=0, max_value=168,
        help_text=_("How long the old key keeps working next to the new one (default 24; 0 revokes it now)."),
    )


class APIKeyRotatedOutput(serializers.Serializer):
    new = APIKeyCreatedOutput()
    old = APIKeyOutput()


_TAGS = ["api keys"]


@extend_schema_view(
    list=extend_schema(tags=_TAGS),
    retrieve=extend_schema(tags=_TAGS),
    create=extend_schema(tags=_TAGS, request=APIKeyInput, responses={201: APIKeyCreatedOutput}),
)
class APIKeyViewSet(ResourceViewSet):
    permission_classes = [IsActor, NoAPIKeys, IsOrganisationAdmin, ActorCanWrite]
    serializer_class = APIKeyOutput
    input_serializer_class = APIKeyInput
    lookup_field = "prefix"
    lookup_value_regex = "[A-Za-z0-9]+"
    ordering = "-created"
    # No Idempotency-Key replay here: it would keep the response, and so the raw key, in the database.
    idempotent_create = False

    def get_queryset(self) -> Any:
        return api_key_list(actor=self.actor)

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.action == "create":
            return APIKeyCreatedOutput
        return super().get_serializer_class()

    def get_etag(self, obj: OrganisationAPIKey) -> str:
        return f'"{obj.prefix}-{int(obj.revoked)}-{obj.expiry_date.timestamp() if obj.expiry_date else 0}"'

    def create_object(self, *, data: dict[str, Any]) -> OrganisationAPIKey:
        api_key, raw_key = api_key_create(actor=self.actor, organisation=self.actor.organisation, **data)
        api_key.key = raw_key  # for APIKeyCreatedOutput only; never stored
        return api_key

    @extend_schema(tags=_TAGS, request=None, responses=APIKeyOutput, summary="Revoke the key for good")
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, prefix: str | None = None) -> Response:
        with transaction.atomic():
            api_key = api_key_revoke(actor=self.actor, api_key=self.get_object_for_update())
        return Response(APIKeyOutput(api_key).data)

    @extend_schema(tags=_TAGS, request=APIKeyRotateInput, responses={201: APIKeyRotatedOutput},
                   summary="Replace the key by a new one; the old one works for the overlap, then expires")
    @action(detail=True, methods=["post"])
    def rotate(self, request: Request, prefix: str | None = None) -> Response:
        serializer = APIKeyRotateInput(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        hours = serializer.validated_data.get("overlap_hours")
        with transaction.atomic():
            old = self.get_object_for_update()
            new, raw_key = api_key_rotate(actor=self.actor, api_key=old,
                                          overlap=timedelta(hours=hours) if hours is not None else None)
            old.refresh_from_db()
        new.key = raw_key
        return Response({"new": APIKeyCreatedOutput(new).data, "old": APIKeyOutput(old).data},
                        status=status.HTTP_201_CREATED)
