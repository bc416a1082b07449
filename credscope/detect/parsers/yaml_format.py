"""YAML (compose files, Kubernetes manifests, CI workflows) through PyYAML's safe composer, with offsets.

Composing, not constructing: node marks give every value's and every collection's place in the text, unknown
tags (`!Ref`) are harmless, and aliases stay shared nodes that the walk visits once, so an alias bomb costs
nothing. A stream without aliases is named on demand, as JSON is (`tree.locate`).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from credscope.detect.lines import LineIndex
from credscope.detect.parsers.base import Assignment, Parsed
from credscope.detect.parsers.json_format import with_nested_objects
from credscope.detect.parsers.tree import MAX_NODES, ListNode, MapNode, Node, Scalar, locate, walk
from credscope.errors import yaml_problem

_STRING_TAG = "tag:yaml.org,2002:str"
_MAX_DEPTH = 200


class YamlParser:
    format = "yaml"

    def parse(self, text: str) -> Parsed:
        text, composed = _read(text)
        return self._walked(text, with_nested_objects(composed.documents, text), composed.error)

    def parse_on_demand(self, text: str) -> Parsed:
        """The node trees only: `Parsed.locate` names the value at a span when a match asks for it (tree.locate),
        in the document whose span holds it. Walked as `parse` walks them when a place alone may not give the
        walk's name: a node reached twice (an alias: the walk names it where it first meets it), Kubernetes
        objects nested in a document (walked first, as documents of their own), more nodes in the stream than the
        walk visits, or an error (the documents are then read piecewise around it)."""
        text, composed = _read(text)
        documents = with_nested_objects(composed.documents, text)
        if (
            composed.error is not None
            or composed.aliased
            or composed.nodes > MAX_NODES
            or len(documents) > len(composed.documents)
        ):
            return self._walked(text, documents, composed.error)
        starts = [document.start for document in documents]
        lines = LineIndex(text)

        def located(start: int, end: int) -> Assignment | None:
            index = bisect.bisect_right(starts, start) - 1
            if index < 0 or end > documents[index].end:
                return None
            return locate(documents[index], text, lines, start, end)

        return Parsed(self.format, (), None, locate=located)

    def _walked(self, text: str, documents: list[Node], error: str | None) -> Parsed:
        return Parsed(self.format, tuple(walk(documents, text, LineIndex(text))), error)


@dataclass
class _Composed:
    """A YAML stream as node trees: its documents in text order, the first error, and what decides whether a
    value can be named by its place alone."""

    documents: list[Node] = field(default_factory=list)
    error: str | None = None
    nodes: int = 0  # in every document together: the walk visits at most MAX_NODES of them
    aliased: bool = False  # some node is reached twice: the walk names it at the first place it meets it


def _read(text: str) -> tuple[str, _Composed]:
    """The text as read (invalid UTF-8 made U+FFFD) and its documents: what `parse` and `parse_on_demand` share."""
    import yaml  # noqa: PLC0415 - only files with candidate matches pay for it

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    if _flow_depth(text) > _MAX_DEPTH:
        # libyaml's composer recurses in C: tens of thousands of `[` overflow the stack (SIGSEGV). The
        # pure-Python composer stops at the recursion limit instead.
        loader = yaml.SafeLoader
    # Invalid UTF-8 arrives as lone surrogates, which libyaml refuses outright; U+FFFD keeps every offset.
    text = _SURROGATES.sub("\ufffd", text)
    composed = _compose(text, loader)
    if composed.error is not None and "{{" in text:
        # A Helm or Go template (`name: {{ include "x" . }}`) is not YAML until rendered. With its actions
        # stood in for, character for character, the rest of it is, at the same offsets.
        blanked = _compose(_ACTION.sub(_stand_in, text), loader)
        if len(blanked.documents) >= len(composed.documents):
            composed = blanked
    return text, composed


def _compose(text: str, loader: Any) -> _Composed:
    """The documents of a YAML stream, and the first error in it. A document that is not YAML costs only itself:
    after an error, each following document (from its `---`) is read on its own, so a Secret after a broken
    manifest is still read."""
    import yaml  # noqa: PLC0415

    composed = _Composed()
    try:
        _stream(text, loader, 0, composed)
        return composed
    except yaml.YAMLError as problem:
        composed.error = yaml_problem(problem)  # PyYAML's own message quotes the line, which may hold a secret
        mark = getattr(problem, "problem_mark", None) or getattr(problem, "context_mark", None)
        if mark is None:
            return composed
    except (UnicodeError, _TooLarge, RecursionError) as problem:
        composed.error = _unreadable(problem)
        return composed
    starts = [found.start() for found in _DOCUMENT_START.finditer(text, max(1, mark.index))][:_MAX_RESTARTS]
    for start, end in pairwise([*starts, len(text)]):
        try:
            _stream(text[start:end], loader, start, composed)
        except yaml.YAMLError:
            continue
        except (UnicodeError, _TooLarge, RecursionError):
            break
    return composed


def _stream(text: str, loader: Any, base: int, composed: _Composed) -> None:
    """Adds each document of `text` (which begins at `base` in the whole text) as it is read: those before an
    error are sound."""
    import yaml  # noqa: PLC0415

    if loader is getattr(yaml, "CSafeLoader", None):
        read = _plain_stream(text, loader, base)
        if read is not None:
            composed.documents.extend(read[0])
            composed.nodes += read[1]
            return
    for root in yaml.compose_all(text, Loader=loader):
        if root is not None:
            converted = _Converted(base)
            composed.documents.append(converted.node(root, 0))
            composed.nodes += converted.nodes
            composed.aliased = composed.aliased or converted.aliased


def _unreadable(problem: Exception) -> str:
    if isinstance(problem, UnicodeError):
        return "not UTF-8 text"  # libyaml takes UTF-8 only: bytes that were not (kept as surrogates) cannot be YAML
    if isinstance(problem, RecursionError):
        return "nested too deeply"
    return str(problem)


def _stand_in(action: re.Match[str]) -> str:
    """What a template action is read as: nothing when it is alone on its line (`{{- if … }}`, `{{ toYaml … }}`),
    else a plain word of its length (`name: {{ include … }}`, `{{ $key }}: {{ $value }}`), newlines kept."""
    text, start, end = action.string, action.start(), action.end()
    # Only a short stretch either side is read: a template on one long line costs no more per action.
    before, after = text[max(0, start - _NEAR) : start], text[end : end + _NEAR]
    alone = (
        not before.rpartition("\n")[2].strip()
        and ("\n" in before or start <= _NEAR)
        and not after.partition("\n")[0].strip()
        and ("\n" in after or end + _NEAR >= len(text))
    )
    return _NOT_NEWLINE.sub(" " if alone else "_", action.group())


class _TooLarge(Exception):
    pass


_SURROGATES = re.compile("[\ud800-\udfff]")
# The letters a plain value that is no string may start with: inf, infinity, nan (as `float` reads them), true,
# false, yes, no, on, off, null.
_NOT_ONLY_WORDS = frozenset("iInNtTfFyYoO")
# A line that starts a document; and a template action, `{{ … }}` (without braces inside: linear to find).
_DOCUMENT_START = re.compile(r"^---(?=[ \t\r\n]|$)", re.MULTILINE)
_ACTION = re.compile(r"\{\{[^{}]*\}\}")
_NOT_NEWLINE = re.compile(r"[^\n]")
_NEAR = 256
_MAX_RESTARTS = 10_000  # documents read one by one after an error: bounded, whatever the stream holds
_FLOW = re.compile(r"[\[\]{}]")


def _flow_depth(text: str) -> int:
    """The deepest `[`/`{` nesting, counting brackets inside strings too (an over-estimate is harmless)."""
    if text.count("[") + text.count("{") <= _MAX_DEPTH:
        return 0
    depth = deepest = 0
    for bracket in _FLOW.finditer(text):
        depth = depth + 1 if bracket.group() in "[{" else max(0, depth - 1)
        deepest = max(deepest, depth)
    return deepest


class _Converted:
    """One document's PyYAML nodes made the shared tree; a node reached twice (an alias) becomes the same object.
    `base`: where in the text the stream that PyYAML read begins."""

    def __init__(self, base: int) -> None:
        self.base = base
        self.nodes = 0
        self.aliased = False
        self._made: dict[int, Node] = {}

    def node(self, node: Any, depth: int) -> Node:
        import yaml  # noqa: PLC0415

        known = self._made.get(id(node))
        if known is not None:
            self.aliased = True
            return known
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooLarge("too many nodes")
        if depth > _MAX_DEPTH:
            raise _TooLarge("nested too deeply")
        # A collection's span runs from its anchor, tag, bracket or first key or item to its closing bracket or,
        # in block style, to where the next token begins (comments and blank lines included): its values' spans
        # lie within it, in text order, as tree.locate needs. An empty value has an empty span, between others.
        start, end = self.base + node.start_mark.index, self.base + node.end_mark.index
        result: Node
        if isinstance(node, yaml.MappingNode):
            mapping = MapNode(start=start, end=end)
            self._made[id(node)] = mapping
            for key, value in node.value:
                name = key.value if isinstance(key, yaml.ScalarNode) else "?"
                mapping.items.append((str(name), self.node(value, depth + 1)))
            result = mapping
        elif isinstance(node, yaml.SequenceNode):
            sequence = ListNode(start=start, end=end)
            self._made[id(node)] = sequence
            sequence.items.extend(self.node(item, depth + 1) for item in node.value)
            result = sequence
        else:
            # Plain scalars that resolve to numbers or booleans are not strings; quoted ones always are.
            is_string = node.tag == _STRING_TAG or bool(node.style) or not _plain_non_string(node.value)
            result = Scalar(str(node.value), start, end, is_string)
            self._made[id(node)] = result
        return result


def _plain_stream(text: str, loader: Any, base: int) -> tuple[list[Node], int] | None:
    """The documents of `text` and their node count, made straight from libyaml's events exactly as PyYAML's
    composer and `_Converted` together make them; None for a stream left to those two: one with an error, an
    alias, an anchor used twice, an anchor or a collection as a key, or a document over the node or depth limits.

    The composer builds a node with two marks and a resolved tag for every key and value, asking its Python
    resolver about each, and `_Converted` then makes the tree from them. Here a tag is resolved only for a plain
    scalar that may not be a string. (Measured on fontawesome's icons.yml, 0.9 MB: 0.62 s composed and
    converted, 0.22 s read here.)"""
    import yaml  # noqa: PLC0415

    parser = loader(text)
    documents: list[Node] = []
    total = 0
    try:
        parser.get_event()  # the stream's start
        while type(parser.get_event()) is not yaml.StreamEndEvent:  # a document's start
            read = _plain_document(parser, base)
            if read is None:
                return None
            root, count = read
            if root is not None:
                documents.append(root)
                total += count
    except (yaml.YAMLError, UnicodeError):
        return None
    finally:
        parser.dispose()
    return documents, total


# An open collection while a document is read: its node, its depth, and for a mapping the key whose value comes
# next (None while a key does).
_Open = tuple[MapNode | ListNode, int, list[str | None]]


def _plain_document(parser: Any, base: int) -> tuple[Node | None, int] | None:
    """One document's tree and node count, from after its start event to its end event (see `_plain_stream`)."""
    import yaml  # noqa: PLC0415

    get = parser.get_event
    scalar, alias, mapping_start = yaml.ScalarEvent, yaml.AliasEvent, yaml.MappingStartEvent
    mapping_end, sequence_end, document_end = yaml.MappingEndEvent, yaml.SequenceEndEvent, yaml.DocumentEndEvent
    anchors: set[str] = set()
    stack: list[_Open] = []
    root: Node | None = None
    count = 0
    while (kind := type(event := get())) is not document_end:
        if kind is mapping_end or kind is sequence_end:
            stack.pop()[0].end = base + event.end_mark.index
            continue
        anchor = event.anchor if kind is not alias else None
        if kind is alias or (anchor is not None and anchor in anchors):
            return None
        if anchor is not None:
            anchors.add(anchor)
        parent = stack[-1] if stack else None
        if parent is not None and parent[2][0] is None and isinstance(parent[0], MapNode):
            if kind is not scalar or anchor is not None:
                return None
            parent[2][0] = str(event.value)
            continue
        depth = parent[1] + 1 if parent is not None else 0
        count += 1
        if count > MAX_NODES or depth > _MAX_DEPTH:
            return None
        start = base + event.start_mark.index
        node: Node
        if kind is scalar:
            node = Scalar(str(event.value), start, base + event.end_mark.index, _is_string(parser, event))
        else:
            node = MapNode(start=start) if kind is mapping_start else ListNode(start=start)
            stack.append((node, depth, [None]))
        if parent is None:
            root = node
        else:
            _attach(parent, node)
    return root, count


def _attach(parent: _Open, node: Node) -> None:
    collection, _, key = parent
    if isinstance(collection, MapNode):
        collection.items.append((str(key[0]), node))
        key[0] = None
    else:
        collection.items.append(node)


def _is_string(parser: Any, event: Any) -> bool:
    """Whether a scalar event's value is a string, as `_Converted` judges the node PyYAML composes from it."""
    if event.style or not _plain_non_string(event.value):
        return True
    import yaml  # noqa: PLC0415

    tag = event.tag
    if tag is None or tag == "!":
        tag = parser.resolve(yaml.ScalarNode, event.value, event.implicit)
    return bool(tag == _STRING_TAG)


def _plain_non_string(value: str) -> bool:
    if value[:1].isalpha() and value[0] not in _NOT_ONLY_WORDS:
        return False  # most values: a word no float reading or YAML keyword starts with
    lowered = value.lower()
    if lowered in {"true", "false", "yes", "no", "on", "off", "null", "~", ""}:
        return True
    try:
        float(value.replace("_", ""))
    except ValueError:
        return False
    return True
