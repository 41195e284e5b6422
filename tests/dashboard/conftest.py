import pytest

from apps.accounts.models import Membership
from apps.disputes.models import Confidentiality
from tests.factories import CasePartyFactory, DisputeFactory, MembershipFactory, PartyFactory


@pytest.fixture
def mediator(org):
    return MembershipFactory(organisation=org, role=Membership.Role.MEDIATOR, user__name="Mina Mediator").user


@pytest.fixture
def admin(org):
    return MembershipFactory(organisation=org, role=Membership.Role.ADMIN, user__name="Ada Admin").user


@pytest.fixture
def analyst(org):
    return MembershipFactory(organisation=org, role=Membership.Role.ANALYST, user__name="Ana Analyst").user


@pytest.fixture
def dispute(org, mediator):
    d = DisputeFactory(organisation=org, lead=mediator, title="Northern grazing corridor",
                       summary="Herders and farmers disagree over seasonal water points.")
    CasePartyFactory(dispute=d, party=PartyFactory(organisation=org, name="Riverside Farmers Union",
                                                   aliases=["RFU"]))
    return d


@pytest.fixture
def restricted(org, mediator):
    return DisputeFactory(organisation=org, lead=mediator, title="Secret back channel",
                          confidentiality=Confidentiality.RESTRICTED)


@pytest.fixture
def foreign(other_org):
    return DisputeFactory(organisation=other_org, title="Beta's harbour dispute")
