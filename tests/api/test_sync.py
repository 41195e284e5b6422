"""Lossless incremental sync (issue #15): what a row embeds touches it, what leaves a caller's view
is in /changes/, and the watermark never lets a change slip between two pulls.

The partner's replica in these tests is a dict id -> row, filled by the loop docs/PARTNERS.md shows.
"""

from __future__ import annotations

import datetime as dt
import time

import psycopg2
import pytest
from django.db import connection
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from apps.disputes.models import CaseParty, CaseShare, Confidentiality, Dispute
from tests.api.helpers import assert_problem
from tests.factories import (
    CasePartyFactory,
    CaseShareFactory,
    DisputeFactory,
    MembershipFactory,
    OrganisationFactory,
    PartyFactory,
)
from tests.factories.api import make_api_key


def _client(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


def _pull(client, url: str, *, between_pages=None) -> tuple[list[dict], str]:
    """Every page of a list; ``between_pages(n)`` runs after page n. Returns the rows and the watermark."""
    rows, watermarks, page = [], set(), 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        assert response["Sync-Watermark"] == body["sync_watermark"]
        watermarks.add(body["sync_watermark"])
        rows += body["results"]
        page += 1
        if body["next"]:
            assert body["next_cursor"] and f"cursor={body['next_cursor']}" in body["next"].replace("%3D", "=")
        url = body["next"]
        if url and between_pages:
            between_pages(page)
    assert len(watermarks) == 1, "every page of one pull carries the first page's watermark"
    return rows, watermarks.pop()


def _departed(client, since: str) -> list[dict]:
    rows, _ = _pull(client, f"/api/v1/changes/?since={since}")
    return rows


def _sync(client, replica: dict[int, dict], watermark: str | None, **pull) -> str:
    """One incremental sync: upsert what changed, drop what left. Returns the next watermark."""
    url = "/api/v1/disputes/?page_size=2" + (f"&updated_since={watermark}" if watermark else "")
    rows, next_watermark = _pull(client, url.replace("+", "%2B"), **pull)
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)), "no row twice in one pull"
    replica.update({row["id"]: row for row in rows})
    if watermark:
        for gone in _departed(client, watermark):
            if gone["resource"] == "dispute":
                replica.pop(gone["id"], None)
    return next_watermark


def _server_view(client) -> dict[int, dict]:
    rows, _ = _pull(client, "/api/v1/disputes/?page_size=200")
    return {row["id"]: row for row in rows}


# --- what a row embeds touches it ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_change_to_what_a_dispute_embeds_gives_it_a_new_updated_at(org):
    dispute = DisputeFactory(organisation=org)
    party = PartyFactory(organisation=org, name="Northern Herders")
    _key, raw = make_api_key(org, scope="write")
    client = _client(raw)

    def stamp() -> dt.datetime:
        return Dispute.objects.values_list("updated_at", flat=True).get(pk=dispute.pk)

    before = stamp()
    # Added through the API (the service) ...
    response = client.post("/api/v1/case-parties/", {"dispute": dispute.pk, "party": party.pk}, format="json")
    assert response.status_code == 201, response.content
    assert response["Location"].endswith(f"/api/v1/case-parties/{response.json()['id']}/")
    added = stamp()
    assert added > before
    # ... renamed by any other path (here the ORM, as the admin or an import would) ...
    party.name = "Northern Pastoralists"
    party.save()
    renamed = stamp()
    assert renamed > added
    row = next(r for r in client.get(f"/api/v1/disputes/?updated_since={renamed.isoformat().replace('+', '%2B')}")
               .json()["results"] if r["id"] == dispute.pk)
    assert [p["name"] for p in row["parties"]] == ["Northern Pastoralists"]
    # ... a field the row does not embed leaves it alone ...
    CaseParty.objects.filter(dispute=dispute).update(red_lines="No return of the wells")
    assert stamp() == renamed
    # ... and removing the party touches it again, and leaves a departure for the case party.
    case_party = CaseParty.objects.get(dispute=dispute)
    assert client.delete(f"/api/v1/case-parties/{case_party.pk}/").status_code == 204
    assert stamp() > renamed
    gone = client.get(f"/api/v1/changes/?since={renamed.isoformat().replace('+', '%2B')}").json()["results"]
    assert [(g["resource"], g["id"], g["dispute_id"]) for g in gone] == [("case-party", case_party.pk, dispute.pk)]


