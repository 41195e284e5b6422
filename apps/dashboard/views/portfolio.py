"""The organisation's portfolio, for admins and analysts: figures as SVG charts, tables and CSV."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from apps.accounts.actors import Actor, Role
from apps.accounts.decorators import member_required
from apps.dashboard import selectors
from apps.dashboard.charts import bar_chart
from apps.dashboard.forms import PortfolioFilterForm
from apps.dashboard.views._common import csv_response, forbidden

PORTFOLIO_ROLES = (Role.ADMIN, Role.ANALYST)


def _may_see_portfolio(actor: Actor) -> bool:
    return actor.role in PORTFOLIO_ROLES and not actor.is_api_key


def _figures(request: HttpRequest) -> tuple[PortfolioFilterForm, list[dict[str, Any]]]:
    form = PortfolioFilterForm(request.GET or None)
    params = form.cleaned_data if form.is_valid() else {}
    disputes = selectors.portfolio_disputes(
        actor=request.actor, opened_from=params.get("opened_from"), opened_to=params.get("opened_to"),
        country=params.get("country") or "",
    )
    figures = []
    for key, rows in (
        ("stage", selectors.portfolio_by_stage(disputes=disputes)),
        ("type", selectors.portfolio_by_type(disputes=disputes)),
        ("country", selectors.portfolio_by_country(disputes=disputes)),
        ("risk", selectors.portfolio_by_risk(disputes=disputes)),
    ):
        table = [(label, n) for _value, label, n in rows]
        figures.append({"key": key, "title": selectors.PORTFOLIO_FIGURES[key], "columns": [_("Disputes")],
                        "table": table, "chart": bar_chart(table),
                        # A dispute of several types or countries counts in each: no meaningful total there.
                        "total": sum(n for _l, n in table) if key in ("stage", "risk") else None})
    time_rows = selectors.portfolio_time_per_stage(disputes=disputes)
    figures.append({
        "key": "time", "title": selectors.PORTFOLIO_FIGURES["time"], "columns": [_("Average days"), _("Stays")],
        "table": [(label, days, n) for _v, label, days, n in time_rows],
        "chart": bar_chart([(label, days) for _v, label, days, _n in time_rows]), "total": None,
    })
    return form, figures


@member_required
@require_GET
def portfolio(request: HttpRequest) -> HttpResponse:
    if not _may_see_portfolio(request.actor):
        return forbidden(request)
    form, figures = _figures(request)
    return render(request, "dashboard/portfolio.html", {"form": form, "figures": figures})


@member_required
@require_GET
def portfolio_csv(request: HttpRequest, figure: str) -> HttpResponse:
    if not _may_see_portfolio(request.actor):
        return forbidden(request)
    if figure not in selectors.PORTFOLIO_FIGURES:
        raise Http404
    _form, figures = _figures(request)
    chosen = next(f for f in figures if f["key"] == figure)
    header = [str(chosen["title"]), *[str(c) for c in chosen["columns"]]]
    return csv_response(f"portfolio-{figure}.csv", header, chosen["table"])
