"""Reads of the mediation record, scoped to the caller through apps/disputes/selectors.py.

Who may read a note (DESIGN.md §3): whoever may read its dispute, except that a ``team``
note is read only by the dispute's case team (``dispute_ids_on_team``) — never by an
analyst, a partner, an API key, an admin or mediator off the team, or another organisation,
however it was shared. Every function here that hands out note text returns a queryset
marked ``for_reader(actor, via=...)`` (or a list built from one), so each team-only note
read is audited when the rows are fetched, whoever fetches them (web, API, export).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import (
    BooleanField,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.actors import Actor
from apps.common.errors import ApplicationError
from apps.disputes.models import CaseParty, Dispute, NegotiationIssue, StageChange
from apps.disputes.selectors import dispute_ids_on_team, dispute_ids_visible, disputes_visible
from apps.negotiations.models import LIVE_STATUSES, Proposal
from apps.parties.models import Party
from apps.sessions.models import (
    ActionItem,
    Disclosure,
    DisclosureConsent,
    MediationSession,
    SessionAgendaItem,
    SessionNote,
    SessionNoteParty,
    SessionNoteVersion,
    SessionParty,
    SessionRepresentative,
    SessionTeamMember,
    ShuttleRound,
    ShuttleRoundParty,
    Visibility,
)
from apps.sessions.reads import record_team_note_reads

TEAM = Visibility.TEAM


class CurrentDate(Func):
    """SQL CURRENT_DATE (the connection runs in UTC), so "overdue" is decided by the database."""

    template = "CURRENT_DATE"
    output_field = DateField()


def overdue_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}done_at__isnull": True, f"{prefix}due_on__lt": CurrentDate()})


# --- scoping, one function per model ----------------------------------------------------------------


def session_note_visible_q(actor: Actor, prefix: str = "") -> Q:
    """Notes the actor may read: the dispute is visible, and a team note only to the case team."""
    visible = Q(**{f"{prefix}dispute__in": dispute_ids_visible(actor=actor)})
    not_team = ~Q(**{f"{prefix}visibility": TEAM})
    if not actor.may_read_team_notes:
        return visible & not_team
    return visible & (not_team | Q(**{f"{prefix}dispute__in": dispute_ids_on_team(actor=actor)}))


def disclosure_visible_q(actor: Actor) -> Q:
    """Disclosures of team notes are team material too (they say a confidential note exists and went where)."""
    visible = Q(dispute__in=dispute_ids_visible(actor=actor))
    team_only = Q(note_visibility=TEAM) | Q(note__visibility=TEAM)
    if not actor.may_read_team_notes:
        return visible & ~team_only
    return visible & (~team_only | Q(dispute__in=dispute_ids_on_team(actor=actor)))


def sessions_visible(*, actor: Actor) -> QuerySet[MediationSession]:
    return MediationSession.objects.filter(dispute__in=dispute_ids_visible(actor=actor))


def session_notes_visible(*, actor: Actor) -> QuerySet[SessionNote]:
    """Unmarked: for counts and subqueries only. Anything that shows text uses ``session_notes``."""
    return SessionNote.objects.filter(session_note_visible_q(actor))


def _notes_for_reader(actor: Actor, via: str) -> QuerySet[SessionNote]:
    return (
        session_notes_visible(actor=actor)
        .for_reader(actor, via=via)
        .select_related("author", "source_party__party", "session")
        .prefetch_related(
            Prefetch("note_parties", queryset=SessionNoteParty.objects.select_related("case_party__party"),
                     to_attr="parties_loaded")
        )
    )


# --- sessions -------------------------------------------------------------------------------------


def _party_names() -> ArraySubquery:
    return ArraySubquery(
        SessionParty.objects.filter(session=OuterRef("pk")).order_by("id").values("case_party__party__name")
    )


def session_list(
    *,
    actor: Actor,
    dispute_id: int | None = None,
    status: str | None = None,
    kind: str | None = None,
    starts_after: dt.datetime | None = None,
    starts_before: dt.datetime | None = None,
) -> QuerySet[MediationSession]:
    """Sessions with their dispute and the names of their parties (one query)."""
    qs = sessions_visible(actor=actor).select_related("dispute", "shuttle_round").annotate(
        party_names=_party_names()
    )
    if dispute_id:
        qs = qs.filter(dispute_id=dispute_id)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if starts_after:
        qs = qs.filter(starts_at__gte=starts_after)
    if starts_before:
        qs = qs.filter(starts_at__lt=starts_before)
    return qs.order_by("-starts_at", "-id")


def session_get_for_reader(*, actor: Actor, session_id: int) -> MediationSession | None:
    """The session page: attendance, agenda, the notes the caller may read (team reads audited),
    action items (with ``is_overdue``) and the proposals tabled there, in a fixed number of queries.
    """
    qs = (
        sessions_visible(actor=actor)
        .filter(pk=session_id)
        .select_related("dispute", "shuttle_round", "created_by")
        .prefetch_related(
            Prefetch("session_parties", queryset=SessionParty.objects.select_related("case_party__party"),
                     to_attr="parties_loaded"),
            Prefetch("session_representatives",
                     queryset=SessionRepresentative.objects.select_related("representative", "case_party__party"),
                     to_attr="representatives_loaded"),
            Prefetch("session_team", queryset=SessionTeamMember.objects.select_related("user"),
                     to_attr="team_loaded"),
            Prefetch("agenda_items", queryset=SessionAgendaItem.objects.select_related("issue"),
                     to_attr="agenda_loaded"),
            Prefetch("notes", queryset=_notes_for_reader(actor, "session").order_by("created_at", "id"),
                     to_attr="notes_loaded"),
            Prefetch("action_items", queryset=_action_items(actor).order_by("due_on", "id"),
                     to_attr="action_items_loaded"),
            Prefetch("proposals", queryset=Proposal.objects.select_related("issue", "tabled_by__party")
                     .order_by("tabled_at", "id"), to_attr="proposals_loaded"),
        )
    )
    return qs.first()


# --- notes ----------------------------------------------------------------------------------------


def session_notes(
    *, actor: Actor, session_id: int | None = None, dispute_id: int | None = None, via: str = "list"
) -> QuerySet[SessionNote]:
    """Notes with their text, for a session or a dispute. Evaluating it audits the team notes read."""
    qs = _notes_for_reader(actor, via)
    if session_id:
        qs = qs.filter(session_id=session_id)
    if dispute_id:
        qs = qs.filter(dispute_id=dispute_id)
    return qs.order_by("created_at", "id")


def session_note_get(*, actor: Actor, note_id: int, via: str = "detail") -> SessionNote | None:
    """One note for reading or editing (None when out of reach: a 404). Audited if team-only."""
    return _notes_for_reader(actor, via).filter(pk=note_id).first()


def session_note_versions(*, actor: Actor, note_id: int) -> QuerySet[SessionNoteVersion]:
    """A note's history, oldest first. Reading the history of a team note is a read of it, and audited."""
    return (
        SessionNoteVersion.objects.filter(note__in=session_notes_visible(actor=actor).filter(pk=note_id).values("pk"))
        .for_reader(actor, via="versions")
        .annotate(note_visibility=F("note__visibility"), note_dispute_id=F("note__dispute_id"))
        .select_related("written_by")
        .order_by("version")
    )


