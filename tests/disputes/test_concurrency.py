"""Two requests at the same time: references never collide, unique names never half-succeed.

These tests commit for real (transactional_db) and use one database connection per thread.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import close_old_connections, connection, transaction

from apps.accounts.actors import Actor
from apps.common.errors import ApplicationError
from apps.disputes import services
from apps.disputes.models import Dispute, ReferenceCounter
from apps.parties import services as party_services
from apps.parties.models import Party
from tests.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db(transaction=True)

OPENED_ON = dt.date(2026, 7, 1)


def _in_thread(target: Callable[[], Any], results: list, errors: list) -> threading.Thread:
    def run() -> None:
        try:
            results.append(target())
        except Exception as exc:  # reported to the test
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.fixture
def people():
    org = OrganisationFactory(slug="concurrent")
    admin = Actor.for_membership(MembershipFactory(organisation=org, role="admin"))
    lead = MembershipFactory(organisation=org, role="mediator").user
    return org, admin, lead


@pytest.mark.parametrize("counter_exists", [False, True], ids=["first of the year", "counter row exists"])
def test_a_dispute_opened_while_another_is_being_opened_gets_the_next_reference(people, counter_exists):
    """The first opening holds its transaction open; the second must wait for it, then take the next number."""
    org, admin, lead = people
    if counter_exists:
        ReferenceCounter.objects.create(organisation=org, year=2026, last=41)
    first_done, release = threading.Event(), threading.Event()
    results: list[str] = []
    errors: list[Exception] = []

    def first() -> str:
        with transaction.atomic():
            dispute = services.dispute_open(actor=admin, title="First", lead_mediator=lead, opened_on=OPENED_ON)
            first_done.set()
            release.wait(10)  # still uncommitted while the second one starts
        return dispute.reference

    def second() -> tuple[str, float]:
        first_done.wait(10)
        started = time.monotonic()
        dispute = services.dispute_open(actor=admin, title="Second", lead_mediator=lead, opened_on=OPENED_ON)
        return dispute.reference, time.monotonic() - started

    threads = [_in_thread(first, results, errors), _in_thread(second, results, errors)]
    first_done.wait(10)
    time.sleep(0.5)
    release.set()
    for thread in threads:
        thread.join(20)
    close_old_connections()
    assert not errors, errors
    by_title = dict(Dispute.objects.filter(organisation=org).values_list("title", "reference"))
    start = 42 if counter_exists else 1
    assert by_title == {"First": f"PC-2026-{start:04d}", "Second": f"PC-2026-{start + 1:04d}"}
    (_ref, waited), = [r for r in results if isinstance(r, tuple)]
    assert waited >= 0.4  # it really waited for the first transaction
    assert ReferenceCounter.objects.get(organisation=org, year=2026).last == start + 1


def test_many_disputes_opened_at_once_get_distinct_consecutive_references(people):
    org, admin, lead = people
    barrier = threading.Barrier(8)
    results: list[str] = []
    errors: list[Exception] = []

    def open_three() -> list[str]:
        barrier.wait(10)
        return [services.dispute_open(actor=admin, title="Rush", lead_mediator=lead, opened_on=OPENED_ON).reference
                for _ in range(3)]

    threads = [_in_thread(open_three, results, errors) for _ in range(8)]
    for thread in threads:
        thread.join(60)
    close_old_connections()
    assert not errors, errors
    references = sorted(ref for batch in results for ref in batch)
    assert references == [f"PC-2026-{n:04d}" for n in range(1, 25)]
    assert Dispute.objects.filter(organisation=org).count() == 24


def test_the_same_party_created_twice_at_once_is_created_once(people):
    org, admin, _lead = people
    barrier = threading.Barrier(2)
    results: list[Party] = []
    errors: list[Exception] = []

    def create(name: str) -> Callable[[], Party]:
        def run() -> Party:
            barrier.wait(10)
            return party_services.party_create(actor=admin, kind="community", name=name)

        return run

    threads = [_in_thread(create("Hill Herders"), results, errors),
               _in_thread(create("  hill   HERDERS "), results, errors)]
    for thread in threads:
        thread.join(20)
    close_old_connections()
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], ApplicationError) and errors[0].field == "name"
    assert Party.objects.filter(organisation=org).count() == 1
