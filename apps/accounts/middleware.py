from __future__ import annotations

import time

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.http import urlencode
from django.utils.translation import gettext

from apps.accounts import twofactor
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


# The only views a signed-in session may reach before its second factor is verified (or set up
# when it must be): by URL name, so a new page under /accounts/ is guarded unless it is added here.
TWO_FACTOR_ALLOWED_VIEWS = frozenset({
    "login", "logout", "two_factor_setup", "two_factor_verify",
    # Public pages that show nothing of the account.
    "healthz", "set_language", "api-schema", "api-docs", "api-redoc",
})
SESSION_RENEWED_KEY = "pc_renewed_at"
SESSION_RENEW_SECONDS = 60


class TwoFactorMiddleware:
    """Sends a signed-in session to the second-factor step when it is due (``twofactor.second_factor_due``).

    Every view except TWO_FACTOR_ALLOWED_VIEWS is held back until then: recovery codes, password
    change, the admin and the API (whatever headers the request carries) included. The API itself
    also refuses an unverified session (apps.api.authentication); this is the outer wall.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
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

    def process_view(self, request, view_func, view_args, view_kwargs):
        # process_view, not __call__: the resolved URL name is known here.
        match = request.resolver_match
        if match is not None and match.url_name in TWO_FACTOR_ALLOWED_VIEWS and not match.namespace:
            return None
        step = twofactor.second_factor_due(request)
        if step is None:
            return None
        if request.path_info.startswith("/api/"):
            return JsonResponse(
                {"type": "about:blank", "title": gettext("Two-factor sign-in required"), "status": 403,
                 "detail": gettext("Complete two-factor sign-in in the browser first."),
                 "code": "two_factor_required", "errors": {}},
                status=403, content_type="application/problem+json",
            )
        # A POST is not replayed after the step: come back to a page, not to the action.
        back = request.get_full_path() if request.method in ("GET", "HEAD") else reverse("home")
        return redirect(f"{reverse(step)}?{urlencode({'next': back})}")


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
