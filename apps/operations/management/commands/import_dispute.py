"""python manage.py import_dispute FILE --organisation SLUG"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.accounts.models import Organisation
from apps.common.errors import ApplicationError
from apps.operations.services import dispute_archive_import


class Command(BaseCommand):
    help = "Restore a dispute archive (from export_dispute) into an organisation that does not have its reference."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the JSON archive")
        parser.add_argument("--organisation", required=True, help="the target organisation's slug")

    def handle(self, *args, file: str, organisation: str, **options):
        org = Organisation.objects.filter(slug=organisation).first()
        if org is None:
            raise CommandError(f"No organisation {organisation!r}.")
        try:
            archive = json.loads(Path(file).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        try:
            dispute = dispute_archive_import(organisation=org, archive=archive)
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(f"Imported {dispute.reference} into {org.slug} (dispute #{dispute.pk}).")
