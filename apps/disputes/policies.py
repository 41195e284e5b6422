"""Who may change what (DESIGN.md §3b), in one place: one ``actor_may_<verb>`` per decision.

Reads are scoped in ``selectors.py``; this module decides writes. Every writing service calls
one ``ensure_may_<verb>`` first (before any row is locked or written), so the API, the pages,
the admin and the management commands, which all go through the services, share one answer.
A refusal is ``AccessDenied`` (a 403 with the reason in the API, a form error or a 403 page in
the browser); objects the actor cannot see never reach a service (the views answer 404).

| decision                         | function                        | who may                                   |
|----------------------------------|---------------------------------|-------------------------------------------|
| open a dispute                   | actor_may_open_dispute          | writing members, write keys               |
| case work: descriptive fields,   | actor_may_write                 | the case team, the organisation's admins, |
|   ordinary stage moves, risk,    |                                 | its write keys (standard disputes),       |
|   parties, issues, sessions,     |                                 | writing members of a contributor          |
|   proposals, agreements          |                                 | organisation (standard disputes)          |
| stage: close, withdraw, suspend, | actor_may_change_stage          | admins, the lead mediator                 |
|   resume (any move from or into |                                 |                                           |
|   suspended / withdrawn / closed)|                                 |                                           |
| case team: add, remove, change   | actor_may_manage_team           | admins, the lead mediator                 |
|   role, transfer the lead        |                                 |                                           |
| confidentiality                  | actor_may_set_confidentiality   | admins, the lead mediator                 |
| conflict-of-interest override    | actor_may_override_conflict     | admins                                    |
| shares: grant, change, revoke    | actor_may_share                 | admins of the owning organisation         |

"Admins" are the dispute's own organisation's admins (an API key is nobody's admin; the
import commands act as an admin of the organisation they import into); "the lead mediator" is
the person whose active team row says lead_mediator, still a writing member of the organisation.
Never: API keys, contributor organisations, other team members (an observer cannot promote
itself), analysts and partner-role members.

Notes (team-only writes, a note's text, its source party) are decided in
``apps/sessions/policies.py``; organisation administration (members, keys, webhooks) in
``apps/accounts/policies.py``.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from apps.accounts.actors import WRITING_ROLES, Actor
from apps.common.errors import AccessDenied
from apps.disputes.models import CaseTeamMember, Dispute, Stage
from apps.disputes.selectors import dispute_writable_q

# Moves that end, pause or restart the process: the lead's and the admins' decision.
DECISIVE_STAGES = frozenset({Stage.CLOSED, Stage.WITHDRAWN, Stage.SUSPENDED})


def _person_of(actor: Actor, dispute: Dispute) -> bool:
    """A writing member of the dispute's own organisation (no key, no analyst, no partner).

    Server code (the dataset import commands) acts as an admin without a user; nothing a request
    can send builds such an actor (the API's are keys or members, the pages' are members).
    """
    return (not actor.is_api_key and actor.role in WRITING_ROLES
            and dispute.organisation_id == actor.organisation.pk)


def actor_is_lead(*, actor: Actor, dispute: Dispute, team: list[CaseTeamMember] | None = None) -> bool:
    """The dispute's current lead mediator (an active team row with the lead's role).

    Pages pass the active team rows they already loaded (``team``) to spare the query; services
    never do (they decide on the rows as they are now).
    """
    if actor.user_id is None or not _person_of(actor, dispute):
        return False
    if team is not None:
        return any(m.user_id == actor.user_id and m.active and m.role == CaseTeamMember.Role.LEAD_MEDIATOR
                   for m in team)
    return CaseTeamMember.objects.filter(
        dispute=dispute, user_id=actor.user_id, active=True, role=CaseTeamMember.Role.LEAD_MEDIATOR
    ).exists()


def _admin_or_lead(actor: Actor, dispute: Dispute, team: list[CaseTeamMember] | None = None) -> bool:
    if not _person_of(actor, dispute):
        return False
    return actor.is_admin or actor_is_lead(actor=actor, dispute=dispute, team=team)


def actor_may_open_dispute(*, actor: Actor) -> bool:
    return actor.can_write


def actor_may_write(*, actor: Actor, dispute: Dispute) -> bool:
    """Case work (see the table): the rows of ``selectors.dispute_writable_q``."""
    return Dispute.objects.filter(dispute_writable_q(actor), pk=dispute.pk).exists()


def actor_may_change_stage(*, actor: Actor, dispute: Dispute, to_stage: str) -> bool:
    """Closing, withdrawing, suspending and resuming are the lead's and the admins'; other moves are case work."""
    if to_stage in DECISIVE_STAGES or dispute.stage in DECISIVE_STAGES:
        return _admin_or_lead(actor, dispute)
    return actor_may_write(actor=actor, dispute=dispute)


def stages_actor_may_choose(*, actor: Actor, dispute: Dispute, stages: list[str],
                            team: list[CaseTeamMember] | None = None) -> list[str]:
    """Of the workflow's next stages, those an actor who may write the dispute may move it to (the stage form)."""
    if not stages:
        return []
    if dispute.stage in DECISIVE_STAGES or any(s in DECISIVE_STAGES for s in stages):
        steward = _admin_or_lead(actor, dispute, team)
        return [s for s in stages if steward or (s not in DECISIVE_STAGES and dispute.stage not in DECISIVE_STAGES)]
    return list(stages)


