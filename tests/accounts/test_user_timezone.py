"""Pages show times in the signed-in user's time zone; the API stays in UTC."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from apps.accounts.middleware import UserTimezoneMiddleware
from tests.factories import MembershipFactory
from tests.factories.reminders import NotificationFactory

pytestmark = pytest.mark.django_db


def _zone_seen(path: str, user) -> str:
    request = RequestFactory().get(path)
    request.user = user
    response = UserTimezoneMiddleware(lambda r: HttpResponse(timezone.get_current_timezone_name()))(request)
    return response.content.decode()


def test_a_page_is_rendered_in_the_users_zone_and_the_api_in_utc(settings):
    user = MembershipFactory().user
    user.time_zone = "Africa/Nairobi"
    assert _zone_seen("/disputes/", user) == "Africa/Nairobi"
    assert _zone_seen("/api/v1/disputes/", user) == settings.TIME_ZONE
    # Nothing leaks into the next request handled by the same worker.
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE


def test_a_notification_time_reads_in_the_users_zone(client):
    membership = MembershipFactory()
    user = membership.user
    user.time_zone = "Asia/Kathmandu"  # +05:45, so the offset cannot be mistaken
    user.save(update_fields=["time_zone"])
    note = NotificationFactory(recipient=user, organisation=membership.organisation)
    type(note).objects.filter(pk=note.pk).update(created_at=dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC))
    client.force_login(user)
    body = client.get("/notifications/").content.decode()
    assert 'datetime="2026-03-01T15:45:00+05:45"' in body
    assert "2026-03-01T10:00:00+00:00" not in body
