"""Batch delivery: constant queries, each e-mail once under two runners, a dead mail server stops the batch."""

from __future__ import annotations

import smtplib
import threading
import time

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection

from apps.reminders import services
from apps.reminders.models import EmailDelivery, Notification, NotificationPreference, Reminder
from tests.factories import OrganisationFactory, UserFactory
from tests.factories.reminders import ReminderFactory, reminder_team
from tests.factories.sessions import MediationSessionFactory

pytestmark = pytest.mark.django_db


def claimed(org, users, count: int) -> list[int]:
    """``count`` claimed reminders, each about its own session of a dispute whose team is ``users``."""
    dispute = reminder_team(org, users)
    ids = [ReminderFactory(organisation=org, recipients=users, target=MediationSessionFactory(dispute=dispute)).pk
           for _ in range(count)]
    Reminder.objects.filter(pk__in=ids).update(status="sending", attempts=1)
    return ids


@pytest.mark.parametrize("count", [2, 8])
def test_a_batch_of_in_app_notices_takes_the_same_queries_whatever_its_size(org, users, count,
                                                                              django_assert_num_queries):
    for user in users:
        NotificationPreference.objects.create(user=user, email=False)
    ids = claimed(org, users, count)
    # reminders, rules, recipients with preferences; their memberships, then one access check per recipient
    # (not per reminder); savepoint, notices, release; the reminders marked sent.
    with django_assert_num_queries(7 + 1 + 3):
        outcomes = services._deliver_batch(reminder_ids=ids)
    assert outcomes == dict.fromkeys(ids, "sent")
    assert Notification.objects.count() == 3 * count
    assert mail.outbox == []


@pytest.mark.parametrize("count", [2, 8])
def test_a_batch_with_emails_adds_only_one_short_transaction_per_email(org, users, count, django_assert_num_queries):
    ids = claimed(org, users, count)
    # As above plus the e-mail rows' insert and read-back, then per e-mail: savepoint, mark sent, release.
    with django_assert_num_queries(7 + 1 + 3 + 2 + 3 * (3 * count)):
        outcomes = services._deliver_batch(reminder_ids=ids)
    assert outcomes == dict.fromkeys(ids, "sent")
    assert len(mail.outbox) == EmailDelivery.objects.filter(status="sent").count() == 3 * count
    assert len({(m.to[0], m.subject) for m in mail.outbox}) == 3 * count


def test_a_batch_skips_what_is_not_claimed_and_renders_per_recipient(org, users):
    ids = claimed(org, users, 2)
    unclaimed = ReminderFactory(organisation=org, recipients=users)
    other_org = ReminderFactory(organisation=OrganisationFactory(), recipients=[UserFactory()])
    Reminder.objects.filter(pk=other_org.pk).update(status="cancelled")
    outcomes = services._deliver_batch(reminder_ids=[*ids, unclaimed.pk, other_org.pk])
    assert outcomes == {ids[0]: "sent", ids[1]: "sent", unclaimed.pk: "skipped", other_org.pk: "skipped"}
    assert set(Notification.objects.values_list("reminder_id", flat=True)) == set(ids)
    assert Reminder.objects.get(pk=unclaimed.pk).status == "pending"
    bodies = {n.recipient.email: n.body for n in Notification.objects.filter(reminder_id=ids[0])}
    assert "EDT" in bodies["ny@example.org"] or "EST" in bodies["ny@example.org"]
    assert "IST" in bodies["kolkata@example.org"]


class SlowBackend(EmailBackend):
    """locmem, slowly: two runners overlap on every message."""

    def send_messages(self, messages):
        time.sleep(0.05)
        return super().send_messages(messages)


class DeadServer(EmailBackend):
    calls = 0

    def send_messages(self, messages):
        DeadServer.calls += 1
        raise ConnectionRefusedError("SMTP server unavailable")


class RefusesKolkata(EmailBackend):
    def send_messages(self, messages):
        if messages[0].to[0].startswith("kolkata"):
            raise smtplib.SMTPRecipientsRefused({messages[0].to[0]: (550, b"no such user")})
        return super().send_messages(messages)


@pytest.mark.django_db(transaction=True)
def test_two_runners_of_the_same_batch_send_each_email_once(settings):
    settings.MAILERS = {"default": {"BACKEND": "tests.reminders.test_delivery_batch.SlowBackend"}}
    org = OrganisationFactory()
    people = [UserFactory() for _ in range(3)]
    ids = claimed(org, people, 4)
    barrier = threading.Barrier(2)
    results: list[dict] = []

    def runner():
        try:
            barrier.wait()
            results.append(services._deliver_batch(reminder_ids=ids))
        finally:
            connection.close()

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 2
    assert len(mail.outbox) == 12
    assert len({(m.to[0], m.subject) for m in mail.outbox}) == 12
    assert Notification.objects.count() == 12
    assert set(EmailDelivery.objects.values_list("status", "attempts")) == {("sent", 1)}
    assert set(Reminder.objects.values_list("status", flat=True)) == {"sent"}


def test_a_dead_mail_server_stops_the_batch_after_one_try(settings, org, users):
    settings.MAILERS = {"default": {"BACKEND": "tests.reminders.test_delivery_batch.DeadServer"}}
    DeadServer.calls = 0
    ids = claimed(org, users, 5)
    assert services._deliver_batch(reminder_ids=ids) == dict.fromkeys(ids, "retry")
    assert DeadServer.calls == 1  # not one timeout per message
    assert EmailDelivery.objects.filter(attempts=1).count() == 1
    assert set(EmailDelivery.objects.values_list("status", flat=True)) == {"pending"}
    assert all("SMTP server unavailable" in e for e in Reminder.objects.values_list("last_error", flat=True))
    assert Notification.objects.count() == 15  # in-app notices do not wait for the mail server


def test_a_refused_recipient_does_not_stop_the_others(settings, org, users):
    settings.MAILERS = {"default": {"BACKEND": "tests.reminders.test_delivery_batch.RefusesKolkata"}}
    ids = claimed(org, users, 2)
    assert services._deliver_batch(reminder_ids=ids) == dict.fromkeys(ids, "retry")
    assert sorted(m.to[0] for m in mail.outbox) == ["auckland@example.org"] * 2 + ["ny@example.org"] * 2
    refused = EmailDelivery.objects.get(reminder_id=ids[0], recipient=users[1])
    assert (refused.status, refused.attempts) == ("pending", 1)
    assert "no such user" in refused.last_error
    assert "kolkata@example.org" in Reminder.objects.get(pk=ids[0]).last_error
