import datetime as dt

import factory

from apps.agreements.models import (
    Agreement,
    AgreementStatus,
    AgreementType,
    AgreementVersion,
    ImplementationAssessment,
    Provision,
    ProvisionCategory,
    Signatory,
)
from tests.factories.disputes import CasePartyFactory, DisputeFactory


class AgreementFactory(factory.django.DjangoModelFactory):
    """A drafting agreement. For a signed one use ``AgreementFactory(signed=True)`` (sets status and date)."""

    class Meta:
        model = Agreement

    class Params:
        signed = factory.Trait(status=AgreementStatus.SIGNED, signed_on=dt.date(2026, 2, 1))

    dispute = factory.SubFactory(DisputeFactory)
    organisation = factory.SelfAttribute("dispute.organisation")
    title = factory.Sequence(lambda n: f"Agreement {n}")
    type = AgreementType.CEASEFIRE
    status = AgreementStatus.DRAFTING


class AgreementVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgreementVersion

    agreement = factory.SubFactory(AgreementFactory)
    number = 1
    text = factory.Sequence(lambda n: f"Article 1\nThe parties agree to version {n}.")
    author_label = "factory"


class SignatoryFactory(factory.django.DjangoModelFactory):
    """A signatory whose party is a conflict party of the agreement's dispute."""

    class Meta:
        model = Signatory

    agreement = factory.SubFactory(AgreementFactory)
    party = factory.LazyAttribute(lambda o: CasePartyFactory(dispute=o.agreement.dispute).party)
    role = Signatory.Role.SIGNATORY


class ProvisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provision

    agreement = factory.SubFactory(AgreementFactory)
    label = factory.Sequence(lambda n: f"{n + 1}.")
    order = factory.Sequence(lambda n: n + 1)
    text = factory.Sequence(lambda n: f"The parties shall carry out commitment {n}.")
    category = ProvisionCategory.CEASEFIRE


class ImplementationAssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImplementationAssessment

    provision = factory.SubFactory(ProvisionFactory, agreement__signed=True)
    score = 1
    assessed_on = dt.date(2026, 3, 1)
    assessed_by_label = "factory"
