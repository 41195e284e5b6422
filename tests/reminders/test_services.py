import datetime as dt
import zoneinfo

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from apps.common.errors import ApplicationError
from apps.reminders import services
from apps.reminders.models import EmailDelivery, Notification, NotificationPreference, Reminder, ReminderRules
from apps.reminders.services import (
    ReminderSpec,
    reminder_rules_for,
    reminders_cancel_for,
    reminders_replace_for,
    specs_action_item,
    specs_dispute_stale,
    specs_provision_deadline,
    specs_session_upcoming,
)
from tests.factories.reminders import ReminderFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
SESSION = ("mediation_sessions.session", 1)  # synthetic: for scheduling only (nobody may see it, so nobody is told)
SESSION_TARGET = "mediation_sessions.mediationsession"


def rows():
    return list(Reminder.objects.order_by("id").values_list("key", "status", "due_at"))


def test_it_schedules_one_pending_reminder_with_its_recipients(schedule, users):
    due = dt.datetime(2026, 3, 28, 7, tzinfo=UTC)
    reminder = schedule(due_at=due)
    assert rows() == [("session:1:upcoming:24h", "pending", due)]
    assert reminder.next_attempt_at == due
    assert sorted(reminder.recipients.values_list("pk", flat=True)) == sorted(u.pk for u in users)


def test_rescheduling_the_same_key_moves_the_reminder_instead_of_adding_one(schedule, users):
    first = schedule(due_at=dt.datetime(2026, 3, 28, 7, tzinfo=UTC))
    moved = schedule(due_at=dt.datetime(2026, 4, 2, 7, tzinfo=UTC), recipients=users[:1])
    assert moved.pk == first.pk
    assert rows() == [("session:1:upcoming:24h", "pending", dt.datetime(2026, 4, 2, 7, tzinfo=UTC))]
    assert Reminder.objects.get().next_attempt_at == dt.datetime(2026, 4, 2, 7, tzinfo=UTC)
    assert list(moved.recipients.values_list("pk", flat=True)) == [users[0].pk]


def test_replaying_a_sent_reminder_at_the_same_time_does_not_send_it_again(schedule, run_due):
    reminder = schedule()
    assert run_due() == ["sent"]
    again = schedule(due_at=reminder.due_at)
    assert again.pk == reminder.pk
    assert run_due() == []
    assert Reminder.objects.count() == 1


def test_moving_a_sent_reminder_to_a_new_time_creates_a_fresh_one(schedule, run_due):
    reminder = schedule()
    run_due()
    later = timezone.now() + dt.timedelta(days=2)
    fresh = schedule(due_at=later)
    assert fresh.pk != reminder.pk
    assert [(k, s) for k, s, _d in rows()] == [
        ("session:1:upcoming:24h", "sent"),
        ("session:1:upcoming:24h", "pending"),
    ]


def test_a_naive_time_is_refused(schedule):
    with pytest.raises(ApplicationError):
        schedule(due_at=dt.datetime(2026, 3, 28, 7))


def test_cancel_for_a_target_cancels_exactly_its_active_reminders(schedule, org, team_session, session_of):
    schedule(key="session:1:upcoming:24h")
    schedule(key="session:1:upcoming:1h")
    other = schedule(key="session:2:upcoming:24h", target_id=session_of("Other").pk)
    assert reminders_cancel_for(target_type=SESSION_TARGET, target_id=team_session.pk) == 2
    assert Reminder.objects.filter(status="cancelled").count() == 2
    other.refresh_from_db()
    assert other.status == "pending"


def test_cancel_for_can_be_limited_to_kinds(schedule, team_session):
    schedule(key="a", kind="session_upcoming")
    schedule(key="b", kind="dispute_stale")
    assert reminders_cancel_for(target_type=SESSION_TARGET, target_id=team_session.pk, kinds=["dispute_stale"]) == 1
    assert dict(Reminder.objects.values_list("key", "status")) == {"a": "pending", "b": "cancelled"}