def disclosure_consent_list(*, actor: Actor, note_id: int | None = None) -> QuerySet[DisclosureConsent]:
    """Consents concern team-only notes: the case team alone sees them."""
    qs = DisclosureConsent.objects.filter(dispute__in=dispute_ids_on_team(actor=actor)).select_related(
        "source_party__party", "given_by_representative", "recorded_by", "withdrawn_by"
    ).prefetch_related("consent_parties__case_party__party")
    return qs.filter(note_id=note_id) if note_id else qs


# --- the disclosure ledger ------------------------------------------------------------------------


def disclosure_list(
    *, actor: Actor, dispute_id: int | None = None, to_party_id: int | None = None, note_id: int | None = None,
    proposal_id: int | None = None,
) -> QuerySet[Disclosure]:
    """The ledger, without note text (``note`` is not loaded; use ``party_told`` for the text)."""
    qs = Disclosure.objects.filter(disclosure_visible_q(actor)).select_related(
        "to_party__party", "session", "proposal", "disclosed_by", "consent"
    )
    if dispute_id:
        qs = qs.filter(dispute_id=dispute_id)
    if to_party_id:
        qs = qs.filter(to_party_id=to_party_id)
    if note_id:
        qs = qs.filter(note_id=note_id)
    if proposal_id:
        qs = qs.filter(proposal_id=proposal_id)
    return qs.order_by("-disclosed_at", "-id")


def _case_party_visible(actor: Actor, case_party_id: int) -> CaseParty | None:
    return (
        CaseParty.objects.filter(pk=case_party_id, dispute__in=dispute_ids_visible(actor=actor))
        .select_related("party", "dispute")
        .first()
    )


