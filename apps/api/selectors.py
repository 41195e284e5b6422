"""Reads of the api app: an organisation's API keys, for its admins only."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.accounts.actors import Actor
from apps.api.models import OrganisationAPIKey


def api_key_list(*, actor: Actor) -> QuerySet[OrganisationAPIKey]:
    """The organisation's keys, newest first; nothing for anyone but its signed-in admins."""
    if not actor.is_admin:  # never true for an API key: keys never see or manage keys
        return OrganisationAPIKey.objects.none()
    return OrganisationAPIKey.objects.filter(organisation=actor.organisation).select_related(
        "created_by").order_by("-created")
