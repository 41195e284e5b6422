from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, permissions
from rest_framework.request import Request

from apps.accounts.actors import Actor


def actor_of(request: Request) -> Actor | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, Actor) else None


class IsActor(permissions.BasePermission):
    """A valid API key, or a signed-in user who belongs to an organisation."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if actor_of(request) is not None:
            return True
        if request.user is not None and request.user.is_authenticated:
            raise exceptions.PermissionDenied(_("You are not a member of any organisation."), code="no_membership")
        raise exceptions.NotAuthenticated()


class ActorCanWrite(permissions.BasePermission):
    """The role-level gate for unsafe methods; the rows (services) decide the rest."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        actor = actor_of(request)
        if actor is None:
            return False
        if actor.can_write:
            return True
        if actor.is_api_key:
            raise exceptions.PermissionDenied(_("This API key is read-only."), code="read_only_key")
        raise exceptions.PermissionDenied(_("Your role may not change data."), code="read_only_role")


class NoAPIKeys(permissions.BasePermission):
    """For resources about people or configuration that partner integrations do not need."""

    def has_permission(self, request: Request, view: Any) -> bool:
        actor = actor_of(request)
        if actor is not None and actor.is_api_key:
            raise exceptions.PermissionDenied(_("This resource is not available to API keys."), code="no_api_keys")
        return True


class IsOrganisationAdmin(permissions.BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        actor = actor_of(request)
        if actor is not None and actor.is_admin:
            return True
        raise exceptions.PermissionDenied(_("Only an admin of the organisation may do this."), code="admin_only")