def test_replace_for_cancels_moves_and_creates(org, users):
    rules = reminder_rules_for(organisation=org)
    now = dt.datetime(2026, 3, 1, tzinfo=UTC)
    starts = dt.datetime(2026, 3, 29, 9, tzinfo=BERLIN)
    common = {
        "session_id": 1, "venue_tz": "Europe/Berlin", "title": "Border talks", "dispute_id": 7,
        "dispute_reference": "PC-2026-0042", "recipients": users, "rules": rules, "now": now,
        "target_type": SESSION[0],
    }
    created = reminders_replace_for(
        organisation=org, target_type=SESSION[0], target_id=1, specs=specs_session_upcoming(starts_at=starts, **common)
    )
    assert [(r.key, r.due_at) for r in created] == [
        ("session:1:upcoming:24h", dt.datetime(2026, 3, 28, 7, tzinfo=UTC)),  # 24 h, not "09:00 the day before"
        ("session:1:upcoming:1h", dt.datetime(2026, 3, 29, 6, tzinfo=UTC)),
    ]
    # Rescheduled two days later with only a 24 h rule: one moved, one cancelled, nothing added.
    rules.session_upcoming_hours = [24]
    moved = reminders_replace_for(
        organisation=org, target_type=SESSION[0], target_id=1,
        specs=specs_session_upcoming(starts_at=starts + dt.timedelta(days=2), **common),
    )
    assert moved[0].pk == created[0].pk
    assert rows() == [
        ("session:1:upcoming:24h", "pending", dt.datetime(2026, 3, 30, 7, tzinfo=UTC)),
        ("session:1:upcoming:1h", "cancelled", dt.datetime(2026, 3, 29, 6, tzinfo=UTC)),
    ]
    assert Reminder.objects.filter(dispute_id=7).count() == 2


def test_replace_for_refuses_a_spec_of_another_target(org):
    spec = ReminderSpec(kind="session_upcoming", key="k", target_type="x", target_id=2,
                        due_at=timezone.now(), recipient_ids=())
    with pytest.raises(ValueError, match="belongs to"):
        reminders_replace_for(organisation=org, target_type="x", target_id=1, specs=[spec])


def test_specs_leave_out_reminders_already_due():
    rules = ReminderRules()
    now = dt.datetime(2026, 3, 29, 6, 30, tzinfo=UTC)
    specs = specs_session_upcoming(
        session_id=1, starts_at=dt.datetime(2026, 3, 29, 9, tzinfo=BERLIN), venue_tz="Europe/Berlin", title="t",
        dispute_id=None, dispute_reference="", recipients=[], rules=rules, now=now,
    )
    assert specs == []  # both the 24 h and the 1 h mark have passed


def test_day_based_specs_fall_in_the_deadlines_zone():
    rules = ReminderRules()
    now = dt.datetime(2026, 1, 1, tzinfo=UTC)
    provision = specs_provision_deadline(
        provision_id=5, deadline=dt.date(2026, 3, 30), tz="Asia/Kolkata", title="Release of detainees",
        dispute_id=1, dispute_reference="PC-1", recipients=[], rules=rules, now=now,
    )
    assert [(s.kind, s.key, s.due_at) for s in provision] == [
        ("provision_due", "provision:5:due", dt.datetime(2026, 3, 23, 2, 30, tzinfo=UTC)),
        ("provision_due_today", "provision:5:today", dt.datetime(2026, 3, 30, 2, 30, tzinfo=UTC)),
        ("provision_overdue", "provision:5:overdue", dt.datetime(2026, 3, 31, 2, 30, tzinfo=UTC)),
    ]
    item = specs_action_item(
        action_item_id=3, due_date=dt.date(2026, 3, 30), tz="Europe/Berlin", title="Send the draft",
        dispute_id=1, dispute_reference="PC-1", recipients=[], rules=rules, now=now,
    )
    assert [(s.kind, s.due_at) for s in item] == [
        ("action_item_due", dt.datetime(2026, 3, 28, 7, tzinfo=UTC)),  # 08:00 CET
        ("action_item_overdue", dt.datetime(2026, 3, 31, 6, tzinfo=UTC)),  # 08:00 CEST, after the change
    ]


