import secrets

from django.core.management.base import BaseCommand

from apps.dashboard import demo


class Command(BaseCommand):
    help = "Create the demo organisations, people and portfolio (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--password", help="password for every demo user (default: a printed random one)")

    def handle(self, *args, **options):
        password = options["password"] or secrets.token_urlsafe(12)
        demo.seed_people(password=password)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        if not options["password"]:
            self.stdout.write(f"Password of new demo users: {password}")
