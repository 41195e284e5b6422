"""500s the form fuzz found, one regression test each (all three fixed).

The fuzz (test_form_fuzz.py) keeps fields listed in KNOWN_CRASHES at plausible values; a new crash
found later goes there with a strict xfail test here until it is fixed.
"""

from __future__ import annotations

import pytest
from django.test import Client

from apps.accounts.models import Membership
from apps.parties.models import Party
from tests.factories import MembershipFactory, OrganisationFactory
from tests.factories.reminders import NotificationFactory

pytestmark = pytest.mark.django_db

# (URL name, field) pairs whose hostile values crash the view today; see the tests below.
KNOWN_CRASHES: set[tuple[str, str]] = set()


@pytest.fixture
def member():
    org = OrganisationFactory()
    return MembershipFactory(organisation=org, role=Membership.Role.MEDIATOR)


@pytest.fixture
def client_for(member):
    client = Client(raise_request_exception=False)
    client.force_login(member.user)
    return client


@pytest.mark.parametrize("url", ["read", "read_all"])
def test_a_bare_word_as_next_redirects_to_the_notifications_instead_of_crashing(member, client_for, url):
    notice = NotificationFactory(recipient=member.user, organisation=member.organisation)
    path = f"/notifications/{notice.pk}/read/" if url == "read" else "/notifications/read-all/"
    response = client_for.post(path, {"next": "back"})
    assert response.status_code == 302
    assert response["Location"] == "/notifications/"


def test_a_nul_in_a_party_alias_is_a_form_error_not_a_crash(client_for):
    response = client_for.post("/parties/new/", {"name": "Northern Council", "kind": "state", "aliases": "a\x00b",
                                                  "country": "", "notes": ""})
    assert response.status_code == 200
    assert "aliases" in response.context["form"].errors
    assert not Party.objects.filter(name="Northern Council").exists()


@pytest.mark.django_db(transaction=True)
def test_two_transactions_scheduling_one_reminder_key_at_once_both_succeed():
    import datetime as dt
    import threading

    from django.db import close_old_connections, transaction
    from django.utils import timezone

    from apps.reminders.models import Reminder
    from apps.reminders.services import reminder_schedule

    org = OrganisationFactory()
    due = timezone.now() + dt.timedelta(days=30)
    first_inserted, second_started = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def schedule(first: bool) -> None:
        try:
            with transaction.atomic():
                if not first:
                    first_inserted.wait(10)
                    second_started.set()
                reminder_schedule(organisation=org, kind="dispute_stale", target_type="disputes.dispute",
                                  target_id=1, due_at=due, recipients=[], context={}, key="stale:1")
                if first:
                    first_inserted.set()
                    second_started.wait(10)
                    # The second transaction now waits on the unique index for this one to end.
                    threading.Event().wait(1.5)
        except BaseException as exc:  # recorded and asserted below
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=schedule, args=(first,)) for first in (True, False)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert Reminder.objects.filter(organisation=org, key="stale:1", status=Reminder.Status.PENDING).count() == 1