def actor_may_manage_team(*, actor: Actor, dispute: Dispute, team: list[CaseTeamMember] | None = None) -> bool:
    return _admin_or_lead(actor, dispute, team)


def actor_may_set_confidentiality(*, actor: Actor, dispute: Dispute) -> bool:
    return _admin_or_lead(actor, dispute)


def actor_may_override_conflict(*, actor: Actor, dispute: Dispute) -> bool:
    return _person_of(actor, dispute) and actor.is_admin


def actor_may_share(*, actor: Actor, dispute: Dispute) -> bool:
    return _person_of(actor, dispute) and actor.is_admin


# --- the same decisions, raising -------------------------------------------------------------------------


def ensure_may_open_dispute(*, actor: Actor) -> None:
    if not actor_may_open_dispute(actor=actor):
        raise AccessDenied(_("Your role may not open disputes."))


def ensure_may_write(*, actor: Actor, dispute: Dispute) -> None:
    if not actor_may_write(actor=actor, dispute=dispute):
        raise AccessDenied(_("You may read this dispute but not change it."))


def ensure_may_change_stage(*, actor: Actor, dispute: Dispute, to_stage: str) -> None:
    if actor_may_change_stage(actor=actor, dispute=dispute, to_stage=to_stage):
        return
    if to_stage in DECISIVE_STAGES or dispute.stage in DECISIVE_STAGES:
        raise AccessDenied(
            _("Only an admin of the dispute's organisation or its lead mediator can close, withdraw, suspend "
              "or resume it."),
            field="to_stage",
        )
    raise AccessDenied(_("You may read this dispute but not change it."), field="to_stage")


def ensure_may_manage_team(*, actor: Actor, dispute: Dispute) -> None:
    if not actor_may_manage_team(actor=actor, dispute=dispute):
        raise AccessDenied(
            _("Only an admin of the dispute's organisation or its lead mediator can change the case team.")
        )


def ensure_may_set_confidentiality(*, actor: Actor, dispute: Dispute) -> None:
    if not actor_may_set_confidentiality(actor=actor, dispute=dispute):
        raise AccessDenied(
            _("Only an admin or the lead mediator can change a dispute's confidentiality."), field="confidentiality"
        )


def ensure_may_override_conflict(*, actor: Actor, dispute: Dispute) -> None:
    if not actor_may_override_conflict(actor=actor, dispute=dispute):
        raise AccessDenied(_("Only an admin can override a conflict of interest."), field="override_reason")


def ensure_may_share(*, actor: Actor, dispute: Dispute) -> None:
    if not actor_may_share(actor=actor, dispute=dispute):
        raise AccessDenied(_("Only an admin of the dispute's organisation can share it or revoke a share."))

