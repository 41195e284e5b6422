import datetime as dt

import factory

from apps.disputes.models import (
    CaseParty,
    CaseShare,
    CaseTeamMember,
    Dispute,
    NegotiationIssue,
    PartyPosition,
    RiskAssessment,
    Stage,
    StageChange,
)
from tests.factories.accounts import MembershipFactory, OrganisationFactory
from tests.factories.parties import PartyFactory


class DisputeFactory(factory.django.DjangoModelFactory):
    """A dispute with a lead mediator (pass lead=<user> to choose; lead=False for none).

    stage="closed" fills in a closing date and reason (the database insists on both).
    """

    class Meta:
        model = Dispute
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    reference = factory.Sequence(lambda n: f"PC-2026-{n + 1:04d}")
    title = factory.Sequence(lambda n: f"Dispute {n}")
    summary = "A border dispute over grazing land."
    dispute_types = factory.LazyFunction(lambda: ["territorial"])
    countries = factory.LazyFunction(lambda: ["KE", "ET"])
    opened_on = dt.date(2026, 1, 15)
    stage = Stage.INTAKE
    closed_on = factory.LazyAttribute(lambda o: o.opened_on if o.stage == Stage.CLOSED else None)
    closure_reason = factory.LazyAttribute(lambda o: "ended_without_agreement" if o.stage == Stage.CLOSED else "")

    @factory.post_generation
    def lead(obj, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        user = extracted or MembershipFactory(organisation=obj.organisation).user
        CaseTeamMember.objects.create(dispute=obj, user=user, role=CaseTeamMember.Role.LEAD_MEDIATOR,
                                      starts_on=obj.opened_on)
        StageChange.objects.create(dispute=obj, from_stage="", to_stage=obj.stage, reason="opened")


class CasePartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseParty

    dispute = factory.SubFactory(DisputeFactory)
    party = factory.SubFactory(PartyFactory, organisation=factory.SelfAttribute("..dispute.organisation"))
    role = CaseParty.Role.CONFLICT_PARTY


class NegotiationIssueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NegotiationIssue

    dispute = factory.SubFactory(DisputeFactory)
    title = factory.Sequence(lambda n: f"Issue {n}")
    order = factory.Sequence(lambda n: n + 1)


class PartyPositionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartyPosition

    case_party = factory.SubFactory(CasePartyFactory)
    issue = factory.SubFactory(NegotiationIssueFactory, dispute=factory.SelfAttribute("..case_party.dispute"))
    position = "Full withdrawal of forces before any talks."
    interests = "Security of the border villages."


class CaseTeamMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseTeamMember

    dispute = factory.SubFactory(DisputeFactory)
    user = factory.LazyAttribute(lambda o: MembershipFactory(organisation=o.dispute.organisation).user)
    role = CaseTeamMember.Role.CO_MEDIATOR
    starts_on = dt.date(2026, 1, 15)


class CaseShareFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseShare

    dispute = factory.SubFactory(DisputeFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    level = CaseShare.Level.READ


class StageChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StageChange

    dispute = factory.SubFactory(DisputeFactory)
    from_stage = Stage.INTAKE
    to_stage = Stage.ASSESSMENT
    by_label = "factory"
    reason = "Assessment mission agreed."


class RiskAssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RiskAssessment

    dispute = factory.SubFactory(DisputeFactory)
    risk = "high"
    previous = "medium"
    assessed_on = factory.LazyAttribute(lambda o: o.dispute.opened_on)
    reason = "Troop movements reported near the border."
