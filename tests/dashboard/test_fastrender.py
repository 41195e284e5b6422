"""The disputes list reuses its rendered filter form and precomputed labels: never another request's
choices, never another language's words."""

import re

import pytest
from django.utils import translation

from apps.dashboard.templatetags.fastrender import label
from apps.disputes.models import Risk, Stage
from tests.factories import DisputeFactory

pytestmark = pytest.mark.django_db


def _selected(body: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', body, re.S)
    assert select is not None
    return re.findall(r'<option value="([^"]*)" selected>', select.group(1))


def test_the_filter_form_shows_the_choices_of_this_request_only(client, mediator, dispute):
    client.force_login(mediator)
    assert _selected(client.get("/disputes/", {"stage": "negotiation"}).content.decode(), "stage") == ["negotiation"]
    assert _selected(client.get("/disputes/").content.decode(), "stage") == []
    assert _selected(client.get("/disputes/", {"stage": "intake"}).content.decode(), "stage") == ["intake"]
    body = client.get("/disputes/", {"q": "<b>x</b>"}).content.decode()
    assert 'value="&lt;b&gt;x&lt;/b&gt;"' in body and "<b>x</b>" not in body


def test_the_filter_form_and_labels_follow_the_language(client, mediator, org):
    DisputeFactory(organisation=org, lead=mediator, stage=Stage.NEGOTIATION, risk=Risk.HIGH)
    client.force_login(mediator)
    english = client.get("/disputes/").content.decode()
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    french = client.get("/disputes/").content.decode()
    with translation.override("fr"):
        assert str(Stage.NEGOTIATION.label) in french and str(Risk.HIGH.label) in french
        any_fr = str(translation.gettext("Any"))
    assert any_fr != "Any" and any_fr in french and any_fr not in english
    with translation.override("en"):
        assert str(Stage.NEGOTIATION.label) in english and str(Risk.HIGH.label) in english


def test_label_is_what_get_display_shows(org):
    d = DisputeFactory(organisation=org, stage=Stage.PRE_NEGOTIATION, risk=Risk.CRITICAL)
    for language in ("en", "fr", "ar"):
        with translation.override(language):
            assert label(d, "stage") == d.get_stage_display()
            assert label(d, "risk") == d.get_risk_display()
