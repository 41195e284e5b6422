import pytest
from django.utils import translation

from tests.dashboard.record_world import build

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("lang", "expected", "direction"), [
    ("fr", "Enregistrer la note", "ltr"), ("ar", "حفظ الملاحظة", "rtl"),
])
def test_the_session_page_is_translated_and_arabic_is_right_to_left(client, org, lang, expected, direction):
    w = build(org)
    client.force_login(w.mediator)
    client.cookies["django_language"] = lang
    body = client.get(f"/sessions/{w.caucus.pk}/").content.decode()
    assert expected in body and f'dir="{direction}"' in body


def test_the_new_strings_have_french_and_arabic_translations():
    for lang in ("fr", "ar"):
        with translation.override(lang):
            for text in ("Team only", "Carry list for %(party)s", "Peace Accords Matrix scale", "Shuttle board",
                         "Record an assessment", "Table a counter-proposal"):
                assert translation.gettext(text) != text, (lang, text)
