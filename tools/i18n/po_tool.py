"""Dump the messages a catalogue still lacks, and apply translations written as JSON.

Usage (from the repository root, with polib in the venv: ``.venv/bin/pip install polib``):

    .venv/bin/python tools/i18n/po_tool.py dump fr              # writes tools/i18n/work/fr.todo.json, prints a summary
    .venv/bin/python tools/i18n/po_tool.py show fr 0 120         # prints todo items 0..119 as "key|msgid" lines
    .venv/bin/python tools/i18n/po_tool.py apply fr work/fr-1.json [more.json ...]
    .venv/bin/python tools/i18n/po_tool.py header fr             # Plural-Forms and a non-fuzzy header

A translations file is one JSON object. Its keys are either todo keys (the numbers ``show`` printed,
resolved through the language's todo file) or the msgid itself (``"context\\u0004msgid"`` for a
message with a context). A value is the msgstr, or a list of msgstr[n] for a plural message (as many
as the language's nplurals). ``apply`` refuses a translation whose placeholders (``%(name)s``,
``%s``, ``{name}``) or HTML tags differ from the msgid's, clears the fuzzy flag of what it applies,
and leaves everything else alone. Check the result with ``msgfmt --check`` (or ``make i18n-check``).
"""
from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[2]
WORK = Path(__file__).resolve().parent / "work"

PLURAL_FORMS = {
    "fr": "nplurals=2; plural=(n > 1);",
    "es": "nplurals=2; plural=(n != 1);",
    "ru": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);",
    "ar": "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);",
    "zh_Hans": "nplurals=1; plural=0;",
}
LANGUAGE_TEAMS = {
    "fr": "French", "es": "Spanish", "ru": "Russian", "ar": "Arabic", "zh_Hans": "Chinese (Simplified)",
}

PLACEHOLDER = re.compile(r"%\([A-Za-z_][A-Za-z0-9_]*\)[-#0 +]*\d*(?:\.\d+)?[sdifrx]|%[sdif]|%%|\{[A-Za-z0-9_.]*\}")
TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)")


def po_path(lang: str) -> Path:
    return ROOT / "locale" / lang / "LC_MESSAGES" / "django.po"


def load(lang: str) -> polib.POFile:
    return polib.pofile(str(po_path(lang)), wrapwidth=79)


def key_of(entry: polib.POEntry) -> str:
    return f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid


def needs_work(entry: polib.POEntry) -> bool:
    if entry.obsolete:
        return False
    if "fuzzy" in entry.flags:
        return True
    if entry.msgid_plural:
        return not entry.msgstr_plural or any(not v for v in entry.msgstr_plural.values())
    return not entry.msgstr


def signature(text: str) -> tuple[Counter, Counter]:
    return Counter(PLACEHOLDER.findall(text)), Counter(t.lower() for t in TAG.findall(text))


def problems(source: str, translation: str, plural_form: bool = False) -> list[str]:
    """What differs between a msgid and its translation in placeholders and tags.

    A plural form may leave out a placeholder (Arabic writes "نزاعان", two disputes, without the
    number), never add one.
    """
    found = []
    (src_ph, src_tags), (tr_ph, tr_tags) = signature(source), signature(translation)
    if (tr_ph - src_ph) if plural_form else (src_ph != tr_ph):
        found.append(f"placeholders {sorted(src_ph.elements())} != {sorted(tr_ph.elements())}")
    if src_tags != tr_tags:
        found.append(f"tags {sorted(src_tags.elements())} != {sorted(tr_tags.elements())}")
    if not translation.strip():
        found.append("empty")
    return found


