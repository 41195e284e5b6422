"""factory_boy factories, one module per app; import from here in tests."""

from tests.factories.accounts import MembershipFactory, OrganisationFactory, UserFactory
from tests.factories.disputes import (
    CasePartyFactory,
    CaseShareFactory,
    CaseTeamMemberFactory,
    DisputeFactory,
    NegotiationIssueFactory,
    PartyPositionFactory,
    RiskAssessmentFactory,
    StageChangeFactory,
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
    "PartyPositionFactory",
    "RepresentativeFactory",
    "RiskAssessmentFactory",
    "StageChangeFactory",
    "UserFactory",
]
