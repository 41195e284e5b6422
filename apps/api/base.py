"""Base classes for API resources. A resource is a few lines on top of these; see ResourceViewSet.

Example (a domain resource, once its selectors and services exist)::

    class DisputeViewSet(ResourceViewSet):
        serializer_class = DisputeOutput            # documents and renders single objects and list rows
        input_serializer_class = DisputeInput       # an InputSerializer: unknown fields are a 400
        list_fields = {"id": "id", "reference": "reference", "stage": "stage"}   # fast list via .values()
        if_match_required = True                    # PUT/PATCH need If-Match (428/412)
        idempotent_create = True                    # POST honours Idempotency-Key

        def get_queryset(self):
            return dispute_list(actor=self.actor)   # the selector scopes to the caller

        def create_object(self, *, data):
            return dispute_open(actor=self.actor, **data)

        def update_object(self, *, instance, data, partial):
            return dispute_update(actor=self.actor, dispute=instance, data=data)

    router.register("disputes", DisputeViewSet, basename="dispute")
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from django.db import models, transaction
from django.db.models import F
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, routers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from apps.accounts.actors import Actor
from apps.api.concurrency import check_if_match, etag_for, not_modified
from apps.api.idempotency import idempotent
from apps.api.permissions import ActorCanWrite, IsActor, actor_of


class ActorMixin:
    """Puts the caller on ``request.actor`` and ``self.actor`` once authentication has run.

    A GET with a query parameter the view does not document is a 400 naming it. A view's own
    parameters (beyond its filterset and pagination) are listed in ``query_parameters``; a test
    checks them against the schema.
    """

    request: Request
    query_parameters: ClassVar[frozenset[str]] = frozenset()

    def perform_authentication(self, request: Request) -> None:
        super().perform_authentication(request)  # type: ignore[misc]
        request.actor = actor_of(request)

    @property
    def actor(self) -> Actor:
        actor = actor_of(self.request)
        assert actor is not None, "IsActor must be among the view's permission classes"
        return actor

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if request.method in ("GET", "HEAD"):
            # A misspelled filter (updated_sinse=) silently ignored would return every row as if
            # filtered: a 400 naming it instead.
            unknown = sorted(set(request.query_params) - self.known_query_parameters())
            if unknown:
                raise exceptions.ValidationError(
                    {name: [_("Unknown query parameter.")] for name in unknown}, code="unknown_parameter"
                )

    def known_query_parameters(self) -> set[str]:
        """The query parameters this GET documents: its filters, pagination and its own parameters."""
        known = set(self.query_parameters)
        if getattr(self, "action", None) == "list":
            filterset = getattr(self, "filterset_class", None)
            if filterset is not None:
                known |= set(filterset.base_filters)
            paginator = getattr(self, "paginator", None)
            if paginator is not None:
                known |= {paginator.cursor_query_param, paginator.page_size_query_param}
        return known


class ActorAPIView(ActorMixin, APIView):
    """A plain APIView for one-off endpoints (``/me/``)."""

    permission_classes = [IsActor, ActorCanWrite]


class ResourceViewSet(ActorMixin, viewsets.GenericViewSet):
    """list / retrieve / create / update / partial_update / destroy, each enabled by a hook.

    - ``get_queryset()`` must come from a selector that already scopes to ``self.actor``;
      objects out of reach are then a 404 (DESIGN.md §3.5).
    - list: cursor-paginated; with ``list_fields`` the rows are built with ``.values()`` (no model
      objects, no serializer), override ``list_row()`` to reshape them. ``serializer_class`` still
      documents the row in the schema, so keep the two in step (tests compare them).
    - create/update/destroy are enabled by defining ``create_object`` / ``update_object`` /
      ``destroy_object``, which call services. ``input_serializer_class`` validates the body
      (use ``InputSerializer``); ``serializer_class`` renders the result.
    - ``if_match_required``: PUT/PATCH need If-Match with the current ETag (428 / 412).
    - ``idempotent_create``: POST honours ``Idempotency-Key``.
    """

    permission_classes = [IsActor, ActorCanWrite]
    lookup_value_regex = "[0-9]+"
    input_serializer_class: ClassVar[type[BaseSerializer] | None] = None
    list_fields: ClassVar[Mapping[str, str | Any] | None] = None
    ordering: ClassVar[str | tuple[str, ...]] = "-id"
    if_match_required: ClassVar[bool] = False
    idempotent_create: ClassVar[bool] = True

    # --- hooks ---------------------------------------------------------------------------------

    def list_row(self, row: dict[str, Any]) -> dict[str, Any]:
        return row

    def get_input_serializer(self, *args: Any, **kwargs: Any) -> BaseSerializer:
        cls = self.input_serializer_class or self.get_serializer_class()
        kwargs.setdefault("context", self.get_serializer_context())
        return cls(*args, **kwargs)

    def get_etag(self, obj: models.Model) -> str:
        return etag_for(obj)

    # --- actions -------------------------------------------------------------------------------

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        if self.list_fields is not None:
            rows = self.paginate_queryset(self._values(queryset))
            assert rows is not None, "API lists are always paginated"
            return self.get_paginated_response([self.list_row(row) for row in rows])
        page = self.paginate_queryset(queryset)
        assert page is not None, "API lists are always paginated"
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        etag = self.get_etag(instance)
        if not_modified(request, etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(self.get_serializer(instance).data, headers={"ETag": etag})

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        def handler() -> Response:
            serializer = self.get_input_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            with transaction.atomic():
                instance = self.create_object(data=serializer.validated_data)
            return Response(
                self.get_serializer(instance).data, status=status.HTTP_201_CREATED,
                headers={"ETag": self.get_etag(instance), **self.location_header(instance)},
            )

        if self.idempotent_create:
            return idempotent(request, self.actor, handler)
        return handler()

    def update(self, request: Request, *args: Any, partial: bool = False, **kwargs: Any) -> Response:
        with transaction.atomic():
            instance = self.get_object_for_update()
            if self.if_match_required:
                check_if_match(request, instance)
            serializer = self.get_input_serializer(instance, data=request.data, partial=partial)
            serializer.is_valid(raise_exception=True)
            instance = self.update_object(instance=instance, data=serializer.validated_data, partial=partial)
        return Response(self.get_serializer(instance).data, headers={"ETag": self.get_etag(instance)})

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic():
            instance = self.get_object_for_update()
            self.destroy_object(instance=instance)
        return Response(status=status.HTTP_204_NO_CONTENT)

    # --- helpers -------------------------------------------------------------------------------

    def location_header(self, instance: models.Model) -> dict[str, str]:
        """``Location`` of a created object: its detail URL, when this resource has one."""
        if "retrieve" not in self.supported_actions():
            return {}
        try:
            return {"Location": self.reverse_action("detail", args=[instance.pk])}
        except NoReverseMatch:
            return {}

    def get_object_for_update(self) -> models.Model:
        """The object, row-locked for the rest of the transaction, so If-Match cannot race."""
        queryset = self.filter_queryset(self.get_queryset()).select_for_update(of=("self",))
        lookup = self.lookup_url_kwarg or self.lookup_field
        obj = get_object_or_404(queryset, **{self.lookup_field: self.kwargs[lookup]})
        self.check_object_permissions(self.request, obj)
        return obj

    def _values(self, queryset: models.QuerySet) -> models.QuerySet:
        assert self.list_fields is not None
        plain = [name for name, source in self.list_fields.items() if source == name]
        named = {
            name: F(source) if isinstance(source, str) else source
            for name, source in self.list_fields.items()
            if source != name
        }
        return queryset.values(*plain, **named)

    # The actions exist only when the subclass defines the hook (ResourceRouter asks): a
    # resource without create_object has no POST, so POST is a 405.
    @classmethod
    def supported_actions(cls) -> set[str]:
        actions = {"list", "retrieve"}
        if hasattr(cls, "create_object"):
            actions.add("create")
        if hasattr(cls, "update_object"):
            actions |= {"update", "partial_update"}
        if hasattr(cls, "destroy_object"):
            actions.add("destroy")
        return actions


_STANDARD_ACTIONS = frozenset({"list", "retrieve", "create", "update", "partial_update", "destroy"})


class ResourceRouter(routers.SimpleRouter):
    """Routes only the actions a ResourceViewSet really supports; no trailing-slash surprises."""

    def get_method_map(self, viewset: Any, method_map: dict[str, str]) -> dict[str, str]:
        bound = super().get_method_map(viewset, method_map)
        supported = getattr(viewset, "supported_actions", None)
        if supported is None:
            return bound
        allowed = supported()
        return {m: a for m, a in bound.items() if a in allowed or a not in _STANDARD_ACTIONS}