def test_dispute_stale_is_one_reminder_moved_by_each_session(org, users):
    rules = reminder_rules_for(organisation=org)
    first = dt.datetime(2026, 3, 1, 10, tzinfo=UTC)
    for held in (first, first + dt.timedelta(days=10)):
        specs = specs_dispute_stale(dispute_id=9, dispute_reference="PC-9", title="Delta water", last_session_at=held,
                                    recipients=users, rules=rules)
        reminders_replace_for(organisation=org, target_type="disputes.dispute", target_id=9, specs=specs)
    assert rows() == [("dispute:9:stale", "pending", first + dt.timedelta(days=40))]


def test_rules_default_when_the_organisation_has_none(org):
    rules = reminder_rules_for(organisation=org)
    assert rules.pk is None
    assert (rules.session_upcoming_hours, rules.shuttle_follow_up_hours, rules.proposal_response_hours_before,
            rules.action_item_days_before, rules.provision_days_before, rules.dispute_stale_days,
            rules.quiet_hours_enabled) == ([24, 1], 48, 24, 2, 7, 30, False)


@pytest.mark.parametrize(
    ("starts", "expected"),
    [
        (
            dt.datetime(2026, 3, 29, 9, tzinfo=BERLIN),  # the morning clocks went forward in Berlin
            {
                "ny@example.org": "Sun 29 Mar 2026, 03:00 EDT (America/New_York)",
                "kolkata@example.org": "Sun 29 Mar 2026, 12:30 IST (Asia/Kolkata)",
                "auckland@example.org": "Sun 29 Mar 2026, 20:00 NZDT (Pacific/Auckland)",
            },
        ),
        (
            dt.datetime(2026, 10, 25, 9, tzinfo=BERLIN),  # the morning clocks went back
            {
                "ny@example.org": "Sun 25 Oct 2026, 04:00 EDT (America/New_York)",
                "kolkata@example.org": "Sun 25 Oct 2026, 13:30 IST (Asia/Kolkata)",
                "auckland@example.org": "Sun 25 Oct 2026, 21:00 NZDT (Pacific/Auckland)",
            },
        ),
    ],
)
def test_each_recipient_sees_the_session_in_their_zone_and_the_venues_across_dst(
    org, users, run_due, team_session, starts, expected
):
    rules = ReminderRules(session_upcoming_hours=[1])
    specs = specs_session_upcoming(
        session_id=team_session.pk, starts_at=starts, venue_tz="Europe/Berlin", title="Border talks",
        dispute_id=team_session.dispute_id, dispute_reference="PC-2026-0042", recipients=users, rules=rules,
        now=starts - dt.timedelta(days=3), target_type=SESSION_TARGET,
    )
    reminders_replace_for(organisation=org, target_type=SESSION_TARGET, target_id=team_session.pk, specs=specs)
    assert run_due(now=starts) == ["sent"]
    venue = starts.strftime("%a %d %b %Y, 09:00 ") + starts.tzname() + " (Europe/Berlin)"
    bodies = {n.recipient.email: n.body for n in Notification.objects.select_related("recipient")}
    for email, local in expected.items():
        assert bodies[email] == f"When: {local}\nAt the venue: {venue}"
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert len(mail.outbox) == 3
    for email, local in expected.items():
        assert f"Starts (your time): {local}" in by_recipient[email].body
        assert f"Starts (venue time): {venue}" in by_recipient[email].body
        assert by_recipient[email].subject == "[PeaceCase] PC-2026-0042 · Upcoming session: Border talks"


