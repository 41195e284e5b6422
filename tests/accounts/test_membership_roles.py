import pytest

from apps.accounts.models import Membership
from apps.accounts.services import membership_change_role
from apps.common.errors import ApplicationError
from apps.common.models import AuditEvent
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_it_refuses_to_demote_the_last_admin(org):
    only = MembershipFactory(organisation=org, role=Membership.Role.ADMIN)
    MembershipFactory(organisation=org, role=Membership.Role.MEDIATOR)
    with pytest.raises(ApplicationError, match="at least one admin") as exc:
        membership_change_role(membership=only, role=Membership.Role.MEDIATOR, by=only.user)
    assert exc.value.field == "role"
    only.refresh_from_db()
    assert only.role == Membership.Role.ADMIN
    assert not AuditEvent.objects.filter(action="accounts.membership.role_changed").exists()


def test_an_admin_may_step_down_when_another_admin_remains(org, other_org):
    first = MembershipFactory(organisation=org, role=Membership.Role.ADMIN)
    MembershipFactory(organisation=org, role=Membership.Role.ADMIN)
    MembershipFactory(organisation=other_org, role=Membership.Role.ADMIN)
    membership_change_role(membership=first, role=Membership.Role.ANALYST, by=first.user)
    first.refresh_from_db()
    assert first.role == Membership.Role.ANALYST


def test_another_organisations_admin_does_not_count(org, other_org):
    only = MembershipFactory(organisation=org, role=Membership.Role.ADMIN)
    MembershipFactory(organisation=other_org, role=Membership.Role.ADMIN)
    with pytest.raises(ApplicationError):
        membership_change_role(membership=only, role=Membership.Role.MEDIATOR)


def test_a_stale_membership_object_is_read_again_before_the_check(org):
    """The caller's copy may say 'mediator' while the row is the last admin: the row decides."""
    only = MembershipFactory(organisation=org, role=Membership.Role.ADMIN)
    stale = Membership.objects.get(pk=only.pk)
    stale.role = Membership.Role.MEDIATOR
    with pytest.raises(ApplicationError):
        membership_change_role(membership=stale, role=Membership.Role.ANALYST)
    only.refresh_from_db()
    assert only.role == Membership.Role.ADMIN
