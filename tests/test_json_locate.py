"""A JSON document whose matches need names is not walked whole: the value at a match is named by going down the
one branch that holds it (`Parsed.locate`). Each span gets the assignment the whole walk gives it: its name,
path, line and context (a `name`/`value` pair, a `--flag value` or `NAME=value` list item, a compose service,
an MCP server, a registry, a CI job)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credscope.detect.context import DocumentContext
from credscope.detect.parsers import json_format, parse_document
from credscope.detect.parsers.tree import MAX_NODES, MapNode, Scalar

_KEYS = st.sampled_from(
    [
        *("name", "value", "services", "jobs", "auths", "mcpServers", "env", "args", "password", "0", "token"),
        *("a b", "apiVersion", "kind", "metadata"),
    ]
)
_STRINGS = st.sampled_from(
    ["", "x", "--token", "-p", "API_KEY=abc123", "EMPTY=", "=", "NAME=a=b", "plain value", "tok\u00e9n", 'q"uote']
) | st.text(max_size=8)
_SCALARS = _STRINGS | st.integers(-5, 5) | st.booleans() | st.none()
_VALUES = st.recursive(
    _SCALARS,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(_KEYS, children, max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(_VALUES, st.sampled_from([None, 1, 2]), st.booleans(), st.booleans(), st.data())
def test_each_span_is_named_as_the_whole_walk_names_it(
    value: object, indent: int | None, escaped: bool, commented: bool, data: st.DataObject
) -> None:
    # Strict JSON is read one level at a time; with a comment (JSONC), by `_Reader`, into a tree.
    text = json.dumps(value, indent=indent, ensure_ascii=escaped)
    if commented:
        text = text.replace("\n", " // a comment, as editors allow\n", 1) if indent else f"/* JSONC */ {text}"
    walked = DocumentContext("config.json", text, listed=True)
    located = DocumentContext("config.json", text)
    assert walked.parsed is not None and located.parsed is not None
    # Named on demand unless Kubernetes objects nest in it (they are walked first, as documents of their own).
    assert located.parsed.locate is not None or "apiVersion" in text
    spans = [(a.start, a.end) for a in walked.assignments]
    spans += [(start + 1, max(start + 1, end - 1)) for start, end in spans]
    spans += [
        tuple(sorted(data.draw(st.tuples(st.integers(0, len(text)), st.integers(0, len(text)))))) for _ in range(5)
    ]
    for start, end in spans:
        assert located.assignment_at(start, end) == walked.assignment_at(start, end), (start, end)


def test_a_kubernetes_list_and_an_invalid_text_are_walked_as_before() -> None:
    # Objects nested in a `kind: List` are walked first, as documents of their own: such a text is walked whole.
    nested = {"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Secret", "data": {}}]}
    parsed = parse_document("list.json", json.dumps(nested), on_demand=True)
    assert parsed is not None and parsed.locate is None and parsed.assignments
    broken = parse_document("broken.json", '{"a": ', on_demand=True)
    assert broken is not None and broken.error and broken.locate is None


def test_strict_json_is_read_along_the_branch_that_holds_the_match(monkeypatch: pytest.MonkeyPatch) -> None:
    # An API model: thousands of shapes, a match in one. No tree of it is built: `_Reader` never runs, and of the
    # mappings and lists only those the match is in are read.
    shapes = {f"Shape{i}": {"type": "structure", "members": {"Name": {"shape": "String"}}} for i in range(2000)}
    shapes["Login"] = {"type": "structure", "members": {"Password": {"documentation": "hunter2-example"}}}
    text = json.dumps({"metadata": {"apiVersion": "2017-10-17"}, "shapes": shapes}, indent=1)
    monkeypatch.setattr(json_format, "_Reader", None)
    read: list[object] = []
    original = json_format._OneLevel.expand
    monkeypatch.setattr(json_format._OneLevel, "expand", lambda self, node: read.append(node) or original(self, node))
    parsed = parse_document("service-2.json", text, on_demand=True)
    assert parsed is not None and parsed.locate is not None
    start = text.index('"hunter2-example"')
    found = parsed.locate(start + 1, start + 8)
    assert found is not None and found.key_path == "shapes.Login.members.Password.documentation"
    assert found.value == "hunter2-example" and found.line == text.count("\n", 0, start) + 1
    assert len({id(node) for node in read}) == 5  # the root, shapes, Login, its members, Password


@pytest.mark.parametrize(
    "text",
    [
        "[" * 257 + "]" * 257,  # deeper than `_Reader` reads: the same error as before
        '{"a": [' + "[" * 255 + '"x"' + "]" * 255 + "]}",  # as deep as it reads
        '{"a": ' + "[" * 257 + "]" * 257 + ', "a": "x"}',  # too deep under a key given twice: the later value wins
        '{"a": "' + "[" * 300 + '", "b": [{"c": "x"}]}',  # brackets in a string do not nest
        '{"a": [{"b": {"c": [' + "{}, " * 300 + '"x"]}}]}',  # many brackets, shallow
        '{"a": NaN, "b": "x"}',  # not JSON
        '{"a": "x",}',  # a trailing comma, as editors allow
        '{"a": "\u0000x", "b": 1e400, "c": -0.5E+3, "d": [true, false, null]}',
        '{"items": [{"apiVersion": "v1", "kind": "Secret"}], "apiVersion": "v1", "kind": "List"}',
        '{"apiVersion": "v1", "\\u006bind": "List", "items": [{"apiVersion": "v1", "\\u006bind": "Secret"}]}',
        "[" + ",".join(['"x"'] * MAX_NODES) + "]",  # more nodes than the walk visits
    ],
)
def test_texts_one_level_reading_declines_are_read_as_before(text: str) -> None:
    walked = DocumentContext("config.json", text, listed=True)
    located = DocumentContext("config.json", text)
    assert walked.parsed is not None and located.parsed is not None
    assert located.error == walked.error
    spans = [(a.start, a.end) for a in walked.assignments] + [(i, i + 1) for i in range(0, len(text), 97)]
    spans.append((len(text) - 3, len(text) - 2))  # the last value: past the nodes the walk visits, in one text
    for start, end in spans:
        assert located.assignment_at(start, end) == walked.assignment_at(start, end), (start, end)


def test_a_large_mapping_answers_for_items_added_after_it_was_asked() -> None:
    # `get` and `values` of a large mapping are kept once asked; a mapping read one level at a time gains its
    # items after it was made, and a key given twice names its first value, as the walk reads it.
    mapping = MapNode()
    for number in range(20):
        mapping.items.append((f"k{number}", Scalar(f"v{number}", number, number + 1)))
    mapping.items.append(("k3", Scalar("again", 30, 31)))
    first = mapping.get("k3")
    assert isinstance(first, Scalar) and first.value == "v3"
    assert mapping.get("k25") is None
    assert [node.start for node in mapping.values()] == [*range(20), 30]
    mapping.items.append(("k25", Scalar("late", 40, 41)))
    late = mapping.get("k25")
    assert isinstance(late, Scalar) and late.value == "late"
    assert [node.start for node in mapping.values()][-2:] == [30, 40]
    assert mapping == MapNode(list(mapping.items), mapping.start, mapping.end)  # what is kept is not compared


def _strictly_json(text: str) -> bool:
    """The reference `_OneLevel.of` must agree with: the standard library reads the text as one strict JSON value
    (no NaN or Infinity, control characters allowed in strings) nested at most 256 deep, a key given twice too."""

    def refuse(constant: str) -> None:
        raise ValueError(constant)

    def depth(value: object) -> int:
        children = value if isinstance(value, list) else [v for _, v in value] if isinstance(value, tuple) else None
        return 0 if children is None else 1 + max(map(depth, children), default=0)

    decoder = json.JSONDecoder(strict=False, parse_constant=refuse, object_pairs_hook=tuple)
    start = len(text) - len(text.lstrip(" \t\n\r"))
    try:
        value, end = decoder.raw_decode(text, start)
    except (ValueError, RecursionError):
        return False
    return not text[end:].strip(" \t\n\r") and depth(value) <= 256


_MUTATIONS = st.sampled_from([",", "]", "}", "[", "{", ":", '"', " ", "\n", "NaN", "-Infinity", "1e5", "\\", "x"])
_EDITS = st.lists(st.tuples(st.integers(0, 10_000), _MUTATIONS), max_size=3)


@settings(max_examples=400, deadline=None)
@given(_VALUES, st.sampled_from([None, 1]), _EDITS, st.data())
def test_one_level_reading_takes_exactly_the_texts_the_standard_library_reads_as_strict_json(
    value: object, indent: int | None, edits: list[tuple[int, str]], data: st.DataObject
) -> None:
    # `of` checks the text as it reads the root's items: it must refuse whatever the standard library refuses (a
    # trailing comma, a missing colon, NaN, trailing data) and take whatever it reads, whatever the root is.
    text = json.dumps(value, indent=indent)
    for offset, inserted in edits:
        at = offset % (len(text) + 1)
        text = text[:at] + inserted + text[at + data.draw(st.integers(0, 1)) :]  # inserted, or put for a character
    if "apiVersion" in text or "kind" in text:
        return  # declined for what it may nest, not for its syntax
    assert (json_format._OneLevel.of(text) is not None) == _strictly_json(text), text


@pytest.mark.parametrize(
    ("text", "strict"),
    [
        ('{"a": [' + "[" * 254 + '"x"' + "]" * 254 + "]}", True),  # 256 deep: the deepest taken
        ('{"a": [' + "[" * 255 + '"x"' + "]" * 255 + "]}", False),
        ('{"a": "' + "[" * 300 + '"}', True),  # brackets in a string do not nest
        ('[1, {"b": ' + "[" * 300 + "]" * 300 + "}]", False),
        ('{"a": 1, "a": ' + "[" * 300 + "]" * 300 + "}", False),  # a key given twice: both values count
        ("  [] \n", True),
        ('"only a string"', True),
        ("-Infinity", False),
        ("", False),
        (" ", False),
        ("[1,]", False),
        ('{"a" 1}', False),
        ('{"a"x1}', False),  # what stands for the colon is not skipped as if it were one
        ('{"a",1}', False),
        ('{"a": 1,}', False),
        ('{"a": 1} x', False),
        ('{"a": "\x01"}', True),
        ("[1e999999]", True),
        ("[" + "1" * 5000 + "]", False),  # an integer too long for the standard library to read
    ],
)
def test_one_level_reading_edge_texts(text: str, strict: bool) -> None:
    assert _strictly_json(text) == strict
    assert (json_format._OneLevel.of(text) is not None) == strict


def test_a_strict_text_is_decoded_once_before_a_match_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    # The root's items are read as the text is checked: the text is not decoded whole first, then again item by item
    # when a match asks for its name.
    shapes = {f"Shape{i}": {"type": "structure", "members": {"Name": {"shape": "String"}}} for i in range(500)}
    text = json.dumps({"version": "2.0", "shapes": shapes, "documentation": "x" * 1000}, indent=1)
    decoded: list[int] = []
    original = json.JSONDecoder.raw_decode

    def counted(self: json.JSONDecoder, s: str, idx: int = 0) -> tuple[object, int]:
        value, end = original(self, s, idx)
        decoded.append(end - idx)
        return value, end

    monkeypatch.setattr(json.JSONDecoder, "raw_decode", counted)
    parsed = parse_document("service-2.json", text, on_demand=True)
    assert parsed is not None and parsed.locate is not None
    start = text.index('"xxx') + 1
    found = parsed.locate(start, start + 8)  # a value of the root: named from the items read by then
    assert found is not None and found.key_path == "documentation"
    assert sum(decoded) <= len(text)
