"""Reading the datasets' free text: dates, name lists, countries, party headings.

Heuristics, each with the dataset quirk it answers. Whatever they cannot read stays
verbatim in the agreement (signatories_text, third_parties_text), so nothing is lost.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache

from django.utils import translation
from django_countries import countries as country_registry

from apps.agreements.importers.mapping import COUNTRY_NAMES, INTERNATIONAL_BODIES
from apps.agreements.importers.records import ImportedParty, RowError
from apps.agreements.models import DatePrecision
from apps.parties.models import Party, normalise_name

K = Party.Kind

# --- dates ----------------------------------------------------------------------------------------

_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def parse_date(value: str, *, column: str) -> tuple[dt.date, str]:
    """ISO dates, and UCDP's partial ones: "1992", "1992-04", "1992-04-00", "1992-00-00"."""
    value = (value or "").strip()
    match = _DATE.match(value)
    if not match:
        raise RowError(f"{column}: “{value}” is not a date (expected YYYY-MM-DD, YYYY-MM or YYYY)")
    year, month, day = int(match[1]), int(match[2] or 0), int(match[3] or 0)
    precision = DatePrecision.DAY if day else DatePrecision.MONTH if month else DatePrecision.YEAR
    try:
        return dt.date(year, month or 1, day or 1), precision
    except ValueError as exc:
        raise RowError(f"{column}: “{value}” is not a valid date ({exc})") from exc


def parse_optional_date(value: str) -> dt.date | None:
    try:
        return parse_date(value, column="")[0] if (value or "").strip() else None
    except RowError:
        return None


# --- lists of names -------------------------------------------------------------------------------


def squash(value: str) -> str:
    return " ".join((value or "").split())


def split_top_level(cell: str, separators: str = ",") -> list[str]:
    """Split on separators outside parentheses: "Military faction (forces of Honasan, Abenina & Zumel)" stays whole."""
    out: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in cell or "":
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(depth - 1, 0)
        if ch in separators and depth == 0:
            out.append("".join(current))
            current = []
        else:
            current.append(ch)
    out.append("".join(current))
    return [squash(s) for s in out if squash(s)]


def merge_by_reference(names: list[str], *, expected: int, reference: str) -> list[str]:
    """Re-join names the comma split cut in two, when the ids say there are fewer names.

    UCDP's "Military Junta for the Consolidation of Democracy, Peace and Justice" holds a
    comma; its actor_id list has one id for it. A pair is re-joined when "a, b" occurs in
    the reference text (the dyad names), so an unrelated pair is never glued together.
    """
    names = list(names)
    ref = squash(reference)
    while len(names) > expected:
        for i in range(len(names) - 1):
            joined = f"{names[i]}, {names[i + 1]}"
            if joined in ref:
                names[i : i + 2] = [joined]
                break
        else:
            break
    return names


