import pytest

from apps.parties.models import Party, Representative
from tests.factories import CasePartyFactory, DisputeFactory, PartyFactory, RepresentativeFactory

pytestmark = pytest.mark.django_db


def test_the_parties_list_is_scoped_and_searchable_by_alias(client, org, other_org, mediator):
    PartyFactory(organisation=org, name="Riverside Farmers Union", aliases=["RFU"])
    PartyFactory(organisation=org, name="Hill Herders Council")
    PartyFactory(organisation=other_org, name="Hidden Movement")
    client.force_login(mediator)
    body = client.get("/parties/").content.decode()
    assert "Riverside Farmers Union" in body and "Hill Herders Council" in body
    assert "Hidden Movement" not in body
    body = client.get("/parties/", {"q": "rfu"}).content.decode()
    assert "Riverside Farmers Union" in body and "Hill Herders Council" not in body


def test_another_organisations_party_is_a_404(client, other_org, mediator):
    theirs = PartyFactory(organisation=other_org)
    client.force_login(mediator)
    assert client.get(f"/parties/{theirs.pk}/").status_code == 404
    assert client.get(f"/parties/{theirs.pk}/edit/").status_code == 404
    assert client.post(f"/parties/{theirs.pk}/representatives/new/", {"name": "X"}).status_code == 404
    assert Representative.objects.count() == 0


def test_the_party_page_shows_representatives_and_only_visible_disputes(client, org, mediator, analyst, dispute,
                                                                        restricted):
    party = dispute.case_parties.get().party
    CasePartyFactory(dispute=restricted, party=party)
    RepresentativeFactory(party=party, name="Amina Odhiambo", languages=["sw", "en"])
    client.force_login(analyst)
    body = client.get(f"/parties/{party.pk}/").content.decode()
    assert "Amina Odhiambo" in body and dispute.title in body
    assert restricted.title not in body
    assert "Edit the party" not in body


def test_creating_a_party_with_a_duplicate_name_keeps_what_was_typed(client, org, mediator):
    PartyFactory(organisation=org, name="Riverside Farmers Union")
    client.force_login(mediator)
    response = client.post("/parties/new/", {"name": "riverside  farmers union", "kind": "civil_society",
                                             "aliases": "The farmers, RFU-2", "country": "KE"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "already exists" in body
    assert "The farmers, RFU-2" in body
    assert Party.objects.filter(organisation=org).count() == 1
    response = client.post("/parties/new/", {"name": "Lake Fishers", "kind": "community", "aliases": "LF, Fishers",
                                             "country": "KE"})
    party = Party.objects.get(name="Lake Fishers")
    assert response.status_code == 302 and party.aliases == ["LF", "Fishers"]


def test_editing_a_party_and_adding_and_editing_a_representative(client, org, mediator):
    party = PartyFactory(organisation=org, name="Lake Fishers")
    client.force_login(mediator)
    response = client.post(f"/parties/{party.pk}/edit/", {"name": "Lake Fishers Association", "kind": "community",
                                                          "aliases": "", "country": "UG"})
    assert response.status_code == 302
    party.refresh_from_db()
    assert party.name == "Lake Fishers Association" and party.country == "UG"
    bad = client.post(f"/parties/{party.pk}/representatives/new/", {"name": "Okello", "time_zone": "Mars/Olympus",
                                                                     "authority": "yes", "active": "on"})
    assert bad.status_code == 200 and "Mars/Olympus" in bad.content.decode()
    assert Representative.objects.count() == 0
    ok = client.post(f"/parties/{party.pk}/representatives/new/", {"name": "Okello", "time_zone": "Africa/Kampala",
                                                                    "authority": "yes", "active": "on",
                                                                    "languages": "lg, en"})
    assert ok.status_code == 302
    rep = Representative.objects.get()
    assert rep.languages == ["lg", "en"]
    client.post(f"/representatives/{rep.pk}/edit/", {"name": "Okello J.", "time_zone": "Africa/Kampala",
                                                    "authority": "refer_back"})
    rep.refresh_from_db()
    assert rep.name == "Okello J." and rep.authority == "refer_back" and rep.active is False


def test_an_analyst_cannot_create_or_edit_parties(client, org, analyst):
    party = PartyFactory(organisation=org)
    client.force_login(analyst)
    assert client.get("/parties/new/").status_code == 403
    assert client.post(f"/parties/{party.pk}/edit/", {"name": "Renamed", "kind": "state"}).status_code == 403
    party.refresh_from_db()
    assert party.name != "Renamed"


def test_the_parties_list_runs_in_a_fixed_number_of_queries(client, org, mediator, django_assert_num_queries):
    client.force_login(mediator)
    client.get("/parties/")
    for n in (2, 12):
        while Party.objects.filter(organisation=org).count() < n:
            PartyFactory(organisation=org)
        # request 3; count, page; switcher; bell
        with django_assert_num_queries(7):
            response = client.get("/parties/")
        assert len(response.context["parties"]) == n


def test_a_shared_disputes_parties_are_visible_to_the_partner(client, org, other_org, dispute):
    from apps.accounts.models import Membership
    from tests.factories import CaseShareFactory, MembershipFactory

    CaseShareFactory(dispute=dispute, organisation=other_org)
    partner = MembershipFactory(organisation=other_org, role=Membership.Role.MEDIATOR).user
    unshared = DisputeFactory(organisation=org)
    CasePartyFactory(dispute=unshared, party=PartyFactory(organisation=org, name="Unshared Party"))
    client.force_login(partner)
    body = client.get("/parties/").content.decode()
    assert "Riverside Farmers Union" in body
    assert "Unshared Party" not in body
