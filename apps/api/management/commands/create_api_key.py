from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.accounts.models import Organisation
from apps.api.models import OrganisationAPIKey
from apps.api.services import api_key_create
from apps.common.errors import ApplicationError


class Command(BaseCommand):
    help = "Create an API key for an organisation and print it once (only its hash is stored)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", required=True, help="The organisation's slug.")
        parser.add_argument("--name", required=True, help="What the key is for, e.g. the partner's system.")
        parser.add_argument("--scope", choices=OrganisationAPIKey.Scope.values, default=OrganisationAPIKey.Scope.READ)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organisation = Organisation.objects.get(slug=options["organisation"])
        except Organisation.DoesNotExist as exc:
            raise CommandError(f"No organisation with slug {options['organisation']!r}.") from exc
        try:
            api_key, raw_key = api_key_create(
                actor=None, organisation=organisation, name=options["name"], scope=options["scope"]
            )
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stderr.write(
            f"Created {api_key.scope} key {api_key.name!r} for {organisation.slug} (prefix {api_key.prefix}). "
            "It is shown once; store it now."
        )
        self.stdout.write(raw_key)
