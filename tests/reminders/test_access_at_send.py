"""People who lose access stop receiving (DESIGN.md §3b, issue #14 finding 9).

A reminder is scheduled while someone is on the case team; before it is due they are removed from
the team, lose their membership, become an analyst, or are deactivated. When it is sent they get
nothing: no notice, no e-mail, and nothing of what it was about (a planted marker in the session
title and the dispute reference is hunted in everything delivered).
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core import mail
from django.utils import timezone

from apps.accounts.actors import Actor
from apps.accounts.models import Membership
from apps.accounts.services import membership_change_role
from apps.disputes.models import CaseTeamMember, Confidentiality
from apps.disputes.services import team_member_remove
from apps.reminders import services
from apps.reminders.models import EmailDelivery, Notification, Reminder
from apps.sessions.services import session_schedule, session_update
from peacecase.celery import app as celery_app
from tests.factories import UserFactory
from tests.factories.disputes import CasePartyFactory
from tests.factories.reminders import ReminderFactory, reminder_team

pytestmark = pytest.mark.django_db

MARKER = "ZEBRA-7731"


@pytest.fixture
def lead():
    return UserFactory(email="lead@example.org", name="Lead")


@pytest.fixture
def member():
    return UserFactory(email="member@example.org", name="Member")


@pytest.fixture
def restricted(org, lead, member):
    """A restricted dispute with a planted reference; its team: the lead and one co-mediator."""
    dispute = reminder_team(org, [lead, member], reference=f"PC-{MARKER}", title=f"Delta {MARKER}")
    dispute.confidentiality = Confidentiality.RESTRICTED
    dispute.save(update_fields=["confidentiality"])
    return dispute


@pytest.fixture
def lead_actor(org, lead):
    return Actor.for_membership(Membership.objects.get(user=lead, organisation=org))


@pytest.fixture
def session(restricted, lead_actor):
    """A session scheduled through the service: its reminders name the whole team (lead and member)."""
    starts = timezone.now() + dt.timedelta(hours=30)
    return session_schedule(
        actor=lead_actor, dispute=restricted, kind="joint_session", title=f"Ceasefire talks {MARKER}", starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2), time_zone="Africa/Nairobi", parties=two_parties(restricted),
    )


def two_parties(dispute):
    return [CasePartyFactory(dispute=dispute), CasePartyFactory(dispute=dispute)]


def deliver_due_at(session, run_due) -> list[str]:
    """Send the session's 24 h reminder as beat would, at its time."""
    reminder = Reminder.objects.get(target_id=session.pk, key__endswith=":24h")
    return run_due(now=reminder.due_at + dt.timedelta(seconds=1))


def told(user) -> str:
    """Everything delivered to ``user``: notices and e-mails, as one string."""
    notices = [f"{n.title}\n{n.body}\n{n.url}" for n in Notification.objects.filter(recipient=user)]
    emails = [f"{m.subject}\n{m.body}" for m in mail.outbox if user.email in m.to]
    return "\n".join(notices + emails)


def test_the_reminder_names_the_whole_team_when_it_is_scheduled(session, lead, member):
    reminder = Reminder.objects.get(target_id=session.pk, key__endswith=":24h")
    assert set(reminder.recipients.values_list("email", flat=True)) == {lead.email, member.email}


def test_a_member_removed_from_a_restricted_disputes_team_is_told_nothing(
    session, restricted, lead, member, lead_actor, run_due
):
    team_member_remove(actor=lead_actor, member=CaseTeamMember.objects.get(dispute=restricted, user=member))
    assert deliver_due_at(session, run_due) == ["sent"]
    assert told(member) == ""
    assert not EmailDelivery.objects.filter(recipient=member).exists()
    # The lead still is on the team: the reminder itself was not lost.
    assert MARKER in told(lead)
    assert [m.to for m in mail.outbox] == [[lead.email]]


def test_when_every_recipient_lost_access_the_reminder_reaches_nobody_and_says_nothing(
    org, restricted, member, run_due
):
    # A reminder addressed only to the member (an action item they own, say), then the member leaves.
    reminder = ReminderFactory(organisation=org, recipients=[member], target=restricted, kind="dispute_stale",
                               context={"title": restricted.title, "dispute_reference": restricted.reference})
    CaseTeamMember.objects.filter(dispute=restricted, user=member).update(active=False)
    assert run_due(now=reminder.due_at + dt.timedelta(seconds=1)) == ["sent"]
    assert mail.outbox == []
    assert Notification.objects.count() == 0
    assert EmailDelivery.objects.count() == 0


def test_a_member_whose_membership_was_removed_is_told_nothing(session, org, member, lead, run_due):
    Membership.objects.filter(user=member, organisation=org).delete()
    deliver_due_at(session, run_due)
    assert told(member) == ""
    assert MARKER in told(lead)


