"""/api/v1/ sessions (with attendance), notes, disclosures, consents, shuttle rounds and action items.

Reads through apps/sessions/selectors.py, writes through apps/sessions/services.py.

Confidentiality (DESIGN.md §3): a ``team`` note is served to the dispute's case team only. The
selectors leave such notes out for everyone else (API keys, analysts, partners, other
organisations: a 404), and the output serializer blanks the text of a team note for any caller
who may not read it, as a second line (ASVS 8.2.3). Note text is always read through the
sessions app's marked querysets (``session_notes`` / ``session_note_get``), so every team-note
read by a team member is audited by ``apps.sessions.reads``: exactly the notes of the page served.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.actors import Actor
from apps.accounts.models import User
from apps.api.fields import (
    AwareDateTimeField,
    AwareDateTimeFilter,
    FilterSet,
    IdFilter,
    ScopedPrimaryKeyField,
    StrictBooleanFilter,
)
from apps.api.resources import DomainViewSet, org_users, refetch
from apps.api.serializers import InputSerializer
from apps.disputes.models import CaseParty, Dispute, NegotiationIssue
from apps.disputes.selectors import case_party_list, disputes_visible, negotiation_issue_list, representative_list
from apps.negotiations.models import Proposal
from apps.negotiations.selectors import proposals_visible
from apps.parties.models import Representative
from apps.sessions.models import (
    ActionItem,
    ConsentMethod,
    Disclosure,
    DisclosureConsent,
    MediationSession,
    SessionKind,
    SessionNote,
    ShuttleRound,
    Visibility,
)
from apps.sessions.selectors import (
    action_item_list,
    disclosure_consent_list,
    disclosure_list,
    session_get_for_reader,
    session_list,
    session_note_versions,
    session_notes,
    session_notes_visible,
    sessions_visible,
    shuttle_round_list,
    shuttle_round_state,
)
from apps.sessions.services import (
    action_item_complete,
    action_item_create,
    action_item_reopen,
    action_item_update,
    disclosure_consent_record,
    disclosure_consent_withdraw,
    disclosure_record,
    session_cancel,
    session_mark_held,
    session_note_add,
    session_note_edit,
    session_postpone,
    session_record_held,
    session_reschedule,
    session_schedule,
    session_set_agenda,
    session_set_attendance,
    session_update,
    shuttle_reply_record,
    shuttle_round_abandon,
    shuttle_round_conclude,
    shuttle_round_open,
    shuttle_visit_record,
    shuttle_visit_schedule,
)

# --- scopes for ids in bodies -------------------------------------------------------------------------


def _disputes(actor: Actor) -> QuerySet:
    return disputes_visible(actor=actor)


def _case_parties(actor: Actor) -> QuerySet:
    return case_party_list(actor=actor)


def _representatives(actor: Actor) -> QuerySet:
    return representative_list(actor=actor)


def _issues(actor: Actor) -> QuerySet:
    return negotiation_issue_list(actor=actor)


def _sessions(actor: Actor) -> QuerySet:
    return sessions_visible(actor=actor)


def _rounds(actor: Actor) -> QuerySet:
    return shuttle_round_list(actor=actor).prefetch_related(None)


def _notes(actor: Actor) -> QuerySet:
    # Ids only: resolving an id reads no text, so nothing is audited (the service reads what it needs).
    return session_notes_visible(actor=actor)


def _proposals(actor: Actor) -> QuerySet:
    return proposals_visible(actor=actor)


def _consents(actor: Actor) -> QuerySet:
    return disclosure_consent_list(actor=actor).prefetch_related(None)


def _case_party_field(**kwargs: Any) -> ScopedPrimaryKeyField:
    return ScopedPrimaryKeyField(model=CaseParty, scope=_case_parties, **kwargs)


# --- sessions ------------------------------------------------------------------------------------------


class SessionPartyRef(serializers.Serializer):
    case_party_id = serializers.IntegerField()
    name = serializers.CharField()


class SessionListRow(serializers.Serializer):
    id = serializers.IntegerField()
    dispute_id = serializers.IntegerField()
    dispute_reference = serializers.CharField()
    kind = serializers.ChoiceField(choices=SessionKind.choices)
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=MediationSession.Status.choices)
    round_number = serializers.IntegerField(allow_null=True)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    time_zone = serializers.CharField(help_text=_("The venue's IANA time zone."))
    venue = serializers.CharField(allow_blank=True)
    virtual_link = serializers.CharField(allow_blank=True)
    shuttle_round_id = serializers.IntegerField(allow_null=True)
    party_replied_at = serializers.DateTimeField(allow_null=True)
    party_names = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class RepresentativeAttendance(serializers.Serializer):
    representative_id = serializers.IntegerField()
    name = serializers.CharField()
    case_party_id = serializers.IntegerField()


class TeamAttendance(serializers.Serializer):
    user_id = serializers.IntegerField()
    name = serializers.CharField()


class AgendaRef(serializers.Serializer):
    issue_id = serializers.IntegerField()
    title = serializers.CharField()


class SessionOutput(SessionListRow):
    """A session with its attendance, agenda and the notes the caller may read (team notes: the
    case team only, and reading them here is audited like anywhere else)."""

    status_reason = serializers.CharField(allow_blank=True)
    summary = serializers.CharField(allow_blank=True)
    outcomes = serializers.CharField(allow_blank=True)
    participant_count = serializers.IntegerField(allow_null=True)
    women_count = serializers.IntegerField(allow_null=True)
    youth_count = serializers.IntegerField(allow_null=True)
    civil_society_count = serializers.IntegerField(allow_null=True)
    parties = SessionPartyRef(many=True)
    representatives = RepresentativeAttendance(many=True)
    team = TeamAttendance(many=True)
    agenda = AgendaRef(many=True)
    notes = serializers.ListField(child=serializers.DictField(), help_text=_(
        "The session's notes the caller may read, each shaped as in /notes/."
    ))

    def to_representation(self, s: MediationSession) -> dict[str, Any]:
        plain = ("id", "dispute_id", "kind", "title", "status", "round_number", "starts_at", "ends_at", "time_zone",
                 "venue", "virtual_link", "shuttle_round_id", "party_replied_at", "created_at", "updated_at",
                 "status_reason", "summary", "outcomes", "participant_count", "women_count", "youth_count",
                 "civil_society_count")
        parties = [{"case_party_id": sp.case_party_id, "name": sp.case_party.party.name} for sp in s.parties_loaded]
        return {
            **{name: getattr(s, name) for name in plain},
            "dispute_reference": s.dispute.reference,
            "party_names": [p["name"] for p in parties],
            "parties": parties,
            "representatives": [
                {"representative_id": r.representative_id, "name": r.representative.name,
                 "case_party_id": r.case_party_id}
                for r in s.representatives_loaded
            ],
            "team": [{"user_id": t.user_id, "name": t.user.name} for t in s.team_loaded],
            "agenda": [{"issue_id": a.issue_id, "title": a.issue.title} for a in s.agenda_loaded],
            "notes": [NoteOutput(n, context=self.context).data for n in s.notes_loaded],
        }


class AttendanceInput(InputSerializer):
    parties = _case_party_field(many=True)
    representatives = ScopedPrimaryKeyField(model=Representative, scope=_representatives, many=True, required=False)
    team_members = ScopedPrimaryKeyField(model=User, scope=org_users, many=True, required=False)


class SessionInput(InputSerializer):
    dispute = ScopedPrimaryKeyField(model=Dispute, scope=_disputes)
    kind = serializers.ChoiceField(choices=SessionKind.choices)
    title = serializers.CharField(max_length=300)
    starts_at = AwareDateTimeField()
    ends_at = AwareDateTimeField()
    time_zone = serializers.CharField(max_length=64, help_text=_("The venue's IANA time zone, e.g. Africa/Nairobi."))
    parties = _case_party_field(many=True, required=False)
    representatives = ScopedPrimaryKeyField(model=Representative, scope=_representatives, many=True, required=False)
    team_members = ScopedPrimaryKeyField(model=User, scope=org_users, many=True, required=False)
    agenda = ScopedPrimaryKeyField(model=NegotiationIssue, scope=_issues, many=True, required=False)
    venue = serializers.CharField(max_length=300, allow_blank=True, required=False)
    virtual_link = serializers.URLField(max_length=500, allow_blank=True, required=False)
    round_number = serializers.IntegerField(min_value=1, max_value=100000, required=False, allow_null=True)
    shuttle_round = ScopedPrimaryKeyField(model=ShuttleRound, scope=_rounds, required=False, allow_null=True)
    held = serializers.BooleanField(
        required=False, default=False,
        help_text=_("True to log a session that already took place (with summary and outcomes)."),
    )
    summary = serializers.CharField(allow_blank=True, required=False)
    outcomes = serializers.CharField(allow_blank=True, required=False)
    party_replied = serializers.BooleanField(required=False)


class SessionUpdateInput(InputSerializer):
    title = serializers.CharField(max_length=300, required=False)
    venue = serializers.CharField(max_length=300, allow_blank=True, required=False)
    virtual_link = serializers.URLField(max_length=500, allow_blank=True, required=False)
    round_number = serializers.IntegerField(min_value=1, max_value=100000, required=False, allow_null=True)
    summary = serializers.CharField(allow_blank=True, required=False)
    outcomes = serializers.CharField(allow_blank=True, required=False)
    participant_count = serializers.IntegerField(min_value=0, max_value=1000000, required=False, allow_null=True)
    women_count = serializers.IntegerField(min_value=0, max_value=1000000, required=False, allow_null=True)
    youth_count = serializers.IntegerField(min_value=0, max_value=1000000, required=False, allow_null=True)
    civil_society_count = serializers.IntegerField(min_value=0, max_value=1000000, required=False, allow_null=True)


class RescheduleInput(InputSerializer):
    starts_at = AwareDateTimeField()
    ends_at = AwareDateTimeField()
    time_zone = serializers.CharField(max_length=64, required=False)


class ReasonInput(InputSerializer):
    reason = serializers.CharField(allow_blank=True, required=False, max_length=5000)


class HeldInput(InputSerializer):
    summary = serializers.CharField(allow_blank=True, required=False)
    outcomes = serializers.CharField(allow_blank=True, required=False)
    party_replied = serializers.BooleanField(required=False, help_text=_("Shuttle visits: the party answered."))


class ReplyInput(InputSerializer):
    replied_at = AwareDateTimeField(required=False)


class AgendaInput(InputSerializer):
    issues = ScopedPrimaryKeyField(model=NegotiationIssue, scope=_issues, many=True)


class SessionFilter(FilterSet):
    dispute = IdFilter(field_name="dispute_id")
    kind = django_filters.ChoiceFilter(choices=SessionKind.choices)
    status = django_filters.ChoiceFilter(choices=MediationSession.Status.choices)
    starts_after = AwareDateTimeFilter(field_name="starts_at", lookup_expr="gte",
                                       help_text=_("Sessions starting at or after (ISO 8601 with offset)."))
    starts_before = AwareDateTimeFilter(field_name="starts_at", lookup_expr="lt",
                                        help_text=_("Sessions starting before (ISO 8601 with offset)."))
    shuttle_round = IdFilter(field_name="shuttle_round_id")

    class Meta:
        model = MediationSession
        fields = ["dispute", "kind", "status", "starts_after", "starts_before", "shuttle_round", "updated_since"]


_SESSION_TAGS = ["sessions"]


def _session_action(**kwargs: Any) -> Any:
    return extend_schema(tags=_SESSION_TAGS, responses=SessionOutput, **kwargs)


@extend_schema_view(
    list=extend_schema(tags=_SESSION_TAGS, responses=SessionListRow(many=True)),
    retrieve=extend_schema(tags=_SESSION_TAGS, responses=SessionOutput),
    create=extend_schema(tags=_SESSION_TAGS, request=SessionInput, responses={201: SessionOutput}),
    update=extend_schema(tags=_SESSION_TAGS, request=SessionUpdateInput, responses=SessionOutput),
    partial_update=extend_schema(tags=_SESSION_TAGS, request=SessionUpdateInput, responses=SessionOutput),
)
class SessionViewSet(DomainViewSet):
    """Meetings in a dispute; times are aware (UTC in answers) with the venue's time zone beside them."""

    serializer_class = SessionListRow
    input_serializer_class = SessionInput
    filterset_class = SessionFilter
    ordering = ("-starts_at", "-id")
    list_fields = {
        **{n: n for n in SessionListRow().fields if n not in ("dispute_reference", "party_names")},
        "dispute_reference": "dispute__reference",
        "party_names": "party_names",
    }

    def get_queryset(self) -> Any:
        return session_list(actor=self.actor).select_related(None).order_by()

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return SessionListRow if self.action == "list" else SessionOutput

    def get_input_serializer(self, *args: Any, **kwargs: Any) -> serializers.BaseSerializer:
        if self.action in ("update", "partial_update"):
            kwargs.setdefault("context", self.get_serializer_context())
            return SessionUpdateInput(*args, **kwargs)
        return super().get_input_serializer(*args, **kwargs)

    def _full(self, session: MediationSession) -> MediationSession:
        full = session_get_for_reader(actor=self.actor, session_id=session.pk)
        assert full is not None
        return full

    def get_object(self) -> Any:
        if self.action == "retrieve":
            pk = self.kwargs["pk"]
            session = session_get_for_reader(actor=self.actor, session_id=int(pk))
            if session is None:
                raise exceptions.NotFound()
            return session
        return super().get_object()

    def create_object(self, *, data: dict[str, Any]) -> MediationSession:
        data = dict(data)
        held = data.pop("held", False)
        if held:
            return self._full(session_record_held(actor=self.actor, **data))
        for key in ("summary", "outcomes", "party_replied"):
            if data.pop(key, None):
                raise exceptions.ValidationError({key: [_("Only a session logged as held has this.")]})
        return self._full(session_schedule(actor=self.actor, **data))

    def update_object(self, *, instance: MediationSession, data: dict[str, Any], partial: bool) -> MediationSession:
        return self._full(session_update(actor=self.actor, session=instance, data=data))

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "actor": self.actor}

    def _out(self, session: MediationSession) -> dict[str, Any]:
        return SessionOutput(self._full(session), context={"actor": self.actor}).data

    def _act(self, request: Request, input_class: Any, service: Any, **fixed: Any) -> Response:
        return self.run_action(
            request, input_class=input_class, output=self._out,
            do=lambda session, data: service(actor=self.actor, session=session, **fixed, **data),
        )

    @_session_action(request=RescheduleInput, summary="Move a planned or postponed session")
    @action(detail=True, methods=["post"])
    def reschedule(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, RescheduleInput, session_reschedule)

    @_session_action(request=ReasonInput, summary="Postpone a planned session")
    @action(detail=True, methods=["post"])
    def postpone(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, ReasonInput, session_postpone)

    @_session_action(request=ReasonInput, summary="Cancel a session")
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, ReasonInput, session_cancel)

    @_session_action(request=HeldInput, summary="Record that a planned session took place")
    @action(detail=True, methods=["post"])
    def held(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, HeldInput, session_mark_held)

    @_session_action(request=AttendanceInput, summary="Replace who takes (took) part")
    @action(detail=True, methods=["post"])
    def attendance(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, AttendanceInput, session_set_attendance)

    @_session_action(request=AgendaInput, summary="Replace the agenda")
    @action(detail=True, methods=["post"])
    def agenda(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, AgendaInput, session_set_agenda)

    @_session_action(request=ReplyInput, summary="A shuttle visit's party answered after the visit")
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, pk: str | None = None) -> Response:
        return self.run_action(
            request, input_class=ReplyInput, output=self._out,
            do=lambda session, data: shuttle_reply_record(actor=self.actor, visit=session, **data),
        )


