import factory

from apps.parties.models import Party, Representative
from tests.factories.accounts import OrganisationFactory


class PartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Party

    organisation = factory.SubFactory(OrganisationFactory)
    kind = Party.Kind.STATE
    name = factory.Sequence(lambda n: f"Party {n}")
    country = "KE"


class RepresentativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Representative

    party = factory.SubFactory(PartyFactory)
    name = factory.Sequence(lambda n: f"Representative {n}")
    title = "Chief negotiator"
    time_zone = "Africa/Nairobi"
    languages = factory.LazyFunction(lambda: ["en", "sw"])
