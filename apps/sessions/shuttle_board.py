"""The shuttle board, read in one place (issue #16): whose move, what each party may be told,
what it has been told, and for each team-only note whether "told" may be recorded.

Every fact on the board comes from here, so the header, a column's status line, its carry list
and its buttons cannot disagree: whose move is ``shuttle_round_state`` fed with the size of each
carry list; a column that "has nothing new" is one whose carry list is empty; "Record: told" is
offered for a team-only note only where ``disclosure_record`` will accept it (an unwithdrawn
consent of the source party that covers the party to be told) and never twice for one party.

Scoping: the round through ``shuttle_round_list`` (a 404 when out of reach); carry lists through
``party_carry_list``; the ledger through ``disclosure_visible_q`` (disclosures of team-only notes
only for the case team) with each note read through ``_notes_for_reader`` (team reads audited);
team-only notes only for the case team, read through ``session_notes`` (audited).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch

from apps.accounts.actors import Actor
from apps.disputes.models import CaseParty
from apps.negotiations.models import Proposal
from apps.sessions.models import (
    Disclosure,
    DisclosureConsent,
    DisclosureConsentParty,
    MediationSession,
    SessionNote,
    ShuttleRound,
    Visibility,
)
from apps.sessions.selectors import (
    CarryList,
    PartyTurn,
    ShuttleState,
    _notes_for_reader,
    disclosure_visible_q,
    has_team_access,
    party_carry_list,
    session_notes,
    shuttle_round_list,
    shuttle_round_state,
)

TEAM_NOTES_LIMIT = 30


@dataclass(frozen=True)
class Offer:
    """For one team-only note and one other party: told already, recordable, or consent needed."""

    case_party: CaseParty
    told: Disclosure | None = None
    consent_id: int | None = None

    @property
    def can_record(self) -> bool:
        return self.told is None and self.consent_id is not None


@dataclass
class TeamNote:
    note: SessionNote
    offers: list[Offer]


@dataclass
class CarryItem:
    """A note or a proposal this party may be told, and which other parties were told it, when."""

    note: SessionNote | None
    proposal: Proposal | None
    consent_id: int | None
    told_others: list[Disclosure]


@dataclass
class Column:
    case_party: CaseParty
    turn: PartyTurn
    is_move: bool
    visits: list[MediationSession]
    carry: list[CarryItem] | None  # None when the round is closed
    told: list[Disclosure]  # the ledger: what this party has been told, oldest first
    team_notes: list[TeamNote] = field(default_factory=list)


@dataclass
class ShuttleBoard:
    round: ShuttleRound
    state: ShuttleState
    columns: list[Column]
    on_team: bool

    @property
    def whose_move(self) -> Column | None:
        return next((c for c in self.columns if c.is_move), None)


def _consents(note_ids: list[int]) -> dict[int, list[tuple[int, set[int]]]]:
    """Unwithdrawn consents per note, oldest first: (consent id, parties covered; empty = any)."""
    out: dict[int, list[tuple[int, set[int]]]] = {}
    rows = (
        DisclosureConsent.objects.filter(note_id__in=note_ids, withdrawn_at__isnull=True)
        .prefetch_related(Prefetch("consent_parties", queryset=DisclosureConsentParty.objects.only(
            "consent_id", "case_party_id")))
        .order_by("given_at", "id")
    )
    for c in rows:
        out.setdefault(c.note_id, []).append((c.pk, {cp.case_party_id for cp in c.consent_parties.all()}))
    return out


def shuttle_board(*, actor: Actor, round_id: int) -> ShuttleBoard | None:
    """The whole board for ``actor``; None when the round is out of reach (a 404)."""
    shuttle_round = shuttle_round_list(actor=actor).filter(pk=round_id).first()
    if shuttle_round is None:
        return None
    dispute_id = shuttle_round.dispute_id
    open_round = shuttle_round.status == ShuttleRound.Status.OPEN
    parties = [rp.case_party for rp in shuttle_round.parties_loaded]
    party_ids = [cp.pk for cp in parties]
    on_team = has_team_access(actor=actor, dispute_id=dispute_id)

    carry: dict[int, CarryList | None] = {
        pid: party_carry_list(actor=actor, case_party_id=pid) if open_round else None for pid in party_ids
    }
    ledger = list(
        Disclosure.objects.filter(disclosure_visible_q(actor), dispute_id=dispute_id, to_party_id__in=party_ids)
        .select_related("to_party__party", "proposal__issue", "proposal__tabled_by__party", "disclosed_by")
        .prefetch_related(Prefetch("note", queryset=_notes_for_reader(actor, "told")))
        .order_by("disclosed_at", "id")
    )
    told_note: dict[tuple[int, int], Disclosure] = {}
    told_by_item: dict[tuple[str, int], list[Disclosure]] = {}
    for d in ledger:
        key = ("note", d.note_id) if d.note_id else ("proposal", d.proposal_id)
        told_by_item.setdefault(key, []).append(d)
        if d.note_id:
            told_note.setdefault((d.note_id, d.to_party_id), d)

    news = {pid: len(c.notes) + len(c.proposals) for pid, c in carry.items() if c is not None}
    state = shuttle_round_state(shuttle_round, news=news)

    team: dict[int, list[SessionNote]] = {pid: [] for pid in party_ids}
    consents: dict[int, list[tuple[int, set[int]]]] = {}
    if on_team:
        rows = list(
            session_notes(actor=actor, dispute_id=dispute_id, via="shuttle_board")
            .filter(visibility=Visibility.TEAM, source_party_id__in=party_ids)
            .order_by("-created_at", "-id")[:TEAM_NOTES_LIMIT]
        )
        consents = _consents([n.pk for n in rows])
        for note in rows:
            team[note.source_party_id].append(note)

    def offer(note: SessionNote, to: CaseParty) -> Offer:
        told = told_note.get((note.pk, to.pk))
        if told is not None:
            return Offer(to, told=told)
        usable = next((cid for cid, scope in consents.get(note.pk, []) if not scope or to.pk in scope), None)
        return Offer(to, consent_id=usable)

    columns: list[Column] = []
    for turn in state.parties:
        cp = turn.case_party
        cl = carry[cp.pk]
        items = None
        if cl is not None:
            items = [CarryItem(n, None, getattr(n, "consent_id", None),
                               [d for d in told_by_item.get(("note", n.pk), []) if d.to_party_id != cp.pk])
                     for n in cl.notes]
            items += [CarryItem(None, p, None,
                                [d for d in told_by_item.get(("proposal", p.pk), []) if d.to_party_id != cp.pk])
                      for p in cl.proposals]
        others = [o for o in parties if o.pk != cp.pk]
        columns.append(Column(
            case_party=cp, turn=turn,
            is_move=state.whose_move is not None and state.whose_move.pk == cp.pk,
            visits=[v for v in shuttle_round.visits_loaded if v.visit_party_id == cp.pk],
            carry=items,
            told=[d for d in ledger if d.to_party_id == cp.pk],
            team_notes=[TeamNote(n, [offer(n, o) for o in others]) for n in team[cp.pk]],
        ))
    return ShuttleBoard(round=shuttle_round, state=state, columns=columns, on_team=on_team)