def party_told(*, actor: Actor, case_party_id: int) -> list[Disclosure]:
    """"What have they been told": the disclosures to a party, oldest first, each with its note
    (text included, team reads audited) or its proposal. [] when the party is out of reach."""
    qs = (
        Disclosure.objects.filter(disclosure_visible_q(actor), to_party_id=case_party_id)
        .select_related("session", "proposal__issue", "disclosed_by", "consent")
        .prefetch_related(Prefetch("note", queryset=_notes_for_reader(actor, "told")))
        .order_by("disclosed_at", "id")
    )
    return list(qs)


@dataclass
class CarryList:
    """"What may I tell them": for one party, what the mediator may pass on and has not yet."""

    case_party: CaseParty
    notes: list[SessionNote] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)


def party_carry_list(*, actor: Actor, case_party_id: int) -> CarryList | None:
    """The carry list for the next visit to a party (None when the party is out of reach).

    Notes: shared ones, "parties" notes naming this party, and team-only notes under an
    unwithdrawn consent that covers this party (``consent_id`` on each: the consent to cite)
    — never the party's own words, what was said in a session it attended, or what it was
    already told. Proposals: live ones it did not table, was not present for, and was not told.
    Team notes appear only for the case team; their reading is audited.
    """
    case_party = _case_party_visible(actor, case_party_id)
    if case_party is None:
        return None
    attended = SessionParty.objects.filter(case_party_id=case_party_id).values("session_id")
    told_notes = Disclosure.objects.filter(to_party_id=case_party_id, note__isnull=False).values("note_id")
    consents = DisclosureConsent.objects.filter(note=OuterRef("pk"), withdrawn_at__isnull=True).filter(
        Q(consent_parties__isnull=True) | Q(consent_parties__case_party_id=case_party_id)
    ).order_by("given_at", "id")
    notes = (
        _notes_for_reader(actor, "carry_list")
        .filter(dispute_id=case_party.dispute_id)
        .exclude(source_party_id=case_party_id)
        .exclude(session_id__in=attended)
        .exclude(pk__in=told_notes)
        .annotate(consent_id=Subquery(consents.values("pk")[:1]))
        .filter(
            Q(visibility=Visibility.SHARED)
            | Q(visibility=Visibility.PARTIES, note_parties__case_party_id=case_party_id)
            | Q(visibility=TEAM, consent_id__isnull=False)
        )
        .order_by("created_at", "id")
    )
    told_proposals = Disclosure.objects.filter(to_party_id=case_party_id, proposal__isnull=False).values(
        "proposal_id"
    )
    proposals = (
        Proposal.objects.filter(dispute_id=case_party.dispute_id, dispute__in=dispute_ids_visible(actor=actor),
                                status__in=LIVE_STATUSES)
        .exclude(tabled_by_id=case_party_id)
        .exclude(tabled_in_id__in=attended)
        .exclude(pk__in=told_proposals)
        .select_related("issue", "tabled_by__party")
        .order_by("tabled_at", "id")
    )
    return CarryList(case_party=case_party, notes=list(notes), proposals=list(proposals))


@dataclass(frozen=True)
class Knower:
    """A party that knows a note: it said it (source), heard it (present), or was told (told)."""

    case_party: CaseParty
    how: str
    at: dt.datetime | None
    disclosure: Disclosure | None = None


def note_knowers(*, actor: Actor, note_id: int) -> list[Knower] | None:
    """"Who knows this": the note's source party, the parties present in its session, and every
    party it was disclosed to. None when the caller may not read the note (a 404). No text is
    read, so nothing is audited."""
    note = (
        session_notes_visible(actor=actor).filter(pk=note_id)
        .select_related("session", "source_party__party").only(
            "id", "dispute_id", "visibility", "created_at", "session__id", "session__starts_at",
            "source_party__id", "source_party__dispute_id", "source_party__party__id",
            "source_party__party__name",
        )
        .first()
    )
    if note is None:
        return None
    out: list[Knower] = []
    seen: set[int] = set()
    if note.source_party is not None:
        out.append(Knower(case_party=note.source_party, how="source", at=note.created_at))
        seen.add(note.source_party.pk)
    for sp in SessionParty.objects.filter(session_id=note.session.pk).select_related("case_party__party"):
        if sp.case_party_id not in seen:
            out.append(Knower(case_party=sp.case_party, how="present", at=note.session.starts_at))
            seen.add(sp.case_party_id)
    for d in Disclosure.objects.filter(note_id=note.pk).select_related(
        "to_party__party", "session", "disclosed_by", "consent"
    ).order_by("disclosed_at", "id"):
        out.append(Knower(case_party=d.to_party, how="told", at=d.disclosed_at, disclosure=d))
    return out


