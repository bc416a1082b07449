"""Offsets as line numbers: counted for the first lookups, then read from an index of every line. Both must say
what counting newlines says."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credscope.detect import lines as lines_module
from credscope.detect.lines import LineIndex

# Newlines, and the other characters str.splitlines would break at: only "\n" ends a line here.
_TEXT = st.text(alphabet=st.sampled_from(["a", "é", "\n", "\r", "\u2028", "\x0b", "\x85"]), max_size=40)


@given(_TEXT, st.data())
def test_each_offset_is_on_the_line_counting_newlines_gives(text: str, data: st.DataObject) -> None:
    lines = LineIndex(text)
    # More lookups than are counted: the later ones read the index.
    for offset in data.draw(st.lists(st.integers(0, len(text)), min_size=1, max_size=20)):
        assert lines.line_of(offset) == text.count("\n", 0, offset) + 1
        assert lines.line_start(offset) == text.rfind("\n", 0, offset) + 1


@given(st.text(alphabet=st.sampled_from(["a", "é", "\n", "\r"]), max_size=400), st.data())
def test_lookups_in_any_order_past_the_limits_give_the_counted_line(text: str, data: st.DataObject) -> None:
    """With offsets kept every few characters and few of them allowed, each way of answering is taken: counting
    from the last offset, from one kept below it, and from the index once backward counts add up."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(lines_module, "_SPACING", 4)
        patch.setattr(lines_module, "_KEPT", 12)
        lines = LineIndex(text)
        for offset in data.draw(st.lists(st.integers(0, len(text)), min_size=1, max_size=60)):
            assert lines.line_of(offset) == text.count("\n", 0, offset) + 1


def test_lookups_in_order_never_list_every_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bundle's findings and a parser's walk ask in order: the text is counted as they go, and the start of each of
    its lines is never listed (a Python step per line)."""
    text = "x = 1\n" * 200_000

    def listed(_: str) -> None:
        raise AssertionError("every line's start listed")

    monkeypatch.setattr(lines_module, "_starts", listed)
    lines = LineIndex(text)
    for offset in range(0, len(text), 997):
        assert lines.line_of(offset) == offset // 6 + 1
    # A few out of order, as a document's second rule asks again from its top.
    for offset in (5, 6_000, 600_000):
        assert lines.line_of(offset) == offset // 6 + 1
