"""The dashboard: what needs the user's attention today, in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from apps.accounts.actors import Actor
from apps.accounts.decorators import member_required
from apps.dashboard.selectors import my_disputes
from apps.dashboard.workspace import optional_selector

MY_DISPUTES_LIMIT = 15
PANEL_LIMIT = 8


@dataclass(frozen=True)
class Panel:
    """One box of the dashboard: a template under templates/dashboard/panels/ and a loader (one selector call)."""

    key: str
    title: str | Promise
    load: Callable[[Actor], dict[str, Any]]

    @property
    def template(self) -> str:
        return f"dashboard/panels/{self.key}.html"


def _load_notifications(actor: Actor) -> dict[str, Any]:
    select = optional_selector("apps.reminders.selectors", "notification_list_for_actor")
    if select is None:
        return {"available": False}
    return {"available": True, "rows": list(select(actor=actor).filter(read_at__isnull=True)[:PANEL_LIMIT])}


def _pending(module: str, name: str) -> Callable[[Actor], dict[str, Any]]:
    """A panel whose app is still being built: "nothing yet" until its selector exists."""

    def load(actor: Actor) -> dict[str, Any]:
        return {"available": optional_selector(module, name) is not None, "rows": []}

    return load


PANELS: list[Panel] = [
    Panel("sessions", _("My sessions today and this week"), _pending("apps.sessions.selectors", "session_list")),
    Panel("shuttle", _("Shuttle rounds waiting"), _pending("apps.sessions.selectors", "shuttle_round_list")),
    Panel("proposals", _("Proposals awaiting a response"), _pending("apps.negotiations.selectors", "proposal_list")),
    Panel("overdue", _("Overdue action items and provisions"),
          _pending("apps.sessions.selectors", "action_item_list")),
    Panel("notifications", _("Unread notifications"), _load_notifications),
]


@member_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    panels = [{"key": p.key, "title": p.title, "template": p.template, "data": p.load(actor)} for p in PANELS]
    return render(request, "dashboard/home.html", {
        "my_disputes": list(my_disputes(actor=actor)[:MY_DISPUTES_LIMIT]),
        "panels": panels,
    })
