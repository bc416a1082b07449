"""Nested documents (JSON, YAML) as one small node tree, walked once into assignments with context.

The walk is where formats meet their conventions: a compose service, a Kubernetes object and its `env`
`name`/`value` pairs, an MCP server, a Docker registry, `NAME=value` list items and `--flag value` argument
lists all say what a value is for, whatever the syntax that carried them.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from credscope.detect.lines import LineIndex
from credscope.detect.parsers.base import Assignment, leaf_name

MAX_NODES = 500_000  # a walk never visits more nodes than this, whatever aliases or nesting promise
_SMALL = 8  # a mapping of at most this many items is searched for a key item by item


@dataclass
class Scalar:
    value: str
    start: int
    end: int
    is_string: bool = True


@dataclass
class MapNode:
    items: list[tuple[str, Node]] = field(default_factory=list)
    # Where the mapping's text begins and ends, when its parser says (JSON's and YAML's do: see `locate`).
    start: int = 0
    end: int = 0
    # For a large mapping, its first value under each key and its values in order, made on first use and again
    # once items were added (they are only ever appended): `locate` asks each mapping on its way down for its
    # `name` and the child holding a span, once per match; botocore's `shapes` has thousands of items.
    _first: dict[str, Node] | None = field(default=None, init=False, repr=False, compare=False)
    _first_of: int = field(default=-1, init=False, repr=False, compare=False)  # how many items `_first` holds
    _values: list[Node] | None = field(default=None, init=False, repr=False, compare=False)

    def get(self, key: str) -> Node | None:
        if len(self.items) <= _SMALL:
            for name, node in self.items:
                if name == key:
                    return node
            return None
        if self._first is None or self._first_of != len(self.items):
            first: dict[str, Node] = {}
            for name, node in self.items:
                first.setdefault(name, node)
            self._first, self._first_of = first, len(self.items)
        return self._first.get(key)

    def values(self) -> list[Node]:
        """The values, in text order."""
        if self._values is None or len(self._values) != len(self.items):
            self._values = [node for _, node in self.items]
        return self._values

    def text(self, key: str) -> str | None:
        node = self.get(key)
        return node.value if isinstance(node, Scalar) else None


@dataclass
class ListNode:
    items: list[Node] = field(default_factory=list)
    start: int = 0
    end: int = 0


Node = Scalar | MapNode | ListNode

_ENV_ITEM = re.compile(r"^\s*(?:export\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)=")
_FLAG_ITEM = re.compile(r"^--?(?P<name>[A-Za-z][\w\-]*)$")
_MCP_KEYS = ("mcpServers", "servers", "mcp_servers", "context_servers")


def walk(documents: list[Node], text: str, lines: LineIndex) -> list[Assignment]:
    """Every string value in the documents as an assignment, in document order."""
    walker = _Walker(text, lines)
    for document in documents:
        walker.visit(document, (), _document_context(document))
    return walker.found


class _Walker:
    def __init__(self, text: str, lines: LineIndex) -> None:
        self.text = text
        self.lines = lines
        self.found: list[Assignment] = []
        self.visited = 0
        self._seen: set[int] = set()

    def visit(self, node: Node, path: tuple[str, ...], context: Mapping[str, str]) -> None:
        # Aliased YAML nodes are shared objects: one visit each keeps an alias bomb linear.
        if id(node) in self._seen or self.visited >= MAX_NODES:
            return
        self._seen.add(id(node))
        self.visited += 1
        match node:
            case Scalar():
                if node.is_string and node.value:
                    self._add(leaf_name(path), path, node, context)
            case MapNode():
                self._visit_map(node, path, context)
            case ListNode():
                self._visit_list(node, path, context)

    def _visit_map(self, node: MapNode, path: tuple[str, ...], context: Mapping[str, str]) -> None:
        # Kubernetes `env: [{name: DB_PASSWORD, value: ...}]` and the many configs shaped like it.
        pair_name = node.text("name")
        for key, child in node.items:
            child_path = (*path, key)
            child_context = {**context, **_entered(path, key, child)}
            if key == "value" and pair_name and isinstance(child, Scalar):
                if id(child) not in self._seen:
                    self._seen.add(id(child))
                    self._add(pair_name, (*path, pair_name), child, child_context)
                continue
            self.visit(child, child_path, child_context)

    def _visit_list(self, node: ListNode, path: tuple[str, ...], context: Mapping[str, str]) -> None:
        flag: str | None = None
        for index, child in enumerate(node.items):
            child_path = (*path, str(index))
            if isinstance(child, Scalar) and child.is_string and id(child) not in self._seen:
                env = _ENV_ITEM.match(child.value)
                if flag is not None:
                    self._seen.add(id(child))
                    self._add(flag, (*path, flag), child, context)
                elif env is not None and self._add_env_item(env.group("name"), child, path, context):
                    pass
                else:
                    self.visit(child, child_path, context)
                flagged = _FLAG_ITEM.match(child.value)
                flag = flagged.group("name") if flagged else None
                continue
            flag = None
            self.visit(child, child_path, context)

    def _add_env_item(self, name: str, child: Scalar, path: tuple[str, ...], context: Mapping[str, str]) -> bool:
        raw = self.text[child.start : child.end]
        equals = raw.find("=")
        if equals == -1:
            return False
        self._seen.add(id(child))
        value = child.value.split("=", 1)[1]
        if value:
            narrowed = Scalar(value, child.start + equals + 1, child.end)
            self._add(name, (*path, name), narrowed, context)
        return True

    def _add(self, name: str, path: tuple[str, ...], node: Scalar, context: Mapping[str, str]) -> None:
        self.found.append(_assignment(name, path, node, context, self.lines))


def locate(
    document: Node, text: str, lines: LineIndex, start: int, end: int, expand: Callable[[Node], None] | None = None
) -> Assignment | None:
    """The assignment `walk([document], ...)` gives whose value holds the span `start`..`end`, found by going
    down the one branch that holds it rather than listing every value: a 2 MB API model with one match to name
    needs one path resolved, not its fifty thousand strings.

    For a document whose every node has its span (JSON's, YAML's), read once (no node reachable twice: no
    aliases, no nested Kubernetes objects walked first) and within MAX_NODES. The names are the walk's: a
    `name`/`value` pair, a `--flag value` or `NAME=value` list item, a key. `expand`, when given, reads a
    mapping's or list's items before they are looked at: a tree read one level at a time, as the search goes.
    """
    read = expand or _as_read
    node: Node = document
    path: tuple[str, ...] = ()
    context: Mapping[str, str] = _document_context(document, read)
    while True:
        if not isinstance(node, Scalar):
            read(node)
        match node:
            case Scalar():
                if node.is_string and node.value:
                    return _assignment(leaf_name(path), path, node, context, lines)
                return None
            case MapNode():
                index = _holding(node.values(), start, end)
                if index is None:
                    return None
                key, child = node.items[index]
                child_context = {**context, **_entered(path, key, child)}
                pair_name = node.text("name")
                if key == "value" and pair_name and isinstance(child, Scalar):
                    return _assignment(pair_name, (*path, pair_name), child, child_context, lines)
                node, path, context = child, (*path, key), child_context
            case ListNode():
                index = _holding(node.items, start, end)
                if index is None:
                    return None
                child = node.items[index]
                if isinstance(child, Scalar) and child.is_string:
                    return _list_item(node.items, index, path, context, text, lines)
                node, path = child, (*path, str(index))


def _list_item(
    items: list[Node], index: int, path: tuple[str, ...], context: Mapping[str, str], text: str, lines: LineIndex
) -> Assignment | None:
    """What `_Walker._visit_list` makes of the string item at `index`: the value of the flag before it, the value
    of its own `NAME=`, or itself under the list's name."""
    child = items[index]
    assert isinstance(child, Scalar)
    before = items[index - 1] if index else None
    flagged = _FLAG_ITEM.match(before.value) if isinstance(before, Scalar) and before.is_string else None
    if flagged is not None:
        flag = flagged.group("name")
        return _assignment(flag, (*path, flag), child, context, lines)
    env = _ENV_ITEM.match(child.value)
    if env is not None and (equals := text.find("=", child.start, child.end)) != -1:
        value = child.value.split("=", 1)[1]
        if not value:
            return None
        name = env.group("name")
        return _assignment(name, (*path, name), Scalar(value, equals + 1, child.end), context, lines)
    child_path = (*path, str(index))
    return _assignment(leaf_name(child_path), child_path, child, context, lines) if child.value else None


