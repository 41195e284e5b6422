import datetime as dt

import factory

from apps.negotiations.models import Proposal
from tests.factories.disputes import CasePartyFactory, NegotiationIssueFactory


class ProposalFactory(factory.django.DjangoModelFactory):
    """A party's proposal written directly (no services); pass tabled_by=None, bridging=True for a bridging one."""

    class Meta:
        model = Proposal

    issue = factory.SubFactory(NegotiationIssueFactory)
    dispute = factory.SelfAttribute("issue.dispute")
    tabled_by = factory.SubFactory(CasePartyFactory, dispute=factory.SelfAttribute("..dispute"))
    text = factory.Sequence(lambda n: f"Proposal text {n}")
    tabled_at = factory.Sequence(lambda n: dt.datetime(2026, 3, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=n))
