"""Whose integrations may read a dispute: the audience of its webhooks (DESIGN.md §3, §3b).

Webhooks sit below the domain and never import it; they reach these functions through
``settings.WEBHOOKS_AUDIENCE``. Nothing here restates a rule: an organisation's integration
receives an event exactly when a read-scoped API key of that organisation could fetch the
dispute through ``disputes_visible`` (so never a restricted dispute, never through a revoked
share). Webhook payloads never carry note text, so team-only content cannot travel at all.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from apps.accounts.actors import Actor, Role
from apps.accounts.models import Organisation
from apps.disputes.models import CaseShare, Dispute
from apps.disputes.selectors import disputes_visible

# Not a real key: the Actor only has to be "an API key of this organisation" for the selectors.
INTEGRATION_KEY_ID = "webhooks"


def integration_actor(*, organisation: Organisation) -> Actor:
    """The organisation's integrations, as a read-scoped API key of that organisation."""
    return Actor(
        organisation=organisation, role=Role.PARTNER, user=None, api_key_id=INTEGRATION_KEY_ID,
        api_key_name=_("webhooks"), scopes=frozenset({"read"}),
    )


def dispute_readable_by(*, organisation: Organisation, dispute_id: int) -> bool:
    return disputes_visible(actor=integration_actor(organisation=organisation)).filter(pk=dispute_id).exists()


def dispute_audience(*, dispute_id: int) -> list[int]:
    """Ids of the organisations whose integrations may read the dispute now.

    Candidates are the owner and the organisations holding any share row; the selector
    decides (revoked shares and restricted disputes fall out there, not here).
    """
    owner_id = Dispute.objects.filter(pk=dispute_id).values_list("organisation_id", flat=True).first()
    if owner_id is None:
        return []
    candidate_ids = {owner_id, *CaseShare.objects.filter(dispute_id=dispute_id).values_list(
        "organisation_id", flat=True)}
    return [
        organisation.pk
        for organisation in Organisation.objects.filter(pk__in=candidate_ids).order_by("pk")
        if dispute_readable_by(organisation=organisation, dispute_id=dispute_id)
    ]
