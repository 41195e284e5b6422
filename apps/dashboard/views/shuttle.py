"""The shuttle board: one open round, its parties as columns, whose move it is, and what may be carried.

Everything on the board is read by one selector, ``apps.sessions.shuttle_board.shuttle_board``
(whose move, carry lists, the per-party ledger, which "Record: told" may succeed), so its parts
cannot contradict each other. Recording a disclosure goes through ``disclosure_record``, which
refuses a team-only note without the source party's consent; the refusal is shown.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.decorators import member_required
from apps.dashboard.forms import ChoiceField, UniqueIds
from apps.dashboard.timezones import default_start
from apps.dashboard.views._common import forbidden
from apps.dashboard.views._mediation import call_service, model_choices, pick, pick_one, respond
from apps.dashboard.views.sessions import WhenFields
from apps.disputes.policies import actor_may_write
from apps.disputes.selectors import case_party_list, dispute_get, negotiation_issue_list
from apps.negotiations.selectors import proposal_get
from apps.sessions import services
from apps.sessions.models import ShuttleRound
from apps.sessions.selectors import disclosure_consent_list, session_note_get, shuttle_round_list
from apps.sessions.shuttle_board import shuttle_board as board_read

TEMPLATE = "sessions/shuttle_board.html"


class ShuttleOpenForm(UniqueIds, forms.Form):
    id_prefix = "shuttle"
    title = forms.CharField(label=gettext_lazy("Title"), required=False, max_length=300)
    subject_issue = ChoiceField(label=gettext_lazy("Issue carried"))
    parties = forms.MultipleChoiceField(label=gettext_lazy("Parties visited"), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, parties: list, issues: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parties"].choices = model_choices(parties, lambda cp: cp.party.name)
        self.fields["subject_issue"].choices = [("", "—"), *model_choices(issues, lambda i: i.title)]


class VisitForm(UniqueIds, WhenFields):
    id_prefix = "visit"
    field_order = ["case_party", "day", "start", "duration", "time_zone", "held", "party_replied"]
    case_party = ChoiceField(label=gettext_lazy("Party visited"))
    held = forms.BooleanField(label=gettext_lazy("It has taken place"), required=False)
    party_replied = forms.BooleanField(label=gettext_lazy("The party gave its answer"), required=False)

    def __init__(self, *args: Any, parties: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["case_party"].choices = model_choices(parties, lambda cp: cp.party.name)


class DisclosureForm(forms.Form):
    to_party = forms.IntegerField()
    note = forms.IntegerField(required=False)
    proposal = forms.IntegerField(required=False)
    consent = forms.IntegerField(required=False)


def _round(request: HttpRequest, round_id: int) -> ShuttleRound:
    shuttle_round = shuttle_round_list(actor=request.actor).filter(pk=round_id).first()
    if shuttle_round is None:
        raise Http404
    return shuttle_round


def _board(request: HttpRequest, round_id: int, bound: dict[str, Any] | None = None) -> dict[str, Any]:
    actor = request.actor
    board = board_read(actor=actor, round_id=round_id)
    if board is None:
        raise Http404
    shuttle_round = board.round
    dispute = shuttle_round.dispute
    can_write = actor_may_write(actor=actor, dispute=dispute) and shuttle_round.status == ShuttleRound.Status.OPEN
    bound = bound or {}
    ctx: dict[str, Any] = {"round": shuttle_round, "dispute": dispute, "board": board, "state": board.state,
                           "columns": board.columns, "on_team": board.on_team, "can_write": can_write,
                           "now": timezone.now(), "disclosure_error": bound.get("disclosure_error")}
    if can_write:
        parties = [rp.case_party for rp in shuttle_round.parties_loaded]
        zone = shuttle_round.visits_loaded[-1].time_zone if shuttle_round.visits_loaded else request.user.time_zone
        day, start = default_start(zone)
        move = board.state.whose_move
        ctx["visit_form"] = bound.get("visit") or VisitForm(parties=parties, initial={
            "case_party": str(move.pk) if move else "", "day": day, "start": start, "time_zone": zone,
        })
    return ctx


@member_required
@require_GET
def shuttle_board(request: HttpRequest, round_id: int) -> HttpResponse:
    return render(request, TEMPLATE, _board(request, round_id))


@member_required
@require_POST
def shuttle_open(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    dispute = dispute_get(actor=actor, dispute_id=pk)
    if dispute is None:
        raise Http404
    if not actor_may_write(actor=actor, dispute=dispute):
        return forbidden(request)
    parties = list(case_party_list(actor=actor, dispute_id=dispute.pk).order_by("id"))
    issues = list(negotiation_issue_list(actor=actor, dispute_id=dispute.pk).order_by("order", "id"))
    form = ShuttleOpenForm(request.POST, parties=parties, issues=issues)
    if form.is_valid():
        d = form.cleaned_data
        opened = call_service(form, services.shuttle_round_open, actor=actor, dispute=dispute,
                              parties=pick(parties, d["parties"]), subject_issue=pick_one(issues, d["subject_issue"]),
                              title=d["title"], field_map={"subject": "subject_issue"})
        if opened is not None:
            return redirect("dispute_shuttle_board", round_id=opened.pk)
    return render(request, "sessions/shuttle_open.html", {"form": form, "dispute": dispute}, status=200)


@member_required
@require_POST
def shuttle_visit(request: HttpRequest, round_id: int) -> HttpResponse:
    actor = request.actor
    shuttle_round = _round(request, round_id)
    parties = [rp.case_party for rp in shuttle_round.parties_loaded]
    form = VisitForm(request.POST, parties=parties)
    ok = False
    if form.is_valid():
        d = form.cleaned_data
        starts, ends, zone = form.when()
        party = pick_one(parties, d["case_party"])
        if d["held"]:
            ok = call_service(form, services.shuttle_visit_record, actor=actor, shuttle_round=shuttle_round,
                              case_party=party, starts_at=starts, ends_at=ends, time_zone=zone,
                              party_replied=d["party_replied"], field_map={"parties": "case_party"}) is not None
        else:
            ok = call_service(form, services.shuttle_visit_schedule, actor=actor, shuttle_round=shuttle_round,
                              case_party=party, starts_at=starts, ends_at=ends, time_zone=zone,
                              field_map={"parties": "case_party"}) is not None
    return respond(request, ok=ok, form=form, template=TEMPLATE, part="board",
                   context=lambda: _board(request, round_id, bound={} if ok else {"visit": form}),
                   redirect_to=reverse("dispute_shuttle_board", args=[round_id]), flash=_("Visit recorded."))


@member_required
@require_POST
def shuttle_disclose(request: HttpRequest, round_id: int) -> HttpResponse:
    """One click: record that a note or a proposal was passed to a party."""
    actor = request.actor
    shuttle_round = _round(request, round_id)
    form = DisclosureForm(request.POST)
    if not form.is_valid() or (form.cleaned_data["note"] is None) == (form.cleaned_data["proposal"] is None):
        raise Http404
    d = form.cleaned_data
    parties = [rp.case_party for rp in shuttle_round.parties_loaded]
    to_party = pick_one(parties, d["to_party"])
    note = session_note_get(actor=actor, note_id=d["note"], via="disclosure") if d["note"] else None
    proposal = proposal_get(actor=actor, proposal_id=d["proposal"]) if d["proposal"] else None
    if to_party is None or (d["note"] and note is None) or (d["proposal"] and proposal is None):
        raise Http404
    for item in (note, proposal):
        if item is not None and item.dispute_id != shuttle_round.dispute_id:
            raise Http404
    consent = None
    if d["consent"] and note is not None:
        consent = disclosure_consent_list(actor=actor, note_id=note.pk).filter(pk=d["consent"]).first()
    ok = call_service(form, services.disclosure_record, actor=actor, to_party=to_party, note=note,
                      proposal=proposal, consent=consent) is not None
    error = None if ok else " ".join(str(e) for errors in form.errors.values() for e in errors)
    name = to_party.party.name
    return respond(request, ok=ok, form=form, template=TEMPLATE, part="board",
                   context=lambda: _board(request, round_id, bound={"disclosure_error": error}),
                   redirect_to=reverse("dispute_shuttle_board", args=[round_id]),
                   flash=_("Recorded: %(party)s was told.") % {"party": name})
