"""Diffs are bounded (issue #14 finding 11): two 8,000-line versions cost 11 s on every view of the page.

The tests assert behaviour (which path is taken), never a duration.
"""

from __future__ import annotations

import random

import pytest

from apps.agreements import services
from apps.agreements.diff import MAX_VERSION_CHARS, diff_texts
from apps.agreements.models import AgreementVersion
from apps.common.errors import ApplicationError
from tests.factories import AgreementFactory, AgreementVersionFactory

pytestmark = pytest.mark.django_db


def quadratic_pair(lines: int = 8_000) -> tuple[str, str]:
    """Two long texts made of a few repeated lines in different orders: difflib's worst case."""
    rnd = random.Random(14)
    words = ["Article", "", "The parties shall", "ceasefire", "monitoring", "verification"]
    old = [rnd.choice(words) for _ in range(lines)]
    new = [rnd.choice(words) for _ in range(lines)]
    return "\n".join(old), "\n".join(new)


def test_two_long_texts_that_differ_throughout_are_too_large_to_compare():
    old, new = quadratic_pair()
    result = diff_texts(old, new, from_number=1, to_number=2)
    assert result.too_large
    assert result.chunks == [] and result.unified == ""


def test_the_time_budget_gives_up_on_a_diff_within_the_size_limit():
    old, new = quadratic_pair(lines=3_000)  # under MAX_DIFF_LINES: only the budget can stop it
    assert diff_texts(old, new, from_number=1, to_number=2, budget=0).too_large


def test_two_long_texts_with_a_small_change_are_compared_line_by_line():
    old = "\n".join(f"Article {n}. The parties shall meet." for n in range(8_000))
    new = old.replace("Article 4000. The parties shall meet.", "Article 4000. The parties shall not meet.")
    result = diff_texts(old, new, from_number=1, to_number=2)
    assert not result.too_large
    assert (result.lines_added, result.lines_removed) == (1, 1)
    assert "+Article 4000. The parties shall not meet." in result.unified
    assert "-Article 4000. The parties shall meet." in result.unified
    assert [c.tag for c in result.chunks] == ["equal", "replace", "equal"]
    assert result.chunks[1].old_start == 4001


def test_short_texts_are_diffed_exactly_as_difflib_does():
    import difflib

    old, new = "a\nb\nc\nb\nd", "b\na\nc\nd\nb\ne"
    result = diff_texts(old, new, from_number=1, to_number=2, context=1)
    expected = "\n".join(difflib.unified_diff(old.splitlines(), new.splitlines(), fromfile="v1", tofile="v2",
                                              n=1, lineterm=""))
    assert result.unified == expected


@pytest.fixture
def long_agreement(case):
    old, new = quadratic_pair()
    agreement = AgreementFactory(dispute=case.dispute, title="Long accord")
    v1 = AgreementVersionFactory(agreement=agreement, number=1, text=old)
    AgreementVersionFactory(agreement=agreement, number=2, based_on=v1, text=new + "\nMARKER-END")
    return agreement


def test_the_page_does_not_diff_long_versions_on_every_view(client, case, long_agreement, monkeypatch):
    from apps.agreements import selectors

    calls = []
    monkeypatch.setattr(selectors, "diff_texts", lambda *a, **k: calls.append(1))
    client.force_login(case.mediator.user)
    response = client.get(f"/agreements/{long_agreement.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="diff-on-request"' in body
    assert 'class="diff"' not in body
    assert "MARKER-END" in body  # the latest text is shown instead
    assert calls == []


def test_asked_for_the_page_says_too_large_and_offers_both_texts(client, case, long_agreement):
    client.force_login(case.mediator.user)
    body = client.get(f"/agreements/{long_agreement.pk}/", {"from": 1, "to": 2}).content.decode()
    assert 'id="diff-too-large"' in body
    assert "too large to compare here" in body
    assert 'class="diff"' not in body
    for number in (1, 2):
        download = f"/agreements/{long_agreement.pk}/versions/{number}.txt"
        assert download in body
        response = client.get(download)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain")
        assert "attachment" in response["Content-Disposition"]
        assert response.content.decode() == AgreementVersion.objects.get(agreement=long_agreement,
                                                                         number=number).text


def test_a_version_text_is_a_404_outside_the_callers_reach(client, long_agreement, other_actor):
    client.force_login(other_actor.user)
    assert client.get(f"/agreements/{long_agreement.pk}/versions/1.txt").status_code == 404
    assert client.get(f"/agreements/{long_agreement.pk}/versions/9.txt").status_code == 404


def test_the_api_says_too_large(case, long_agreement):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_login(case.mediator.user)
    body = api.get(f"/api/v1/agreements/{long_agreement.pk}/diff/?from=1&to=2",
                   HTTP_X_ORGANISATION=case.org.slug).json()
    assert body.get("too_large") is True, body


def test_a_version_longer_than_the_limit_is_refused_with_a_field_error(case):
    agreement = services.agreement_create(actor=case.mediator, dispute=case.dispute, title="Accord", type="ceasefire",
                                          text="Article 1")
    with pytest.raises(ApplicationError) as refused:
        services.agreement_version_create(actor=case.mediator, agreement=agreement,
                                          based_on=agreement.versions.get(), text="x" * (MAX_VERSION_CHARS + 1))
    assert refused.value.field == "text"
    assert "too long" in str(refused.value.message)
    assert agreement.versions.count() == 1


def test_the_page_shows_the_size_limit_as_a_form_error(client, case):
    agreement = services.agreement_create(actor=case.mediator, dispute=case.dispute, title="Accord", type="ceasefire",
                                          text="Article 1")
    client.force_login(case.mediator.user)
    response = client.post(f"/agreements/{agreement.pk}/version/",
                           {"text": "y" * (MAX_VERSION_CHARS + 1), "based_on": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code in (200, 400)
    assert "too long" in response.content.decode()
    assert agreement.versions.count() == 1
