"""Organisation settings for admins: members and roles, and links to the other settings pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from apps.accounts.decorators import member_required
from apps.accounts.selectors import member_list
from apps.dashboard.views._common import forbidden


def _url_or_none(name: str) -> str | None:
    """Settings pages of apps built in parallel (API keys, webhooks) appear once they exist."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


@member_required
@require_GET
def organisation_settings(request: HttpRequest) -> HttpResponse:
    if not request.actor.is_admin:
        return forbidden(request)
    return render(request, "dashboard/organisation_settings.html", {
        "members": list(member_list(organisation=request.actor.organisation)),
        "links": {
            "reminder_rules": _url_or_none("reminders:rules"),
            "api_keys": _url_or_none("api_key_list"),
            "webhooks": _url_or_none("webhook_list"),
        },
    })
