"""Turn a reminder's stored context into text for one recipient, in their language and time zone.

The context keys a caller may set (all optional, all JSON):
``title``, ``dispute_reference``, ``url``, ``party`` (shuttle follow-up),
``event_at`` (ISO datetime: the session start or deadline the reminder is about),
``event_date`` (ISO date, for deadlines that are a day), ``venue_tz`` (IANA zone of the
venue: times are shown in the recipient's zone *and* the venue's), ``hours_before``, ``days``.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import dateformat, formats, translation
from django.utils.translation import gettext as _

from apps.reminders.models import ReminderKind

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.reminders.models import Reminder

DATETIME_FORMAT = "D j M Y, H:i T"


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str
    url: str
    email_subject: str
    email_body: str


def _zone(name: str | None) -> zoneinfo.ZoneInfo | None:
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def format_in_zone(value: dt.datetime, tz: zoneinfo.ZoneInfo) -> str:
    """``Sun 29 Mar 2026, 12:30 IST (Asia/Kolkata)``: the zone's name too, since abbreviations are ambiguous."""
    return f"{dateformat.format(value.astimezone(tz), DATETIME_FORMAT)} ({tz.key})"


def _titles() -> dict[str, str]:
    # Built per call so each string is translated in the recipient's language.
    return {
        ReminderKind.SESSION_UPCOMING: _("Upcoming session: %(title)s"),
        ReminderKind.SHUTTLE_FOLLOW_UP: _("Shuttle follow-up: %(party)s is waiting"),
        ReminderKind.PROPOSAL_RESPONSE_DUE: _("Response due soon: %(title)s"),
        ReminderKind.PROPOSAL_RESPONSE_OVERDUE: _("Response deadline passed: %(title)s"),
        ReminderKind.ACTION_ITEM_DUE: _("Action item due soon: %(title)s"),
        ReminderKind.ACTION_ITEM_OVERDUE: _("Action item overdue: %(title)s"),
        ReminderKind.PROVISION_DUE: _("Commitment due soon: %(title)s"),
        ReminderKind.PROVISION_DUE_TODAY: _("Commitment due today: %(title)s"),
        ReminderKind.PROVISION_OVERDUE: _("Commitment overdue: %(title)s"),
        ReminderKind.DISPUTE_STALE: _("No session for %(days)s days: %(title)s"),
    }


def render_reminder(*, reminder: Reminder, user: User, context: Mapping[str, Any] | None = None) -> Rendered:
    """``context`` (from ``audience.audience_reach``) is what this recipient may read now; without
    it the stored context is used."""
    with translation.override(user.language or "en"):
        return _render(reminder, user, reminder.context if context is None else context)


def _render(reminder: Reminder, user: User, ctx: Mapping[str, Any] | None) -> Rendered:
    ctx = ctx or {}
    title_text = str(ctx.get("title") or reminder.target_type)
    values = {
        "title": title_text,
        "party": str(ctx.get("party") or _("a party")),
        "days": ctx.get("days", ""),
    }
    title = _titles().get(reminder.kind, "%(title)s") % values
    reference = str(ctx.get("dispute_reference") or "")
    if reference:
        title = f"{reference} · {title}"

    when_local = when_venue = when_date = ""
    if ctx.get("event_at"):
        event_at = dt.datetime.fromisoformat(ctx["event_at"])
        when_local = format_in_zone(event_at, user.tzinfo)
        venue = _zone(ctx.get("venue_tz"))
        if venue is not None and venue.key != user.tzinfo.key:
            when_venue = format_in_zone(event_at, venue)
    elif ctx.get("event_date"):
        when_date = formats.date_format(dt.date.fromisoformat(ctx["event_date"]), "DATE_FORMAT")

    lines = []
    if when_local:
        lines.append(_("When: %(when)s") % {"when": when_local})
    if when_venue:
        lines.append(_("At the venue: %(when)s") % {"when": when_venue})
    if when_date:
        lines.append(_("Date: %(date)s") % {"date": when_date})
    body = "\n".join(lines)

    template_context = {
        "user": user,
        "reminder": reminder,
        "ctx": ctx,
        "title": title,
        "subject_title": title_text,
        "reference": reference,
        "when_local": when_local,
        "when_venue": when_venue,
        "when_date": when_date,
        "url": str(ctx.get("url") or ""),
    }
    try:
        template = get_template(f"emails/reminder_{reminder.kind}.txt")
    except TemplateDoesNotExist:
        template = get_template("emails/reminder_generic.txt")
    email_body = template.render(template_context)
    return Rendered(
        title=title[:300],
        body=body,
        url=str(ctx.get("url") or "")[:500],
        email_subject=(_("[PeaceCase] %(title)s") % {"title": title}).replace("\n", " ")[:250],
        email_body=email_body,
    )
