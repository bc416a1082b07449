"""Offsets as line numbers: counted for the first lookups, then read from an index of every line. Both must say
what counting newlines says."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

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
