"""Calendar of sessions across my disputes (month and week) and the personal iCal feed."""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.decorators import member_required
from apps.common.errors import ApplicationError
from apps.dashboard import selectors, services

FEED_PAST_DAYS = 90
FEED_FUTURE_DAYS = 400


def _parse_day(value: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default


@member_required
@require_GET
def calendar(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    tz = request.user.tzinfo
    today = timezone.localtime(timezone.now(), tz).date()
    view = "week" if request.GET.get("view") == "week" else "month"
    day = _parse_day(request.GET.get("date"), today)
    mine_only = request.GET.get("scope") != "all"
    if view == "week":
        first = day - dt.timedelta(days=day.weekday())
        last = first + dt.timedelta(days=7)
        prev_day, next_day = first - dt.timedelta(days=7), first + dt.timedelta(days=7)
    else:
        month_first = day.replace(day=1)
        first = month_first - dt.timedelta(days=month_first.weekday())
        days_in_month = pycalendar.monthrange(day.year, day.month)[1]
        month_last = month_first + dt.timedelta(days=days_in_month)
        last = month_last + dt.timedelta(days=(7 - month_last.weekday()) % 7)
        prev_day = (month_first - dt.timedelta(days=1)).replace(day=1)
        next_day = month_last
    start = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(last, dt.time.min, tzinfo=tz)
    sessions = selectors.calendar_sessions(actor=actor, start=start, end=end, mine_only=mine_only)
    by_day: dict[dt.date, list[Any]] = {}
    for s in list(sessions) if sessions is not None else []:
        by_day.setdefault(timezone.localtime(s.starts_at, tz).date(), []).append(s)
    days = [first + dt.timedelta(days=i) for i in range((last - first).days)]
    weeks = [[{"date": d, "sessions": by_day.get(d, []), "in_month": view == "week" or d.month == day.month,
               "today": d == today} for d in days[i:i + 7]] for i in range(0, len(days), 7)]
    return render(request, "dashboard/calendar.html", {
        "available": sessions is not None, "view": view, "day": day, "weeks": weeks,
        "first": first, "last": last - dt.timedelta(days=1), "prev_day": prev_day, "next_day": next_day,
        "today": today, "mine_only": mine_only, "feed": selectors.calendar_feed_active(actor=actor),
        "feed_url": request.session.pop("calendar_feed_url", None),
    })


@member_required
@require_POST
def calendar_feed_create(request: HttpRequest) -> HttpResponse:
    _feed, token = services.calendar_feed_create(actor=request.actor)
    # Shown once, on the next page: only the token's hash is kept.
    request.session["calendar_feed_url"] = request.build_absolute_uri(reverse("calendar_feed", args=[token]))
    messages.success(request, _("Your calendar feed is ready. Copy its address now: it is shown only once."))
    return redirect("calendar")


@member_required
@require_POST
def calendar_feed_revoke(request: HttpRequest) -> HttpResponse:
    try:
        services.calendar_feed_revoke(actor=request.actor)
        messages.success(request, _("The calendar feed is revoked: its address no longer works."))
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    return redirect("calendar")


@never_cache
@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The iCal feed. The token in the URL is the only credential, so anything wrong is a plain 404."""
    from icalendar import Calendar, Event

    actor = selectors.calendar_feed_actor(token=token)
    if actor is None:
        raise Http404
    now = timezone.now()
    sessions = selectors.calendar_sessions(actor=actor, start=now - dt.timedelta(days=FEED_PAST_DAYS),
                                           end=now + dt.timedelta(days=FEED_FUTURE_DAYS))
    cal = Calendar()
    cal.add("prodid", "-//PeaceCase//Sessions//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", _("PeaceCase sessions"))
    status = {"cancelled": "CANCELLED", "postponed": "TENTATIVE"}
    for s in sessions if sessions is not None else []:
        event = Event()
        event.add("uid", f"session-{s.pk}@peacecase")
        event.add("dtstamp", now)
        event.add("dtstart", s.starts_at)
        event.add("dtend", s.ends_at)
        # Only what a calendar on a phone or a cloud service may hold: never summaries, outcomes or
        # notes; for a restricted dispute not even the title or the venue.
        if s.dispute.is_restricted:
            event.add("summary", f"{s.dispute.reference} · {s.get_kind_display()}")
        else:
            event.add("summary", f"{s.dispute.reference} · {s.title}")
            if s.venue:
                event.add("location", s.venue)
        event.add("url", request.build_absolute_uri(reverse("dispute_detail", args=[s.dispute_id])))
        event.add("status", status.get(s.status, "CONFIRMED"))
        cal.add_component(event)
    response = HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="peacecase.ics"'
    return response
