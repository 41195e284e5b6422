import secrets
import time

from django.core.management.base import BaseCommand, CommandError

from apps.dashboard import demo


class Command(BaseCommand):
    help = (
        "Create the demo organisations, people and portfolio (idempotent). With --scale F, also create "
        "benchmark volume in the 'scale' organisation by bulk inserts: F × (10,000 disputes, 200,000 sessions, "
        "50,000 provisions)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--password", help="password for every demo user (default: a printed random one)")
        parser.add_argument(
            "--scale", type=float, default=None, metavar="F",
            help="benchmark volume: 1 = 10,000 disputes, 200,000 sessions, 50,000 provisions; 0.1 a tenth",
        )

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
        if options["scale"] is not None:
            factor = options["scale"]
            if not 0 < factor <= 10:
                raise CommandError("--scale is a multiple of the benchmark volume, between 0 and 10 (1 = 10,000 "
                                   "disputes).")
            report = demo.seed_scale(factor=factor, password=password)
            for line in report.lines():
                self.stdout.write(line)
        if not options["password"]:
            self.stdout.write(f"Password of new demo users: {password}")
