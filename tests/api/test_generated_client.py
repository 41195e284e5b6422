"""The partner's path of issue #15, with the partner's tools: the live schema (``?format=json``)
passes openapi-spec-validator, openapi-python-client builds a client from it without a warning, and
that client pages to the end, syncs, creates, updates with If-Match and retries with an
Idempotency-Key against the running server."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import sys

import pytest
import requests
from django.utils import timezone

from apps.accounts.models import Membership
from apps.api.management.commands.check_schema_clients import generate_client, validate_schema
from apps.disputes.models import Dispute
from tests.factories import DisputeFactory, MembershipFactory, PartyFactory
from tests.factories.api import make_api_key

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_spec_validator_catches_a_broken_schema():
    document = {
        "openapi": "3.1.0", "info": {"title": "t", "version": "1"},
        "paths": {"/x/{id}/": {"get": {"parameters": [{"name": "pk", "in": "path", "required": True,
                                                       "schema": {"type": "integer"}}],
                                      "responses": {"200": {"description": "ok"}}}}},
    }
    assert validate_schema(document)


def test_a_generated_client_pages_syncs_creates_updates_and_retries(live_server, org, tmp_path):
    lead = MembershipFactory(organisation=org, role=Membership.Role.MEDIATOR).user
    disputes = [DisputeFactory(organisation=org, lead=lead, title=f"Case {n}") for n in range(5)]
    party = PartyFactory(organisation=org, name="Eastern Farmers")
    _key, raw = make_api_key(org, scope="write")
    # Written well before the first pull: a watermark re-reads what changed in its safety margin (5 s
    # before the oldest open transaction), so rows made just now would come back by design.
    Dispute.objects.filter(pk__in=[d.pk for d in disputes]).update(
        updated_at=timezone.now() - dt.timedelta(minutes=5))

    response = requests.get(f"{live_server.url}/api/schema/?format=json", timeout=30)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/json")
    document = response.json()
    assert validate_schema(document) == []
    assert '"nullable"' not in response.text
    schema_path = tmp_path / "openapi.json"
    schema_path.write_text(json.dumps(document))
    problems, output = generate_client(schema_path, tmp_path / "peacecase_client")
    assert problems == [], output

    sys.path.insert(0, str(tmp_path))
    try:
        client_pkg = importlib.import_module("peacecase_client")
        disputes_api = importlib.import_module("peacecase_client.api.disputes")
        sync_api = importlib.import_module("peacecase_client.api.sync")
        models = importlib.import_module("peacecase_client.models")
        for name in ("disputes_list", "disputes_create", "disputes_partial_update", "disputes_retrieve",
                     "case_parties_create"):
            importlib.import_module(f"peacecase_client.api.disputes.{name}")
        importlib.import_module("peacecase_client.api.sync.changes_list")
    finally:
        sys.path.remove(str(tmp_path))
    client = client_pkg.AuthenticatedClient(base_url=live_server.url, token=raw, prefix="Api-Key",
                                            raise_on_unexpected_status=True)

    # Page to the end with the bare cursor (next_cursor), typed rows and enums.
    seen, cursor, pages, watermark = [], None, 0, None
    while True:
        page = disputes_api.disputes_list.sync(client=client, page_size=2, cursor=cursor or client_pkg.types.UNSET)
        assert isinstance(page, models.PaginatedDisputeListRowList), page
        watermark = watermark or page.sync_watermark
        assert page.sync_watermark == watermark
        seen += page.results
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert pages == 3
    assert sorted(row.id for row in seen) == sorted(d.pk for d in disputes)
    assert {row.track for row in seen} == {models.TrackEnum.TRACK_1}
    assert all(isinstance(row.id, int) for row in seen)

    # Create, safely retried with the same Idempotency-Key.
    body = models.DisputeInputRequest(title="Water rights in the valley", lead_mediator=lead.pk,
                                      track=models.TrackEnum.TRACK_1_5)
    created = disputes_api.disputes_create.sync_detailed(client=client, body=body, idempotency_key="create-1")
    assert created.status_code == 201
    new = created.parsed
    assert isinstance(new, models.DisputeOutput) and new.track == models.TrackEnum.TRACK_1_5
    assert created.headers["Location"].endswith(f"/api/v1/disputes/{new.id}/")
    retried = disputes_api.disputes_create.sync_detailed(client=client, body=body, idempotency_key="create-1")
    assert retried.status_code == 201 and retried.parsed.id == new.id
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert Dispute.objects.filter(title="Water rights in the valley").count() == 1

    # Update with If-Match; a stale ETag is a 412 problem, not an exception; 304 on a current one.
    etag = created.headers["ETag"]
    current = disputes_api.disputes_retrieve.sync_detailed(new.id, client=client, if_none_match=etag)
    assert int(current.status_code) == 304
    patch = models.PatchedDisputeUpdateInputRequest(title="Water rights in the upper valley")
    updated = disputes_api.disputes_partial_update.sync_detailed(new.id, client=client, body=patch, if_match=etag)
    assert updated.status_code == 200 and updated.parsed.title == "Water rights in the upper valley"
    stale = disputes_api.disputes_partial_update.sync_detailed(new.id, client=client, body=patch, if_match=etag)
    assert stale.status_code == 412 and isinstance(stale.parsed, models.Problem)

    # A case party joins an old dispute: its row comes back in the next sync, with the party.
    joined = disputes_api.case_parties_create.sync_detailed(
        client=client, body=models.CasePartyInputRequest(dispute=disputes[0].pk, party=party.pk),
    )
    assert joined.status_code == 201

    # Sync from the watermark: the new, the updated and the touched dispute, once each.
    changed, cursor = [], None
    while True:
        page = disputes_api.disputes_list.sync(client=client, updated_since=watermark, page_size=2,
                                               cursor=cursor or client_pkg.types.UNSET)
        changed += page.results
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    by_id = {row.id: row for row in changed}
    assert len(by_id) == len(changed)
    assert set(by_id) == {new.id, disputes[0].pk}
    assert by_id[new.id].title == "Water rights in the upper valley"
    assert [p.name for p in by_id[disputes[0].pk].parties] == ["Eastern Farmers"]
    gone = sync_api.changes_list.sync(client=client, since=watermark)
    assert gone.results == []
