"""The API's FilterSet copies its filters shallowly and builds its form class once: check that no
state leaks from one request's filterset to another's."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.http import QueryDict

from apps.api.parties import PartyFilter
from apps.parties.models import Party

pytestmark = pytest.mark.django_db


def test_each_filterset_has_its_own_filters_bound_to_itself():
    first = PartyFilter(QueryDict("q=a"), Party.objects.none(), request=SimpleNamespace(name="first"))
    second = PartyFilter(QueryDict("q=b"), Party.objects.none(), request=SimpleNamespace(name="second"))
    for name in PartyFilter.base_filters:
        assert first.filters[name] is not second.filters[name]
        assert first.filters[name] is not PartyFilter.base_filters[name]
        assert first.filters[name].parent is first and second.filters[name].parent is second
    # A method filter resolves its method on its own filterset, so it reads its own request.
    assert first.filters["q"].filter.method.__self__ is first
    assert second.filters["q"].filter.method.__self__ is second
    assert not hasattr(PartyFilter.base_filters["q"], "parent")


def test_the_form_class_is_built_once_and_validates_each_request_apart():
    good = PartyFilter(QueryDict("kind=political_party"), Party.objects.none())
    bad = PartyFilter(QueryDict("kind=bogus"), Party.objects.none())
    assert type(good.form) is type(bad.form)
    assert bad.is_valid() is False and "kind" in bad.errors
    assert good.is_valid() is True and good.form.cleaned_data["kind"] == "political_party"


def test_an_invalid_filter_value_is_still_a_400_and_other_params_skip_the_filterset(read_key, key_client):
    client = key_client(read_key[1])
    assert client.get("/api/v1/parties/?kind=bogus").status_code == 400
    assert client.get("/api/v1/parties/?page_size=5").status_code == 200