# --- notes ---------------------------------------------------------------------------------------------


class NoteOutput(serializers.Serializer):
    id = serializers.IntegerField()
    session_id = serializers.IntegerField()
    dispute_id = serializers.IntegerField()
    visibility = serializers.ChoiceField(choices=Visibility.choices)
    text = serializers.CharField(allow_null=True, help_text=_(
        "Null when the caller may not read it: the text of a team-only note is for the case team alone."
    ))
    author = serializers.CharField(allow_blank=True)
    source_party_id = serializers.IntegerField(allow_null=True)
    parties = serializers.ListField(child=serializers.IntegerField(), help_text=_(
        'For visibility "parties": the case parties it may be told to.'
    ))
    version = serializers.IntegerField(help_text=_("Send the ETag back in If-Match to edit."))
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, note: SessionNote) -> dict[str, Any]:
        actor = self.context["actor"]
        # The second line of the field-level rule: the selectors already leave team notes out for
        # anyone off the case team; should one ever get here, its text still does not.
        readable = note.visibility != Visibility.TEAM or actor.may_read_team_notes
        return {
            "id": note.pk, "session_id": note.session_id, "dispute_id": note.dispute_id,
            "visibility": note.visibility, "text": note.text if readable else None,
            "author": note.author_label, "source_party_id": note.source_party_id,
            "parties": [np.case_party_id for np in getattr(note, "parties_loaded", [])],
            "version": note.version, "created_at": note.created_at, "updated_at": note.updated_at,
        }


