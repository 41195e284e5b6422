#!/usr/bin/env python
"""Django's command-line utility for PeaceCase."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peacecase.settings")
    if os.environ.get("DJANGO_DEBUG", "").lower() in ("1", "true", "yes", "on") or os.environ.get(
            "PEACECASE_EMBEDDED", "").lower() in ("1", "true", "yes", "on"):
        # Development only: the embedded servers under var/ when no DATABASE_URL / REDIS_URL is set.
        from peacecase.devservers import ensure_environment

        ensure_environment()
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        sys.exit(f"PeaceCase is not configured: {exc}")
    except OperationalError as exc:
        # One line naming the database (password hidden), not a traceback wall.
        from django.conf import settings

        from peacecase.devservers import redact_url

        url = redact_url(settings.DATABASE_URL)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        sys.exit(f"PeaceCase cannot reach the database at {url}: {first}")


if __name__ == "__main__":
    main()
