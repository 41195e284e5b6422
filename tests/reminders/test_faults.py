"""Faults: a flaky or dead mail server, two dispatchers at once, Redis away, a worker killed mid-batch."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.utils import timezone

from apps.reminders import services
from apps.reminders.models import EmailDelivery, Notification, Reminder
from peacecase.celery import app as celery_app
from tests.factories import OrganisationFactory, UserFactory
from tests.factories.reminders import ReminderFactory
from tests.reminders.backends import FlakyBackend

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)


def use_backend(settings, path: str) -> None:
    settings.MAILERS = {"default": {"BACKEND": path}}


def test_a_mail_server_that_fails_twice_then_recovers_delivers_once(settings, schedule, users, run_due):
    use_backend(settings, "tests.reminders.backends.FlakyBackend")
    FlakyBackend.calls, FlakyBackend.failures = 0, 2
    reminder = schedule(recipients=users[:1])
    now = timezone.now()
    assert run_due(now=now) == ["retry"]
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == ("pending", 1)
    assert reminder.next_attempt_at == now + dt.timedelta(minutes=1)
    assert "SMTP server unavailable" in reminder.last_error
    assert run_due(now=now + dt.timedelta(seconds=30)) == []  # backing off
    assert run_due(now=now + dt.timedelta(minutes=1)) == ["retry"]
    assert run_due(now=now + dt.timedelta(minutes=4)) == ["sent"]
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts, reminder.last_error) == ("sent", 3, "")
    assert len(mail.outbox) == 1
    delivery = EmailDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("sent", 3)
    assert Notification.objects.count() == 1  # the in-app notice went out on the first attempt, once


def test_a_mail_server_that_always_fails_ends_in_failed_after_max_attempts(settings, schedule, users, run_due):
    use_backend(settings, "tests.reminders.backends.BrokenBackend")
    reminder = schedule(recipients=users[:1])
    now = timezone.now()
    outcomes = []
    for attempt in range(services.MAX_ATTEMPTS + 2):
        outcomes += run_due(now=now + dt.timedelta(hours=attempt))
    assert outcomes == ["retry"] * (services.MAX_ATTEMPTS - 1) + ["failed"]
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == ("failed", services.MAX_ATTEMPTS)
    assert "SMTP server unavailable" in reminder.last_error
    assert EmailDelivery.objects.get().status == "failed"


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_once_claim_each_reminder_once(monkeypatch):
    org, user = OrganisationFactory(), UserFactory()
    expected = {ReminderFactory(organisation=org, recipients=[user]).pk for _ in range(300)}
    claimed: list[int] = []
    lock = threading.Lock()

    def record(*, ids, now):
        with lock:
            claimed.extend(ids)
        return {"enqueued": len(ids), "refused": 0}

    monkeypatch.setattr(services, "_enqueue", record)
    barrier = threading.Barrier(4)

    def dispatcher():
        try:
            barrier.wait()
            services.reminders_dispatch(batch_size=10, max_batches=100)
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatcher) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(claimed) == len(set(claimed)) == 300
    assert set(claimed) == expected
    assert set(Reminder.objects.values_list("status", "attempts")) == {("sending", 1)}


@contextlib.contextmanager
def broker_at(url: str):
    """Point the project's Celery app at another broker, dropping its pooled connections."""
    old = celery_app.conf.broker_url
    celery_app.conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    try:
        yield
    finally:
        celery_app.conf.broker_url = old
        celery_app._pool = None
        celery_app.amqp._producer_pool = None


@pytest.fixture
def purged_queue():
    with celery_app.connection_for_write() as conn:
        conn.default_channel.queue_purge("celery")


