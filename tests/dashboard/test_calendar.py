import datetime as dt
import re

import pytest
from django.utils import timezone
from icalendar import Calendar

from apps.dashboard.models import CalendarFeed
from apps.disputes.models import Confidentiality
from tests.factories import DisputeFactory, MediationSessionFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def _soon(days=2, hour=10):
    return timezone.now().replace(hour=hour, minute=0, second=0, microsecond=0) + dt.timedelta(days=days)


def test_the_month_shows_my_sessions_and_not_other_disputes_unless_asked(client, org, mediator, dispute):
    mine = MediationSessionFactory(dispute=dispute, title="Joint session at the river", starts_at=_soon())
    other = MediationSessionFactory(dispute=DisputeFactory(organisation=org), title="Talks of another team",
                                    starts_at=_soon())
    foreign = MediationSessionFactory(dispute=DisputeFactory(), title="Foreign meeting", starts_at=_soon())
    client.force_login(mediator)
    day = mine.starts_at.date().isoformat()
    body = client.get("/calendar/", {"date": day}).content.decode()
    assert mine.title in body and other.title not in body and foreign.title not in body
    body = client.get("/calendar/", {"date": day, "scope": "all", "view": "week"}).content.decode()
    assert mine.title in body and other.title in body and foreign.title not in body


def test_the_calendar_runs_in_a_fixed_number_of_queries(client, mediator, dispute, django_assert_num_queries):
    client.force_login(mediator)
    client.get("/calendar/")
    for n in (1, 8):
        for i in range(n):
            MediationSessionFactory(dispute=dispute, starts_at=_soon(days=1, hour=8 + i % 10))
        # request 3 + feed 1 + sessions 1 + switcher + bell (the session is saved at most once a minute)
        with django_assert_num_queries(7):
            client.get("/calendar/", {"view": "week", "date": _soon(days=1).date().isoformat()})


def test_the_ical_feed_is_secret_revocable_and_leaves_team_details_out(client, org, mediator, dispute):
    session = MediationSessionFactory(dispute=dispute, title="Caucus with RFU", starts_at=_soon(),
                                      venue="Hotel Lakeside", summary="They may accept 60 %")
    secret = DisputeFactory(organisation=org, lead=mediator, title="Back channel",
                            confidentiality=Confidentiality.RESTRICTED)
    MediationSessionFactory(dispute=secret, title="Meeting the commander", starts_at=_soon(), venue="Safe house")
    client.force_login(mediator)
    client.post("/calendar/feed/new/")
    page = client.get("/calendar/").content.decode()
    url = re.search(r'id="feed-url" value="([^"]+)"', page).group(1)
    assert "feed-url" not in client.get("/calendar/").content.decode()  # shown once
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert not CalendarFeed.objects.filter(token_hash=token).exists()  # only its hash is stored
    client.logout()
    response = client.get(f"/calendar/feed/{token}.ics")
    assert response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    summaries = {str(e["summary"]) for e in cal.walk("VEVENT")}
    assert f"{dispute.reference} · Caucus with RFU" in summaries
    assert f"{secret.reference} · Joint session" in summaries
    text = response.content.decode()
    assert "60 %" not in text and "Meeting the commander" not in text and "Safe house" not in text
    assert "Hotel Lakeside" in text
    assert session.title in text
    client.force_login(mediator)
    client.post("/calendar/feed/revoke/")
    client.logout()
    assert client.get(f"/calendar/feed/{token}.ics").status_code == 404
    assert client.get("/calendar/feed/not-a-token.ics").status_code == 404


def test_a_feed_stops_when_its_owner_leaves_the_organisation(client, org):
    membership = MembershipFactory(organisation=org, role="mediator")
    client.force_login(membership.user)
    client.post("/calendar/feed/new/")
    url = re.search(r'id="feed-url" value="([^"]+)"', client.get("/calendar/").content.decode()).group(1)
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert client.get(f"/calendar/feed/{token}.ics").status_code == 200
    membership.delete()
    assert client.get(f"/calendar/feed/{token}.ics").status_code == 404
