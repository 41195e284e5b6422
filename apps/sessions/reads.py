"""The audit of team-only note reads (DESIGN.md §2: "Every read is audited").

Called by the note querysets when a queryset marked ``for_reader(actor, via=...)`` is
evaluated: one ``sessions.note.read_team`` event per team-only note returned, written in one
bulk INSERT. The selectors that hand out note text mark their querysets, so the web app, the
API, exports and commands all record reads without doing anything themselves.
"""

from __future__ import annotations

from typing import Any

from apps.common import context
from apps.common.models import AuditEvent

READ_TEAM_ACTION = "sessions.note.read_team"
NOTE_TARGET_TYPE = "mediation_sessions.sessionnote"


def record_team_note_reads(*, actor: Any, reads: list[tuple[int, int, str]], via: str) -> list[AuditEvent]:
    """Append one audit event per (note id, dispute id, label); duplicates within one read collapse."""
    user = getattr(actor, "user", actor)
    label = (getattr(actor, "label", None) or (str(user) if user is not None else "system"))[:200]
    organisation = getattr(actor, "organisation", None)
    ctx = context.current()
    seen: set[int] = set()
    events = []
    for note_id, dispute_id, note_label in reads:
        if note_id in seen:
            continue
        seen.add(note_id)
        events.append(
            AuditEvent(
                actor=user if getattr(user, "pk", None) else None,
                actor_label=label,
                organisation=organisation,
                action=READ_TEAM_ACTION,
                target_type=NOTE_TARGET_TYPE,
                target_id=str(note_id),
                target_label=note_label[:300],
                dispute_id=dispute_id,
                after={"via": via},
                request_id=ctx.request_id,
                ip=ctx.ip,
            )
        )
    # The audit model refuses save() on existing rows only; bulk_create is a plain INSERT.
    return AuditEvent.objects.bulk_create(events)
