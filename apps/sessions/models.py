"""The mediation record: sessions, what was said in them, what was passed on, shuttle rounds, follow-ups.

Confidentiality lives here (DESIGN.md §2–§3). A note's visibility decides who may read it;
the disclosure ledger records what the mediator told whom, and with whose consent. Reads
of team-only notes are audited by the note querysets themselves (``for_reader``), so every
page, API view or export that shows note text gets the audit without asking for it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.query import ModelIterable
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import validate_time_zone
from apps.common.models import TimeStampedModel


class SessionKind(models.TextChoices):
    JOINT = "joint_session", _("Joint session")
    CAUCUS = "caucus", _("Caucus")
    SHUTTLE_VISIT = "shuttle_visit", _("Shuttle visit")
    BILATERAL = "bilateral_meeting", _("Bilateral meeting")
    MULTILATERAL = "multilateral_round", _("Multilateral round")
    TECHNICAL = "technical_working_group", _("Technical working group")
    CIVIL_SOCIETY = "civil_society_consultation", _("Civil-society consultation")


# Sessions in which one party speaks to the mediator alone: what is said there is team-only by default.
PRIVATE_KINDS = (SessionKind.CAUCUS, SessionKind.SHUTTLE_VISIT)


class Visibility(models.TextChoices):
    TEAM = "team", _("Case team only")
    SHARED = "shared", _("May be told to all parties")
    PARTIES = "parties", _("May be told to the named parties")


# Narrowest first: an edit may move a note left in this list, never right (see session_note_edit).
VISIBILITY_ORDER = [Visibility.TEAM, Visibility.PARTIES, Visibility.SHARED]


# --- Querysets that audit the reading of team-only notes --------------------------------------------


class TeamReadAuditedQuerySet(models.QuerySet):
    """A queryset marked ``for_reader(actor, via=...)`` records, when it is evaluated, one audit
    event per team-only note in the rows it fetched (one bulk INSERT per evaluation).

    The marker survives filter/order/slice/prefetch, so a paginator, a Prefetch or a template
    that evaluates the queryset triggers the audit exactly for the rows it read. ``values()``
    and ``values_list()`` that would carry the text are refused on a marked queryset, since
    dicts cannot be audited reliably; counts and existence checks read no text and record
    nothing.
    """

    text_fields: tuple[str, ...] = ("text",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reader: tuple[Any, str] | None = None

    def for_reader(self, actor: Any, *, via: str) -> TeamReadAuditedQuerySet:
        clone = self._chain()
        clone._reader = (actor, via)
        return clone

    def _clone(self) -> TeamReadAuditedQuerySet:
        clone = super()._clone()
        clone._reader = self._reader
        return clone

    def _fetch_all(self) -> None:
        fresh = self._result_cache is None
        if fresh and self._reader is not None and self._iterable_class is not ModelIterable:
            fields = getattr(self, "_fields", None) or ()
            if not fields or any(f in self.text_fields for f in fields):
                raise TypeError("Read note text through model instances, so that reading a team note is audited.")
        super()._fetch_all()
        if fresh and self._reader is not None and self._iterable_class is ModelIterable:
            reads = self._team_reads(self._result_cache)
            if reads:
                from apps.sessions.reads import record_team_note_reads

                actor, via = self._reader
                record_team_note_reads(actor=actor, reads=reads, via=via)

    def iterator(self, chunk_size: int | None = None):  # type: ignore[override]
        if self._reader is None:
            return super().iterator(chunk_size=chunk_size)
        # A marked queryset is a page or a session's notes, never a bulk export: evaluate and audit.
        self._fetch_all()
        return iter(self._result_cache)

    def aiterator(self, chunk_size: int = 2000):  # type: ignore[override]
        if self._reader is not None:
            raise TypeError("Use `async for` on a marked note queryset (not aiterator()), so that reads are audited.")
        return super().aiterator(chunk_size=chunk_size)

    def _team_reads(self, rows: list) -> list[tuple[int, int, str]]:
        """(note id, dispute id, label) for the team-only notes among the rows."""
        raise NotImplementedError


class SessionNoteQuerySet(TeamReadAuditedQuerySet):
    def _team_reads(self, rows: list) -> list[tuple[int, int, str]]:
        return [(n.pk, n.dispute_id, str(n)) for n in rows if n.visibility == Visibility.TEAM]


class SessionNoteVersionQuerySet(TeamReadAuditedQuerySet):
    def _team_reads(self, rows: list) -> list[tuple[int, int, str]]:
        # The selector annotates the note's current visibility and dispute on each version.
        out = []
        for v in rows:
            visibility = getattr(v, "note_visibility", None)
            if visibility is None:
                visibility = v.note.visibility
            if visibility == Visibility.TEAM:
                out.append((v.note_id, getattr(v, "note_dispute_id", None) or v.note.dispute_id, f"Note #{v.note_id}"))
        return out


# --- Shuttle rounds -----------------------------------------------------------------------------------


class ShuttleRound(TimeStampedModel):
    """A sequence of shuttle visits carrying a message or a proposal between parties who do not meet.

    Whose move it is and since when are derived from the visits (selectors.shuttle_round_state),
    never stored.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CONCLUDED = "concluded", _("Concluded")
        ABANDONED = "abandoned", _("Abandoned")

    dispute = models.ForeignKey(
        "disputes.Dispute", verbose_name=_("dispute"), on_delete=models.CASCADE, related_name="shuttle_rounds"
    )
    title = models.CharField(_("title"), max_length=300, blank=True)
    subject_issue = models.ForeignKey(
        "disputes.NegotiationIssue", verbose_name=_("subject: issue"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="shuttle_rounds",
    )
    subject_proposal = models.ForeignKey(
        "negotiations.Proposal", verbose_name=_("subject: proposal"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="shuttle_rounds",
    )
    parties = models.ManyToManyField(
        "disputes.CaseParty", verbose_name=_("parties"), through="ShuttleRoundParty", related_name="shuttle_rounds"
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.TextField(_("why it closed"), blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("opened by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("shuttle round")
        verbose_name_plural = _("shuttle rounds")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["open", "concluded", "abandoned"]),
                                   name="shuttleround_status_valid"),
            models.CheckConstraint(
                condition=Q(subject_issue__isnull=False, subject_proposal__isnull=True)
                | Q(subject_issue__isnull=True, subject_proposal__isnull=False),
                name="shuttleround_one_subject",
            ),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True) | (~Q(status="open") & Q(closed_at__isnull=False)),
                name="shuttleround_closed_at_iff_closed",
            ),
        ]
        indexes = [models.Index(fields=["dispute", "status"], name="shuttleround_dispute_status")]

    def __str__(self) -> str:
        return self.title or str(_("Shuttle round #%(id)s") % {"id": self.pk})


