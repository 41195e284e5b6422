"""Names and references as people see them (issue #14 finding 11).

Unicode format characters (category Cf: the bidirectional controls U+202A–202E and U+2066–2069,
the zero-width space, joiners and non-joiner U+200B–200D, the word joiner U+2060, the byte order
mark U+FEFF, the soft hyphen, …) are invisible or reorder what is shown: "Acme" and "Ac<ZWSP>me"
look the same on every page and would be two parties, and a right-to-left override makes a name
read differently from what it is. So every name and reference typed in is cleaned by
``clean_name`` before it is stored: format and control characters are removed and runs of
white space (any Unicode space) become one space. Uniqueness compares ``name_key`` (the cleaned
text, NFKC-normalised and case-folded), so compatibility forms and case do not make two either.

The price: a zero-width joiner or non-joiner that shapes a word in some scripts (Persian, the
Indic scripts) is dropped too; the letters stay and read the same.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# Control characters that are white space (tabs, line breaks): kept, so they separate words.
_SPACING_CONTROLS = frozenset("\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85")


def strip_format_characters(value: str) -> str:
    """``value`` without format (Cf) and control (Cc) characters, except the controls that are white space."""
    return "".join(ch for ch in value if ch in _SPACING_CONTROLS or unicodedata.category(ch) not in ("Cf", "Cc"))


def clean_name(value: object) -> str:
    """A name or reference fit to store and show: no invisible characters, single spaces, trimmed."""
    return _SPACES.sub(" ", strip_format_characters(str(value or ""))).strip()


def name_key(value: object) -> str:
    """The form two names are compared in: cleaned, NFKC-normalised, case-folded."""
    return clean_name(unicodedata.normalize("NFKC", clean_name(value)).casefold())
