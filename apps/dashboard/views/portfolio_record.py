"""The portfolio's record figures: sessions per month, agreements reached, implementation by category.

Built on the domain selectors (sessions_visible, agreements_visible, provision_list), so a
restricted dispute counts only for those who may see it. Each figure is an SVG chart, its
table and a CSV download; filters by period and region.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from apps.accounts.decorators import member_required
from apps.agreements.models import SIGNED_STATUSES, AgreementType
from apps.agreements.selectors import agreements_visible, provision_list
from apps.dashboard import selectors
from apps.dashboard.charts import bar_chart
from apps.dashboard.forms import ChoiceField
from apps.dashboard.regions import REGIONS, countries_in
from apps.dashboard.views._common import csv_response, forbidden
from apps.dashboard.views._mediation import DateInput
from apps.dashboard.views.agreements import SEGMENT_KEYS, rollup_chart
from apps.dashboard.views.portfolio import _may_see_portfolio
from apps.sessions.selectors import sessions_visible

MONTHS = 12
FIGURES = {
    "sessions": gettext_lazy("Sessions held per month"),
    "agreements": gettext_lazy("Agreements reached (signed or later), by type"),
    "implementation": gettext_lazy("Implementation by provision category (Peace Accords Matrix)"),
}


class RecordFilterForm(forms.Form):
    opened_from = forms.DateField(label=gettext_lazy("Disputes opened from"), required=False, widget=DateInput())
    opened_to = forms.DateField(label=gettext_lazy("Opened until"), required=False, widget=DateInput())
    region = ChoiceField(label=gettext_lazy("Region"), required=False, choices=[("", gettext_lazy("All")), *REGIONS])


def _disputes(request: HttpRequest, form: RecordFilterForm) -> QuerySet:
    params = form.cleaned_data if form.is_valid() else {}
    qs = selectors.portfolio_disputes(actor=request.actor, opened_from=params.get("opened_from"),
                                      opened_to=params.get("opened_to"))
    if params.get("region"):
        qs = qs.filter(countries__overlap=countries_in(params["region"]))
    return qs


def _months(today: dt.date) -> list[dt.date]:
    first = today.replace(day=1)
    out = []
    for i in range(MONTHS - 1, -1, -1):
        y, m = divmod(first.year * 12 + first.month - 1 - i, 12)
        out.append(dt.date(y, m + 1, 1))
    return out


def sessions_per_month(request: HttpRequest, disputes: QuerySet) -> list[tuple[str, int]]:
    months = _months(timezone.localdate())
    start = dt.datetime.combine(months[0], dt.time(), tzinfo=dt.UTC)
    rows = (sessions_visible(actor=request.actor).filter(dispute__in=disputes.values("pk"), status="held",
                                                          starts_at__gte=start)
            .annotate(month=TruncMonth("starts_at", tzinfo=dt.UTC)).order_by().values_list("month")
            .annotate(n=Count("pk")))
    counts = {m.date() if isinstance(m, dt.datetime) else m: n for m, n in rows}
    return [(m.strftime("%Y-%m"), counts.get(m, 0)) for m in months]


def agreements_reached(request: HttpRequest, disputes: QuerySet) -> list[tuple[str, int]]:
    rows = dict(agreements_visible(actor=request.actor).filter(dispute__in=disputes.values("pk"),
                                                               status__in=SIGNED_STATUSES)
                .order_by().values_list("type").annotate(n=Count("pk")))
    return [(str(label), rows.get(value, 0)) for value, label in AgreementType.choices]


def implementation_by_category(request: HttpRequest, disputes: QuerySet) -> list[dict[str, Any]]:
    counts = {f"level_{n}": Count("pk", filter=Q(current_score=n)) for n in range(4)}
    rows = (provision_list(actor=request.actor).filter(agreement__dispute__in=disputes.values("pk"))
            .order_by().values("category").annotate(total=Count("pk"), assessed=Count("current_score"), **counts)
            .order_by("category"))
    out = []
    for r in rows:
        r["not_assessed"] = r["total"] - r["assessed"]
        assessed = sum(r[f"level_{n}"] for n in range(4))
        r["mean_score"] = (sum(n * r[f"level_{n}"] for n in range(4)) / assessed) if assessed else None
        out.append(r)
    return out


def _figures(request: HttpRequest) -> tuple[RecordFilterForm, dict[str, Any]]:
    form = RecordFilterForm(request.GET or None)
    disputes = _disputes(request, form)
    sessions = sessions_per_month(request, disputes)
    agreements = agreements_reached(request, disputes)
    rollup = implementation_by_category(request, disputes)
    return form, {
        "sessions": {"rows": sessions, "chart": bar_chart(sessions), "total": sum(n for _m, n in sessions)},
        "agreements": {"rows": agreements, "chart": bar_chart(agreements), "total": sum(n for _t, n in agreements)},
        "implementation": {"rows": rollup, "chart": rollup_chart(rollup)},
    }


@member_required
@require_GET
def portfolio_record(request: HttpRequest) -> HttpResponse:
    if not _may_see_portfolio(request.actor):
        return forbidden(request)
    form, figures = _figures(request)
    return render(request, "dashboard/portfolio_record.html", {"form": form, "figures": figures, "titles": FIGURES})


@member_required
@require_GET
def portfolio_record_csv(request: HttpRequest, figure: str) -> HttpResponse:
    if not _may_see_portfolio(request.actor):
        return forbidden(request)
    if figure not in FIGURES:
        raise Http404
    _form, figures = _figures(request)
    title = str(FIGURES[figure])
    if figure == "implementation":
        header = [_("Category"), "0", "1", "2", "3", _("Not assessed"), _("Mean")]
        rows = [[row["label"], *[row["row"][k] for k in SEGMENT_KEYS], row["mean"] if row["mean"] is not None else ""]
                for row in figures["implementation"]["chart"]["rows"]]
        return csv_response(f"portfolio-{figure}.csv", header, rows)
    column = _("Month") if figure == "sessions" else _("Type")
    return csv_response(f"portfolio-{figure}.csv", [column, title], figures[figure]["rows"])
