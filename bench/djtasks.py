"""The benchmark's in-process measurements, run by bench/run.py as ``python bench/djtasks.py TASK``
with the benchmark database in DATABASE_URL. Each task prints one JSON object on its last line.

- ``prepare``: give the bench user a password (BENCH_PASSWORD) and return ids the run needs.
- ``queries``: queries per request for each URL at page sizes 10 and 200 (Django's test client
  in this process, ``CaptureQueriesContext``); API URLs with the API key, pages as the bench user.
- ``claim``: the reminder dispatcher's claim of a batch among all reminders (timed, rolled back)
  and the EXPLAIN ANALYZE of its query.
- ``dispatch``: claim and enqueue N due reminders for the Celery worker run.py started.
- ``delivered``: how many of the given reminders are sent, and the last sent_at.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peacecase.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from apps.accounts.models import User  # noqa: E402
from apps.reminders import services as reminder_services  # noqa: E402
from apps.reminders.models import Reminder  # noqa: E402

BENCH_USER_EMAIL = "bench@bench.example"


def prepare() -> dict:
    user = User.objects.get(email=BENCH_USER_EMAIL)
    user.set_password(os.environ["BENCH_PASSWORD"])
    user.save(update_fields=["password"])
    return {"user_id": user.pk}


def _with_size(url: str, size: int) -> str:
    return f"{url}{'&' if '?' in url else '?'}page_size={size}"


def queries(spec: dict) -> dict:
    """spec: {"api_key": ..., "api": {name: url}, "pages": {name: url}}; pages take page_size too."""
    out: dict[str, dict] = {}
    api = Client(headers={"Authorization": f"Api-Key {spec['api_key']}"})
    web = Client()
    web.force_login(User.objects.get(email=BENCH_USER_EMAIL))
    for kind, client in (("api", api), ("pages", web)):
        for name, url in spec.get(kind, {}).items():
            row: dict = {}
            client.get(_with_size(url, 10))  # warm caches (content types, the session's organisation)
            for size in (10, 200):
                with CaptureQueriesContext(connection) as ctx:
                    response = client.get(_with_size(url, size))
                row[str(size)] = len(ctx.captured_queries)
                row[f"status_{size}"] = response.status_code
                if size == 200:
                    row["sql_200"] = [q["sql"][:300] for q in ctx.captured_queries]
            out[name] = row
    return out


def _claim_sql(now, batch_size: int) -> tuple[str, tuple]:
    qs = (
        Reminder.objects.select_for_update(skip_locked=True)
        .filter(status__in=reminder_services.ACTIVE, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", "attempts")[:batch_size]
    )
    sql, params = qs.query.sql_with_params()
    return sql, params


class _Rollback(Exception):
    pass


def claim(batch_size: int = 500, repeats: int = 7) -> dict:
    """The dispatcher's own claim (_claim_batch: SELECT ... FOR UPDATE SKIP LOCKED, then the UPDATE
    that leases the rows), timed inside a transaction that is rolled back, so every repeat claims
    the same due rows among all reminders."""
    now = timezone.now()
    timings, selects, claimed = [], [], 0
    for _ in range(repeats):
        try:
            with transaction.atomic():
                t0 = time.perf_counter()
                ids = reminder_services._claim_batch(now=now, batch_size=batch_size)
                timings.append((time.perf_counter() - t0) * 1000)
                claimed = len(ids)
                raise _Rollback
        except _Rollback:
            pass
        # The SELECT ... FOR UPDATE SKIP LOCKED alone, to tell it from the UPDATE that leases the rows.
        with transaction.atomic():
            t0 = time.perf_counter()
            list(
                Reminder.objects.select_for_update(skip_locked=True)
                .filter(status__in=reminder_services.ACTIVE, next_attempt_at__lte=now)
                .order_by("next_attempt_at")
                .values_list("pk", "attempts")[:batch_size]
            )
            selects.append((time.perf_counter() - t0) * 1000)
            transaction.set_rollback(True)
    with transaction.atomic(), connection.cursor() as cur:
        sql, params = _claim_sql(now, batch_size)
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = "\n".join(r[0] for r in cur.fetchall())
        transaction.set_rollback(True)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*), count(*) FILTER (WHERE status IN ('pending','sending') AND next_attempt_at <= %s)"
                    " FROM reminders_reminder", [now])
        total, due = cur.fetchone()
    return {
        "batch_size": batch_size, "claimed": claimed, "reminders": total, "due": due,
        "ms_median": round(statistics.median(timings), 2), "ms_min": round(min(timings), 2),
        "select_ms_median": round(statistics.median(selects), 2),
        "ms_all": [round(t, 2) for t in timings],
        "plan": plan, "index_scan": "Index Scan" in plan or "Index Only Scan" in plan,
    }


def dispatch(count: int, batch_size: int = 500) -> dict:
    t0 = time.perf_counter()
    started = timezone.now()
    enqueued = reminder_services.reminders_dispatch(batch_size=batch_size, max_batches=max(1, count // batch_size))
    ids = list(
        Reminder.objects.filter(status=Reminder.Status.SENDING, updated_at__gte=started).values_list("pk", flat=True)
    )
    return {"enqueued": enqueued, "ids": ids, "started": started.isoformat(),
            "seconds": round(time.perf_counter() - t0, 3)}


def deliver_inprocess(count: int = 50) -> dict:
    """reminder_deliver called in a loop in this one process (no broker): the service's own cost."""
    now = timezone.now()
    ids = list(
        Reminder.objects.filter(status=Reminder.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at").values_list("pk", flat=True)[:count]
    )
    Reminder.objects.filter(pk__in=ids).update(status=Reminder.Status.SENDING, attempts=1)
    outcomes: dict[str, int] = {}
    with CaptureQueriesContext(connection) as ctx:
        t0 = time.perf_counter()
        for pk in ids:
            outcome = reminder_services.reminder_deliver(reminder_id=pk, now=now)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        seconds = time.perf_counter() - t0
    return {
        "reminders": len(ids), "outcomes": outcomes, "seconds": round(seconds, 3),
        "per_second": round(len(ids) / seconds, 1) if seconds else None,
        "queries_per_delivery": round(len(ctx.captured_queries) / max(1, len(ids)), 1),
        "commits_per_delivery": round(
            sum(1 for q in ctx.captured_queries if q["sql"].upper().startswith(("INSERT", "UPDATE", "RELEASE")))
            / max(1, len(ids)), 1),
    }


def delivered(ids: list[int]) -> dict:
    rows = Reminder.objects.filter(pk__in=ids)
    sent = rows.filter(status=Reminder.Status.SENT)
    last = sent.order_by("-sent_at").values_list("sent_at", flat=True).first()
    first = sent.order_by("sent_at").values_list("sent_at", flat=True).first()
    return {
        "sent": sent.count(), "failed": rows.filter(status=Reminder.Status.FAILED).count(),
        "first_sent_at": first.isoformat() if first else None, "last_sent_at": last.isoformat() if last else None,
    }


def main() -> None:
    task = sys.argv[1]
    arg = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    if task == "prepare":
        result = prepare()
    elif task == "queries":
        result = queries(arg)
    elif task == "claim":
        result = claim(**arg)
    elif task == "dispatch":
        result = dispatch(**arg)
    elif task == "deliver_inprocess":
        result = deliver_inprocess(**arg)
    elif task == "delivered":
        result = delivered(**arg)
    else:
        raise SystemExit(f"unknown task {task}")
    sys.stdout.write("\n" + json.dumps(result, default=str) + "\n")


if __name__ == "__main__":
    main()
