"""The catalogue checker (tools/check_catalogues.py) on fabricated catalogues: it must fail on a missing,
untranslated, fuzzy or short-of-plural-forms message, and pass a complete one."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("check_catalogues", ROOT / "tools" / "check_catalogues.py")
checker = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("check_catalogues", checker)  # its dataclass looks its module up
_spec.loader.exec_module(checker)

HEADER = r'''# A fabricated catalogue.
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Language: ru\n"
"Plural-Forms: nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && "
"n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);\n"
'''

COMPLETE = HEADER + r'''
#: apps/sessions/models.py:25
msgid "Caucus"
msgstr "Раздельная встреча"

#: templates/sessions/session_detail.html:10
#, python-format
msgid "Record %(p)s's consent to pass this on"
msgstr "Записать согласие %(p)s на передачу"

msgctxt "month"
msgid "May"
msgstr "Май"

msgid ""
"A caucus is a private session with exactly one party: what is said there is "
"team-only unless you say otherwise."
msgstr ""
"Раздельная встреча — это закрытое заседание ровно с одной стороной: "
"сказанное на ней видно только группе, если вы не укажете иное."

#, python-format
msgid "%(counter)s dispute"
msgid_plural "%(counter)s disputes"
msgstr[0] "%(counter)s спор"
msgstr[1] "%(counter)s спора"
msgstr[2] "%(counter)s споров"

#~ msgid "An old message nobody uses"
#~ msgstr ""
'''

SOURCE_KEYS = {"Caucus", "Record %(p)s's consent to pass this on", "month\x04May", "%(counter)s dispute",
               "A caucus is a private session with exactly one party: what is said there is team-only unless you "
               "say otherwise."}


def test_a_complete_catalogue_passes_and_the_reader_joins_continued_lines():
    header, entries = checker.parse_po(COMPLETE)
    assert checker.nplurals(header) == 3
    live = {e.key: e for e in entries if not e.obsolete}
    assert set(live) == SOURCE_KEYS  # the obsolete entry is not counted, the context is part of the key
    assert live[max(SOURCE_KEYS, key=len)].msgstr[0].endswith("если вы не укажете иное.")
    assert live["%(counter)s dispute"].msgstr == {0: "%(counter)s спор", 1: "%(counter)s спора",
                                                 2: "%(counter)s споров"}
    assert checker.problems_in(COMPLETE, SOURCE_KEYS) == []


def test_a_message_the_source_marks_but_the_catalogue_lacks_fails():
    found = checker.problems_in(COMPLETE, SOURCE_KEYS | {"Shuttle diplomacy"})
    assert found == ["missing: 'Shuttle diplomacy'"]


def test_an_empty_translation_fails():
    po = COMPLETE.replace('msgstr "Раздельная встреча"', 'msgstr ""')
    assert checker.problems_in(po, SOURCE_KEYS) == ["untranslated (line 10): 'Caucus'"]


def test_a_fuzzy_translation_fails_even_when_it_has_text():
    po = COMPLETE.replace("#, python-format\nmsgid \"Record", "#, fuzzy, python-format\nmsgid \"Record")
    found = checker.problems_in(po, SOURCE_KEYS)
    assert len(found) == 1 and found[0].startswith("fuzzy") and "Record %(p)s" in found[0]


def test_a_plural_short_of_the_languages_forms_or_with_an_empty_form_fails():
    short = COMPLETE.replace('msgstr[2] "%(counter)s споров"\n', "")
    assert any(p.startswith("plural forms") and "has 2, the language has 3" in p
               for p in checker.problems_in(short, SOURCE_KEYS))
    empty = COMPLETE.replace('msgstr[1] "%(counter)s спора"', 'msgstr[1] ""')
    assert checker.problems_in(empty, SOURCE_KEYS) == ["untranslated (line 30): '%(counter)s dispute'"]


def test_a_catalogue_without_plural_forms_in_its_header_fails():
    po = COMPLETE.replace('"Plural-Forms: nplurals=3;', '"X-Plural: nplurals=3;')
    assert "header: no Plural-Forms with nplurals" in checker.problems_in(po, SOURCE_KEYS)


def test_a_compiled_catalogue_that_lags_its_po_is_stale(tmp_path):
    po, mo = tmp_path / "django.po", tmp_path / "django.mo"
    po.write_text(COMPLETE, encoding="utf-8")
    subprocess.run(["msgfmt", "-o", str(mo), str(po)], check=True)
    assert checker.stale_mo(COMPLETE, mo) == []
    changed = COMPLETE.replace('"Раздельная встреча"', '"Отдельная встреча"')
    assert checker.stale_mo(changed, mo)[0].startswith("stale django.mo: 1 translations differ")
    missing = checker.stale_mo(COMPLETE, tmp_path / "absent.mo")
    assert missing == ["no compiled catalogue absent.mo: run compilemessages"]


def test_the_reader_refuses_what_is_not_a_po_file():
    with pytest.raises(ValueError, match="cannot read"):
        checker.parse_po('msgid "x"\nmsgstr "y"\nthis is not po\n')
