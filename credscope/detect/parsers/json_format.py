"""JSON (and JSON with comments and trailing commas, as editors write it) with the offset of every value."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from credscope.detect.lines import LineIndex
from credscope.detect.parsers.base import Assignment, Parsed
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
        to visit whole is walked as `parse` walks it.

        Strict JSON that `_OneLevel` may read (most of it: API models, lockfiles, source maps) is not read into a
        tree at all: the branch holding a match is read as the search goes down it."""
        levels = _OneLevel.of(text)
        strict = levels is not None
        if levels is not None:
            root = levels.root
            expand = levels.expand
        else:
            try:
                root, nodes = _read(text)
            except JsonSyntaxError as error:
                return Parsed(self.format, error=str(error))
            documents = with_nested_objects([root], text)
            if len(documents) > 1 or nodes > MAX_NODES:
                return Parsed(self.format, tuple(walk(documents, text, LineIndex(text))))
            expand = None
        lines = LineIndex(text)  # built on the first line asked for

        def located(start: int, end: int) -> Assignment | None:
            return locate(root, text, lines, start, end, expand)

        return Parsed(self.format, (), None, locate=located, strict_json=strict)


class _OneLevel:
    """A JSON text read one mapping or list at a time: each is read when `expand` is asked for it, its strings
    and numbers as the nodes `_Reader` makes, its mappings and lists as empty nodes with their spans (found by
    the standard library's C decoder, which builds and drops them). A 2 MB API model with a match to name is read
    along one branch, not into fifty thousand nodes in Python.

    Only for a text the standard library reads as strict JSON (no comments, trailing commas, NaN), nested no
    deeper than `_Reader` reads, with no more nodes than the walk visits and no Kubernetes objects nested in it:
    `_Reader` reads such a text into the same tree, and the walk would visit all of it as one document."""

    def __init__(self, text: str, root: Node) -> None:
        self.text = text
        self.root = root
        self._read: set[int] = {id(root)}  # `of` read the root's items as it checked them

    @classmethod
    def of(cls, text: str) -> _OneLevel | None:
        if 1 + text.count(",") + text.count("[") + text.count("{") > MAX_NODES:
            return None  # too many nodes, perhaps (each but the first follows a comma or opens a container)
        if "apiVersion" in text and ('"kind"' in text or _LETTER_ESCAPE.search(text) is not None):
            return None  # perhaps a Kubernetes object nested in it: `with_nested_objects` reads the whole tree
        try:
            root = _checked_root(text)
        except (ValueError, IndexError, RecursionError):  # not strict JSON, a constant, too long an integer, too deep
            return None
        return None if root is None else cls(text, root)

    def expand(self, node: Node) -> None:
        if isinstance(node, Scalar) or id(node) in self._read:
            return
        self._read.add(id(node))
        _read_items(self.text, node, _DECODER)


def _read_items(
    text: str,
    node: MapNode | ListNode,
    decoder: json.JSONDecoder,
    too_deep: Callable[[Any, int, int], bool] | None = None,
) -> int | None:
    """Reads the items of the mapping or list `node` (from its opening bracket) into it, as `_Reader` makes them,
    with `decoder`, and gives where its closing bracket is; None when `too_deep` says an item (its decoded value
    and span) nests too deeply. Raises ValueError or IndexError where the text is not strict JSON: the decoder
    checks each item, this the text between them, as the standard library's scanner checks it."""
    closer = "}" if isinstance(node, MapNode) else "]"
    position = _json_space(text, node.start + 1)
    if text[position] == closer:
        return position
    while True:
        if isinstance(node, MapNode):
            if text[position] != '"':
                raise ValueError("expected a key")
            key, position = _SCANSTRING(text, position + 1, False)
            position = _json_space(text, position)
            if text[position] != ":":
                raise ValueError("expected ':'")
            position = _json_space(text, position + 1)
        start = position
        child, value, position = _item(text, start, decoder)
        if too_deep is not None and too_deep(value, start, position):
            return None
        if isinstance(node, MapNode):
            node.items.append((str(key), child))
        else:
            node.items.append(child)
        position = _json_space(text, position)
        if text[position] != ",":
            break
        position = _json_space(text, position + 1)
    if text[position] != closer:
        raise ValueError(f"expected ',' or '{closer}'")
    return position


