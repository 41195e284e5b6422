"""Who may change a note (DESIGN.md §3b), in one place; the services in ``services.py`` call these first.

Everything else in a session (scheduling, attendance, summaries, action items, shuttle rounds,
shared notes, disclosures of shared notes) is case work: ``apps/disputes/policies.actor_may_write``.

| decision                                  | function                     | who may                              |
|-------------------------------------------|------------------------------|--------------------------------------|
| write a team-only note, edit one, turn a  | actor_may_handle_team_notes  | the dispute's case team (people of   |
|   note team-only or record consent        |                              |   the owning organisation who read   |
|                                           |                              |   team notes); never keys,           |
|                                           |                              |   contributors, analysts             |
| change a note's text or its source party  | actor_may_edit_note_text     | its author, or the dispute's lead    |
|                                           |                              |   mediator (only someone who may     |
|                                           |                              |   write the dispute and read the     |
|                                           |                              |   note gets this far)                |
| the visibility a note gets by default     | default_note_visibility      | team-only in a caucus or a shuttle   |
|                                           |                              |   visit for the case team; shared    |
|                                           |                              |   for everyone else (their own note  |
|                                           |                              |   must stay readable to them)        |
| a note's source party                     | check_source_party           | a party present at the session;      |
|                                           |                              |   fixed once a consent or a          |
|                                           |                              |   disclosure refers to the note      |

A refusal is ``AccessDenied`` with the reason (403), never a write the caller cannot read back
(that was a 500: the note was saved, then hidden from its own writer).

An API key is never a note's author for this purpose (it has no person behind it to answer for
an edit): notes written by a key are corrected by the lead mediator.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from apps.accounts.actors import Actor
from apps.common.errors import AccessDenied, ApplicationError
from apps.disputes.models import CaseParty, Dispute
from apps.disputes.policies import actor_is_lead
from apps.disputes.selectors import dispute_ids_on_team
from apps.sessions.models import (
    PRIVATE_KINDS,
    Disclosure,
    DisclosureConsent,
    MediationSession,
    SessionNote,
    SessionParty,
    Visibility,
)


def actor_may_handle_team_notes(*, actor: Actor, dispute: Dispute | int) -> bool:
    dispute_id = dispute if isinstance(dispute, int) else dispute.pk
    return dispute_ids_on_team(actor=actor).filter(dispute_id=dispute_id).exists()


def actor_may_edit_note_text(*, actor: Actor, note: SessionNote, is_lead: bool | None = None) -> bool:
    """The author (a person) or the dispute's lead mediator. ``is_lead`` spares the query when known."""
    if actor.is_api_key or actor.user_id is None:
        return False
    if note.author_id is not None and note.author_id == actor.user_id:
        return True
    if is_lead is None:
        is_lead = actor_is_lead(actor=actor, dispute=note.dispute)
    return is_lead


def default_note_visibility(*, session: MediationSession, may_handle_team_notes: bool) -> str:
    if session.kind in PRIVATE_KINDS and may_handle_team_notes:
        return Visibility.TEAM
    return Visibility.SHARED


def ensure_may_handle_team_notes(*, actor: Actor, dispute: Dispute | int, field: str | None = "visibility") -> None:
    if not actor_may_handle_team_notes(actor=actor, dispute=dispute):
        raise AccessDenied(
            _("Only the dispute's case team may write, edit or read team-only notes: choose “shared” or “parties”, "
              "or ask a member of the case team."),
            field=field,
        )


def ensure_may_edit_note_text(*, actor: Actor, note: SessionNote) -> None:
    if not actor_may_edit_note_text(actor=actor, note=note):
        raise AccessDenied(
            _("Only the note's author or the lead mediator may change what it says or whose words they are."),
            field="text",
        )


def note_source_is_fixed(note: SessionNote) -> bool:
    """A consent or a disclosure names this note: whose words they are can no longer change."""
    return (DisclosureConsent.objects.filter(note=note).exists()
            or Disclosure.objects.filter(note=note).exists())


def check_source_party(*, session: MediationSession, source_party: CaseParty | None,
                       note: SessionNote | None = None) -> None:
    """The source party is a party present at the session, and is fixed once consent or disclosure refer to it."""
    new_id = source_party.pk if source_party is not None else None
    if note is not None and new_id != note.source_party_id and note_source_is_fixed(note):
        raise ApplicationError(
            _("A consent or a disclosure already refers to this note, so whose words they are can no longer change."),
            field="source_party",
        )
    if source_party is None:
        return
    if not SessionParty.objects.filter(session_id=session.pk, case_party_id=source_party.pk).exists():
        raise ApplicationError(
            _("%(party)s was not present at this session, so the note cannot be their words.")
            % {"party": source_party.party.name},
            field="source_party",
        )
