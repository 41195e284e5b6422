from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from apps.accounts.middleware import current_actor


def member_required(view):
    """Signed in and a member of some organisation; passes the Actor as request.actor."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        actor = current_actor(request)
        if actor is None:
            return render(request, "accounts/no_membership.html", status=403)
        request.actor = actor
        return view(request, *args, **kwargs)

    return wrapper
