"""What the domain resources share on top of ResourceViewSet: strict filters, action endpoints
that call one service (validated body, row lock, Idempotency-Key), and the caller's scopes
for ids in bodies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.db.models import QuerySet
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from apps.accounts.actors import Actor
from apps.accounts.models import Membership, Organisation
from apps.accounts.selectors import member_list
from apps.api.base import ResourceViewSet
from apps.api.fields import StrictFilterBackend
from apps.api.idempotency import idempotent

# The caller during schema generation: selectors build their (lazy, never evaluated) querysets
# for it, so the schema and django-filter learn each resource's model from its real selector.
_SCHEMA_ACTOR = Actor(organisation=Organisation(pk=0, slug="schema"), role=Membership.Role.ANALYST,
                      scopes=frozenset({"read"}))


class DomainViewSet(ResourceViewSet):
    filter_backends = [StrictFilterBackend]

    @property
    def actor(self) -> Actor:
        if getattr(self, "swagger_fake_view", False):
            return _SCHEMA_ACTOR
        return super().actor

    def run_action(
        self,
        request: Request,
        *,
        input_class: type[BaseSerializer] | None,
        do: Callable[[Any, dict[str, Any]], Any],
        output: Callable[[Any], Any] | None = None,
        status_code: int = status.HTTP_200_OK,
    ) -> Response:
        """POST /<resource>/{id}/<verb>/: validate the body, call ``do(instance, data)`` (a service)
        in one transaction, answer with ``output(result)`` (default: the resource's serializer)."""

        def handler() -> Response:
            with transaction.atomic():
                # The object first: an id out of reach in the URL is a 404 whatever the body says.
                instance = self.get_object()
                data: dict[str, Any] = {}
                if input_class is not None:
                    serializer = input_class(data=request.data, context=self.get_serializer_context())
                    serializer.is_valid(raise_exception=True)
                    data = dict(serializer.validated_data)
                result = do(instance, data)
            if status_code == status.HTTP_204_NO_CONTENT:
                return Response(status=status_code)
            body = output(result) if output is not None else self.get_serializer(result).data
            headers: dict[str, str] = {}
            if isinstance(result, models.Model):
                if getattr(result, "version", None) is None and hasattr(result, "updated_at"):
                    # A trigger may have touched the row after the service saved it (migration
                    # disputes 0005): the ETag must name the version a later read returns.
                    result.refresh_from_db(fields=["updated_at"])
                headers["ETag"] = self.get_etag(result)
                if status_code == status.HTTP_201_CREATED and type(result) is type(instance):
                    headers.update(self.location_header(result))
            return Response(body, status=status_code, headers=headers)

        if self.idempotent_create:
            return idempotent(request, self.actor, handler)
        return handler()


def org_users(actor: Actor) -> QuerySet:
    """Users of the caller's organisation (team members, action-item owners): the members selector."""
    return get_user_model().objects.filter(pk__in=member_list(organisation=actor.organisation).values("user_id"))


def refetch(queryset: QuerySet, obj: models.Model) -> models.Model:
    """The object again through a selector's queryset, with everything its output needs loaded."""
    return queryset.get(pk=obj.pk)