# The session's notes are shaped as in /notes/ (NoteOutput is defined after SessionOutput).
SessionOutput._declared_fields["notes"] = NoteOutput(many=True, help_text=_(
    "The session's notes the caller may read, each shaped as in /notes/."
))


class NoteInput(InputSerializer):
    session = ScopedPrimaryKeyField(model=MediationSession, scope=_sessions)
    text = serializers.CharField(max_length=100000)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False, help_text=_(
        "Defaults to team in a caucus or shuttle visit when the caller is on the case team, shared otherwise."
    ))
    source_party = _case_party_field(required=False, allow_null=True)
    parties = _case_party_field(many=True, required=False)


class NoteUpdateInput(InputSerializer):
    """A new version of the note (the old ones stay). Visibility may only narrow."""

    text = serializers.CharField(max_length=100000, required=False)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    source_party = _case_party_field(required=False, allow_null=True)
    parties = _case_party_field(many=True, required=False)


class NoteVersionOutput(serializers.Serializer):
    version = serializers.IntegerField()
    text = serializers.CharField(allow_null=True)
    visibility = serializers.ChoiceField(choices=Visibility.choices)
    written_by = serializers.CharField(allow_blank=True)
    written_at = serializers.DateTimeField()


class NoteFilter(FilterSet):
    session = IdFilter(field_name="session_id")
    dispute = IdFilter(field_name="dispute_id")
    visibility = django_filters.ChoiceFilter(choices=Visibility.choices)

    class Meta:
        model = SessionNote
        fields = ["session", "dispute", "visibility", "updated_since"]


