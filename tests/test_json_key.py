"""A string value's name in strict JSON, read from the key written before it (detect/context.py `json_key`): it must
be the name reading the document's branch down to the value gives, wherever it answers at all."""

from __future__ import annotations

import functools
import json
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credscope.catalogue import Catalogue, load_catalogue
from credscope.detect.context import DocumentContext, line_name_of
from credscope.detect.engine import Detector, DocumentStats
from credscope.model import Document, Reach
from credscope.testing.generate import expand

from helpers import candidate_key

_KEYS = st.one_of(
    st.sampled_from(["token", "value", "name", "0", "12", "api_key", 'a"b', "x\\y", "é", "", " k ", "k:v"]),
    st.text(alphabet='ab_:," \\{}[]0', max_size=6),
)
_TOKEN = expand("{{random:alnum:17}}").text  # made at run time, as every token in the tests
_VALUES = st.one_of(
    st.sampled_from([_TOKEN, "", 'a\\"b', "x\\ny", 'x, "y": "z', "\u00e9t\u00e9", ":"]),
    st.text(alphabet='aZ9 :,"\\{}[]', max_size=8),
)
_JSON = st.recursive(
    _VALUES | st.integers() | st.booleans() | st.none(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=20,
)


def _spans(text: str) -> list[tuple[int, int]]:
    """Spans from every offset: to the next character, to just before the next quote or backslash, beyond it."""
    spans = []
    for start in range(1, len(text)):
        stop = start
        while stop < len(text) and text[stop] not in '"\\':
            stop += 1
        spans += [(start, end) for end in {start + 1, stop, stop + 2} if start < end <= len(text)]
    return spans


@settings(max_examples=300, database=None)
@given(_JSON, st.booleans())
def test_the_key_before_a_string_value_is_the_name_its_branch_gives(document: Any, indent: bool) -> None:
    text = json.dumps(document, indent=1 if indent else None, ensure_ascii=False)
    for start, end in _spans(text):
        context = DocumentContext("model.json", text)
        found = context.json_key(start, end)
        if found is None:
            continue
        key, whole = found
        for match_start in {start, start - 1, max(0, start - 12)}:
            name = context.resolve(match_start, start, end)[0]
            # At the start of the string, the key; further inside, the key or the line's name.
            assert name == key if whole else name in (key, line_name_of(text, match_start, start)), (text, start, end)


def test_a_key_is_read_where_the_text_says_it_and_nowhere_else() -> None:
    text = json.dumps(
        {
            "token": _TOKEN,
            "list": ["Ab12Cd34Ef56"],
            "0": "Zz99",
            "e": 'say "k": "Yy88"',
            "doc": "see the key Qq77 here",
        },
        indent=1,
    )
    context = DocumentContext("model.json", text)

    def key_of(value: str) -> tuple[str, bool] | None:
        start = text.index(value)
        return context.json_key(start, start + len(value))

    assert key_of(_TOKEN) == ("token", True)
    assert key_of("Qq77") == ("doc", False)  # inside the string: its key, or the line's name
    assert key_of("Ab12Cd34Ef56") is None  # a list item: its name is not the key before it
    assert key_of("Zz99") is None  # a list index as a key: the name is the key above
    assert key_of("Yy88") is None  # behind an escaped quote
    assert DocumentContext("a.json", '{"token": "Xk9m", // c\n}').json_key(11, 15) is None  # not strict JSON
    # A `value` beside a `name` is named by the name, not by the key before it.
    pair = json.dumps({"env": [{"name": "DB_PASSWORD", "value": _TOKEN}]})
    start = pair.index(_TOKEN)
    paired = DocumentContext("deploy.json", pair)
    assert paired.json_key(start, start + len(_TOKEN)) is None
    assert paired.resolve(start, start, start + len(_TOKEN))[0] == "DB_PASSWORD"


def _models(rng: random.Random) -> list[tuple[str, str]]:
    """JSON files that look like API models, with tokens of every shape under credential names and others."""
    rules = [rule for rule in Detector(_catalogue()).rules if rule.examples]
    files = []
    for number in range(40):
        shapes: dict[str, Any] = {}
        for index in range(60):
            rule = rng.choice(rules)
            example = rng.choice(rule.examples)
            token = expand(example.text, rng).text.splitlines()[-1].split("=")[-1].strip().strip('"')
            key = rng.choice(["SecretAccessKey", "shape", "documentation", "apiToken", "value", "name", "0"])
            shapes[f"Shape{index}"] = {
                key: token,
                "members": {"Token": {"shape": token[::-1]}},
                "list": [token],
                "documentation": f'For example, token: {token[1:]} or "secret_key": "{token[2:]}".',
            }
        files.append((f"models/m{number}/service-2.json", json.dumps({"shapes": shapes}, indent=rng.choice([None, 1]))))
    return files


@functools.cache
def _catalogue() -> Catalogue:
    return load_catalogue()


def test_what_is_found_in_json_is_what_reading_every_branch_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    files = _models(random.Random(3))

    def run() -> list[tuple[object, ...]]:
        detector = Detector(_catalogue())
        out: list[tuple[object, ...]] = []
        for path, text in files:
            stats = DocumentStats()
            found = detector.detect(Document(path=path, content=text.encode(), reach=Reach.FILE), stats)
            out += [candidate_key(c) for c in found]
            out.append((path, tuple(sorted(stats.filtered.items())), stats.parse_errors))
        return out

    asked: list[tuple[str, bool] | None] = []
    original = DocumentContext.json_key

    def counted(self: DocumentContext, start: int, end: int) -> tuple[str, bool] | None:
        asked.append(original(self, start, end))
        return asked[-1]

    monkeypatch.setattr(DocumentContext, "json_key", counted)
    by_key = run()
    monkeypatch.setattr(DocumentContext, "json_key", lambda self, start, end: None)
    assert by_key == run()
    assert sum(key is not None for key in asked) > 100  # the keys were read, not only asked for
