"""/operations/audit.csv: the organisation's audit trail for its admins, streamed, never note text."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.urls import reverse

from apps.accounts.actors import Actor
from apps.accounts.models import Membership
from apps.common.models import AuditEvent
from apps.common.services import audit_record
from apps.sessions.models import MediationSession, Visibility
from apps.sessions.services import session_note_add, session_note_edit
from tests.factories import DisputeFactory, MembershipFactory

pytestmark = pytest.mark.django_db

URL = "/operations/audit.csv"
SECRET = "Caucus only: the Front will trade the airport for an amnesty"


def _rows(response) -> list[dict[str, str]]:
    assert response.streaming
    body = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    return list(csv.DictReader(io.StringIO(body)))


def test_the_url_resolves_in_the_operations_namespace():
    assert reverse("operations:audit_csv") == URL


def test_an_admin_downloads_the_organisations_trail_and_nothing_of_another_organisation(
        client, org, other_org, admin_membership):
    mine = DisputeFactory(organisation=org, reference="PC-2026-0001")
    theirs = DisputeFactory(organisation=other_org, reference="PC-2026-0001", title="Their secret dispute")
    audit_record(actor=None, action="disputes.dispute.opened", target=mine, organisation=org)
    audit_record(actor=None, action="disputes.dispute.opened", target=theirs, organisation=other_org)
    client.force_login(admin_membership.user)

    response = client.get(URL)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _rows(response)
    assert [(r["action"], r["dispute"]) for r in rows] == [("disputes.dispute.opened", "PC-2026-0001")]
    assert all("Their secret dispute" not in v for r in rows for v in r.values())


@pytest.mark.parametrize("role", [Membership.Role.MEDIATOR, Membership.Role.CASE_OFFICER, Membership.Role.ANALYST,
                                  Membership.Role.PARTNER])
def test_anyone_but_an_admin_gets_a_404(client, org, role):
    audit_record(actor=None, action="disputes.dispute.opened", organisation=org)
    client.force_login(MembershipFactory(organisation=org, role=role).user)
    response = client.get(URL)
    assert response.status_code == 404
    assert b"disputes.dispute.opened" not in response.content


def test_an_admin_of_another_organisation_sees_only_their_own(client, org, other_org):
    audit_record(actor=None, action="disputes.dispute.opened", organisation=org)
    client.force_login(MembershipFactory(organisation=other_org, role=Membership.Role.ADMIN).user)
    assert _rows(client.get(URL)) == []


def test_anonymous_is_sent_to_sign_in(client, org):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/" in response["Location"]


def test_filters_by_dates_action_prefix_and_dispute_reference(client, org, admin_membership):
    one = DisputeFactory(organisation=org, reference="PC-2026-0001")
    two = DisputeFactory(organisation=org, reference="PC-2026-0002")
    audit_record(actor=None, action="disputes.dispute.opened", target=one)
    audit_record(actor=None, action="sessions.session.scheduled", target=one, organisation=org)
    audit_record(actor=None, action="sessions.session.scheduled", target=two, organisation=org)
    client.force_login(admin_membership.user)
    today = dt.datetime.now(dt.UTC).date()

    by_action = _rows(client.get(URL, {"action": "sessions."}))
    assert [r["dispute"] for r in by_action] == ["PC-2026-0001", "PC-2026-0002"]
    by_dispute = _rows(client.get(URL, {"dispute": "pc-2026-0002"}))
    assert [(r["action"], r["dispute"]) for r in by_dispute] == [("sessions.session.scheduled", "PC-2026-0002")]
    assert len(_rows(client.get(URL, {"from": today.isoformat(), "to": today.isoformat()}))) == 3
    assert _rows(client.get(URL, {"to": (today - dt.timedelta(days=1)).isoformat()})) == []
    assert _rows(client.get(URL, {"from": (today + dt.timedelta(days=1)).isoformat()})) == []


def test_a_malformed_filter_is_refused_rather_than_ignored(client, org, admin_membership):
    client.force_login(admin_membership.user)
    assert client.get(URL, {"from": "yesterday"}).status_code == 404


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_defused(client, org, admin_membership):
    DisputeFactory(organisation=org, title="=HYPERLINK(\"http://evil\")")
    dispute = org.disputes.get()
    audit_record(actor=None, action="disputes.dispute.opened", target=dispute)
    client.force_login(admin_membership.user)
    [row] = _rows(client.get(URL))
    assert row["target"].startswith("PC-")  # the label starts with the reference
    audit_record(actor=None, action="=cmd|' /C calc'!A0", organisation=org)
    rows = _rows(client.get(URL))
    assert rows[-1]["action"] == "'=cmd|' /C calc'!A0"


def test_no_audit_row_and_no_csv_line_holds_the_text_of_a_team_only_note(client, world, org):
    lead = Actor.for_membership(Membership.objects.get(user=world.lead, organisation=org))
    caucus = MediationSession.objects.get(title="Visit to the Front")
    note = session_note_add(actor=lead, session=caucus, text=SECRET, visibility=Visibility.TEAM,
                            source_party=world.team_note.source_party)
    session_note_edit(actor=lead, note=note, based_on_version=note.version, text=SECRET + " (confirmed)")

    for event in AuditEvent.objects.all():
        stored = " ".join([event.action, event.actor_label, event.target_label, event.target_id,
                           json.dumps(event.before, ensure_ascii=False), json.dumps(event.after, ensure_ascii=False)])
        assert "airport" not in stored, event.action
    assert AuditEvent.objects.filter(action__startswith="sessions.note", target_id=str(note.pk)).count() >= 2

    client.force_login(world.admin)
    response = client.get(URL)
    body = b"".join(response.streaming_content).decode("utf-8")
    assert "sessions.note" in body
    assert "airport" not in body
    assert "5 km buffer" not in body


@pytest.mark.parametrize("n", [5, 60])
def test_the_query_count_does_not_grow_with_the_rows(client, org, admin_membership, django_assert_max_num_queries, n):
    disputes = [DisputeFactory(organisation=org, lead=False) for _ in range(3)]
    for i in range(n):
        audit_record(actor=admin_membership.user, action="disputes.dispute.updated", target=disputes[i % 3],
                     organisation=org)
    client.force_login(admin_membership.user)
    with django_assert_max_num_queries(8):
        rows = _rows(client.get(URL))
    assert len(rows) == n
    assert {r["actor e-mail"] for r in rows} == {admin_membership.user.email}
