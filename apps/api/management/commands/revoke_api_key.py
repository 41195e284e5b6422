from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.api.models import OrganisationAPIKey
from apps.api.services import api_key_revoke


class Command(BaseCommand):
    help = "Revoke an API key for good, by its prefix (the part before the dot, shown in the settings page)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("prefix", help="The key's prefix, or the whole key (only the prefix is used).")
        parser.add_argument("--organisation", required=True,
                            help="The organisation's slug (a check that the right key is revoked).")

    def handle(self, *args: Any, **options: Any) -> None:
        prefix = options["prefix"].strip().partition(".")[0]
        api_key = OrganisationAPIKey.objects.select_related("organisation").filter(
            prefix=prefix, organisation__slug=options["organisation"]).first()
        if api_key is None:
            raise CommandError(f"No key with prefix {prefix!r} in organisation {options['organisation']!r}.")
        if api_key.revoked:
            self.stderr.write(f"Key {api_key.prefix} ({api_key.name!r}) was already revoked.")
            return
        api_key_revoke(actor=None, api_key=api_key)
        self.stdout.write(f"Revoked key {api_key.prefix} ({api_key.name!r}) of {api_key.organisation.slug}.")
