from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from apps.accounts.models import Membership, Organisation, User
from apps.common.errors import AccessDenied, ApplicationError
from apps.common.services import audit_record
from apps.common.text import clean_name
from apps.common.timezones import canonical_time_zones


@transaction.atomic
def organisation_create(
    *, name: str, slug: str, kind: str = Organisation.Kind.NGO, by: User | None = None
) -> Organisation:
    name = clean_name(name)  # no invisible format characters (apps/common/text.py)
    if Organisation.objects.filter(slug=slug).exists():
        raise ApplicationError(_("An organisation with this slug already exists."), field="slug")
    org = Organisation(name=name, slug=slug, kind=kind)
    org.full_clean()
    org.save()
    audit_record(actor=by, action="accounts.organisation.created", target=org, organisation=org,
                 after={"name": name, "slug": slug, "kind": kind})
    return org


@transaction.atomic
def _ensure_admin_of(by: User | None, organisation_id: int) -> None:
    """The policy here, not only in the pages (DESIGN.md §3b: members and roles are the organisation's
    admins'); ``by=None`` is an operator on the server (a command)."""
    if by is not None and not Membership.objects.filter(
        user=by, organisation_id=organisation_id, role=Membership.Role.ADMIN
    ).exists():
        raise AccessDenied(_("Only an admin of the organisation may do this."))


def membership_create(*, user: User, organisation: Organisation, role: str, by: User | None = None) -> Membership:
    """Make ``user`` a member now. People join by invitation (apps/accounts/invitations.py); this is
    for operators and imports."""
    if role not in Membership.Role.values:
        raise ApplicationError(_("Unknown role."), field="role")
    _ensure_admin_of(by, organisation.pk)
    if Membership.objects.filter(user=user, organisation=organisation).exists():
        raise ApplicationError(_("This user is already a member of the organisation."), field="user")
    membership = Membership(user=user, organisation=organisation, role=role)
    membership.full_clean()
    membership.save()
    audit_record(actor=by, action="accounts.membership.created", target=membership, organisation=organisation,
                 after={"user": user.pk, "role": role})
    return membership


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, by: User | None = None) -> Membership:
    if role not in Membership.Role.values:
        raise ApplicationError(_("Unknown role."), field="role")
    _ensure_admin_of(by, membership.organisation_id)
    # The organisation's admins are locked first, in one order, so two admins demoting each other at once
    # take turns (and the second is refused) rather than both succeeding or deadlocking.
    admins = list(
        Membership.objects.select_for_update()
        .filter(organisation_id=membership.organisation_id, role=Membership.Role.ADMIN)
        .order_by("pk").values_list("pk", flat=True)
    )
    membership = Membership.objects.select_for_update(of=("self",)).select_related("organisation").get(
        pk=membership.pk)
    if membership.role == Membership.Role.ADMIN and role != Membership.Role.ADMIN and admins == [membership.pk]:
        raise ApplicationError(_("The organisation needs at least one admin: make someone else admin first."),
                               field="role")
    before = {"role": membership.role}
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    audit_record(actor=by, action="accounts.membership.role_changed", target=membership,
                 organisation=membership.organisation, before=before, after={"role": role})
    return membership


# --- a person's own profile ------------------------------------------------------------------------


@transaction.atomic
def user_update_profile(
    *, user: User, by: User, name: str, language: str, time_zone: str, organisation: Organisation | None = None
) -> User:
    """A person changes their own name, language and time zone, nobody else's (admins manage
    memberships, not people). The zone must be a current IANA name; a legacy alias already stored
    may be kept as it is."""
    if by.pk != user.pk:
        raise AccessDenied(_("Only the account's owner may change its profile."))
    if language not in {code for code, _label in settings.LANGUAGES}:
        raise ApplicationError(_("Choose one of the languages offered."), field="language")
    if time_zone != user.time_zone and time_zone not in canonical_time_zones():
        raise ApplicationError(_("Choose a time zone from the list, e.g. Europe/Berlin or Asia/Kathmandu."),
                               field="time_zone")
    before = {"name": user.name, "language": user.language, "time_zone": user.time_zone}
    after = {"name": name.strip(), "language": language, "time_zone": time_zone}
    if before == after:
        return user
    user.name, user.language, user.time_zone = after["name"], language, time_zone
    user.full_clean(exclude=["password", "email"])
    user.save(update_fields=["name", "language", "time_zone"])
    audit_record(actor=by, action="accounts.user.profile_updated", target=user, organisation=organisation,
                 before=before, after=after)
    return user
