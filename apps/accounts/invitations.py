"""Invitations: how people join an organisation (DESIGN.md §3b).

"Adding people to an organisation is an invitation they accept; it never reveals whether an
account exists." An admin invites an e-mail address with a role; the address receives a link
with a random token (only its SHA-256 is stored) that works once, for INVITATION_DAYS. Whoever
opens it either signs in as that address's account, or creates the account with a password; the
membership is made then, with the invited role. The admin's page says the same whatever the
address: an invitation was sent. Invite, accept and revoke are audited.

Writes first, then the reads (the few the pages need).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.accounts.models import Invitation, Membership, User
from apps.common.errors import AccessDenied, ApplicationError
from apps.common.services import audit_record
from apps.common.text import clean_name

if TYPE_CHECKING:
    from apps.accounts.actors import Actor

logger = logging.getLogger(__name__)

INVITATION_DAYS = 7


def hash_invitation_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _clean_email(value: str) -> str:
    email = (value or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ApplicationError(_("Enter a valid e-mail address."), field="email") from exc
    return email


def _ensure_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise AccessDenied(_("Only an organisation admin can invite people or withdraw invitations."))


def _send(invitation: Invitation, link: str, language: str) -> None:
    """The e-mail, in the inviting admin's language (the invitee has no profile here yet)."""
    with translation.override(language or "en"):
        context = {"organisation": invitation.organisation.name, "role": invitation.get_role_display(),
                   "link": link, "expires_at": invitation.expires_at, "days": INVITATION_DAYS}
        subject = _("[PeaceCase] You are invited to join %(organisation)s") % {
            "organisation": invitation.organisation.name}
        body = render_to_string("emails/invitation.txt", context)
    try:
        EmailMessage(subject.replace("\n", " ")[:250], body, to=[invitation.email]).send()
    except Exception:
        # The link is not logged (it is the credential); the admin can invite again to resend.
        logger.exception("accounts: the invitation e-mail %s could not be sent", invitation.pk)


@transaction.atomic
def invitation_create(*, actor: Actor, email: str, role: str, link_for: Callable[[str], str]) -> Invitation:
    """Invite ``email`` with ``role``; an open invitation to the same address is replaced (a resend).

    ``link_for(token)`` makes the absolute acceptance URL. The e-mail goes out after commit. Whether
    the address has an account is neither checked nor told; only "already a member of this
    organisation" is refused, which the admin's own members list shows anyway.
    """
    _ensure_admin(actor)
    email = _clean_email(email)
    if role not in Membership.Role.values:
        raise ApplicationError(_("Unknown role."), field="role")
    organisation = actor.organisation
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise ApplicationError(_("This person is already a member of the organisation."), field="email")
    now = timezone.now()
    Invitation.objects.select_for_update().filter(
        organisation=organisation, email=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                organisation=organisation, email=email, role=role, token_hash=hash_invitation_token(token),
                invited_by=actor.user, expires_at=now + dt.timedelta(days=INVITATION_DAYS),
            )
    except IntegrityError as exc:  # two admins inviting the same address at the same moment
        raise ApplicationError(_("This address was invited a moment ago; refresh the page."), field="email") from exc
    audit_record(actor=actor, action="accounts.invitation.created", target=invitation, organisation=organisation,
                 after={"email": email, "role": role, "expires_at": invitation.expires_at})
    link = link_for(token)
    language = getattr(actor.user, "language", "") or translation.get_language() or "en"
    transaction.on_commit(lambda: _send(invitation, link, language))
    return invitation


@transaction.atomic
def invitation_revoke(*, actor: Actor, invitation: Invitation) -> Invitation:
    _ensure_admin(actor)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk, organisation=actor.organisation)
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise ApplicationError(_("This invitation was already accepted or withdrawn."))
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action="accounts.invitation.revoked", target=invitation,
                 organisation=invitation.organisation, after={"email": invitation.email})
    return invitation


def _open_for_update(token: str) -> Invitation:
    invitation = (
        Invitation.objects.select_for_update(of=("self",)).select_related("organisation")
        .filter(token_hash=hash_invitation_token(token or "")).first()
    )
    if invitation is None or not invitation.is_open:
        raise ApplicationError(_("This invitation link is not valid any more: it was used, withdrawn or has "
                                 "expired. Ask the organisation's admin for a new one."))
    return invitation


def _join(invitation: Invitation, user: User) -> Membership:
    membership = Membership.objects.create(user=user, organisation=invitation.organisation, role=invitation.role)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(actor=user, action="accounts.membership.created", target=membership,
                 organisation=invitation.organisation, after={"user": user.pk, "role": invitation.role,
                                                              "invitation": invitation.pk})
    audit_record(actor=user, action="accounts.invitation.accepted", target=invitation,
                 organisation=invitation.organisation, after={"user": user.pk, "role": invitation.role})
    return membership


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    """The signed-in ``user`` accepts: only the account of the invited address may."""
    invitation = _open_for_update(token)
    if user.email.lower() != invitation.email:
        raise AccessDenied(_("This invitation was sent to another e-mail address: sign in with that address's "
                             "account to accept it."))
    if Membership.objects.filter(user=user, organisation=invitation.organisation).exists():
        raise ApplicationError(_("You are already a member of this organisation."))
    return _join(invitation, user)


@transaction.atomic
def invitation_accept_new_account(*, token: str, name: str, password: str) -> Membership:
    """Create the invited address's account with ``password`` and join. The token holder controls
    the mailbox, so telling them that their own address already has an account reveals nothing."""
    invitation = _open_for_update(token)
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise ApplicationError(_("This address already has a PeaceCase account: sign in to accept."))
    user = User(email=invitation.email, name=clean_name(name)[:150])
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages), field="password") from exc
    user.set_password(password)
    user.save()
    audit_record(actor=user, action="accounts.user.created", target=user, organisation=invitation.organisation,
                 after={"email": user.email, "via": "invitation"})
    return _join(invitation, user)


# --- reads ---------------------------------------------------------------------------------------------


def invitation_list_open(*, actor: Actor) -> QuerySet[Invitation]:
    """The organisation's invitations not yet accepted or withdrawn (expired ones too, marked), for admins."""
    if not actor.is_admin:
        return Invitation.objects.none()
    return (
        Invitation.objects.filter(organisation=actor.organisation, accepted_at__isnull=True, revoked_at__isnull=True)
        .select_related("invited_by").order_by("-created_at", "-id")
    )


def invitation_get_open(*, token: str) -> Invitation | None:
    """The invitation a link speaks for, if it can still be accepted; else None (the page says so)."""
    if not token or len(token) > 100:
        return None
    invitation = (
        Invitation.objects.select_related("organisation").filter(token_hash=hash_invitation_token(token)).first()
    )
    return invitation if invitation is not None and invitation.is_open else None
