"""Writes to the mediation record: sessions, attendance, notes, consent, disclosures, shuttle rounds, action items.

Every function is atomic, takes the acting ``Actor`` first, checks that the actor may write
the dispute (``ensure_may_write``, apps/disputes/policies.py), checks the rules of DESIGN.md §2, writes one audit event
(never with note text in it) and moves reminders and webhook rows through ``notify`` in the
same transaction.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.actors import Actor
from apps.accounts.models import User
from apps.common.errors import ApplicationError, ConflictError
from apps.common.services import audit_record, full_clean_or_raise, model_update_or_raise
from apps.disputes.models import CaseParty, CaseTeamMember, Dispute, NegotiationIssue
from apps.disputes.policies import ensure_may_write
from apps.disputes.services import ensure_open
from apps.parties.models import Representative
from apps.sessions import notify
from apps.sessions.models import (
    PRIVATE_KINDS,
    VISIBILITY_ORDER,
    ActionItem,
    ConsentMethod,
    Disclosure,
    DisclosureConsent,
    DisclosureConsentParty,
    MediationSession,
    SessionAgendaItem,
    SessionKind,
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
from apps.sessions.policies import (
    actor_may_handle_team_notes,
    check_source_party,
    default_note_visibility,
    ensure_may_edit_note_text,
    ensure_may_handle_team_notes,
)

Status = MediationSession.Status
SESSION_FIELDS = [
    "title", "venue", "virtual_link", "round_number", "summary", "outcomes",
    "participant_count", "women_count", "youth_count", "civil_society_count",
]
_UNSET: Any = object()


# --- small checks shared by the services ------------------------------------------------------------


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def clean_time_zone(name: str | None, *, field: str = "time_zone") -> str:
    name = (name or "").strip()
    if name not in _zone_names():
        raise ApplicationError(
            _("“%(tz)s” is not a known time zone: use an IANA name such as Africa/Nairobi.") % {"tz": name},
            field=field,
        )
    return name


def clean_aware(value: Any, *, field: str) -> dt.datetime:
    """An aware datetime, in UTC. A naive one is refused: it would be read in the server's zone."""
    if not isinstance(value, dt.datetime):
        raise ApplicationError(_("Give a date and a time."), field=field)
    if timezone.is_naive(value):
        raise ApplicationError(
            _("Give the time with its time zone or UTC offset: a time without one is ambiguous."), field=field
        )
    return value.astimezone(dt.UTC)


def _clean_times(starts_at: Any, ends_at: Any) -> tuple[dt.datetime, dt.datetime]:
    starts_at = clean_aware(starts_at, field="starts_at")
    ends_at = clean_aware(ends_at, field="ends_at")
    if ends_at <= starts_at:
        raise ApplicationError(_("The session must end after it starts."), field="ends_at")
    return starts_at, ends_at


def _not_in_future(value: dt.datetime, *, field: str) -> dt.datetime:
    # A minute of grace for clocks that disagree between the browser and the server.
    if value > timezone.now() + dt.timedelta(minutes=1):
        raise ApplicationError(_("This cannot be in the future."), field=field)
    return value


def _case_parties(dispute: Dispute, parties: Iterable[CaseParty] | None, *, field: str = "parties") -> list[CaseParty]:
    out: list[CaseParty] = []
    for cp in parties or []:
        if not isinstance(cp, CaseParty) or cp.dispute_id != dispute.pk:
            raise ApplicationError(
                _("%(party)s is not a party to this dispute.") % {"party": cp}, field=field
            )
        if cp.pk not in {o.pk for o in out}:
            out.append(cp)
    return out


def _check_kind_rules(kind: str, parties: list[CaseParty], shuttle_round: ShuttleRound | None) -> None:
    n = len(parties)
    if kind == SessionKind.SHUTTLE_VISIT:
        if shuttle_round is None:
            raise ApplicationError(
                _("A shuttle visit belongs to a shuttle round: open the round first, then record the visit in it."),
                field="shuttle_round",
            )
        if n != 1:
            raise ApplicationError(_("A shuttle visit is a visit to exactly one party."), field="parties")
        if not ShuttleRoundParty.objects.filter(shuttle_round=shuttle_round, case_party=parties[0]).exists():
            raise ApplicationError(
                _("%(party)s is not in this shuttle round.") % {"party": parties[0]}, field="parties"
            )
    elif shuttle_round is not None:
        raise ApplicationError(_("Only shuttle visits belong to a shuttle round."), field="shuttle_round")
    if kind == SessionKind.CAUCUS and n != 1:
        raise ApplicationError(
            _("A caucus is a private session with exactly one party; it has %(n)s.") % {"n": n}, field="parties"
        )
    if kind == SessionKind.JOINT and n < 2:
        raise ApplicationError(_("A joint session brings at least two parties together."), field="parties")
    if kind == SessionKind.BILATERAL and n != 2:
        raise ApplicationError(
            _("A bilateral meeting has exactly two parties; it has %(n)s.") % {"n": n}, field="parties"
        )


def _representatives(
    dispute: Dispute, parties: list[CaseParty], representatives: Iterable[Representative] | None
) -> list[tuple[Representative, CaseParty]]:
    reps = list(dict.fromkeys(representatives or []))
    if not reps:
        return []
    in_dispute = {cp.party_id: cp for cp in CaseParty.objects.filter(dispute=dispute)}
    attending = {cp.party_id for cp in parties}
    out = []
    for rep in reps:
        if rep.party_id not in in_dispute:
            raise ApplicationError(
                _("%(name)s represents a party that is not in this dispute.") % {"name": rep.name},
                field="representatives",
            )
        if rep.party_id not in attending:
            raise ApplicationError(
                _("%(name)s represents a party that is not taking part in this session: add the party first.")
                % {"name": rep.name},
                field="representatives",
            )
        out.append((rep, in_dispute[rep.party_id]))
    return out


def _team_users(dispute: Dispute, users: Iterable[User] | None) -> list[User]:
    users = list(dict.fromkeys(users or []))
    if not users:
        return []
    on_team = set(
        CaseTeamMember.objects.filter(dispute=dispute, active=True, user__in=users).values_list("user_id", flat=True)
    )
    for user in users:
        if user.pk not in on_team:
            raise ApplicationError(
                _("%(user)s is not on the case team of this dispute.") % {"user": user}, field="team_members"
            )
    return users


