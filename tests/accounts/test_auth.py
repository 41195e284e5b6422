import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.accounts.models import Membership
from apps.accounts.services import membership_create
from apps.common.errors import ApplicationError
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_login_with_email_and_logout(client, password):
    user = MembershipFactory(user__email="mediator@alpha.example").user
    response = client.post("/accounts/login/", {"username": "Mediator@Alpha.example", "password": password})
    assert response.status_code == 302
    assert response["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert user.email.encode() in home.content or str(user).encode() in home.content
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_message(client):
    MembershipFactory(user__email="known@alpha.example")
    wrong_password = client.post("/accounts/login/", {"username": "known@alpha.example", "password": "nope-nope-nope"})
    unknown = client.post("/accounts/login/", {"username": "ghost@alpha.example", "password": "nope-nope-nope"})
    message = "The e-mail address or password is not correct."
    assert message in wrong_password.content.decode()
    assert message in unknown.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_user_without_membership_sees_a_page_that_says_so(client):
    user = UserFactory()
    other = MembershipFactory(organisation__name="Secret Org Name").organisation
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "not a member of any organisation" in body
    assert other.name not in body


def test_the_organisation_switcher_shows_exactly_my_memberships(client):
    user = UserFactory()
    a = OrganisationFactory(name="Alpha Unit")
    b = OrganisationFactory(name="Bravo Unit")
    OrganisationFactory(name="Charlie Unit")  # not mine
    MembershipFactory(user=user, organisation=a, role=Membership.Role.MEDIATOR)
    MembershipFactory(user=user, organisation=b, role=Membership.Role.ANALYST)
    client.force_login(user)
    body = client.get("/").content.decode()
    assert "Alpha Unit" in body and "Bravo Unit" in body
    assert "Charlie Unit" not in body


def test_switching_organisation_changes_the_current_one(client):
    user = UserFactory()
    a = OrganisationFactory(name="Alpha Unit")
    b = OrganisationFactory(name="Bravo Unit")
    MembershipFactory(user=user, organisation=a)
    MembershipFactory(user=user, organisation=b)
    client.force_login(user)
    response = client.post("/accounts/organisation/switch/", {"organisation": b.pk})
    assert response.status_code == 302
    assert "You are working in Bravo Unit" in client.get("/").content.decode()


def test_a_user_cannot_switch_to_an_organisation_they_do_not_belong_to(client):
    user = UserFactory()
    mine = OrganisationFactory(name="Alpha Unit")
    theirs = OrganisationFactory(name="Bravo Unit")
    MembershipFactory(user=user, organisation=mine)
    client.force_login(user)
    response = client.post("/accounts/organisation/switch/", {"organisation": theirs.pk})
    assert response.status_code == 404
    response = client.post("/accounts/organisation/switch/", {"organisation": 987654})
    assert response.status_code == 404
    body = client.get("/").content.decode()
    assert "You are working in Alpha Unit" in body
    assert "Bravo Unit" not in body


def test_a_forged_session_organisation_falls_back_to_a_real_membership(client):
    user = UserFactory()
    mine = OrganisationFactory(name="Alpha Unit")
    theirs = OrganisationFactory(name="Bravo Unit")
    MembershipFactory(user=user, organisation=mine)
    client.force_login(user)
    session = client.session
    session["organisation_id"] = theirs.pk
    session.save()
    body = client.get("/").content.decode()
    assert "You are working in Alpha Unit" in body
    assert "Bravo Unit" not in body


def test_membership_roles_are_validated():
    m = MembershipFactory.build(role="overlord", user=UserFactory(), organisation=OrganisationFactory())
    with pytest.raises(ValidationError):
        m.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        m.save()
    with pytest.raises(ApplicationError):
        membership_create(user=UserFactory(), organisation=OrganisationFactory(), role="overlord")
    assert Membership.objects.count() == 0


def test_a_user_can_belong_to_an_organisation_only_once():
    m = MembershipFactory()
    with pytest.raises(ApplicationError):
        membership_create(user=m.user, organisation=m.organisation, role=Membership.Role.ANALYST)
    assert Membership.objects.count() == 1


def test_password_reset_page_says_the_same_for_unknown_addresses(client, mailoutbox):
    MembershipFactory(user__email="known@alpha.example")
    r1 = client.post("/accounts/password/reset/", {"email": "known@alpha.example"}, follow=True)
    r2 = client.post("/accounts/password/reset/", {"email": "ghost@alpha.example"}, follow=True)
    assert r1.content == r2.content or "Check your e-mail" in r2.content.decode()
    assert len(mailoutbox) == 1


def test_membership_create_refuses_a_caller_who_is_not_an_admin_of_the_organisation():
    from apps.common.errors import AccessDenied

    mediator = MembershipFactory(role=Membership.Role.MEDIATOR)
    outsider_admin = MembershipFactory(role=Membership.Role.ADMIN)
    newcomer = UserFactory()
    for by in (mediator.user, outsider_admin.user):
        with pytest.raises(AccessDenied):
            membership_create(user=newcomer, organisation=mediator.organisation, role=Membership.Role.ADMIN, by=by)
    assert not Membership.objects.filter(user=newcomer).exists()
    admin = MembershipFactory(organisation=mediator.organisation, role=Membership.Role.ADMIN)
    membership_create(user=newcomer, organisation=mediator.organisation, role=Membership.Role.ANALYST, by=admin.user)
    assert Membership.objects.get(user=newcomer).role == Membership.Role.ANALYST
