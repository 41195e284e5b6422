"""Everything agreements tell the layers below them: reminders and webhooks.

Called by services.py inside their transaction, so a reminder or an outbox row commits or
rolls back with the change it is about (DESIGN.md §4). Both apps sit below the domain and
never import agreements; the target is named by "agreements.provision" and an id.
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
    specs_provision_deadline,
)
from apps.webhooks.services import webhook_emit

if TYPE_CHECKING:
    from apps.accounts.actors import Actor
    from apps.agreements.models import Agreement, ImplementationAssessment, Provision

PROVISION_TARGET = "agreements.provision"
# Deadlines on an agreement that no longer binds anyone remind nobody.
_DEAD_STATUSES = ("terminated", "superseded")


def _team(dispute_id: int) -> tuple[list[int], str]:
    """Active case team (the recipients) and the lead mediator's time zone (where the day falls)."""
    rows = list(
        CaseTeamMember.objects.filter(dispute_id=dispute_id, active=True).values_list(
            "user_id", "role", "user__time_zone"
        )
    )
    tz = next((zone for _uid, role, zone in rows if role == CaseTeamMember.Role.LEAD_MEDIATOR), "") or "UTC"
    return [uid for uid, _role, _zone in rows], tz


def _provision_title(agreement_title: str, label: str, text: str) -> str:
    return f"{agreement_title}: {label} {text[:80]}".strip()


def provision_reminders_sync(*, provision: Provision, current_score: int | None) -> None:
    """Make the provision's pending reminders match its deadline: create, move or cancel."""
    agreement = provision.agreement
    if provision.deadline is None or current_score == 3 or agreement.status in _DEAD_STATUSES:
        reminders_cancel_for(target_type=PROVISION_TARGET, target_id=provision.pk)
        return
    recipients, tz = _team(agreement.dispute_id)
    dispute = agreement.dispute
    specs = specs_provision_deadline(
        provision_id=provision.pk,
        deadline=provision.deadline,
        tz=tz,
        title=_provision_title(agreement.title, provision.label, provision.text),
        dispute_id=dispute.pk,
        dispute_reference=dispute.reference,
        recipients=recipients,
        rules=reminder_rules_for(organisation=agreement.organisation),
        target_type=PROVISION_TARGET,
    )
    reminders_replace_for(
        organisation=agreement.organisation, target_type=PROVISION_TARGET, target_id=provision.pk, specs=specs
    )


def provision_reminders_cancel(*, provision_id: int) -> None:
    reminders_cancel_for(target_type=PROVISION_TARGET, target_id=provision_id)


def agreement_signed(*, agreement: Agreement) -> None:
    webhook_emit(
        dispute_id=agreement.dispute_id,
        event="agreement.signed",
        payload={
            "agreement": {"id": agreement.pk, "type": agreement.type, "status": agreement.status,
                          "signed_on": agreement.signed_on.isoformat() if agreement.signed_on else None},
            "dispute": {"id": agreement.dispute_id, "reference": agreement.dispute.reference},
        },
    )


def assessment_recorded(*, assessment: ImplementationAssessment, current_score: int | None) -> None:
    provision = assessment.provision
    agreement = provision.agreement
    webhook_emit(
        dispute_id=agreement.dispute_id,
        event="provision.assessment_recorded",
        payload={
            "assessment": {"id": assessment.pk, "score": assessment.score,
                           "assessed_on": assessment.assessed_on.isoformat()},
            "provision": {"id": provision.pk, "label": provision.label, "category": provision.category,
                          "current_score": current_score},
            "agreement": {"id": agreement.pk},
            "dispute": {"id": agreement.dispute_id, "reference": agreement.dispute.reference},
        },
    )


def _reach_provisions(*, actor: Actor, target_ids: list[int]) -> dict[int, dict]:
    """Send time (apps/reminders/audience.py): the case team members who still see the provision, told
    its current wording."""
    from apps.agreements.selectors import provision_list

    rows = provision_list(actor=actor).filter(pk__in=target_ids,
                                              agreement__dispute__in=dispute_ids_on_team(actor=actor))
    return {
        pk: {"title": _provision_title(agreement_title, label, text), "dispute_reference": reference}
        for pk, agreement_title, label, text, reference in rows.values_list(
            "pk", "agreement__title", "label", "text", "agreement__dispute__reference")
    }


audience_register(PROVISION_TARGET, _reach_provisions)
