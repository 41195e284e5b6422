#!/usr/bin/env python
"""Fail when a translation catalogue is missing a message, or has one untranslated or fuzzy.

    .venv/bin/python tools/check_catalogues.py            # or: make i18n-check
    .venv/bin/python tools/check_catalogues.py --update   # makemessages + compilemessages in place (make i18n-update)

The check never touches locale/: it copies the project (without .venv, var, bench, soak, tests) and
locale/ into a temporary directory, runs Django's makemessages there with the same options the
catalogues are made with (MAKEMESSAGES below), and compares what the source asks for with what the
committed catalogues hold, for every language but English:

- missing: a message the source marks for translation that the committed catalogue does not have
  (the catalogue is stale: run makemessages and translate);
- untranslated: an empty msgstr, or an empty msgstr[n] of a plural;
- fuzzy: a translation msgmerge guessed, which gettext does not use until a person checks it;
- wrong plural forms: a plural message with fewer or more msgstr[n] than the header's nplurals;
- invalid: `msgfmt --check` refuses the catalogue (a placeholder lost or changed, a bad header);
- stale .mo: the compiled catalogue does not hold what the .po says (run compilemessages).

It needs only Django, the gettext tools (msgfmt, msgmerge, xgettext) and the standard library.
"""
from __future__ import annotations

import argparse
import gettext
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ["fr", "ar", "zh_Hans", "ru", "es"]  # locale directory names; English is the source language
IGNORED = [".venv", "var", "bench", "soak", "tests", "node_modules"]
# How the catalogues are made: keep this the one place that says it.
MAKEMESSAGES = [arg for lang in LANGUAGES for arg in ("-l", lang)] + [
    arg for pattern in IGNORED for arg in ("-i", pattern)]
COPY_SKIP = {*IGNORED, ".git", "__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache", "staticfiles"}


# --- A small PO reader (the format: https://www.gnu.org/software/gettext/manual/html_node/PO-Files.html) ----------

@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # 0 for a singular message's msgstr
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False
    line: int = 0

    @property
    def key(self) -> str:
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt is not None else self.msgid

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')


def _unquote(text: str, where: str) -> str:
    if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
        raise ValueError(f"{where}: expected a quoted string, got {text!r}")
    return re.sub(r'\\(.)', lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), text[1:-1])


