"""Every list endpoint answers in the same number of queries whatever the page size (1, 10, 50, 200).

The lists are discovered from the router, so a new resource is covered the day it is registered.
The world holds three cases in Alpha (each with every kind of row), so every list has several
rows for its callers: an N+1 shows as a count that grows with the page size.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.actors import Actor
from apps.api.urls import router
from apps.common.models import AuditEvent
from apps.disputes.models import CaseShare
from apps.disputes.services import party_position_set
from tests.api.world import _seed_case, build_world
from tests.factories import CaseShareFactory, CaseTeamMemberFactory, DisputeFactory
from tests.factories.reminders import NotificationFactory

pytestmark = pytest.mark.django_db

SIZES = (1, 10, 50, 200)
# Lists with one row by nature for these callers, or none: their counts are still compared.
FEW_ROWS = {
    "webhooks": "admins only; none registered in this world",
    "audit-events": "admins only",
    "risk-assessments": "none recorded in this world",
    "changes": "nothing left anyone's view in this world",
}
LISTS = sorted(prefix for prefix, viewset, _basename in router.registry
               if "list" in getattr(viewset, "supported_actions", lambda: {"list"})())


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from django.db import transaction

        with transaction.atomic():
            w = build_world()
            for n in (2, 3):
                d = DisputeFactory(organisation=w.org, lead=w.members["lead"].user, title=f"Case {n}")
                CaseTeamMemberFactory(dispute=d, user=w.members["co"].user)
                CaseShareFactory(dispute=d, organisation=w.members["read_share_member"].organisation,
                                 level=CaseShare.Level.READ)
                seeded = _seed_case(org=w.org, lead_m=w.members["lead"], co_m=w.members["co"], dispute=d,
                                    names=(f"Party A{n}", f"Party B{n}"))
                lead = Actor.for_membership(w.members["lead"])
                for party in (seeded["a"], seeded["b"]):
                    party_position_set(actor=lead, case_party=party, issue=seeded["issue"], position="The river line")
                NotificationFactory(recipient=w.members["lead"].user, organisation=w.org, title=f"Reminder {n}")
            yield w
            transaction.set_rollback(True)


AUDIT_INSERT = f'INSERT INTO "{AuditEvent._meta.db_table}"'


def _counts(client, url: str) -> tuple[dict[int, int], int] | None:
    """Queries by page size, leaving out the one INSERT that audits the team notes a page shows
    (a page without one has no INSERT; that is the rule, not an N+1). None when the caller may not list."""
    if client.get(f"{url}?page_size=1").status_code == 403:  # warm-up too: last-used stamp, first session save
        return None
    counts = {}
    for size in SIZES:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"{url}?page_size={size}")
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        counts[size] = sum(1 for q in ctx.captured_queries if not q["sql"].startswith(AUDIT_INSERT))
    return counts, len(response.json()["results"])


def test_the_router_has_the_lists_we_expect():
    assert {"disputes", "sessions", "notes", "proposals", "agreements", "provisions", "notifications"} <= set(LISTS)
    assert len(LISTS) >= 20


@pytest.mark.parametrize("caller", ["admin", "lead", "read_key", "read_share_member"])
@pytest.mark.parametrize("prefix", LISTS)
def test_every_list_runs_in_a_fixed_number_of_queries(world, caller, prefix):
    measured = _counts(world.client(caller), f"/api/v1/{prefix}/")
    if measured is None:
        assert caller in ("read_key", "read_share_member", "lead") and prefix in (
            "api-keys", "audit-events", "members", "notifications", "webhooks"), f"{prefix} refused to {caller}"
        pytest.skip(f"{prefix} is not for {caller} (403; the permission matrix tests it)")
    counts, rows = measured
    assert len(set(counts.values())) == 1, f"{prefix} as {caller}: queries by page size {counts}"
    assert max(counts.values()) <= 12, f"{prefix} as {caller}: {counts}"
    if prefix not in FEW_ROWS and caller == "lead":
        assert rows >= 2, f"{prefix} as {caller}: {rows} row(s) — the check needs several"
