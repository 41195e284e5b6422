"""Issue #17: the six official UN languages, each complete, with the glossary's terms and its own plurals."""

import pytest
from django.utils import translation

from tests.dashboard.record_world import SECRET, build

pytestmark = pytest.mark.django_db

LANGUAGES = ["en", "fr", "ar", "zh-hans", "ru", "es"]

# locale/GLOSSARY.md, as the compiled catalogues must render it.
GLOSSARY = {
    "Caucus": {"fr": "Réunion séparée", "ar": "جلسة منفردة", "zh-hans": "单独会谈", "ru": "Раздельная встреча",
               "es": "Reunión por separado"},
    "Shuttle diplomacy": {"fr": "Diplomatie de la navette", "ar": "الدبلوماسية المكوكية", "zh-hans": "穿梭外交",
                          "ru": "Челночная дипломатия", "es": "Diplomacia itinerante"},
    "Ceasefire": {"fr": "Cessez-le-feu", "ar": "وقف إطلاق النار", "zh-hans": "停火", "ru": "Прекращение огня",
                  "es": "Alto el fuego"},
    "Confidence-building measures": {"fr": "Mesures de confiance", "ar": "تدابير بناء الثقة", "zh-hans": "建立信任措施",
                                     "ru": "Меры укрепления доверия",
                                     "es": "Medidas de fomento de la confianza"},
    "Mediation": {"fr": "Médiation", "ar": "وساطة", "zh-hans": "调解", "ru": "Посредничество", "es": "Mediación"},
    "Not initiated": {"fr": "Non entamée", "ar": "لم يبدأ", "zh-hans": "未启动", "ru": "Не начато",
                      "es": "No iniciada"},
    "Case team only": {"fr": "Équipe du dossier uniquement", "ar": "فريق القضية فقط", "zh-hans": "仅限案件小组",
                       "ru": "Только группа по делу", "es": "Solo el equipo del caso"},
    "Lead mediator": {"fr": "Médiateur principal", "ar": "الوسيط الرئيسي", "zh-hans": "首席调解人",
                      "ru": "Ведущий посредник", "es": "Mediador principal"},
}


def test_the_switcher_offers_the_six_languages_by_their_own_names_and_only_arabic_is_right_to_left(client, org):
    w = build(org)
    client.force_login(w.mediator)
    for lang in LANGUAGES:
        client.cookies["django_language"] = lang
        body = client.get("/").content.decode()
        assert f'<html lang="{lang}" dir="{"rtl" if lang == "ar" else "ltr"}">' in body, lang
        for code, name in [("en", "English"), ("fr", "Français"), ("ar", "العربية"), ("zh-hans", "中文"),
                           ("ru", "Русский"), ("es", "Español")]:
            rtl = ' dir="rtl"' if code == "ar" else ""
            assert f'lang="{code}"{rtl}>{name}</option>' in body, (lang, code)
        assert body.count('dir="rtl">') == (2 if lang == "ar" else 1)  # the page itself, and the Arabic option


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_renders_in_each_language_and_the_team_only_note_stays_with_the_team(client, org, lang):
    w = build(org)
    client.cookies["django_language"] = lang
    client.force_login(w.mediator)
    pages = ["/", "/disputes/", f"/disputes/{w.dispute.pk}/", f"/sessions/{w.caucus.pk}/",
             f"/sessions/{w.joint.pk}/", f"/disputes/{w.dispute.pk}/timeline/", f"/disputes/{w.dispute.pk}/summary/",
             f"/disputes/{w.dispute.pk}/proposals/", f"/disputes/{w.dispute.pk}/sessions/new/",
             f"/disputes/{w.dispute.pk}/agreements/new/", "/calendar/", "/parties/", "/notifications/",
             "/accounts/security/", "/portfolio/", "/portfolio/record/"]
    for url in pages:
        if url.startswith("/portfolio/"):
            client.force_login(w.analyst)  # the portfolio is the analysts' and admins' page
        response = client.get(url)
        assert response.status_code == 200, (lang, url, response.status_code)
        body = response.content.decode()
        assert f'lang="{lang}"' in body, (lang, url)
    client.force_login(w.mediator)
    caucus = client.get(f"/sessions/{w.caucus.pk}/").content.decode()
    if lang != "en":
        assert GLOSSARY["Caucus"][lang] in caucus
        assert "Skip to main content" not in caucus  # the shell is translated, not only the page
    assert SECRET in caucus  # the mediator is on the case team
    client.force_login(w.analyst)
    assert SECRET not in client.get(f"/sessions/{w.caucus.pk}/").content.decode()


@pytest.mark.parametrize("lang", ["fr", "ar", "zh-hans", "ru", "es"])
def test_the_glossary_terms_are_the_ones_the_catalogues_use(lang):
    with translation.override(lang):
        for english, translations in GLOSSARY.items():
            assert translation.gettext(english) == translations[lang], (lang, english)


@pytest.mark.parametrize(("lang", "expected"), [
    ("ru", {1: "1 спор", 3: "3 спора", 5: "5 споров", 11: "11 споров", 21: "21 спор", 22: "22 спора"}),
    ("ar", {0: "لا نزاعات (0)", 1: "نزاع واحد", 2: "نزاعان", 3: "3 نزاعات", 11: "11 نزاعًا", 100: "100 نزاع"}),
    ("zh-hans", {1: "1 个争端", 7: "7 个争端"}),
    ("fr", {0: "0 différend", 1: "1 différend", 2: "2 différends"}),
    ("es", {0: "0 controversias", 1: "1 controversia", 2: "2 controversias"}),
])
def test_plurals_follow_each_languages_own_forms(lang, expected):
    with translation.override(lang):
        for n, text in expected.items():
            assert translation.ngettext("%(counter)s dispute", "%(counter)s disputes", n) % {"counter": n} == text