_NOTE_TAGS = ["notes"]


@extend_schema_view(
    list=extend_schema(tags=_NOTE_TAGS), retrieve=extend_schema(tags=_NOTE_TAGS),
    create=extend_schema(tags=_NOTE_TAGS, responses={201: NoteOutput}),
    update=extend_schema(tags=_NOTE_TAGS, request=NoteUpdateInput),
    partial_update=extend_schema(tags=_NOTE_TAGS, request=NoteUpdateInput),
)
class NoteViewSet(DomainViewSet):
    """What was said or observed in a session. Team-only notes: the case team alone, every read audited."""

    serializer_class = NoteOutput
    input_serializer_class = NoteInput
    filterset_class = NoteFilter
    ordering = "id"
    if_match_required = True

    def get_queryset(self) -> Any:
        if self.action == "list":
            # The page is chosen on an unmarked queryset (ids only, no text); its notes are then read
            # through the marked one, so exactly the notes served are audited.
            return session_notes_visible(actor=self.actor)
        return session_notes(actor=self.actor, via="api")

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "actor": self.actor}

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset()).only("id")
        page = self.paginate_queryset(queryset)
        assert page is not None
        ids = [n.pk for n in page]
        notes = {n.pk: n for n in session_notes(actor=self.actor, via="api").filter(pk__in=ids)}
        rows = [self.get_serializer(notes[pk]).data for pk in ids if pk in notes]
        return self.get_paginated_response(rows)

    def get_input_serializer(self, *args: Any, **kwargs: Any) -> serializers.BaseSerializer:
        if self.action in ("update", "partial_update"):
            kwargs.setdefault("context", self.get_serializer_context())
            return NoteUpdateInput(*args, **kwargs)
        return super().get_input_serializer(*args, **kwargs)

    def _reread(self, note: SessionNote) -> SessionNote:
        return refetch(session_notes(actor=self.actor, via="api"), note)

    def create_object(self, *, data: dict[str, Any]) -> SessionNote:
        return self._reread(session_note_add(actor=self.actor, **data))

    def update_object(self, *, instance: SessionNote, data: dict[str, Any], partial: bool) -> SessionNote:
        # If-Match has already pinned the version the client read.
        note = session_note_edit(actor=self.actor, note=instance, based_on_version=instance.version, **data)
        return self._reread(note)

    @extend_schema(tags=_NOTE_TAGS, responses=NoteVersionOutput(many=True), summary="Every version of the note")
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def versions(self, request: Request, pk: str | None = None) -> Response:
        note = self.get_object()
        readable = note.visibility != Visibility.TEAM or self.actor.may_read_team_notes
        rows = [
            {"version": v.version, "text": v.text if readable else None, "visibility": v.visibility,
             "written_by": v.written_by_label, "written_at": v.written_at}
            for v in session_note_versions(actor=self.actor, note_id=note.pk)
        ]
        return Response(rows)