def test_a_member_made_analyst_is_told_nothing_even_about_a_standard_dispute(
    session, restricted, org, member, lead, run_due
):
    # Standard, so an analyst may still read the dispute; but reminders are the case team's, and an
    # analyst never counts as team, whatever row is left behind.
    restricted.confidentiality = Confidentiality.STANDARD
    restricted.save(update_fields=["confidentiality"])
    membership_change_role(membership=Membership.objects.get(user=member, organisation=org), role="analyst")
    deliver_due_at(session, run_due)
    assert told(member) == ""
    assert MARKER in told(lead)


def test_a_deactivated_account_is_told_nothing(session, member, lead, run_due):
    member.is_active = False
    member.save(update_fields=["is_active"])
    deliver_due_at(session, run_due)
    assert told(member) == ""
    assert MARKER in told(lead)


def test_a_member_of_another_organisation_on_the_stored_list_is_told_nothing(session, other_org, run_due):
    # A recipient row that names someone of another organisation (a stale or forged row) grants nothing.
    outsider = UserFactory(email="outsider@example.org")
    Membership.objects.create(user=outsider, organisation=other_org, role="admin")
    Reminder.objects.get(target_id=session.pk, key__endswith=":24h").recipients.add(outsider)
    deliver_due_at(session, run_due)
    assert told(outsider) == ""


def test_the_text_is_decided_when_it_is_sent_not_when_it_was_scheduled(session, lead, lead_actor, run_due):
    session_update(actor=lead_actor, session=session, data={"title": "Renamed talks"})
    Reminder.objects.filter(target_id=session.pk).update(context={"title": f"Stale title {MARKER}"})
    deliver_due_at(session, run_due)
    text = told(lead)
    assert "Renamed talks" in text
    assert f"Stale title {MARKER}" not in text


def test_a_target_type_nobody_answers_for_is_sent_to_nobody_and_says_why(org, users, run_due):
    reminder_team(org, users)
    reminder = ReminderFactory(organisation=org, recipients=users, target_type="nowhere.thing", target_id=1)
    assert run_due() == ["retry"]
    assert mail.outbox == []
    assert Notification.objects.count() == 0
    reminder.refresh_from_db()
    assert "No recipient check for nowhere.thing" in reminder.last_error


def test_every_target_type_the_domain_schedules_has_a_check():
    from apps.agreements.notify import PROVISION_TARGET
    from apps.negotiations.notify import PROPOSAL_TARGET
    from apps.reminders.audience import audience_registered
    from apps.sessions.notify import ACTION_ITEM_TARGET, DISPUTE_TARGET, ROUND_TARGET, SESSION_TARGET

    for target in (SESSION_TARGET, ROUND_TARGET, ACTION_ITEM_TARGET, DISPUTE_TARGET, PROPOSAL_TARGET,
                   PROVISION_TARGET):
        assert audience_registered(target), target


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_tells_a_removed_member_nothing(org, lead, member, restricted, lead_actor):
    from celery.contrib.testing.worker import start_worker

    with celery_app.connection_for_write() as conn:
        conn.default_channel.queue_purge("celery")
    session_obj = session_schedule(
        actor=lead_actor, dispute=restricted, kind="joint_session", title=f"Ceasefire talks {MARKER}",
        starts_at=timezone.now() + dt.timedelta(hours=23, minutes=59), ends_at=timezone.now() + dt.timedelta(hours=26),
        time_zone="Africa/Nairobi", parties=two_parties(restricted),
    )
    team_member_remove(actor=lead_actor, member=CaseTeamMember.objects.get(dispute=restricted, user=member))
    reminder = Reminder.objects.get(target_id=session_obj.pk, status="pending")
    Reminder.objects.filter(pk=reminder.pk).update(due_at=timezone.now(), next_attempt_at=timezone.now())
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        assert services.reminders_dispatch() == 1
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not Reminder.objects.filter(pk=reminder.pk, status="sent").exists():
            time.sleep(0.2)
    assert Reminder.objects.get(pk=reminder.pk).status == "sent"
    assert told(member) == ""
    assert MARKER in told(lead)
    assert [m.to for m in mail.outbox] == [[lead.email]]


def test_an_email_held_for_quiet_hours_is_not_sent_once_its_recipient_lost_access(
    org, users, team_dispute, schedule, run_due
):
    from apps.reminders.models import ReminderRules

    ReminderRules.objects.create(organisation=org, quiet_hours_enabled=True)
    ny = users[0]
    night = dt.datetime(2026, 6, 10, 3, 30, tzinfo=dt.UTC)  # 23:30 in New York: ny's e-mail waits
    reminder = schedule(due_at=night - dt.timedelta(minutes=1))
    assert run_due(now=night) == ["deferred"]
    assert ny.email not in [m.to[0] for m in mail.outbox]
    # ny leaves the team overnight (the lead stays: hand the lead over first, as the service insists)
    CaseTeamMember.objects.filter(dispute=team_dispute, user=ny).update(active=False)
    reminder.refresh_from_db()
    assert run_due(now=reminder.next_attempt_at + dt.timedelta(seconds=1)) == ["sent"]
    assert ny.email not in [m.to[0] for m in mail.outbox]
    assert not EmailDelivery.objects.filter(recipient=ny, status="sent").exists()