class ShuttleRoundParty(models.Model):
    shuttle_round = models.ForeignKey(ShuttleRound, on_delete=models.CASCADE, related_name="round_parties")
    case_party = models.ForeignKey("disputes.CaseParty", on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("shuttle round party")
        verbose_name_plural = _("shuttle round parties")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shuttle_round", "case_party"], name="shuttleroundparty_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.shuttle_round_id}: {self.case_party_id}"


# --- Sessions -----------------------------------------------------------------------------------------


class MediationSession(TimeStampedModel):
    """A meeting in a dispute. Named so it is never confused with Django's own session."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held")
        POSTPONED = "postponed", _("Postponed")
        CANCELLED = "cancelled", _("Cancelled")

    Kind = SessionKind

    dispute = models.ForeignKey(
        "disputes.Dispute", verbose_name=_("dispute"), on_delete=models.CASCADE, related_name="sessions"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=SessionKind.choices)
    title = models.CharField(_("title"), max_length=300)
    round_number = models.PositiveIntegerField(_("round"), null=True, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    time_zone = models.CharField(_("venue time zone"), max_length=64, validators=[validate_time_zone])
    venue = models.CharField(_("venue"), max_length=300, blank=True)
    virtual_link = models.URLField(_("virtual link"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PLANNED)
    status_reason = models.TextField(_("why postponed or cancelled"), blank=True)
    # Readable by everyone who reads the dispute; empty for caucuses and shuttle visits (see constraints).
    summary = models.TextField(_("summary"), blank=True)
    outcomes = models.TextField(_("outcomes"), blank=True)
    shuttle_round = models.ForeignKey(
        ShuttleRound, verbose_name=_("shuttle round"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="visits",
    )
    # Shuttle visits only: when the visited party gave its answer (null: it still owes one).
    party_replied_at = models.DateTimeField(_("party replied at"), null=True, blank=True)
    agenda = models.ManyToManyField(
        "disputes.NegotiationIssue", verbose_name=_("agenda"), through="SessionAgendaItem", related_name="sessions",
        blank=True,
    )
    parties = models.ManyToManyField(
        "disputes.CaseParty", verbose_name=_("parties"), through="SessionParty", related_name="sessions", blank=True
    )
    # Inclusion figures that mediation support units report; all optional.
    participant_count = models.PositiveIntegerField(_("participants"), null=True, blank=True)
    women_count = models.PositiveIntegerField(_("women participants"), null=True, blank=True)
    youth_count = models.PositiveIntegerField(_("youth participants"), null=True, blank=True)
    civil_society_count = models.PositiveIntegerField(_("civil-society participants"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="session_ends_after_start"),
            models.CheckConstraint(condition=Q(kind__in=SessionKind.values), name="session_kind_valid"),
            models.CheckConstraint(
                condition=Q(status__in=["planned", "held", "postponed", "cancelled"]), name="session_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind="shuttle_visit", shuttle_round__isnull=False)
                | (~Q(kind="shuttle_visit") & Q(shuttle_round__isnull=True)),
                name="session_shuttle_visit_in_round",
            ),
            models.CheckConstraint(
                condition=Q(party_replied_at__isnull=True) | Q(kind="shuttle_visit"),
                name="session_reply_only_on_shuttle_visit",
            ),
            # What a party says alone with the mediator lives in notes, whose visibility guards it.
            models.CheckConstraint(
                condition=~Q(kind__in=["caucus", "shuttle_visit"]) | Q(summary="", outcomes=""),
                name="session_private_has_no_summary",
                violation_error_message=_("A caucus or a shuttle visit keeps its record in notes."),
            ),
            *[
                models.CheckConstraint(
                    condition=Q(participant_count__isnull=True) | Q(**{f"{name}__isnull": True})
                    | Q(**{f"{name}__lte": models.F("participant_count")}),
                    name=f"session_{name}_within_total",
                )
                for name in ("women_count", "youth_count", "civil_society_count")
            ],
        ]
        indexes = [
            models.Index(fields=["dispute", "-starts_at"], name="session_dispute_starts"),
            models.Index(fields=["shuttle_round", "starts_at"], condition=Q(shuttle_round__isnull=False),
                         name="session_round_visits"),
            models.Index(fields=["starts_at"], condition=Q(status="planned"), name="session_planned_starts"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_private(self) -> bool:
        return self.kind in PRIVATE_KINDS


class SessionParty(models.Model):
    """A case party taking part in a session (planned), or that took part (held)."""

    session = models.ForeignKey(MediationSession, on_delete=models.CASCADE, related_name="session_parties")
    case_party = models.ForeignKey("disputes.CaseParty", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("session party")
        verbose_name_plural = _("session parties")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["session", "case_party"], name="sessionparty_unique")]

    def __str__(self) -> str:
        return f"{self.session_id}: {self.case_party_id}"


class SessionRepresentative(models.Model):
    """A representative present for one of the session's parties."""

    session = models.ForeignKey(MediationSession, on_delete=models.CASCADE, related_name="session_representatives")
    representative = models.ForeignKey("parties.Representative", on_delete=models.PROTECT, related_name="+")
    case_party = models.ForeignKey("disputes.CaseParty", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("session representative")
        verbose_name_plural = _("session representatives")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "representative"], name="sessionrep_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.session_id}: {self.representative_id}"


