"""Helpers shared by the pages of the mediation record (sessions, shuttle board, proposals, agreements).

Each page is one template whose parts are ``{% partialdef %}`` blocks: a form posted with htmx
answers with the part it changed (re-read through the selectors), a form posted without
JavaScript answers with a redirect, and a refused form answers with the same part, its
error beside the field and everything that was typed still in it.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from apps.common.errors import AccessDenied
from apps.dashboard.forms import run_service
from apps.dashboard.timezones import TimeZoneSelect, is_known_zone, time_zone_choices
from apps.dashboard.views._common import is_htmx


class TimeZoneField(forms.ChoiceField):
    """Current IANA zones; a legacy alias already stored stays valid (apps/dashboard/timezones.py)."""

    widget = TimeZoneSelect

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=time_zone_choices, **kwargs)

    def valid_value(self, value: Any) -> bool:
        return super().valid_value(value) or (isinstance(value, str) and "/" in value and is_known_zone(value))


def aware(day: dt.date, at: dt.time, zone: str) -> dt.datetime:
    """A wall-clock time at the venue, as an aware datetime."""
    return dt.datetime.combine(day, at, tzinfo=zoneinfo.ZoneInfo(zone))


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs=attrs, format="%H:%M")


def model_choices(rows: Any, label: Callable[[Any], Any] = str) -> list[tuple[str, Any]]:
    return [(str(r.pk), label(r)) for r in rows]


def pick(rows: Any, ids: Any) -> list[Any]:
    """The rows (already loaded, already in the caller's scope) whose ids were chosen, in their order."""
    wanted = {str(i) for i in (ids if isinstance(ids, list | tuple) else [ids]) if i not in (None, "")}
    return [r for r in rows if str(r.pk) in wanted]


def pick_one(rows: Any, value: Any) -> Any:
    found = pick(rows, [value])
    return found[0] if found else None


def call_service(form: forms.Form, call: Callable[..., Any], *, field_map: Mapping[str, str] | None = None,
                 **kwargs: Any) -> Any:
    """run_service, with the service's refusal kept on the form (an AccessDenied becomes a 403 later)."""
    return run_service(form, call, field_map=field_map, **kwargs)


def respond(
    request: HttpRequest,
    *,
    ok: bool,
    form: forms.Form | None,
    template: str,
    part: str,
    context: Callable[[], dict[str, Any]],
    redirect_to: str,
    flash: str = "",
) -> HttpResponse:
    """Success: the changed part for htmx, a redirect otherwise. Failure: the part (or page) with the form bound."""
    exc = getattr(form, "application_error", None) if form is not None else None
    if isinstance(exc, AccessDenied):
        return render(request, "dashboard/forbidden.html", {"message": exc.message}, status=403)
    if ok and not is_htmx(request):
        if flash:
            messages.success(request, flash)
        return redirect(redirect_to)
    ctx = context()
    ctx["flash"] = flash if ok else ""
    if is_htmx(request):
        response = render(request, f"{template}#{part}", ctx)
        if ok:
            # static/js/app.js forgets the drafts of the form that was saved (and only then).
            response["HX-Trigger"] = "peacecase-saved"
        return response
    return render(request, template, ctx)