# --- shuttle rounds -------------------------------------------------------------------------------


def _last_tabled_at() -> Subquery:
    """When the party last tabled a proposal (on the round's issue, if it carries one) since the
    round opened: an answer, as much as a visit it answered."""
    return Subquery(
        Proposal.objects.filter(
            tabled_by_id=OuterRef("case_party_id"), tabled_at__gte=OuterRef("shuttle_round__opened_at"),
            issue_id=Coalesce(OuterRef("shuttle_round__subject_issue_id"), F("issue_id")),
        ).order_by("-tabled_at").values("tabled_at")[:1]
    )


def shuttle_round_list(
    *, actor: Actor, dispute_id: int | None = None, status: str | None = None
) -> QuerySet[ShuttleRound]:
    """Rounds with their parties and visits loaded (3 queries), ready for ``shuttle_round_state``."""
    visits = (
        MediationSession.objects.exclude(status=MediationSession.Status.CANCELLED)
        .annotate(visit_party_id=Subquery(SessionParty.objects.filter(session=OuterRef("pk"))
                                          .values("case_party_id")[:1]))
        .order_by("starts_at", "id")
    )
    qs = (
        ShuttleRound.objects.filter(dispute__in=dispute_ids_visible(actor=actor))
        .select_related("dispute", "subject_issue", "subject_proposal")
        .prefetch_related(
            Prefetch("round_parties", queryset=ShuttleRoundParty.objects.select_related("case_party__party")
                     .annotate(last_tabled_at=_last_tabled_at()), to_attr="parties_loaded"),
            Prefetch("visits", queryset=visits, to_attr="visits_loaded"),
        )
    )
    if dispute_id:
        qs = qs.filter(dispute_id=dispute_id)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-opened_at", "-id")


@dataclass(frozen=True)
class PartyTurn:
    case_party: CaseParty
    last_visit: MediationSession | None
    owes_reply: bool
    waiting_since: dt.datetime
    answered_at: dt.datetime | None = None
    awaiting_answer: bool = False
    news: int = 0
    why: str = ""  # "not_visited", "awaiting_answer", "news" (what makes it owe), "" when it does not


@dataclass(frozen=True)
class ShuttleState:
    whose_move: CaseParty | None
    waiting_since: dt.datetime | None
    next_visit: MediationSession | None
    parties: list[PartyTurn]
    why: str = ""


def shuttle_round_state(shuttle_round: ShuttleRound, *, news: dict[int, int] | None = None) -> ShuttleState:
    """Derived from the visits and the proposals, never stored: whose move it is and since when.

    A party answers by answering a visit (``party_replied_at``) or by tabling a proposal in the
    round (``last_tabled_at``, annotated by ``shuttle_round_list``). It owes the next step when it
    was never visited; when its last visit has no answer since it began; or when there is news to
    put to it: another party answered after its last contact, or (``news``: the board passes the
    size of each carry list) something may be told to it that it has not been told. Whose move:
    of those, the one contacted least recently; it has been waiting since its last contact. Needs
    the round from ``shuttle_round_list``; no queries.
    """
    news = news or {}
    parties = [rp.case_party for rp in shuttle_round.parties_loaded]
    tabled = {rp.case_party_id: getattr(rp, "last_tabled_at", None) for rp in shuttle_round.parties_loaded}
    visits = shuttle_round.visits_loaded
    held = [v for v in visits if v.status == MediationSession.Status.HELD]
    last: dict[int, MediationSession] = {}
    answered: dict[int, dt.datetime] = {pid: at for pid, at in tabled.items() if at is not None}
    for v in held:  # ordered by start, so the last one wins
        last[v.visit_party_id] = v
        if v.party_replied_at is not None:
            answered[v.visit_party_id] = max(answered.get(v.visit_party_id, v.party_replied_at), v.party_replied_at)
    turns: list[PartyTurn] = []
    for cp in parties:
        lv, ans, n = last.get(cp.pk), answered.get(cp.pk), news.get(cp.pk, 0)
        if lv is None:
            contact = ans or shuttle_round.opened_at
            awaiting = False
        else:
            contact = max(lv.ends_at, ans or lv.ends_at)
            awaiting = ans is None or ans < lv.starts_at
        others_since = any(at > contact for pid, at in answered.items() if pid != cp.pk)
        why = ("not_visited" if lv is None and ans is None else "awaiting_answer" if awaiting
               else "news" if (n or others_since) else "")
        turns.append(PartyTurn(cp, lv, bool(why), contact, ans, awaiting, n, why))
    open_round = shuttle_round.status == ShuttleRound.Status.OPEN
    owing = [t for t in turns if t.owes_reply] if open_round else []
    first = min(owing, key=lambda t: t.waiting_since) if owing else None  # min() keeps the first of equals
    planned = [v for v in visits if v.status == MediationSession.Status.PLANNED] if open_round else []
    return ShuttleState(
        whose_move=first.case_party if first else None,
        waiting_since=first.waiting_since if first else None,
        next_visit=planned[0] if planned else None,
        parties=turns,
        why=first.why if first else "",
    )


