"""Issue #16: one way to show and enter times. A mediator in Berlin, a venue in Kathmandu, and
the change to summer time on 28 March 2027 between two deadlines."""

import datetime as dt
import re
import zoneinfo

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from apps.dashboard.timezones import default_start
from apps.negotiations.models import Proposal
from apps.sessions.models import MediationSession
from tests.dashboard.record_world import build

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
UTC = dt.UTC


@pytest.fixture
def w(org):
    world = build(org)
    world.mediator.time_zone = "Europe/Berlin"
    world.mediator.save()
    return world


def _table(client, w, text, deadline):
    return client.post(f"/disputes/{w.dispute.pk}/proposals/table/", {
        "issue": w.issue.pk, "text": text, "tabled_by": w.farmers.pk, "response_deadline": deadline}, **HX)


@pytest.mark.parametrize(("typed", "stored_utc"), [
    ("2027-03-27T17:00", dt.datetime(2027, 3, 27, 16, 0, tzinfo=UTC)),  # CET, UTC+1
    ("2027-03-29T17:00", dt.datetime(2027, 3, 29, 15, 0, tzinfo=UTC)),  # CEST, UTC+2, after the change
])
def test_a_deadline_typed_in_berlin_is_stored_in_utc_and_shown_as_typed_with_its_zone(client, w, typed,
                                                                                       stored_utc):
    client.force_login(w.mediator)
    _table(client, w, "Deadline words", typed)
    proposal = Proposal.objects.get(text="Deadline words")
    assert proposal.response_deadline == stored_utc
    day = typed[8:10].lstrip("0")
    shown = f"response due {day} Mar 2027, 17:00 (Europe/Berlin)"
    for page in (f"/disputes/{w.dispute.pk}/proposals/", f"/disputes/{w.dispute.pk}/", "/"):
        body = client.get(page).content.decode()
        assert "(UTC)" not in body, page
        if "Deadline words" in body or page != "/":
            assert shown in body, page


def test_the_deadline_input_names_the_zone_it_is_read_in(client, w):
    client.force_login(w.mediator)
    body = client.get(f"/disputes/{w.dispute.pk}/proposals/").content.decode()
    assert "Response deadline (your time: Europe/Berlin)" in body
    body = client.get(f"/sessions/{w.caucus.pk}/").content.decode()
    assert "When (your time: Europe/Berlin)" in body


@pytest.mark.parametrize(("day", "venue", "mine"), [
    ("2027-01-15", "15 Jan 2027, 10:00–11:00 (Asia/Kathmandu)", "15 Jan 2027, 05:15–06:15 (Europe/Berlin)"),
    ("2027-07-15", "15 Jul 2027, 10:00–11:00 (Asia/Kathmandu)", "15 Jul 2027, 06:15–07:15 (Europe/Berlin)"),
])
def test_a_session_in_kathmandu_shows_the_venue_time_and_mine_each_named(client, w, day, venue, mine):
    client.force_login(w.mediator)
    r = client.post(f"/disputes/{w.dispute.pk}/sessions/new/", {
        "kind": "joint_session", "parties": [str(w.herders.pk), str(w.farmers.pk)], "day": day, "start": "10:00",
        "duration": "60", "time_zone": "Asia/Kathmandu", "title": "Kathmandu talks"})
    assert r.status_code == 302, re.findall(r'class="error"[^>]*>([^<]*)', r.content.decode())
    session = MediationSession.objects.get(title="Kathmandu talks")
    assert session.starts_at == dt.datetime.fromisoformat(day).replace(hour=4, minute=15, tzinfo=UTC)
    body = client.get(r["Location"]).content.decode()
    assert venue in body and mine in body
    workspace = client.get(f"/disputes/{w.dispute.pk}/").content.decode()
    row = workspace.split('id="sessions"')[1].split("Kathmandu talks")[0].rsplit("<tr>", 1)[1]
    assert mine in row and f"at the venue {venue.split(', ', 1)[1]}" in row  # the same day: no second date


def test_the_workspace_never_shows_a_month_first_or_twelve_hour_date(client, w):
    from tests.factories import AgreementFactory, ProposalFactory, ProvisionFactory

    ProposalFactory(issue=w.issue, dispute=w.dispute, tabled_by=w.farmers, text="Dated",
                    tabled_at=dt.datetime(2024, 6, 18, 9, 0, tzinfo=UTC),
                    response_deadline=dt.datetime(2027, 12, 9, 10, 0, tzinfo=UTC))
    agreement = AgreementFactory(dispute=w.dispute, title="Accord", signed_on=dt.date(2024, 6, 18))
    ProvisionFactory(agreement=agreement, text="Open the wells", deadline=dt.date(2027, 12, 9))
    client.force_login(w.mediator)
    for page in (f"/disputes/{w.dispute.pk}/", f"/disputes/{w.dispute.pk}/proposals/",
                 f"/agreements/{agreement.pk}/", "/disputes/"):
        body = client.get(page).content.decode()
        assert not re.search(r"\b\d{1,2}/\d{1,2}/\d{4}\b", body), page
        assert not re.search(r"\d (a|p)\.m\.", body), page
        assert "June 18, 2024" not in body, page
    body = client.get(f"/disputes/{w.dispute.pk}/").content.decode()
    assert "18 Jun 2024" in body and "9 Dec 2027, 11:00 (Europe/Berlin)" in body


