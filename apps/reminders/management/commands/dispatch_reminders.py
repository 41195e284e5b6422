from __future__ import annotations

from django.core.management.base import BaseCommand

from apps.reminders.services import BATCH_SIZE, reminders_dispatch


class Command(BaseCommand):
    help = "Claim due reminders and enqueue their delivery (what Celery beat runs every minute)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)

    def handle(self, *args, batch_size: int, **options) -> None:
        count = reminders_dispatch(batch_size=batch_size)
        self.stdout.write(f"{count} reminder(s) enqueued")
