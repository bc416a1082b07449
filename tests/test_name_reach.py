"""A rule that accepts a match only under a name (`requires_name`) drops, before any filter or parse, a match
with neither its `names` pattern within NAME_REACH nor its `near` pattern within `within` (by where Hyperscan
saw them end). It must keep everything the full judgement keeps: here both ways of being named, each alone,
checked against the pure-Python path (which judges every match in full)."""

from __future__ import annotations

import functools
import random
import string
from typing import Any

import pytest

from credscope.catalogue import Catalogue, load_catalogue
from credscope.detect.engine import NAME_REACH, NO_NAME, Detector, DocumentStats, _names_inside
from credscope.detect.prefilter import Prefilter
from credscope.model import Document, Reach
from credscope.testing.generate import expand

pytest.importorskip("hyperscan")


@functools.cache
def _catalogue() -> Catalogue:
    return load_catalogue()


def _token(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(32))


def _filler(size: int) -> str:
    line = "values.append(compute(index, offset, scale))  # nothing to see\n"
    return line * (size // len(line) + 1)


def _found(
    text: str, *, use_hyperscan: bool, place_names: bool | None = None
) -> tuple[list[tuple[str, int]], DocumentStats]:
    """The rule and line of each candidate, and the document's stats. `place_names`: whether the dense databases
    read only around the rules' names (prefilter._DenseGroup) or the whole text."""
    stats = DocumentStats()
    document = Document(path="app/client.py", content=text.encode(), reach=Reach.FILE)
    detector = Detector(_catalogue(), use_hyperscan=use_hyperscan)
    if use_hyperscan:
        detector._prefilter.warm()
        engine: Any = detector._prefilter._engine
        engine.place_names = place_names
    found = detector.detect(document, stats)
    return [(c.rule, c.location.line) for c in found], stats


def _both(text: str) -> tuple[list[tuple[str, int]], DocumentStats]:
    """The candidates, alike with Hyperscan (the dense databases reading the whole text, and only around the
    names) and without it; the stats of the whole reading."""
    fast, stats = _found(text, use_hyperscan=True, place_names=False)
    around, _ = _found(text, use_hyperscan=True, place_names=True)
    reference, _ = _found(text, use_hyperscan=False)
    assert fast == around == reference
    return fast, stats


def test_a_value_named_only_by_the_host_beside_it_is_kept() -> None:
    # The name (`auth`) is no Mistral name; the API host after the value is what names it.
    text = _filler(6000) + f'auth = "{_token(random.Random(1))}"  # api.mistral.ai\n' + _filler(6000)
    found, _ = _both(text)
    assert [rule for rule, _line in found] == ["mistral-api-key"]


def test_a_value_named_only_by_its_key_is_kept_with_the_host_far_away() -> None:
    text = "# client for api.mistral.ai\n" + _filler(6000) + f'MISTRAL_API_KEY = "{_token(random.Random(2))}"\n'
    found, _ = _both(text)
    assert [rule for rule, _line in found] == ["mistral-api-key"]


def test_a_value_far_from_any_name_is_dropped_before_it_is_judged() -> None:
    rng = random.Random(3)
    # "mistral" makes the rule run; its names and near patterns stand beyond reach of every value.
    far = "\n".join(f'row_{i} = "{_token(rng)}"' for i in range(40))
    text = "MISTRAL_API_KEY = os.environ['MISTRAL_API_KEY']\n" + _filler(NAME_REACH + 512) + far + "\n"
    found, stats = _both(text)
    assert found == []
    assert stats.filtered.get(NO_NAME, 0) >= 40
    # Read only around the names, the rule's database never reports them.
    _, stats = _found(text, use_hyperscan=True, place_names=True)
    assert stats.filtered.get(NO_NAME, 0) == 0


def test_wide_windows_are_cut_to_where_names_stand_and_keep_the_named_value() -> None:
    # Thousands of values of the rule's shape (a data table in a bundle): its windows are cut to the reach of
    # the names before its regex runs; the one value a name stands beside is still found, on its line.
    rng = random.Random(4)
    table = ", ".join(f'"{_token(rng)}"' for _ in range(2500))
    secret = _token(rng)
    text = (
        f"const rows = [{table}];\n"
        + _filler(3000)
        + f'const MISTRAL_API_KEY = "{secret}";\n'
        + f"const more = [{table}];\n"
    )
    found, _stats = _both(text)
    assert found == [("mistral-api-key", text[: text.index(secret)].count("\n") + 1)]


def _value_line(rng: random.Random, name: str) -> str:
    value = expand(rng.choice(["{{aws-secret}}", "{{random:hex:32}}", "{{random:alnum:32}}"])).text
    return f'{name} = "{value}"\n'


@pytest.mark.parametrize("seed", range(12))
def test_reading_dense_databases_only_around_names_finds_what_reading_the_whole_text_finds(seed: int) -> None:
    # Values of the dense rules' shapes, named and unnamed, at distances from their names and near patterns
    # that straddle the reach (NAME_REACH, `within`): both readings give the same candidates on the same lines.
    rng = random.Random(seed)
    names = ["aws_secret_access_key", "secretkey", "MISTRAL_API_KEY", "row", "value", "CF_ACCOUNT_ID", "account_id"]
    parts = ["import os\n", "# aws cloudflare mistral account\n"]
    for _ in range(rng.randint(3, 9)):
        gap = rng.choice([NAME_REACH - 80, NAME_REACH - 20, NAME_REACH + 10, NAME_REACH + 90, 200, 240, 260, 30])
        parts.append(_filler(gap)[: gap + rng.randint(-40, 40)])
        shape = rng.random()
        if shape < 0.3:
            # Named only by an access key id `within` (250 characters) of it, or not quite.
            akia = expand("{{aws:akia}}").text
            comment = "y" * (gap // 8 + rng.randint(-12, 12))
            parts.append(f"key_id = '{akia}'  # {comment}\nsecret = \"{expand('{{aws-secret}}').text}\"\n")
        elif shape < 0.5:
            # Named by its key across a comment that keeps the name far from the value, or too far.
            comment = "x" * (gap + rng.randint(-60, 60))
            value = expand("{{aws-secret}}").text
            parts.append(f'{rng.choice(names[:2])} = (\n    # {comment}\n    "{value}"\n)\n')
        else:
            parts.append(_value_line(rng, rng.choice(names)))
    # Far more text than names: the dense databases read stretches, not the whole text.
    padding = _filler(20 * len("".join(parts)))
    text = padding + "".join(parts) + padding
    # (Not against the pure-Python path: it judges a value past NAME_REACH from its name too.)
    whole, _ = _found(text, use_hyperscan=True, place_names=False)
    around, _ = _found(text, use_hyperscan=True, place_names=True)
    assert around == whole
    assert whole  # a generator that stopped making findings would test nothing


def test_reading_only_around_names_keeps_each_value_up_to_the_edge_of_the_reach() -> None:
    # One value per document, its name (or the access key id beside it) a few characters either side of the
    # farthest `_may_be_named` accepts, in a long text: read around the names, the same values are found.
    padding = _filler(100_000)
    secret = expand("{{aws-secret}}").text
    akia = expand("{{aws:akia}}").text
    far_names = [f'aws_secret_access_key = (\n    # {"x" * gap}\n    "{secret}"\n)\n' for gap in range(1990, 2050, 6)]
    far_ids = [f"key_id = '{akia}'  # {'y' * gap}\nsecret = \"{secret}\"\n" for gap in range(190, 226, 3)]
    for series in (far_names, far_ids):
        kept = []
        for part in series:
            whole, _ = _found(padding + part + padding, use_hyperscan=True, place_names=False)
            around, _ = _found(padding + part + padding, use_hyperscan=True, place_names=True)
            assert around == whole
            kept.append(any(rule == "aws-secret-access-key" for rule, _line in whole))
        assert True in kept and False in kept  # the series crosses the edge


@pytest.mark.parametrize("use_hyperscan", [True, False])
def test_where_naming_costs_no_parse_a_match_no_name_makes_count_never_reaches_the_filters(use_hyperscan: bool) -> None:
    # No parser reads notes.txt: a match's name is its line's, at no cost. A Mistral-shaped value under a name that
    # is no Mistral name, with no Mistral host beside it, is dropped before a filter looks at it; the named one is
    # judged by the filters and kept.
    rng = random.Random(9)
    unnamed, named = _token(rng), _token(rng)
    text = f'# mistral client settings\nchecksum = "{unnamed}"\nMISTRAL_API_KEY = "{named}"\n'
    judged: list[str] = []

    def spy(context: Any) -> None:
        judged.append(context.secret)

    detector = Detector(_catalogue(), use_hyperscan=use_hyperscan, filters=(spy,))
    stats = DocumentStats()
    found = detector.detect(Document(path="notes.txt", content=text.encode(), reach=Reach.FILE), stats)
    assert [(c.rule, c.location.line) for c in found] == [("mistral-api-key", 3)]
    assert named in judged and unnamed not in judged
    assert stats.filtered.get(NO_NAME, 0) >= 1


def _found_in(path: str, text: str, *, use_hyperscan: bool) -> list[tuple[str, int]]:
    detector = Detector(_catalogue(), use_hyperscan=use_hyperscan)
    if use_hyperscan:
        detector._prefilter.warm()
    found = detector.detect(Document(path=path, content=text.encode(), reach=Reach.FILE))
    return [(c.rule, c.location.line) for c in found]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A pair's name folded from two lines: not text as written, so the rule is kept for the parse to name it.
        ("env:\n- name: MISTRAL\n    API_KEY\n  value: {token}\n", [("mistral-api-key", 4)]),
        ("env:\n- name: >-\n    MISTRAL\n    API_KEY\n  value: {token}\n", [("mistral-api-key", 5)]),
        ("? MISTRAL\n  API_KEY\n: {token}\n", [("mistral-api-key", 3)]),
        # Keys are one line as written.
        ("services:\n  chat:\n    MISTRAL_API_KEY: {token}\n", [("mistral-api-key", 3)]),
        ("args: [--mistral-key, {token}]\n", [("mistral-api-key", 1)]),
        ("# mistral\nchecksum: {token}\n", []),
    ],
)
def test_yaml_values_are_named_alike_with_and_without_hyperscan(text: str, expected: list[tuple[str, int]]) -> None:
    text = text.format(token=_token(random.Random(5)))
    assert _found_in("deploy/chat.yaml", text, use_hyperscan=True) == expected
    assert _found_in("deploy/chat.yaml", text, use_hyperscan=False) == expected


