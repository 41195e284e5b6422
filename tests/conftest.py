"""Shared fixtures. Tests run on real PostgreSQL and Redis (embedded, or DATABASE_URL/REDIS_URL)."""

from __future__ import annotations

import pytest

from apps.accounts.actors import Actor
from apps.accounts.models import Membership
from tests.factories import MembershipFactory, OrganisationFactory
from tests.factories.accounts import PASSWORD


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def org():
    return OrganisationFactory(slug="alpha", name="Alpha Mediation")


@pytest.fixture
def other_org():
    return OrganisationFactory(slug="beta", name="Beta Mediation")


def _member(org, role):
    return MembershipFactory(organisation=org, role=role)


@pytest.fixture
def admin_membership(org):
    return _member(org, Membership.Role.ADMIN)


@pytest.fixture
def mediator_membership(org):
    return _member(org, Membership.Role.MEDIATOR)


@pytest.fixture
def analyst_membership(org):
    return _member(org, Membership.Role.ANALYST)


@pytest.fixture
def make_actor():
    """make_actor(org, role) -> Actor for a new member with that role."""

    def make(org, role=Membership.Role.MEDIATOR) -> Actor:
        return Actor.for_membership(_member(org, role))

    return make


@pytest.fixture
def login(client):
    def do(user):
        client.force_login(user)
        return client

    return do
