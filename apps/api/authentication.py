"""Who is calling: an organisation's API key or a signed-in member (with CSRF and, when one is
due, a verified second factor).

Both put an ``apps.accounts.actors.Actor`` in ``request.auth``; views read it as ``self.actor``.
A request that carries an ``Authorization`` header is an API-key request: if the header is not a
valid key it is refused (401), never passed on to the session that may ride along in a cookie.
Every refusal counts against the caller's address (apps.api.throttling).
"""

from __future__ import annotations

from functools import cache

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request
from rest_framework_api_key.permissions import KeyParser

from apps.accounts import twofactor
from apps.accounts.actors import Actor
from apps.accounts.middleware import current_actor
from apps.accounts.models import Membership, Organisation
from apps.api.models import OrganisationAPIKey
from apps.api.services import api_key_mark_used
from apps.api.throttling import address_failure_hit


class TwoFactorRequired(exceptions.PermissionDenied):
    default_detail = _("Complete two-factor sign-in in the browser first.")
    default_code = "two_factor_required"


def _refuse(request: Request, exc: exceptions.APIException) -> exceptions.APIException:
    """The exception to raise for a failed authentication, once it is counted against the address:
    ``exc``, or 429 when the address is over its limit."""
    wait = address_failure_hit(request)
    return exc if wait is None else exceptions.Throttled(wait)


@cache
def _key_lookup() -> tuple[str, list[str], list[str]]:
    """The key and its organisation in one statement, written once: the ORM would build and compile
    the same SELECT … JOIN on every request (~0.5 ms, a tenth of a list request)."""
    key_fields = [f.attname for f in OrganisationAPIKey._meta.concrete_fields]
    org_fields = [f.attname for f in Organisation._meta.concrete_fields]
    qn = connection.ops.quote_name
    columns = [f"k.{qn(OrganisationAPIKey._meta.get_field(a).column)}" for a in key_fields]
    columns += [f"o.{qn(Organisation._meta.get_field(a).column)}" for a in org_fields]
    # Names from model metadata only; the prefix is a query parameter.
    key_table, org_table = qn(OrganisationAPIKey._meta.db_table), qn(Organisation._meta.db_table)
    join = f"o.{qn(Organisation._meta.pk.column)} = k.{qn(OrganisationAPIKey._meta.get_field('organisation').column)}"
    sql = f"SELECT {', '.join(columns)} FROM {key_table} k JOIN {org_table} o ON {join} WHERE k.prefix = %s"  # noqa: S608
    return sql, key_fields, org_fields


def api_key_by_prefix(prefix: str) -> OrganisationAPIKey | None:
    """The key with this prefix and its organisation (loaded, no second query), or None."""
    sql, key_fields, org_fields = _key_lookup()
    with connection.cursor() as cursor:
        cursor.execute(sql, [prefix])
        row = cursor.fetchone()
    if row is None:
        return None
    api_key = OrganisationAPIKey.from_db(connection.alias, key_fields, row[: len(key_fields)])
    api_key.organisation = Organisation.from_db(connection.alias, org_fields, row[len(key_fields):])
    return api_key


class APIKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: Api-Key <prefix>.<secret>``."""

    keyword = "Api-Key"
    key_parser = KeyParser()

    def authenticate(self, request: Request) -> tuple[AnonymousUser, Actor] | None:
        if "HTTP_AUTHORIZATION" not in request.META:
            return None
        failed = exceptions.AuthenticationFailed(_("Invalid or revoked API key."), code="invalid_api_key")
        # Any Authorization header (Bearer, Basic, empty…) makes this a key request: one that is not
        # a key is refused here, never handed on to the session cookie that may come with it.
        raw_key = self.key_parser.get_from_authorization(request)
        if raw_key is None:
            raise _refuse(request, failed)
        prefix, dot, _secret = raw_key.strip().partition(".")
        if not dot or not prefix:
            raise _refuse(request, failed)
        api_key = api_key_by_prefix(prefix)
        # Revoked, expired and unknown keys answer alike, so a leaked prefix tells nothing.
        if api_key is None or api_key.revoked or api_key.has_expired or not api_key.is_valid(raw_key.strip()):
            raise _refuse(request, failed)
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
    """The browser session of a signed-in member; CSRF is enforced on unsafe methods, and the
    session must have done its second factor when one is due (403 ``two_factor_required``)."""

    def authenticate(self, request: Request) -> tuple[object, Actor | None] | None:
        try:
            result = super().authenticate(request)
        except exceptions.APIException as exc:  # CSRF failure
            raise _refuse(request, exc) from None
        if result is None:
            return None
        if twofactor.second_factor_due(request._request) is not None:
            raise _refuse(request, TwoFactorRequired())
        user, _auth = result
        # The organisation chosen in the web app (session), re-checked against memberships.
        return user, current_actor(request._request)
