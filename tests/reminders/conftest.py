"""Fixtures for the reminders tests: synthetic targets, synchronous dispatch, real workers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.utils import timezone

from apps.reminders import services
from tests.factories import UserFactory
from tests.factories.reminders import reminder_team
from tests.factories.sessions import MediationSessionFactory


@pytest.fixture
def users():
    """Three recipients in zones around the world."""
    return [
        UserFactory(email="ny@example.org", name="New York", time_zone="America/New_York"),
        UserFactory(email="kolkata@example.org", name="Kolkata", time_zone="Asia/Kolkata"),
        UserFactory(email="auckland@example.org", name="Auckland", time_zone="Pacific/Auckland"),
    ]


@pytest.fixture
def team_dispute(org, users):
    """A dispute of ``org`` whose case team is ``users``."""
    return reminder_team(org, users, reference="PC-2026-0042", title="Delta water")


@pytest.fixture
def team_session(team_dispute):
    return MediationSessionFactory(dispute=team_dispute, title="Border talks", time_zone="Europe/Berlin")


@pytest.fixture
def session_of(team_dispute):
    """session_of(title) -> a new session of the team's dispute."""
    return lambda title: MediationSessionFactory(dispute=team_dispute, title=title)


@pytest.fixture
def schedule(org, users, team_session):
    """schedule(key=..., due_at=..., **overrides) on ``team_session``."""

    def do(*, key: str = "session:1:upcoming:24h", due_at: dt.datetime | None = None, **kw):
        values = {
            "organisation": org,
            "kind": "session_upcoming",
            "target_type": "mediation_sessions.mediationsession",
            "target_id": team_session.pk,
            "dispute_id": team_session.dispute_id,
            "due_at": due_at or timezone.now() - dt.timedelta(minutes=1),
            "recipients": users,
            "context": {"title": "Border talks", "event_at": "2026-03-29T07:00:00+00:00", "venue_tz": "Europe/Berlin"},
            "key": key,
        } | kw
        return services.reminder_schedule(**values)

    return do


@pytest.fixture
def run_due(monkeypatch, django_capture_on_commit_callbacks) -> Callable[..., list[str]]:
    """Dispatch as beat would, then deliver in-process instead of through the broker."""

    def do(now: dt.datetime | None = None) -> list[str]:
        now = now or timezone.now()
        claimed: list[int] = []

        def fake_enqueue(*, ids, now):
            claimed.extend(ids)
            return {"enqueued": len(ids), "refused": 0}

        monkeypatch.setattr(services, "_enqueue", fake_enqueue)
        with django_capture_on_commit_callbacks(execute=True):
            services.reminders_dispatch(now=now)
        return [services.reminder_deliver(reminder_id=pk, now=now) for pk in claimed]

    return do