# --- action items ---------------------------------------------------------------------------------


def _action_items(actor: Actor) -> QuerySet[ActionItem]:
    return (
        ActionItem.objects.filter(dispute__in=dispute_ids_visible(actor=actor))
        .select_related("owner_user", "owner_party__party", "session")
        .annotate(is_overdue=ExpressionWrapper(overdue_q(), output_field=BooleanField()))
    )


def action_item_list(
    *,
    actor: Actor,
    dispute_id: int | None = None,
    session_id: int | None = None,
    owner_user_id: int | None = None,
    overdue: bool | None = None,
    open_only: bool = False,
) -> QuerySet[ActionItem]:
    """Action items with ``is_overdue`` computed by the database (not done, due date before today, UTC)."""
    qs = _action_items(actor)
    if dispute_id:
        qs = qs.filter(dispute_id=dispute_id)
    if session_id:
        qs = qs.filter(session_id=session_id)
    if owner_user_id:
        qs = qs.filter(owner_user_id=owner_user_id)
    if overdue is True:
        qs = qs.filter(overdue_q())
    elif overdue is False:
        qs = qs.exclude(overdue_q())
    if open_only:
        qs = qs.filter(done_at__isnull=True)
    return qs.order_by("due_on", "id")


# --- the timeline ---------------------------------------------------------------------------------

TIMELINE_KINDS = ("stage_change", "session", "note", "disclosure", "proposal", "action_item")
_KIND_CODE = {name: i for i, name in enumerate(TIMELINE_KINDS, start=1)}
DEFAULT_TIMELINE_PAGE = 50
MAX_TIMELINE_PAGE = 200


@dataclass(frozen=True)
class TimelineEntry:
    kind: str
    at: dt.datetime
    obj: Any


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    next_cursor: str | None


def _encode_cursor(at: dt.datetime, kind: int, pk: int) -> str:
    raw = f"{at.astimezone(dt.UTC).isoformat()}|{kind}|{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[dt.datetime, int, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, kind, pk = raw.split("|")
        when = dt.datetime.fromisoformat(at)
        if timezone.is_naive(when):
            raise ValueError(at)
        return when, int(kind), int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ApplicationError(_("This page link is not valid; start from the first page."), field="cursor") from exc


def _before(at_field: str, code: int, cursor: tuple[dt.datetime, int, int] | None) -> Q:
    """Rows strictly after the cursor in the order (at, kind, id) descending."""
    if cursor is None:
        return Q()
    at, kind, pk = cursor
    same_time = Q(**{at_field: at})
    if code < kind:
        tie = same_time
    elif code == kind:
        tie = same_time & Q(pk__lt=pk)
    else:
        tie = Q(pk__in=[])
    return Q(**{f"{at_field}__lt": at}) | tie


def _timeline_access(actor: Actor, dispute_id: int) -> bool | None:
    """None when the dispute is out of reach; otherwise whether the caller reads its team material."""
    on_team = Dispute.objects.filter(pk=OuterRef("pk"), pk__in=dispute_ids_on_team(actor=actor))
    return (
        disputes_visible(actor=actor).filter(pk=dispute_id).annotate(on_team=Exists(on_team))
        .values_list("on_team", flat=True).first()
    )


