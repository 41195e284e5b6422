"""The soak's dispatcher loop: what Celery beat does every minute, every second instead.

Claims due reminders (reminders_dispatch) and re-enqueues webhook deliveries whose task was lost
(webhook_sweep). A database or broker outage is logged and the loop goes on, as beat would.
"""

from __future__ import annotations

import logging
import os
import signal
import time

import django

django.setup()

from django.db import close_old_connections  # noqa: E402

from apps.reminders.services import reminders_dispatch  # noqa: E402
from apps.webhooks.services import webhook_sweep  # noqa: E402

logger = logging.getLogger("soak.dispatcher")
running = True


def _stop(_signum, _frame) -> None:
    global running
    running = False


def main() -> None:
    signal.signal(signal.SIGTERM, _stop)
    interval = float(os.environ.get("SOAK_DISPATCH_INTERVAL", "1"))
    while running:
        close_old_connections()  # the health check of CONN_HEALTH_CHECKS, outside a request
        for name, call in (("reminders", reminders_dispatch), ("webhooks", webhook_sweep)):
            try:
                call()
            except Exception as exc:  # an outage: try again next tick
                logger.warning("dispatcher: %s tick failed: %s", name, str(exc).splitlines()[0][:200])
        time.sleep(interval)


if __name__ == "__main__":
    main()
