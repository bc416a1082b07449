"""A dense database reads a document only when one of its rules' runs is there (prefilter `_gates`).

Every match of `(?:^|[^A-Za-z0-9_/-])[a-z2-7]{52}(?:[^A-Za-z0-9_-]|$)` holds 52 characters of `[a-z2-7]` in a
row: Hyperscan finds such a run alone four times faster than the whole pattern, and most large documents that
name Azure hold none. Skipping a database where none of its runs is must change nothing but the time.
"""

from __future__ import annotations

import dataclasses
import functools
import random
import re
from pathlib import Path
from typing import Any

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


pytest.importorskip("hyperscan")


def _engine(cache: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    from credscope.detect.prefilter import Prefilter

    monkeypatch.setenv("CREDSCOPE_CACHE_DIR", str(cache))
    prefilter = Prefilter(_catalogue().rules, use_hyperscan=True)
    prefilter.warm()
    return prefilter


class _Counted:
    def __init__(self, database: Any) -> None:
        self.database, self.scans = database, 0

    def scan(self, content: bytes, **kwargs: Any) -> None:
        self.scans += 1
        self.database.scan(content, **kwargs)


def _index(rule_id: str) -> int:
    return next(index for index, rule in enumerate(_catalogue().rules) if rule.id == rule_id)


def test_a_dense_database_reads_only_documents_holding_one_of_its_rules_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefilter = _engine(tmp_path, monkeypatch)
    engine: Any = prefilter._engine
    engine.place_names = False
    index = _index("azure-devops-pat-legacy")
    [group] = [group for group in engine._dense if any(held == index for held, _, _ in group.reaches)]
    assert group.gates is not None
    group.database = _Counted(group.database)
    prose = "# deploy to azure devops with the pipeline's token\n" + "value = compute(items, limit=10)\n" * 400
    prefilter.select(prose.encode(), "deploy.py")
    assert group.database.scans == 0
    # A run of the rule's set, even one that is no token (too long), lets the database read.
    prefilter.select((prose + "x = '" + "abcdefgh234567" * 5 + "'\n").encode(), "deploy.py")
    assert group.database.scans == 1
    token = expand("{{azure-devops-legacy}}").text
    text = prose + f"AZURE_DEVOPS_EXT_PAT={token}\n"
    selection = prefilter.select(text.encode(), ".env")
    assert group.database.scans == 2
    assert index in selection.rules


def _ungated(prefilter: Any) -> Any:
    engine = prefilter._engine
    engine._dense = [dataclasses.replace(group, gates=None) for group in engine._dense]
    return prefilter


@pytest.mark.parametrize("place_names", [False, True])
def test_gates_change_no_selection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, place_names: bool) -> None:
    # Every rule's positive examples, among filler with and without runs of the dense rules' sets: what the
    # prefilter selects (rules, windows) is the same with the gates and without.
    gated = _engine(tmp_path, monkeypatch)
    ungated = _ungated(_engine(tmp_path, monkeypatch))
    for prefilter in (gated, ungated):
        prefilter._engine.place_names = place_names
    assert any(group.gates is not None for group in gated._engine._dense)
    rng = random.Random(5)
    fillers = [
        "value = compute(items, limit=10)\n",
        f"digest = '{expand('{{random:hex:40}}').text}'\n",
        f"blob = '{expand('{{random:alnum:90}}').text}'\n",
    ]
    compared = 0
    for rule in _catalogue().rules:
        for example in rule.examples:
            if not example.positive:
                continue
            body = expand(example.text).text
            filler = "".join(rng.choice(fillers) for _ in range(rng.randint(0, 60)))
            for text in (body, filler + body + "\n" + filler):
                content = text.encode()
                kept, every = gated.select(content, example.path), ungated.select(content, example.path)
                # Names a skipped database would have placed are placed when a match asks for them (`nearby`).
                assert kept._replace(placed={}) == every._replace(placed={}), rule.id
                assert all(every.placed[index] == placed for index, placed in kept.placed.items()), rule.id
                compared += 1
    assert compared > 500
