"""The made-up-value checks of detect/filters/fakes.py, rewritten to run on every candidate cheaply, agree with
their plain definitions (written here one character pair at a time) on any string."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from credscope.detect import heuristics
from credscope.detect.filters import FilterContext, fakes


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
    assert fakes._longest_run(fakes._steps(value)) == longest_run_by_definition(value)
    assert fakes._sequential(fakes._steps(value)) == sequential_by_definition(value)
    assert fakes._periodic(value) == periodic_by_definition(value)


def periodic_by_definition(value: str) -> bool:
    return any(
        value == (value[:period] * (len(value) // period + 1))[: len(value)]
        for period in range(1, min(8, len(value) // 3) + 1)
    )


def low_variety_by_definition(secret: str) -> str | None:
    body = fakes._random_part(secret)
    if len(body) < 8:
        return None
    if len(set(body)) <= 3 or sequential_by_definition(body) or periodic_by_definition(body):
        return "low-variety fake"
    if longest_run_by_definition(body) >= 7 or heuristics.is_sequential_string(body):
        return "sequential fake"
    return None


_UNITS = st.text(alphabet=st.sampled_from("ab1-_Zé9xQ"), min_size=1, max_size=9)


@settings(max_examples=3000, deadline=None)
@given(
    _VALUES
    | st.builds(
        lambda unit, times, cut: (unit * times)[: max(1, len(unit) * times - cut)],
        _UNITS,
        st.integers(1, 12),
        st.integers(0, 8),
    )
)
def test_low_variety_agrees_with_its_definition(value: str) -> None:
    for secret in (value, "sk_live_" + value, value * 2):
        context = FilterContext(secret, secret, None, "app.py", "rule", "generic")
        assert fakes.low_variety(context) == low_variety_by_definition(secret), secret


def test_examples() -> None:
    assert fakes._runs("abc123xyz") == (3, 9)
    assert fakes._runs("ab12") == (0, 0)
    assert fakes._longest_run(fakes._steps("q1234567z")) == 7
    assert fakes._longest_run(fakes._steps("gfedcba")) == 7
    assert fakes._longest_run(fakes._steps("")) == 1
    assert all(fakes._sequential(fakes._steps(value)) for value in ("aaaa", "dcba"))
    assert not fakes._sequential(fakes._steps("abd"))


def test_a_unit_of_eight_characters_repeated_is_low_variety() -> None:
    for secret in ("q7Zx-3Kp" * 4, "q7Zx-3Kp" * 3 + "q7Z", "q7Zx-3K" * 5):
        context = FilterContext(secret, secret, None, "app.py", "rule", "generic")
        assert fakes.low_variety(context) == low_variety_by_definition(secret) == "low-variety fake", secret
