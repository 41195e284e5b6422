"""Calendar of sessions across my disputes (month and week) and the personal iCal feed.

Sessions are built in apps/sessions in parallel; until that app has its Session model the
page says so instead of showing an empty calendar that could be mistaken for "no meetings".
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.accounts.decorators import member_required
from apps.dashboard.workspace import optional_selector


@member_required
@require_GET
def calendar(request: HttpRequest) -> HttpResponse:
    available = optional_selector("apps.sessions.selectors", "session_list") is not None
    return render(request, "dashboard/calendar.html", {"available": available})
