"""500s the form fuzz found, one test each, marked xfail(strict=True) until their owners fix them.

The fuzz (test_form_fuzz.py) keeps these fields at plausible values (KNOWN_CRASHES) so it stays green
and strict for everything else; when a fix lands, the test here passes, strict xfail turns that into a
failure, and the marker and the KNOWN_CRASHES entry come out together.
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
KNOWN_CRASHES = {
    ("notification_read", "next"),
    ("notification_read_all", "next"),
    ("party_create", "aliases"),
    ("party_edit", "aliases"),
}


@pytest.fixture
def member():
    org = OrganisationFactory()
    return MembershipFactory(organisation=org, role=Membership.Role.MEDIATOR)


@pytest.fixture
def client_for(member):
    client = Client(raise_request_exception=False)
    client.force_login(member.user)
    return client


@pytest.mark.xfail(strict=True, reason=(
    "500 in apps/reminders/views.py::_back: a `next` without '/' or '.' (e.g. 'back') passes "
    "url_has_allowed_host_and_scheme, then django.shortcuts.redirect(target) tries reverse() and raises "
    "NoReverseMatch. Fix: return HttpResponseRedirect(target) (only for targets starting with '/'), "
    "else redirect('reminders:notification_list')."))
@pytest.mark.parametrize("url", ["read", "read_all"])
def test_a_bare_word_as_next_redirects_to_the_notifications_instead_of_crashing(member, client_for, url):
    notice = NotificationFactory(recipient=member.user, organisation=member.organisation)
    path = f"/notifications/{notice.pk}/read/" if url == "read" else "/notifications/read-all/"
    response = client_for.post(path, {"next": "back"})
    assert response.status_code == 302
    assert response["Location"] == "/notifications/"


@pytest.mark.xfail(strict=True, reason=(
    "500 in apps/dashboard/forms.py::CommaListField (PartyForm.aliases): a NUL character in an alias "
    "reaches PostgreSQL ('A string literal cannot contain NUL') through apps/parties/services.py "
    "party_create/_save_party. Fix: run ProhibitNullCharactersValidator on each item in CommaListField "
    "(RepresentativeForm.languages uses it too), or refuse NUL in parties.services._clean_aliases."))
def test_a_nul_in_a_party_alias_is_a_form_error_not_a_crash(client_for):
    response = client_for.post("/parties/new/", {"name": "Northern Council", "kind": "state", "aliases": "a\x00b",
                                                  "country": "", "notes": ""})
    assert response.status_code == 200
    assert "aliases" in response.context["form"].errors
    assert not Party.objects.filter(name="Northern Council").exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.xfail(strict=True, reason=(
    "500 under load (make soak): apps/reminders/services.py reminder_schedule selects the pending row FOR "
    "UPDATE, but a row not yet committed by another transaction is neither seen nor locked, so both insert "
    "and the second violates reminder_one_pending_per_key (IntegrityError). Two sessions scheduled at once "
    "in one dispute hit it through sessions/notify.py _refresh_stale. Fix: lock something that exists "
    "(the dispute or organisation row) before the lookup, or insert ON CONFLICT and re-read in a savepoint."))
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
