"""The disputes list and the case workspace: fetch with a selector, call a service, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.decorators import member_required
from apps.common.errors import AccessDenied
from apps.dashboard import forms as web_forms
from apps.dashboard.forms import run_service
from apps.dashboard.selectors import dispute_search
from apps.dashboard.views._common import csv_response, forbidden, is_htmx
from apps.dashboard.workspace import SectionContext, load_sections
from apps.disputes import services
from apps.disputes.models import Dispute, Stage
from apps.disputes.policies import actor_may_set_confidentiality, actor_may_write, stages_actor_may_choose
from apps.disputes.selectors import (
    case_party_list,
    case_share_list,
    dispute_detail,
    negotiation_issue_list,
    team_member_list,
)

PAGE_SIZE = 25


def _filtered(request: HttpRequest):
    form = web_forms.DisputeFilterForm(request.GET or None)
    filters = form.filters() if request.GET else {}
    sort = filters.pop("sort", "")
    return form, dispute_search(actor=request.actor, filters=filters, sort=sort)


@member_required
@require_GET
def dispute_list(request: HttpRequest) -> HttpResponse:
    form, qs = _filtered(request)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "disputes": list(page.object_list),
               "can_create": request.actor.can_write}
    template = "disputes/dispute_list.html#results" if is_htmx(request) else "disputes/dispute_list.html"
    return render(request, template, context)


@member_required
@require_GET
def dispute_export(request: HttpRequest) -> HttpResponse:
    """CSV of the list as filtered and sorted on screen (every page of it)."""
    _form, qs = _filtered(request)
    header = [_("Reference"), _("Title"), _("Stage"), _("Escalation risk"), _("Confidentiality"), _("Types"),
              _("Countries"), _("Process format"), _("Parties"), _("Lead mediator"), _("Opened on"),
              _("Last stage change")]

    def rows():
        for d in qs.iterator(chunk_size=500):
            yield [
                d.reference, d.title, d.get_stage_display(), d.get_risk_display(), d.get_confidentiality_display(),
                ", ".join(d.dispute_types), ", ".join(d.countries), d.get_process_format_display(),
                "; ".join(cp.party.name for cp in d.parties_loaded),
                "; ".join(str(m.user) for m in d.leads_loaded),
                d.opened_on.isoformat(),
                d.last_stage_change_at.date().isoformat() if d.last_stage_change_at else "",
            ]

    stamp = timezone.localdate().isoformat()
    return csv_response(f"disputes-{stamp}.csv", header, rows())


# --- workspace --------------------------------------------------------------------------------------------


def _get_dispute(request: HttpRequest, pk: int) -> Dispute:
    """The dispute if the caller may see it; a 404 otherwise, whether it exists or not."""
    return get_object_or_404(dispute_detail(actor=request.actor), pk=pk)


def _workspace_context(request: HttpRequest, dispute: Dispute, *, bound: dict[str, Any] | None = None,
                       only: str | None = None) -> dict[str, Any]:
    actor = request.actor
    can_write = actor_may_write(actor=actor, dispute=dispute)
    ctx = SectionContext(actor=actor, dispute=dispute, can_write=can_write, bound=bound or {})
    allowed = stages_actor_may_choose(actor=actor, dispute=dispute, stages=services.allowed_transitions(dispute),
                                      team=dispute.leads_loaded) if can_write else []
    bound = bound or {}
    return {
        "dispute": dispute,
        "can_write": can_write,
        "is_owner_org": dispute.organisation_id == actor.organisation.pk,
        "sections": load_sections(ctx, only=only),
        "stage_form": bound.get("stage") or web_forms.StageChangeForm(allowed=allowed),
        "allowed_stages": [(s, Stage(s).label) for s in allowed],
        "risk_form": bound.get("risk") or web_forms.RiskChangeForm(initial={"risk": dispute.risk}),
    }


@member_required
@require_GET
def dispute_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = _get_dispute(request, pk)
    return render(request, "disputes/dispute_detail.html", _workspace_context(request, dispute))


def _after_action(request: HttpRequest, pk: int, *, section: str | None, form_name: str, form: Any,
                  ok: bool, flash: str = "") -> HttpResponse:
    """Success: redirect (or re-render the part, for htmx). Failure: show the form with what was typed."""
    if ok and not is_htmx(request):
        if flash:
            messages.success(request, flash)
        url = reverse("dispute_detail", args=[pk])
        return redirect(f"{url}#{section}" if section else url)
    exc = getattr(form, "application_error", None)
    if isinstance(exc, AccessDenied):
        # Visible but not theirs to change: the form may not even be on their page, so say it plainly.
        return render(request, "dashboard/forbidden.html", {"message": exc.message}, status=403)
    dispute = _get_dispute(request, pk)
    bound = {} if ok else {form_name: form}
    if is_htmx(request):
        context = _workspace_context(request, dispute, bound=bound, only=section)
        context["flash"] = flash
        if section:
            context["section"] = context["sections"][0]
            return render(request, "disputes/dispute_detail.html#section", context)
        return render(request, "disputes/dispute_detail.html#header", context)
    return render(request, "disputes/dispute_detail.html", _workspace_context(request, dispute, bound=bound))


@member_required
@require_POST
def dispute_stage(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = _get_dispute(request, pk)
    form = web_forms.StageChangeForm(request.POST, allowed=services.allowed_transitions(dispute))
    ok = form.is_valid() and run_service(
        form, services.dispute_change_stage, actor=request.actor, dispute=dispute,
        to_stage=form.cleaned_data["to_stage"], reason=form.cleaned_data["reason"],
        closure_reason=form.cleaned_data["closure_reason"],
    ) is not None
    flash = _("Stage changed to %(stage)s.") % {"stage": Stage(form.cleaned_data["to_stage"]).label} if ok else ""
    return _after_action(request, pk, section=None, form_name="stage", form=form, ok=ok, flash=flash)


@member_required
@require_POST
def dispute_risk(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = _get_dispute(request, pk)
    form = web_forms.RiskChangeForm(request.POST)
    ok = form.is_valid() and run_service(
        form, services.dispute_change_risk, actor=request.actor, dispute=dispute,
        risk=form.cleaned_data["risk"], reason=form.cleaned_data["reason"],
    ) is not None
    return _after_action(request, pk, section=None, form_name="risk", form=form, ok=ok,
                         flash=_("Escalation risk updated.") if ok else "")


def _section_post(
    request: HttpRequest, pk: int, *, section: str, form_name: str, form: Any,
    call: Callable[..., Any], kwargs: Callable[[dict], dict], flash: str, field_map: dict | None = None,
) -> HttpResponse:
    ok = form.is_valid() and run_service(form, call, field_map=field_map, **kwargs(form.cleaned_data)) is not None
    return _after_action(request, pk, section=section, form_name=form_name, form=form, ok=ok,
                         flash=flash if ok else "")


@member_required
@require_POST
def dispute_team_add(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = _get_dispute(request, pk)
    form = web_forms.TeamMemberAddForm(request.POST, organisation=dispute.organisation,
                                       is_admin=request.actor.is_admin)
    return _section_post(
        request, pk, section="team", form_name="team_add", form=form, call=services.team_member_add,
        kwargs=lambda d: {"actor": request.actor, "dispute": dispute, "user": d["user"], "role": d["role"],
                          "affiliations": d["affiliations"], "override_reason": d.get("override_reason") or ""},
        flash=_("Added to the case team."),
    )


@member_required
@require_POST
def dispute_team_remove(request: HttpRequest, pk: int, member_id: int) -> HttpResponse:
    dispute = _get_dispute(request, pk)
    member = get_object_or_404(team_member_list(actor=request.actor, dispute_id=dispute.pk), pk=member_id)
    member.dispute = dispute
    form = web_forms.forms.Form(request.POST)
    return _section_post(
        request, pk, section="team", form_name="team_remove", form=form, call=services.team_member_remove,
        kwargs=lambda d: {"actor": request.actor, "member": member},
        flash=_("Removed from the case team."),
    )


@member_required
@require_POST
def dispute_party_add(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = _get_dispute(request, pk)
    form = web_forms.CasePartyAddForm(request.POST, organisation=dispute.organisation)
    return _section_post(
        request, pk, section="parties", form_name="party_add", form=form, call=services.case_party_add,
        kwargs=lambda d: {"actor": request.actor, "dispute": dispute, "party": d["party"], "role": d["role"],
                          "red_lines": d["red_lines"]},
        flash=_("Party added to the dispute."),
    )


@member_required
@require_POST
def dispute_position_set(request: HttpRequest, pk: int, case_party_id: int, issue_id: int) -> HttpResponse:
    dispute = _get_dispute(request, pk)
    case_party = get_object_or_404(case_party_list(actor=request.actor, dispute_id=dispute.pk), pk=case_party_id)
    issue = get_object_or_404(negotiation_issue_list(actor=request.actor, dispute_id=dispute.pk), pk=issue_id)
    form = web_forms.PositionForm(request.POST)
    return _section_post(
        request, pk, section="parties", form_name="position", form=form, call=services.party_position_set,
        kwargs=lambda d: {"actor": request.actor, "case_party": case_party, "issue": issue,
                          "position": d["position"], "interests": d["interests"]},
        flash=_("Position saved."),
    )


@member_required
@require_POST
def dispute_issue_add(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = _get_dispute(request, pk)
    form = web_forms.IssueCreateForm(request.POST)
    return _section_post(
        request, pk, section="issues", form_name="issue_add", form=form, call=services.negotiation_issue_create,
        kwargs=lambda d: {"actor": request.actor, "dispute": dispute, "title": d["title"],
                          "description": d["description"]},
        flash=_("Issue added."),
    )


@member_required
@require_POST
def dispute_share_grant(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = _get_dispute(request, pk)
    form = web_forms.ShareGrantForm(request.POST, exclude_organisation=dispute.organisation)
    return _section_post(
        request, pk, section="sharing", form_name="share_grant", form=form, call=services.case_share_grant,
        kwargs=lambda d: {"actor": request.actor, "dispute": dispute, "organisation": d["organisation"],
                          "level": d["level"]},
        flash=_("Dispute shared."),
    )


@member_required
@require_POST
def dispute_share_revoke(request: HttpRequest, pk: int, share_id: int) -> HttpResponse:
    dispute = _get_dispute(request, pk)
    share = get_object_or_404(case_share_list(actor=request.actor, dispute_id=dispute.pk), pk=share_id)
    form = web_forms.forms.Form(request.POST)
    return _section_post(
        request, pk, section="sharing", form_name="share_revoke", form=form, call=services.case_share_revoke,
        kwargs=lambda d: {"actor": request.actor, "share": share},
        flash=_("Share revoked."),
    )


# --- create and edit ----------------------------------------------------------------------------------------


DISPUTE_FIELDS = ["title", "summary", "dispute_types", "countries", "process_format", "track", "confidentiality",
                  "root_causes", "root_causes_other", "opened_on"]


@member_required
def dispute_create(request: HttpRequest) -> HttpResponse:
    if not request.actor.can_write:
        return forbidden(request)
    organisation = request.actor.organisation
    if request.method == "POST":
        form = web_forms.DisputeCreateForm(request.POST, organisation=organisation)
        if form.is_valid():
            d = form.cleaned_data
            dispute = run_service(
                form, services.dispute_open, actor=request.actor, lead_mediator=d["lead_mediator"], risk=d["risk"],
                **{k: d[k] for k in DISPUTE_FIELDS},
            )
            if dispute is not None:
                messages.success(request, _("Dispute %(ref)s opened.") % {"ref": dispute.reference})
                return redirect("dispute_detail", pk=dispute.pk)
    else:
        initial = {"opened_on": timezone.localdate(), "lead_mediator": request.user.pk}
        form = web_forms.DisputeCreateForm(organisation=organisation, initial=initial)
    return render(request, "disputes/dispute_form.html", {"form": form, "dispute": None})


EDIT_FIELDS = [k for k in DISPUTE_FIELDS if k != "confidentiality"]


def _edit_page(request: HttpRequest, dispute: Dispute, *, form: Any = None, confidentiality_form: Any = None,
               status: int = 200) -> HttpResponse:
    may_restrict = actor_may_set_confidentiality(actor=request.actor, dispute=dispute)
    if may_restrict and confidentiality_form is None:
        confidentiality_form = web_forms.ConfidentialityForm(initial={"confidentiality": dispute.confidentiality})
    if form is None:
        form = web_forms.DisputeEditForm(initial={k: getattr(dispute, k) for k in EDIT_FIELDS})
    return render(request, "disputes/dispute_form.html", {
        "form": form, "dispute": dispute,
        "confidentiality_form": confidentiality_form if may_restrict else None,
    }, status=status)


@member_required
def dispute_edit(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = _get_dispute(request, pk)
    if not actor_may_write(actor=request.actor, dispute=dispute):
        return forbidden(request)
    form = None
    if request.method == "POST":
        form = web_forms.DisputeEditForm(request.POST)
        if form.is_valid():
            data = {k: form.cleaned_data[k] for k in EDIT_FIELDS}
            if run_service(form, services.dispute_update, actor=request.actor, dispute=dispute, data=data):
                messages.success(request, _("Dispute saved."))
                return redirect("dispute_detail", pk=dispute.pk)
    return _edit_page(request, dispute, form=form)


@member_required
@require_POST
def dispute_confidentiality(request: HttpRequest, pk: int) -> HttpResponse:
    """Restrict the dispute or make it standard again: the service decides who may and when."""
    dispute = _get_dispute(request, pk)
    form = web_forms.ConfidentialityForm(request.POST)
    if form.is_valid():
        before = dispute.confidentiality
        done = run_service(form, services.dispute_set_confidentiality, actor=request.actor, dispute=dispute,
                           confidentiality=form.cleaned_data["confidentiality"], reason=form.cleaned_data["reason"])
        if isinstance(getattr(form, "application_error", None), AccessDenied):
            return forbidden(request)
        if done is not None:
            if done.confidentiality != before:
                messages.success(request, _("The dispute is now %(level)s.")
                                 % {"level": done.get_confidentiality_display().lower()})
            return redirect("dispute_detail", pk=dispute.pk)
    if not actor_may_set_confidentiality(actor=request.actor, dispute=dispute):
        return forbidden(request)
    return _edit_page(request, dispute, confidentiality_form=form)
