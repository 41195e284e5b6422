"""Issue #14 held-out style probes: write escalation through the API and the pages, each caller of
DESIGN.md §3b against each write, on the API's shared world. A refusal is a 403 with a reason (or a
404 when the object is out of the caller's reach), never a 500, and nothing changed."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from apps.accounts.models import Invitation, Membership
from apps.api.models import OrganisationAPIKey
from apps.disputes.models import CaseShare, CaseTeamMember, Confidentiality, Dispute
from apps.sessions.models import SessionNote
from apps.webhooks.models import WebhookEndpoint
from tests.api.world import build_world
from tests.factories import CaseTeamMemberFactory, MembershipFactory, OrganisationFactory
from tests.factories.api import make_api_key

pytestmark = pytest.mark.django_db
Role = Membership.Role

# Every caller of the brief; "observer" sits on the standard dispute's team as an observer.
CALLERS = (
    "observer", "co", "mediator_off_team", "analyst", "partner_member", "read_key", "write_key",
    "contribute_share_member", "contributor_key", "read_share_member", "other_org_admin", "anonymous",
)
NOT_ADMINS = (*CALLERS, "lead")


@pytest.fixture
def w():
    world = build_world()
    observer = MembershipFactory(organisation=world.org, role=Role.MEDIATOR)
    CaseTeamMemberFactory(dispute=world.dispute, user=observer.user, role="observer")
    world.members["observer"] = observer
    world.members["partner_member"] = MembershipFactory(organisation=world.org, role=Role.PARTNER)
    contrib = world.members["contribute_share_member"].organisation
    world.keys["contributor_key"] = make_api_key(contrib, scope="write", name="contrib-writer")[1]
    return world


def _client(w, who: str) -> APIClient:
    return w.client(who) if who != "anonymous" else APIClient()


def _refused(response, *, may_hide: bool = True) -> None:
    """403 with a reason, 401 for the anonymous, or 404 (out of reach; or a 400 naming a field whose
    object is out of reach); never a success or a 500."""
    allowed = {401, 403, 404} if may_hide else {401, 403}
    if may_hide and response.status_code == 400:
        assert "within your reach" in response.content.decode(), response.content
        return
    assert response.status_code in allowed, (response.status_code, response.content[:400])
    if response.status_code == 403:
        assert response.json().get("detail"), response.content


def _patch(client, url: str, data: dict):
    """A PATCH as a real client sends it: with the ETag of what it read (If-Match is required)."""
    got = client.get(url)
    if got.status_code != 200:
        return got
    return client.patch(url, data, format="json", HTTP_IF_MATCH=got["ETag"])


def _put(client, url: str, data: dict):
    got = client.get(url)
    if got.status_code != 200:
        return got
    return client.put(url, data, format="json", HTTP_IF_MATCH=got["ETag"])


def _snapshot(w) -> tuple:
    dispute = Dispute.objects.get(pk=w.dispute.pk)
    return (
        dispute.confidentiality, dispute.stage,
        sorted(CaseTeamMember.objects.filter(dispute=w.dispute).values_list("user_id", "role", "active")),
        sorted(CaseShare.objects.filter(dispute=w.dispute).values_list("organisation_id", "level", "revoked_at")),
        sorted(SessionNote.objects.values_list("pk", "text", "visibility")),
        OrganisationAPIKey.objects.count(), WebhookEndpoint.objects.count(), Invitation.objects.count(),
        sorted(Membership.objects.filter(organisation=w.org).values_list("user_id", "role")),
    )


# --- API: the rules of the case (team, confidentiality, shares, closing) -------------------------------------


@pytest.mark.parametrize("who", NOT_ADMINS)
def test_api_team_changes_and_lead_transfer_are_refused_to_everyone_but_admins_and_the_lead(w, who):
    if who == "lead":
        pytest.skip("the lead may change the team")
    client = _client(w, who)
    newcomer = MembershipFactory(organisation=w.org, role=Role.MEDIATOR).user
    before = _snapshot(w)
    co_row = CaseTeamMember.objects.get(dispute=w.dispute, user=w.members["co"].user)
    own = CaseTeamMember.objects.filter(dispute=w.dispute, user=getattr(w.members.get(who), "user", None)).first()
    _refused(client.post("/api/v1/team-members/", {"dispute": w.dispute.pk, "user": newcomer.pk, "role": "observer"},
                         format="json"))
    for row in filter(None, (co_row, own)):
        _refused(_patch(client, f"/api/v1/team-members/{row.pk}/", {"role": "lead_mediator"}))
        _refused(_put(client, f"/api/v1/team-members/{row.pk}/", {"role": "co_mediator"}))
    _refused(client.delete(f"/api/v1/team-members/{co_row.pk}/"))
    assert _snapshot(w) == before


@pytest.mark.parametrize("who", ["write_key", "contributor_key", "contribute_share_member", "co", "observer",
                                 "read_key", "analyst", "mediator_off_team", "other_org_admin"])
def test_api_confidentiality_cannot_be_changed_by_keys_contributors_or_the_team(w, who):
    client = _client(w, who)
    before = _snapshot(w)
    _refused(client.post(f"/api/v1/disputes/{w.dispute.pk}/confidentiality/", {"confidentiality": "restricted"},
                         format="json"))
    # Through the ordinary update as well: the same rule, not only the dedicated action.
    response = _patch(client, f"/api/v1/disputes/{w.dispute.pk}/", {"confidentiality": "restricted"})
    assert response.status_code != 500
    assert Dispute.objects.get(pk=w.dispute.pk).confidentiality == Confidentiality.STANDARD, response.content
    _refused(client.post(f"/api/v1/disputes/{w.restricted.pk}/confidentiality/", {"confidentiality": "standard"},
                         format="json"))
    assert Dispute.objects.get(pk=w.restricted.pk).confidentiality == Confidentiality.RESTRICTED
    assert _snapshot(w) == before


@pytest.mark.parametrize("who", NOT_ADMINS)
def test_api_shares_are_granted_changed_and_revoked_by_the_owners_admins_only(w, who):
    client = _client(w, who)
    third = OrganisationFactory(slug="third", name="Third Org")
    share = CaseShare.objects.filter(dispute=w.dispute, organisation__slug="reader").first()
    before = _snapshot(w)
    _refused(client.post("/api/v1/shares/", {"dispute": w.dispute.pk, "organisation": third.slug, "level": "read"},
                         format="json"))
    # Raising an existing share's level is a grant too.
    _refused(client.post("/api/v1/shares/", {"dispute": w.dispute.pk, "organisation": "reader",
                                             "level": "contribute"}, format="json"))
    _refused(client.delete(f"/api/v1/shares/{share.pk}/"))
    assert _snapshot(w) == before
    assert not CaseShare.objects.filter(organisation=third).exists()


def test_api_the_admin_grants_a_share(w):
    OrganisationFactory(slug="third", name="Third Org")
    response = w.client("admin").post("/api/v1/shares/", {"dispute": w.dispute.pk, "organisation": "third",
                                                          "level": "read"}, format="json")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("who", ["write_key", "contributor_key", "contribute_share_member", "co", "observer"])
@pytest.mark.parametrize("move", [{"to_stage": "closed", "closure_reason": "ended_without_agreement"},
                                  {"to_stage": "withdrawn", "reason": "Gone"},
                                  {"to_stage": "suspended", "reason": "Elections"}])
def test_api_closing_withdrawing_suspending_is_for_the_lead_and_admins(w, who, move):
    before = _snapshot(w)
    _refused(_client(w, who).post(f"/api/v1/disputes/{w.dispute.pk}/stage/", move, format="json"))
    # The ordinary update cannot move the stage either.
    response = _patch(_client(w, who), f"/api/v1/disputes/{w.dispute.pk}/", {"stage": move["to_stage"]})
    assert response.status_code != 500
    assert _snapshot(w) == before


# --- API: notes --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["write_key", "contributor_key", "contribute_share_member", "analyst",
                                 "partner_member", "read_key", "read_share_member"])
def test_api_team_only_notes_are_refused_with_a_reason_never_a_500(w, who):
    client = _client(w, who)
    before = _snapshot(w)
    response = client.post("/api/v1/notes/", {"session": w.joint.pk, "text": "ZQPROBE", "visibility": "team"},
                           format="json")
    _refused(response)
    response = _patch(client, f"/api/v1/notes/{w.shared_note.pk}/", {"visibility": "team"})
    _refused(response)
    response = _patch(client, f"/api/v1/notes/{w.team_note.pk}/", {"text": "ZQPROBE"})
    _refused(response)
    assert response.status_code != 403 or "ZQPROBE" not in response.content.decode()
    assert _snapshot(w) == before
    assert not SessionNote.objects.filter(text__contains="ZQPROBE").exists()


@pytest.mark.parametrize("who", ["co", "observer", "write_key", "contribute_share_member", "admin"])
def test_api_a_notes_text_is_edited_by_its_author_or_the_lead_only(w, who):
    note = w.shared_note
    author = note.created_by_id if hasattr(note, "created_by_id") else None
    if who in w.members and w.members[who].user_id == author:
        pytest.skip("the author may edit")
    before = SessionNote.objects.get(pk=note.pk).text
    response = _patch(_client(w, who), f"/api/v1/notes/{note.pk}/", {"text": "ZQPROBE rewritten"})
    _refused(response)
    assert SessionNote.objects.get(pk=note.pk).text == before


# --- API: the organisation (members, keys, webhooks) --------------------------------------------------------


ORG_NON_ADMINS = ("lead", "co", "mediator_off_team", "analyst", "partner_member", "read_key", "write_key",
                  "contributor_key", "other_org_admin", "anonymous")


@pytest.mark.parametrize("who", ORG_NON_ADMINS)
def test_api_keys_and_webhooks_are_managed_by_a_signed_in_admin_only(w, who):
    client = _client(w, who)
    endpoint = WebhookEndpoint.objects.create(organisation=w.org, url="https://hooks.example.org/a",
                                              events=["dispute.stage_changed"], secret="whsec_x")
    key = OrganisationAPIKey.objects.filter(organisation=w.org, revoked=False).first()
    prefix = key.prefix
    before = _snapshot(w)
    if who != "other_org_admin":  # an admin of another organisation manages its own keys and webhooks
        _refused(client.post("/api/v1/api-keys/", {"name": "mine", "scope": "write"}, format="json"))
        _refused(client.post("/api/v1/webhooks/", {"url": "https://evil.example.org/",
                                                   "events": ["dispute.stage_changed"]}, format="json"))
    _refused(client.post(f"/api/v1/api-keys/{prefix}/revoke/", {}, format="json"))
    _refused(client.post(f"/api/v1/api-keys/{prefix}/rotate/", {}, format="json"))
    for action in ("ping", "rotate-secret", "replay"):
        _refused(client.post(f"/api/v1/webhooks/{endpoint.pk}/{action}/", {}, format="json"))
    _refused(_patch(client, f"/api/v1/webhooks/{endpoint.pk}/", {"url": "https://evil.example.org/"}))
    _refused(client.delete(f"/api/v1/webhooks/{endpoint.pk}/"))
    assert _snapshot(w) == before
    endpoint.refresh_from_db()
    assert endpoint.url == "https://hooks.example.org/a" and endpoint.secret == "whsec_x"
    assert not OrganisationAPIKey.objects.get(pk=key.pk).revoked


@pytest.mark.parametrize("who", ["read_key", "write_key", "contributor_key"])
def test_api_keys_never_list_or_change_members(w, who):
    client = _client(w, who)
    response = client.get("/api/v1/members/")
    _refused(response, may_hide=False)
    assert "@" not in response.content.decode()
    _refused(client.post("/api/v1/members/", {"email": "x@example.org", "role": "admin"}, format="json"))


# --- pages: every POST of the dashboard that changes rules -------------------------------------------------


def _page(w, who: str) -> Client:
    client = Client()
    if who in w.members:
        client.force_login(w.members[who].user)
    return client


def _page_refused(response) -> None:
    assert response.status_code in (302, 403, 404), (response.status_code, response.content[:300])
    if response.status_code == 302:
        assert "/accounts/login/" in response["Location"], response["Location"]


@pytest.mark.parametrize("who", ["observer", "co", "mediator_off_team", "analyst", "partner_member",
                                 "contribute_share_member", "read_share_member", "other_org_admin", "anonymous"])
def test_pages_team_confidentiality_and_stage_are_refused(w, who):
    client = _page(w, who)
    newcomer = MembershipFactory(organisation=w.org, role=Role.MEDIATOR).user
    co_row = CaseTeamMember.objects.get(dispute=w.dispute, user=w.members["co"].user)
    before = _snapshot(w)
    pk = w.dispute.pk
    for url, data in [
        (reverse("dispute_team_add", args=[pk]), {"user": newcomer.pk, "role": "observer"}),
        (reverse("dispute_team_add", args=[pk]), {"user": newcomer.pk, "role": "lead_mediator"}),
        (reverse("dispute_team_remove", args=[pk, co_row.pk]), {}),
        (reverse("dispute_confidentiality", args=[pk]), {"confidentiality": "restricted"}),
        (reverse("dispute_stage", args=[pk]), {"to_stage": "closed", "closure_reason": "ended_without_agreement"}),
        (reverse("dispute_stage", args=[pk]), {"to_stage": "withdrawn", "reason": "Gone"}),
        (reverse("dispute_stage", args=[pk]), {"to_stage": "suspended", "reason": "Gone"}),
    ]:
        response = client.post(url, data)
        assert response.status_code != 500, url
        assert _snapshot(w) == before, (url, data)


@pytest.mark.parametrize("who", ["lead", "observer", "co", "mediator_off_team", "analyst", "contribute_share_member",
                                 "other_org_admin", "anonymous"])
def test_pages_shares_are_for_the_owners_admins(w, who):
    client = _page(w, who)
    third = OrganisationFactory(slug="third", name="Third Org")
    share = CaseShare.objects.filter(dispute=w.dispute, organisation__slug="reader").first()
    before = _snapshot(w)
    response = client.post(reverse("dispute_share_grant", args=[w.dispute.pk]),
                           {"organisation": third.pk, "level": "read"})
    assert response.status_code != 500
    response = client.post(reverse("dispute_share_grant", args=[w.dispute.pk]),
                           {"organisation": third.slug, "level": "read"})
    assert response.status_code != 500
    response = client.post(reverse("dispute_share_revoke", args=[w.dispute.pk, share.pk]))
    assert response.status_code != 500
    assert _snapshot(w) == before


@pytest.mark.parametrize("who", ["lead", "co", "analyst", "partner_member", "other_org_admin", "anonymous"])
def test_pages_members_invitations_keys_webhooks_are_for_admins(w, who):
    client = _page(w, who)
    admin_actor_invite = Invitation.objects.create(
        organisation=w.org, email="someone@example.org", role=Role.MEDIATOR, token_hash="x" * 64,
        invited_by=w.members["admin"].user, expires_at="2099-01-01T00:00:00Z")
    endpoint = WebhookEndpoint.objects.create(organisation=w.org, url="https://hooks.example.org/a",
                                              events=["dispute.stage_changed"], secret="whsec_x")
    key = OrganisationAPIKey.objects.filter(organisation=w.org, revoked=False).first()
    target = w.members["co"]
    before = _snapshot(w)
    own_org = [
        (reverse("organisation_member_add"), {"email": "new@example.org", "role": "admin"}),
        (reverse("api_key_create"), {"name": "mine", "scope": "write"}),
        (reverse("webhook_create"), {"url": "https://evil.example.org/", "events": ["dispute.stage_changed"]}),
    ]
    for url, data in (own_org if who != "other_org_admin" else []) + [
        (reverse("organisation_member_role", args=[target.pk]), {"role": "admin"}),
        (reverse("organisation_invitation_revoke", args=[admin_actor_invite.pk]), {}),
        (reverse("api_key_revoke", args=[key.prefix]), {}),
        (reverse("api_key_rotate", args=[key.prefix]), {}),
        (reverse("webhook_edit", args=[endpoint.pk]), {"url": "https://evil.example.org/",
                                                       "events": ["dispute.stage_changed"], "active": "on"}),
        (reverse("webhook_rotate", args=[endpoint.pk]), {}),
        (reverse("webhook_ping", args=[endpoint.pk]), {}),
        (reverse("webhook_replay", args=[endpoint.pk]), {"since": "2000-01-01T00:00", "until": "2099-01-01T00:00"}),
    ]:
        _page_refused(client.post(url, data))
    assert _snapshot(w) == before
    endpoint.refresh_from_db()
    assert endpoint.url == "https://hooks.example.org/a" and endpoint.secret == "whsec_x"
    admin_actor_invite.refresh_from_db()
    assert admin_actor_invite.revoked_at is None


# --- services called directly: the policy lives in the service, not only in the page -----------------------


@pytest.mark.parametrize("who", ["lead", "co", "analyst", "partner_member", "other_org_admin"])
def test_service_membership_change_role_refuses_non_admins(w, who):
    from apps.accounts.services import membership_change_role
    from apps.common.errors import AccessDenied

    target = w.members["co"]
    own = w.members[who]
    for membership in (target, own) if who != "other_org_admin" else (target,):
        with pytest.raises(AccessDenied):
            membership_change_role(membership=membership, role=Role.ADMIN, by=own.user)
    assert Membership.objects.get(pk=target.pk).role == Role.CASE_OFFICER
    assert Membership.objects.get(pk=own.pk).role == own.role
    # The organisation's admin may.
    membership_change_role(membership=target, role=Role.MEDIATOR, by=w.members["admin"].user)
    assert Membership.objects.get(pk=target.pk).role == Role.MEDIATOR


@pytest.mark.parametrize("who", ["other_org_admin", "lead", "write_key", "contributor_key"])
def test_another_organisations_webhook_deliveries_are_out_of_reach(w, who):
    from apps.webhooks.models import WebhookDelivery

    endpoint = WebhookEndpoint.objects.create(organisation=w.org, url="https://hooks.example.org/a",
                                              events=["dispute.stage_changed"], secret="whsec_x")
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event="dispute.stage_changed", payload={"dispute": {"id": w.dispute.pk}},
        dispute_id=w.dispute.pk, webhook_id="msg_probe", next_attempt_at="2099-01-01T00:00:00Z",
        retry_until="2099-01-02T00:00:00Z", status=WebhookDelivery.Status.GIVEN_UP)
    client = _client(w, who)
    listed = client.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/")
    _refused(listed)
    assert "msg_probe" not in listed.content.decode()
    _refused(client.post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/redeliver/", {}, format="json"))
    page = _page(w, who) if who in w.members else Client()
    for url in (reverse("webhook_detail", args=[endpoint.pk]),):
        response = page.get(url)
        assert response.status_code in (302, 403, 404) and "msg_probe" not in response.content.decode()
    response = page.post(reverse("webhook_redeliver", args=[endpoint.pk, delivery.pk]))
    assert response.status_code in (302, 403, 404)
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.GIVEN_UP and delivery.attempts == 0