def test_yaml_holding_none_of_a_rules_names_is_not_parsed_for_them(monkeypatch: pytest.MonkeyPatch) -> None:
    # fontawesome's icons.yml: "mistral" among the search terms, thousands of values of the rule's shape, and no
    # key a Mistral key goes by. The rule is left out before a match is looked for, and the document never parsed.
    rng = random.Random(6)
    icons = "".join(f"icon-{i}:\n  label: {_token(rng)}\n  search:\n    terms: [wind, mistral]\n" for i in range(200))
    parsed: list[str] = []
    monkeypatch.setattr(
        "credscope.detect.parsers.yaml_format.YamlParser.parse_on_demand", lambda self, text: parsed.append(text)
    )
    assert _found_in("metadata/icons.yml", icons, use_hyperscan=True) == []
    assert parsed == []


def test_names_are_placed_where_a_name_can_end_not_after_every_later_word() -> None:
    # `together.{0,40}(key|token|secret)`: open-ended, every `token` after the first `together` would be an end of
    # it (thousands in a bundle). With its bounds kept, only a name the rule accepts ends a match.
    detector = Detector(_catalogue(), use_hyperscan=True)
    detector._prefilter.warm()
    engine: Any = detector._prefilter._engine
    index = next(i for i, rule in enumerate(detector.rules) if rule.id == "together-legacy-api-key")
    far = "import together\n" + "x = compute(index, offset)\n" * 20 + "token = other_token\n"
    near = "TOGETHER_API_KEY = read()\n"
    text = (far + near).encode()
    placed = engine.nearby(index, detector.rules[index], text)
    assert placed.names == [len(far) + len("TOGETHER_API_KEY")]


