"""The iCal feed shows only what its owner may see now (DESIGN.md §3b, issue #14).

A feed URL lives in a phone's calendar for years; each fetch re-checks the owner's access with the
selectors the pages use, so losing a seat on the team, the organisation or the account empties it.
"""

import datetime as dt

import pytest
from django.utils import timezone
from icalendar import Calendar

from apps.accounts.actors import Actor
from apps.accounts.models import Membership
from apps.accounts.services import membership_change_role
from apps.dashboard.services import calendar_feed_create
from apps.disputes.models import CaseTeamMember, Confidentiality
from tests.factories import DisputeFactory, MediationSessionFactory, MembershipFactory

pytestmark = pytest.mark.django_db

MARKER = "OKAPI-5520"


@pytest.fixture
def member(org):
    return MembershipFactory(organisation=org, role=Membership.Role.MEDIATOR).user


@pytest.fixture
def world(org, member):
    """A restricted and a standard dispute, ``member`` on both teams, one session in each."""
    restricted = DisputeFactory(organisation=org, reference=f"PC-{MARKER}", confidentiality=Confidentiality.RESTRICTED)
    standard = DisputeFactory(organisation=org, reference="PC-OPEN-1")
    for dispute in (restricted, standard):
        CaseTeamMember.objects.create(dispute=dispute, user=member, role=CaseTeamMember.Role.CO_MEDIATOR,
                                      starts_on=dispute.opened_on)
        MediationSessionFactory(dispute=dispute, title=f"Talks {dispute.reference}",
                                starts_at=timezone.now() + dt.timedelta(days=3))
    return restricted, standard


def feed_token(org, user) -> str:
    return calendar_feed_create(actor=Actor.for_membership(Membership.objects.get(user=user, organisation=org)))[1]


def summaries(client, token) -> str:
    response = client.get(f"/calendar/feed/{token}.ics")
    assert response.status_code == 200
    return " | ".join(str(e["summary"]) for e in Calendar.from_ical(response.content).walk("VEVENT"))


def test_a_member_removed_from_a_restricted_team_no_longer_finds_it_in_the_feed(client, org, member, world):
    restricted, standard = world
    token = feed_token(org, member)
    assert MARKER in summaries(client, token)
    CaseTeamMember.objects.filter(dispute=restricted, user=member).update(active=False)
    text = summaries(client, token)
    assert MARKER not in text
    assert standard.reference in text


def test_a_member_made_analyst_gets_an_empty_feed(client, org, member, world):
    token = feed_token(org, member)
    membership_change_role(membership=Membership.objects.get(user=member, organisation=org), role="analyst")
    assert summaries(client, token) == ""


def test_a_deactivated_account_or_a_removed_membership_ends_the_feed(client, org, member, world):
    token = feed_token(org, member)
    member.is_active = False
    member.save(update_fields=["is_active"])
    assert client.get(f"/calendar/feed/{token}.ics").status_code == 404
    member.is_active = True
    member.save(update_fields=["is_active"])
    assert MARKER in summaries(client, token)
    Membership.objects.filter(user=member, organisation=org).delete()
    assert client.get(f"/calendar/feed/{token}.ics").status_code == 404
