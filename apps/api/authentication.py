"""Who is calling: an organisation's API key or a signed-in member (with CSRF).

Both put an ``apps.accounts.actors.Actor`` in ``request.auth``; views read it as ``self.actor``.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request
from rest_framework_api_key.permissions import KeyParser

from apps.accounts.actors import Actor
from apps.accounts.middleware import current_actor
from apps.accounts.models import Membership
from apps.api.models import OrganisationAPIKey
from apps.api.services import api_key_mark_used


class APIKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: Api-Key <prefix>.<secret>``."""

    keyword = "Api-Key"
    key_parser = KeyParser()

    def authenticate(self, request: Request) -> tuple[AnonymousUser, Actor] | None:
        raw_key = self.key_parser.get_from_authorization(request)
        if raw_key is None:
            return None
        prefix, dot, _secret = raw_key.strip().partition(".")
        failed = exceptions.AuthenticationFailed(_("Invalid or revoked API key."), code="invalid_api_key")
        if not dot or not prefix:
            raise failed
        api_key = (
            OrganisationAPIKey.objects.select_related("organisation").filter(prefix=prefix).first()
        )
        # Revoked, expired and unknown keys answer alike, so a leaked prefix tells nothing.
        if api_key is None or api_key.revoked or api_key.has_expired or not api_key.is_valid(raw_key.strip()):
            raise failed
        api_key_mark_used(api_key=api_key)
        actor = Actor(
            organisation=api_key.organisation,
            role=Membership.Role.PARTNER,
            user=None,
            api_key_id=api_key.pk,
            api_key_name=api_key.name,
            scopes=api_key.scopes,
        )
        return AnonymousUser(), actor

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) when credentials are missing or wrong.
        return self.keyword


class MemberSessionAuthentication(authentication.SessionAuthentication):
    """The browser session of a signed-in member; CSRF is enforced on unsafe methods."""

    def authenticate(self, request: Request) -> tuple[object, Actor | None] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user, _auth = result
        # The organisation chosen in the web app (session), re-checked against memberships.
        return user, current_actor(request._request)