def wait_for(condition, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_scheduling_and_dispatch_do_not_hang_while_redis_is_down_and_catch_up_after(
    schedule, users, session_of, purged_queue
):
    from celery.contrib.testing.worker import start_worker

    with broker_at("redis://127.0.0.1:1/0"):
        started = time.monotonic()
        for n in range(5):
            schedule(key=f"session:1:upcoming:{n}", due_at=timezone.now() - dt.timedelta(seconds=1),
                     target_id=session_of(f"Session {n}").pk)
        assert services.reminders_dispatch() == 0
        # A bound, not a speed test: nothing here may wait on the broker indefinitely.
        assert time.monotonic() - started < 10
    assert set(Reminder.objects.values_list("status", "attempts")) == {("pending", 0)}

    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        # The refused rows were put back to retry a minute later; the next beat tick after that:
        assert services.reminders_dispatch(now=timezone.now() + services.ENQUEUE_RETRY) == 5
        assert wait_for(lambda: Reminder.objects.filter(status="sent").count() == 5)
    assert Notification.objects.count() == 15
    assert len(mail.outbox) == len({(m.to[0], m.subject) for m in mail.outbox}) == 15


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_every_due_reminder_exactly_once(org, users, session_of, purged_queue):
    from celery.contrib.testing.worker import start_worker

    for n in range(10):
        ReminderFactory(organisation=org, recipients=users, key=f"w:{n}", target=session_of(f"Session {n}"))
    ReminderFactory(organisation=org, recipients=users, key="future", due_at=timezone.now() + dt.timedelta(hours=1),
                    target=session_of("Later"))
    started = time.monotonic()
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        assert services.reminders_dispatch() == 10
        assert services.reminders_dispatch() == 0  # a second tick finds nothing more to claim
        assert wait_for(lambda: Reminder.objects.filter(status="sent").count() == 10)
        elapsed = time.monotonic() - started
    print(f"\n10 reminders x 3 recipients through one solo worker in {elapsed:.2f} s")
    assert Reminder.objects.get(key="future").status == "pending"
    assert Notification.objects.count() == 30
    assert len(mail.outbox) == 30
    assert len({(m.to[0], m.subject) for m in mail.outbox}) == 30


def _worker_env(mail_dir: Path, delay: str) -> dict[str, str]:
    db = connection.settings_dict
    host = quote(db["HOST"] or "127.0.0.1", safe="")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    env = os.environ | {
        "DATABASE_URL": f"postgres://{db['USER']}@{host}{port}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "tests.reminders.worker_settings",
        "PEACECASE_TESTING": "1",
        "PEACECASE_TEST_MAIL_DIR": str(mail_dir),
        "PEACECASE_REMINDERS_TEST_DELIVERY_DELAY": delay,
    }
    return env


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "peacecase", "worker", "-P", "solo", "--without-heartbeat",
         "--without-gossip", "--without-mingle", "-l", "WARNING"],
        cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(
    org, users, session_of, purged_queue, tmp_path, monkeypatch
):
    mail_dir, log = tmp_path / "mail", tmp_path / "worker.log"
    mail_dir.mkdir()
    for n in range(6):
        ReminderFactory(organisation=org, recipients=users, key=f"k:{n}", target=session_of(f"Session {n}"))
    # Three tasks of two reminders (six e-mails each), so the kill lands inside the first batch
    # while two more wait in the queue.
    monkeypatch.setattr(services, "DELIVERY_CHUNK", 2)
    env = _worker_env(mail_dir, delay="1.0")
    worker = _start_worker(env, log)
    try:
        assert services.reminders_dispatch() == 6
        sent = EmailDelivery.objects.filter(status="sent")
        assert wait_for(lambda: sent.count() >= 4, timeout=60), log.read_text()
        # The 4th e-mail was sent and committed; the pause before the 5th has begun. Kill inside
        # it, not in the millisecond between the mail server's acceptance and the commit (the one
        # place an e-mail can go twice).
        time.sleep(0.4)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        assert sent.count() == 4, "the worker was not killed between two e-mails"
        # The first batch's notices were committed at once, before its first e-mail; nothing else yet.
        assert Notification.objects.count() == 6
        assert Reminder.objects.filter(status="sending").count() == 6

        worker = _start_worker(env | {"PEACECASE_REMINDERS_TEST_DELIVERY_DELAY": "0"}, log)
        # The queued batches run at once; the two reminders the dead worker held wait for their lease.
        assert wait_for(lambda: Reminder.objects.filter(status="sent").count() == 4, timeout=60), log.read_text()
        assert set(Reminder.objects.filter(status="sending").values_list("key", flat=True)) == {"k:0", "k:1"}
        assert services.reminders_dispatch() == 0  # their lease has not run out yet
        assert services.reminders_dispatch(now=timezone.now() + services.LEASE + dt.timedelta(seconds=1)) == 2
        assert wait_for(lambda: Reminder.objects.filter(status="sent").count() == 6, timeout=60), log.read_text()
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()

    assert Notification.objects.count() == 18
    assert EmailDelivery.objects.filter(status="sent").count() == 18
    assert set(EmailDelivery.objects.values_list("attempts", flat=True)) == {1}
    sent = "".join(p.read_text() for p in mail_dir.iterdir())
    for n in range(6):
        # The body names the session ("quoted" in quoted-printable); the subject is folded and encoded.
        assert sent.count(f"The session =E2=80=9CSession {n}=E2=80=9D (PC-2026-0042)") == 3, sent
    for user in users:
        assert sent.count(f"To: {user.email}\n") == 6, sent
    assert set(Reminder.objects.values_list("attempts", flat=True)) == {1, 2}
