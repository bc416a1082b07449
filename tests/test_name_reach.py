"""A rule that accepts a match only under a name (`requires_name`) drops, before any filter or parse, a match
with neither its `names` pattern within NAME_REACH nor its `near` pattern within `within` (by where Hyperscan
saw them end). It must keep everything the full judgement keeps: here both ways of being named, each alone,
checked against the pure-Python path (which judges every match in full)."""

from __future__ import annotations

import functools
import random
import string

import pytest

from credscope.catalogue import Catalogue, load_catalogue
from credscope.detect.engine import NAME_REACH, NO_NAME, Detector, DocumentStats
from credscope.model import Document, Reach

pytest.importorskip("hyperscan")


@functools.cache
def _catalogue() -> Catalogue:
    return load_catalogue()


def _token(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(32))


def _filler(size: int) -> str:
    line = "values.append(compute(index, offset, scale))  # nothing to see\n"
    return line * (size // len(line) + 1)


def _found(text: str, *, use_hyperscan: bool) -> tuple[list[tuple[str, int]], DocumentStats]:
    stats = DocumentStats()
    document = Document(path="app/client.py", content=text.encode(), reach=Reach.FILE)
    found = Detector(_catalogue(), use_hyperscan=use_hyperscan).detect(document, stats)
    return [(c.rule, c.location.line) for c in found], stats


def _both(text: str) -> tuple[list[tuple[str, int]], DocumentStats]:
    fast, stats = _found(text, use_hyperscan=True)
    reference, _ = _found(text, use_hyperscan=False)
    assert fast == reference
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