def cmd_dump(lang: str) -> None:
    po = load(lang)
    todo = []
    for entry in po:
        if needs_work(entry):
            item = {"k": len(todo), "msgid": entry.msgid}
            if entry.msgid_plural:
                item["plural"] = entry.msgid_plural
            if entry.msgctxt:
                item["ctx"] = entry.msgctxt
            if entry.occurrences:
                item["ref"] = entry.occurrences[0][0]
            if "fuzzy" in entry.flags:
                item["fuzzy"] = entry.msgstr or dict(entry.msgstr_plural)
            todo.append(item)
    WORK.mkdir(exist_ok=True)
    (WORK / f"{lang}.todo.json").write_text(json.dumps(todo, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{lang}: {len(todo)} messages to translate -> {WORK / f'{lang}.todo.json'}")


def cmd_show(lang: str, start: str = "0", end: str = "100000") -> None:
    todo = json.loads((WORK / f"{lang}.todo.json").read_text(encoding="utf-8"))
    for item in todo[int(start):int(end)]:
        text = item["msgid"] + (f" ||PLURAL|| {item['plural']}" if "plural" in item else "")
        ctx = f"[ctx:{item['ctx']}] " if "ctx" in item else ""
        fuzzy = f"   (fuzzy was: {item['fuzzy']})" if "fuzzy" in item else ""
        print(f"{item['k']}|{ctx}{json.dumps(text, ensure_ascii=False)[1:-1]}   <{item.get('ref', '')}>{fuzzy}")


def cmd_header(lang: str) -> None:
    po = load(lang)
    set_header(po, lang)
    po.save()


def set_header(po: polib.POFile, lang: str) -> None:
    po.metadata["Plural-Forms"] = PLURAL_FORMS[lang]
    po.metadata["Language"] = lang
    po.metadata["Project-Id-Version"] = "PeaceCase"
    po.metadata["Language-Team"] = f"{LANGUAGE_TEAMS[lang]} (PeaceCase, see locale/GLOSSARY.md)"
    po.metadata.pop("Last-Translator", None)
    po.metadata_is_fuzzy = False
    if "fuzzy" in po.header:
        po.header = po.header.replace("fuzzy", "")


def nplurals(lang: str) -> int:
    return int(re.search(r"nplurals=(\d+)", PLURAL_FORMS[lang]).group(1))


def cmd_apply(lang: str, *files: str) -> None:
    po = load(lang)
    set_header(po, lang)
    todo_file = WORK / f"{lang}.todo.json"
    todo = json.loads(todo_file.read_text(encoding="utf-8")) if todo_file.exists() else []
    by_key = {key_of(e): e for e in po if not e.obsolete}
    applied, refused = 0, 0
    for name in files:
        data = json.loads(Path(name).read_text(encoding="utf-8"))
        for key, value in data.items():
            if key.isdigit():
                item = todo[int(key)]
                key = f"{item['ctx']}\x04{item['msgid']}" if "ctx" in item else item["msgid"]
            entry = by_key.get(key)
            if entry is None:
                print(f"  not in catalogue: {key!r}")
                refused += 1
                continue
            if entry.msgid_plural:
                forms = value if isinstance(value, list) else [value]
                if len(forms) == 1 and nplurals(lang) > 1:
                    forms = forms * nplurals(lang)
                if len(forms) != nplurals(lang):
                    print(f"  {key!r}: {len(forms)} forms, {lang} has {nplurals(lang)}")
                    refused += 1
                    continue
                bad = [p for f in forms for p in problems(entry.msgid_plural, f, plural_form=True)]
                if bad:
                    print(f"  refused {key!r}: {bad}")
                    refused += 1
                    continue
                entry.msgstr_plural = dict(enumerate(forms))
            else:
                if not isinstance(value, str):
                    print(f"  {key!r}: expected one string")
                    refused += 1
                    continue
                bad = problems(entry.msgid, value)
                if bad:
                    print(f"  refused {key!r}: {bad}")
                    refused += 1
                    continue
                entry.msgstr = value
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
            entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
            applied += 1
    po.save()
    left = sum(1 for e in po if needs_work(e))
    print(f"{lang}: applied {applied}, refused {refused}, still to translate {left}")


def cmd_lint(lang: str) -> None:
    """Placeholder and tag differences in every translated message (old translations included)."""
    po = load(lang)
    for entry in po:
        if entry.obsolete or needs_work(entry):
            continue
        pairs = [(entry.msgid_plural, f) for f in entry.msgstr_plural.values()] if entry.msgid_plural else [
            (entry.msgid, entry.msgstr)]
        for source, translation in pairs:
            bad = problems(source, translation, plural_form=bool(entry.msgid_plural))
            if bad:
                print(f"{entry.msgid!r}: {bad}")


COMMANDS = {"dump": cmd_dump, "show": cmd_show, "apply": cmd_apply, "header": cmd_header, "lint": cmd_lint}

if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](*sys.argv[2:])
