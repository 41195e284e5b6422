"""Everything the negotiations app tells the layers below it (reminders, webhooks), in one place.

Called inside the services' transactions. Payloads and reminder contexts carry ids, statuses
and times, never a proposal's text or concessions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from apps.disputes.models import CaseTeamMember
from apps.disputes.selectors import dispute_ids_on_team
from apps.reminders.audience import audience_register
from apps.reminders.services import (
    reminder_rules_for,
    reminders_cancel_for,
    reminders_replace_for,
    specs_proposal_response,
)
from apps.webhooks.services import webhook_emit

if TYPE_CHECKING:
    from apps.accounts.actors import Actor
    from apps.negotiations.models import Proposal

PROPOSAL_TARGET = "negotiations.proposal"


def _payload(proposal: Proposal) -> dict:
    dispute = proposal.dispute
    return {
        "dispute": {"id": dispute.pk, "reference": dispute.reference},
        "proposal": {
            "id": proposal.pk, "issue": proposal.issue_id, "status": proposal.status,
            "tabled_by": proposal.tabled_by_id, "bridging": proposal.bridging,
            "responds_to": proposal.responds_to_id, "tabled_in": proposal.tabled_in_id,
            "tabled_at": proposal.tabled_at.isoformat(),
            "response_deadline": proposal.response_deadline.isoformat() if proposal.response_deadline else None,
        },
    }


def _deadline_reminders(proposal: Proposal) -> None:
    dispute = proposal.dispute
    specs = []
    if proposal.response_deadline is not None and proposal.is_live:
        recipients = CaseTeamMember.objects.filter(dispute_id=dispute.pk, active=True).values_list(
            "user_id", flat=True
        )
        specs = specs_proposal_response(
            proposal_id=proposal.pk, deadline=proposal.response_deadline,
            title=str(proposal.issue.title), dispute_id=dispute.pk, dispute_reference=dispute.reference,
            recipients=list(recipients), rules=reminder_rules_for(organisation=dispute.organisation),
            venue_tz=proposal.tabled_in.time_zone if proposal.tabled_in_id else "",
            target_type=PROPOSAL_TARGET,
        )
    reminders_replace_for(organisation=dispute.organisation, target_type=PROPOSAL_TARGET, target_id=proposal.pk,
                          specs=specs)


def proposal_tabled(*, proposal: Proposal) -> None:
    _deadline_reminders(proposal)
    webhook_emit(dispute_id=proposal.dispute_id, event="proposal.tabled", payload=_payload(proposal))


def proposal_deadline_changed(*, proposal: Proposal) -> None:
    _deadline_reminders(proposal)


def proposal_considered(*, proposal: Proposal) -> None:
    """Under consideration is not an answer: the response deadline still stands."""


def proposal_answered(*, proposal: Proposal) -> None:
    """Accepted, rejected, withdrawn or superseded: nobody owes it a response any more."""
    reminders_cancel_for(target_type=PROPOSAL_TARGET, target_id=proposal.pk)
    webhook_emit(dispute_id=proposal.dispute_id, event="proposal.answered", payload=_payload(proposal))


def _reach_proposals(*, actor: Actor, target_ids: list[int]) -> dict[int, dict]:
    """Send time (apps/reminders/audience.py): the case team members who still see the proposal, told
    the issue's current title."""
    from apps.negotiations.selectors import proposals_visible

    rows = proposals_visible(actor=actor).filter(pk__in=target_ids, dispute__in=dispute_ids_on_team(actor=actor))
    return {pk: {"title": title, "dispute_reference": reference}
            for pk, title, reference in rows.values_list("pk", "issue__title", "dispute__reference")}


audience_register(PROPOSAL_TARGET, _reach_proposals)
