"""Measure the reminder dispatcher and delivery at scale (not a test; run by hand).

Against a throwaway database (never the test or bench one), with the same row mix as
bench/loader.py (80 % sent, 4.5 % cancelled, 15 % pending later, 0.5 % pending and due)::

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/peacecase_remperf REDIS_URL=redis://127.0.0.1:6379/13
    export DJANGO_DEBUG=0 DJANGO_SECRET_KEY=... DJANGO_ALLOWED_HOSTS=127.0.0.1 \
        DJANGO_EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend
    python manage.py migrate
    python -m tests.reminders.measure load 1000000   # generate_series, about a minute
    python -m tests.reminders.measure claim           # claim 500 due among all rows, rolled back
    python -m tests.reminders.measure inprocess 200   # reminder_deliver per id, as bench/djtasks.py does
    python -m tests.reminders.measure batch 1000      # _deliver_batch on chunks, in this process
    python -m tests.reminders.measure worker 1000     # dispatch, one solo Celery worker delivers
    python -m tests.reminders.measure reset           # the due rows pending again, their notices gone

Each prints one JSON object.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peacecase.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from apps.accounts.models import Membership, Organisation, User  # noqa: E402
from apps.reminders import services  # noqa: E402
from apps.reminders.audience import audience_register  # noqa: E402
from apps.reminders.models import EmailDelivery, Notification, Reminder  # noqa: E402

USERS = 40
DUE_KEY = "perf:due:%"

# The rows name a synthetic target (no sessions are loaded); delivery re-checks access per recipient
# (apps/reminders/audience.py), so this lets every member through. The real checks cost one query per
# distinct recipient of a batch on top of what is measured here (plus one for the memberships, measured).
audience_register("mediation_sessions.session", lambda *, actor, target_ids: {t: {} for t in target_ids})


def load(rows: int = 1_000_000) -> dict:
    t0 = time.perf_counter()
    orgs = [Organisation.objects.get_or_create(slug=f"perf-{n}", defaults={"name": f"Perf {n}"})[0] for n in (1, 2)]
    zones = ["UTC", "America/New_York", "Asia/Kolkata", "Pacific/Auckland", "Europe/Berlin"]
    users = [
        User.objects.get_or_create(email=f"perf{n}@perf.example",
                                   defaults={"name": f"Perf {n}", "time_zone": zones[n % len(zones)]})[0]
        for n in range(USERS)
    ]
    for org in orgs:
        for user in users:
            Membership.objects.get_or_create(user=user, organisation=org, defaults={"role": "mediator"})
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("TRUNCATE reminders_reminder CASCADE")
        cur.execute(
            """
            INSERT INTO reminders_reminder (created_at, updated_at, kind, target_type, target_id, dispute_id,
                key, due_at, next_attempt_at, context, status, attempts, last_error, sent_at, organisation_id)
            SELECT now(), now(), 'session_upcoming', 'mediation_sessions.session', r, r %% 20000,
                   CASE WHEN x.due_now THEN 'perf:due:' ELSE 'perf:' END || r, x.due, x.due,
                   jsonb_build_object('title', 'Session ' || r, 'dispute_reference', 'PC-' || r %% 20000,
                                      'event_at', to_char(x.due, 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                                      'venue_tz', 'Europe/Berlin', 'url', '/disputes/' || r %% 20000 || '/'),
                   x.status, CASE WHEN x.status = 'sent' THEN 1 ELSE 0 END, '',
                   CASE WHEN x.status = 'sent' THEN x.due END, %s + r %% 2
            FROM generate_series(1, %s) r
            CROSS JOIN LATERAL (
                SELECT CASE WHEN r %% 1000 < 800 THEN 'sent' WHEN r %% 1000 < 845 THEN 'cancelled'
                            ELSE 'pending' END AS status,
                       r %% 1000 >= 995 AS due_now,
                       CASE WHEN r %% 1000 < 845 THEN now() - (r %% 5000) * interval '1 hour'
                            WHEN r %% 1000 < 995 THEN now() + (1 + r %% 5000) * interval '1 hour'
                            ELSE now() - (1 + r %% 50) * interval '1 minute' END AS due
            ) x
            """,
            [orgs[0].pk, rows],
        )
        cur.execute(
            """
            INSERT INTO reminders_reminderrecipient (reminder_id, user_id)
            SELECT r.id, (%s::bigint[])[1 + r.id %% %s] FROM reminders_reminder r WHERE r.status = 'pending'
            """,
            [[u.pk for u in users], USERS],
        )
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE reminders_reminder")
        cur.execute("VACUUM ANALYZE reminders_reminderrecipient")
    return {"rows": Reminder.objects.count(), "due": _due_count(), "seconds": round(time.perf_counter() - t0, 1)}


def _due_count() -> int:
    return Reminder.objects.filter(status__in=services.ACTIVE, next_attempt_at__lte=timezone.now()).count()


def reset() -> dict:
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM reminders_notification")
        cur.execute("DELETE FROM reminders_emaildelivery")
        cur.execute(
            "UPDATE reminders_reminder SET status = 'pending', attempts = 0, sent_at = NULL, last_error = '',"
            " next_attempt_at = due_at WHERE key LIKE %s AND status <> 'pending'",
            [DUE_KEY],
        )
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE reminders_reminder")
    return {"due": _due_count()}


class _Rollback(Exception):
    pass


def claim(batch_size: int = 500, repeats: int = 9) -> dict:
    """services._claim_batch timed inside a rolled-back transaction, as bench/djtasks.py does."""
    now = timezone.now()
    timings: list[float] = []
    claimed = 0
    for _ in range(repeats):
        try:
            with transaction.atomic():
                t0 = time.perf_counter()
                ids = services._claim_batch(now=now, batch_size=batch_size)
                timings.append((time.perf_counter() - t0) * 1000)
                claimed = len(ids)
                raise _Rollback
        except _Rollback:
            pass
    return {"claimed": claimed, "reminders": Reminder.objects.count(),
            "ms_median": round(statistics.median(timings), 2), "ms_all": [round(t, 1) for t in timings]}


def _lease(count: int) -> list[int]:
    ids = list(
        Reminder.objects.filter(status=Reminder.Status.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at").values_list("pk", flat=True)[:count]
    )
    Reminder.objects.filter(pk__in=ids).update(status=Reminder.Status.SENDING, attempts=1)
    return ids


def _report(ids: list[int], seconds: float, queries: int, outcomes: dict) -> dict:
    return {
        "reminders": len(ids), "outcomes": outcomes, "seconds": round(seconds, 3),
        "per_second": round(len(ids) / seconds, 1) if seconds else None,
        "queries_per_reminder": round(queries / max(1, len(ids)), 2),
        "notifications": Notification.objects.filter(reminder_id__in=ids).count(),
        "emails_sent": EmailDelivery.objects.filter(reminder_id__in=ids, status="sent").count(),
    }


def inprocess(count: int = 200) -> dict:
    """reminder_deliver(reminder_id=...) one by one: what bench/djtasks.py deliver_inprocess measures."""
    ids = _lease(count)
    now = timezone.now()
    outcomes: dict[str, int] = {}
    with CaptureQueriesContext(connection) as ctx:
        t0 = time.perf_counter()
        for pk in ids:
            outcome = services.reminder_deliver(reminder_id=pk, now=now)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        seconds = time.perf_counter() - t0
    return _report(ids, seconds, len(ctx.captured_queries), outcomes)


def batch(count: int = 1000) -> dict:
    """_deliver_batch on chunks of DELIVERY_CHUNK ids, as one worker's tasks would run them."""
    ids = _lease(count)
    now = timezone.now()
    outcomes: dict[str, int] = {}
    chunk = getattr(services, "DELIVERY_CHUNK", 1)
    with CaptureQueriesContext(connection) as ctx:
        t0 = time.perf_counter()
        for start in range(0, len(ids), chunk):
            for outcome in services._deliver_batch(reminder_ids=ids[start:start + chunk], now=now).values():
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
        seconds = time.perf_counter() - t0
    return _report(ids, seconds, len(ctx.captured_queries), outcomes) | {"chunk": chunk}


def worker(count: int = 1000) -> dict:
    """As bench/run.py measures: dispatch ``count`` due reminders, one solo worker, sent / (last sent_at - start)."""
    log = Path(os.environ.get("TMPDIR", "/tmp")) / "remperf-worker.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "peacecase", "worker", "--pool=solo", "--concurrency=1",
         "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )
    try:
        time.sleep(5)
        started = timezone.now()
        enqueued = services.reminders_dispatch(batch_size=500, max_batches=max(1, count // 500))
        ids = list(Reminder.objects.filter(status=Reminder.Status.SENDING, updated_at__gte=started)
                   .values_list("pk", flat=True))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            done = Reminder.objects.filter(pk__in=ids, status__in=["sent", "failed"]).count()
            if done >= len(ids):
                break
            time.sleep(0.5)
        sent = Reminder.objects.filter(pk__in=ids, status="sent")
        last = sent.order_by("-sent_at").values_list("sent_at", flat=True).first()
        n = sent.count()
        span = (last - started).total_seconds() if last else None
        return {"dispatched": len(ids), "enqueued": enqueued, "sent": n,
                "per_second": round(n / span, 1) if span else None, "span_seconds": span and round(span, 2)}
    finally:
        proc.terminate()
        proc.wait(30)


def main() -> None:
    task, *args = sys.argv[1:]
    func = {"load": load, "reset": reset, "claim": claim, "inprocess": inprocess, "batch": batch,
            "worker": worker}[task]
    print(json.dumps(func(*(int(a) for a in args)), default=str))


if __name__ == "__main__":
    main()
