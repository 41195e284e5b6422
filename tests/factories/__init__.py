"""factory_boy factories, one module per app; import from here in tests."""

from tests.factories.accounts import MembershipFactory, OrganisationFactory, UserFactory

__all__ = ["MembershipFactory", "OrganisationFactory", "UserFactory"]
