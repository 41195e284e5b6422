"""One way to show a date or a time on a page (issue #16).

- ``{{ value|when }}``: an aware datetime in the viewer's zone (UserTimezoneMiddleware activates
  it), with the zone named: "10 Dec 2026, 17:00 (Europe/Berlin)". ``{{ value|when:zone }}`` shows
  it in another named zone (a venue's).
- ``{% when value venue_tz %}`` (optionally ``end=...``): the viewer's time, and the venue's
  beside it where the wall-clock differs: "10 Dec 2026, 17:00–18:30 (Europe/Berlin) · at the
  venue 21:45–23:15 (Asia/Kathmandu)", inside a ``<time datetime="…">``.
- ``{{ date|day }}``: a calendar date with its month named, never month-first digits.

Dates carry the month's name (Django's per-language month names) or are digits in ISO order;
times are 24-hour. The pattern is the language's own DATE_FORMAT (all of them name the month),
except English, whose Django default is American ("Dec. 10, 2026"): international teams read
"10 Dec 2026".
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.formats import get_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from apps.common.timezones import zone_label

register = template.Library()

TIME_FORMAT = "H:i"


def date_pattern() -> str:
    lang = (get_language() or "en").lower()
    if lang.startswith("en"):
        return "j M Y"
    return get_format("DATE_FORMAT", lang=lang)


def _zone(name: object) -> dt.tzinfo | None:
    if isinstance(name, dt.tzinfo):
        return name
    try:
        return zoneinfo.ZoneInfo(str(name)) if name else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def _zone_name(tz: dt.tzinfo) -> str:
    return zone_label(getattr(tz, "key", None) or str(tz))


def _local(value: dt.datetime, tz: dt.tzinfo | None) -> tuple[dt.datetime, dt.tzinfo]:
    tz = tz or timezone.get_current_timezone()
    if timezone.is_naive(value):
        return value, tz
    return timezone.localtime(value, tz), tz


def _span(start: dt.datetime, end: dt.datetime | None, with_date: bool = True) -> str:
    text = date_format(start, TIME_FORMAT)
    if with_date:
        text = f"{date_format(start, date_pattern())}, {text}"
    if end is None:
        return text
    if end.date() == start.date():
        return f"{text}–{date_format(end, TIME_FORMAT)}"
    return f"{text} – {date_format(end, date_pattern())}, {date_format(end, TIME_FORMAT)}"


def format_when(value: dt.datetime, zone: object = None, end: dt.datetime | None = None, *,
                same_day_as: dt.date | None = None) -> str:
    """``same_day_as``: leave the date out when it is that day (the venue's time beside mine)."""
    start, tz = _local(value, _zone(zone))
    stop = _local(end, tz)[0] if end is not None else None
    with_date = same_day_as is None or start.date() != same_day_as or (stop is not None and stop.date() != start.date())
    return pgettext("a time and its zone", "%(time)s (%(zone)s)") % {
        "time": _span(start, stop, with_date), "zone": _zone_name(tz)}


@register.filter(expects_localtime=False)
def when(value: object, zone: object = None) -> str:
    """An aware datetime in the viewer's zone (or in ``zone``), the zone named; "" for None."""
    if not isinstance(value, dt.datetime):
        return day(value) if isinstance(value, dt.date) else ""
    return format_when(value, zone)


@register.filter(expects_localtime=False)
def day(value: object) -> str:
    """A date with its month named ("10 Dec 2026"); for a datetime, its date in the viewer's zone."""
    if isinstance(value, dt.datetime):
        value = _local(value, None)[0]
    if not isinstance(value, dt.date):
        return ""
    return date_format(value, date_pattern())


@register.simple_tag(name="when")
def when_tag(value: object, venue_tz: object = None, end: dt.datetime | None = None,
             zone: object = None) -> SafeString | str:
    """The viewer's time (or ``zone``'s) with its zone named; the venue's beside it when its
    wall-clock differs."""
    if not isinstance(value, dt.datetime):
        return ""
    mine = format_when(value, zone, end)
    venue = _zone(venue_tz)
    iso = value.astimezone(dt.UTC).isoformat() if timezone.is_aware(value) else value.isoformat()
    if venue is None or timezone.is_naive(value):
        return format_html('<time datetime="{}">{}</time>', iso, mine)
    viewer = _local(value, _zone(zone))[0]
    theirs = format_when(value, venue, end, same_day_as=viewer.date())
    if viewer.replace(tzinfo=None) == timezone.localtime(value, venue).replace(tzinfo=None):
        return format_html('<time datetime="{}">{}</time>', iso, mine)
    return format_html('<time datetime="{}">{}</time> <span class="venue-time">· {}</span>', iso, mine,
                       _("at the venue %(when)s") % {"when": theirs})
