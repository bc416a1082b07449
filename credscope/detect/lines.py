"""Offsets in a text as 1-based line numbers: for parsers' assignments and for findings' positions."""

from __future__ import annotations

import bisect
import re
from array import array

# Lookups answered by counting newlines, before an index of every line is built: a 15 MB bundle with two
# findings, or a model with one match to name, never needs one (building it costs a Python step per line).
_COUNTED = 8
_NEWLINE = re.compile("\n")


class LineIndex:
    """Offsets to 1-based line numbers. The first few are counted; then every line's start is listed, once."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._starts: array[int] | None = None
        self._counted = 0

    def line_of(self, offset: int) -> int:
        if self._starts is None:
            if self._counted < _COUNTED:
                self._counted += 1
                return self._text.count("\n", 0, offset) + 1
            self._starts = _starts(self._text)
        return bisect.bisect_right(self._starts, offset)

    def line_start(self, offset: int) -> int:
        """Where the line holding `offset` begins."""
        return self._text.rfind("\n", 0, offset) + 1


def _starts(text: str) -> array[int]:
    """Where each line begins: 0, then one past each newline. Eight bytes a line: a bundle's 380,000 lines as a
    list of ints would hold 15 MB."""
    starts = array("q", [0])
    starts.extend(found.end() for found in _NEWLINE.finditer(text))
    return starts
