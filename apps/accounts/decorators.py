from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from apps.accounts import twofactor
from apps.accounts.middleware import current_actor


def _second_factor_redirect(request):
    step = twofactor.second_factor_due(request)
    if step is None:
        return None
    # A POST is not replayed after verification: come back to the page, not the action.
    back = request.get_full_path() if request.method == "GET" else reverse("account_security")
    return redirect(f"{reverse(step)}?{urlencode({'next': back})}")


def verified_required(view):
    """Signed in, and the second factor done when one is due (twofactor.second_factor_due).

    TwoFactorMiddleware already holds such sessions back; this keeps the rule on the views that
    change how one signs in (recovery codes, password) even if the middleware list changes.
    """

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        return _second_factor_redirect(request) or view(request, *args, **kwargs)

    return wrapper


def member_required(view):
    """Signed in (second factor done when due) and a member of some organisation; passes the Actor
    as request.actor."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        pending = _second_factor_redirect(request)
        if pending is not None:
            return pending
        actor = current_actor(request)
        if actor is None:
            return render(request, "accounts/no_membership.html", status=403)
        request.actor = actor
        return view(request, *args, **kwargs)

    return wrapper
