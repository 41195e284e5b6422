"""Agreements: text versions with a side-by-side diff, signatories, provisions, status, and the implementation matrix.

The matrix has the provisions as rows and assessment periods (calendar quarters of the period
assessed) as columns; each cell is the latest assessment of that provision in that period, shown
by colour AND by its label and a pattern, so it reads without colour. The roll-up per provision
category is a server-rendered SVG chart with its table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.accounts.decorators import member_required
from apps.agreements import services
from apps.agreements.diff import AUTO_DIFF_LINES, line_count
from apps.agreements.models import (
    STATUS_TRANSITIONS,
    Agreement,
    AgreementLink,
    AgreementStatus,
    AgreementType,
    ImplementationLevel,
    ProvisionCategory,
    Signatory,
)
from apps.agreements.selectors import (
    agreement_detail,
    agreement_version_diff,
    agreement_version_list,
    agreements_visible,
    assessment_list,
    implementation_rollup,
)
from apps.dashboard.forms import ChoiceField
from apps.dashboard.views._common import forbidden
from apps.dashboard.views._mediation import DateInput, call_service, model_choices, pick_one, respond
from apps.disputes.policies import actor_may_write
from apps.disputes.selectors import case_party_list, dispute_get

TEMPLATE = "agreements/agreement_detail.html"
LEVELS = list(ImplementationLevel)


# --- forms ------------------------------------------------------------------------------------------------


class AgreementCreateForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=500)
    type = ChoiceField(label=gettext_lazy("Type"), choices=AgreementType.choices)
    text = forms.CharField(label=gettext_lazy("First version of the text"), required=False,
                           widget=forms.Textarea(attrs={"rows": 8}))


class StatusForm(forms.Form):
    to_status = ChoiceField(label=gettext_lazy("New status"), choices=AgreementStatus.choices)
    on = forms.DateField(label=gettext_lazy("On"), required=False, widget=DateInput())
    place = forms.CharField(label=gettext_lazy("Place (when signing)"), required=False, max_length=200)
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class VersionForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Text"), widget=forms.Textarea(attrs={"rows": 12}))
    change_summary = forms.CharField(label=gettext_lazy("What changed"), required=False, max_length=500)
    reason = forms.CharField(label=gettext_lazy("Why the signed text is amended"), required=False, max_length=1000)
    based_on = forms.IntegerField(required=False, widget=forms.HiddenInput)


class SignatoryForm(forms.Form):
    party = ChoiceField(label=gettext_lazy("Party"))
    role = ChoiceField(label=gettext_lazy("Role"), choices=Signatory.Role.choices)
    signed_on = forms.DateField(label=gettext_lazy("Signed on"), required=False, widget=DateInput())
    place = forms.CharField(label=gettext_lazy("Place"), required=False, max_length=200)

    def __init__(self, *args: Any, parties: list, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "sig-%s")
        super().__init__(*args, **kwargs)
        self.fields["party"].choices = [("", "—"), *model_choices(parties, lambda p: p.name)]


class ProvisionForm(forms.Form):
    label = forms.CharField(label=gettext_lazy("Number or label"), required=False, max_length=40)
    category = ChoiceField(label=gettext_lazy("Category"), choices=ProvisionCategory.choices)
    text = forms.CharField(label=gettext_lazy("Text or summary"), widget=forms.Textarea(attrs={"rows": 2}))
    deadline = forms.DateField(label=gettext_lazy("Deadline"), required=False, widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "prov-%s")
        super().__init__(*args, **kwargs)


class AssessmentForm(forms.Form):
    provision = ChoiceField(label=gettext_lazy("Provision"))
    score = forms.TypedChoiceField(label=gettext_lazy("Implementation (Peace Accords Matrix)"), coerce=int,
                                   choices=ImplementationLevel.choices, widget=forms.RadioSelect)
    assessed_on = forms.DateField(label=gettext_lazy("Assessed on"), required=False, widget=DateInput())
    period_start = forms.DateField(label=gettext_lazy("Period from"), required=False, widget=DateInput())
    period_end = forms.DateField(label=gettext_lazy("Period to"), required=False, widget=DateInput())
    evidence = forms.CharField(label=gettext_lazy("Evidence"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    source = forms.CharField(label=gettext_lazy("Source"), required=False, max_length=500)

    def __init__(self, *args: Any, provisions: list, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "assess-%s")
        super().__init__(*args, **kwargs)
        self.fields["provision"].choices = [
            ("", "—"), *model_choices(provisions, lambda p: f"{p.label} {p.text[:60]}".strip())]


class DeadlineForm(forms.Form):
    provision = ChoiceField(label=gettext_lazy("Provision"))
    deadline = forms.DateField(label=gettext_lazy("Deadline"), required=False, widget=DateInput(),
                               help_text=gettext_lazy("Leave empty to clear the deadline and its reminders."))

    def __init__(self, *args: Any, provisions: list, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "deadline-%s")
        super().__init__(*args, **kwargs)
        self.fields["provision"].choices = [
            ("", "—"), *model_choices(provisions, lambda p: f"{p.label} {p.text[:60]}".strip())]


class LinkForm(forms.Form):
    kind = ChoiceField(label=gettext_lazy("This agreement"), choices=AgreementLink.Kind.choices)
    target = ChoiceField(label=gettext_lazy("Other agreement"))

    def __init__(self, *args: Any, targets: list, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "link-%s")
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [
            ("", "—"), *model_choices(targets, lambda a: f"{a.dispute.reference} · {a.title}")]


class LinkRemoveForm(forms.Form):
    link = forms.IntegerField(widget=forms.HiddenInput)


# --- the matrix and the roll-up ---------------------------------------------------------------------------


def period_of(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


@dataclass(frozen=True)
class Cell:
    score: int | None
    label: str
    assessed_on: dt.date | None


def implementation_matrix(provisions: list, assessments: list) -> tuple[list[str], list[dict[str, Any]]]:
    """(column labels, rows): one column per quarter in which something was assessed, oldest first."""
    latest: dict[tuple[int, tuple[int, int]], Any] = {}
    # assessments come newest first: the first seen in a period is the one that stands.
    for a in assessments:
        key = (a.provision_id, period_of(a.period_end or a.assessed_on))
        latest.setdefault(key, a)
    periods = sorted({period for _pid, period in latest})
    labels = [_("%(year)d Q%(quarter)d") % {"year": y, "quarter": q} for y, q in periods]
    names = dict(ImplementationLevel.choices)
    rows = []
    for p in provisions:
        cells = []
        for period in periods:
            a = latest.get((p.pk, period))
            cells.append(Cell(score=a.score, label=str(names[a.score]), assessed_on=a.assessed_on) if a
                         else Cell(score=None, label="", assessed_on=None))
        rows.append({"provision": p, "cells": cells})
    return labels, rows


ROW_H = 26
LABEL_W = 230
BAR_W = 320
SEGMENT_KEYS = ["level_0", "level_1", "level_2", "level_3", "not_assessed"]


def rollup_chart(rollup: list[dict]) -> dict[str, Any]:
    """A stacked bar per category: the share of provisions at each level, and those never assessed."""
    names = dict(ProvisionCategory.choices)
    rows = []
    for i, r in enumerate(rollup):
        x = LABEL_W
        segments = []
        for key in SEGMENT_KEYS:
            n = r[key] or 0
            width = round(BAR_W * n / r["total"]) if r["total"] else 0
            if width:
                segments.append({"key": key, "x": x, "width": width, "n": n})
            x += width
        rows.append({"label": str(names.get(r["category"], r["category"])), "y": i * (ROW_H + 6),
                     "text_y": i * (ROW_H + 6) + ROW_H - 8, "segments": segments, "row": r,
                     "mean": None if r["mean_score"] is None else round(r["mean_score"], 1)})
    height = max(len(rows) * (ROW_H + 6) - 6, ROW_H)
    return {"rows": rows, "height": height, "width": LABEL_W + BAR_W + 80, "label_x": LABEL_W - 8,
            "value_x": LABEL_W + BAR_W + 8, "row_h": ROW_H}


# --- pages ------------------------------------------------------------------------------------------------


def _agreement(request: HttpRequest, agreement_id: int) -> Agreement:
    agreement = agreement_detail(actor=request.actor).filter(pk=agreement_id).first()
    if agreement is None:
        raise Http404
    return agreement


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdecimal() else None


def _page(request: HttpRequest, agreement_id: int, bound: dict[str, Any] | None = None) -> dict[str, Any]:
    actor = request.actor
    bound = bound or {}
    agreement = _agreement(request, agreement_id)
    versions = agreement.versions_loaded
    numbers = [v.number for v in versions]
    diff = None
    diff_on_request = False
    if len(numbers) >= 2:
        old = _int(request.GET.get("from")) or numbers[-2]
        new = _int(request.GET.get("to")) or numbers[-1]
        asked = "from" in request.GET or "to" in request.GET
        # Long texts are compared when someone asks, not on every view (apps/agreements/diff.py).
        short = all(line_count(v.text) <= AUTO_DIFF_LINES for v in versions[-2:])
        if old in numbers and new in numbers and (asked or short):
            diff = agreement_version_diff(actor=actor, agreement_id=agreement.pk, from_number=old, to_number=new)
        diff_on_request = diff is None and not short
    provisions = agreement.provisions_loaded
    periods, matrix = implementation_matrix(provisions, list(assessment_list(actor=actor, agreement_id=agreement.pk)))
    rollup = implementation_rollup(actor=actor, by="category", agreement_id=agreement.pk)
    can_write = actor_may_write(actor=actor, dispute=agreement.dispute)
    ctx: dict[str, Any] = {
        "agreement": agreement, "dispute": agreement.dispute, "can_write": can_write, "diff": diff,
        "diff_on_request": diff_on_request,
        "numbers": numbers, "periods": periods, "matrix": matrix, "levels": LEVELS,
        "rollup": rollup, "chart": rollup_chart(rollup), "latest": versions[-1] if versions else None,
    }
    if can_write:
        allowed = STATUS_TRANSITIONS[agreement.status]
        ctx["allowed_statuses"] = [(s, AgreementStatus(s).label) for s in allowed]
        ctx["status_form"] = bound.get("status") or StatusForm()
        ctx["version_form"] = bound.get("version") or VersionForm(initial={
            "text": agreement.latest_text or "", "based_on": numbers[-1] if numbers else None})
        parties = [cp.party for cp in case_party_list(actor=actor, dispute_id=agreement.dispute_id).order_by("id")]
        ctx["signatory_form"] = bound.get("signatory") or SignatoryForm(parties=parties)
        ctx["provision_form"] = bound.get("provision") or ProvisionForm()
        ctx["assessment_form"] = bound.get("assessment") or AssessmentForm(provisions=provisions)
        ctx["deadline_form"] = bound.get("deadline") or DeadlineForm(provisions=provisions)
        ctx["link_form"] = bound.get("link") or LinkForm(targets=_link_targets(request, agreement))
        ctx["unlink_form"] = bound.get("unlink")
    return ctx


def _link_targets(request: HttpRequest, agreement: Agreement) -> list[Agreement]:
    """The other agreements of the same organisation that the caller can see (the service checks again)."""
    return list(
        agreements_visible(actor=request.actor).filter(organisation_id=agreement.organisation_id)
        .exclude(pk=agreement.pk).select_related("dispute").order_by("dispute__reference", "title")[:200]
    )


@member_required
@require_GET
def agreement_detail_view(request: HttpRequest, agreement_id: int) -> HttpResponse:
    return render(request, TEMPLATE, _page(request, agreement_id))


@member_required
@require_GET
def agreement_version_text(request: HttpRequest, agreement_id: int, number: int) -> HttpResponse:
    """One version's text as a file: what the page offers when two versions are too large to compare."""
    version = agreement_version_list(actor=request.actor, agreement_id=agreement_id).filter(number=number).first()
    if version is None:
        raise Http404
    response = HttpResponse(version.text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="agreement-{agreement_id}-v{number}.txt"'
    return response


@member_required
@require_http_methods(["GET", "POST"])
def agreement_create(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = dispute_get(actor=request.actor, dispute_id=pk)
    if dispute is None:
        raise Http404
    if not actor_may_write(actor=request.actor, dispute=dispute):
        return forbidden(request)
    form = AgreementCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        agreement = call_service(form, services.agreement_create, actor=request.actor, dispute=dispute,
                                 title=d["title"], type=d["type"], text=d["text"])
        if agreement is not None:
            return redirect("dispute_agreement", agreement_id=agreement.pk)
    return render(request, "agreements/agreement_form.html", {"form": form, "dispute": dispute})


def _status(request: HttpRequest, agreement: Agreement) -> tuple[forms.Form, bool]:
    form = StatusForm(request.POST)
    ok = form.is_valid() and call_service(
        form, services.agreement_change_status, actor=request.actor, agreement=agreement,
        to_status=form.cleaned_data["to_status"], on=form.cleaned_data["on"], place=form.cleaned_data["place"],
        reason=form.cleaned_data["reason"], field_map={"signatories": "to_status", "text": "to_status"},
    ) is not None
    return form, ok


def _version(request: HttpRequest, agreement: Agreement) -> tuple[forms.Form, bool]:
    form = VersionForm(request.POST)
    if not form.is_valid():
        return form, False
    d = form.cleaned_data
    based_on = next((v for v in agreement.versions_loaded if v.number == d["based_on"]), None)
    if agreement.text_is_frozen:
        result = call_service(form, services.agreement_amend, actor=request.actor, agreement=agreement,
                              based_on=based_on, text=d["text"], change_summary=d["change_summary"],
                              reason=d["reason"])
    else:
        result = call_service(form, services.agreement_version_create, actor=request.actor, agreement=agreement,
                              based_on=based_on, text=d["text"], change_summary=d["change_summary"],
                              field_map={"based_on": "text"})
    return form, result is not None


def _signatory(request: HttpRequest, agreement: Agreement) -> tuple[forms.Form, bool]:
    parties = [cp.party for cp in case_party_list(actor=request.actor, dispute_id=agreement.dispute_id)]
    form = SignatoryForm(request.POST, parties=parties)
    ok = form.is_valid() and call_service(
        form, services.signatory_add, actor=request.actor, agreement=agreement,
        party=pick_one(parties, form.cleaned_data["party"]), role=form.cleaned_data["role"],
        signed_on=form.cleaned_data["signed_on"], place=form.cleaned_data["place"],
    ) is not None
    return form, ok


def _provision(request: HttpRequest, agreement: Agreement) -> tuple[forms.Form, bool]:
    form = ProvisionForm(request.POST)
    ok = form.is_valid() and call_service(
        form, services.provision_create, actor=request.actor, agreement=agreement, text=form.cleaned_data["text"],
        category=form.cleaned_data["category"], label=form.cleaned_data["label"],
        deadline=form.cleaned_data["deadline"],
    ) is not None
    return form, ok


def _assessment(request: HttpRequest, agreement: Agreement) -> tuple[forms.Form, bool]:
    provisions = agreement.provisions_loaded
    form = AssessmentForm(request.POST, provisions=provisions)
    ok = False
    if form.is_valid():
        d = form.cleaned_data
        provision = pick_one(provisions, d["provision"])
        provision.agreement = agreement
        ok = call_service(form, services.assessment_record, actor=request.actor, provision=provision,
                          score=d["score"], assessed_on=d["assessed_on"], period_start=d["period_start"],
                          period_end=d["period_end"], evidence=d["evidence"], source=d["source"]) is not None
    return form, ok


def _deadline(request: HttpRequest, agreement: Agreement) -> tuple[forms.Form, bool]:
    provisions = agreement.provisions_loaded
    form = DeadlineForm(request.POST, provisions=provisions)
    ok = False
    if form.is_valid():
        provision = pick_one(provisions, form.cleaned_data["provision"])
        provision.agreement = agreement
        ok = call_service(form, services.provision_set_deadline, actor=request.actor, provision=provision,
                          deadline=form.cleaned_data["deadline"]) is not None
    return form, ok


def _link(request: HttpRequest, agreement: Agreement) -> tuple[forms.Form, bool]:
    targets = _link_targets(request, agreement)
    form = LinkForm(request.POST, targets=targets)
    ok = form.is_valid() and call_service(
        form, services.agreement_link_add, actor=request.actor, agreement=agreement,
        target=pick_one(targets, form.cleaned_data["target"]), kind=form.cleaned_data["kind"],
    ) is not None
    return form, ok


def _unlink(request: HttpRequest, agreement: Agreement) -> tuple[forms.Form, bool]:
    form = LinkRemoveForm(request.POST)
    if not form.is_valid():
        raise Http404
    link_id = form.cleaned_data["link"]
    # Only a link shown on this page (both ends visible to the caller); anything else is out of reach.
    link = next((lk for lk in [*agreement.links_out_loaded, *agreement.links_in_loaded] if lk.pk == link_id), None)
    if link is None:
        raise Http404
    if link.from_agreement_id == agreement.pk:
        link.from_agreement = agreement
    else:
        link.to_agreement = agreement
    call_service(form, services.agreement_link_remove, actor=request.actor, link=link)  # returns None
    return form, not form.errors


ACTIONS = {
    "status": (_status, "header", gettext_lazy("Status changed.")),
    "version": (_version, "text", gettext_lazy("New version saved.")),
    "signatory": (_signatory, "signatories", gettext_lazy("Signatory added.")),
    "provision": (_provision, "implementation", gettext_lazy("Provision added.")),
    "assessment": (_assessment, "implementation", gettext_lazy("Assessment recorded.")),
    "deadline": (_deadline, "implementation", gettext_lazy("Deadline saved.")),
    "link": (_link, "links", gettext_lazy("Link recorded.")),
    "unlink": (_unlink, "links", gettext_lazy("Link removed.")),
}


@member_required
@require_POST
def agreement_action(request: HttpRequest, agreement_id: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    handler, part, flash = ACTIONS[action]
    agreement = _agreement(request, agreement_id)
    form, ok = handler(request, agreement)
    return respond(request, ok=ok, form=form, template=TEMPLATE, part=part,
                   context=lambda: _page(request, agreement_id, bound={} if ok else {action: form}),
                   redirect_to=reverse("dispute_agreement", args=[agreement_id]) + f"#{part}", flash=str(flash))
