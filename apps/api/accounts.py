"""The caller's own organisation, its members, and who the caller is."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.models import Membership, Organisation
from apps.accounts.selectors import member_list
from apps.api.base import ActorAPIView, ResourceViewSet
from apps.api.concurrency import etag_for, not_modified
from apps.api.permissions import IsActor, NoAPIKeys


class OrganisationOutput(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name", "slug", "kind", "created_at", "updated_at"]


class OrganisationView(ActorAPIView):
    """The caller's own organisation (an API key's, or the signed-in member's current one)."""

    @extend_schema(operation_id="organisation_retrieve", responses=OrganisationOutput, tags=["organisation"])
    def get(self, request: Request) -> Response:
        organisation = self.actor.organisation
        etag = etag_for(organisation)
        if not_modified(request, etag):
            return Response(status=304, headers={"ETag": etag})
        return Response(OrganisationOutput(organisation).data, headers={"ETag": etag})


class MemberOutput(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("The membership id."))
    user_id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField()
    role = serializers.ChoiceField(choices=Membership.Role.choices)
    joined_at = serializers.DateTimeField()


class MemberViewSet(ResourceViewSet):
    """Members of the caller's organisation.

    Not available to API keys: members are people (names, e-mail addresses) and a partner
    integration has no need for them; confidentiality is the product (DESIGN.md §1).
    """

    permission_classes = [IsActor, NoAPIKeys]
    serializer_class = MemberOutput
    ordering = "id"
    list_fields = {
        "id": "id", "user_id": "user_id", "email": "user__email", "name": "user__name", "role": "role",
        "joined_at": "created_at",
    }

    def get_queryset(self) -> Any:
        return member_list(organisation=self.actor.organisation)

    @classmethod
    def supported_actions(cls) -> set[str]:
        return {"list"}


class MeOutput(serializers.Serializer):
    class UserOut(serializers.Serializer):
        id = serializers.IntegerField()
        email = serializers.EmailField()
        name = serializers.CharField()
        time_zone = serializers.CharField()
        language = serializers.CharField()

    class APIKeyOut(serializers.Serializer):
        # Never the stored id: it holds the key's hash (issue #15).
        prefix = serializers.CharField(help_text=_("The key's public prefix (the part before the dot)."))
        name = serializers.CharField()

    kind = serializers.ChoiceField(choices=[("user", _("user")), ("api_key", _("API key"))])
    user = UserOut(allow_null=True)
    api_key = APIKeyOut(allow_null=True)
    organisation = OrganisationOutput()
    role = serializers.ChoiceField(choices=Membership.Role.choices)
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=["read", "write"]))
    can_write = serializers.BooleanField()


class MeView(ActorAPIView):
    """Who is calling: a member (with the role in the current organisation) or an API key."""

    @extend_schema(operation_id="me_retrieve", responses=MeOutput, tags=["me"])
    def get(self, request: Request) -> Response:
        actor = self.actor
        user = actor.user
        # A member's "scopes" follow from the role, so clients can read one field either way.
        member_scopes = ["read", "write"] if actor.can_write else ["read"]
        scopes = sorted(actor.scopes) if actor.is_api_key else member_scopes
        data = {
            "kind": "api_key" if actor.is_api_key else "user",
            "user": None if user is None else {
                "id": user.pk, "email": user.email, "name": user.name, "time_zone": user.time_zone,
                "language": user.language,
            },
            "api_key": None if not actor.is_api_key else {
                "prefix": str(actor.api_key_id).partition(".")[0], "name": actor.api_key_name,
            },
            "organisation": OrganisationOutput(actor.organisation).data,
            "role": actor.role,
            "scopes": scopes,
            "can_write": actor.can_write,
        }
        return Response(data)
