"""A test-only resource over the caller's organisation, to exercise every base-class path
(write gate, If-Match, Idempotency-Key, body limits, 500) before the domain resources exist."""

from __future__ import annotations

from typing import Any

from django.urls import include, path
from django.utils.text import slugify
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.models import Organisation
from apps.api.accounts import OrganisationOutput
from apps.api.base import ResourceRouter, ResourceViewSet
from apps.api.serializers import InputSerializer
from peacecase.urls import urlpatterns as project_urlpatterns


class NameInput(InputSerializer):
    name = serializers.CharField(max_length=200)


class ProbeViewSet(ResourceViewSet):
    serializer_class = OrganisationOutput
    input_serializer_class = NameInput
    if_match_required = True
    ordering = "id"

    def get_queryset(self) -> Any:
        return Organisation.objects.filter(pk=self.actor.organisation.pk)

    def create_object(self, *, data: dict[str, Any]) -> Organisation:
        return Organisation.objects.create(name=data["name"], slug=slugify(data["name"])[:60])

    def update_object(self, *, instance: Organisation, data: dict[str, Any], partial: bool) -> Organisation:
        instance.name = data["name"]
        instance.save(update_fields=["name", "updated_at"])
        return instance

    @action(detail=False, methods=["get"])
    def boom(self, request: Request) -> Response:
        raise RuntimeError("boom")


router = ResourceRouter()
router.register("probes", ProbeViewSet, basename="probe")

urlpatterns = [path("test-api/", include(router.urls)), *project_urlpatterns]