def _timeline_sources(dispute_id: int, on_team: bool) -> list[tuple[str, QuerySet, str]]:
    # Access was settled once for the whole dispute (``_timeline_access``): the branches only narrow to it.
    notes = SessionNote.objects.filter(dispute_id=dispute_id)
    disclosures = Disclosure.objects.filter(dispute_id=dispute_id)
    if not on_team:
        notes = notes.exclude(visibility=TEAM)
        disclosures = disclosures.exclude(note_visibility=TEAM).exclude(note__visibility=TEAM)
    return [
        ("stage_change", StageChange.objects.filter(dispute_id=dispute_id), "created_at"),
        ("session", MediationSession.objects.filter(dispute_id=dispute_id), "starts_at"),
        ("note", notes, "created_at"),
        ("disclosure", disclosures, "disclosed_at"),
        ("proposal", Proposal.objects.filter(dispute_id=dispute_id), "tabled_at"),
        ("action_item", ActionItem.objects.filter(dispute_id=dispute_id), "created_at"),
    ]


def dispute_timeline(
    *, actor: Actor, dispute_id: int, cursor: str | None = None, limit: int = DEFAULT_TIMELINE_PAGE
) -> TimelinePage:
    """The dispute's record, newest first: stage changes, sessions (at their start), notes the
    caller may read, disclosures, proposals and action items, one cursor-paginated list.

    One query settles access (is the dispute visible, is the caller on its team); one UNION ALL
    query finds the page's (time, kind, id) keys; one query per kind present on the page loads
    its rows; one INSERT audits the team notes shown. At most 9 queries, whatever the size of
    the dispute. Disclosure entries carry no note text (``note`` is not loaded). For the web page,
    which renders model objects; the API builds the same entries as JSON with ``dispute_timeline_json``.
    """
    if not 1 <= limit <= MAX_TIMELINE_PAGE:
        raise ApplicationError(_("Give a page size from 1 to %(max)d.") % {"max": MAX_TIMELINE_PAGE}, field="limit")
    position = _decode_cursor(cursor) if cursor else None
    on_team = _timeline_access(actor, dispute_id)
    if on_team is None:
        return TimelinePage(entries=[], next_cursor=None)
    branches = []
    for kind, qs, at_field in _timeline_sources(dispute_id, on_team):
        code = _KIND_CODE[kind]
        branches.append(
            qs.filter(_before(at_field, code, position))
            .order_by()
            .annotate(t_at=F(at_field), t_kind=Value(code, output_field=IntegerField()), t_id=F("pk"))
            .values_list("t_at", "t_kind", "t_id")
        )
    keys = list(
        branches[0].union(*branches[1:], all=True).order_by("-t_at", "-t_kind", "-t_id")[: limit + 1]
    )
    more = len(keys) > limit
    keys = keys[:limit]
    ids: dict[int, list[int]] = {}
    for _at, code, pk in keys:
        ids.setdefault(code, []).append(pk)
    loaded = _timeline_load(actor, ids, on_team)
    entries = [
        TimelineEntry(kind=TIMELINE_KINDS[code - 1], at=at, obj=loaded[code][pk])
        for at, code, pk in keys
        if pk in loaded.get(code, {})
    ]
    next_cursor = _encode_cursor(*keys[-1]) if more and keys else None
    return TimelinePage(entries=entries, next_cursor=next_cursor)


def _timeline_load(actor: Actor, ids: dict[int, list[int]], on_team: bool) -> dict[int, dict[int, Any]]:
    # Labels (author_label, by_label, disclosed_by_label) stand in for the users; long texts that a
    # timeline row never shows stay in the database.
    session_texts = ("summary", "outcomes", "status_reason")

    def notes(pks: list[int]) -> QuerySet:
        # Marked for the reader: fetching the page's notes audits the team notes among them.
        qs = SessionNote.objects.for_reader(actor, via="timeline").filter(pk__in=pks)
        if not on_team:
            qs = qs.exclude(visibility=TEAM)  # belt and braces: the keys query already left them out
        return qs.select_related("session", "source_party__party").defer(
            *(f"session__{f}" for f in session_texts)
        )

    loaders: dict[str, Any] = {
        "stage_change": lambda pks: StageChange.objects.filter(pk__in=pks),
        "session": lambda pks: MediationSession.objects.filter(pk__in=pks).annotate(party_names=_party_names()),
        "note": notes,
        "disclosure": lambda pks: Disclosure.objects.filter(pk__in=pks)
        .select_related("to_party__party", "session", "proposal")
        .defer("proposal__text", "proposal__concessions", *(f"session__{f}" for f in session_texts)),
        "proposal": lambda pks: Proposal.objects.filter(pk__in=pks)
        .select_related("issue", "tabled_by__party", "tabled_in")
        .defer(*(f"tabled_in__{f}" for f in session_texts)),
        "action_item": lambda pks: ActionItem.objects.filter(pk__in=pks)
        .select_related("owner_user", "owner_party__party", "session")
        .defer("owner_user__password", *(f"session__{f}" for f in session_texts))
        .annotate(is_overdue=ExpressionWrapper(overdue_q(), output_field=BooleanField())),
    }
    out: dict[int, dict[int, Any]] = {}
    for code, pks in ids.items():
        rows = loaders[TIMELINE_KINDS[code - 1]](pks)
        out[code] = {row.pk: row for row in rows}
    return out


