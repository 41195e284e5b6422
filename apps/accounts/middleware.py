from __future__ import annotations

import time

from django.conf import settings
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from apps.accounts.actors import Actor
from apps.accounts.selectors import membership_get, membership_list_for_user

SESSION_KEY = "organisation_id"


def _membership(request):
    if not hasattr(request, "_cached_membership"):
        membership = None
        user = request.user
        if user.is_authenticated:
            membership = membership_get(user=user, organisation_id=request.session.get(SESSION_KEY))
            if membership is None:
                # The session's organisation is gone (or never set): fall back to the first one.
                membership = membership_list_for_user(user=user).select_related("user").first()
                if membership is not None:
                    request.session[SESSION_KEY] = membership.organisation_id
                else:
                    request.session.pop(SESSION_KEY, None)
        request._cached_membership = membership
    return request._cached_membership


class CurrentOrganisationMiddleware:
    """Puts the current membership, organisation and Actor on the request.

    The current organisation lives in the session; it is always re-checked against the
    user's memberships, so a stale or forged id falls back to one the user belongs to.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = SimpleLazyObject(lambda: _membership(request))
        request.actor = SimpleLazyObject(
            lambda: Actor.for_membership(_membership(request)) if _membership(request) else None
        )
        return self.get_response(request)


def current_membership(request):
    return _membership(request)


def current_actor(request) -> Actor | None:
    membership = _membership(request)
    return Actor.for_membership(membership) if membership is not None else None


TWO_FACTOR_EXEMPT = ("/accounts/", "/static/", "/healthz", "/i18n/", "/api/schema/", "/api/docs/", "/api/redoc/")
TWO_FACTOR_CHECK_SECONDS = 300
TWO_FACTOR_SESSION_KEY = "pc_2fa_ok_until"
SESSION_RENEWED_KEY = "pc_renewed_at"
SESSION_RENEW_SECONDS = 60


class TwoFactorMiddleware:
    """Sends a signed-in user to the second-factor step when it is due.

    A user with an authenticator must use it each sign-in; a user whose organisation
    requires one (admins and mediators by default) must set it up first. API requests
    carrying an API key are not affected. The decision is cached in the session for a
    few minutes so ordinary pages pay no extra query.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        redirect_to = self._redirect(request)
        if redirect_to is not None:
            return redirect_to
        response = self.get_response(request)
        membership = getattr(request, "_cached_membership", None)
        if membership is not None and hasattr(request, "session"):
            # Expiry after inactivity, the organisation's choice: the session is saved (and so its
            # expiry and cookie pushed back) at most once a minute, not on every request — a write
            # and a commit per page for nothing.
            seconds = membership.organisation.session_timeout_minutes * 60
            if request.session.get_expiry_age() != seconds:
                request.session.set_expiry(seconds)
            now = int(time.time())
            every = getattr(settings, "PEACECASE_SESSION_RENEW_SECONDS", SESSION_RENEW_SECONDS)
            if now - request.session.get(SESSION_RENEWED_KEY, 0) >= every:
                request.session[SESSION_RENEWED_KEY] = now
        return response

    def _redirect(self, request):
        from django.http import JsonResponse
        from django.shortcuts import redirect
        from django.urls import reverse
        from django.utils.http import urlencode

        from apps.accounts import twofactor

        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith(TWO_FACTOR_EXEMPT):
            return None
        if not getattr(settings, "PEACECASE_ENFORCE_2FA", True):
            return None
        if request.path.startswith("/api/") and "HTTP_AUTHORIZATION" in request.META:
            return None
        if request.session.get(TWO_FACTOR_SESSION_KEY, 0) > time.time():
            return None
        if hasattr(user, "is_verified") and user.is_verified():
            request.session[TWO_FACTOR_SESSION_KEY] = time.time() + TWO_FACTOR_CHECK_SECONDS
            return None
        if twofactor.user_has_second_factor(user):
            target = "two_factor_verify"
        elif twofactor.user_requires_2fa(user):
            target = "two_factor_setup"
        else:
            request.session[TWO_FACTOR_SESSION_KEY] = time.time() + TWO_FACTOR_CHECK_SECONDS
            return None
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"type": "about:blank", "title": "Two-factor sign-in required", "status": 403,
                 "detail": "Complete two-factor sign-in in the browser first.", "code": "two_factor_required"},
                status=403, content_type="application/problem+json",
            )
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")


class UserTimezoneMiddleware:
    """Pages show times in the signed-in user's own time zone (their profile's), as the forms read
    them: a time typed as "your time" is shown back as the same wall-clock time. Places that show a
    venue's time say so with ``{% timezone %}``. The API stays in UTC (``Z``) whoever calls it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if not request.path.startswith("/api/") and user is not None and user.is_authenticated:
            timezone.activate(user.tzinfo)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