def dedupe(names: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for name in names:
        key = normalise_name(name)
        if key and key not in seen:
            seen.add(key)
            out.append(name)
    return out


# --- countries ----------------------------------------------------------------------------------


def _strip_parenthetical(value: str) -> str:
    return squash(re.sub(r"\([^)]*\)", " ", value))


@cache
def _country_index() -> dict[str, str]:
    """English country names (and the datasets' spellings) to alpha-2, built once.

    django-countries' by_name() re-translates every name on each call; an importer asks
    thousands of times.
    """
    index: dict[str, str] = {}
    with translation.override("en"):
        for code, name in country_registry:
            index[str(name).casefold()] = code
    index.update(COUNTRY_NAMES)
    return index


@cache
def country_code(name: str) -> str:
    """ISO 3166 alpha-2 for a country name as the datasets write it ("" when unknown)."""
    raw = squash(name).strip(" .;:")
    index = _country_index()
    for candidate in (raw, _strip_parenthetical(raw), *re.findall(r"\(([^)]*)\)", raw)):
        code = index.get(candidate.casefold())
        if code:
            return code
    return ""


def alpha3_to_alpha2(code: str) -> str:
    code = (code or "").strip().upper()
    if not code:
        return ""
    alpha2 = country_registry.alpha2(code)
    return alpha2 or ""


# --- parties ------------------------------------------------------------------------------------


@cache
def _bodies() -> dict[str, tuple[str, tuple[str, ...], str]]:
    index: dict[str, tuple[str, tuple[str, ...], str]] = {}
    for name, aliases, kind in INTERNATIONAL_BODIES:
        for key in (name, *aliases):
            index[normalise_name(key)] = (name, aliases, kind)
    return index


_GOVERNMENT = re.compile(r"^(?:the\s+)?(?:transitional\s+|federal\s+|national\s+)?government\s+of\s+(?:the\s+)?(.+)$",
                         re.IGNORECASE)
_STATE_PREFIX = re.compile(r"^(?:the\s+)?(?:(?:federal|islamic|democratic|united|people'?s|socialist|arab|"
                           r"transitional|hashemite|plurinational|people['’]?s?|bolivarian|popular|and)\s+)*(?:republic|kingdom|state|federation)\s+of\s+"
                           r"(?:the\s+)?", re.IGNORECASE)
_GENERIC_GOVERNMENT = {
    "government", "the government", "national government", "gobierno nacional", "gobierno", "el gobierno",
    "gouvernement", "le gouvernement", "government side", "the government side", "transitional government",
    "federal government", "the federal government", "the transitional government", "government representatives",
}
_KIND_WORDS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(government|gobierno|gouvernement|ministry|republic|república|république|kingdom|state of|"
                r"federation)\b", re.I), K.STATE),
    (re.compile(r"\b((?i:united nations)|UN|(?i:mission)|MINU\w*|MONU\w*)\b"), K.INTERNATIONAL_ORGANISATION),
    (re.compile(r"\b(army|armed|forces|front|frente|liberation|libération|liberación|rebel|militia|insurgent|"
                r"revolution\w*|revolucion\w*|révolution\w*|"
                r"ejército|armée|mouvement|movement|movimiento|resistance|résistance|guerrill\w*)\b", re.I),
     K.NON_STATE_ARMED_GROUP),
    (re.compile(r"\b(communit(y|ies)|communauté|clan|elders|tribe|tribal|people of|herdsmen|farmers)\b", re.I),
     K.COMMUNITY),
    (re.compile(r"\b(party|partido|parti|alliance|congress|rally|union)\b", re.I), K.POLITICAL_PARTY),
    (re.compile(r"\b(civil society|société civile|sociedad civil|women'?s|church|église|iglesia|religious|"
                r"council|initiative|centre|center|foundation|university)\b", re.I), K.CIVIL_SOCIETY),
]
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9&/\-]{2,11}$")
_LEADING = re.compile(r"^(?:[-–•*·]+\s*|and\s+|et\s+|y\s+|the\s+|le\s+|la\s+|les\s+|el\s+|l['’]|by\s+)+",
                      re.IGNORECASE)


def clean_name(name: str, *, keep_commas: bool = False) -> str:
    """"- The Parti Libéral" → "Parti Libéral"; "Armed FRUD, The" → "Armed FRUD"; "EQUAL RIGHTS PARTY" → title case.

    What follows a comma in free text is a title or a person ("…, President"); ``keep_commas``
    is for names already split properly (UCDP's actor list, re-joined by merge_by_reference).
    """
    name = squash(name).strip(" .;:,\"'“”")
    name = _LEADING.sub("", name)
    head = split_top_level(name)
    if not keep_commas and len(head) > 1 and len(head[0]) >= 2:
        name = head[0]
    name = name.strip(" .;:,\"'“”")
    if name.isupper() and " " in name:
        name = name.title()
    return name


def _state_country(value: str) -> str:
    return country_code(value) or country_code(_STATE_PREFIX.sub("", value))


