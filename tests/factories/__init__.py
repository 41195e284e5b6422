"""factory_boy factories, one module per app; import from here in tests."""

from tests.factories.accounts import MembershipFactory, OrganisationFactory, UserFactory
from tests.factories.disputes import (
    CasePartyFactory,
    CaseShareFactory,
    CaseTeamMemberFactory,
    DisputeFactory,
    NegotiationIssueFactory,
)
from tests.factories.parties import PartyFactory, RepresentativeFactory

__all__ = [
    "CasePartyFactory",
    "CaseShareFactory",
    "CaseTeamMemberFactory",
    "DisputeFactory",
    "MembershipFactory",
    "NegotiationIssueFactory",
    "OrganisationFactory",
    "PartyFactory",
    "RepresentativeFactory",
    "UserFactory",
]
