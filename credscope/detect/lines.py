"""Offsets in a text as 1-based line numbers: for parsers' assignments and for findings' positions."""

from __future__ import annotations

import bisect
from itertools import accumulate


class LineIndex:
    """Offsets to 1-based line numbers, built once per text, on first use."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._starts: list[int] | None = None

    @property
    def starts(self) -> list[int]:
        """Where each line begins: 0, then one past each newline."""
        if self._starts is None:
            # Each line's length and its newline, summed: no Python step per line (a model has 100,000).
            lines = self._text.split("\n")
            self._starts = list(accumulate(map((1).__add__, map(len, lines[:-1])), initial=0))
        return self._starts

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)

    def start_of(self, line: int) -> int:
        return self.starts[line - 1]
