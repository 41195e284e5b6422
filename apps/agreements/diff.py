"""Line diff between two versions of an agreement's text (the standard library's difflib).

The UI shows ``chunks`` side by side; the API returns them and the unified text.

difflib's matcher is quadratic at worst (two 8,000-line versions took 11 s), so a diff is bounded
(issue #14 finding 11): the lines both versions share at the start and the end are set aside in
linear time; if what is left of either side is longer than ``MAX_DIFF_LINES``, or the matcher runs
past ``TIME_BUDGET`` seconds, the answer is ``too_large`` (no chunks) and the pages offer the two
texts to download instead. The agreement page diffs the latest two versions by itself only when
both are at most ``AUTO_DIFF_LINES`` long; longer ones are compared when someone asks.
"""

from __future__ import annotations

import difflib
import time
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from apps.common.errors import ApplicationError

# A version's text: about 400 pages. Also keeps a form post within DATA_UPLOAD_MAX_MEMORY_SIZE
# (2.5 MB) for scripts of two bytes a character.
MAX_VERSION_CHARS = 1_000_000
# Lines left on either side once the common start and end are set aside.
MAX_DIFF_LINES = 4_000
# Seconds the matcher may run for one diff; past it the diff is "too large to compare here".
TIME_BUDGET = 1.5
# The page compares the latest two versions on every view only when both are at most this long.
AUTO_DIFF_LINES = 1_000


def ensure_version_text_size(text: str) -> None:
    """A clear refusal (a 400 / form error) for a text longer than a version may be."""
    if len(text or "") > MAX_VERSION_CHARS:
        raise ApplicationError(
            _("The text is too long: a version may hold at most %(max)s characters; this one has %(n)s.")
            % {"max": f"{MAX_VERSION_CHARS:,}", "n": f"{len(text):,}"},
            field="text",
        )


def line_count(text: str) -> int:
    return (text or "").count("\n") + 1 if text else 0


class _OverBudget(Exception):
    pass


class _BudgetedMatcher(difflib.SequenceMatcher):
    """SequenceMatcher that gives up once its deadline has passed (checked at each longest-match search)."""

    def __init__(self, *args, deadline: float, **kwargs) -> None:
        self.deadline = deadline
        super().__init__(*args, **kwargs)

    def find_longest_match(self, alo=0, ahi=None, blo=0, bhi=None):
        if time.monotonic() > self.deadline:
            raise _OverBudget
        return super().find_longest_match(alo, ahi, blo, bhi)


@dataclass(frozen=True)
class DiffChunk:
    tag: str  # "equal", "insert", "delete" or "replace" (difflib's opcodes)
    old_start: int  # 1-based line numbers
    new_start: int
    old_lines: list[str] = field(default_factory=list)
    new_lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class VersionDiff:
    from_number: int
    to_number: int
    chunks: list[DiffChunk]
    unified: str
    lines_added: int
    lines_removed: int
    # Above the size limit or the time budget: no chunks, no unified text, no counts.
    too_large: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.lines_added or self.lines_removed)


def _too_large(from_number: int, to_number: int) -> VersionDiff:
    return VersionDiff(from_number=from_number, to_number=to_number, chunks=[], unified="", lines_added=0,
                       lines_removed=0, too_large=True)


def _common_ends(a: list[str], b: list[str]) -> tuple[int, int]:
    """How many lines both lists share at the start, and then at the end (linear)."""
    limit = min(len(a), len(b))
    head = 0
    while head < limit and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < limit - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    return head, tail


def _opcodes(a: list[str], b: list[str], *, deadline: float) -> list[tuple[str, int, int, int, int]]:
    """difflib's opcodes; for long texts, with the common start and end matched without the matcher."""
    if len(a) <= MAX_DIFF_LINES and len(b) <= MAX_DIFF_LINES:
        head = tail = 0  # exactly difflib's alignment (setting the ends aside may pick another, as valid)
    else:
        head, tail = _common_ends(a, b)
    middle_a, middle_b = a[head:len(a) - tail], b[head:len(b) - tail]
    if len(middle_a) > MAX_DIFF_LINES or len(middle_b) > MAX_DIFF_LINES:
        raise _OverBudget
    ops: list[tuple[str, int, int, int, int]] = []
    if head:
        ops.append(("equal", 0, head, 0, head))
    if middle_a or middle_b:
        # autojunk off: agreement texts repeat lines ("Article", blank lines) that must still align.
        matcher = _BudgetedMatcher(a=middle_a, b=middle_b, autojunk=False, deadline=deadline)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            ops.append((tag, i1 + head, i2 + head, j1 + head, j2 + head))
    if tail:
        ops.append(("equal", len(a) - tail, len(a), len(b) - tail, len(b)))
    # Merge neighbouring "equal" runs (the head or tail next to an equal run of the middle).
    merged: list[tuple[str, int, int, int, int]] = []
    for op in ops:
        if merged and op[0] == "equal" and merged[-1][0] == "equal":
            prev = merged.pop()
            op = ("equal", prev[1], op[2], prev[3], op[4])
        merged.append(op)
    return merged


