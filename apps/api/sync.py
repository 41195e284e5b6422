"""Lossless incremental sync: the watermark every list returns, and the feed of ids that left the
caller's view (``GET /api/v1/changes/``).

The watermark is the moment before which every change is already visible: the earlier of now and
the start of the oldest transaction still open in this database, minus a safety margin for clock
differences between the web servers (which stamp ``updated_at``) and PostgreSQL. A row written by a
transaction still open during a pull has ``updated_at`` at or after its transaction's start, so at or
after the watermark: the next pull, ``updated_since=<watermark>``, returns it. It is read *before*
the page's rows (a statement of its own), so a transaction that commits between the two is counted.

What left the caller's view is in apps/api/changes.py.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection

SAFETY_MARGIN = dt.timedelta(seconds=5)


_WATERMARK_SQL = """
SELECT LEAST(clock_timestamp(), COALESCE(MIN(xact_start), 'infinity'))
FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL
  AND backend_type = 'client backend'
"""


def sync_watermark() -> dt.datetime:
    """The next ``updated_since`` for a pull that reads the database from now on (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(_WATERMARK_SQL)
        (oldest,) = cursor.fetchone()
    return (oldest - SAFETY_MARGIN).astimezone(dt.UTC).replace(microsecond=0)


def format_watermark(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

