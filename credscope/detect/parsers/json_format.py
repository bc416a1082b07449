"""JSON (and JSON with comments and trailing commas, as editors write it) with the offset of every value."""

from __future__ import annotations

import json
import re

from credscope.detect.parsers.base import Assignment, LineIndex, Parsed
from credscope.detect.parsers.tree import MAX_NODES, ListNode, MapNode, Node, Scalar, locate, walk

_MAX_DEPTH = 256
_SPACE = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)*", re.DOTALL)
_ATOM = re.compile(r"-?[0-9][0-9.eE+\-]*|true|false|null")


class JsonSyntaxError(ValueError):
    """The text is not JSON; `position` is where reading stopped."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} at offset {position}")
        self.position = position


def read_json(text: str) -> Node:
    """The node tree of a JSON text, or JsonSyntaxError."""
    return _read(text)[0]


def _read(text: str) -> tuple[Node, int]:
    """The node tree of a JSON text and how many nodes it holds, or JsonSyntaxError."""
    reader = _Reader(text)
    node = reader.value(0)
    reader.skip()
    if reader.position != len(text):
        raise JsonSyntaxError("trailing data", reader.position)
    return node, reader.nodes


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0
        self.nodes = 0

    def skip(self) -> None:
        self.position = _SPACE.match(self.text, self.position).end()  # type: ignore[union-attr]

    def value(self, depth: int) -> Node:
        if depth > _MAX_DEPTH:
            raise JsonSyntaxError("nested too deeply", self.position)
        self.nodes += 1
        self.skip()
        text, start = self.text, self.position
        if start >= len(text):
            raise JsonSyntaxError("unexpected end", start)
        char = text[start]
        if char == "{":
            return self._object(depth)
        if char == "[":
            return self._array(depth)
        if char == '"':
            value, end = self._string()
            return Scalar(value, start, end)
        atom = _ATOM.match(text, start)
        if atom is None:
            raise JsonSyntaxError("unexpected character", start)
        self.position = atom.end()
        return Scalar(atom.group(), start, atom.end(), is_string=False)

    def _string(self) -> tuple[str, int]:
        try:
            value, end = json.decoder.scanstring(self.text, self.position + 1, False)  # type: ignore[attr-defined]
        except json.JSONDecodeError as error:
            raise JsonSyntaxError("bad string", error.pos) from None
        self.position = end
        return str(value), int(end)

    def _object(self, depth: int) -> MapNode:
        node = MapNode(start=self.position)
        self.position += 1
        while True:
            self.skip()
            if self._close("}"):
                node.end = self.position
                return node
            if self.position >= len(self.text) or self.text[self.position] != '"':
                raise JsonSyntaxError("expected a key", self.position)
            key, _ = self._string()
            self.skip()
            if not self.text.startswith(":", self.position):
                raise JsonSyntaxError("expected ':'", self.position)
            self.position += 1
            node.items.append((key, self.value(depth + 1)))
            self._separator("}")

    def _array(self, depth: int) -> ListNode:
        node = ListNode(start=self.position)
        self.position += 1
        while True:
            self.skip()
            if self._close("]"):
                node.end = self.position
                return node
            node.items.append(self.value(depth + 1))
            self._separator("]")

    def _close(self, closer: str) -> bool:
        if self.text.startswith(closer, self.position):
            self.position += 1
            return True
        return False

    def _separator(self, closer: str) -> None:
        self.skip()
        if self.text.startswith(",", self.position):
            self.position += 1
        elif not self.text.startswith(closer, self.position):
            raise JsonSyntaxError(f"expected ',' or '{closer}'", self.position)


class JsonParser:
    format = "json"

    def parse(self, text: str) -> Parsed:
        try:
            document = read_json(text)
        except JsonSyntaxError as error:
            return Parsed(self.format, error=str(error))
        return Parsed(self.format, tuple(walk(with_nested_objects([document], text), text, LineIndex(text))))

    def parse_on_demand(self, text: str) -> Parsed:
        """The node tree only: `Parsed.locate` names the value at a span when a match asks for it (tree.locate).
        A text that nests Kubernetes objects (walked first, as documents of their own) or too large for the walk
        to visit whole is walked as `parse` walks it."""
        try:
            document, nodes = _read(text)
        except JsonSyntaxError as error:
            return Parsed(self.format, error=str(error))
        documents = with_nested_objects([document], text)
        if len(documents) > 1 or nodes > MAX_NODES:
            return Parsed(self.format, tuple(walk(documents, text, LineIndex(text))))
        lines: list[LineIndex] = []

        def located(start: int, end: int) -> Assignment | None:
            if not lines:
                lines.append(LineIndex(text))
            return locate(document, text, lines[0], start, end)

        return Parsed(self.format, (), None, locate=located)


def with_nested_objects(documents: list[Node], text: str) -> list[Node]:
    """The documents, each preceded by the Kubernetes objects nested in it (a `kind: List`'s items, a manifest
    in a Helm values file) as documents of their own.

    The walk gives a document's object its kind and name (a Secret's `data` is decoded by that); it visits a node
    once, so the enclosing document then passes over what was visited this way. Innermost objects come first.
    """
    if "apiVersion" not in text:
        return documents  # most JSON and YAML: no Kubernetes object anywhere
    found: list[Node] = []
    seen: set[int] = set()
    for document in documents:
        _collect_objects(document, found, seen, 0)
        found.append(document)
    return found


def _collect_objects(node: Node, found: list[Node], seen: set[int], depth: int) -> None:
    # YAML aliases make a node reachable twice: once is enough. Depth is bounded by the parsers' own limits.
    if id(node) in seen:
        return
    seen.add(id(node))
    match node:
        case MapNode():
            for _, child in node.items:
                _collect_objects(child, found, seen, depth + 1)
            if depth and isinstance(node.get("apiVersion"), Scalar) and isinstance(node.get("kind"), Scalar):
                found.append(node)
        case ListNode():
            for child in node.items:
                _collect_objects(child, found, seen, depth + 1)
        case Scalar():
            pass
