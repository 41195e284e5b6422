from __future__ import annotations

from apps.accounts.models import Organisation
from apps.api.models import OrganisationAPIKey


def make_api_key(
    organisation: Organisation, *, scope: str = "read", name: str = "partner"
) -> tuple[OrganisationAPIKey, str]:
    """An API key and its raw value (keys are made by the library's manager, not by a factory_boy
    factory, because the raw key exists only at creation)."""
    return OrganisationAPIKey.objects.create_key(organisation=organisation, name=name, scope=scope)
