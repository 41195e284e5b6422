"""A dispute in negotiation with its people and parties, for the agreements tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from apps.accounts.actors import Actor
from apps.accounts.models import Membership, Organisation
from apps.disputes.models import CaseParty, Dispute, Stage
from apps.parties.models import Party
from tests.factories import CasePartyFactory, DisputeFactory, MembershipFactory, PartyFactory


@dataclass
class Case:
    org: Organisation
    dispute: Dispute
    mediator: Actor  # lead mediator: on the case team
    admin: Actor
    outsider: Actor  # a mediator of the same organisation, not on the team
    analyst: Actor
    government: Party
    rebels: Party
    observer: Party  # a third party of the dispute
    stranger: Party  # a party of the organisation that is not in this dispute


@pytest.fixture
def case(org) -> Case:
    mediator = MembershipFactory(organisation=org, role=Membership.Role.MEDIATOR, user__time_zone="Africa/Nairobi")
    dispute = DisputeFactory(organisation=org, lead=mediator.user, stage=Stage.NEGOTIATION,
                             opened_on=dt.date(2025, 6, 1))
    government = CasePartyFactory(dispute=dispute, party__name="Government of Eastland").party
    rebels = CasePartyFactory(dispute=dispute, party__name="Eastland Liberation Front",
                              party__kind=Party.Kind.NON_STATE_ARMED_GROUP).party
    observer = CasePartyFactory(dispute=dispute, party__name="Regional Union", role=CaseParty.Role.OBSERVER).party
    return Case(
        org=org,
        dispute=dispute,
        mediator=Actor.for_membership(mediator),
        admin=Actor.for_membership(MembershipFactory(organisation=org, role=Membership.Role.ADMIN)),
        outsider=Actor.for_membership(MembershipFactory(organisation=org, role=Membership.Role.MEDIATOR)),
        analyst=Actor.for_membership(MembershipFactory(organisation=org, role=Membership.Role.ANALYST)),
        government=government,
        rebels=rebels,
        observer=observer,
        stranger=PartyFactory(organisation=org, name="Unrelated Party"),
    )


@pytest.fixture
def other_actor(other_org) -> Actor:
    return Actor.for_membership(MembershipFactory(organisation=other_org, role=Membership.Role.ADMIN))