def _holding(children: list[Node], start: int, end: int) -> int | None:
    """The index of the child (in text order) whose span holds `start`..`end`."""
    index = bisect.bisect_right(children, start, key=_start) - 1  # the last child starting at or before `start`
    if index < 0:
        return None
    child = children[index]
    return index if child.start <= start and end <= child.end else None


def _start(node: Node) -> int:
    return node.start


def _assignment(
    name: str, path: tuple[str, ...], node: Scalar, context: Mapping[str, str], lines: LineIndex
) -> Assignment:
    return Assignment(
        name=name,
        path=path,
        value=node.value,
        start=node.start,
        end=node.end,
        line=lines.line_of(node.start),
        context=dict(context),
    )


def _as_read(node: Node) -> None:
    """A tree read whole: nothing more to read."""


def _document_context(document: Node, read: Callable[[Node], None] = _as_read) -> dict[str, str]:
    """What the whole document is: a Kubernetes object says its kind and name at the top. (`read`: see `locate`.)"""
    if not isinstance(document, MapNode):
        return {}
    read(document)
    kind = document.text("kind")
    if kind is None or document.text("apiVersion") is None:
        return {}
    context = {"k8s_kind": kind}
    metadata = document.get("metadata")
    if isinstance(metadata, MapNode):
        read(metadata)
        name = metadata.text("name")
        namespace = metadata.text("namespace")
        if name:
            context["k8s_name"] = name
            if kind == "Secret":
                context["secret_name"] = name
        if namespace:
            context["k8s_namespace"] = namespace
    return context


def _entered(path: tuple[str, ...], key: str, child: Node) -> dict[str, str]:
    """Context gained by stepping from `path` into `key`."""
    if not isinstance(child, MapNode) or not path:
        return {}
    parent = path[-1]
    if path == ("services",):
        return {"service": key}
    if parent in _MCP_KEYS:
        return {"mcp_server": key}
    if path in {("auths",), ("credHelpers",)}:
        return {"registry": key}
    if len(path) == 1 and parent == "jobs":
        return {"job": key}
    return {}


def scalars(node: Node) -> Iterator[Scalar]:
    """Every scalar under a node (used by tests and decoders)."""
    match node:
        case Scalar():
            yield node
        case MapNode():
            for _, child in node.items:
                yield from scalars(child)
        case ListNode():
            for child in node.items:
                yield from scalars(child)