def classify(
    name: str, *, default_kind: str, country_hint: str = "", acronym_kind: str | None = None,
    keep_commas: bool = False,
) -> ImportedParty:
    """A party as the importer creates it: canonical name, kind, country and aliases.

    Well-known bodies get their canonical name (aliases "UN", "AU" …); a government or a
    country recognised by name gets the English country name ("Government of Rwanda" for
    "the Government of the Republic of Rwanda"), the spelling found kept as an alias, so
    UCDP's and PA-X's spellings meet in one party.
    """
    name = clean_name(name, keep_commas=keep_commas)
    aliases: list[str] = []
    acronym = re.match(r"^(.{3,}?)\s*\(([A-Z][A-Za-z0-9\-/&.]{1,15})\)$", name)
    if acronym and sum(c.isupper() for c in acronym[2]) >= 2 and not country_code(acronym[2]):
        name = acronym[1].strip()
        aliases.append(acronym[2])
    body = _bodies().get(normalise_name(name))
    if body is not None:
        canonical, body_aliases, kind = body
        return ImportedParty(name=canonical, kind=kind, aliases=tuple(dict.fromkeys([*body_aliases, *aliases])))
    if normalise_name(name) in _GENERIC_GOVERNMENT and country_hint:
        # "For the Government:" means the government of the country the agreement is about;
        # naming it so also merges it with UCDP's "Government of <country>".
        name = f"Government of {_english(country_hint)}"
    gov = _GOVERNMENT.match(name)
    if gov:
        code = _state_country(gov[1])
        if code:
            canonical = f"Government of {_english(code)}"
            if canonical != name:
                aliases.append(name)
            name = canonical
        return ImportedParty(name=name, kind=K.STATE, country=code, aliases=tuple(aliases))
    code = _state_country(name) if len(name) <= 60 else ""
    if code:
        canonical = _english(code)
        if canonical != name:
            aliases.append(name)
        return ImportedParty(name=canonical, kind=K.STATE, country=code, aliases=tuple(aliases))
    for pattern, kind in _KIND_WORDS:
        if pattern.search(name):
            return ImportedParty(name=name, kind=kind, aliases=tuple(aliases))
    if acronym_kind and _ACRONYM.match(name):
        return ImportedParty(name=name, kind=acronym_kind, aliases=tuple(aliases))
    return ImportedParty(name=name, kind=default_kind, aliases=tuple(aliases))


def _english(code: str) -> str:
    with translation.override("en"):
        return str(country_registry.name(code))


def looks_like_organisation(name: str) -> bool:
    """A known body, a state, or a name with an organisation's word or an acronym: not a person."""
    name = clean_name(name)
    if not name or len(name) > 80 or _TITLE_WORDS.search(name):
        return False
    return bool(
        normalise_name(name) in _bodies()
        or _state_country(name)
        or _GOVERNMENT.match(name)
        or _ACRONYM.match(name)
        or _ORG_WORDS.search(name)
        or any(p.search(name) for p, _k in _KIND_WORDS)
    )


def is_international_body(party: ImportedParty) -> bool:
    return party.kind in (K.INTERNATIONAL_ORGANISATION, K.REGIONAL_ORGANISATION)


@cache
def _known_names_pattern() -> re.Pattern[str]:
    names: set[str] = set()
    for name, aliases, _kind in INTERNATIONAL_BODIES:
        names.update(a for a in (name, *aliases) if len(a) > 2 or a.isupper())
    names.update(str(c.name) for c in country_registry)
    names.update(n.title() if n.islower() else n for n in COUNTRY_NAMES if len(n) > 3)
    # Longest first, so "South Sudan" wins over "Sudan" and "Guinea-Bissau" over "Guinea".
    alternatives = sorted(names, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(n) for n in alternatives) + r")(?![\w-])")


def scan_known_names(text: str) -> list[str]:
    """International bodies and countries named anywhere in free text ("brokered by Pakistan…")."""
    found = [m[1] for m in _known_names_pattern().finditer(text or "")]
    return dedupe(found)