def _issues(dispute: Dispute, issues: Iterable[NegotiationIssue] | None) -> list[NegotiationIssue]:
    out = list(dict.fromkeys(issues or []))
    for issue in out:
        if issue.dispute_id != dispute.pk:
            raise ApplicationError(
                _("The issue “%(issue)s” belongs to another dispute.") % {"issue": issue.title}, field="agenda"
            )
    return out


def _write_attendance(
    session: MediationSession,
    parties: list[CaseParty],
    reps: list[tuple[Representative, CaseParty]],
    team: list[User],
) -> None:
    SessionParty.objects.bulk_create([SessionParty(session=session, case_party=cp) for cp in parties])
    SessionRepresentative.objects.bulk_create(
        [SessionRepresentative(session=session, representative=r, case_party=cp) for r, cp in reps]
    )
    SessionTeamMember.objects.bulk_create([SessionTeamMember(session=session, user=u) for u in team])


def _ensure_no_private_summary(kind: str, summary: str | None, outcomes: str | None) -> None:
    """A caucus or a shuttle visit keeps its record in notes, which say who may know them. A summary
    field would be read by everyone who reads the dispute (analysts, partners), so it stays empty."""
    if kind in PRIVATE_KINDS and ((summary or "").strip() or (outcomes or "").strip()):
        raise ApplicationError(
            _("A caucus or a shuttle visit has no summary or outcomes: write them as notes, which are team-only "
              "unless you say otherwise."),
            field="summary" if (summary or "").strip() else "outcomes",
        )


def _lock(session: MediationSession) -> MediationSession:
    return MediationSession.objects.select_for_update().select_related("dispute").get(pk=session.pk)


# --- sessions -----------------------------------------------------------------------------------------


def _session_create(
    *,
    actor: Actor,
    dispute: Dispute,
    kind: str,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    time_zone: str,
    status: str,
    parties: Sequence[CaseParty] | None,
    representatives: Sequence[Representative] | None,
    team_members: Sequence[User] | None,
    agenda: Sequence[NegotiationIssue] | None,
    venue: str,
    virtual_link: str,
    round_number: int | None,
    shuttle_round: ShuttleRound | None,
    summary: str = "",
    outcomes: str = "",
    party_replied: bool = False,
) -> MediationSession:
    ensure_may_write(actor=actor, dispute=dispute)
    ensure_open(dispute)
    if kind not in SessionKind.values:
        raise ApplicationError(_("Unknown kind of session."), field="kind")
    starts_at, ends_at = _clean_times(starts_at, ends_at)
    time_zone = clean_time_zone(time_zone)
    if shuttle_round is not None:
        # Locked, so a visit is never added to a round that is being closed at the same moment.
        shuttle_round = ShuttleRound.objects.select_for_update().get(pk=shuttle_round.pk)
    if shuttle_round is not None and shuttle_round.dispute_id != dispute.pk:
        raise ApplicationError(_("The shuttle round belongs to another dispute."), field="shuttle_round")
    if shuttle_round is not None and shuttle_round.status != ShuttleRound.Status.OPEN:
        raise ApplicationError(
            _("The shuttle round is %(status)s: no more visits can be added to it.")
            % {"status": shuttle_round.get_status_display().lower()},
            field="shuttle_round",
        )
    parties = _case_parties(dispute, parties)
    _check_kind_rules(kind, parties, shuttle_round)
    reps = _representatives(dispute, parties, representatives)
    team = _team_users(dispute, team_members)
    issues = _issues(dispute, agenda)
    title = " ".join((title or "").split())
    if not title and kind == SessionKind.SHUTTLE_VISIT:
        title = _("Shuttle visit: %(party)s") % {"party": parties[0].party.name}
    if not title:
        raise ApplicationError(_("A session needs a title."), field="title")
    if status == Status.HELD and starts_at > timezone.now():
        raise ApplicationError(_("A session can be recorded as held only once it has started."), field="status")
    _ensure_no_private_summary(kind, summary, outcomes)
    session = MediationSession(
        dispute=dispute, kind=kind, title=title[:300], starts_at=starts_at, ends_at=ends_at, time_zone=time_zone,
        status=status, venue=(venue or "").strip(), virtual_link=(virtual_link or "").strip(),
        round_number=round_number, shuttle_round=shuttle_round, summary=summary or "", outcomes=outcomes or "",
        created_by=actor.user,
        party_replied_at=min(ends_at, timezone.now()) if (party_replied and status == Status.HELD) else None,
    )
    full_clean_or_raise(session)
    session.save()
    _write_attendance(session, parties, reps, team)
    SessionAgendaItem.objects.bulk_create(
        [SessionAgendaItem(session=session, issue=issue, order=i) for i, issue in enumerate(issues, start=1)]
    )
    audit_record(
        actor=actor, action="sessions.session.held_recorded" if status == Status.HELD else "sessions.session.scheduled",
        target=session, organisation=dispute.organisation,
        after={"kind": kind, "starts_at": starts_at, "ends_at": ends_at, "time_zone": time_zone,
               "parties": [cp.pk for cp in parties], "shuttle_round": shuttle_round.pk if shuttle_round else None},
    )
    if status == Status.HELD:
        notify.session_held(session=session)
    else:
        notify.session_scheduled(session=session)
    return session


@transaction.atomic
def session_schedule(
    *,
    actor: Actor,
    dispute: Dispute,
    kind: str,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    time_zone: str,
    parties: Sequence[CaseParty] | None = None,
    representatives: Sequence[Representative] | None = None,
    team_members: Sequence[User] | None = None,
    agenda: Sequence[NegotiationIssue] | None = None,
    venue: str = "",
    virtual_link: str = "",
    round_number: int | None = None,
    shuttle_round: ShuttleRound | None = None,
) -> MediationSession:
    """Plan a session. Times are aware datetimes (stored in UTC); ``time_zone`` is the venue's IANA zone."""
    return _session_create(
        actor=actor, dispute=dispute, kind=kind, title=title, starts_at=starts_at, ends_at=ends_at,
        time_zone=time_zone, status=Status.PLANNED, parties=parties, representatives=representatives,
        team_members=team_members, agenda=agenda, venue=venue, virtual_link=virtual_link,
        round_number=round_number, shuttle_round=shuttle_round,
    )


