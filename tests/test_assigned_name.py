"""The name the line gives a value (detect/context.py `assigned_name`): its two regexes are searched only from the
last character neither can hold, which must find what searching the whole prefix finds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from credscope.detect.context import _ASSIGNMENT, _FLAG, _LOOKBACK, assigned_name

# What the regexes read (names, separators, quotes, brackets, auth schemes, flags) and what ends them in code.
_PIECES = st.sampled_from(
    [*"aZ_9.-@$\"'`[] \t=:>,", "é", "数", "\u00a0", "(", ")", ";", "{", "}", "/", "+", "!", "?", "\\", "*", "|",
     "--", "Bearer ", "token ", "->", ":=", "=>", "\n", "api_key", "os.environ", "x"]
)  # fmt: skip


def _reference(text: str, start: int) -> str | None:
    """`assigned_name` as it read before: both regexes searched over the whole prefix."""
    line_start = text.rfind("\n", max(0, start - _LOOKBACK), start) + 1
    prefix = text[max(line_start, start - _LOOKBACK) : start]
    if not prefix.strip():
        return None
    flag = _FLAG.search(prefix)
    if flag:
        return flag.group("name")
    match = _ASSIGNMENT.search(prefix)
    if match is None:
        return None
    return match.group("name").lstrip("$@") or None


@settings(max_examples=3000, database=None)
@given(st.lists(_PIECES, max_size=40), st.integers(0, 3))
def test_searching_from_the_last_character_neither_regex_holds_finds_the_same_name(
    pieces: list[str], back: int
) -> None:
    text = "".join(pieces) + "secretvalue"
    start = max(0, len(text) - len("secretvalue") - back)
    assert assigned_name(text, start) == _reference(text, start)


def test_names_before_code_and_after_it() -> None:
    assert assigned_name('f(a);api_key = "', len('f(a);api_key = "')) == "api_key"
    assert assigned_name('x{"token": "', len('x{"token": "')) == "token"
    assert assigned_name("f(x); run --password ", len("f(x); run --password ")) == "password"
    assert assigned_name("a+b", 3) is None
