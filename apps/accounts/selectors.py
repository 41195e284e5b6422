from __future__ import annotations

from django.db.models import QuerySet

from apps.accounts.models import Membership, Organisation, User


def membership_list_for_user(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("organisation").order_by("organisation__name")


def membership_get(*, user: User, organisation_id: int | str | None) -> Membership | None:
    if not organisation_id or not str(organisation_id).isdecimal():
        return None
    return (
        Membership.objects.filter(user=user, organisation_id=int(organisation_id))
        .select_related("organisation", "user")
        .first()
    )


def member_list(*, organisation: Organisation) -> QuerySet[Membership]:
    return Membership.objects.filter(organisation=organisation).select_related("user").order_by("user__email")


def member_get(*, organisation: Organisation, membership_id: int) -> Membership | None:
    return member_list(organisation=organisation).filter(pk=membership_id).first()


def user_by_email(*, email: str) -> User | None:
    """The account with this e-mail (addresses are stored lower-case), to add it to an organisation."""
    return User.objects.filter(email__iexact=(email or "").strip()).first()
