"""Line diff between two versions of an agreement's text (the standard library's difflib).

The UI shows ``chunks`` side by side; the API returns them and the unified text.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field


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

    @property
    def changed(self) -> bool:
        return bool(self.lines_added or self.lines_removed)


def diff_texts(old: str, new: str, *, from_number: int, to_number: int, context: int = 3) -> VersionDiff:
    old_lines = old.splitlines()
    new_lines = new.splitlines()
    # autojunk off: agreement texts repeat lines ("Article", blank lines) that must still align.
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    chunks: list[DiffChunk] = []
    added = removed = 0
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        chunks.append(DiffChunk(tag=tag, old_start=i1 + 1, new_start=j1 + 1,
                                old_lines=old_lines[i1:i2], new_lines=new_lines[j1:j2]))
        if tag in ("delete", "replace"):
            removed += i2 - i1
        if tag in ("insert", "replace"):
            added += j2 - j1
    unified = "\n".join(
        difflib.unified_diff(old_lines, new_lines, fromfile=f"v{from_number}", tofile=f"v{to_number}",
                             n=context, lineterm="")
    )
    return VersionDiff(from_number=from_number, to_number=to_number, chunks=chunks, unified=unified,
                       lines_added=added, lines_removed=removed)
