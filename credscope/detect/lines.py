"""Offsets in a text as 1-based line numbers: for parsers' assignments and for findings' positions."""

from __future__ import annotations

import bisect
import re
from array import array

# Lookups are answered by counting newlines, in C, from the last offset looked up: a parser's walk and a
# document's findings ask in order, so the text is counted about once however many lines it has (a 15 MB bundle
# has 380,000, and listing their starts cost a Python step each). An offset before the last is counted from the
# nearest offset kept below it: one every _SPACING characters of those looked up, and each looked up out of order.
# Once those backward counts have read as much as the text, or kept _KEPT offsets, every line's start is listed
# once and read from then on.
_SPACING = 1 << 16
_KEPT = 4096
_NEWLINE = re.compile("\n")


class LineIndex:
    """Offsets to 1-based line numbers: counted from the last offset looked up (or the nearest kept below one
    looked up out of order), or read from an index of every line's start once lookups out of order add up."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._last = (0, 1)  # the last offset looked up in order, and its line
        self._kept = [0]  # ascending: offsets to count from when one before `_last` is asked for ...
        self._kept_lines = [1]  # ... and their lines
        self._counted_back = 0  # characters counted for those
        self._starts: array[int] | None = None

    def line_of(self, offset: int) -> int:
        if self._starts is not None:
            return bisect.bisect_right(self._starts, offset)
        last, line = self._last
        if offset >= last:
            line += self._text.count("\n", last, offset)
            self._last = (offset, line)
            if offset - self._kept[-1] >= _SPACING:
                self._kept.append(offset)
                self._kept_lines.append(line)
            return line
        at = bisect.bisect_right(self._kept, offset) - 1
        self._counted_back += offset - self._kept[at]
        if self._counted_back > len(self._text) or len(self._kept) >= _KEPT:
            self._starts = _starts(self._text)
            return bisect.bisect_right(self._starts, offset)
        line = self._kept_lines[at] + self._text.count("\n", self._kept[at], offset)
        self._kept.insert(at + 1, offset)
        self._kept_lines.insert(at + 1, line)
        return line

    def line_start(self, offset: int) -> int:
        """Where the line holding `offset` begins."""
        return self._text.rfind("\n", 0, offset) + 1


def _starts(text: str) -> array[int]:
    """Where each line begins: 0, then one past each newline. Eight bytes a line: a bundle's 380,000 lines as a
    list of ints would hold 15 MB."""
    starts = array("q", [0])
    starts.extend(found.end() for found in _NEWLINE.finditer(text))
    return starts
