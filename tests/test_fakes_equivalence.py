"""The made-up-value checks of detect/filters/fakes.py, rewritten to run on every candidate cheaply, agree with
their plain definitions (written here one character pair at a time) on any string."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from credscope.detect.filters import fakes


def _next_in_alphabet(a: str, b: str) -> bool:
    return ord(b) - ord(a) == 1 and a.isalnum() and b.isalnum() and a.isdigit() == b.isdigit()


def runs_by_definition(value: str) -> tuple[int, int]:
    count = covered = start = 0
    for index in range(1, len(value) + 1):
        if index < len(value) and _next_in_alphabet(value[index - 1], value[index]):
            continue
        if index - start >= 3:
            count, covered = count + 1, covered + index - start
        start = index
    return count, covered


def longest_run_by_definition(value: str) -> int:
    longest = run = 1
    direction = 0
    for a, b in itertools.pairwise(value):
        step = ord(b) - ord(a)
        if step in (1, -1) and (run == 1 or step == direction):
            run, direction = run + 1, step
        elif step in (1, -1):
            run, direction = 2, step
        else:
            run, direction = 1, 0
        longest = max(longest, run)
    return longest


def sequential_by_definition(value: str) -> bool:
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(value)}
    return len(steps) == 1 and steps <= {1, -1, 0}


# Runs are rare in random text: draw from small neighbourhoods of the alphabet boundaries too.
_RUNNY = st.text(alphabet=st.sampled_from("⑧⑨⑩⑪0123456789:/@ABCYZ[`abcxyz{ﾟ٠١٢٣éêë"), max_size=40)
_VALUES = st.one_of(
    st.text(max_size=40),
    _RUNNY,
    st.sampled_from(["", "a", "ab", "abc", "cba", "123456789", "zyx987", "⑧⑨⑩⑪", "ab⑧⑨⑩⑪xyz"]),
)


@settings(max_examples=3000, deadline=None)
@given(_VALUES)
def test_runs_agree_with_their_definitions(value: str) -> None:
    assert fakes._runs(value) == runs_by_definition(value)
    assert fakes._longest_run(value) == longest_run_by_definition(value)
    assert fakes._sequential(value) == sequential_by_definition(value)


def test_examples() -> None:
    assert fakes._runs("abc123xyz") == (3, 9)
    assert fakes._runs("ab12") == (0, 0)
    assert fakes._longest_run("q1234567z") == 7
    assert fakes._longest_run("gfedcba") == 7
    assert fakes._longest_run("") == 1
    assert fakes._sequential("aaaa") and fakes._sequential("dcba") and not fakes._sequential("abd")
