"""Time zones in forms: the pickers' choices, inputs that name their zone, the default start."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _

from apps.common.timezones import canonical_time_zones, zone_label
from apps.dashboard.forms import FastSelect


def time_zone_choices() -> list[tuple[str, str]]:
    return [(z, zone_label(z)) for z in canonical_time_zones()]


def _current_zone_name() -> str:
    return zone_label(timezone.get_current_timezone_name())


def your_time(label: str) -> str:
    """A field label that names the zone it is read in: the viewer's, active while the form is
    rendered and parsed (UserTimezoneMiddleware)."""
    return lazy(lambda: _("%(label)s (your time: %(zone)s)") % {"label": label, "zone": _current_zone_name()},
                str)()


class LocalDateTimeField(forms.DateTimeField):
    """A date and time typed in the viewer's own zone, and saying so in its label."""

    def __init__(self, *, label: str, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
        super().__init__(label=your_time(label), **kwargs)


def default_start(zone: str, now: dt.datetime | None = None) -> tuple[dt.date, dt.time]:
    """When a new session or visit probably starts, as a wall-clock day and time in ``zone``: the
    next full hour during working hours (08:00–17:00), otherwise 09:00 on the next morning — never
    the 01:00 a night-time "next hour" would give."""
    try:
        tz = zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = dt.UTC
    local = (now or timezone.now()).astimezone(tz)
    nxt = (local + dt.timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    if nxt.date() == local.date() and 8 <= nxt.hour <= 17:
        return nxt.date(), nxt.time()
    day = local.date() if local.hour < 8 else local.date() + dt.timedelta(days=1)
    return day, dt.time(9, 0)


class TimeZoneSelect(FastSelect):
    """The canonical zones, plus the value already stored when it is a legacy alias (a session
    created over the API as ``Asia/Calcutta``): shown selected, so re-saving a form never moves a
    venue to the first zone of the list."""

    def render(self, name: str, value: Any, attrs: dict | None = None, renderer: Any = None) -> str:
        if value and isinstance(value, str) and value not in canonical_time_zones() and is_known_zone(value):
            original = self.choices
            self.choices = [(value, zone_label(value)), *original]
            try:
                return super().render(name, value, attrs, renderer)
            finally:
                self.choices = original
        return super().render(name, value, attrs, renderer)


def is_known_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True
