import pytest

from apps.accounts.actors import Actor
from apps.accounts.models import Membership
from apps.disputes import selectors, services
from apps.disputes.models import Stage
from tests.factories import CasePartyFactory, DisputeFactory, MembershipFactory, PartyFactory

pytestmark = pytest.mark.django_db


def test_open_dispute_gets_reference_lead_and_history(org):
    admin = Actor.for_membership(MembershipFactory(organisation=org, role=Membership.Role.ADMIN))
    lead = MembershipFactory(organisation=org, role=Membership.Role.MEDIATOR).user
    d = services.dispute_open(actor=admin, title="Northern grazing", lead_mediator=lead, countries=["ke", "ET"])
    assert d.reference.startswith("PC-")
    assert d.countries == ["KE", "ET"]
    d2 = services.dispute_open(actor=admin, title="Second", lead_mediator=lead)
    assert int(d2.reference[-4:]) == int(d.reference[-4:]) + 1
    services.dispute_change_stage(actor=admin, dispute=d, to_stage=Stage.ASSESSMENT, reason="go")
    assert list(d.stage_changes.values_list("to_stage", flat=True)) == ["intake", "assessment"]


def test_dispute_list_runs_in_a_fixed_number_of_queries(org, django_assert_num_queries):
    admin = Actor.for_membership(MembershipFactory(organisation=org, role=Membership.Role.ADMIN))
    for n in (3, 30):
        for _ in range(n - selectors.disputes_visible(actor=admin).count()):
            d = DisputeFactory(organisation=org)
            CasePartyFactory(dispute=d, party=PartyFactory(organisation=org))
            CasePartyFactory(dispute=d, party=PartyFactory(organisation=org))
        with django_assert_num_queries(3):
            rows = list(selectors.dispute_list(actor=admin))
            assert len(rows) == n
            for r in rows:
                assert len(r.parties_loaded) == 2
                assert r.leads_loaded[0].user.email
                assert r.last_stage_change_to == "intake"


@pytest.mark.parametrize("role", [Membership.Role.ANALYST, Membership.Role.PARTNER, "api_key"])
def test_readers_who_never_see_team_material_are_simply_not_on_the_team(org, role):
    d = DisputeFactory(organisation=org)
    if role == "api_key":
        actor = Actor(organisation=org, role="partner", api_key_id="k1", scopes=frozenset({"read"}))
    else:
        actor = Actor.for_membership(MembershipFactory(organisation=org, role=role))
    assert selectors.actor_is_on_team(actor=actor, dispute=d) is False
    assert list(selectors.dispute_ids_on_team(actor=actor)) == []