def has_team_access(*, actor: Actor, dispute_id: int) -> bool:
    """Whether the caller reads the dispute's team-only material (e.g. to show the "team only" controls)."""
    return Dispute.objects.filter(pk=dispute_id, pk__in=dispute_ids_on_team(actor=actor)).exists()


# --- the timeline as JSON, in one query (the partner API) ------------------------------------------


@dataclass(frozen=True)
class TimelineJSONPage:
    """A timeline page whose entries are ``(kind, at, id, data)``, ``data`` being the entry's fields as a
    JSON object in text, ready to be embedded as it is (``orjson.Fragment``)."""

    entries: list[tuple[str, dt.datetime, int, str]]
    next_cursor: str | None


# ``to_char`` patterns giving what orjson (OPT_UTC_Z) writes for an aware UTC datetime: no fraction when
# the microseconds are 0, all six digits otherwise.
_ISO_SECONDS = "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'"
_ISO_MICROS = "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'"


def _sql_time(column: str) -> str:
    return (f"to_char({column} AT TIME ZONE 'UTC', CASE WHEN date_trunc('second', {column}) = {column} "
            f"THEN {_ISO_SECONDS} ELSE {_ISO_MICROS} END)")


def _sql_object(**fields: str) -> str:
    """json_build_object (not jsonb: it keeps the keys in the order given), as text."""
    return "json_build_object(" + ", ".join(f"'{key}', {value}" for key, value in fields.items()) + ")::text"