# --- disclosures and consents ----------------------------------------------------------------------------


class DisclosureOutput(serializers.Serializer):
    """The ledger: what was passed to whom. Never the note's text."""

    id = serializers.IntegerField()
    dispute_id = serializers.IntegerField()
    note_id = serializers.IntegerField(allow_null=True)
    proposal_id = serializers.IntegerField(allow_null=True)
    note_visibility = serializers.CharField(allow_blank=True)
    to_party_id = serializers.IntegerField(help_text=_("The case party told."))
    to_party_name = serializers.CharField()
    session_id = serializers.IntegerField(allow_null=True)
    consent_id = serializers.IntegerField(allow_null=True)
    disclosed_at = serializers.DateTimeField()
    disclosed_by_label = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()


class DisclosureInput(InputSerializer):
    to_party = _case_party_field()
    note = ScopedPrimaryKeyField(model=SessionNote, scope=_notes, required=False, allow_null=True)
    proposal = ScopedPrimaryKeyField(model=Proposal, scope=_proposals, required=False, allow_null=True)
    session = ScopedPrimaryKeyField(model=MediationSession, scope=_sessions, required=False, allow_null=True)
    consent = ScopedPrimaryKeyField(model=DisclosureConsent, scope=_consents, required=False, allow_null=True)
    disclosed_at = AwareDateTimeField(required=False)


class DisclosureFilter(FilterSet):
    dispute = IdFilter(field_name="dispute_id")
    to_party = IdFilter(field_name="to_party_id")
    note = IdFilter(field_name="note_id")
    proposal = IdFilter(field_name="proposal_id")
    updated_since = None  # type: ignore[assignment]
    since = AwareDateTimeFilter(field_name="created_at", lookup_expr="gte",
                                help_text=_("Recorded at or after this moment (ISO 8601 with offset)."))

    class Meta:
        model = Disclosure
        fields = ["dispute", "to_party", "note", "proposal", "since"]


@extend_schema_view(
    list=extend_schema(tags=_NOTE_TAGS), retrieve=extend_schema(tags=_NOTE_TAGS),
    create=extend_schema(tags=_NOTE_TAGS, responses={201: DisclosureOutput}),
)
class DisclosureViewSet(DomainViewSet):
    """The disclosure ledger. Disclosures of team-only notes are team material too."""

    serializer_class = DisclosureOutput
    input_serializer_class = DisclosureInput
    filterset_class = DisclosureFilter
    list_fields = {
        **{n: n for n in ("id", "dispute_id", "note_id", "proposal_id", "note_visibility", "to_party_id",
                          "session_id", "consent_id", "disclosed_at", "created_at", "disclosed_by_label")},
        "to_party_name": "to_party__party__name",
    }

    def get_queryset(self) -> Any:
        return disclosure_list(actor=self.actor).order_by()

    def get_serializer(self, *args: Any, **kwargs: Any) -> serializers.BaseSerializer:
        if args and isinstance(args[0], Disclosure):
            d = args[0]
            d.to_party_name = d.to_party.party.name
        return super().get_serializer(*args, **kwargs)

    def create_object(self, *, data: dict[str, Any]) -> Disclosure:
        return refetch(disclosure_list(actor=self.actor), disclosure_record(actor=self.actor, **data))


class ConsentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    dispute_id = serializers.IntegerField()
    note_id = serializers.IntegerField()
    source_party_id = serializers.IntegerField()
    given_by_representative_id = serializers.IntegerField(allow_null=True)
    given_by_name = serializers.CharField(allow_blank=True)
    given_at = serializers.DateTimeField()
    method = serializers.ChoiceField(choices=ConsentMethod.choices)
    reference = serializers.CharField(allow_blank=True)
    parties = serializers.ListField(child=serializers.IntegerField(),
                                    help_text=_("Case parties it may be told to (empty: any)."))
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    def to_representation(self, c: DisclosureConsent) -> dict[str, Any]:
        return {
            **{n: getattr(c, n) for n in ("id", "dispute_id", "note_id", "source_party_id",
                                          "given_by_representative_id", "given_by_name", "given_at", "method",
                                          "reference", "withdrawn_at", "created_at")},
            "parties": [cp.case_party_id for cp in c.consent_parties.all()],
        }


class ConsentInput(InputSerializer):
    note = ScopedPrimaryKeyField(model=SessionNote, scope=_notes)
    method = serializers.ChoiceField(choices=ConsentMethod.choices)
    given_at = AwareDateTimeField()
    given_by_representative = ScopedPrimaryKeyField(model=Representative, scope=_representatives, required=False,
                                                    allow_null=True)
    given_by_name = serializers.CharField(max_length=200, allow_blank=True, required=False)
    parties = _case_party_field(many=True, required=False)
    reference = serializers.CharField(max_length=200, allow_blank=True, required=False)


class ConsentFilter(FilterSet):
    note = IdFilter(field_name="note_id")
    dispute = IdFilter(field_name="dispute_id")

    class Meta:
        model = DisclosureConsent
        fields = ["note", "dispute", "updated_since"]


@extend_schema_view(
    list=extend_schema(tags=_NOTE_TAGS), retrieve=extend_schema(tags=_NOTE_TAGS),
    create=extend_schema(tags=_NOTE_TAGS, responses={201: ConsentOutput}),
)
class ConsentViewSet(DomainViewSet):
    """A party's consent to pass on one of its team-only notes: the case team's business alone."""

    serializer_class = ConsentOutput
    input_serializer_class = ConsentInput
    filterset_class = ConsentFilter

    def get_queryset(self) -> Any:
        return disclosure_consent_list(actor=self.actor).order_by()

    def create_object(self, *, data: dict[str, Any]) -> DisclosureConsent:
        return refetch(disclosure_consent_list(actor=self.actor),
                       disclosure_consent_record(actor=self.actor, **data))

    @extend_schema(tags=_NOTE_TAGS, request=None, responses=ConsentOutput, summary="Withdraw the consent")
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        return self.run_action(
            request, input_class=None,
            output=lambda c: ConsentOutput(refetch(disclosure_consent_list(actor=self.actor), c)).data,
            do=lambda consent, data: disclosure_consent_withdraw(actor=self.actor, consent=consent),
        )


# --- shuttle rounds ----------------------------------------------------------------------------------------


class VisitRef(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("The visit's session id."))
    case_party_id = serializers.IntegerField(allow_null=True)
    status = serializers.ChoiceField(choices=MediationSession.Status.choices)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    party_replied_at = serializers.DateTimeField(allow_null=True)


class TurnRef(serializers.Serializer):
    case_party_id = serializers.IntegerField()
    name = serializers.CharField()
    owes_reply = serializers.BooleanField()
    waiting_since = serializers.DateTimeField()
    last_visit_id = serializers.IntegerField(allow_null=True)


class ShuttleRoundOutput(serializers.Serializer):
    id = serializers.IntegerField()
    dispute_id = serializers.IntegerField()
    title = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=ShuttleRound.Status.choices)
    subject_issue_id = serializers.IntegerField(allow_null=True)
    subject_proposal_id = serializers.IntegerField(allow_null=True)
    opened_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    close_reason = serializers.CharField(allow_blank=True)
    whose_move = SessionPartyRef(allow_null=True, help_text=_("Derived: the party waiting longest for a visit."))
    waiting_since = serializers.DateTimeField(allow_null=True)
    next_visit = VisitRef(allow_null=True)
    parties = TurnRef(many=True)
    visits = VisitRef(many=True)
    updated_at = serializers.DateTimeField()

    def to_representation(self, r: ShuttleRound) -> dict[str, Any]:
        state = shuttle_round_state(r)

        def visit(v: MediationSession) -> dict[str, Any]:
            return {"id": v.pk, "case_party_id": v.visit_party_id, "status": v.status, "starts_at": v.starts_at,
                    "ends_at": v.ends_at, "party_replied_at": v.party_replied_at}

        return {
            **{n: getattr(r, n) for n in ("id", "dispute_id", "title", "status", "subject_issue_id",
                                          "subject_proposal_id", "opened_at", "closed_at", "close_reason",
                                          "updated_at")},
            "whose_move": None if state.whose_move is None else {
                "case_party_id": state.whose_move.pk, "name": state.whose_move.party.name},
            "waiting_since": state.waiting_since,
            "next_visit": visit(state.next_visit) if state.next_visit is not None else None,
            "parties": [
                {"case_party_id": t.case_party.pk, "name": t.case_party.party.name, "owes_reply": t.owes_reply,
                 "waiting_since": t.waiting_since, "last_visit_id": t.last_visit.pk if t.last_visit else None}
                for t in state.parties
            ],
            "visits": [visit(v) for v in r.visits_loaded],
        }


