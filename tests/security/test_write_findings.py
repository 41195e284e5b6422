"""Issue #14, findings 3–8: each attack as the attacker ran it against main, refused now with a reason,
and nothing changed. The world is the API's shared one (tests/api/world.py)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from apps.common.models import AuditEvent
from apps.disputes.models import CaseTeamMember, Confidentiality, Dispute, Stage
from apps.sessions.models import SessionNote, SessionNoteVersion, Visibility
from tests.api.world import build_world
from tests.factories.api import make_api_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return build_world()


def _key_client(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def _refused(response, *words: str) -> dict:
    assert response.status_code == 403, response.content
    body = response.json()
    assert body["status"] == 403
    for word in words:
        assert word in body["detail"], body["detail"]
    return body


# --- 3. an observer makes itself lead, then opens up the restricted dispute ---------------------------------


def test_an_observer_cannot_promote_itself_or_open_up_the_restricted_dispute(w):
    observer_m = w.members["mediator_off_team"]
    own_row = CaseTeamMember.objects.create(dispute=w.restricted, user=observer_m.user, role="observer",
                                            starts_on=w.restricted.opened_on)
    lead_row = CaseTeamMember.objects.get(dispute=w.restricted, role="lead_mediator", active=True)
    events = AuditEvent.objects.count()
    client = w.client("mediator_off_team")

    _refused(client.patch(f"/api/v1/team-members/{own_row.pk}/", {"role": "lead_mediator"}, format="json"),
             "lead mediator")
    _refused(client.patch(f"/api/v1/team-members/{own_row.pk}/", {"role": "co_mediator"}, format="json"))
    _refused(client.post(f"/api/v1/disputes/{w.restricted.pk}/confidentiality/", {"confidentiality": "standard"},
                         format="json"), "lead mediator")

    own_row.refresh_from_db()
    lead_row.refresh_from_db()
    assert own_row.role == "observer" and lead_row.role == "lead_mediator" and lead_row.active
    assert Dispute.objects.get(pk=w.restricted.pk).confidentiality == Confidentiality.RESTRICTED
    assert AuditEvent.objects.count() == events
    # The analyst still cannot see it: nothing was opened up.
    assert w.client("analyst").get(f"/api/v1/disputes/{w.restricted.pk}/").status_code == 404


# --- 4. a write key changes the case team -------------------------------------------------------------------


def test_a_write_key_cannot_add_remove_or_promote_team_members(w):
    newcomer = w.members["mediator_off_team"].user
    co_row = w.dispute.team.get(user=w.members["co"].user)
    rows = CaseTeamMember.objects.count()
    client = w.client("write_key")
    _refused(client.post("/api/v1/team-members/", {"dispute": w.dispute.pk, "user": newcomer.pk, "role": "adviser"},
                         format="json"), "case team")
    _refused(client.patch(f"/api/v1/team-members/{co_row.pk}/", {"role": "lead_mediator"}, format="json"))
    _refused(client.delete(f"/api/v1/team-members/{co_row.pk}/"))
    assert CaseTeamMember.objects.count() == rows
    co_row.refresh_from_db()
    assert co_row.active and co_row.role != "lead_mediator"
    # The lead and the admin still may.
    assert w.client("lead").post("/api/v1/team-members/", {"dispute": w.dispute.pk, "user": newcomer.pk,
                                                           "role": "adviser"}, format="json").status_code == 201


# --- 5. a contributor organisation closes the owner's dispute for good ----------------------------------------


@pytest.mark.parametrize("who", ["contributor_key", "contribute_share_member", "write_key", "co"])
def test_a_contributor_a_key_or_a_co_mediator_cannot_close_suspend_or_withdraw(w, who):
    if who == "contributor_key":
        contrib = w.members["contribute_share_member"].organisation
        client = _key_client(make_api_key(contrib, scope="write", name="contrib-writer")[1])
    else:
        client = w.client(who)
    url = f"/api/v1/disputes/{w.dispute.pk}/stage/"
    stage = Dispute.objects.get(pk=w.dispute.pk).stage
    _refused(client.post(url, {"to_stage": "closed", "closure_reason": "ended_without_agreement"}, format="json"),
             "close")
    _refused(client.post(url, {"to_stage": "suspended", "reason": "Elections"}, format="json"))
    _refused(client.post(url, {"to_stage": "withdrawn", "reason": "Parties left"}, format="json"))
    dispute = Dispute.objects.get(pk=w.dispute.pk)
    assert dispute.stage == stage and dispute.closed_on is None
    # An ordinary move stays case work for everyone who writes the dispute.
    forward = {"intake": "assessment", "assessment": "pre_negotiation"}.get(stage)
    if forward:
        assert client.post(url, {"to_stage": forward}, format="json").status_code == 200


def test_the_lead_closes_and_the_admin_decides_on_a_suspended_dispute(w):
    url = f"/api/v1/disputes/{w.dispute.pk}/stage/"
    assert w.client("lead").post(url, {"to_stage": "suspended", "reason": "Elections"},
                                 format="json").status_code == 200
    resume_to = Dispute.objects.get(pk=w.dispute.pk).stage_before_suspension
    _refused(w.client("contribute_share_member").post(url, {"to_stage": resume_to}, format="json"), "resume")
    assert w.client("admin").post(url, {"to_stage": resume_to}, format="json").status_code == 200
    assert Dispute.objects.get(pk=w.dispute.pk).stage == resume_to != Stage.SUSPENDED


# --- 6. a team-only note by someone who cannot read it: a 403, never a 500 ----------------------------------


@pytest.mark.parametrize("who", ["write_key", "contribute_share_member"])
def test_a_caucus_note_by_a_key_or_a_contributor_is_shared_by_default_and_team_only_is_refused(w, who):
    client = w.client(who)
    notes = SessionNote.objects.count()
    refused = client.post("/api/v1/notes/", {"session": w.caucus.pk, "text": "Team words",
                                             "visibility": "team"}, format="json")
    _refused(refused, "case team")
    assert SessionNote.objects.count() == notes

    made = client.post("/api/v1/notes/", {"session": w.caucus.pk, "text": "What A told us"}, format="json")
    assert made.status_code == 201, made.content
    assert made.json()["visibility"] == "shared" and made.json()["text"] == "What A told us"
    note = SessionNote.objects.get(pk=made.json()["id"])
    assert note.visibility == Visibility.SHARED
    # Its writer reads it back.
    assert client.get(f"/api/v1/notes/{note.pk}/").json()["text"] == "What A told us"

    # Narrowing a shared note to team-only: refused with the reason, the note unchanged.
    response = client.patch(f"/api/v1/notes/{note.pk}/", {"visibility": "team"}, format="json",
                            HTTP_IF_MATCH="*")
    _refused(response, "case team")
    note.refresh_from_db()
    assert note.visibility == Visibility.SHARED and note.version == 1


def test_the_case_team_still_writes_team_notes_in_a_caucus_by_default(w):
    made = w.client("co").post("/api/v1/notes/", {"session": w.caucus.pk, "text": "Bottom line"}, format="json")
    assert made.status_code == 201 and made.json()["visibility"] == "team"


# --- 7. a note's source party swapped after the fact ------------------------------------------------------------


def test_the_source_party_is_fixed_once_a_consent_refers_to_the_note(w):
    note = w.team_note  # consent given by A, disclosed to B
    response = w.client("lead").patch(f"/api/v1/notes/{note.pk}/", {"source_party": w.b.pk}, format="json",
                                      HTTP_IF_MATCH="*")
    assert response.status_code == 400, response.content
    assert "source_party" in response.json()["errors"]
    note.refresh_from_db()
    assert note.source_party_id == w.a.pk and note.version == 1


def test_the_source_party_must_be_present_at_the_session(w):
    made = w.client("lead").post("/api/v1/notes/", {"session": w.caucus.pk, "text": "B's words?",
                                                    "source_party": w.b.pk}, format="json")
    assert made.status_code == 400 and "source_party" in made.json()["errors"]
    fresh = w.client("lead").post("/api/v1/notes/", {"session": w.caucus.pk, "text": "A's words"}, format="json")
    assert fresh.json()["source_party_id"] == w.a.pk
    moved = w.client("lead").patch(f"/api/v1/notes/{fresh.json()['id']}/", {"source_party": w.b.pk},
                                   format="json", HTTP_IF_MATCH="*")
    assert moved.status_code == 400 and "source_party" in moved.json()["errors"]


def test_only_the_author_or_the_lead_changes_a_notes_source_party_or_text(w):
    note = w.shared_note  # written by the lead
    for who in ("co", "admin", "write_key", "contribute_share_member"):
        _refused(w.client(who).patch(f"/api/v1/notes/{note.pk}/", {"text": "Rewritten"}, format="json",
                                     HTTP_IF_MATCH="*"), "author")
    note.refresh_from_db()
    assert note.version == 1 and "Rewritten" not in note.text


# --- 8. in the browser: the host's note, the contributor's caucus note ---------------------------------------


def _page_client(w, who: str) -> Client:
    client = Client()
    client.force_login(w.members[who].user)
    return client


def test_a_contributor_cannot_edit_the_hosts_note_in_the_browser(w):
    client = _page_client(w, "contribute_share_member")
    page = client.get(reverse("dispute_session_detail", args=[w.joint.pk]))
    assert page.status_code == 200
    edit_url = reverse("dispute_session_note_edit", args=[w.joint.pk, w.shared_note.pk])
    assert edit_url not in page.content.decode()  # no edit form for someone else's note
    response = client.post(edit_url, {"text": "Rewritten by a contributor", "visibility": "shared",
                                      "based_on_version": w.shared_note.version})
    assert response.status_code == 403
    assert "author" in response.content.decode()
    w.shared_note.refresh_from_db()
    assert "Rewritten" not in w.shared_note.text and w.shared_note.version == 1


def test_a_contributors_caucus_note_defaults_to_shared_and_stays_visible_to_its_author(w):
    client = _page_client(w, "contribute_share_member")
    url = reverse("dispute_session_detail", args=[w.caucus.pk])
    form = client.get(url).content.decode()
    assert 'value="team"' not in form  # no team-only choice off the case team
    assert 'value="shared" checked' in form or 'checked value="shared"' in form or _checked(form, "shared")
    response = client.post(reverse("dispute_session_note_add", args=[w.caucus.pk]),
                           {"text": "Contributor observation ZQC", "visibility": "shared"})
    assert response.status_code in (200, 302)
    page = client.get(url).content.decode()
    assert "Contributor observation ZQC" in page
    assert "Contributing Partner" in page  # the note says which organisation wrote it
    note = SessionNote.objects.get(text="Contributor observation ZQC")
    assert note.visibility == Visibility.SHARED
    assert note.versions.get().written_by_organisation == w.members["contribute_share_member"].organisation


def _checked(html: str, value: str) -> bool:
    import re

    return any(value in tag and "checked" in tag for tag in re.findall(r"<input[^>]*>", html))


def test_an_edit_shows_who_edited_and_for_which_organisation(w):
    note = w.shared_note
    lead, co = w.members["lead"], w.members["co"]
    # The co-mediator's own note, corrected by the lead: the page names the lead and the organisation.
    client = _page_client(w, "co")
    client.post(reverse("dispute_session_note_add", args=[w.joint.pk]),
                {"text": "Co's first draft", "visibility": "shared"})
    mine = SessionNote.objects.get(text="Co's first draft")
    lead_client = _page_client(w, "lead")
    response = lead_client.post(reverse("dispute_session_note_edit", args=[w.joint.pk, mine.pk]),
                                {"text": "Co's draft, corrected", "visibility": "shared", "based_on_version": 1})
    assert response.status_code in (200, 302)
    page = client.get(reverse("dispute_session_detail", args=[w.joint.pk])).content.decode()
    assert f"edited by {lead.user} ({lead.organisation.name})" in page
    versions = list(SessionNoteVersion.objects.filter(note=mine).order_by("version"))
    assert [(v.written_by, v.written_by_organisation) for v in versions] == [
        (co.user, co.organisation), (lead.user, lead.organisation)]
    assert note.version == 1
