"""Parsed JSON (with comments) and YAML that remember where each value sits in the text.

Store parsers need both what a value means (which MCP server, which kube user) and the lines it
spans, so that findings keep their real line numbers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from credscope.errors import yaml_problem

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_JSONC_NOISE = re.compile(r'("(?:\\.|[^"\\\n])*(?:"|(?=\n)|\Z))|//[^\n]*|/\*.*?(?:\*/|\Z)', re.DOTALL)


class SpanError(ValueError):
    """The text is not the JSON or YAML its store should hold."""


@dataclass(frozen=True)
class Node:
    """A value with its first and last line (1-based) and, for containers, its children."""

    value: Any
    first_line: int
    last_line: int
    start: int = 0  # offset in the text (JSON only; YAML nodes keep 0)
    end: int = 0
    fields: dict[str, Node] = field(default_factory=dict)
    items: tuple[Node, ...] = ()

    def get(self, *path: str) -> Node | None:
        node: Node | None = self
        for key in path:
            node = node.fields.get(key) if node is not None else None
        return node

    def text(self, *path: str) -> str | None:
        node = self.get(*path)
        return node.value if node is not None and isinstance(node.value, str) else None

    def mapping(self, *path: str) -> Iterator[tuple[str, Node]]:
        node = self.get(*path)
        if node is not None:
            yield from node.fields.items()


def parse_json(text: str) -> Node:
    """JSON or JSONC (VS Code's comments and trailing commas), with offsets and lines."""
    cleaned = _JSONC_NOISE.sub(lambda m: m.group(1) or _blank(m.group(0)), text)
    parser = _JsonParser(cleaned)
    try:
        node = parser.value(0)
    except (ValueError, IndexError) as error:
        raise SpanError(f"not valid JSON: {_short(error)}") from None
    except RecursionError:
        # Hostile nesting (`[[[[...`) must not cost the scan; the store is still read as plain text.
        raise SpanError("not valid JSON: nested too deeply") from None
    if _WHITESPACE.match(cleaned, node.end).end() != len(cleaned):  # type: ignore[union-attr]
        raise SpanError("not valid JSON: extra data after the document")
    return node


def _blank(comment: str) -> str:
    return "".join("\n" if char == "\n" else " " for char in comment)


def _short(error: Exception) -> str:
    return str(error).split(":")[0]


class _JsonParser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.decoder = json.JSONDecoder()
        self.newlines = [i for i, char in enumerate(text) if char == "\n"]

    def line(self, offset: int) -> int:
        import bisect  # noqa: PLC0415

        return bisect.bisect_left(self.newlines, offset) + 1

    def skip(self, offset: int) -> int:
        return _WHITESPACE.match(self.text, offset).end()  # type: ignore[union-attr]

    def value(self, offset: int) -> Node:
        start = self.skip(offset)
        char = self.text[start]
        if char == "{":
            return self._object(start)
        if char == "[":
            return self._array(start)
        value, end = self.decoder.raw_decode(self.text, start)
        return Node(value, self.line(start), self.line(end - 1), start, end)

    def _object(self, start: int) -> Node:
        fields: dict[str, Node] = {}
        position = self.skip(start + 1)
        while self.text[position] != "}":
            if self.text[position] != '"':
                raise ValueError("expected a key")
            key, position = self.decoder.raw_decode(self.text, position)
            if not isinstance(key, str):
                raise ValueError("expected a key")
            position = self.skip(position)
            if self.text[position] != ":":
                raise ValueError("expected ':'")
            child = self.value(position + 1)
            fields[key] = child
            position = self.skip(child.end)
            if self.text[position] == ",":
                position = self.skip(position + 1)
            elif self.text[position] != "}":
                raise ValueError("expected ',' or '}'")
        end = position + 1
        value = {key: node.value for key, node in fields.items()}
        return Node(value, self.line(start), self.line(end - 1), start, end, fields=fields)

    def _array(self, start: int) -> Node:
        items: list[Node] = []
        position = self.skip(start + 1)
        while self.text[position] != "]":
            child = self.value(position)
            items.append(child)
            position = self.skip(child.end)
            if self.text[position] == ",":
                position = self.skip(position + 1)
            elif self.text[position] != "]":
                raise ValueError("expected ',' or ']'")
        end = position + 1
        return Node([n.value for n in items], self.line(start), self.line(end - 1), start, end, items=tuple(items))


def parse_yaml(text: str) -> Node:
    """YAML (safe loader) with each node's lines; only the first document of a stream."""
    import yaml  # noqa: PLC0415

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        if root is None:
            return Node(None, 1, 1)
        return _yaml_node(root, {})
    except yaml.YAMLError as error:
        # Not PyYAML's own message: it quotes the offending line, which may hold the store's secret.
        raise SpanError(f"not valid YAML: {yaml_problem(error)}") from None
    except RecursionError:
        raise SpanError("not valid YAML: nested too deeply") from None


def _yaml_node(node: Any, done: dict[int, Node]) -> Node:
    """One node and its children; an aliased node is converted once and shared, so an alias bomb stays linear."""
    import yaml  # noqa: PLC0415

    known = done.get(id(node))
    if known is not None:
        return known
    first = node.start_mark.line + 1
    # end_mark sits after the value, on the next line's column 0 for block collections.
    last = node.end_mark.line + (1 if node.end_mark.column else 0)
    last = max(first, last)
    if isinstance(node, yaml.MappingNode):
        fields: dict[str, Node] = {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                fields[str(key.value)] = _yaml_node(value, done)
        result = Node({k: v.value for k, v in fields.items()}, first, last, fields=fields)
    elif isinstance(node, yaml.SequenceNode):
        items = tuple(_yaml_node(item, done) for item in node.value)
        result = Node([item.value for item in items], first, last, items=items)
    else:
        result = Node(node.value, first, last)
    done[id(node)] = result
    return result
