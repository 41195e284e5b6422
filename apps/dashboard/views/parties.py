"""Parties and their representatives."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from apps.accounts.decorators import member_required
from apps.dashboard import forms as web_forms
from apps.dashboard.forms import run_service
from apps.dashboard.views._common import forbidden
from apps.disputes.selectors import case_party_list, parties_writable, party_list, representative_list
from apps.parties import services
from apps.parties.models import Party

PAGE_SIZE = 30
PARTY_FIELDS = ["name", "kind", "aliases", "country", "notes"]
REPRESENTATIVE_FIELDS = ["name", "title", "email", "phone", "languages", "time_zone", "authority", "active"]


@member_required
@require_GET
def party_list_view(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:200]
    kind = request.GET.get("kind", "")
    qs = party_list(actor=request.actor, q=q or None)
    if kind in Party.Kind.values:
        qs = qs.filter(kind=kind)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "parties/party_list.html", {
        "page": page, "parties": list(page.object_list), "q": q, "kind": kind, "kinds": Party.Kind.choices,
        "can_create": request.actor.can_write,
    })


@member_required
@require_GET
def party_detail(request: HttpRequest, pk: int) -> HttpResponse:
    party = get_object_or_404(party_list(actor=request.actor), pk=pk)
    representatives = list(representative_list(actor=request.actor, party_id=party.pk).order_by("-active", "name"))
    roles = list(case_party_list(actor=request.actor).filter(party_id=party.pk).order_by("-dispute__opened_on"))
    can_edit = parties_writable(actor=request.actor).filter(pk=party.pk).exists()
    return render(request, "parties/party_detail.html", {
        "party": party, "representatives": representatives, "roles": roles, "can_edit": can_edit,
    })


@member_required
def party_create(request: HttpRequest) -> HttpResponse:
    if not request.actor.can_write:
        return forbidden(request)
    form = web_forms.PartyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        party = run_service(form, services.party_create, actor=request.actor,
                            **{k: form.cleaned_data[k] for k in PARTY_FIELDS})
        if party is not None:
            messages.success(request, _("Party %(name)s created.") % {"name": party.name})
            return redirect("party_detail", pk=party.pk)
    return render(request, "parties/party_form.html", {"form": form, "party": None})


@member_required
def party_edit(request: HttpRequest, pk: int) -> HttpResponse:
    party = get_object_or_404(party_list(actor=request.actor), pk=pk)
    if not parties_writable(actor=request.actor).filter(pk=party.pk).exists():
        return forbidden(request)
    if request.method == "POST":
        form = web_forms.PartyForm(request.POST)
        if form.is_valid() and run_service(
            form, services.party_update, actor=request.actor, party=party,
            data={k: form.cleaned_data[k] for k in PARTY_FIELDS},
        ):
            messages.success(request, _("Party saved."))
            return redirect("party_detail", pk=party.pk)
    else:
        form = web_forms.PartyForm(initial={k: getattr(party, k) for k in PARTY_FIELDS})
    return render(request, "parties/party_form.html", {"form": form, "party": party})


@member_required
def representative_create(request: HttpRequest, party_pk: int) -> HttpResponse:
    party = get_object_or_404(parties_writable(actor=request.actor), pk=party_pk)
    form = web_forms.RepresentativeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        rep = run_service(form, services.representative_create, actor=request.actor, party=party,
                          **{k: d[k] for k in REPRESENTATIVE_FIELDS})
        if rep is not None:
            messages.success(request, _("Representative added."))
            return redirect("party_detail", pk=party.pk)
    return render(request, "parties/representative_form.html", {"form": form, "party": party, "rep": None})


@member_required
def representative_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rep = get_object_or_404(representative_list(actor=request.actor), pk=pk)
    if not parties_writable(actor=request.actor).filter(pk=rep.party_id).exists():
        return forbidden(request)
    if request.method == "POST":
        form = web_forms.RepresentativeForm(request.POST)
        if form.is_valid() and run_service(
            form, services.representative_update, actor=request.actor, representative=rep,
            data={k: form.cleaned_data[k] for k in REPRESENTATIVE_FIELDS},
        ):
            messages.success(request, _("Representative saved."))
            return redirect("party_detail", pk=rep.party_id)
    else:
        form = web_forms.RepresentativeForm(initial={k: getattr(rep, k) for k in REPRESENTATIVE_FIELDS})
    return render(request, "parties/representative_form.html", {"form": form, "party": rep.party, "rep": rep})
