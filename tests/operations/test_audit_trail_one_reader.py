"""The admin's audit trail is one reading: the API, the CSV and the dispute page show the same events.

Before, the API showed the organisation's own events only, while the CSV also showed a contributor
organisation's changes to the organisation's disputes: an admin reading both got two trails.
"""

from __future__ import annotations

import csv
import io

import pytest
from rest_framework.test import APIClient

from apps.accounts.models import Membership
from apps.common.services import audit_record
from apps.disputes.models import CaseShare
from tests.factories import CaseShareFactory, DisputeFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def _api_actions(user) -> set[str]:
    api = APIClient()
    api.force_login(user)
    response = api.get("/api/v1/audit-events/", {"page_size": 200})
    assert response.status_code == 200, response.content
    return {e["action"] for e in response.json()["results"]}


def _csv_actions(client, user) -> set[str]:
    client.force_login(user)
    response = client.get("/operations/audit.csv")
    body = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    return {r["action"] for r in csv.DictReader(io.StringIO(body))}


def test_the_api_the_csv_and_the_dispute_page_agree_for_the_owner_and_the_contributor(client, org, other_org):
    owner_admin = MembershipFactory(organisation=org, role=Membership.Role.ADMIN).user
    contributor_admin = MembershipFactory(organisation=other_org, role=Membership.Role.ADMIN).user
    dispute = DisputeFactory(organisation=org, title="Owner's dispute")
    CaseShareFactory(dispute=dispute, organisation=other_org, level=CaseShare.Level.CONTRIBUTE)
    elsewhere = DisputeFactory(organisation=other_org, title="Contributor's own dispute")
    unrelated = DisputeFactory(organisation=MembershipFactory(role=Membership.Role.ADMIN).organisation)

    # The contributor's member changes the owner's dispute; the owner's admin changes it too.
    # Each event's action is its marker.
    audit_record(actor=None, action="test.contributed_to_owner", target=dispute, organisation=other_org)
    audit_record(actor=None, action="test.owner_changed_own", target=dispute, organisation=org)
    audit_record(actor=None, action="test.contributor_own", target=elsewhere, organisation=other_org)
    audit_record(actor=None, action="test.unrelated", target=unrelated, organisation=unrelated.organisation)

    owner_api = _api_actions(owner_admin)
    assert owner_api == _csv_actions(client, owner_admin) == {"test.contributed_to_owner", "test.owner_changed_own"}

    contributor_api = _api_actions(contributor_admin)
    assert contributor_api == _csv_actions(client, contributor_admin) == {
        "test.contributed_to_owner", "test.contributor_own"}

    # The dispute page's trail is the same reading narrowed to the dispute.
    client.force_login(owner_admin)
    page = client.get(f"/disputes/{dispute.pk}/").content.decode()
    assert "test.contributed_to_owner" in page and "test.owner_changed_own" in page
    assert "test.unrelated" not in page and "test.contributor_own" not in page


@pytest.mark.parametrize("role", [Membership.Role.MEDIATOR, Membership.Role.ANALYST, Membership.Role.PARTNER])
def test_no_one_but_an_admin_reads_the_trail_anywhere(client, org, role):
    user = MembershipFactory(organisation=org, role=role).user
    dispute = DisputeFactory(organisation=org)
    audit_record(actor=None, action="test.planted_trail_marker", target=dispute, organisation=org)
    api = APIClient()
    api.force_login(user)
    response = api.get("/api/v1/audit-events/")
    assert response.status_code == 403
    assert "test.planted_trail_marker" not in response.content.decode()
    client.force_login(user)
    assert client.get("/operations/audit.csv").status_code == 404
    assert "test.planted_trail_marker" not in client.get(f"/disputes/{dispute.pk}/").content.decode()
