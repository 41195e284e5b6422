from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.actors import WRITING_ROLES
from apps.accounts.models import Membership, Organisation, User
from apps.agreements.importers.runner import FORMATS, FileError, import_file


class Command(BaseCommand):
    help = (
        "Import the UCDP Peace Agreement Dataset or the PA-X Peace Agreements Database (CSV) into an "
        "organisation: parties, disputes, agreements, signatories, third parties and provisions. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the CSV file")
        parser.add_argument("--format", required=True, choices=sorted(FORMATS), dest="source")
        parser.add_argument("--organisation", required=True, help="slug of the organisation to import into")
        parser.add_argument("--dry-run", action="store_true", help="read and check everything, save nothing")
        parser.add_argument(
            "--lead", help="e-mail of the lead mediator of new disputes (default: the organisation's first admin)"
        )

    def handle(self, *args, **options):
        organisation = Organisation.objects.filter(slug=options["organisation"]).first()
        if organisation is None:
            raise CommandError(f"No organisation with the slug {options['organisation']!r}.")
        lead = self._lead(organisation, options.get("lead"))
        try:
            report = import_file(path=options["path"], source=options["source"], organisation=organisation,
                                 lead=lead, dry_run=options["dry_run"])
        except FileError as exc:
            raise CommandError(str(exc)) from exc
        for line, reason in report.errors:
            self.stderr.write(f"line {line}: {reason}")
        style = self.style.WARNING if report.failed else self.style.SUCCESS
        self.stdout.write(style(report.summary()))

    def _lead(self, organisation: Organisation, email: str | None) -> User:
        members = Membership.objects.filter(organisation=organisation, role__in=WRITING_ROLES).select_related("user")
        if email:
            membership = members.filter(user__email__iexact=email).first()
            if membership is None:
                raise CommandError(f"{email} is not an admin, mediator or case officer of {organisation.slug}.")
            return membership.user
        membership = members.filter(role=Membership.Role.ADMIN).order_by("id").first() or members.order_by(
            "id"
        ).first()
        if membership is None:
            raise CommandError(f"{organisation.slug} has no admin or mediator to lead the imported disputes.")
        return membership.user
