"""python manage.py export_dispute REF --organisation SLUG --as EMAIL [--output FILE]"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.accounts.actors import Actor
from apps.accounts.models import Membership
from apps.operations.archive import dispute_archive_build, dispute_for_export


class Command(BaseCommand):
    help = (
        "Write one dispute, with everything the given member may see, as a JSON archive "
        "(team-only notes only when that member is on the case team)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("reference", help="the dispute's reference, e.g. PC-2026-0042")
        parser.add_argument("--organisation", required=True, help="the organisation's slug")
        parser.add_argument("--as", dest="as_email", required=True, metavar="EMAIL",
                            help="export what this member may see")
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")

    def handle(self, *args, reference: str, organisation: str, as_email: str, output: str | None, **options):
        membership = (
            Membership.objects.filter(organisation__slug=organisation, user__email__iexact=as_email.strip(),
                                      user__is_active=True)
            .select_related("organisation", "user")
            .first()
        )
        if membership is None:
            raise CommandError(f"{as_email} is not an active member of organisation {organisation!r}.")
        actor = Actor.for_membership(membership)
        dispute = dispute_for_export(actor=actor, reference=reference)
        if dispute is None:
            # The same answer whether the dispute does not exist or the member may not see it.
            raise CommandError(f"No dispute {reference} visible to {as_email} in {organisation!r}.")
        archive = dispute_archive_build(actor=actor, dispute=dispute)
        text = json.dumps(archive, ensure_ascii=False, indent=1)
        if output:
            Path(output).write_text(text + "\n", encoding="utf-8")
            included = "included" if archive["team_only_notes_included"] else "NOT included"
            self.stderr.write(f"Wrote {dispute.reference} to {output} (team-only notes {included}).")
        else:
            sys.stdout.write(text + "\n")