def _groups(opcodes: list[tuple[str, int, int, int, int]], context: int) -> list[list[tuple[str, int, int, int, int]]]:
    """The changes with ``context`` equal lines around each, as unified_diff groups them (hunks)."""
    if not any(tag != "equal" for tag, *_rest in opcodes):
        return []
    codes = list(opcodes)
    # Trim the leading and trailing equal runs to the context.
    if codes[0][0] == "equal":
        _tag, i1, i2, j1, j2 = codes[0]
        codes[0] = ("equal", max(i1, i2 - context), i2, max(j1, j2 - context), j2)
    if codes[-1][0] == "equal":
        _tag, i1, i2, j1, j2 = codes[-1]
        codes[-1] = ("equal", i1, min(i2, i1 + context), j1, min(j2, j1 + context))
    groups: list[list[tuple[str, int, int, int, int]]] = []
    group: list[tuple[str, int, int, int, int]] = []
    for tag, i1, i2, j1, j2 in codes:
        # An equal run longer than twice the context ends one hunk and starts the next.
        if tag == "equal" and i2 - i1 > 2 * context:
            group.append(("equal", i1, min(i2, i1 + context), j1, min(j2, j1 + context)))
            groups.append(group)
            group = []
            i1, j1 = max(i1, i2 - context), max(j1, j2 - context)
        group.append((tag, i1, i2, j1, j2))
    if group and not (len(group) == 1 and group[0][0] == "equal"):
        groups.append(group)
    return groups


def _unified(a: list[str], b: list[str], opcodes, *, from_number: int, to_number: int, context: int) -> str:
    """The unified diff text from the opcodes already computed (difflib.unified_diff would match again)."""
    lines: list[str] = []
    for group in _groups(opcodes, context):
        if not lines:
            lines += [f"--- v{from_number}", f"+++ v{to_number}"]
        first, last = group[0], group[-1]
        lines.append(f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [" " + line for line in a[i1:i2]]
                continue
            if tag in ("replace", "delete"):
                lines += ["-" + line for line in a[i1:i2]]
            if tag in ("replace", "insert"):
                lines += ["+" + line for line in b[j1:j2]]
    return "\n".join(lines)


def _range(start: int, stop: int) -> str:
    # difflib's _format_range_unified: 1-based start, and the length when it is not one.
    beginning, length = start + 1, stop - start
    if length == 1:
        return f"{beginning}"
    if not length:
        beginning -= 1
    return f"{beginning},{length}"


def diff_texts(old: str, new: str, *, from_number: int, to_number: int, context: int = 3,
               budget: float | None = None) -> VersionDiff:
    """The diff, or ``too_large`` when it is beyond ``MAX_DIFF_LINES`` or the time budget."""
    old_lines = old.splitlines()
    new_lines = new.splitlines()
    deadline = time.monotonic() + (TIME_BUDGET if budget is None else budget)
    try:
        opcodes = _opcodes(old_lines, new_lines, deadline=deadline)
    except _OverBudget:
        return _too_large(from_number, to_number)
    chunks: list[DiffChunk] = []
    added = removed = 0
    for tag, i1, i2, j1, j2 in opcodes:
        chunks.append(DiffChunk(tag=tag, old_start=i1 + 1, new_start=j1 + 1,
                                old_lines=old_lines[i1:i2], new_lines=new_lines[j1:j2]))
        if tag in ("delete", "replace"):
            removed += i2 - i1
        if tag in ("insert", "replace"):
            added += j2 - j1
    unified = _unified(old_lines, new_lines, opcodes, from_number=from_number, to_number=to_number,
                       context=context)
    return VersionDiff(from_number=from_number, to_number=to_number, chunks=chunks, unified=unified,
                       lines_added=added, lines_removed=removed)
