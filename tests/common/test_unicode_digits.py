"""str.isdigit() is true for "²" and "③", which int() refuses: every place that turns user input
into a number checks isdecimal() instead, so such input is "not a number", never a 500."""

from __future__ import annotations

import pytest

from apps.accounts.selectors import membership_get
from apps.dashboard.views.agreements import _int
from apps.disputes.selectors import dispute_get

pytestmark = pytest.mark.django_db

HOSTILE = ["²", "1²", "③", "½"]


@pytest.mark.parametrize("value", HOSTILE)
def test_the_web_agreement_diff_parameters(value):
    assert _int(value) is None


@pytest.mark.parametrize("value", HOSTILE)
def test_the_organisation_switcher(value, mediator_membership):
    assert membership_get(user=mediator_membership.user, organisation_id=value) is None


@pytest.mark.parametrize("value", HOSTILE)
def test_a_dispute_id(value, make_actor, org):
    assert dispute_get(actor=make_actor(org), dispute_id=value) is None


@pytest.mark.parametrize("value", HOSTILE)
def test_the_organisation_switcher_form_refuses_it_and_keeps_the_organisation(value, client, mediator_membership):
    client.force_login(mediator_membership.user)
    client.get("/")  # the session settles on the member's organisation
    before = client.session.get("organisation_id")
    client.raise_request_exception = False
    response = client.post("/accounts/organisation/switch/", {"organisation": value, "next": "/"})
    assert response.status_code == 404  # the same answer as for an organisation that is not yours
    assert client.session.get("organisation_id") == before == mediator_membership.organisation_id
