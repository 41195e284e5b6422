"""Parties and representatives: normalised names, alias search, validation, visibility."""

from __future__ import annotations

import pytest

from apps.accounts.actors import Actor
from apps.common.errors import AccessDenied, ApplicationError
from apps.disputes import selectors
from apps.parties import services
from apps.parties.models import PARTY_KINDS, Party, normalise_name
from tests.factories import (
    CasePartyFactory,
    CaseShareFactory,
    DisputeFactory,
    MembershipFactory,
    PartyFactory,
    RepresentativeFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def mediator(org) -> Actor:
    return Actor.for_membership(MembershipFactory(organisation=org, role="mediator"))


@pytest.mark.parametrize(("raw", "normal"), [
    ("  Sudan  People's\tLiberation Movement ", "sudan people's liberation movement"),
    ("Côte d’Ivoire", "cote d'ivoire"),
    ("ＳＰＬＭ–IO", "splm-io"),
    ("Straße", "strasse"),
    ("", ""),
])
def test_names_are_normalised_for_case_accents_width_quotes_and_spaces(raw, normal):
    assert normalise_name(raw) == normal


def test_the_kind_constraint_lists_every_kind():
    assert sorted(PARTY_KINDS) == sorted(Party.Kind.values)


def test_a_party_is_created_with_tidy_aliases(mediator):
    party = services.party_create(actor=mediator, kind="non_state_armed_group", name="  Sudan People's  Liberation "
                                  "Movement ", aliases=["SPLM", "splm", " S.P.L.M. ", "sudan people's liberation "
                                  "movement", ""], country="ss")
    assert party.name == "Sudan People's Liberation Movement"
    assert party.aliases == ["SPLM", "S.P.L.M."]
    assert party.normalised_aliases == ["splm", "s.p.l.m."]
    assert party.country == "SS"


def test_names_are_unique_per_organisation_only(mediator, other_org):
    services.party_create(actor=mediator, kind="state", name="Côte d’Ivoire")
    with pytest.raises(ApplicationError) as refused:
        services.party_create(actor=mediator, kind="state", name="COTE D'IVOIRE")
    assert refused.value.field == "name"
    other = Actor.for_membership(MembershipFactory(organisation=other_org, role="mediator"))
    services.party_create(actor=other, kind="state", name="Côte d’Ivoire")
    assert Party.objects.filter(normalised_name="cote d'ivoire").count() == 2


def test_updating_aliases_refreshes_the_search_columns(mediator, org):
    party = PartyFactory(organisation=org, name="Justice and Equality Movement")
    services.party_update(actor=mediator, party=party, data={"aliases": ["JEM", "Harakat al-‘Adl wal-Musawat"]})
    party.refresh_from_db()
    assert party.normalised_aliases == ["jem", "harakat al-'adl wal-musawat"]
    assert list(selectors.party_list(actor=mediator, q="al-'adl")) == [party]


@pytest.mark.parametrize("term", ["splm", "S P L M", "liberation", "people's", "Sudan", "MOVEMENT", "s.p.l"])
def test_the_party_search_matches_the_name_or_any_alias(mediator, org, term):
    party = PartyFactory(organisation=org, name="Sudan People’s Liberation Movement",
                         aliases=["SPLM", "S P L M", "S.P.L.M."])
    PartyFactory(organisation=org, name="Justice and Equality Movement" if term != "MOVEMENT" else "Other group")
    assert list(selectors.party_list(actor=mediator, q=term)) == [party]


@pytest.mark.parametrize("term", ["splm s.p", "%", "_", "m s"])
def test_the_party_search_never_matches_across_two_aliases_or_on_wildcards(mediator, org, term):
    PartyFactory(organisation=org, name="Sudan People’s Liberation Army", aliases=["SPLM", "S.P.L.M."])
    assert list(selectors.party_list(actor=mediator, q=term)) == []


def test_the_party_search_filters_by_kind_and_country(mediator, org):
    state = PartyFactory(organisation=org, name="Republic of Kenya", kind="state", country="KE")
    PartyFactory(organisation=org, name="Kenya Red Cross", kind="ngo", country="KE")
    PartyFactory(organisation=org, name="Ethiopia", kind="state", country="ET")
    assert list(selectors.party_list(actor=mediator, kind="state", country="ke")) == [state]


def test_party_find_by_name_matches_whole_names_and_aliases_of_ones_own_organisation(mediator, org, other_org):
    party = PartyFactory(organisation=org, name="Justice and Equality Movement", aliases=["JEM"])
    PartyFactory(organisation=other_org, name="JEM")
    assert list(selectors.party_find_by_name(actor=mediator, name=" jem ")) == [party]
    assert list(selectors.party_find_by_name(actor=mediator, name="justice  AND equality movement")) == [party]
    assert not selectors.party_find_by_name(actor=mediator, name="Justice").exists()


def test_the_dispute_search_finds_parties_by_alias_after_normalising(mediator, org):
    dispute = DisputeFactory(organisation=org, title="Grazing corridor")
    CasePartyFactory(dispute=dispute, party=PartyFactory(organisation=org, name="Union des éleveurs",
                                                         aliases=["Riverside Farmers’ Union"]))
    DisputeFactory(organisation=org, title="Harbour")
    for term in ("eleveurs", "riverside farmers' union", "FARMERS’"):
        assert list(selectors.dispute_list(actor=mediator, filters={"q": term})) == [dispute], term


def test_party_get_answers_none_for_another_organisations_party_until_a_share(mediator, org, other_org):
    theirs = DisputeFactory(organisation=other_org)
    party = PartyFactory(organisation=other_org, name="Their party")
    CasePartyFactory(dispute=theirs, party=party)
    RepresentativeFactory(party=party)
    assert selectors.party_get(actor=mediator, party_id=party.pk) is None
    assert not selectors.representative_list(actor=mediator).exists()
    CaseShareFactory(dispute=theirs, organisation=org)
    assert selectors.party_get(actor=mediator, party_id=party.pk) == party
    assert selectors.representative_list(actor=mediator).count() == 1
    assert selectors.party_get(actor=mediator, party_id="1 OR 1=1") is None
    with pytest.raises(AccessDenied):
        services.party_update(actor=mediator, party=party, data={"notes": "ours now"})


def test_analysts_and_read_only_keys_do_not_change_parties(org):
    party = PartyFactory(organisation=org)
    analyst = Actor.for_membership(MembershipFactory(organisation=org, role="analyst"))
    key = Actor(organisation=org, role="partner", user=None, api_key_id="k1", scopes=frozenset({"read"}))
    for actor in (analyst, key):
        with pytest.raises(AccessDenied):
            services.party_create(actor=actor, kind="state", name="New state")
        with pytest.raises(AccessDenied):
            services.representative_create(actor=actor, party=party, name="Envoy")
    assert Party.objects.count() == 1


def test_a_representative_keeps_a_real_time_zone_and_language_codes(mediator, org):
    rep = services.representative_create(actor=mediator, party=PartyFactory(organisation=org), name=" Amina  Yusuf ",
                                          title="Chief negotiator", time_zone="Africa/Khartoum",
                                          languages=["AR", "en", "pt_BR", "ar"], authority="yes",
                                          email=" amina@example.org ")
    assert (rep.name, rep.time_zone, rep.languages, rep.email) == (
        "Amina Yusuf", "Africa/Khartoum", ["ar", "en", "pt-br"], "amina@example.org")
    services.representative_update(actor=mediator, representative=rep, data={"active": False, "party": None})
    rep.refresh_from_db()
    assert rep.active is False