def test_a_process_keeps_a_bounded_number_of_name_databases_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each rule's database of names is loaded where its names are first placed; past _LOADED_NAMERS the least
    # recently used is let go, and loaded again (from its serialised form) when it is needed again.
    from credscope.detect import prefilter

    monkeypatch.setattr(prefilter, "_LOADED_NAMERS", 3)
    detector = Detector(_catalogue(), use_hyperscan=True)
    detector._prefilter.warm()
    engine: Any = detector._prefilter._engine
    named = [index for index in engine.namers if detector.rules[index].names is not None][:8]
    text = b"MISTRAL_API_KEY = read()\n" * 3
    first = [engine.nearby(index, detector.rules[index], text) for index in named]
    assert len(engine._namer_databases) == 3
    again = [engine.nearby(index, detector.rules[index], text) for index in named]
    assert again == first and len(engine._namer_databases) == 3


def test_a_database_of_names_keeps_its_bounds_unless_that_makes_it_much_larger(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import hyperscan

    from credscope.detect import prefilter

    rule = next(rule for rule in _catalogue().rules if rule.id == "mistral-api-key")
    open_ended = prefilter._namer_patterns(hyperscan, [rule], 100)
    bounded = {i: e for i, e, _ in prefilter._namer_patterns(hyperscan, [rule], 100, widened=False)}
    kept = prefilter._every_end_serialised(hyperscan, [(i, bounded.get(i, e), f) for i, e, f in open_ended])
    wide = prefilter._every_end_serialised(hyperscan, open_ended)
    assert len(kept) > len(wide)
    monkeypatch.setattr(prefilter, "_BOUNDED_MOST", len(kept))
    assert prefilter._nearby_serialised(hyperscan, open_ended, bounded) == kept
    monkeypatch.setattr(prefilter, "_BOUNDED_MOST", len(kept) - 1)
    assert prefilter._nearby_serialised(hyperscan, open_ended, bounded) == wide


def test_a_match_holding_its_own_name_is_kept_without_placing_names(monkeypatch: pytest.MonkeyPatch) -> None:
    # generic-secret-quoted reads the credential word before every value it takes: each match holds a name the
    # rule accepts, which `_may_be_named` always keeps. Placing the names of a 600 KB file is not paid for it.
    rng = random.Random(5)
    lines = [f'    api_key_{i} = "{_token(rng)}"\n' for i in range(30)]
    text = _filler(300_000) + "".join(lines) + _filler(300_000)
    placed: list[int] = []
    original = Prefilter.nearby

    def counted(self: Prefilter, index: int, selection: Any) -> Any:
        placed.append(index)
        return original(self, index, selection)

    monkeypatch.setattr(Prefilter, "nearby", counted)
    found, _ = _both(text)
    assert [rule for rule, _line in found] == ["generic-secret-quoted"] * 30
    assert placed == []


def test_a_name_found_inside_a_match_ends_where_hyperscan_places_one() -> None:
    """What lets a match holding a name skip `nearby`: wherever a rule's `names` pattern, anchors left out, matches
    inside one of the rule's matches, the database `nearby` reads places a name's end there too. Checked on every
    positive example of every rule whose names Hyperscan places."""
    detector = Detector(_catalogue(), use_hyperscan=True)
    detector._prefilter.warm()
    engine: Any = detector._prefilter._engine
    rng = random.Random(6)
    checked = 0
    for index, rule in enumerate(detector.rules):
        if index not in engine.namers or rule.names is None:
            continue
        inside = _names_inside(rule.names.pattern, rule.names.flags)
        for example in rule.examples:
            if not example.positive:
                continue
            text = expand(example.text, rng).text
            ends: list[int] | None = None
            for found in rule.pattern.finditer(text):
                name = inside.search(text, found.start(), found.end("secret"))
                if name is None:
                    continue
                if ends is None:
                    content = text.encode()
                    assert content.isascii(), rule.id  # offsets in bytes are characters
                    ends = engine.nearby(index, rule, content).names or []
                assert any(found.start() <= end <= found.end("secret") for end in ends), (rule.id, example.text)
                checked += 1
    assert checked >= 10


def test_a_rule_is_kept_wherever_one_of_its_names_is_found_and_dropped_where_none_is() -> None:
    # Each rule's presence scan stops at the first of its names or near patterns it finds: what `_nameable` asks
    # is whether one is there. On every positive example of a rule that needs a name, with the example's names
    # once at the start and once at the end of a large document, and with only filler, the answer must be the
    # one a scan reporting every end gives.
    prefilter = Prefilter(_catalogue().rules, use_hyperscan=True)
    prefilter.warm()
    engine: Any = prefilter._engine
    rng = random.Random(11)
    checked = 0
    for index in sorted(engine.namers):
        rule = _catalogue().rules[index]
        for example in rule.examples[:1]:
            text = expand(example.text, rng).text
            for content in (f"{text}\n{_filler(50_000)}{text}".encode(), _filler(20_000).encode()):
                found = engine.names_present([index], content)
                everywhere = engine.nearby(index, rule, content)
                assert bool(engine.namers[index] & found) == any(everywhere or ()), rule.id
                checked += 1
    assert checked > 100
