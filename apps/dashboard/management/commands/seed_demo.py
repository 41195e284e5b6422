import secrets
import time

from django.core.management.base import BaseCommand

from apps.dashboard import demo


class Command(BaseCommand):
    # Benchmark volume is bench/loader.py's job (`make bench`), not the demo's.
    help = "Create the demo organisations, people and portfolio (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--password", help="password for every demo user (default: a printed random one)")

    def handle(self, *args, **options):
        password = options["password"] or secrets.token_urlsafe(12)
        started = time.perf_counter()
        demo.seed_people(password=password)
        created = demo.seed_portfolio()
        for title in created:
            self.stdout.write(f"  created: {title}")
        self.stdout.write(self.style.SUCCESS(
            f"Demo data ready ({len(created)} disputes created, {time.perf_counter() - started:.1f} s)."
        ))
        if not options["password"]:
            self.stdout.write(f"Password of new demo users: {password}")
