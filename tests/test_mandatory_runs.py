"""The runs of one character set every match of a pattern holds (regex_shape.mandatory_runs): a dense database
reads a document only when one of its rules' runs is there (prefilter `_gates`, `tests/test_dense_groups.py`).

Every match of `(?:^|[^A-Za-z0-9_/-])[a-z2-7]{52}(?:[^A-Za-z0-9_-]|$)` holds 52 characters of `[a-z2-7]` in a
row: Hyperscan finds such a run alone four times faster than the whole pattern, and most large documents that
name Azure hold none. Skipping a database where none of its runs is must change nothing but the time.
"""

from __future__ import annotations

import functools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credscope.catalogue import Catalogue, load_catalogue
from credscope.detect.regex_shape import Run, mandatory_runs
from credscope.testing.generate import expand

HEX = r"[\x30-\x39\x61-\x66]"


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"(?:^|[^A-Za-z0-9])(?P<secret>[0-9a-f]{32})(?:[^A-Za-z0-9]|$)", [(HEX, 32, False)]),
        # The longest run a match must hold is the one kept.
        (r"[0-9a-f]{20}-[0-9a-f]{32}-[0-9a-f]{24}", [(HEX, 32, False)]),
        # One run from each alternative, when each has one.
        (
            r"(?P<secret>[0-9a-f]{32}|[A-Za-z0-9]{84})",
            [(HEX, 32, False), (r"[\x30-\x39\x41-\x5a\x61-\x7a]", 84, False)],
        ),
        (r"(?:[0-9a-f]{32}|key-[a-z]{4})", []),
        # What a match need not consume is no gate: an optional part, a lookaround.
        (r"x(?:[0-9a-f]{32})?y", []),
        (r"[0-9a-f]{0,40}", []),
        (r"(?=[0-9a-f]{32})\w+", []),
        (r"(?<=[0-9a-f]{32})x", []),
        # Nor a group with flags of its own (the run's case would not be the group's).
        (r"x(?i:[0-9a-f]{32})", []),
        # A run inside a repeated group is in every match; the group's own count does not lengthen it.
        (r"(?:[0-9a-f]{32}\.){2,3}", [(HEX, 32, False)]),
        # Ignoring case, the run is looked for ignoring case.
        (r"(?i)sk_[0-9a-f]{32}", [(HEX, 32, True)]),
        # Categories and negated sets are written back as they were.
        (r"\d{19}", [(r"[\d]", 19, False)]),
        (r"[^\s'\"]{40}", [(r"[^\s\x22\x27]", 40, False)]),
        # One set, whatever the order it is written in.
        (r"[a-f0-9]{32}", [(HEX, 32, False)]),
        # Shorter than `shortest`: no gate.
        (r"[0-9a-f]{8}-[0-9a-f]{4}", []),
    ],
)
def test_mandatory_runs(pattern: str, expected: list[tuple[str, int, bool]]) -> None:
    assert mandatory_runs(pattern, 0, shortest=16) == tuple(Run(*run) for run in expected)


# Patterns over a small alphabet, built from the pieces the catalogue's patterns are made of: sets repeated,
# literals, optional groups, alternatives, lookarounds, groups with flags of their own.
_SETS = ["[ab]", "[a1]", "[ab1]", "[^-]", "[AB]", r"\d"]
_leaf = st.one_of(
    st.builds(
        lambda s, low, extra: f"{s}{{{low},{low + extra}}}",
        st.sampled_from(_SETS),
        st.integers(0, 3),
        st.integers(0, 2),
    ),
    st.sampled_from(["a", "b", "1", "-", "A"]),
)


def _patterns() -> st.SearchStrategy[str]:
    return st.recursive(
        _leaf,
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=4).map("".join),
            st.builds(lambda x, y: f"(?:{x}|{y})", inner, inner),
            st.builds(lambda x: f"(?:{x})?", inner),
            st.builds(lambda x, n: f"(?:{x}){{{n}}}", inner, st.integers(1, 2)),
            st.builds(lambda x: f"(?={x})", inner),
            st.builds(lambda x: f"(?i:{x})", inner),
            st.builds(lambda x: f"(?P<g>{x})" if "?P<g>" not in x else x, inner),
        ),
        max_leaves=6,
    )


@settings(max_examples=400, deadline=None)
@given(
    pattern=_patterns(),
    ignore_case=st.booleans(),
    texts=st.lists(st.text(alphabet="abAB1-", max_size=14), min_size=1, max_size=6),
)
def test_every_match_holds_one_of_the_runs(pattern: str, ignore_case: bool, texts: list[str]) -> None:
    flags = re.IGNORECASE if ignore_case else 0
    try:
        compiled = re.compile(pattern, flags)
    except re.error:
        return
    runs = mandatory_runs(pattern, flags, shortest=2)
    for text in texts:
        for match in compiled.finditer(text):
            found = match.group()
            assert not runs or any(
                re.search(run.expression(), found, re.IGNORECASE if run.ignore_case else 0) for run in runs
            ), (pattern, runs, found)


def test_every_catalogue_match_holds_one_of_its_rules_runs() -> None:
    # On the rules as they are: each positive example's match, generated afresh, holds a run of its rule.
    gated = 0
    for rule in _catalogue().rules:
        runs = mandatory_runs(rule.pattern.pattern, rule.pattern.flags, shortest=16)
        gated += bool(runs)
        for example in rule.examples:
            if not example.positive or not runs:
                continue
            text = expand(example.text).text
            for match in rule.pattern.finditer(text):
                assert any(
                    re.search(run.expression(), match.group(), re.IGNORECASE if run.ignore_case else 0) for run in runs
                ), (rule.id, runs, match.group())
    assert gated > 60


@functools.cache
def _catalogue() -> Catalogue:
    return load_catalogue()