_TITLE_WORDS = re.compile(
    r"\b(president|vice|minister|ministre|ministro|secretary|chairman|chairperson|speaker|commander|comandante|"
    r"représentant|representative|envoy|ambassador|adviser|advisor|leader|head|director|chief|general|général|"
    r"colonel|sultan|mayor|h\.e\.|excellency|mr|mrs|ms|dr|hon|prof)\b\.?",
    re.IGNORECASE,
)


def looks_like_list(cell: str, *, max_words: int = 8) -> bool:
    parts = split_top_level(cell, ",;")
    return bool(parts) and all(
        len(_strip_parenthetical(p).split()) <= max_words and not re.search(r"\.\s+[A-Z]", p) for p in parts
    )


def third_party_names(cell: str) -> list[str]:
    """UCDP pa_3rd: "Mexico, UN" is a list; "The accord was brokered by Pakistan…" is a sentence.

    In a list, each item that names an organisation or a state is taken ("ECOWAS and OAU"
    is two); items that name a person, or say something, are searched for known names.
    """
    cell = squash(cell)
    if not cell:
        return []
    if not looks_like_list(cell):
        return scan_known_names(cell)
    names: list[str] = []
    for part in split_top_level(cell, ",;"):
        part = _strip_parenthetical(part)
        pieces = [p for p in re.split(r"\s+(?:and|&)\s+|\s*/\s*", part) if p.strip()]
        if len(pieces) > 1 and not all(looks_like_organisation(p) for p in pieces):
            pieces = [part]
        for piece in pieces:
            if looks_like_organisation(piece):
                names.append(clean_name(piece))
            else:
                names.extend(scan_known_names(piece))
    return dedupe(names)


_HEADING = re.compile(
    r"^\s*(?:\d+[.)]\s*)?(?:.{0,30}?\bsigned\s+)?(?:for\s+and\s+on\s+behalf\s+of|on\s+behalf\s+of|"
    r"in\s+the\s+name\s+of|representatives?\s+of|representing|for|pour|por|au\s+nom\s+de|en\s+nombre\s+de)\s+"
    r"(?:the\s+|le\s+|la\s+|les\s+|l['’]\s*|el\s+|los\s+|las\s+|del\s+)?(?P<name>.+?)\s*$",
    re.IGNORECASE,
)
_ORG_WORDS = re.compile(
    r"\b(government|gobierno|gouvernement|republic|république|república|kingdom|federation|state|movement|"
    r"mouvement|movimiento|front|frente|army|armée|ejército|party|parti|partido|alliance|union|council|"
    r"communit(y|ies)|communauté|forces|coalition|liberation|libération|liberación|group|organi[sz]ation|"
    r"assembly|committee|mission|convention)\b",
    re.IGNORECASE,
)


def _clean_heading(name: str) -> str:
    name = name.split(":")[0]
    title = _TITLE_WORDS.search(name)
    if title and title.start() > 0:
        name = name[: title.start()]
    return squash(name).strip(" ,;.-–")


def pax_party_names(text: str) -> list[str]:
    """Party names in PA-X's free-text Part / ThrdPart.

    First the headings signatures are grouped under ("For the Government of Guatemala:",
    "Pour le Mouvement Révolutionnaire Congolais (MRC)", "Por el Gobierno Nacional"); when
    there are none, short lines that name an organisation, a state or a community. Lines
    naming people or their titles are not parties.
    """
    lines = [squash(line) for line in re.split(r"[\r\n;]+", text or "")]
    lines = [line for line in lines if line]
    headings = []
    for line in lines:
        match = _HEADING.match(line)
        if match:
            name = _clean_heading(match["name"])
            if 2 < len(name) <= 120:
                headings.append(name)
    if headings:
        return dedupe(headings)
    names = []
    for line in lines:
        line = re.sub(r"^\d+[.)]\s*", "", line).strip(" ,.")
        if len(line) > 80 or _TITLE_WORDS.search(line):
            continue
        if _ORG_WORDS.search(line) or country_code(line) or normalise_name(line) in _bodies():
            names.append(line)
    return dedupe(names)
