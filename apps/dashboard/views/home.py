"""The dashboard: what needs the user's attention today, in a fixed number of queries.

Each panel is one template under templates/dashboard/panels/ and one loader calling one
selector of the app that owns the data; a panel whose app has no selector yet says
"Nothing yet". Everything is limited to the disputes whose case team the user is on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from apps.accounts.actors import Actor
from apps.accounts.decorators import member_required
from apps.dashboard.selectors import my_disputes
from apps.dashboard.workspace import optional_selector
from apps.disputes.selectors import dispute_ids_on_team

MY_DISPUTES_LIMIT = 15
PANEL_LIMIT = 8


@dataclass(frozen=True)
class Panel:
    key: str
    title: str | Promise
    load: Callable[[Actor, dt.datetime], dict[str, Any]]

    @property
    def template(self) -> str:
        return f"dashboard/panels/{self.key}.html"


def _mine(actor: Actor):
    return dispute_ids_on_team(actor=actor)


def _first(qs: QuerySet, *, related: tuple[str, ...], fields: tuple[str, ...]) -> list[Any]:
    """The panel's first rows, in one query that PostgreSQL can start small.

    The selector's query, scoped and ordered, picks the ids alone (``LIMIT`` inside, no joins), so
    the database starts from the user's few disputes and stops at PANEL_LIMIT instead of joining
    every visible row first; only those rows are then joined to what the template shows, and only
    the columns it shows are read. Access rules are untouched: both parts are the selector's query.
    """
    picked = qs.values("pk")[:PANEL_LIMIT]
    return list(qs.filter(pk__in=picked).select_related(None).select_related(*related).only(*fields))


def _load_sessions(actor: Actor, now: dt.datetime) -> dict[str, Any]:
    select = optional_selector("apps.sessions.selectors", "session_list")
    if select is None:
        return {"available": False}
    tz = actor.user.tzinfo if actor.user is not None else dt.UTC
    today = timezone.localtime(now, tz).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = _first(
        select(actor=actor, starts_after=today, starts_before=today + dt.timedelta(days=7))
        .filter(dispute_id__in=_mine(actor)).exclude(status="cancelled").order_by("starts_at", "id"),
        related=("dispute",),
        fields=("starts_at", "title", "kind", "dispute__reference"),
    )
    end_of_today = today + dt.timedelta(days=1)
    return {"available": True, "today": [s for s in rows if s.starts_at < end_of_today],
            "later": [s for s in rows if s.starts_at >= end_of_today]}


def _load_shuttle(actor: Actor, now: dt.datetime) -> dict[str, Any]:
    select = optional_selector("apps.sessions.selectors", "shuttle_round_list")
    state = optional_selector("apps.sessions.selectors", "shuttle_round_state")
    if select is None or state is None:
        return {"available": False}
    rounds = list(select(actor=actor, status="open").filter(dispute_id__in=_mine(actor))[:PANEL_LIMIT])
    rows = [{"round": r, "state": state(r)} for r in rounds]
    rows.sort(key=lambda row: row["state"].waiting_since or now)
    return {"available": True, "rows": rows}


def _load_proposals(actor: Actor, now: dt.datetime) -> dict[str, Any]:
    select = optional_selector("apps.negotiations.selectors", "proposal_list")
    if select is None:
        return {"available": False}
    rows = _first(
        select(actor=actor, awaiting_response=True).filter(dispute_id__in=_mine(actor)),
        related=("issue", "tabled_by__party"),
        fields=("dispute_id", "bridging", "response_deadline", "issue__title", "tabled_by__party__name"),
    )
    return {"available": True, "rows": rows}


def _load_overdue(actor: Actor, now: dt.datetime) -> dict[str, Any]:
    items = optional_selector("apps.sessions.selectors", "action_item_list")
    provisions = optional_selector("apps.agreements.selectors", "provisions_overdue")
    data: dict[str, Any] = {"available": items is not None or provisions is not None, "items": [], "provisions": []}
    if items is not None:
        data["items"] = _first(
            items(actor=actor, overdue=True, open_only=True).filter(dispute_id__in=_mine(actor)),
            related=("owner_user", "owner_party__party"),
            fields=("dispute_id", "description", "due_on", "owner_user__name", "owner_user__email",
                    "owner_party__party__name"),
        )
    if provisions is not None:
        data["provisions"] = _first(
            provisions(actor=actor).filter(agreement__dispute_id__in=_mine(actor)),
            related=("agreement",),
            fields=("label", "text", "deadline", "agreement__dispute_id", "agreement__title"),
        )
    return data


def _load_notifications(actor: Actor, now: dt.datetime) -> dict[str, Any]:
    select = optional_selector("apps.reminders.selectors", "notification_list_for_actor")
    if select is None:
        return {"available": False}
    return {"available": True, "rows": list(select(actor=actor).filter(read_at__isnull=True)[:PANEL_LIMIT])}


PANELS: list[Panel] = [
    Panel("sessions", _("My sessions today and this week"), _load_sessions),
    Panel("shuttle", _("Shuttle rounds waiting"), _load_shuttle),
    Panel("proposals", _("Proposals awaiting a response"), _load_proposals),
    Panel("overdue", _("Overdue action items and provisions"), _load_overdue),
    Panel("notifications", _("Unread notifications"), _load_notifications),
]


@member_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    now = timezone.now()
    panels = [{"key": p.key, "title": p.title, "template": p.template, "data": p.load(actor, now)} for p in PANELS]
    return render(request, "dashboard/home.html", {
        "my_disputes": list(my_disputes(actor=actor)[:MY_DISPUTES_LIMIT]),
        "panels": panels,
        "now": now,
    })
