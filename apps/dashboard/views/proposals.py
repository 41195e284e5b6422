"""Proposal threads: per negotiation issue, the tree of proposals and counter-proposals, and the text on the table.

Everything is read with two queries whatever the number of issues (``issue_current_texts`` and
``proposal_list`` with the responses); tabling, countering and answering go through
apps/negotiations/services.py, whose refusals appear beside the form with the text kept.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.decorators import member_required
from apps.dashboard.forms import ChoiceField
from apps.dashboard.timezones import LocalDateTimeField
from apps.dashboard.views._mediation import call_service, model_choices, pick, pick_one, respond
from apps.disputes.models import Dispute, NegotiationIssue
from apps.disputes.policies import actor_may_write
from apps.disputes.selectors import case_party_list, dispute_get
from apps.negotiations import services
from apps.negotiations.models import Proposal, ProposalResponse
from apps.negotiations.selectors import ProposalNode, issue_current_texts, proposal_get, proposal_list
from apps.sessions.selectors import session_list

TEMPLATE = "negotiations/proposal_threads.html"
BRIDGING = "bridging"
RESPONSES = [("consider", gettext_lazy("Takes it under consideration")), ("accept", gettext_lazy("Accepted")),
             ("reject", gettext_lazy("Rejected")), ("withdraw", gettext_lazy("Withdrawn by whoever tabled it"))]


class ProposalForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Text"), widget=forms.Textarea(attrs={"rows": 4}))
    tabled_by = ChoiceField(label=gettext_lazy("Tabled by"))
    tabled_in = ChoiceField(label=gettext_lazy("In session"), required=False)
    concessions = forms.CharField(label=gettext_lazy("Concessions made"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    response_deadline = LocalDateTimeField(label=gettext_lazy("Response deadline"), required=False)

    def __init__(self, *args: Any, parties: list, sessions: list, prefix_id: str, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{prefix_id}-%s")
        super().__init__(*args, **kwargs)
        self.fields["tabled_by"].choices = [
            ("", "—"), (BRIDGING, _("The mediator (bridging proposal)")),
            *model_choices(parties, lambda cp: cp.party.name)]
        self.fields["tabled_in"].choices = [("", "—"), *model_choices(sessions, lambda s: s.title)]


class TableForm(ProposalForm):
    field_order = ["issue", "tabled_by", "tabled_in", "text", "concessions", "response_deadline"]
    issue = ChoiceField(label=gettext_lazy("Issue"))

    def __init__(self, *args: Any, issues: list, **kwargs: Any) -> None:
        super().__init__(*args, prefix_id="table", **kwargs)
        self.fields["issue"].choices = [("", "—"), *model_choices(issues, lambda i: i.title)]


class ReopenForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why it goes back on the table"), max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, prefix_id: str, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{prefix_id}-%s")
        super().__init__(*args, **kwargs)


class RespondForm(forms.Form):
    response = ChoiceField(label=gettext_lazy("Answer"), choices=RESPONSES)
    party = ChoiceField(label=gettext_lazy("By party"), required=False)

    def __init__(self, *args: Any, parties: list, prefix_id: str, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{prefix_id}-%s")
        super().__init__(*args, **kwargs)
        self.fields["party"].choices = [("", "—"), *model_choices(parties, lambda cp: cp.party.name)]


def _dispute(request: HttpRequest, pk: int) -> Dispute:
    dispute = dispute_get(actor=request.actor, dispute_id=pk)
    if dispute is None:
        raise Http404
    return dispute


def _trees(rows: list[Proposal]) -> dict[int, list[ProposalNode]]:
    nodes = {p.pk: ProposalNode(p) for p in rows}
    roots: dict[int, list[ProposalNode]] = {}
    for p in rows:
        parent = nodes.get(p.responds_to_id) if p.responds_to_id else None
        if parent is not None:
            parent.children.append(nodes[p.pk])
        else:
            roots.setdefault(p.issue_id, []).append(nodes[p.pk])
    return roots


def _page(request: HttpRequest, dispute: Dispute, bound: dict[str, Any] | None = None) -> dict[str, Any]:
    actor = request.actor
    bound = bound or {}
    issues = list(issue_current_texts(actor=actor, dispute_id=dispute.pk))
    rows = list(
        proposal_list(actor=actor, dispute_id=dispute.pk)
        .prefetch_related(Prefetch("responses", queryset=ProposalResponse.objects.select_related("case_party__party"),
                                   to_attr="responses_loaded"))
        .order_by("tabled_at", "id")
    )
    can_write = actor_may_write(actor=actor, dispute=dispute)
    trees = _trees(rows)
    ctx: dict[str, Any] = {
        "dispute": dispute, "can_write": can_write,
        "issues": [{"issue": i, "roots": trees.get(i.pk, [])} for i in issues],
        "bound_id": bound.get("proposal_id"),
    }
    if can_write:
        reopen = bound.get("reopen")
        for group in ctx["issues"]:
            issue = group["issue"]
            if reopen is not None and bound.get("issue_id") == issue.pk:
                group["reopen_form"] = reopen  # refused: the reason stays, the service's answer beside it
            elif issue.status == NegotiationIssue.Status.AGREED:
                group["reopen_form"] = ReopenForm(prefix_id=f"reopen{issue.pk}")
        parties = list(case_party_list(actor=actor, dispute_id=dispute.pk).order_by("id"))
        sessions = list(session_list(actor=actor, dispute_id=dispute.pk).exclude(status="cancelled")[:50])
        ctx["table_form"] = bound.get("table") or TableForm(parties=parties, sessions=sessions, issues=issues)
        live = [p for p in rows if p.is_live]
        for p in live:
            if bound.get("proposal_id") == p.pk and bound.get("counter"):
                p.counter_form = bound["counter"]
            else:
                p.counter_form = ProposalForm(parties=parties, sessions=sessions, prefix_id=f"counter{p.pk}")
            if bound.get("proposal_id") == p.pk and bound.get("respond"):
                p.respond_form = bound["respond"]
            else:
                p.respond_form = RespondForm(parties=parties, prefix_id=f"respond{p.pk}")
    return ctx


@member_required
@require_GET
def proposal_threads(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, TEMPLATE, _page(request, _dispute(request, pk)))


def _deadline(value: dt.datetime | None, tz: dt.tzinfo) -> dt.datetime | None:
    # The browser sends a wall-clock time, which the user means in their own zone.
    return value.replace(tzinfo=None).replace(tzinfo=tz) if value is not None else None


def _table_kwargs(form: ProposalForm, parties: list, sessions: list, tz: dt.tzinfo) -> dict[str, Any]:
    d = form.cleaned_data
    bridging = d["tabled_by"] == BRIDGING
    return {"text": d["text"], "tabled_by": None if bridging else pick_one(parties, d["tabled_by"]),
            "bridging": bridging, "tabled_in": pick_one(sessions, d["tabled_in"]), "concessions": d["concessions"],
            "response_deadline": _deadline(d["response_deadline"], tz)}


def _answer(request: HttpRequest, dispute: Dispute, *, ok: bool, form: forms.Form, bound: dict[str, Any],
            flash: str) -> HttpResponse:
    return respond(request, ok=ok, form=form, template=TEMPLATE, part="threads",
                   context=lambda: _page(request, dispute, bound={} if ok else bound),
                   redirect_to=reverse("dispute_proposals", args=[dispute.pk]), flash=flash)


def _choices(request: HttpRequest, dispute: Dispute) -> tuple[list, list]:
    parties = list(case_party_list(actor=request.actor, dispute_id=dispute.pk).order_by("id"))
    sessions = list(session_list(actor=request.actor, dispute_id=dispute.pk).exclude(status="cancelled")[:50])
    return parties, sessions


@member_required
@require_POST
def proposal_table(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = _dispute(request, pk)
    parties, sessions = _choices(request, dispute)
    issues = list(issue_current_texts(actor=request.actor, dispute_id=dispute.pk))
    form = TableForm(request.POST, parties=parties, sessions=sessions, issues=issues)
    ok = form.is_valid() and call_service(
        form, services.proposal_table, actor=request.actor, dispute=dispute,
        issue=pick_one(issues, form.cleaned_data["issue"]),
        **_table_kwargs(form, parties, sessions, request.user.tzinfo),
    ) is not None
    return _answer(request, dispute, ok=ok, form=form, bound={"table": form}, flash=_("Proposal tabled."))


def _proposal(request: HttpRequest, proposal_id: int) -> Proposal:
    proposal = proposal_get(actor=request.actor, proposal_id=proposal_id)
    if proposal is None:
        raise Http404
    return proposal


@member_required
@require_POST
def proposal_counter(request: HttpRequest, proposal_id: int) -> HttpResponse:
    parent = _proposal(request, proposal_id)
    dispute = parent.dispute
    parties, sessions = _choices(request, dispute)
    form = ProposalForm(request.POST, parties=parties, sessions=sessions, prefix_id=f"counter{parent.pk}")
    ok = form.is_valid() and call_service(
        form, services.proposal_counter, actor=request.actor, parent=parent,
        **_table_kwargs(form, parties, sessions, request.user.tzinfo),
    ) is not None
    return _answer(request, dispute, ok=ok, form=form, bound={"proposal_id": parent.pk, "counter": form},
                   flash=_("Counter-proposal tabled."))


@member_required
@require_POST
def proposal_respond(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = _proposal(request, proposal_id)
    dispute = proposal.dispute
    parties = list(case_party_list(actor=request.actor, dispute_id=dispute.pk).order_by("id"))
    form = RespondForm(request.POST, parties=parties, prefix_id=f"respond{proposal.pk}")
    ok = False
    if form.is_valid():
        party = pick_one(parties, form.cleaned_data["party"])
        kind = form.cleaned_data["response"]
        if kind == "consider":
            if party is None:
                form.add_error("party", _("Say which party takes it under consideration."))
            else:
                ok = call_service(form, services.proposal_consider, actor=request.actor, proposal=proposal,
                                  case_party=party, field_map={"case_party": "party"}) is not None
        elif kind == "accept":
            ok = call_service(form, services.proposal_accept, actor=request.actor, proposal=proposal,
                              by_parties=pick(parties, [party.pk]) if party else [],
                              field_map={"case_party": "party"}) is not None
        elif kind == "reject":
            ok = call_service(form, services.proposal_reject, actor=request.actor, proposal=proposal,
                              by_party=party, field_map={"case_party": "party"}) is not None
        else:
            ok = call_service(form, services.proposal_withdraw, actor=request.actor, proposal=proposal) is not None
    return _answer(request, dispute, ok=ok, form=form, bound={"proposal_id": proposal.pk, "respond": form},
                   flash=_("Answer recorded."))


@member_required
@require_POST
def issue_reopen(request: HttpRequest, pk: int, issue_id: int) -> HttpResponse:
    """An agreed issue goes back on the table, with the reason on the record."""
    dispute = _dispute(request, pk)
    issue = issue_current_texts(actor=request.actor, dispute_id=dispute.pk).filter(pk=issue_id).first()
    if issue is None:
        raise Http404
    issue.dispute = dispute
    form = ReopenForm(request.POST, prefix_id=f"reopen{issue.pk}")
    ok = form.is_valid() and call_service(
        form, services.issue_reopen, actor=request.actor, issue=issue, reason=form.cleaned_data["reason"],
        field_map={"status": "reason"},
    ) is not None
    return _answer(request, dispute, ok=ok, form=form, bound={"issue_id": issue.pk, "reopen": form},
                   flash=_("The issue is open again."))