def test_quiet_hours_hold_the_email_until_the_recipients_morning_but_not_the_notice(org, schedule, users, run_due):
    ReminderRules.objects.create(organisation=org, quiet_hours_enabled=True)
    ny = users[0]
    # 23:30 in New York (EDT) is 03:30 UTC; Kolkata is at 09:00 and Auckland at 15:30: outside quiet hours.
    night = dt.datetime(2026, 6, 10, 3, 30, tzinfo=UTC)
    reminder = schedule(due_at=night - dt.timedelta(minutes=1))
    assert run_due(now=night) == ["deferred"]
    assert Notification.objects.filter(reminder=reminder).count() == 3
    assert sorted(m.to[0] for m in mail.outbox) == ["auckland@example.org", "kolkata@example.org"]
    reminder.refresh_from_db()
    morning = dt.datetime(2026, 6, 10, 11, 0, tzinfo=UTC)  # 07:00 EDT
    assert (reminder.status, reminder.next_attempt_at) == ("pending", morning)
    assert EmailDelivery.objects.get(recipient=ny).not_before == morning

    assert run_due(now=morning - dt.timedelta(minutes=1)) == []
    assert run_due(now=morning) == ["sent"]
    assert sorted(m.to[0] for m in mail.outbox) == ["auckland@example.org", "kolkata@example.org", "ny@example.org"]
    assert Notification.objects.filter(reminder=reminder).count() == 3


def test_preferences_turn_channels_off(schedule, users, run_due):
    NotificationPreference.objects.create(user=users[0], email=False)
    NotificationPreference.objects.create(user=users[1], in_app=False)
    schedule()
    run_due()
    assert sorted(m.to[0] for m in mail.outbox) == ["auckland@example.org", "kolkata@example.org"]
    assert sorted(Notification.objects.values_list("recipient__email", flat=True)) == [
        "auckland@example.org", "ny@example.org"
    ]


def test_delivering_twice_sends_nothing_twice(schedule, run_due):
    reminder = schedule()
    run_due()
    Reminder.objects.filter(pk=reminder.pk).update(status="sending")  # as if a second task ran late
    assert services.reminder_deliver(reminder_id=reminder.pk) == "sent"
    assert len(mail.outbox) == 3
    assert Notification.objects.count() == 3


def test_a_cancelled_reminder_is_not_delivered(schedule, run_due, team_session):
    reminder = schedule()
    Reminder.objects.filter(pk=reminder.pk).update(status="sending")
    reminders_cancel_for(target_type=SESSION_TARGET, target_id=team_session.pk)
    assert services.reminder_deliver(reminder_id=reminder.pk) == "skipped"
    assert Notification.objects.count() == 0


def test_the_claim_query_uses_the_partial_index(org):
    now = timezone.now()
    Reminder.objects.bulk_create(
        [
            Reminder(organisation=org, kind="session_upcoming", target_type="t", target_id=i, key=f"old:{i}",
                     due_at=now - dt.timedelta(days=1), next_attempt_at=now - dt.timedelta(days=1), status="sent")
            for i in range(20000)
        ]
        + [
            Reminder(organisation=org, kind="session_upcoming", target_type="t", target_id=i, key=f"due:{i}",
                     due_at=now, next_attempt_at=now + dt.timedelta(minutes=i - 25))
            for i in range(50)
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE reminders_reminder")
    qs = (
        Reminder.objects.select_for_update(skip_locked=True)
        .filter(status__in=services.ACTIVE, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", "attempts")[: services.BATCH_SIZE]
    )
    plan = qs.explain()
    assert "reminder_claimable" in plan, plan
    assert "Seq Scan" not in plan, plan
    assert len(services._claim_batch(now=now, batch_size=services.BATCH_SIZE)) == 26


def test_a_reminder_row_always_has_an_organisation_and_a_key():
    reminder = ReminderFactory()
    assert reminder.organisation_id and reminder.key
