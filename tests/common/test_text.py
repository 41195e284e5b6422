"""Invisible characters in names (issue #14 finding 11): format characters never reach a stored name,
and identical-looking names are the same name (apps/common/text.py)."""

from __future__ import annotations

import pytest

from apps.accounts.models import Membership
from apps.accounts.services import organisation_create
from apps.common.errors import ApplicationError
from apps.common.text import clean_name, name_key
from apps.disputes.services import dispute_open, dispute_update
from apps.parties.models import Party
from apps.parties.services import party_create, party_update, representative_create

pytestmark = pytest.mark.django_db

# bidi embeddings and overrides, isolates, zero-width space/joiners, word joiner, BOM, LRM/RLM, soft hyphen
INVISIBLE = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
             "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u200e", "\u200f", "\u00ad", "\x00", "\x07"]


@pytest.mark.parametrize("char", INVISIBLE)
def test_clean_name_removes_each_format_and_control_character(char):
    assert clean_name(f"{char}Riverside{char} Farmers{char}") == "Riverside Farmers"


def test_clean_name_keeps_letters_of_every_script_and_folds_white_space():
    assert clean_name("  Côte\u00a0d’Ivoire\t\n  ") == "Côte d’Ivoire"
    assert clean_name("جبهة التحرير") == "جبهة التحرير"
    assert clean_name(None) == ""


def test_name_key_is_nfkc_and_casefold_over_the_cleaned_text():
    assert name_key("ＡＣＭＥ\u200b Tribe") == name_key("acme tribe") == "acme tribe"
    assert name_key("STRASSE") == name_key("straße")


@pytest.fixture
def writer(make_actor, org):
    return make_actor(org, Membership.Role.MEDIATOR)


@pytest.mark.parametrize("lookalike", ["Ac\u200bme Tribe", "\u202eAcme Tribe", "Acme\u2066 Tribe\u2069",
                                       "ＡＣＭＥ TRIBE", "\ufeffacme tribe"])
def test_an_identical_looking_duplicate_party_is_refused(writer, lookalike):
    party_create(actor=writer, kind="community", name="Acme Tribe")
    with pytest.raises(ApplicationError) as refused:
        party_create(actor=writer, kind="community", name=lookalike)
    assert refused.value.field == "name"
    assert Party.objects.count() == 1


def test_a_renamed_party_cannot_become_a_lookalike_of_another(writer):
    party_create(actor=writer, kind="community", name="Acme Tribe")
    other = party_create(actor=writer, kind="community", name="Other Tribe")
    with pytest.raises(ApplicationError):
        party_update(actor=writer, party=other, data={"name": "Acme\u200d Tribe"})


def test_party_names_aliases_and_representatives_are_stored_clean(writer):
    party = party_create(actor=writer, kind="state", name="North\u202eland", aliases=["N\u200bL", "\u2066NL\u2069"])
    assert party.name == "Northland"
    assert party.aliases == ["NL"]
    rep = representative_create(actor=writer, party=party, name="Amina\u200b \u202eYusuf")
    assert rep.name == "Amina Yusuf"


def test_dispute_titles_are_stored_clean(writer, org):
    lead = writer.user
    dispute = dispute_open(actor=writer, title="Delta\u202e water\u200b", lead_mediator=lead)
    assert dispute.title == "Delta water"
    dispute = dispute_update(actor=writer, dispute=dispute, data={"title": "\u2067Upper\ufeff delta"})
    assert dispute.title == "Upper delta"


def test_organisation_names_are_stored_clean():
    assert organisation_create(name="Peace\u200b Works\u202e", slug="peace-works").name == "Peace Works"
