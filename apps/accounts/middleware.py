from __future__ import annotations

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