def _item(text: str, position: int, decoder: json.JSONDecoder) -> tuple[Node, Any, int]:
    """The value at `position` as `_Reader` makes it (a mapping or list empty, with its span), the value `decoder`
    reads there, and where it ends."""
    char = text[position]
    if char == '"':
        string, end = _SCANSTRING(text, position + 1, False)
        return Scalar(str(string), position, end), string, end
    value, end = decoder.raw_decode(text, position)
    node = _container(char, position, end) or Scalar(text[position:end], position, end, is_string=False)
    return node, value, end


def _container(char: str, start: int, end: int) -> MapNode | ListNode | None:
    """The empty mapping or list that starts with `char`, with its span; None for any other value."""
    if char == "{":
        return MapNode(start=start, end=end)
    if char == "[":
        return ListNode(start=start, end=end)
    return None


_DECODER = json.JSONDecoder(strict=False)
_SCANSTRING = json.decoder.scanstring  # type: ignore[attr-defined]
_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_LETTER_ESCAPE = re.compile(r"\\u00(?:4[1-9A-Fa-f]|5[0-9Aa]|6[1-9A-Fa-f]|7[0-9Aa])")


def _json_space(text: str, position: int) -> int:
    if text[position : position + 1] not in _SPACE_CHARACTERS:
        return position  # most often: no space at all, and no regex call for it
    return _JSON_SPACE.match(text, position).end()  # type: ignore[union-attr]


_SPACE_CHARACTERS = frozenset(" \t\n\r")


def _refuse(constant: str) -> None:
    raise ValueError(constant)


# The standard library's decoder as `_checked_root` reads values with it: strings may hold control characters (as
# `_Reader` reads them), NaN and Infinity are not JSON, and each mapping is the tuple of its pairs, so that a key
# given twice keeps both values for `_deeper_than`.
_STRICT = json.JSONDecoder(strict=False, parse_constant=_refuse, object_pairs_hook=tuple)


def _checked_root(text: str) -> Node | None:
    """The text's one value, a mapping or list with its items read (as `_OneLevel.expand` reads them), when the
    standard library reads the text as strict JSON nested no deeper than `_MAX_DEPTH`; None when it is nested
    deeper. Raises ValueError or IndexError where the standard library refuses the text.

    The items are read with `_STRICT` and the text between them is checked as its scanner checks it, so the text is
    decoded once here rather than once whole and again for the root's items."""
    start = _json_space(text, 0)
    node = _container(text[start], start, -1)
    root: Node
    if node is None:
        root, _, end = _item(text, start, _STRICT)
    else:
        # Each item is as deep as its own brackets, at most: most items have too few of them to need a look.
        shallow = text.count("[") + text.count("{") <= _MAX_DEPTH

        def too_deep(value: Any, low: int, high: int) -> bool:
            if shallow or type(value) not in _CONTAINERS:
                return False
            brackets = text.count("[", low, high) + text.count("{", low, high)
            return brackets > _MAX_DEPTH - 1 and _deeper_than(value, _MAX_DEPTH - 1)

        closing = _read_items(text, node, _STRICT, too_deep)
        if closing is None:
            return None
        root, end = node, closing + 1
        node.end = end
    if _json_space(text, end) != len(text):
        raise ValueError("trailing data")
    return root


def _deeper_than(value: Any, depth: int) -> bool:
    """Whether mappings and lists nest more than `depth` deep in `value`, read by `_STRICT` (the value itself is one
    deep). Read level by level, containers only (a regex pass that dropped the strings to count the brackets took
    twice as long as the decoding itself)."""
    level = [value] if type(value) in _CONTAINERS else []
    nesting = 1
    while level:
        if nesting > depth:
            return True
        inner: list[Any] = []
        add = inner.append
        for container in level:  # plain loops: twice as fast here as comprehensions and generators
            if type(container) is list:
                for child in container:
                    if type(child) in _CONTAINERS:
                        add(child)
            else:
                for _, child in container:
                    if type(child) in _CONTAINERS:
                        add(child)
        level, nesting = inner, nesting + 1
    return False


_CONTAINERS = frozenset({list, tuple})  # a JSON list, a mapping as the tuple of its pairs


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