def parse_po(text: str, name: str = "<po>") -> tuple[dict[str, str], list[Entry]]:
    """The header (as a dict) and the entries of a PO file; obsolete (#~) entries are kept, marked."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None  # the field a continuation line extends
    pending_flags: set[str] = set()  # "#," lines come before the entry they describe
    awaiting_msgid = False  # a msgctxt was read: the msgid that follows belongs to the same entry

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
            if line.startswith("|"):
                continue
        elif line.startswith("#,"):
            pending_flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        elif line.startswith("#"):
            continue
        if not line:
            continue
        where = f"{name}:{number}"
        if line.startswith('"'):
            if current is None or target is None:
                raise ValueError(f"{where}: a continuation line outside an entry")
            value = _unquote(line, where)
            kind, index = target
            if kind == "msgstr":
                current.msgstr[index] += value
            else:
                setattr(current, kind, getattr(current, kind) + value)
            continue
        match = _KEYWORD.match(line)
        if not match:
            raise ValueError(f"{where}: cannot read {raw!r}")
        keyword, index, quoted = match.group(1), match.group(2), match.group(3)
        value = _unquote(quoted, where)
        if keyword == "msgctxt" or (keyword == "msgid" and not awaiting_msgid):
            if current is not None:
                entries.append(current)
            current = Entry(flags=pending_flags, obsolete=obsolete, line=number)
            pending_flags = set()
        elif current is None:
            raise ValueError(f"{where}: {keyword} before msgid")
        awaiting_msgid = keyword == "msgctxt"
        if keyword.startswith("msgstr"):
            slot = int(index) if index is not None else 0
            current.msgstr[slot] = value
            target = ("msgstr", slot)
        else:
            setattr(current, keyword, value)
            target = (keyword, 0)
    if current is not None:
        entries.append(current)

    header: dict[str, str] = {}
    if entries and entries[0].msgid == "" and entries[0].msgctxt is None:
        for line in entries.pop(0).msgstr.get(0, "").splitlines():
            if ":" in line:
                name_, _, value_ = line.partition(":")
                header[name_.strip()] = value_.strip()
    return header, entries


def nplurals(header: dict[str, str]) -> int | None:
    match = re.search(r"nplurals\s*=\s*(\d+)", header.get("Plural-Forms", ""))
    return int(match.group(1)) if match else None


# --- The check ------------------------------------------------------------------------------------------------

def problems_in(committed_text: str, expected_keys: set[str] | None, name: str = "<po>") -> list[str]:
    """Everything wrong with one committed catalogue.

    expected_keys: the messages the source asks for (msgctxt\\x04msgid); None skips the "missing" test.
    """
    header, entries = parse_po(committed_text, name)
    live = [e for e in entries if not e.obsolete]
    found: list[str] = []
    forms = nplurals(header)
    if forms is None:
        found.append("header: no Plural-Forms with nplurals")
    present = {e.key for e in live}
    if expected_keys is not None:
        for key in sorted(expected_keys - present):
            found.append(f"missing: {key.replace(chr(4), ' | ')!r}")
    for entry in live:
        label = repr(entry.key.replace("\x04", " | "))
        if entry.fuzzy:
            found.append(f"fuzzy (line {entry.line}): {label}")
        if entry.msgid_plural is not None:
            if forms is not None and sorted(entry.msgstr) != list(range(forms)):
                found.append(f"plural forms (line {entry.line}): {label} has {len(entry.msgstr)}, "
                             f"the language has {forms}")
            if any(not text for text in entry.msgstr.values()) or not entry.msgstr:
                found.append(f"untranslated (line {entry.line}): {label}")
        elif not entry.msgstr.get(0):
            found.append(f"untranslated (line {entry.line}): {label}")
    return found


def stale_mo(po_text: str, mo_path: Path) -> list[str]:
    """Translations the compiled .mo lacks or holds differently from the .po."""
    if not mo_path.exists():
        return [f"no compiled catalogue {mo_path.name}: run compilemessages"]
    with mo_path.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog
    _, entries = parse_po(po_text)
    stale = []
    for entry in entries:
        if entry.obsolete or entry.fuzzy:
            continue
        if entry.msgid_plural is not None:
            wanted = {(entry.key, n): text for n, text in entry.msgstr.items() if text}
        else:
            wanted = {entry.key: entry.msgstr.get(0, "")} if entry.msgstr.get(0) else {}
        if any(catalog.get(k) != v for k, v in wanted.items()):
            stale.append(entry.key)
    if stale:
        return [f"stale {mo_path.name}: {len(stale)} translations differ from the .po (first: {stale[0]!r}); "
                "run compilemessages"]
    return []


def msgfmt_check(po_path: Path) -> list[str]:
    # Fixed arguments, no shell: msgfmt from the gettext tools on PATH.
    result = subprocess.run(["msgfmt", "--check", "-o", os.devnull, str(po_path)],  # noqa: S603, S607
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        errors = [line for line in result.stderr.splitlines() if "warning:" not in line][:10]
        return ["msgfmt --check: " + line for line in errors] or ["msgfmt --check failed"]
    return []


def _django_env() -> dict[str, str]:
    env = dict(os.environ)
    if not env.get("DJANGO_SECRET_KEY"):
        env["DJANGO_DEBUG"] = "1"  # extraction only: settings refuse to load without a key otherwise
    # Extraction and compilation never connect; placeholders keep manage.py from starting the
    # embedded servers (it does when DJANGO_DEBUG is on and these are unset).
    env.setdefault("DATABASE_URL", "postgres://unused@127.0.0.1:1/unused")
    env.setdefault("REDIS_URL", "redis://127.0.0.1:1/0")
    return env


def extract(tmp: Path) -> Path:
    """A copy of the project whose locale/ makemessages has refreshed; returns the copy's locale dir."""
    def skip(directory: str, names: list[str]) -> set[str]:
        top = Path(directory).resolve() == ROOT
        return {n for n in names if (n in COPY_SKIP and (top or n == "__pycache__")) or n.endswith(".egg-info")}

    copy = tmp / "project"
    shutil.copytree(ROOT, copy, ignore=skip, symlinks=True)
    # python manage.py from the copy imports the copy's settings, so LOCALE_PATHS is the copy's locale/.
    subprocess.run([sys.executable, "manage.py", "makemessages", *MAKEMESSAGES, "--verbosity", "0"],  # noqa: S603
                   cwd=copy, env=_django_env(), check=True)
    return copy / "locale"


def expected_keys(po_text: str) -> set[str]:
    _, entries = parse_po(po_text)
    return {e.key for e in entries if not e.obsolete}


def js_problems() -> list[str]:
    marked = [p for p in (ROOT / "static" / "js").glob("**/*.js")
              if re.search(r"\b(n?gettext|interpolate|pgettext)\(", p.read_text(encoding="utf-8", errors="replace"))]
    if not marked:
        return []
    return [f"{lang}: {p.relative_to(ROOT)} marks strings for translation but there is no djangojs catalogue"
            for lang in LANGUAGES for p in marked
            if not (ROOT / "locale" / lang / "LC_MESSAGES" / "djangojs.po").exists()]


def check() -> int:
    failures: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="pc-catalogues-") as tmp:
        refreshed = extract(Path(tmp))
        for lang in LANGUAGES:
            po = ROOT / "locale" / lang / "LC_MESSAGES" / "django.po"
            if not po.exists():
                failures[lang] = [f"no catalogue {po.relative_to(ROOT)}"]
                continue
            committed = po.read_text(encoding="utf-8")
            wanted = expected_keys((refreshed / lang / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8"))
            found = problems_in(committed, wanted, str(po.relative_to(ROOT)))
            found += msgfmt_check(po)
            found += stale_mo(committed, po.with_suffix(".mo"))
            if found:
                failures[lang] = found
    js = js_problems()
    if js:
        failures["djangojs"] = js
    if failures:
        for lang, found in failures.items():
            print(f"{lang}: {len(found)} problem(s)")
            for line in found:
                print(f"  {line}")
        print("\nCatalogues incomplete. See tools/i18n/README.md: make i18n-update, translate, compile.")
        return 1
    print(f"Catalogues complete: {', '.join(LANGUAGES)} hold every message the source marks, all translated.")
    return 0


def update() -> int:
    compile_args = [arg for lang in LANGUAGES for arg in ("-l", lang)] + ["-i", ".venv"]
    for command in (["makemessages", *MAKEMESSAGES], ["compilemessages", *compile_args]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=_django_env(), check=True)  # noqa: S603
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="refresh locale/ in place (makemessages, compile)")
    sys.exit(update() if parser.parse_args().update else check())
