"""Adding people is an invitation they accept; it never reveals whether an account exists
(DESIGN.md §3b, issue #14 finding 11)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from apps.accounts.invitations import hash_invitation_token, invitation_create, invitation_revoke
from apps.accounts.models import Invitation, Membership, User
from apps.common.errors import AccessDenied
from apps.common.models import AuditEvent
from tests.factories import MembershipFactory, UserFactory
from tests.factories.accounts import PASSWORD, InvitationFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a long and unusual passphrase 47"


@pytest.fixture
def admin(admin_membership):
    return admin_membership.user


@pytest.fixture
def invite(client, django_capture_on_commit_callbacks):
    """invite(admin, email, role) through the page. The e-mail goes out after commit; the test's
    transaction never commits, so the callbacks are run here."""

    def do(admin, email, role="case_officer"):
        client.force_login(admin)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/settings/members/", {"email": email, "role": role}, follow=True)

    return do


def link_in(message) -> str:
    return re.search(r"https?://\S+/invitations/(\S+)/", message.body).group(0)


def path_of(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


def page_text(response) -> str:
    """The whole page but what differs per response (CSRF token, CSP nonce) and the list of invitations
    (the second page lists both)."""
    body = response.content.decode()
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)
    body = re.sub(r'nonce="[^"]+"', "", body)
    return re.sub(r'id="invitations-title".*?<details', "", body, flags=re.S)


def test_the_page_says_the_same_whether_or_not_the_address_has_an_account(invite, client, admin, other_org):
    existing = UserFactory(email="alpha@example.org", name="Known Person")
    MembershipFactory(organisation=other_org, user=existing)
    known = invite(admin, "alpha@example.org")
    unknown = invite(admin, "omega@example.org")
    assert known.status_code == unknown.status_code == 200
    assert "An invitation to join as Case officer was sent to alpha@example.org." in known.content.decode()
    assert page_text(known).replace("alpha@", "X@") == page_text(unknown).replace("omega@", "X@")
    assert "Known Person" not in known.content.decode() and other_org.name not in known.content.decode()
    assert not Membership.objects.filter(user=existing, organisation=admin_org(admin)).exists()
    assert sorted(m.to[0] for m in mail.outbox) == ["alpha@example.org", "omega@example.org"]
    # The e-mails say the same too.
    assert mail.outbox[0].subject == mail.outbox[1].subject
    assert link_in(mail.outbox[0]) != link_in(mail.outbox[1])


def admin_org(admin):
    return Membership.objects.get(user=admin).organisation


def test_the_email_carries_a_single_use_link_and_only_its_hash_is_stored(invite, client, admin, org):
    invite(admin, "newcomer@example.org")
    (message,) = mail.outbox
    assert org.name in message.subject
    link = link_in(message)
    token = link.rstrip("/").rsplit("/", 1)[1]
    invitation = Invitation.objects.get()
    assert invitation.token_hash == hash_invitation_token(token)
    assert token not in str(Invitation.objects.values_list().get())
    assert token not in str(list(AuditEvent.objects.values_list("before", "after")))
    assert invitation.expires_at - timezone.now() > dt.timedelta(days=6)


def test_a_new_person_creates_the_account_and_joins_with_the_invited_role(invite, client, admin, org):
    invite(admin, "newcomer@example.org", role="analyst")
    path = path_of(link_in(mail.outbox[0]))
    client.logout()
    page = client.get(path).content.decode()
    assert "newcomer@example.org" in page and "Create my account and join" in page
    response = client.post(path, {"name": "Nia\u200b Newcomer", "password": NEW_PASSWORD,
                                  "password_again": NEW_PASSWORD})
    assert response.status_code == 302
    user = User.objects.get(email="newcomer@example.org")
    assert user.name == "Nia Newcomer" and user.check_password(NEW_PASSWORD)
    assert Membership.objects.get(user=user, organisation=org).role == "analyst"
    # Single use: the same link again is refused, and nothing more is created.
    client.logout()
    again = client.get(path)
    assert again.status_code == 404 and "not valid" in again.content.decode()
    assert client.post(path, {"name": "X", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
                       ).status_code == 404
    assert Membership.objects.filter(user=user).count() == 1
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"accounts.invitation.created", "accounts.invitation.accepted", "accounts.membership.created"} <= actions


def test_an_existing_account_accepts_when_signed_in_as_that_address(invite, client, admin, org, other_org):
    person = MembershipFactory(organisation=other_org, user__email="known@example.org").user
    invite(admin, "known@example.org", role="mediator")
    path = path_of(link_in(mail.outbox[0]))
    client.logout()
    page = client.get(path).content.decode()
    assert "Sign in to accept" in page
    client.force_login(person)
    assert "Accept and join" in client.get(path).content.decode()
    assert client.post(path).status_code == 302
    assert Membership.objects.get(user=person, organisation=org).role == "mediator"
    assert Invitation.objects.get().accepted_by == person


def test_another_account_cannot_accept_someone_elses_invitation(invite, client, admin, org):
    invite(admin, "invitee@example.org")
    path = path_of(link_in(mail.outbox[0]))
    intruder = UserFactory(email="intruder@example.org")
    client.force_login(intruder)
    response = client.post(path)
    assert response.status_code == 400
    assert "sent to another e-mail address" in response.content.decode()
    assert not Membership.objects.filter(user=intruder).exists()
    assert Invitation.objects.get().accepted_at is None


def test_creating_an_account_for_an_address_that_has_one_asks_to_sign_in(invite, client, admin, org):
    UserFactory(email="known@example.org")
    invite(admin, "known@example.org")
    path = path_of(link_in(mail.outbox[0]))
    client.logout()
    response = client.post(path, {"name": "K", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert "already has a PeaceCase account: sign in to accept" in response.content.decode()
    assert User.objects.get(email="known@example.org").check_password(PASSWORD)  # untouched


def test_a_weak_or_mismatched_password_is_a_form_error(invite, client, admin):
    invite(admin, "new@example.org")
    path = path_of(link_in(mail.outbox[0]))
    client.logout()
    body = client.post(path, {"name": "N", "password": "123", "password_again": "123"}).content.decode()
    assert "too short" in body or "too common" in body
    body = client.post(path, {"name": "N", "password": NEW_PASSWORD, "password_again": "other"}).content.decode()
    assert "The two passwords differ." in body
    assert not User.objects.filter(email="new@example.org").exists()


def test_an_expired_or_revoked_invitation_does_nothing(client, org, admin_membership):
    expired = InvitationFactory(organisation=org, token="old-token", email="late@example.org",
                                expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert client.get("/invitations/old-token/").status_code == 404
    revoked = InvitationFactory(organisation=org, token="gone-token", email="gone@example.org")
    from apps.accounts.actors import Actor

    invitation_revoke(actor=Actor.for_membership(admin_membership), invitation=revoked)
    client.logout()
    assert client.post("/invitations/gone-token/", {"name": "G", "password": NEW_PASSWORD,
                                                    "password_again": NEW_PASSWORD}).status_code == 404
    assert not User.objects.filter(email__in=[expired.email, revoked.email]).exists()
    assert AuditEvent.objects.filter(action="accounts.invitation.revoked").count() == 1


def test_invitations_are_listed_and_withdrawn_on_the_organisation_page(invite, client, admin, org, other_org):
    invite(admin, "waiting@example.org")
    theirs = InvitationFactory(organisation=other_org, email="theirs@example.org")
    page = client.get("/settings/").content.decode()
    assert "waiting@example.org" in page and "theirs@example.org" not in page
    mine = Invitation.objects.get(email="waiting@example.org")
    assert client.post(f"/settings/invitations/{theirs.pk}/revoke/").status_code == 404
    withdrawn = client.post(f"/settings/invitations/{mine.pk}/revoke/", follow=True).content.decode()
    assert "The invitation to waiting@example.org is withdrawn" in withdrawn
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at is not None and theirs.revoked_at is None
    assert "waiting@example.org" not in client.get("/settings/").content.decode()


def test_inviting_again_replaces_the_open_invitation(invite, client, admin):
    invite(admin, "twice@example.org")
    invite(admin, "twice@example.org")
    first, second = (path_of(link_in(m)) for m in mail.outbox)
    client.logout()
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200
    assert Invitation.objects.filter(revoked_at__isnull=True).count() == 1


def test_only_admins_invite(client, org, make_actor):
    mediator = make_actor(org, Membership.Role.MEDIATOR)
    with pytest.raises(AccessDenied):
        invitation_create(actor=mediator, email="x@example.org", role="admin", link_for=str)
    client.force_login(mediator.user)
    assert client.post("/settings/members/", {"email": "x@example.org", "role": "admin"}).status_code == 403
    assert not Invitation.objects.exists()
    assert mail.outbox == []