class ShuttleRoundInput(InputSerializer):
    dispute = ScopedPrimaryKeyField(model=Dispute, scope=_disputes)
    parties = _case_party_field(many=True)
    subject_issue = ScopedPrimaryKeyField(model=NegotiationIssue, scope=_issues, required=False, allow_null=True)
    subject_proposal = ScopedPrimaryKeyField(model=Proposal, scope=_proposals, required=False, allow_null=True)
    title = serializers.CharField(max_length=300, allow_blank=True, required=False)
    opened_at = AwareDateTimeField(required=False)


class VisitInput(InputSerializer):
    case_party = _case_party_field()
    starts_at = AwareDateTimeField()
    ends_at = AwareDateTimeField()
    time_zone = serializers.CharField(max_length=64)
    held = serializers.BooleanField(required=False, default=False,
                                    help_text=_("True to record a visit that took place."))
    party_replied = serializers.BooleanField(required=False, default=False)
    title = serializers.CharField(max_length=300, allow_blank=True, required=False)
    venue = serializers.CharField(max_length=300, allow_blank=True, required=False)
    summary = serializers.CharField(allow_blank=True, required=False)
    representatives = ScopedPrimaryKeyField(model=Representative, scope=_representatives, many=True, required=False)
    team_members = ScopedPrimaryKeyField(model=User, scope=org_users, many=True, required=False)


class RoundFilter(FilterSet):
    dispute = IdFilter(field_name="dispute_id")
    status = django_filters.ChoiceFilter(choices=ShuttleRound.Status.choices)

    class Meta:
        model = ShuttleRound
        fields = ["dispute", "status", "updated_since"]


_ROUND_TAGS = ["shuttle rounds"]


@extend_schema_view(
    list=extend_schema(tags=_ROUND_TAGS), retrieve=extend_schema(tags=_ROUND_TAGS),
    create=extend_schema(tags=_ROUND_TAGS, responses={201: ShuttleRoundOutput}),
)
class ShuttleRoundViewSet(DomainViewSet):
    """Shuttle rounds with whose move it is and since when (derived from the visits, never stored)."""

    serializer_class = ShuttleRoundOutput
    input_serializer_class = ShuttleRoundInput
    filterset_class = RoundFilter

    def get_queryset(self) -> Any:
        return shuttle_round_list(actor=self.actor).order_by()

    def _full(self, r: ShuttleRound) -> ShuttleRound:
        return refetch(shuttle_round_list(actor=self.actor), r)

    def create_object(self, *, data: dict[str, Any]) -> ShuttleRound:
        return self._full(shuttle_round_open(actor=self.actor, **data))

    @extend_schema(tags=_ROUND_TAGS, request=ReasonInput, responses=ShuttleRoundOutput, summary="Conclude the round")
    @action(detail=True, methods=["post"])
    def conclude(self, request: Request, pk: str | None = None) -> Response:
        return self.run_action(request, input_class=ReasonInput, output=lambda r: self.get_serializer(
            self._full(r)).data, do=lambda r, data: shuttle_round_conclude(actor=self.actor, shuttle_round=r, **data))

    @extend_schema(tags=_ROUND_TAGS, request=ReasonInput, responses=ShuttleRoundOutput,
                   summary="Abandon the round (a reason is required)")
    @action(detail=True, methods=["post"])
    def abandon(self, request: Request, pk: str | None = None) -> Response:
        return self.run_action(
            request, input_class=ReasonInput, output=lambda r: self.get_serializer(self._full(r)).data,
            do=lambda r, data: shuttle_round_abandon(actor=self.actor, shuttle_round=r,
                                                     reason=data.get("reason", "")),
        )

    @extend_schema(tags=_ROUND_TAGS, request=VisitInput, responses={201: SessionOutput},
                   summary="Plan the next visit, or record one that took place (held: true)")
    @action(detail=True, methods=["post"])
    def visits(self, request: Request, pk: str | None = None) -> Response:
        def do(r: ShuttleRound, data: dict[str, Any]) -> MediationSession:
            held = data.pop("held", False)
            if held:
                return shuttle_visit_record(actor=self.actor, shuttle_round=r, **data)
            if data.pop("party_replied", False) or data.pop("summary", ""):
                raise exceptions.ValidationError({"held": [_("Only a visit that took place has a reply or summary.")]})
            return shuttle_visit_schedule(actor=self.actor, shuttle_round=r, **data)

        def out(s: MediationSession) -> Any:
            full = session_get_for_reader(actor=self.actor, session_id=s.pk)
            return SessionOutput(full, context={"actor": self.actor}).data

        return self.run_action(request, input_class=VisitInput, do=do, output=out,
                               status_code=status.HTTP_201_CREATED)


