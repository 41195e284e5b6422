from __future__ import annotations

from django.db.models import QuerySet

from apps.accounts.models import Membership, Organisation, User


def membership_list_for_user(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("organisation").order_by("organisation__name")


def membership_get(*, user: User, organisation_id: int | str | None) -> Membership | None:
    if not organisation_id or not str(organisation_id).isdigit():
        return None
    return (
        Membership.objects.filter(user=user, organisation_id=int(organisation_id))
        .select_related("organisation", "user")
        .first()
    )


def member_list(*, organisation: Organisation) -> QuerySet[Membership]:
    return Membership.objects.filter(organisation=organisation).select_related("user").order_by("user__email")