@transaction.atomic
def session_record_held(
    *,
    actor: Actor,
    dispute: Dispute,
    kind: str,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    time_zone: str,
    parties: Sequence[CaseParty] | None = None,
    representatives: Sequence[Representative] | None = None,
    team_members: Sequence[User] | None = None,
    agenda: Sequence[NegotiationIssue] | None = None,
    venue: str = "",
    virtual_link: str = "",
    round_number: int | None = None,
    shuttle_round: ShuttleRound | None = None,
    summary: str = "",
    outcomes: str = "",
    party_replied: bool = False,
) -> MediationSession:
    """Log a session that already took place (fast session logging): created as held."""
    return _session_create(
        actor=actor, dispute=dispute, kind=kind, title=title, starts_at=starts_at, ends_at=ends_at,
        time_zone=time_zone, status=Status.HELD, parties=parties, representatives=representatives,
        team_members=team_members, agenda=agenda, venue=venue, virtual_link=virtual_link,
        round_number=round_number, shuttle_round=shuttle_round, summary=summary, outcomes=outcomes,
        party_replied=party_replied,
    )


@transaction.atomic
def session_update(*, actor: Actor, session: MediationSession, data: dict[str, Any]) -> MediationSession:
    """Title, venue, link, round, summary, outcomes and inclusion figures. Times and status have their own services."""
    ensure_may_write(actor=actor, dispute=session.dispute)
    ensure_open(session.dispute)
    unknown = set(data) - set(SESSION_FIELDS)
    if unknown:
        raise ApplicationError(_("These fields cannot be changed here: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    data = dict(data)
    if "title" in data:
        data["title"] = " ".join((data["title"] or "").split())
        if not data["title"]:
            raise ApplicationError(_("A session needs a title."), field="title")
    session = _lock(session)
    _ensure_no_private_summary(session.kind, data.get("summary"), data.get("outcomes"))
    session, before, after = model_update_or_raise(instance=session, fields=SESSION_FIELDS, data=data)
    if before:
        # Summaries and outcomes may quote what was said: the audit says which fields changed, not to what.
        text_fields = {"summary", "outcomes"}
        audit_record(actor=actor, action="sessions.session.updated", target=session,
                     organisation=session.dispute.organisation,
                     before={k: v for k, v in before.items() if k not in text_fields},
                     after={**{k: v for k, v in after.items() if k not in text_fields},
                            "changed": sorted(after)})
    return session


@transaction.atomic
def session_set_attendance(
    *,
    actor: Actor,
    session: MediationSession,
    parties: Sequence[CaseParty],
    representatives: Sequence[Representative] | None = None,
    team_members: Sequence[User] | None = None,
) -> MediationSession:
    """Replace who takes (or took) part; the kind's rules (a caucus has one party, ...) are checked again."""
    ensure_may_write(actor=actor, dispute=session.dispute)
    ensure_open(session.dispute)
    session = _lock(session)
    if session.status == Status.CANCELLED:
        raise ApplicationError(_("The session was cancelled."), field="parties")
    dispute = session.dispute
    parties = _case_parties(dispute, parties)
    _check_kind_rules(session.kind, parties, session.shuttle_round)
    reps = _representatives(dispute, parties, representatives)
    team = _team_users(dispute, team_members)
    before = {
        "parties": sorted(session.session_parties.values_list("case_party_id", flat=True)),
        "representatives": sorted(session.session_representatives.values_list("representative_id", flat=True)),
        "team": sorted(session.session_team.values_list("user_id", flat=True)),
    }
    session.session_parties.all().delete()
    session.session_representatives.all().delete()
    session.session_team.all().delete()
    _write_attendance(session, parties, reps, team)
    audit_record(actor=actor, action="sessions.session.attendance_set", target=session,
                 organisation=dispute.organisation, before=before,
                 after={"parties": sorted(cp.pk for cp in parties), "representatives": sorted(r.pk for r, _ in reps),
                        "team": sorted(u.pk for u in team)})
    if session.status == Status.PLANNED:
        notify.session_rescheduled(session=session)  # the recipients may have changed
    return session


@transaction.atomic
def session_set_agenda(
    *, actor: Actor, session: MediationSession, issues: Sequence[NegotiationIssue]
) -> MediationSession:
    ensure_may_write(actor=actor, dispute=session.dispute)
    ensure_open(session.dispute)
    session = _lock(session)
    issues = _issues(session.dispute, issues)
    before = list(session.agenda_items.values_list("issue_id", flat=True))
    session.agenda_items.all().delete()
    SessionAgendaItem.objects.bulk_create(
        [SessionAgendaItem(session=session, issue=issue, order=i) for i, issue in enumerate(issues, start=1)]
    )
    audit_record(actor=actor, action="sessions.session.agenda_set", target=session,
                 organisation=session.dispute.organisation, before={"agenda": before},
                 after={"agenda": [i.pk for i in issues]})
    return session


@transaction.atomic
def session_reschedule(
    *,
    actor: Actor,
    session: MediationSession,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    time_zone: str | None = None,
) -> MediationSession:
    """Move a planned (or postponed) session; a postponed one becomes planned again.

    Held sessions keep their times, cancelled ones stay cancelled.
    """
    ensure_may_write(actor=actor, dispute=session.dispute)
    ensure_open(session.dispute)
    session = _lock(session)
    if session.status not in (Status.PLANNED, Status.POSTPONED):
        raise ApplicationError(
            _("Only a planned session can be moved; this one is %(status)s.")
            % {"status": session.get_status_display().lower()},
            field="starts_at",
        )
    starts_at, ends_at = _clean_times(starts_at, ends_at)
    new_zone = clean_time_zone(time_zone) if time_zone is not None else session.time_zone
    before = {"starts_at": session.starts_at, "ends_at": session.ends_at, "time_zone": session.time_zone,
              "status": session.status}
    session.starts_at, session.ends_at, session.time_zone = starts_at, ends_at, new_zone
    session.status = Status.PLANNED
    session.status_reason = ""
    full_clean_or_raise(session)
    session.save(update_fields=["starts_at", "ends_at", "time_zone", "status", "status_reason", "updated_at"])
    audit_record(actor=actor, action="sessions.session.rescheduled", target=session,
                 organisation=session.dispute.organisation, before=before,
                 after={"starts_at": starts_at, "ends_at": ends_at, "time_zone": new_zone, "status": session.status})
    notify.session_rescheduled(session=session)
    return session


def _set_off(actor: Actor, session: MediationSession, status: str, reason: str, action: str) -> MediationSession:
    # Postponing and cancelling stay possible on a suspended or closed dispute: that is when they happen.
    ensure_may_write(actor=actor, dispute=session.dispute)
    session = _lock(session)
    allowed = (Status.PLANNED,) if status == Status.POSTPONED else (Status.PLANNED, Status.POSTPONED)
    if session.status not in allowed:
        raise ApplicationError(
            _("Only a planned session can be postponed or cancelled; this one is %(status)s.")
            % {"status": session.get_status_display().lower()},
            field="status",
        )
    before = {"status": session.status}
    session.status = status
    session.status_reason = (reason or "").strip()
    session.save(update_fields=["status", "status_reason", "updated_at"])
    audit_record(actor=actor, action=action, target=session, organisation=session.dispute.organisation,
                 before=before, after={"status": status, "reason": session.status_reason})
    if status == Status.CANCELLED:
        notify.session_cancelled(session=session)
    else:
        notify.session_postponed(session=session)
    return session


@transaction.atomic
def session_postpone(*, actor: Actor, session: MediationSession, reason: str = "") -> MediationSession:
    """Planned → postponed, with no new date yet (reschedule it when there is one)."""
    return _set_off(actor, session, Status.POSTPONED, reason, "sessions.session.postponed")


@transaction.atomic
def session_cancel(*, actor: Actor, session: MediationSession, reason: str = "") -> MediationSession:
    return _set_off(actor, session, Status.CANCELLED, reason, "sessions.session.cancelled")


@transaction.atomic
def session_mark_held(
    *,
    actor: Actor,
    session: MediationSession,
    summary: str | None = None,
    outcomes: str | None = None,
    party_replied: bool | None = None,
) -> MediationSession:
    """A planned session took place. Only once it has started; its times are kept as they are.

    For a shuttle visit, ``party_replied`` says whether the party gave its answer there
    (otherwise it still owes one, and a follow-up reminder is set).
    """
    ensure_may_write(actor=actor, dispute=session.dispute)
    ensure_open(session.dispute)
    session = _lock(session)
    if session.status != Status.PLANNED:
        raise ApplicationError(
            _("Only a planned session can be marked as held; this one is %(status)s.")
            % {"status": session.get_status_display().lower()},
            field="status",
        )
    now = timezone.now()
    if session.starts_at > now:
        raise ApplicationError(_("A session can be marked as held only once it has started."), field="status")
    _ensure_no_private_summary(session.kind, summary, outcomes)
    if party_replied is not None and session.kind != SessionKind.SHUTTLE_VISIT:
        raise ApplicationError(_("Only a shuttle visit records whether the party replied."), field="party_replied")
    session.status = Status.HELD
    fields = ["status", "updated_at"]
    if summary is not None:
        session.summary = summary
        fields.append("summary")
    if outcomes is not None:
        session.outcomes = outcomes
        fields.append("outcomes")
    if party_replied:
        session.party_replied_at = min(session.ends_at, now)
        fields.append("party_replied_at")
    session.save(update_fields=fields)
    audit_record(actor=actor, action="sessions.session.held", target=session,
                 organisation=session.dispute.organisation, before={"status": Status.PLANNED},
                 after={"status": Status.HELD, "party_replied": bool(party_replied)})
    notify.session_held(session=session)
    return session


# --- shuttle rounds -----------------------------------------------------------------------------------


@transaction.atomic
def shuttle_round_open(
    *,
    actor: Actor,
    dispute: Dispute,
    parties: Sequence[CaseParty],
    subject_issue: NegotiationIssue | None = None,
    subject_proposal: Any = None,
    title: str = "",
    opened_at: dt.datetime | None = None,
) -> ShuttleRound:
    """Open a round carrying one issue or one proposal between two or more parties who do not meet."""
    ensure_may_write(actor=actor, dispute=dispute)
    ensure_open(dispute)
    if (subject_issue is None) == (subject_proposal is None):
        raise ApplicationError(_("A shuttle round carries either an issue or a proposal."), field="subject")
    if subject_issue is not None and subject_issue.dispute_id != dispute.pk:
        raise ApplicationError(_("The issue belongs to another dispute."), field="subject_issue")
    if subject_proposal is not None and subject_proposal.dispute_id != dispute.pk:
        raise ApplicationError(_("The proposal belongs to another dispute."), field="subject_proposal")
    parties = _case_parties(dispute, parties)
    if len(parties) < 2:
        raise ApplicationError(_("A shuttle round goes between at least two parties."), field="parties")
    opened_at = _not_in_future(clean_aware(opened_at, field="opened_at"), field="opened_at") if opened_at \
        else timezone.now()
    shuttle_round = ShuttleRound(
        dispute=dispute, title=" ".join((title or "").split())[:300], subject_issue=subject_issue,
        subject_proposal=subject_proposal, opened_at=opened_at, opened_by=actor.user,
    )
    full_clean_or_raise(shuttle_round)
    shuttle_round.save()
    ShuttleRoundParty.objects.bulk_create(
        [ShuttleRoundParty(shuttle_round=shuttle_round, case_party=cp, order=i) for i, cp in enumerate(parties)]
    )
    audit_record(actor=actor, action="sessions.shuttle_round.opened", target=shuttle_round,
                 organisation=dispute.organisation,
                 after={"parties": [cp.pk for cp in parties], "subject_issue": getattr(subject_issue, "pk", None),
                        "subject_proposal": getattr(subject_proposal, "pk", None)})
    return shuttle_round


@transaction.atomic
def shuttle_visit_schedule(
    *,
    actor: Actor,
    shuttle_round: ShuttleRound,
    case_party: CaseParty,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    time_zone: str,
    title: str = "",
    venue: str = "",
    virtual_link: str = "",
    representatives: Sequence[Representative] | None = None,
    team_members: Sequence[User] | None = None,
) -> MediationSession:
    """Plan the next visit of a round."""
    return _session_create(
        actor=actor, dispute=shuttle_round.dispute, kind=SessionKind.SHUTTLE_VISIT, title=title,
        starts_at=starts_at, ends_at=ends_at, time_zone=time_zone, status=Status.PLANNED, parties=[case_party],
        representatives=representatives, team_members=team_members, agenda=_round_agenda(shuttle_round),
        venue=venue, virtual_link=virtual_link, round_number=None, shuttle_round=shuttle_round,
    )


@transaction.atomic
def shuttle_visit_record(
    *,
    actor: Actor,
    shuttle_round: ShuttleRound,
    case_party: CaseParty,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    time_zone: str,
    party_replied: bool,
    title: str = "",
    venue: str = "",
    representatives: Sequence[Representative] | None = None,
    team_members: Sequence[User] | None = None,
) -> MediationSession:
    """Record a visit that took place; ``party_replied`` False means the party still owes its answer.
    What was said goes into notes (team-only by default), not into the session."""
    return _session_create(
        actor=actor, dispute=shuttle_round.dispute, kind=SessionKind.SHUTTLE_VISIT, title=title,
        starts_at=starts_at, ends_at=ends_at, time_zone=time_zone, status=Status.HELD, parties=[case_party],
        representatives=representatives, team_members=team_members, agenda=_round_agenda(shuttle_round),
        venue=venue, virtual_link="", round_number=None, shuttle_round=shuttle_round,
        party_replied=party_replied,
    )


def _round_agenda(shuttle_round: ShuttleRound) -> list[NegotiationIssue]:
    if shuttle_round.subject_issue_id:
        return [shuttle_round.subject_issue]
    return [shuttle_round.subject_proposal.issue]


@transaction.atomic
def shuttle_reply_record(
    *, actor: Actor, visit: MediationSession, replied_at: dt.datetime | None = None
) -> MediationSession:
    """The visited party gave its answer after the visit (by phone, by letter, through an envoy)."""
    ensure_may_write(actor=actor, dispute=visit.dispute)
    ensure_open(visit.dispute)
    visit = _lock(visit)
    if visit.kind != SessionKind.SHUTTLE_VISIT or visit.status != Status.HELD:
        raise ApplicationError(_("A reply is recorded on a shuttle visit that took place."), field="visit")
    if visit.party_replied_at is not None:
        raise ApplicationError(_("The party's reply to this visit is already recorded."), field="replied_at")
    if visit.shuttle_round.status != ShuttleRound.Status.OPEN:
        raise ApplicationError(_("The shuttle round is closed."), field="visit")
    replied_at = _not_in_future(clean_aware(replied_at, field="replied_at"), field="replied_at") if replied_at \
        else timezone.now()
    if replied_at < visit.starts_at:
        raise ApplicationError(_("A reply cannot come before the visit."), field="replied_at")
    visit.party_replied_at = replied_at
    visit.save(update_fields=["party_replied_at", "updated_at"])
    audit_record(actor=actor, action="sessions.shuttle_visit.reply_recorded", target=visit,
                 organisation=visit.dispute.organisation, after={"replied_at": replied_at})
    notify.shuttle_reply_recorded(visit=visit)
    return visit


def _round_close(actor: Actor, shuttle_round: ShuttleRound, status: str, reason: str, action: str) -> ShuttleRound:
    ensure_may_write(actor=actor, dispute=shuttle_round.dispute)
    shuttle_round = ShuttleRound.objects.select_for_update().select_related("dispute").get(pk=shuttle_round.pk)
    if shuttle_round.status != ShuttleRound.Status.OPEN:
        raise ApplicationError(
            _("The shuttle round is already %(status)s.") % {"status": shuttle_round.get_status_display().lower()},
            field="status",
        )
    shuttle_round.status = status
    shuttle_round.closed_at = timezone.now()
    shuttle_round.close_reason = (reason or "").strip()
    shuttle_round.save(update_fields=["status", "closed_at", "close_reason", "updated_at"])
    # Visits still planned in a closed round will not happen.
    planned = list(MediationSession.objects.select_for_update().filter(shuttle_round=shuttle_round,
                                                                        status=Status.PLANNED))
    for visit in planned:
        visit.status = Status.CANCELLED
        visit.status_reason = _("The shuttle round closed.")
        visit.save(update_fields=["status", "status_reason", "updated_at"])
        notify.session_cancelled(session=visit)
    audit_record(actor=actor, action=action, target=shuttle_round, organisation=shuttle_round.dispute.organisation,
                 before={"status": ShuttleRound.Status.OPEN},
                 after={"status": status, "reason": shuttle_round.close_reason,
                        "cancelled_visits": [v.pk for v in planned]})
    notify.shuttle_round_closed(shuttle_round=shuttle_round)
    return shuttle_round


@transaction.atomic
def shuttle_round_conclude(*, actor: Actor, shuttle_round: ShuttleRound, reason: str = "") -> ShuttleRound:
    return _round_close(actor, shuttle_round, ShuttleRound.Status.CONCLUDED, reason, "sessions.shuttle_round.concluded")


@transaction.atomic
def shuttle_round_abandon(*, actor: Actor, shuttle_round: ShuttleRound, reason: str) -> ShuttleRound:
    if not (reason or "").strip():
        raise ApplicationError(_("Say why the shuttle round is abandoned."), field="reason")
    return _round_close(actor, shuttle_round, ShuttleRound.Status.ABANDONED, reason, "sessions.shuttle_round.abandoned")


# --- notes ------------------------------------------------------------------------------------------


def _note_parties(dispute: Dispute, visibility: str, parties: Iterable[CaseParty] | None) -> list[CaseParty]:
    parties = _case_parties(dispute, parties, field="parties")
    if visibility == Visibility.PARTIES and not parties:
        raise ApplicationError(_("Name the parties this note may be told to."), field="parties")
    if visibility != Visibility.PARTIES and parties:
        raise ApplicationError(
            _("Name parties only for a note that may be told to the named parties."), field="parties"
        )
    return parties


def _writer_labels(actor: Actor) -> tuple[str, str]:
    """(who, which organisation) as the note records them: the page says "edited by who (organisation)"."""
    return actor.label[:200], actor.organisation.name[:200]


@transaction.atomic
def session_note_add(
    *,
    actor: Actor,
    session: MediationSession,
    text: str,
    visibility: str | None = None,
    source_party: CaseParty | None = None,
    parties: Sequence[CaseParty] | None = None,
) -> SessionNote:
    """Write a note (policies: apps/sessions/policies.py).

    In a caucus or a shuttle visit it is team-only unless said otherwise when the writer is on the
    case team, shared otherwise (a contributor's or a key's note stays readable to its writer); its
    source party is the one party present. Elsewhere it defaults to shared.
    """
    # Re-read: the caller's instance may predate a cancellation.
    session = MediationSession.objects.select_related("dispute__organisation").get(pk=session.pk)
    dispute = session.dispute
    ensure_may_write(actor=actor, dispute=dispute)
    if visibility is None:
        visibility = default_note_visibility(
            session=session, may_handle_team_notes=actor_may_handle_team_notes(actor=actor, dispute=dispute))
    if visibility == Visibility.TEAM:
        ensure_may_handle_team_notes(actor=actor, dispute=dispute)
    ensure_open(dispute)
    if session.status == Status.CANCELLED:
        raise ApplicationError(_("The session was cancelled; write the note in another session."), field="session")
    text = (text or "").strip()
    if not text:
        raise ApplicationError(_("The note is empty."), field="text")
    private = session.kind in PRIVATE_KINDS
    if visibility not in Visibility.values:
        raise ApplicationError(_("Unknown visibility."), field="visibility")
    if source_party is None and private:
        source_party = CaseParty.objects.filter(pk__in=session.session_parties.values("case_party_id")).first()
    if source_party is not None:
        _case_parties(dispute, [source_party], field="source_party")
        check_source_party(session=session, source_party=source_party)
    parties = _note_parties(dispute, visibility, parties)
    now = timezone.now()
    who, organisation_label = _writer_labels(actor)
    note = SessionNote(session=session, dispute=dispute, author=actor.user, author_label=who,
                       author_organisation_label=organisation_label,
                       text=text, visibility=visibility, source_party=source_party, version=1)
    full_clean_or_raise(note)
    note.save()
    SessionNoteParty.objects.bulk_create([SessionNoteParty(note=note, case_party=cp) for cp in parties])
    SessionNoteVersion.objects.create(note=note, version=1, text=text, visibility=visibility, written_by=actor.user,
                                      written_by_label=who, written_by_organisation=actor.organisation,
                                      written_at=now)
    audit_record(actor=actor, action="sessions.note.created", target=note, organisation=dispute.organisation,
                 after={"session": session.pk, "visibility": visibility,
                        "source_party": source_party.pk if source_party else None,
                        "parties": [cp.pk for cp in parties], "length": len(text)})
    return note


@transaction.atomic
def session_note_edit(
    *,
    actor: Actor,
    note: SessionNote,
    based_on_version: int,
    text: str | None = None,
    visibility: str | None = None,
    parties: Sequence[CaseParty] | None = None,
    source_party: CaseParty | None = _UNSET,
) -> SessionNote:
    """A new version of the note. ``based_on_version`` is the version the editor started from:
    if someone saved another version since, the edit is refused (ConflictError) instead of
    silently overwriting theirs. Visibility may only narrow (shared → parties → team): widening
    what may be told is done with the source party's consent and a disclosure, never by an edit.
    """
    dispute = note.dispute
    ensure_may_write(actor=actor, dispute=dispute)
    note = SessionNote.objects.select_for_update().select_related("dispute", "session").get(pk=note.pk)
    if note.visibility == Visibility.TEAM or visibility == Visibility.TEAM:
        ensure_may_handle_team_notes(actor=actor, dispute=dispute)
    new_text = note.text if text is None else (text or "").strip()
    new_source = note.source_party if source_party is _UNSET else source_party
    new_source_id = new_source.pk if new_source is not None else None
    if new_text != note.text or new_source_id != note.source_party_id:
        ensure_may_edit_note_text(actor=actor, note=note)
    ensure_open(dispute)
    if note.version != based_on_version:
        last = note.versions.order_by("-version").first()
        raise ConflictError(
            _("Someone saved version %(current)s of this note (%(who)s, %(when)s) after the version %(yours)s you "
              "edited. Reload the note and make your change again.")
            % {"current": note.version, "yours": based_on_version,
               "who": last.written_by_label if last else "?",
               "when": last.written_at.strftime("%Y-%m-%d %H:%M UTC") if last else "?"},
            field="based_on_version",
        )
    if not new_text:
        raise ApplicationError(_("The note is empty."), field="text")
    new_visibility = note.visibility if visibility is None else visibility
    if new_visibility not in Visibility.values:
        raise ApplicationError(_("Unknown visibility."), field="visibility")
    if VISIBILITY_ORDER.index(new_visibility) > VISIBILITY_ORDER.index(note.visibility):
        raise ApplicationError(
            _("A note's visibility can only be narrowed. To pass it on, record the source party's consent and "
              "the disclosure."),
            field="visibility",
        )
    current_parties = list(CaseParty.objects.filter(pk__in=note.note_parties.values("case_party_id")))
    if parties is None:
        parties = current_parties if new_visibility == Visibility.PARTIES else []
    parties = _note_parties(dispute, new_visibility, parties)
    if (note.visibility == Visibility.PARTIES and new_visibility == Visibility.PARTIES
            and not {cp.pk for cp in parties} <= {cp.pk for cp in current_parties}):
        raise ApplicationError(
            _("Parties can only be taken off the list of who may be told, not added."), field="parties"
        )
    if new_source_id != note.source_party_id:
        if new_source is not None:
            _case_parties(dispute, [new_source], field="source_party")
        check_source_party(session=note.session, source_party=new_source, note=note)
    changed_parties = {cp.pk for cp in parties} != {cp.pk for cp in current_parties}
    if (new_text, new_visibility, new_source_id) == (note.text, note.visibility, note.source_party_id) \
            and not changed_parties:
        return note
    before = {"version": note.version, "visibility": note.visibility, "source_party": note.source_party_id,
              "parties": sorted(cp.pk for cp in current_parties)}
    who, organisation_label = _writer_labels(actor)
    note.text, note.visibility, note.source_party = new_text, new_visibility, new_source
    note.version += 1
    note.edited_by_label = f"{who} ({organisation_label})"[:400]
    full_clean_or_raise(note)
    note.save(update_fields=["text", "visibility", "source_party", "version", "edited_by_label", "updated_at"])
    if changed_parties:
        note.note_parties.all().delete()
        SessionNoteParty.objects.bulk_create([SessionNoteParty(note=note, case_party=cp) for cp in parties])
    SessionNoteVersion.objects.create(note=note, version=note.version, text=new_text, visibility=new_visibility,
                                      written_by=actor.user, written_by_label=who,
                                      written_by_organisation=actor.organisation, written_at=timezone.now())
    audit_record(actor=actor, action="sessions.note.edited", target=note, organisation=dispute.organisation,
                 before=before,
                 after={"version": note.version, "visibility": new_visibility, "source_party": new_source_id,
                        "parties": sorted(cp.pk for cp in parties), "text_changed": text is not None})
    return note


# --- consent and the disclosure ledger --------------------------------------------------------------


@transaction.atomic
def disclosure_consent_record(
    *,
    actor: Actor,
    note: SessionNote,
    method: str,
    given_at: dt.datetime,
    given_by_representative: Representative | None = None,
    given_by_name: str = "",
    parties: Sequence[CaseParty] | None = None,
    reference: str = "",
) -> DisclosureConsent:
    """The source party allows a team-only note of theirs to be passed on (to ``parties``, or to any party)."""
    dispute = note.dispute
    ensure_may_write(actor=actor, dispute=dispute)
    ensure_open(dispute)
    ensure_may_handle_team_notes(actor=actor, dispute=dispute, field="note")
    if note.visibility != Visibility.TEAM:
        raise ApplicationError(_("Only a team-only note needs consent to be passed on."), field="note")
    if note.source_party_id is None:
        raise ApplicationError(
            _("The note has no source party, so nobody can consent to passing it on: set its source party first."),
            field="note",
        )
    if method not in ConsentMethod.values:
        raise ApplicationError(_("Say how the consent was given."), field="method")
    given_at = _not_in_future(clean_aware(given_at, field="given_at"), field="given_at")
    given_by_name = " ".join((given_by_name or "").split())
    if given_by_representative is not None:
        if given_by_representative.party_id != note.source_party.party_id:
            raise ApplicationError(
                _("%(name)s does not represent the party whose words these are.")
                % {"name": given_by_representative.name},
                field="given_by_representative",
            )
    elif not given_by_name:
        raise ApplicationError(_("Say who gave the consent."), field="given_by_name")
    parties = _case_parties(dispute, parties)
    if any(cp.pk == note.source_party_id for cp in parties):
        raise ApplicationError(_("The source party already knows what it said."), field="parties")
    consent = DisclosureConsent(
        dispute=dispute, note=note, source_party_id=note.source_party_id,
        given_by_representative=given_by_representative, given_by_name=given_by_name[:200], given_at=given_at,
        method=method, reference=(reference or "").strip()[:200], recorded_by=actor.user,
    )
    full_clean_or_raise(consent)
    consent.save()
    DisclosureConsentParty.objects.bulk_create(
        [DisclosureConsentParty(consent=consent, case_party=cp) for cp in parties]
    )
    audit_record(actor=actor, action="sessions.consent.recorded", target=consent, organisation=dispute.organisation,
                 dispute_id=dispute.pk,
                 after={"note": note.pk, "source_party": note.source_party_id, "method": method,
                        "given_at": given_at, "parties": [cp.pk for cp in parties]})
    return consent


@transaction.atomic
def disclosure_consent_withdraw(*, actor: Actor, consent: DisclosureConsent) -> DisclosureConsent:
    """The party takes its consent back: nothing more may be passed on under it (the ledger keeps what was)."""
    ensure_may_write(actor=actor, dispute=consent.dispute)
    ensure_may_handle_team_notes(actor=actor, dispute=consent.dispute_id, field="consent")
    consent = DisclosureConsent.objects.select_for_update().get(pk=consent.pk)
    if consent.withdrawn_at is not None:
        raise ApplicationError(_("This consent was already withdrawn."))
    consent.withdrawn_at = timezone.now()
    consent.withdrawn_by = actor.user
    consent.save(update_fields=["withdrawn_at", "withdrawn_by", "updated_at"])
    audit_record(actor=actor, action="sessions.consent.withdrawn", target=consent,
                 organisation=consent.dispute.organisation, dispute_id=consent.dispute_id,
                 after={"withdrawn_at": consent.withdrawn_at})
    return consent


@transaction.atomic
def disclosure_record(
    *,
    actor: Actor,
    to_party: CaseParty,
    note: SessionNote | None = None,
    proposal: Any = None,
    session: MediationSession | None = None,
    consent: DisclosureConsent | None = None,
    disclosed_at: dt.datetime | None = None,
) -> Disclosure:
    """Record that a note (or a proposal) was passed to a party.

    A shared note may go to any party of the dispute, a "parties" note to its named parties
    only, a team-only note only under the source party's recorded, unwithdrawn consent that
    covers this party. A proposal may go to any party but the one that tabled it.
    """
    if (note is None) == (proposal is None):
        raise ApplicationError(_("A disclosure passes on either a note or a proposal."), field="note")
    item = note if note is not None else proposal
    dispute = item.dispute
    ensure_may_write(actor=actor, dispute=dispute)
    ensure_open(dispute)
    if not isinstance(to_party, CaseParty) or to_party.dispute_id != dispute.pk:
        raise ApplicationError(_("%(party)s is not a party to this dispute.") % {"party": to_party},
                               field="to_party")
    if session is not None:
        session = MediationSession.objects.get(pk=session.pk)
        if session.dispute_id != dispute.pk:
            raise ApplicationError(_("The session belongs to another dispute."), field="session")
        if session.status == Status.CANCELLED:
            raise ApplicationError(_("The session was cancelled."), field="session")
        if not session.session_parties.filter(case_party=to_party).exists():
            raise ApplicationError(
                _("%(party)s did not take part in that session.") % {"party": to_party}, field="session"
            )
    disclosed_at = _not_in_future(clean_aware(disclosed_at, field="disclosed_at"), field="disclosed_at") \
        if disclosed_at else timezone.now()
    visibility = ""
    if note is not None:
        note = SessionNote.objects.select_for_update().get(pk=note.pk)
        visibility = note.visibility
        if note.source_party_id == to_party.pk:
            raise ApplicationError(_("The note came from this party: there is nothing to tell them."),
                                   field="to_party")
        if visibility == Visibility.TEAM:
            ensure_may_handle_team_notes(actor=actor, dispute=dispute, field="note")
            _check_consent(note, to_party, consent)
        elif consent is not None:
            raise ApplicationError(_("Only a team-only note is passed on under consent."), field="consent")
        if visibility == Visibility.PARTIES and not note.note_parties.filter(case_party=to_party).exists():
            raise ApplicationError(
                _("This note may be told only to the parties named on it, and %(party)s is not one of them.")
                % {"party": to_party},
                field="to_party",
            )
        if Disclosure.objects.filter(note=note, to_party=to_party).exists():
            raise ApplicationError(_("%(party)s was already told this.") % {"party": to_party}, field="to_party")
    else:
        if consent is not None:
            raise ApplicationError(_("Only a team-only note is passed on under consent."), field="consent")
        if proposal.tabled_by_id == to_party.pk:
            raise ApplicationError(_("The proposal came from this party."), field="to_party")
        if Disclosure.objects.filter(proposal=proposal, to_party=to_party).exists():
            raise ApplicationError(_("%(party)s was already told this.") % {"party": to_party}, field="to_party")
    disclosure = Disclosure(
        dispute=dispute, note=note, proposal=proposal, note_visibility=visibility, to_party=to_party,
        session=session, consent=consent, disclosed_at=disclosed_at, disclosed_by=actor.user,
        disclosed_by_label=actor.label[:200],
    )
    full_clean_or_raise(disclosure)
    disclosure.save()
    audit_record(actor=actor, action="sessions.disclosure.recorded", target=disclosure,
                 organisation=dispute.organisation, dispute_id=dispute.pk,
                 after={"note": note.pk if note else None, "proposal": proposal.pk if proposal else None,
                        "to_party": to_party.pk, "session": session.pk if session else None,
                        "consent": consent.pk if consent else None, "visibility": visibility})
    return disclosure


def _check_consent(note: SessionNote, to_party: CaseParty, consent: DisclosureConsent | None) -> None:
    source = note.source_party
    if consent is None:
        who = source.party.name if source is not None else _("the party it came from")
        raise ApplicationError(
            _("This note is team-only: record %(party)s's consent before passing it on.") % {"party": who},
            field="consent",
        )
    consent = DisclosureConsent.objects.select_for_update().get(pk=consent.pk)
    if consent.note_id != note.pk or consent.source_party_id != note.source_party_id:
        raise ApplicationError(_("That consent was given for another note."), field="consent")
    if consent.withdrawn_at is not None:
        raise ApplicationError(_("That consent was withdrawn."), field="consent")
    scope = set(consent.consent_parties.values_list("case_party_id", flat=True))
    if scope and to_party.pk not in scope:
        raise ApplicationError(
            _("The consent does not cover telling %(party)s.") % {"party": to_party.party.name}, field="consent"
        )


# --- action items -----------------------------------------------------------------------------------


def _owner(dispute: Dispute, owner_user: User | None, owner_party: CaseParty | None) -> None:
    if (owner_user is None) == (owner_party is None):
        raise ApplicationError(_("An action item has one owner: a team member or a party."), field="owner")
    if owner_user is not None:
        _team_users(dispute, [owner_user])
    if owner_party is not None:
        _case_parties(dispute, [owner_party], field="owner_party")


def _clean_due(due_on: Any) -> dt.date:
    if not isinstance(due_on, dt.date) or isinstance(due_on, dt.datetime):
        raise ApplicationError(_("Give the due date as a date."), field="due_on")
    return due_on


@transaction.atomic
def action_item_create(
    *,
    actor: Actor,
    session: MediationSession,
    description: str,
    due_on: dt.date,
    owner_user: User | None = None,
    owner_party: CaseParty | None = None,
) -> ActionItem:
    session = MediationSession.objects.select_related("dispute").get(pk=session.pk)
    dispute = session.dispute
    ensure_may_write(actor=actor, dispute=dispute)
    ensure_open(dispute)
    if session.status == Status.CANCELLED:
        raise ApplicationError(_("The session was cancelled."), field="session")
    description = (description or "").strip()
    if not description:
        raise ApplicationError(_("Say what is to be done."), field="description")
    due_on = _clean_due(due_on)
    _owner(dispute, owner_user, owner_party)
    item = ActionItem(dispute=dispute, session=session, description=description, due_on=due_on,
                      owner_user=owner_user, owner_party=owner_party, created_by=actor.user)
    full_clean_or_raise(item)
    item.save()
    audit_record(actor=actor, action="sessions.action_item.created", target=item, organisation=dispute.organisation,
                 after={"session": session.pk, "due_on": due_on, "owner_user": getattr(owner_user, "pk", None),
                        "owner_party": getattr(owner_party, "pk", None)})
    notify.action_item_changed(item=item)
    return item


@transaction.atomic
def action_item_update(
    *,
    actor: Actor,
    item: ActionItem,
    description: str | None = None,
    due_on: dt.date | None = None,
    owner_user: User | None = _UNSET,
    owner_party: CaseParty | None = _UNSET,
) -> ActionItem:
    dispute = item.dispute
    ensure_may_write(actor=actor, dispute=dispute)
    ensure_open(dispute)
    item = ActionItem.objects.select_for_update().get(pk=item.pk)
    data: dict[str, Any] = {}
    if description is not None:
        if not description.strip():
            raise ApplicationError(_("Say what is to be done."), field="description")
        data["description"] = description.strip()
    if due_on is not None:
        data["due_on"] = _clean_due(due_on)
    if owner_user is not _UNSET or owner_party is not _UNSET:
        new_user = None if owner_user is _UNSET else owner_user
        new_party = None if owner_party is _UNSET else owner_party
        _owner(dispute, new_user, new_party)
        data["owner_user"], data["owner_party"] = new_user, new_party
    item, before, after = model_update_or_raise(
        instance=item, fields=["description", "due_on", "owner_user", "owner_party"], data=data
    )
    if before:
        audit_record(actor=actor, action="sessions.action_item.updated", target=item,
                     organisation=dispute.organisation, before=before, after=after)
        if item.done_at is None:
            notify.action_item_changed(item=item)
    return item


@transaction.atomic
def action_item_complete(*, actor: Actor, item: ActionItem, done_at: dt.datetime | None = None) -> ActionItem:
    # Allowed on a suspended or closed dispute: follow-ups get done after the fact.
    ensure_may_write(actor=actor, dispute=item.dispute)
    item = ActionItem.objects.select_for_update().select_related("dispute").get(pk=item.pk)
    if item.done_at is not None:
        raise ApplicationError(_("This action item is already done."))
    item.done_at = _not_in_future(clean_aware(done_at, field="done_at"), field="done_at") if done_at \
        else timezone.now()
    item.done_by = actor.user
    item.save(update_fields=["done_at", "done_by", "updated_at"])
    audit_record(actor=actor, action="sessions.action_item.completed", target=item,
                 organisation=item.dispute.organisation, after={"done_at": item.done_at})
    notify.action_item_done(item=item)
    return item


@transaction.atomic
def action_item_reopen(*, actor: Actor, item: ActionItem) -> ActionItem:
    ensure_may_write(actor=actor, dispute=item.dispute)
    ensure_open(item.dispute)
    item = ActionItem.objects.select_for_update().select_related("dispute").get(pk=item.pk)
    if item.done_at is None:
        raise ApplicationError(_("This action item is not done."))
    before = {"done_at": item.done_at}
    item.done_at, item.done_by = None, None
    item.save(update_fields=["done_at", "done_by", "updated_at"])
    audit_record(actor=actor, action="sessions.action_item.reopened", target=item,
                 organisation=item.dispute.organisation, before=before, after={"done_at": None})
    notify.action_item_changed(item=item)
    return item