# --- action items -----------------------------------------------------------------------------------------


class ActionItemOutput(serializers.Serializer):
    id = serializers.IntegerField()
    dispute_id = serializers.IntegerField()
    session_id = serializers.IntegerField()
    description = serializers.CharField()
    owner_user_id = serializers.IntegerField(allow_null=True)
    owner_party_id = serializers.IntegerField(allow_null=True, help_text=_("A case party id."))
    due_on = serializers.DateField()
    done_at = serializers.DateTimeField(allow_null=True)
    is_overdue = serializers.BooleanField(help_text=_("Not done and due before today (UTC)."))
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ActionItemInput(InputSerializer):
    session = ScopedPrimaryKeyField(model=MediationSession, scope=_sessions)
    description = serializers.CharField(max_length=10000)
    due_on = serializers.DateField()
    owner_user = ScopedPrimaryKeyField(model=User, scope=org_users, required=False, allow_null=True)
    owner_party = _case_party_field(required=False, allow_null=True)


class ActionItemUpdateInput(InputSerializer):
    description = serializers.CharField(max_length=10000, required=False)
    due_on = serializers.DateField(required=False)
    owner_user = ScopedPrimaryKeyField(model=User, scope=org_users, required=False, allow_null=True)
    owner_party = _case_party_field(required=False, allow_null=True)


class CompleteInput(InputSerializer):
    done_at = AwareDateTimeField(required=False)


class ActionItemFilter(FilterSet):
    dispute = IdFilter(field_name="dispute_id")
    session = IdFilter(field_name="session_id")
    owner_user = IdFilter(field_name="owner_user_id")
    overdue = StrictBooleanFilter(method="filter_overdue", help_text=_("Not done and due before today (UTC)."))
    open = StrictBooleanFilter(method="filter_open", help_text=_("true: not done yet; false: done."))

    class Meta:
        model = ActionItem
        fields = ["dispute", "session", "owner_user", "overdue", "open", "updated_since"]

    def filter_overdue(self, qs: QuerySet, name: str, value: bool) -> QuerySet:
        return qs.filter(is_overdue=value)

    def filter_open(self, qs: QuerySet, name: str, value: bool) -> QuerySet:
        return qs.filter(done_at__isnull=value)


_ITEM_TAGS = ["action items"]


@extend_schema_view(
    list=extend_schema(tags=_ITEM_TAGS), retrieve=extend_schema(tags=_ITEM_TAGS),
    create=extend_schema(tags=_ITEM_TAGS, responses={201: ActionItemOutput}),
    update=extend_schema(tags=_ITEM_TAGS, request=ActionItemUpdateInput),
    partial_update=extend_schema(tags=_ITEM_TAGS, request=ActionItemUpdateInput),
)
class ActionItemViewSet(DomainViewSet):
    """Follow-ups from sessions, owned by a team member or a case party; ``overdue`` filter."""

    serializer_class = ActionItemOutput
    input_serializer_class = ActionItemInput
    filterset_class = ActionItemFilter
    list_fields = {n: n for n in ActionItemOutput().fields}

    def get_queryset(self) -> Any:
        return action_item_list(actor=self.actor).select_related(None).order_by()

    def get_input_serializer(self, *args: Any, **kwargs: Any) -> serializers.BaseSerializer:
        if self.action in ("update", "partial_update"):
            kwargs.setdefault("context", self.get_serializer_context())
            return ActionItemUpdateInput(*args, **kwargs)
        return super().get_input_serializer(*args, **kwargs)

    def _full(self, item: ActionItem) -> ActionItem:
        return refetch(action_item_list(actor=self.actor), item)

    def create_object(self, *, data: dict[str, Any]) -> ActionItem:
        return self._full(action_item_create(actor=self.actor, **data))

    def update_object(self, *, instance: ActionItem, data: dict[str, Any], partial: bool) -> ActionItem:
        return self._full(action_item_update(actor=self.actor, item=instance, **data))

    @extend_schema(tags=_ITEM_TAGS, request=CompleteInput, responses=ActionItemOutput, summary="Mark done")
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        return self.run_action(request, input_class=CompleteInput, output=lambda i: self.get_serializer(
            self._full(i)).data, do=lambda item, data: action_item_complete(actor=self.actor, item=item, **data))

    @extend_schema(tags=_ITEM_TAGS, request=None, responses=ActionItemOutput, summary="Mark not done again")
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        return self.run_action(request, input_class=None, output=lambda i: self.get_serializer(
            self._full(i)).data, do=lambda item, data: action_item_reopen(actor=self.actor, item=item))
