"""Fast session logging: schedule or log a session in a few keystrokes, then record it on one page.

The session page is templates/sessions/session_detail.html; its parts (status, attendance,
notes, record, actions) are partials that htmx replaces one at a time. Notes are read through
``session_get_for_reader``, which leaves team-only notes out for anyone off the case team and
audits every team-only note it hands out (apps/sessions/reads.py).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.accounts.decorators import member_required
from apps.dashboard.forms import ChoiceField, UniqueIds
from apps.dashboard.timezones import LocalDateTimeField, default_start
from apps.dashboard.views._common import forbidden
from apps.dashboard.views._mediation import (
    DateInput,
    TimeInput,
    TimeZoneField,
    aware,
    call_service,
    model_choices,
    pick,
    pick_one,
    respond,
)
from apps.disputes.models import Dispute
from apps.disputes.policies import actor_is_lead, actor_may_write
from apps.disputes.selectors import (
    case_party_list,
    dispute_get,
    representative_list,
    team_member_list,
)
from apps.sessions import services
from apps.sessions.models import (
    PRIVATE_KINDS,
    VISIBILITY_ORDER,
    ConsentMethod,
    MediationSession,
    SessionKind,
    Visibility,
)
from apps.sessions.policies import actor_may_edit_note_text, actor_may_handle_team_notes, default_note_visibility
from apps.sessions.selectors import (
    disclosure_consent_list,
    has_team_access,
    session_get_for_reader,
    session_list,
)

TEMPLATE = "sessions/session_detail.html"
DURATIONS = [("30", gettext_lazy("30 minutes")), ("60", gettext_lazy("1 hour")), ("90", gettext_lazy("1½ hours")),
             ("120", gettext_lazy("2 hours")), ("180", gettext_lazy("3 hours")), ("240", gettext_lazy("4 hours")),
             ("480", gettext_lazy("A full day (8 hours)"))]
# Shuttle visits are planned from the shuttle board: they belong to a round.
CREATE_KINDS = [(k, label) for k, label in SessionKind.choices if k != SessionKind.SHUTTLE_VISIT]


# --- forms ------------------------------------------------------------------------------------------------


class WhenFields(forms.Form):
    day = forms.DateField(label=gettext_lazy("Date"), widget=DateInput())
    start = forms.TimeField(label=gettext_lazy("Starts at (venue time)"), widget=TimeInput())
    duration = ChoiceField(label=gettext_lazy("Length"), choices=DURATIONS, initial="90")
    time_zone = TimeZoneField(label=gettext_lazy("Venue time zone"))

    def when(self) -> tuple[dt.datetime, dt.datetime, str]:
        d = self.cleaned_data
        starts = aware(d["day"], d["start"], d["time_zone"])
        return starts, starts + dt.timedelta(minutes=int(d["duration"])), d["time_zone"]


class SessionCreateForm(UniqueIds, WhenFields):
    id_prefix = "session"
    field_order = ["kind", "parties", "day", "start", "duration", "time_zone", "title", "venue", "held"]
    kind = ChoiceField(label=gettext_lazy("Kind"), choices=CREATE_KINDS)
    parties = forms.MultipleChoiceField(label=gettext_lazy("Parties"), required=False,
                                        widget=forms.CheckboxSelectMultiple)
    title = forms.CharField(label=gettext_lazy("Title"), required=False, max_length=300,
                            help_text=gettext_lazy("Leave empty to name it after its kind and parties."))
    venue = forms.CharField(label=gettext_lazy("Venue"), required=False, max_length=300)
    held = forms.BooleanField(label=gettext_lazy("It has already taken place: record it as held"), required=False)

    def __init__(self, *args: Any, parties: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].widget.attrs["autofocus"] = True
        self.fields["parties"].choices = model_choices(parties, lambda cp: cp.party.name)


class RescheduleForm(UniqueIds, WhenFields):
    id_prefix = "reschedule"


class ReasonForm(UniqueIds, forms.Form):
    id_prefix = "status"
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(UniqueIds, forms.Form):
    id_prefix = "note"
    text = forms.CharField(label=gettext_lazy("Note"), widget=forms.Textarea(attrs={"rows": 4}))
    visibility = forms.ChoiceField(label=gettext_lazy("Who may know this"), choices=Visibility.choices,
                                   widget=forms.RadioSelect)
    parties = forms.MultipleChoiceField(label=gettext_lazy("May be told to"), required=False,
                                        widget=forms.CheckboxSelectMultiple)
    source_party = ChoiceField(label=gettext_lazy("Whose words (source party)"), required=False)

    def __init__(self, *args: Any, parties: list, team_ok: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not team_ok:  # off the case team: a team-only note would be hidden from its own writer
            self.fields["visibility"].choices = [(v, label) for v, label in Visibility.choices if v != Visibility.TEAM]
        self.fields["parties"].choices = model_choices(parties, lambda cp: cp.party.name)
        self.fields["source_party"].choices = [("", "—"), *model_choices(parties, lambda cp: cp.party.name)]


class NoteEditForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Text"), widget=forms.Textarea(attrs={"rows": 4}))
    visibility = forms.ChoiceField(label=gettext_lazy("Who may know this"), choices=Visibility.choices,
                                   widget=forms.RadioSelect)
    based_on_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, note: Any, team_ok: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"note{note.pk}-%s")
        super().__init__(*args, **kwargs)
        # A note's visibility only narrows (the service says why if it is tried anyway).
        allowed = VISIBILITY_ORDER[: VISIBILITY_ORDER.index(note.visibility) + 1]
        if not team_ok:
            allowed = [v for v in allowed if v != Visibility.TEAM]
        self.fields["visibility"].choices = [(v.value, v.label) for v in allowed]


class ConsentForm(forms.Form):
    """The source party's consent to pass on one of its team-only notes (the service checks every rule)."""

    given_by_representative = ChoiceField(label=gettext_lazy("Given by (representative)"), required=False)
    given_by_name = forms.CharField(label=gettext_lazy("or by (name)"), required=False, max_length=200)
    method = ChoiceField(label=gettext_lazy("How"), choices=ConsentMethod.choices)
    given_at = LocalDateTimeField(label=gettext_lazy("When"))
    parties = forms.MultipleChoiceField(
        label=gettext_lazy("May be told to"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Leave all unticked if the party allows telling any party of the dispute."))
    reference = forms.CharField(label=gettext_lazy("Reference (letter, message, minutes)"), required=False,
                                max_length=200)

    def __init__(self, *args: Any, note: Any, parties: list, representatives: list, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"consent{note.pk}-%s")
        super().__init__(*args, **kwargs)
        self.fields["given_by_representative"].choices = [
            ("", "—"), *model_choices(representatives, lambda r: r.name)]
        self.fields["parties"].choices = model_choices(
            [cp for cp in parties if cp.pk != note.source_party_id], lambda cp: cp.party.name)


class AttendanceForm(UniqueIds, forms.Form):
    id_prefix = "attendance"
    parties = forms.MultipleChoiceField(label=gettext_lazy("Parties"), required=False,
                                        widget=forms.CheckboxSelectMultiple)
    team_members = forms.MultipleChoiceField(label=gettext_lazy("Case team present"), required=False,
                                             widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, parties: list, team: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parties"].choices = model_choices(parties, lambda cp: cp.party.name)
        self.fields["team_members"].choices = [(str(m.user_id), str(m.user)) for m in team]


class RecordForm(UniqueIds, forms.Form):
    id_prefix = "record"
    summary = forms.CharField(label=gettext_lazy("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    outcomes = forms.CharField(label=gettext_lazy("Outcomes"), required=False,
                               widget=forms.Textarea(attrs={"rows": 3}))


class ActionItemForm(UniqueIds, forms.Form):
    id_prefix = "action"
    description = forms.CharField(label=gettext_lazy("What is to be done"), max_length=2000)
    owner = ChoiceField(label=gettext_lazy("Owner"))
    due_on = forms.DateField(label=gettext_lazy("Due date"), widget=DateInput())

    def __init__(self, *args: Any, parties: list, team: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [
            ("", "—"),
            *[(f"user:{m.user_id}", str(m.user)) for m in team],
            *[(f"party:{cp.pk}", cp.party.name) for cp in parties],
        ]


# --- reading ----------------------------------------------------------------------------------------------


def _session(request: HttpRequest, pk: int) -> MediationSession:
    session = session_get_for_reader(actor=request.actor, session_id=pk)
    if session is None:
        raise Http404
    return session


def _dispute(request: HttpRequest, pk: int) -> Dispute:
    dispute = dispute_get(actor=request.actor, dispute_id=pk)
    if dispute is None:
        raise Http404
    return dispute


def _page(request: HttpRequest, pk: int, bound: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the session page shows, in a fixed number of queries."""
    actor = request.actor
    session = _session(request, pk)
    dispute = session.dispute
    bound = bound or {}
    can_write = actor_may_write(actor=actor, dispute=dispute)
    ctx: dict[str, Any] = {
        "session": session, "dispute": dispute, "can_write": can_write,
        "on_team": has_team_access(actor=actor, dispute_id=dispute.pk),
        "private": session.kind in PRIVATE_KINDS,
        "notes": session.notes_loaded,
        "present_party_ids": {sp.case_party_id for sp in session.parties_loaded},
    }
    if not can_write:
        return ctx
    parties = list(case_party_list(actor=actor, dispute_id=dispute.pk).order_by("id"))
    team = list(team_member_list(actor=actor, dispute_id=dispute.pk).order_by("id"))
    private = ctx["private"]
    on_team = ctx["on_team"]
    ctx["note_form"] = bound.get("note") or NoteForm(
        parties=parties, team_ok=on_team,
        initial={"visibility": default_note_visibility(session=session, may_handle_team_notes=on_team),
                 "source_party": str(session.parties_loaded[0].case_party_id)
                 if private and session.parties_loaded else ""},
    )
    editing = bound.get("note_edit")
    is_lead = actor_is_lead(actor=actor, dispute=dispute, team=team)
    for note in session.notes_loaded:
        # Only the note's author or the lead mediator may change what it says (apps/sessions/policies.py).
        if not actor_may_edit_note_text(actor=actor, note=note, is_lead=is_lead):
            note.edit_form = None
        elif editing is not None and editing.note_id == note.pk:
            note.edit_form = editing
        else:
            note.edit_form = NoteEditForm(note=note, team_ok=on_team,
                                          initial={"text": note.text, "visibility": note.visibility,
                                                   "based_on_version": note.version})
    if ctx["on_team"]:
        _consent_forms(request, session, parties, bound)
    ctx["attendance_form"] = bound.get("attendance") or AttendanceForm(
        parties=parties, team=team,
        initial={"parties": [str(sp.case_party_id) for sp in session.parties_loaded],
                 "team_members": [str(t.user_id) for t in session.team_loaded]},
    )
    if not private or "record" in bound:
        ctx["record_form"] = bound.get("record") or RecordForm(
            initial={"summary": session.summary, "outcomes": session.outcomes})
    ctx["action_form"] = bound.get("action") or ActionItemForm(parties=parties, team=team)
    venue_start = session.starts_at.astimezone(zoneinfo.ZoneInfo(session.time_zone))
    minutes = int((session.ends_at - session.starts_at).total_seconds() // 60)
    ctx["reschedule_form"] = bound.get("reschedule") or RescheduleForm(initial={
        "day": venue_start.date(), "start": venue_start.time(), "time_zone": session.time_zone,
        "duration": str(minutes) if str(minutes) in dict(DURATIONS) else "90",
    })
    ctx["reason_form"] = bound.get("status") or ReasonForm()
    ctx["can_mark_held"] = session.status == MediationSession.Status.PLANNED and session.starts_at <= timezone.now()
    return ctx


def _consentable(note: Any) -> bool:
    """A team-only note whose source party can consent to its being passed on."""
    return note.visibility == Visibility.TEAM and note.source_party_id is not None


def _representatives(request: HttpRequest, notes: list[Any]) -> dict[int, list[Any]]:
    party_ids = {n.source_party.party_id for n in notes}
    by_party: dict[int, list[Any]] = {}
    if party_ids:
        for r in representative_list(actor=request.actor).filter(party_id__in=party_ids).order_by("name", "id"):
            by_party.setdefault(r.party_id, []).append(r)
    return by_party


def _consent_forms(request: HttpRequest, session: MediationSession, parties: list, bound: dict[str, Any]) -> None:
    """Each consentable note gets its consents (two queries for all of them) and a form to record one more."""
    editing = bound.get("consent")
    withdrawing = bound.get("consent_withdraw")
    answered = {f.note_id for f in (editing, withdrawing) if f is not None}
    # The consentable notes, and the one whose consent was just refused (its answer is shown beside it).
    notes = [n for n in session.notes_loaded if _consentable(n) or n.pk in answered]
    if not notes:
        return
    consents: dict[int, list[Any]] = {}
    for c in disclosure_consent_list(actor=request.actor).filter(note_id__in=[n.pk for n in notes]):
        consents.setdefault(c.note_id, []).append(c)
    reps = _representatives(request, [n for n in notes if n.source_party_id])
    now = timezone.localtime(timezone.now(), request.user.tzinfo).replace(second=0, microsecond=0, tzinfo=None)
    for note in notes:
        note.consents_loaded = consents.get(note.pk, [])
        if withdrawing is not None and withdrawing.note_id == note.pk:
            note.withdraw_form = withdrawing
        if editing is not None and editing.note_id == note.pk:
            note.consent_form = editing
        else:
            note.consent_form = ConsentForm(note=note, parties=parties,
                                            representatives=reps.get(note.source_party.party_id, [])
                                            if note.source_party_id else [],
                                            initial={"given_at": now, "method": ConsentMethod.IN_SESSION})


# --- pages ------------------------------------------------------------------------------------------------


@member_required
@require_http_methods(["GET", "POST"])
def session_create(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    dispute = _dispute(request, pk)
    if not actor_may_write(actor=actor, dispute=dispute):
        return forbidden(request)
    parties = list(case_party_list(actor=actor, dispute_id=dispute.pk).order_by("id"))
    if request.method == "POST":
        form = SessionCreateForm(request.POST, parties=parties)
        if form.is_valid():
            d = form.cleaned_data
            chosen = pick(parties, d["parties"])
            starts, ends, zone = form.when()
            title = d["title"] or "{}: {}".format(
                SessionKind(d["kind"]).label, ", ".join(cp.party.name for cp in chosen) or dispute.reference)
            call = services.session_record_held if d["held"] else services.session_schedule
            session = call_service(form, call, actor=actor, dispute=dispute, kind=d["kind"], title=title,
                                   starts_at=starts, ends_at=ends, time_zone=zone, parties=chosen,
                                   venue=d["venue"], field_map={"starts_at": "start", "ends_at": "duration"})
            if session is not None:
                return redirect("dispute_session_detail", pk=session.pk)
    else:
        last_zone = session_list(actor=actor, dispute_id=dispute.pk).values_list("time_zone", flat=True).first()
        zone = last_zone or request.user.time_zone
        day, start = default_start(zone)
        form = SessionCreateForm(parties=parties, initial={
            "kind": request.GET.get("kind") or SessionKind.JOINT, "day": day, "start": start, "time_zone": zone,
        })
    return render(request, "sessions/session_form.html", {"form": form, "dispute": dispute})


@member_required
@require_GET
def session_time_preview(request: HttpRequest) -> HttpResponse:
    """The venue time typed in the form, in the user's own time zone (htmx, as they type)."""
    form = WhenFields(request.GET)
    shown = None
    if form.is_valid():
        starts, ends, _zone = form.when()
        shown = {"starts": timezone.localtime(starts, request.user.tzinfo),
                 "ends": timezone.localtime(ends, request.user.tzinfo)}
    return render(request, "sessions/session_form.html#time_preview", {"shown": shown})


@member_required
@require_GET
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, TEMPLATE, _page(request, pk))


def _writable_session(request: HttpRequest, pk: int) -> MediationSession:
    """The session (404 when out of reach); the services refuse the write itself when the caller may only read."""
    return _session(request, pk)


def _session_note(session: MediationSession, note_id: int) -> Any:
    """One of the notes the session page shows the caller (404 otherwise: out of reach, or another session's)."""
    note = next((n for n in session.notes_loaded if n.pk == note_id), None)
    if note is None:
        raise Http404
    return note


def _answer(request: HttpRequest, pk: int, *, ok: bool, form: forms.Form, part: str, name: str,
            flash: str) -> HttpResponse:
    url = reverse("dispute_session_detail", args=[pk])
    return respond(request, ok=ok, form=form, template=TEMPLATE, part=part,
                   context=lambda: _page(request, pk, bound={} if ok else {name: form}),
                   redirect_to=f"{url}#{part}", flash=flash)


@member_required
@require_POST
def session_note_add(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    session = _writable_session(request, pk)
    parties = list(case_party_list(actor=actor, dispute_id=session.dispute_id).order_by("id"))
    form = NoteForm(request.POST, parties=parties,
                    team_ok=actor_may_handle_team_notes(actor=actor, dispute=session.dispute_id))
    ok = False
    if form.is_valid():
        d = form.cleaned_data
        ok = call_service(form, services.session_note_add, actor=actor, session=session, text=d["text"],
                          visibility=d["visibility"], source_party=pick_one(parties, d["source_party"]),
                          parties=pick(parties, d["parties"])) is not None
    return _answer(request, pk, ok=ok, form=form, part="notes", name="note", flash=_("Note saved."))


@member_required
@require_POST
def session_note_edit(request: HttpRequest, pk: int, note_id: int) -> HttpResponse:
    actor = request.actor
    session = _writable_session(request, pk)
    note = _session_note(session, note_id)
    form = NoteEditForm(request.POST, note=note,
                        team_ok=actor_may_handle_team_notes(actor=actor, dispute=session.dispute_id))
    form.note_id = note.pk
    ok = False
    if form.is_valid():
        d = form.cleaned_data
        ok = call_service(form, services.session_note_edit, actor=actor, note=note,
                          based_on_version=d["based_on_version"], text=d["text"],
                          visibility=d["visibility"], field_map={"based_on_version": "text"}) is not None
    return _answer(request, pk, ok=ok, form=form, part="notes", name="note_edit", flash=_("Note saved."))


@member_required
@require_POST
def session_note_consent(request: HttpRequest, pk: int, note_id: int) -> HttpResponse:
    """Record the source party's consent to pass on a team-only note (only the case team sees such a note)."""
    actor = request.actor
    session = _writable_session(request, pk)
    note = _session_note(session, note_id)
    parties = list(case_party_list(actor=actor, dispute_id=session.dispute_id).order_by("id"))
    reps = _representatives(request, [note]).get(note.source_party.party_id, []) if note.source_party_id else []
    form = ConsentForm(request.POST, note=note, parties=parties, representatives=reps)
    form.note_id = note.pk
    ok = False
    if form.is_valid():
        d = form.cleaned_data
        given_at = d["given_at"].replace(tzinfo=None).replace(tzinfo=request.user.tzinfo)  # typed in their zone
        ok = call_service(form, services.disclosure_consent_record, actor=actor, note=note, method=d["method"],
                          given_at=given_at, given_by_representative=pick_one(reps, d["given_by_representative"]),
                          given_by_name=d["given_by_name"], parties=pick(parties, d["parties"]),
                          reference=d["reference"]) is not None
    return _answer(request, pk, ok=ok, form=form, part="notes", name="consent", flash=_("Consent recorded."))


@member_required
@require_POST
def session_consent_withdraw(request: HttpRequest, pk: int, consent_id: int) -> HttpResponse:
    """The source party takes back its consent to pass on a team-only note of this session."""
    actor = request.actor
    session = _writable_session(request, pk)
    # Only a consent on one of this session's notes, read through the case team's scope: anything else is a 404.
    consent = disclosure_consent_list(actor=actor).filter(
        pk=consent_id, note_id__in=[n.pk for n in session.notes_loaded]).first()
    if consent is None:
        raise Http404
    form = forms.Form(request.POST)
    form.note_id = consent.note_id
    ok = call_service(form, services.disclosure_consent_withdraw, actor=actor, consent=consent) is not None
    return _answer(request, pk, ok=ok, form=form, part="notes", name="consent_withdraw",
                   flash=_("Consent withdrawn: nothing more may be passed on under it."))


@member_required
@require_POST
def session_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    session = _writable_session(request, pk)
    parties = list(case_party_list(actor=actor, dispute_id=session.dispute_id).order_by("id"))
    team = list(team_member_list(actor=actor, dispute_id=session.dispute_id).order_by("id"))
    form = AttendanceForm(request.POST, parties=parties, team=team)
    ok = False
    if form.is_valid():
        users = [m.user for m in team if str(m.user_id) in set(form.cleaned_data["team_members"])]
        ok = call_service(form, services.session_set_attendance, actor=actor, session=session,
                          parties=pick(parties, form.cleaned_data["parties"]), team_members=users) is not None
    return _answer(request, pk, ok=ok, form=form, part="attendance", name="attendance",
                   flash=_("Attendance saved."))


@member_required
@require_POST
def session_record(request: HttpRequest, pk: int) -> HttpResponse:
    session = _writable_session(request, pk)
    form = RecordForm(request.POST)
    ok = form.is_valid() and call_service(
        form, services.session_update, actor=request.actor, session=session,
        data={"summary": form.cleaned_data["summary"], "outcomes": form.cleaned_data["outcomes"]},
    ) is not None
    return _answer(request, pk, ok=ok, form=form, part="record", name="record", flash=_("Summary and outcomes saved."))


@member_required
@require_POST
def session_action_add(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.actor
    session = _writable_session(request, pk)
    parties = list(case_party_list(actor=actor, dispute_id=session.dispute_id).order_by("id"))
    team = list(team_member_list(actor=actor, dispute_id=session.dispute_id).order_by("id"))
    form = ActionItemForm(request.POST, parties=parties, team=team)
    ok = False
    if form.is_valid():
        kind, _sep, ident = form.cleaned_data["owner"].partition(":")
        owner_user = next((m.user for m in team if kind == "user" and str(m.user_id) == ident), None)
        owner_party = pick_one(parties, ident) if kind == "party" else None
        ok = call_service(form, services.action_item_create, actor=actor, session=session,
                          description=form.cleaned_data["description"], due_on=form.cleaned_data["due_on"],
                          owner_user=owner_user, owner_party=owner_party,
                          field_map={"owner_party": "owner", "team_members": "owner"}) is not None
    return _answer(request, pk, ok=ok, form=form, part="actions", name="action", flash=_("Action item added."))


@member_required
@require_POST
def session_action_done(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    session = _writable_session(request, pk)
    item = next((i for i in session.action_items_loaded if i.pk == item_id), None)
    if item is None:
        raise Http404
    form = forms.Form(request.POST)
    call = services.action_item_reopen if item.done_at else services.action_item_complete
    ok = call_service(form, call, actor=request.actor, item=item) is not None
    return _answer(request, pk, ok=ok, form=form, part="actions", name="action_done",
                   flash=_("Action item reopened.") if item.done_at else _("Action item done."))


@member_required
@require_POST
def session_status(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Reschedule, postpone, cancel or mark held: the services decide what is allowed from where."""
    actor = request.actor
    session = _writable_session(request, pk)
    if action == "reschedule":
        form: forms.Form = RescheduleForm(request.POST)
        ok = False
        if form.is_valid():
            starts, ends, zone = form.when()
            ok = call_service(form, services.session_reschedule, actor=actor, session=session, starts_at=starts,
                              ends_at=ends, time_zone=zone,
                              field_map={"starts_at": "start", "ends_at": "duration"}) is not None
        return _answer(request, pk, ok=ok, form=form, part="status", name="reschedule", flash=_("Session moved."))
    calls = {"postpone": (services.session_postpone, _("Session postponed.")),
             "cancel": (services.session_cancel, _("Session cancelled.")),
             "held": (services.session_mark_held, _("Session marked as held."))}
    if action not in calls:
        raise Http404
    call, flash = calls[action]
    form = ReasonForm(request.POST)
    kwargs: dict[str, Any] = {"actor": actor, "session": session}
    if action != "held":
        kwargs["reason"] = form.cleaned_data["reason"] if form.is_valid() else ""
    ok = form.is_valid() and call_service(form, call, field_map={"status": "reason"}, **kwargs) is not None
    return _answer(request, pk, ok=ok, form=form, part="status", name="status", flash=flash)