class SessionTeamMember(models.Model):
    """A member of the case team at the session."""

    session = models.ForeignKey(MediationSession, on_delete=models.CASCADE, related_name="session_team")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("session team member")
        verbose_name_plural = _("session team members")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["session", "user"], name="sessionteam_unique")]

    def __str__(self) -> str:
        return f"{self.session_id}: {self.user_id}"


class SessionAgendaItem(models.Model):
    session = models.ForeignKey(MediationSession, on_delete=models.CASCADE, related_name="agenda_items")
    issue = models.ForeignKey("disputes.NegotiationIssue", on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["session", "issue"], name="agendaitem_unique")]

    def __str__(self) -> str:
        return f"{self.session_id}: {self.issue_id}"


# --- Notes --------------------------------------------------------------------------------------------


class SessionNote(TimeStampedModel):
    """What was said or observed. ``dispute`` repeats the session's, for scoping and the timeline index."""

    Visibility = Visibility

    session = models.ForeignKey(MediationSession, verbose_name=_("session"), on_delete=models.CASCADE,
                                related_name="notes")
    dispute = models.ForeignKey("disputes.Dispute", verbose_name=_("dispute"), on_delete=models.CASCADE,
                                related_name="session_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    author_label = models.CharField(_("author"), max_length=200, blank=True)
    # The author's organisation when the note was written (a contributor organisation writes in the
    # owner's dispute): the page says whose organisation a note comes from.
    author_organisation_label = models.CharField(_("author's organisation"), max_length=200, blank=True)
    # Who wrote the latest version, with the organisation ("Name (Organisation)"); empty until edited.
    edited_by_label = models.CharField(_("last edited by"), max_length=400, blank=True)
    text = models.TextField(_("text"))
    visibility = models.CharField(_("visibility"), max_length=10, choices=Visibility.choices)
    # Whose words these are: the party whose consent a disclosure of a team-only note needs.
    source_party = models.ForeignKey(
        "disputes.CaseParty", verbose_name=_("source party"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    # For visibility "parties": the parties it may be told to.
    parties = models.ManyToManyField(
        "disputes.CaseParty", verbose_name=_("may be told to"), through="SessionNoteParty", related_name="+",
        blank=True,
    )
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = SessionNoteQuerySet.as_manager()

    class Meta:
        verbose_name = _("session note")
        verbose_name_plural = _("session notes")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(visibility__in=["team", "shared", "parties"]),
                                   name="sessionnote_visibility_valid"),
            models.CheckConstraint(condition=Q(version__gte=1), name="sessionnote_version_positive"),
        ]
        indexes = [
            models.Index(fields=["dispute", "-created_at"], name="sessionnote_dispute_created"),
            models.Index(fields=["session", "created_at"], name="sessionnote_session_created"),
        ]

    def __str__(self) -> str:
        # Never the text: this label lands in audit events, admin widgets and logs.
        return str(_("Note #%(id)s") % {"id": self.pk})


class SessionNoteParty(models.Model):
    note = models.ForeignKey(SessionNote, on_delete=models.CASCADE, related_name="note_parties")
    case_party = models.ForeignKey("disputes.CaseParty", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("note party")
        verbose_name_plural = _("note parties")
        constraints = [models.UniqueConstraint(fields=["note", "case_party"], name="noteparty_unique")]

    def __str__(self) -> str:
        return f"{self.note_id}: {self.case_party_id}"


class SessionNoteVersion(models.Model):
    """Every version of a note, the first included: text and visibility as they were, who wrote them, when."""

    note = models.ForeignKey(SessionNote, verbose_name=_("note"), on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("version"))
    text = models.TextField(_("text"))
    visibility = models.CharField(_("visibility"), max_length=10, choices=Visibility.choices)
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("written by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    written_by_label = models.CharField(_("written by"), max_length=200, blank=True)
    written_by_organisation = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("written by (organisation)"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    written_at = models.DateTimeField(_("written at"))

    objects = SessionNoteVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("note version")
        verbose_name_plural = _("note versions")
        ordering = ["note", "version"]
        constraints = [
            models.UniqueConstraint(fields=["note", "version"], name="noteversion_unique"),
            models.CheckConstraint(condition=Q(version__gte=1), name="noteversion_positive"),
        ]

    def __str__(self) -> str:
        return f"Note #{self.note_id} v{self.version}"


# --- The disclosure ledger ------------------------------------------------------------------------


class ConsentMethod(models.TextChoices):
    IN_SESSION = "in_session", _("Said in a session")
    WRITTEN = "written", _("In writing")
    EMAIL = "email", _("By e-mail")
    PHONE = "phone", _("By phone")
    MESSAGE = "message", _("By message")
    OTHER = "other", _("Other")


class DisclosureConsent(TimeStampedModel):
    """A party's permission to pass on one of its team-only notes: who gave it, when, how, to whom."""

    dispute = models.ForeignKey("disputes.Dispute", on_delete=models.CASCADE, related_name="+")
    note = models.ForeignKey(SessionNote, verbose_name=_("note"), on_delete=models.CASCADE, related_name="consents")
    source_party = models.ForeignKey("disputes.CaseParty", verbose_name=_("given by party"),
                                     on_delete=models.PROTECT, related_name="+")
    given_by_representative = models.ForeignKey(
        "parties.Representative", verbose_name=_("given by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    given_by_name = models.CharField(_("given by"), max_length=200, blank=True)
    given_at = models.DateTimeField(_("given at"))
    method = models.CharField(_("how"), max_length=20, choices=ConsentMethod.choices)
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    # Empty: any party of the dispute may be told.
    parties = models.ManyToManyField("disputes.CaseParty", verbose_name=_("may be told to"),
                                     through="DisclosureConsentParty", related_name="+", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("withdrawn by"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("disclosure consent")
        verbose_name_plural = _("disclosure consents")
        ordering = ["given_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(method__in=ConsentMethod.values), name="consent_method_valid"),
            models.CheckConstraint(
                condition=Q(given_by_representative__isnull=False) | ~Q(given_by_name=""),
                name="consent_says_who",
            ),
        ]
        indexes = [models.Index(fields=["note"], condition=Q(withdrawn_at__isnull=True), name="consent_active")]

    def __str__(self) -> str:
        return str(_("Consent #%(id)s for note #%(note)s") % {"id": self.pk, "note": self.note_id})


class DisclosureConsentParty(models.Model):
    consent = models.ForeignKey(DisclosureConsent, on_delete=models.CASCADE, related_name="consent_parties")
    case_party = models.ForeignKey("disputes.CaseParty", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("consent party")
        verbose_name_plural = _("consent parties")
        constraints = [models.UniqueConstraint(fields=["consent", "case_party"], name="consentparty_unique")]

    def __str__(self) -> str:
        return f"{self.consent_id}: {self.case_party_id}"


class Disclosure(models.Model):
    """The ledger: a note (or a proposal) passed to a party, when, by whom, in which session, on what consent."""

    dispute = models.ForeignKey("disputes.Dispute", verbose_name=_("dispute"), on_delete=models.CASCADE,
                                related_name="disclosures")
    note = models.ForeignKey(SessionNote, verbose_name=_("note"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="disclosures")
    proposal = models.ForeignKey("negotiations.Proposal", verbose_name=_("proposal"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="disclosures")
    # Repeats the note's visibility at the time it was passed on, so scoping needs no join.
    note_visibility = models.CharField(_("note visibility"), max_length=10, choices=Visibility.choices, blank=True)
    to_party = models.ForeignKey("disputes.CaseParty", verbose_name=_("told to"), on_delete=models.PROTECT,
                                 related_name="+")
    session = models.ForeignKey(MediationSession, verbose_name=_("in session"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="disclosures")
    consent = models.ForeignKey(DisclosureConsent, verbose_name=_("consent"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="disclosures")
    disclosed_at = models.DateTimeField(_("when"))
    disclosed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    disclosed_by_label = models.CharField(_("by"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("disclosure")
        verbose_name_plural = _("disclosures")
        ordering = ["disclosed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(note__isnull=False, proposal__isnull=True,
                            note_visibility__in=["team", "shared", "parties"])
                | Q(note__isnull=True, proposal__isnull=False, note_visibility=""),
                name="disclosure_note_or_proposal",
            ),
            # A team-only note is never passed on without the consent it rests on.
            models.CheckConstraint(condition=~Q(note_visibility="team") | Q(consent__isnull=False),
                                   name="disclosure_team_note_needs_consent"),
            models.UniqueConstraint(fields=["note", "to_party"], condition=Q(note__isnull=False),
                                    name="disclosure_note_once_per_party"),
            models.UniqueConstraint(fields=["proposal", "to_party"], condition=Q(proposal__isnull=False),
                                    name="disclosure_proposal_once_per_party"),
        ]
        indexes = [
            models.Index(fields=["dispute", "-disclosed_at"], name="disclosure_dispute_when"),
            models.Index(fields=["to_party", "-disclosed_at"], name="disclosure_party_when"),
        ]

    def __str__(self) -> str:
        what = f"note #{self.note_id}" if self.note_id else f"proposal #{self.proposal_id}"
        return f"{what} → {self.to_party_id}"


# --- Action items -----------------------------------------------------------------------------------


class ActionItem(TimeStampedModel):
    """A follow-up from a session, owned by a team member or by a case party."""

    dispute = models.ForeignKey("disputes.Dispute", verbose_name=_("dispute"), on_delete=models.CASCADE,
                                related_name="action_items")
    session = models.ForeignKey(MediationSession, verbose_name=_("session"), on_delete=models.CASCADE,
                                related_name="action_items")
    description = models.TextField(_("description"))
    owner_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner (team member)"), null=True,
                                   blank=True, on_delete=models.PROTECT, related_name="action_items")
    owner_party = models.ForeignKey("disputes.CaseParty", verbose_name=_("owner (party)"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="action_items")
    due_on = models.DateField(_("due date"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("marked done by"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner_user__isnull=False, owner_party__isnull=True)
                | Q(owner_user__isnull=True, owner_party__isnull=False),
                name="actionitem_one_owner",
            ),
        ]
        indexes = [
            models.Index(fields=["dispute", "-created_at"], name="actionitem_dispute_created"),
            # The overdue lists: open items by due date, per dispute and per owner.
            models.Index(fields=["dispute", "due_on"], condition=Q(done_at__isnull=True), name="actionitem_open_due"),
            models.Index(fields=["owner_user", "due_on"], condition=Q(done_at__isnull=True),
                         name="actionitem_owner_open_due"),
        ]

    def __str__(self) -> str:
        return self.description[:80]
