import pytest
from django.urls import reverse

from apps.accounts.models import Membership
from apps.common.models import AuditEvent
from apps.reminders.models import Notification, ReminderRules
from tests.factories import MembershipFactory
from tests.factories.reminders import NotificationFactory

pytestmark = pytest.mark.django_db

LIST = reverse("reminders:notification_list")


@pytest.fixture
def member(org):
    return MembershipFactory(organisation=org, role=Membership.Role.MEDIATOR).user


def test_the_page_lists_only_my_notices_in_this_organisation(login, org, other_org, member):
    NotificationFactory(recipient=member, organisation=org, title="Mine")
    NotificationFactory(organisation=org, title="Someone else's")
    NotificationFactory(recipient=member, organisation=other_org, title="Other organisation")
    response = login(member).get(LIST)
    assert response.status_code == 200
    assert [n.title for n in response.context["notifications"]] == ["Mine"]
    assert b"Someone else" not in response.content


@pytest.mark.parametrize("count", [3, 12])
def test_the_page_costs_the_same_queries_however_many_notices(login, org, member, count, django_assert_num_queries):
    for _ in range(count):
        NotificationFactory(recipient=member, organisation=org)
    client = login(member)
    # session, user, membership, organisation switcher, paginator count, page, bell count, and the
    # session save (savepoint, update, release): the same for 3 notices as for 12.
    with django_assert_num_queries(10):
        response = client.get(LIST)
    assert len(response.context["notifications"]) == count


def test_the_bell_shows_the_unread_count(login, org, member):
    NotificationFactory(recipient=member, organisation=org)
    NotificationFactory(recipient=member, organisation=org)
    response = login(member).get(LIST)
    assert b'<span class="badge">2</span>' in response.content
    assert b"2 unread notifications" in response.content


def test_mark_read_and_mark_all_read(login, org, member):
    first, second = NotificationFactory(recipient=member, organisation=org), NotificationFactory(
        recipient=member, organisation=org
    )
    client = login(member)
    assert client.post(reverse("reminders:notification_read", args=[first.pk])).status_code == 302
    assert list(Notification.objects.filter(read_at__isnull=True)) == [second]
    client.post(reverse("reminders:notification_read_all"))
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_nobody_marks_someone_elses_notice_read(login, org, member):
    theirs = NotificationFactory(organisation=org)
    login(member).post(reverse("reminders:notification_read", args=[theirs.pk]))
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_read_needs_post_and_csrf(client, org, member):
    notice = NotificationFactory(recipient=member, organisation=org)
    client.force_login(member)
    assert client.get(reverse("reminders:notification_read", args=[notice.pk])).status_code == 405
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(member)
    assert strict.post(reverse("reminders:notification_read", args=[notice.pk])).status_code == 403


def test_only_an_admin_edits_the_rules(login, org, member, admin_membership):
    assert login(member).get(reverse("reminders:rules")).status_code == 403
    client = login(admin_membership.user)
    assert client.get(reverse("reminders:rules")).status_code == 200
    response = client.post(
        reverse("reminders:rules"),
        {
            "session_upcoming_hours": "48,2",
            "shuttle_follow_up_hours": "24",
            "proposal_response_hours_before": "12",
            "action_item_days_before": "1",
            "provision_days_before": "14",
            "dispute_stale_days": "21",
            "quiet_hours_enabled": "on",
            "quiet_hours_start": "22:00",
            "quiet_hours_end": "06:30",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    rules = ReminderRules.objects.get(organisation=org)
    assert rules.session_upcoming_hours == [48, 2]
    assert (rules.shuttle_follow_up_hours, rules.quiet_hours_enabled) == (24, True)
    assert AuditEvent.objects.filter(action="reminders.rules.updated", organisation=org).count() == 1


def test_the_rules_form_refuses_empty_quiet_hours(login, admin_membership):
    response = login(admin_membership.user).post(
        reverse("reminders:rules"),
        {
            "session_upcoming_hours": "24", "shuttle_follow_up_hours": "48", "proposal_response_hours_before": "24",
            "action_item_days_before": "2", "provision_days_before": "7", "dispute_stale_days": "30",
            "quiet_hours_enabled": "on", "quiet_hours_start": "21:00", "quiet_hours_end": "21:00",
        },
    )
    assert response.status_code == 200
    assert "quiet_hours_end" in response.context["form"].errors
