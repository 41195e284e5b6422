"""factory_boy factories, one module per app; import from here in tests."""

from tests.factories.accounts import MembershipFactory, OrganisationFactory, UserFactory
from tests.factories.agreements import (
    AgreementFactory,
    AgreementVersionFactory,
    ImplementationAssessmentFactory,
    ProvisionFactory,
    SignatoryFactory,
)
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
from tests.factories.negotiations import ProposalFactory
from tests.factories.parties import PartyFactory, RepresentativeFactory
from tests.factories.sessions import (
    ActionItemFactory,
    MediationSessionFactory,
    SessionNoteFactory,
    ShuttleRoundFactory,
)

__all__ = [
    "ActionItemFactory",
    "AgreementFactory",
    "AgreementVersionFactory",
    "CasePartyFactory",
    "CaseShareFactory",
    "CaseTeamMemberFactory",
    "DisputeFactory",
    "ImplementationAssessmentFactory",
    "MediationSessionFactory",
    "MembershipFactory",
    "NegotiationIssueFactory",
    "OrganisationFactory",
    "PartyFactory",
    "PartyPositionFactory",
    "ProposalFactory",
    "ProvisionFactory",
    "RepresentativeFactory",
    "RiskAssessmentFactory",
    "SessionNoteFactory",
    "ShuttleRoundFactory",
    "SignatoryFactory",
    "StageChangeFactory",
    "UserFactory",
]
