"""A JSON document whose matches need names is not walked whole: the value at a match is named by going down the
one branch that holds it (`Parsed.locate`). Each span gets the assignment the whole walk gives it: its name,
path, line and context (a `name`/`value` pair, a `--flag value` or `NAME=value` list item, a compose service,
an MCP server, a registry, a CI job)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from credscope.detect.context import DocumentContext
from credscope.detect.parsers import parse_document

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
@given(_VALUES, st.sampled_from([None, 1, 2]), st.data())
def test_each_span_is_named_as_the_whole_walk_names_it(value: object, indent: int | None, data: st.DataObject) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=False)
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