@pytest.mark.django_db
def test_the_dispute_etag_changes_when_its_parties_do(org):
    dispute = DisputeFactory(organisation=org)
    _key, raw = make_api_key(org, scope="write")
    client = _client(raw)
    etag = client.get(f"/api/v1/disputes/{dispute.pk}/")["ETag"]
    assert client.get(f"/api/v1/disputes/{dispute.pk}/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    CasePartyFactory(dispute=dispute)
    fresh = client.get(f"/api/v1/disputes/{dispute.pk}/", HTTP_IF_NONE_MATCH=etag)
    assert fresh.status_code == 200 and fresh["ETag"] != etag and len(fresh.json()["parties"]) == 1


# --- the change feed -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_change_feed_lists_what_left_the_callers_view_and_nothing_else(org):
    beta = OrganisationFactory(slug="beta")
    gamma = OrganisationFactory(slug="gamma")
    shared = DisputeFactory(organisation=org, title="Shared with Beta")
    to_restrict = DisputeFactory(organisation=org, title="About to be restricted")
    staying = DisputeFactory(organisation=org, title="Staying")
    gamma_dispute = DisputeFactory(organisation=gamma, title="Gamma's own")
    share = CaseShareFactory(dispute=shared, organisation=beta, level=CaseShare.Level.READ)
    _k, alpha_raw = make_api_key(org)
    _k, beta_raw = make_api_key(beta)
    _k, gamma_raw = make_api_key(gamma)
    alpha, beta_client, gamma_client = _client(alpha_raw), _client(beta_raw), _client(gamma_raw)
    since = alpha.get("/api/v1/disputes/").json()["sync_watermark"]
    assert shared.pk in {r["id"] for r in beta_client.get("/api/v1/disputes/").json()["results"]}

    Dispute.objects.filter(pk=to_restrict.pk).update(confidentiality=Confidentiality.RESTRICTED)
    share.revoked_at = share.created_at + dt.timedelta(days=1)
    share.save()
    Dispute.objects.filter(pk=gamma_dispute.pk).update(confidentiality=Confidentiality.RESTRICTED)

    alpha_gone = alpha.get(f"/api/v1/changes/?since={since}").json()
    assert [(r["resource"], r["id"]) for r in alpha_gone["results"]] == [("dispute", to_restrict.pk)]
    assert set(alpha_gone["results"][0]) == {"resource", "id", "dispute_id", "left_at"}  # never why
    beta_gone = beta_client.get(f"/api/v1/changes/?since={since}").json()["results"]
    assert [(r["resource"], r["id"]) for r in beta_gone] == [("dispute", shared.pk)]
    # Gamma's own restriction: its key lost it; nobody else hears of an id they never saw.
    assert [r["id"] for r in gamma_client.get(f"/api/v1/changes/?since={since}").json()["results"]] == [
        gamma_dispute.pk
    ]
    # The admin still sees the restricted dispute: not in the admin's feed.
    admin = APIClient()
    admin.force_login(MembershipFactory(organisation=org, role="admin").user)
    assert admin.get(f"/api/v1/changes/?since={since}").json()["results"] == []
    assert staying.pk not in {r["id"] for r in alpha_gone["results"]}
    # Shared again: it is visible again, so it no longer counts as gone.
    CaseShareFactory(dispute=shared, organisation=beta, level=CaseShare.Level.READ)
    assert beta_client.get(f"/api/v1/changes/?since={since}").json()["results"] == []


@pytest.mark.django_db
def test_unknown_query_parameters_are_a_400_naming_them(org):
    _k, raw = make_api_key(org)
    client = _client(raw)
    body = assert_problem(client.get("/api/v1/changes/?sinse=2026-01-01T00:00:00Z"), 400, "unknown_parameter")
    assert set(body["errors"]) == {"sinse"}
    body = assert_problem(client.get("/api/v1/disputes/?updated_sinse=2026-01-01T00:00:00Z&colour=red"), 400)
    assert set(body["errors"]) == {"updated_sinse", "colour"}
    body = assert_problem(client.get("/api/v1/disputes/1/?fields=title"), 400)
    assert set(body["errors"]) == {"fields"}


# --- the watermark ---------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_changes_between_the_pages_of_a_pull_are_neither_missed_nor_doubled(org):
    other = OrganisationFactory(slug="other")
    disputes = [DisputeFactory(organisation=org, title=f"Case {n}") for n in range(7)]
    shared_in = DisputeFactory(organisation=other, title="Shared in")
    share = CaseShareFactory(dispute=shared_in, organisation=org, level=CaseShare.Level.READ)
    _k, raw = make_api_key(org)
    client = _client(raw)
    replica: dict[int, dict] = {}
    watermark = _sync(client, replica, None)
    assert replica == _server_view(client)
    time.sleep(1)  # the first pull's rows are older than anything below

    newest_first = sorted(disputes, key=lambda d: -d.pk)

    def meanwhile(page: int) -> None:
        if page == 1:
            # Already read in this pull: its change must come in the next one.
            Dispute.objects.filter(pk=newest_first[0].pk).update(title="Renamed after its page was read")
            CasePartyFactory(dispute=newest_first[1], party=PartyFactory(organisation=org, name="Joined mid-pull"))
            # Not read yet: comes in this pull, once.
            Dispute.objects.filter(pk=newest_first[-1].pk).update(title="Renamed before its page was read")
        if page == 2:
            DisputeFactory(organisation=org, title="Opened mid-pull")  # a new id, before the cursor
            Dispute.objects.filter(pk=newest_first[2].pk).update(confidentiality=Confidentiality.RESTRICTED)
            share.revoked_at = share.created_at + dt.timedelta(days=1)
            share.save()

    # Everything changed since the first pull (nothing yet): the pull sees the middle of the change.
    Dispute.objects.filter(pk__in=[d.pk for d in disputes]).update(summary="touched")
    watermark = _sync(client, replica, watermark, between_pages=meanwhile)
    # A second pull after the changes: the replica is the server's view, exactly.
    _sync(client, replica, watermark)
    server = _server_view(client)
    assert replica == server
    assert replica[newest_first[0].pk]["title"] == "Renamed after its page was read"
    assert "Joined mid-pull" in [p["name"] for p in replica[newest_first[1].pk]["parties"]]
    assert "Opened mid-pull" in {row["title"] for row in replica.values()}
    assert newest_first[2].pk not in replica and shared_in.pk not in replica


@pytest.mark.django_db(transaction=True)
def test_a_row_committed_after_the_watermark_was_taken_comes_in_the_next_pull(org):
    dispute = DisputeFactory(organisation=org, title="Before")
    _k, raw = make_api_key(org)
    client = _client(raw)
    settings = connection.settings_dict
    dsn = {"dbname": settings["NAME"], "user": settings["USER"], "host": settings["HOST"] or None,
           "port": settings["PORT"] or None, "password": settings["PASSWORD"] or None}
    # Another writer: its transaction starts, stamps updated_at, and is still open during the pull.
    writer = psycopg2.connect(**{k: v for k, v in dsn.items() if v})
    try:
        writer.cursor().execute("UPDATE disputes_dispute SET title = 'Written during the pull', updated_at = now() "
                       "WHERE id = %s", [dispute.pk])
        time.sleep(7)  # longer than the safety margin: only the open transaction can hold the watermark back
        body = client.get("/api/v1/disputes/").json()
        writer.commit()
    finally:
        writer.close()
    assert {r["id"]: r["title"] for r in body["results"]}[dispute.pk] == "Before"
    stamped = Dispute.objects.get(pk=dispute.pk).updated_at
    assert parse_datetime(body["sync_watermark"]) <= stamped
    rows, _ = _pull(client, f"/api/v1/disputes/?updated_since={body['sync_watermark']}")
    assert {r["id"]: r["title"] for r in rows}[dispute.pk] == "Written during the pull"


@pytest.mark.django_db
def test_every_embedded_change_and_departure_is_recorded_whoever_writes_it(org):
    """The triggers, through the ORM (what the admin, an import or a data fix would do)."""
    from apps.agreements.models import Provision
    from apps.disputes.models import CaseTeamMember, Departure, NegotiationIssue
    from apps.sessions.models import SessionNote, Visibility
    from tests.factories import CaseTeamMemberFactory, NegotiationIssueFactory, ProvisionFactory, SessionNoteFactory
    from tests.factories.agreements import AgreementFactory

    lead = MembershipFactory(organisation=org, role="mediator").user
    dispute = DisputeFactory(organisation=org, lead=lead)

    def bumped(change) -> bool:
        before = Dispute.objects.values_list("updated_at", flat=True).get(pk=dispute.pk)
        change()
        return Dispute.objects.values_list("updated_at", flat=True).get(pk=dispute.pk) > before

    lead.name = "Amina Hassan-Ali"
    assert bumped(lead.save)  # the lead mediator's name is in the row
    issue = NegotiationIssueFactory(dispute=dispute)
    assert bumped(lambda: NegotiationIssue.objects.filter(pk=issue.pk).update(status="agreed"))
    assert not bumped(lambda: NegotiationIssue.objects.filter(pk=issue.pk).update(description="more words"))
    member = CaseTeamMemberFactory(dispute=dispute)
    assert not bumped(lambda: CaseTeamMember.objects.filter(pk=member.pk).update(affiliations=["UN"]))
    assert bumped(lambda: CaseTeamMember.objects.filter(pk=member.pk).update(role="observer"))

    # Departures: a member leaving a restricted dispute's team, a provision deleted, a note narrowed.
    Dispute.objects.filter(pk=dispute.pk).update(confidentiality=Confidentiality.RESTRICTED)
    CaseTeamMember.objects.filter(pk=member.pk).update(active=False)
    Dispute.objects.filter(pk=dispute.pk).update(confidentiality=Confidentiality.STANDARD)
    provision = ProvisionFactory(agreement=AgreementFactory(dispute=dispute))
    provision_id = provision.pk
    Provision.objects.filter(pk=provision_id).delete()
    note = SessionNoteFactory(session__dispute=dispute)
    SessionNote.objects.filter(pk=note.pk).update(visibility=Visibility.TEAM)
    recorded = list(Departure.objects.order_by("id").values_list("resource", "object_id", "organisation_id",
                                                                 "restricted"))
    assert [r[:3] for r in recorded] == [
        ("dispute", dispute.pk, org.pk),  # restricted
        ("dispute", dispute.pk, org.pk),  # the member left its team while restricted
        ("provision", provision_id, None),
        ("note", note.pk, None),
    ]
    assert [r[3] for r in recorded] == [False, True, False, False]
    # A key sees the provision and the note leave (the dispute is standard again, so it is back).
    _k, raw = make_api_key(org)
    gone = _client(raw).get("/api/v1/changes/?page_size=10").json()["results"]
    assert [(g["resource"], g["id"]) for g in gone] == [("provision", provision_id), ("note", note.pk)]
    # The lead (case team) still reads the team note: for the lead it did not leave.
    team = APIClient()
    team.force_login(lead)
    assert [(g["resource"], g["id"]) for g in team.get("/api/v1/changes/").json()["results"]] == [
        ("provision", provision_id)
    ]


@pytest.mark.django_db
def test_a_restricted_dispute_leaving_is_told_only_to_those_who_could_see_it(org):
    from apps.disputes.models import CaseTeamMember
    from tests.factories import CaseTeamMemberFactory

    lead = MembershipFactory(organisation=org, role="mediator").user
    dispute = DisputeFactory(organisation=org, lead=lead, confidentiality=Confidentiality.RESTRICTED)
    member = CaseTeamMemberFactory(dispute=dispute)
    outsider = MembershipFactory(organisation=org, role="mediator").user
    _k, raw = make_api_key(org)
    CaseTeamMember.objects.filter(pk=member.pk).update(active=False)

    def feed(user=None):
        client = _client(raw)
        if user is not None:
            client = APIClient()
            client.force_login(user)
        return [(g["resource"], g["id"]) for g in client.get("/api/v1/changes/").json()["results"]]

    assert feed(member.user) == [("dispute", dispute.pk)]  # it was on their team
    assert feed(outsider) == [] and feed() == []  # they never saw it: not even its id
    assert feed(lead) == []  # still on the team: still visible
