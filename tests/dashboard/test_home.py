import datetime as dt

import pytest
from django.utils import timezone

from apps.disputes.models import Stage
from tests.factories import (
    ActionItemFactory,
    DisputeFactory,
    MediationSessionFactory,
    NegotiationIssueFactory,
    ProposalFactory,
)

pytestmark = pytest.mark.django_db


def test_the_dashboard_lists_my_open_disputes_with_stage_and_risk(client, org, mediator, dispute):
    DisputeFactory(organisation=org, lead=mediator, title="Closed one", stage=Stage.CLOSED)
    DisputeFactory(organisation=org, title="Not my team")
    client.force_login(mediator)
    body = client.get("/").content.decode()
    assert dispute.title in body and "Intake" in body and "Medium" in body
    assert "Closed one" not in body and "Not my team" not in body


def test_panels_say_nothing_yet_when_there_is_nothing(client, mediator):
    client.force_login(mediator)
    body = client.get("/").content.decode()
    assert body.count("Nothing yet.") == 5


def test_panels_show_my_sessions_proposals_and_overdue_items(client, org, mediator, dispute):
    now = timezone.now()
    MediationSessionFactory(dispute=dispute, title="Joint session this week", starts_at=now + dt.timedelta(days=2))
    MediationSessionFactory(dispute=DisputeFactory(organisation=org), title="Not on my team",
                            starts_at=now + dt.timedelta(days=1))
    issue = NegotiationIssueFactory(dispute=dispute, title="Water access")
    ProposalFactory(dispute=dispute, issue=issue, response_deadline=now + dt.timedelta(days=3))
    ActionItemFactory(dispute=dispute, description="Send the draft map", owner_user=mediator,
                      due_on=now.date() - dt.timedelta(days=2))
    client.force_login(mediator)
    body = client.get("/").content.decode()
    assert "Joint session this week" in body and "Not on my team" not in body
    assert "Water access" in body
    assert "Send the draft map" in body


def test_the_dashboard_runs_in_a_fixed_number_of_queries(client, org, mediator, django_assert_num_queries):
    client.force_login(mediator)
    client.get("/")
    now = timezone.now()
    for n in (2, 8):
        for _ in range(n):
            d = DisputeFactory(organisation=org, lead=mediator)
            MediationSessionFactory(dispute=d, starts_at=now + dt.timedelta(days=1))
            ActionItemFactory(dispute=d, owner_user=mediator, due_on=now.date() - dt.timedelta(days=1))
        # request 3; my disputes 3 (page, parties, leads); sessions 1; shuttle rounds 1 (prefetches
        # only run when a round exists: +2); proposals 1; action items 1; provisions 1;
        # notifications 1; switcher; bell (the session is saved at most once a minute)
        with django_assert_num_queries(14):
            client.get("/")