def test_dates_follow_the_language_and_keep_the_month_named():
    value = dt.datetime(2026, 12, 10, 16, 0, tzinfo=UTC)
    template = Template("{% load when %}{{ v|when }}|{{ v|day }}|{% when v 'Asia/Kathmandu' %}")
    with timezone.override(BERLIN):
        with translation.override("en"):
            out = template.render(Context({"v": value}))
            assert out.startswith("10 Dec 2026, 17:00 (Europe/Berlin)|10 Dec 2026|<time datetime=")
            assert "at the venue 21:45 (Asia/Kathmandu)" in out  # the same day: the date is not repeated
        with translation.override("fr"):
            assert template.render(Context({"v": value})).startswith("10 décembre 2026, 17:00 (Europe/Berlin)")
    late = dt.datetime(2026, 12, 10, 20, 0, tzinfo=UTC)  # 21:00 in Berlin, already the 11th in Kathmandu
    with timezone.override(BERLIN):
        out = Template("{% load when %}{% when v 'Asia/Kathmandu' %}").render(Context({"v": late}))
        assert "10 Dec 2026, 21:00 (Europe/Berlin)" in out and "at the venue 11 Dec 2026, 01:45 (Asia/Kathmandu)" in out
    with timezone.override(zoneinfo.ZoneInfo("Asia/Kathmandu")):
        out = Template("{% load when %}{% when v 'Asia/Kathmandu' %}").render(Context({"v": value}))
        assert "at the venue" not in out  # the same wall-clock: said once


@pytest.mark.parametrize(("now_utc", "zone", "expected"), [
    (dt.datetime(2026, 12, 6, 0, 27, tzinfo=UTC), "Europe/Berlin", (dt.date(2026, 12, 6), dt.time(9, 0))),
    (dt.datetime(2026, 12, 6, 13, 20, tzinfo=UTC), "Europe/Berlin", (dt.date(2026, 12, 6), dt.time(15, 0))),
    (dt.datetime(2026, 12, 6, 16, 30, tzinfo=UTC), "Europe/Berlin", (dt.date(2026, 12, 7), dt.time(9, 0))),
    (dt.datetime(2026, 12, 6, 22, 30, tzinfo=UTC), "Asia/Kathmandu", (dt.date(2026, 12, 7), dt.time(9, 0))),
    (dt.datetime(2027, 3, 28, 0, 30, tzinfo=UTC), "Europe/Berlin", (dt.date(2027, 3, 28), dt.time(9, 0))),
])
def test_the_default_start_is_the_next_working_hour_or_nine_never_one_in_the_night(now_utc, zone, expected):
    assert default_start(zone, now=now_utc) == expected


def test_the_new_session_form_at_night_proposes_nine(client, w, monkeypatch):
    night = dt.datetime(2026, 12, 6, 0, 27, tzinfo=UTC)
    monkeypatch.setattr("apps.dashboard.timezones.timezone.now", lambda: night)
    client.force_login(w.mediator)
    body = client.get(f"/disputes/{w.dispute.pk}/sessions/new/").content.decode()
    start = body.split('name="start"')[1].split(">")[0]
    assert 'value="09:00"' in start


def test_a_venue_stored_under_a_legacy_zone_name_stays_selected_and_valid(client, w):
    start = dt.datetime(2027, 1, 20, 5, 0, tzinfo=UTC)
    w.joint.time_zone, w.joint.starts_at, w.joint.ends_at = "Asia/Calcutta", start, start + dt.timedelta(hours=1)
    w.joint.status = MediationSession.Status.PLANNED
    w.joint.save()
    client.force_login(w.mediator)
    body = client.get(f"/sessions/{w.joint.pk}/").content.decode()
    assert '<option value="Asia/Calcutta" selected>' in body  # not silently the first zone of the list
    assert '<option value="Asia/Kolkata">' in body and '<option value="Asia/Calcutta">' not in body
    new = client.get("/sessions/time-preview/", {"day": "2027-01-21", "start": "10:30", "duration": "60",
                                                 "time_zone": "Asia/Calcutta"}).content.decode()
    assert "06:00" in new  # 10:30 in India is 06:00 in Berlin: the alias still converts
