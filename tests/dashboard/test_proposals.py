import pytest

from apps.negotiations.models import Proposal, ProposalStatus
from tests.dashboard.record_world import build
from tests.factories import NegotiationIssueFactory, ProposalFactory

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def w(org):
    return build(org)


@pytest.fixture
def opening(w):
    return ProposalFactory(issue=w.issue, dispute=w.dispute, tabled_by=w.farmers, text="Two wells shared by both",
                           concessions="Herders water first in the dry season")


def url(w, suffix=""):
    return f"/disputes/{w.dispute.pk}/proposals/{suffix}"


def test_the_thread_shows_the_tree_and_the_current_text(client, w, opening):
    ProposalFactory(issue=w.issue, dispute=w.dispute, tabled_by=w.herders, responds_to=opening, text="Three wells")
    client.force_login(w.mediator)
    body = client.get(url(w)).content.decode()
    assert "Access to water points" in body and "Two wells shared by both" in body
    assert "Herders water first in the dry season" in body
    tree = body.split(f'id="proposal-{opening.pk}"')[1]
    assert "Three wells" in tree  # nested under its parent
    assert "Text on the table" in body


def test_tabling_a_counter_proposal_supersedes_its_parent(client, w, opening):
    client.force_login(w.mediator)
    r = client.post(f"/proposals/{opening.pk}/counter/", {"text": "One well, shared", "tabled_by": w.herders.pk,
                                                          "tabled_in": w.joint.pk}, **HX)
    assert "Counter-proposal tabled." in r.content.decode()
    counter = Proposal.objects.get(text="One well, shared")
    assert counter.responds_to == opening and counter.tabled_in == w.joint
    opening.refresh_from_db()
    assert opening.status == ProposalStatus.SUPERSEDED


def test_a_refused_proposal_keeps_its_text(client, w):
    client.force_login(w.mediator)
    r = client.post(url(w, "table/"), {"issue": w.issue.pk, "text": "Words to keep", "tabled_by": w.farmers.pk,
                                       "tabled_in": w.caucus.pk + 0}, **HX)
    body = r.content.decode()
    # The caucus is with the farmers: they took part, so this one goes through; the herders did not.
    r = client.post(url(w, "table/"), {"issue": w.issue.pk, "text": "Herders' words to keep",
                                       "tabled_by": w.herders.pk, "tabled_in": w.caucus.pk}, **HX)
    body = r.content.decode()
    assert "Hill Herders Council (Conflict party) did not take part in that session." in body
    assert "Herders&#x27; words to keep" in body
    assert Proposal.objects.filter(text="Herders' words to keep").count() == 0


def test_answers_follow_the_services_rules(client, w, opening):
    client.force_login(w.mediator)
    r = client.post(f"/proposals/{opening.pk}/respond/", {"response": "consider", "party": w.farmers.pk}, **HX)
    assert "A party does not answer its own proposal." in r.content.decode()
    r = client.post(f"/proposals/{opening.pk}/respond/", {"response": "accept", "party": w.herders.pk}, **HX)
    assert "Answer recorded." in r.content.decode()
    opening.refresh_from_db()
    assert opening.status == ProposalStatus.ACCEPTED


def test_readers_see_no_forms_and_outsiders_a_404(client, w, opening, other_org):
    from tests.factories import MembershipFactory

    client.force_login(w.analyst)
    body = client.get(url(w)).content.decode()
    assert "Two wells shared by both" in body and "<form method=\"post\"" not in body.split("<main")[1].split(
        "</main>")[0]
    assert client.post(f"/proposals/{opening.pk}/respond/", {"response": "reject"}).status_code == 403
    client.force_login(MembershipFactory(organisation=other_org, role="admin").user)
    assert client.get(url(w)).status_code == 404
    assert client.post(f"/proposals/{opening.pk}/counter/", {"text": "x"}).status_code == 404
    opening.refresh_from_db()
    assert opening.status == ProposalStatus.TABLED


@pytest.mark.parametrize("n", [1, 4])
def test_the_threads_page_runs_a_fixed_number_of_queries(client, w, n, django_assert_num_queries):
    for i in range(n):
        issue = NegotiationIssueFactory(dispute=w.dispute, title=f"Issue {i}")
        parent = ProposalFactory(issue=issue, dispute=w.dispute, tabled_by=w.farmers)
        ProposalFactory(issue=issue, dispute=w.dispute, tabled_by=w.herders, responds_to=parent)
    client.force_login(w.mediator)
    client.get(url(w))
    with django_assert_num_queries(12):
        assert client.get(url(w)).status_code == 200