@functools.cache
def _timeline_json_sql(on_team: bool, with_cursor: bool) -> str:
    """The page query: each kind's newest keys after the cursor (index order, ``limit`` + 1 of each), the
    page's keys merged from them, then each key joined to its row and shaped as JSON. The fields are
    exactly those of the timeline's API entries; a disclosure never carries note text."""
    t = {m.__name__: m._meta.db_table for m in (StageChange, MediationSession, SessionNote, Disclosure, Proposal,
                                                 ActionItem, SessionParty, CaseParty, Party, NegotiationIssue)}
    team = Visibility.TEAM.value

    def keys(table: str, at: str, code: int, extra: str = "") -> str:
        after = (f" AND x.{at} <= %(c_at)s AND (x.{at}, {code}, x.id) < (%(c_at)s, %(c_kind)s, %(c_id)s)"
                 if with_cursor else "")
        return (f"(SELECT x.{at} AS at, {code} AS kind, x.id FROM {table} x WHERE x.dispute_id = %(dispute)s"  # noqa: S608
                f"{extra}{after} ORDER BY x.{at} DESC, x.id DESC LIMIT %(more)s)")

    note_keys = disclosure_keys = ""
    if not on_team:
        # As in ``_timeline_sources``: off the team, no team note and no disclosure of one (then or now).
        note_keys = f" AND x.visibility <> '{team}'"
        disclosure_keys = (f" AND x.note_visibility <> '{team}' AND NOT EXISTS (SELECT 1 FROM {t['SessionNote']} n"  # noqa: S608
                           f" WHERE n.id = x.note_id AND n.visibility = '{team}')")
    code = _KIND_CODE
    page = " UNION ALL ".join([
        keys(t["StageChange"], "created_at", code["stage_change"]),
        keys(t["MediationSession"], "starts_at", code["session"]),
        keys(t["SessionNote"], "created_at", code["note"], note_keys),
        keys(t["Disclosure"], "disclosed_at", code["disclosure"], disclosure_keys),
        keys(t["Proposal"], "tabled_at", code["proposal"]),
        keys(t["ActionItem"], "created_at", code["action_item"]),
    ])
    party_names = (
        f"COALESCE((SELECT json_agg(pa.name ORDER BY sp.id) FROM {t['SessionParty']} sp"  # noqa: S608
        f" JOIN {t['CaseParty']} cp ON cp.id = sp.case_party_id JOIN {t['Party']} pa ON pa.id = cp.party_id"
        f" WHERE sp.session_id = r.id), '[]'::json)"
    )
    # Belt and braces: off the team the keys hold no team note; its text would be withheld anyway.
    note_text = "r.text" if on_team else f"CASE WHEN r.visibility = '{team}' THEN NULL ELSE r.text END"
    shaped = [
        (t["StageChange"], code["stage_change"], "", _sql_object(
            from_stage="r.from_stage", to_stage="r.to_stage", reason="r.reason", by="r.by_label")),
        (t["MediationSession"], code["session"], "", _sql_object(
            title="r.title", kind="r.kind", status="r.status", ends_at=_sql_time("r.ends_at"), parties=party_names)),
        (t["SessionNote"], code["note"], "", _sql_object(
            session_id="r.session_id", visibility="r.visibility", author="r.author_label", text=note_text)),
        (t["Disclosure"], code["disclosure"],
         f" JOIN {t['CaseParty']} cp ON cp.id = r.to_party_id JOIN {t['Party']} pa ON pa.id = cp.party_id",
         _sql_object(note_id="r.note_id", proposal_id="r.proposal_id", to_party="pa.name",
                     session_id="r.session_id", by="r.disclosed_by_label")),
        (t["Proposal"], code["proposal"],
         f" JOIN {t['NegotiationIssue']} i ON i.id = r.issue_id LEFT JOIN {t['CaseParty']} cp"
         f" ON cp.id = r.tabled_by_id LEFT JOIN {t['Party']} pa ON pa.id = cp.party_id",
         _sql_object(issue_id="r.issue_id", issue="i.title", status="r.status", bridging="r.bridging",
                     tabled_by="pa.name", text="r.text")),
        (t["ActionItem"], code["action_item"], "", _sql_object(
            description="r.description", due_on="r.due_on", done_at=_sql_time("r.done_at"),
            is_overdue="(r.done_at IS NULL AND r.due_on < CURRENT_DATE)", session_id="r.session_id")),
    ]
    is_team_note = {code["note"]: f"r.visibility = '{team}'"}  # the last column: which rows to audit
    rows = " UNION ALL ".join(
        f"SELECT p.at, p.kind, p.id, {data}, {is_team_note.get(kind, 'false')}"  # noqa: S608
        f" FROM page p JOIN {table} r ON r.id = p.id{joins} WHERE p.kind = {kind}"
        for table, kind, joins, data in shaped
    )
    return (f"WITH page AS (SELECT * FROM ({page}) k ORDER BY k.at DESC, k.kind DESC, k.id DESC LIMIT %(more)s) "  # noqa: S608
            f"{rows} ORDER BY 1 DESC, 2 DESC, 3 DESC")


def dispute_timeline_json(
    *, actor: Actor, dispute_id: int, cursor: str | None = None, limit: int = DEFAULT_TIMELINE_PAGE
) -> TimelineJSONPage | None:
    """``dispute_timeline`` for the API: the same entries, order and cursor, each entry's fields shaped
    as JSON by PostgreSQL. None when the dispute is out of reach (checked before the page size and
    the cursor, so the answer is the same 404 whatever they are).

    Two queries: access (``_timeline_access``), then the page with its data. Team notes reach the case
    team alone (the page query leaves them and their disclosures out for anyone else), and those
    shown are audited as reads, as the marked note querysets do: one INSERT when the page holds any.
    """
    on_team = _timeline_access(actor, dispute_id)
    if on_team is None:
        return None
    if not 1 <= limit <= MAX_TIMELINE_PAGE:
        raise ApplicationError(_("Give a page size from 1 to %(max)d.") % {"max": MAX_TIMELINE_PAGE}, field="limit")
    params: dict[str, Any] = {"dispute": dispute_id, "more": limit + 1}
    if cursor:
        params["c_at"], params["c_kind"], params["c_id"] = _decode_cursor(cursor)
    with connection.cursor() as c:
        c.execute(_timeline_json_sql(bool(on_team), bool(cursor)), params)
        rows = c.fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    team_notes = [(pk, dispute_id, str(SessionNote(pk=pk))) for _at, _kind, pk, _data, team in rows if team]
    if team_notes:
        record_team_note_reads(actor=actor, reads=team_notes, via="timeline")
    kinds = TIMELINE_KINDS
    return TimelineJSONPage(
        entries=[(kinds[code - 1], at, pk, data) for at, code, pk, data, _team in rows],
        next_cursor=_encode_cursor(*rows[-1][:3]) if more and rows else None,
    )
