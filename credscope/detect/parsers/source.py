"""Source code through tree-sitter: the name each string literal is assigned to, passed as, or keyed by.

`x = "…"`, `aws_secret_access_key="…"`, `{"password": "…"}`, `password: "…"`, `Field: "…"`,
`os.environ["X"] = "…"`, `ENV["X"] = "…"`, `setPassword("…")`, `os.Setenv("X", "…")`, `a, b := "…", "…"`.
Grammars are imported when a flagged file of their language is first parsed.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from credscope.detect.lines import LineIndex
from credscope.detect.parsers.base import Assignment, Parsed


@dataclass(frozen=True)
class Grammar:
    module: str  # the grammar wheel's module
    function: str  # the function in it that returns the language pointer
    strings: tuple[str, ...]  # node types of string literals


GRAMMARS: dict[str, Grammar] = {
    "python": Grammar("tree_sitter_python", "language", ("string",)),
    "javascript": Grammar("tree_sitter_javascript", "language", ("string", "template_string")),
    "typescript": Grammar("tree_sitter_typescript", "language_typescript", ("string", "template_string")),
    "tsx": Grammar("tree_sitter_typescript", "language_tsx", ("string", "template_string")),
    "go": Grammar("tree_sitter_go", "language", ("interpreted_string_literal", "raw_string_literal")),
    "java": Grammar("tree_sitter_java", "language", ("string_literal",)),
    "ruby": Grammar("tree_sitter_ruby", "language", ("string",)),
}

# Nodes a string passes through on its way to what it is assigned to: `("a" "b")`, `"a" + x`, `x or "d"`.
_WRAPPERS = frozenset(
    {
        "parenthesized_expression",
        "concatenated_string",
        "binary_operator",
        "binary_expression",
        "boolean_operator",
        "conditional_expression",
        "ternary_expression",
        "literal_element",
        "as_expression",
        "satisfies_expression",
        "non_null_expression",
        "list",
        "tuple",
        "array",
        "set",
        "array_initializer",
        "argument",
    }
)
_TARGET_FIELDS = {
    "assignment": "left",
    "augmented_assignment": "left",
    "operator_assignment": "left",
    "assignment_expression": "left",
    "augmented_assignment_expression": "left",
    "variable_declarator": "name",
    "field_definition": "property",
    "public_field_definition": "name",
    "property_signature": "name",
    "var_spec": "name",
    "const_spec": "name",
    "short_var_declaration": "left",
    "assignment_statement": "left",
}
_KEY_FIELDS = {"pair": "key", "keyword_argument": "name", "keyed_element": "key", "element_value_pair": "key"}
_CALL_ARGUMENTS = frozenset({"argument_list", "arguments"})
_NAME_TYPES = frozenset(
    {
        "identifier",
        "constant",
        "property_identifier",
        "field_identifier",
        "private_property_identifier",
        "shorthand_property_identifier",
        "instance_variable",
        "class_variable",
        "global_variable",
        "type_identifier",
        "hash_key_symbol",
        "simple_symbol",
    }
)
_MEMBER_FIELDS = {
    "attribute": "attribute",
    "member_expression": "property",
    "selector_expression": "field",
    "field_access": "field",
    "scoped_identifier": "name",
    "call": "method",
}
_INDEXED = {"subscript": "subscript", "subscript_expression": "index", "index_expression": "index"}
_LISTS = frozenset({"expression_list", "pattern_list", "tuple_pattern", "left_assignment_list"})
_CLIMBABLE_LISTS = _LISTS - {"pattern_list"}  # right-hand lists: `a, b = "x", "y"` pairs names by position
_MAX_CLIMB = 12  # names along one string's way up: `a = {"b": {"c": …}}` has three
_CHAIN = 48  # ancestors kept per string: enough for wrappers and a dozen nested containers


class SourceParser:
    def __init__(self, language: str) -> None:
        self.language = language

    @property
    def format(self) -> str:
        return self.language

    def parse(self, text: str) -> Parsed:
        """Every string literal that is assigned, passed or keyed by a name."""
        tree = _Tree.parse(self.language, text)
        if isinstance(tree, str):
            return Parsed(self.format, error=tree)
        found = [
            assignment
            for chain in _strings(tree.root, tree.kinds)
            if (assignment := tree.assignment(chain)) is not None
        ]
        return Parsed(self.format, tuple(found), tree.error)

    def parse_on_demand(self, text: str) -> Parsed:
        """The syntax tree only: `Parsed.locate` resolves the string at a span when a match asks for it."""
        tree = _Tree.parse(self.language, text)
        if isinstance(tree, str):
            return Parsed(self.format, error=tree)
        return Parsed(self.format, (), tree.error, locate=tree.locate)


# Surrogates that `surrogateescape` cannot give back as bytes: all but U+DC80..U+DCFF.
_LONE_SURROGATE = re.compile("[\ud800-\udc7f\udd00-\udfff]")


class _Tree:
    """One parsed source text, and how its strings map back to names and character offsets."""

    def __init__(self, text: str, data: bytes, root: Any, kinds: frozenset[str]) -> None:
        self.text = text
        self.data = data
        self.root = root
        self.kinds = kinds
        self.error = "syntax error" if root.has_error else None
        self._offsets = _CharOffsets(text, data)
        self._lines: LineIndex | None = None

    @classmethod
    def parse(cls, language: str, text: str) -> _Tree | str:
        """The tree, or why there is none."""
        try:
            tree_sitter = importlib.import_module("tree_sitter")
            grammar = GRAMMARS[language]
            module = importlib.import_module(grammar.module)
        except ImportError as missing:
            return f"grammar not installed: {missing.name}"
        try:
            data = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            # A lone surrogate that stands for no undecodable byte (a notebook cell's JSON `\ud800`) has no UTF-8:
            # U+FFFD in its place keeps every character offset.
            text = _LONE_SURROGATE.sub("\ufffd", text)
            data = text.encode("utf-8", "surrogateescape")
        tree = tree_sitter.Parser(tree_sitter.Language(getattr(module, grammar.function)())).parse(data)
        return cls(text, data, tree.root_node, frozenset(grammar.strings))

    def assignment(self, chain: list[Any]) -> Assignment | None:
        """The assignment of the string `chain[0]` (its ancestors after it, innermost first), if named."""
        start, end = _content_span(chain[0])
        path = _path_of(chain, self.data)
        if not path or end <= start:
            return None
        char_start, char_end = self._offsets.char(start), self._offsets.char(end)
        if self._lines is None:
            self._lines = LineIndex(self.text)
        value = self.text[char_start:char_end]
        return Assignment(path[-1], path, value, char_start, char_end, self._lines.line_of(char_start))

    def locate(self, start: int, end: int) -> Assignment | None:
        """The assignment of the outermost string literal holding characters `start`..`end`, as `parse` lists it.

        A cursor goes down from the root towards the span, keeping the ancestors `_strings` would have kept:
        the cost is the depth of the tree there, not the size of the file.
        """
        byte_start, byte_end = self._offsets.byte(start), self._offsets.byte(end)
        cursor = self.root.walk()
        ancestors: list[Any] = []
        while cursor.node.type not in self.kinds:
            node = cursor.node
            if cursor.goto_first_child_for_byte(byte_start) is None:
                return None
            child = cursor.node
            if child.start_byte > byte_start or child.end_byte < byte_end:
                return None  # the span is not inside one child: no string literal holds all of it
            ancestors.append(node)
        return self.assignment([cursor.node, *reversed(ancestors[-_CHAIN:])])


def _content_span(node: Any) -> tuple[int, int]:
    """The bytes between a literal's quotes (the prefix of `f"…"` and `%q(…)` included in the quote)."""
    children = node.children
    if (len(children) >= 2 and not children[0].is_named) or (children and children[0].type == "string_start"):
        first, last = children[0], children[-1]
        if last.type in {"string_end", '"', "'", "`"} or not last.is_named:
            return int(first.end_byte), int(last.start_byte)
    return int(node.start_byte), int(node.end_byte)


def _strings(root: Any, kinds: frozenset[str]) -> Iterator[list[Any]]:
    """Each string literal with its nearest ancestors, innermost first, in document order.

    One cursor walk keeps the ancestors on a stack: `Node.parent` searches down from the root each time,
    which turns deep expressions (`"a" + "a" + …`) quadratic.
    """
    cursor = root.walk()
    ancestors: list[Any] = []
    while True:
        node = cursor.node
        if node.type in kinds:
            yield [node, *reversed(ancestors[-_CHAIN:])]
        elif cursor.goto_first_child():
            ancestors.append(node)
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return
            ancestors.pop()


def _path_of(chain: list[Any], data: bytes) -> tuple[str, ...]:
    """The names a string is stored under, outermost first: `config = {"db": {"password": "…"}}`."""
    path: list[str] = []
    position: int | None = 0
    for _ in range(_MAX_CLIMB):
        if position is None:
            break
        resolved = _resolve(chain, position, data)
        if resolved is None:
            break
        name, position = resolved
        if name:
            path.append(name)
    return tuple(reversed(path))


def _resolve(chain: list[Any], position: int, data: bytes) -> tuple[str, int | None] | None:
    """(the name `chain[position]` is given, where in the chain the enclosing named thing is) or None."""
    listed: tuple[Any, Any] | None = None  # (right-hand list, its item) for `a, b = "x", "y"`
    here = position
    while here + 1 < len(chain) and (chain[here + 1].type in _WRAPPERS or chain[here + 1].type in _CLIMBABLE_LISTS):
        if chain[here + 1].type in _LISTS:
            listed = (chain[here + 1], chain[here])
        here += 1
    if here + 1 >= len(chain):
        return None
    child, parent = chain[here], chain[here + 1]
    kind = parent.type
    if kind in _TARGET_FIELDS:
        target = parent.child_by_field_name(_TARGET_FIELDS[kind])
        if target is None or _same(target, child):
            return None
        if target.type in _LISTS and listed is not None:
            index = _named_index(*listed)
            if index is not None and index < target.named_child_count:
                target = target.named_children[index]
        name = _target_name(target, data)
        return (name, None) if name else None
    if kind in _KEY_FIELDS:
        key = parent.child_by_field_name(_KEY_FIELDS[kind])
        if key is None or _same(key, child) or _contains(key, child):
            return None
        name = _target_name(key, data)
        # A pair lives in a dictionary or hash that may itself be named: keep climbing from there.
        return (name, here + 2 if here + 2 < len(chain) else None) if name else None
    if kind in _CALL_ARGUMENTS and here + 2 < len(chain):
        named = _argument_name(parent, child, chain[here + 2], data)
        return (named, None) if named else None
    return None


def _argument_name(arguments: Any, child: Any, call: Any, data: bytes) -> str | None:
    named = [n for n in arguments.named_children if n.type != "comment"]
    position = next((i for i, n in enumerate(named) if _same(n, child)), None)
    if position is None:
        return None
    # `os.environ.setdefault("KEY", "…")`, `props.put("password", "…")`, `os.Setenv("KEY", "…")`.
    if position >= 1 and named[0].type in _ALL_STRINGS:
        key = _literal_text(named[0], data)
        if key and _looks_like_name(key):
            return key
    function = call.child_by_field_name("function") or call.child_by_field_name("name")
    if function is None and call.type == "call":
        function = call.child_by_field_name("method")
    if function is None:
        return None
    return _target_name(function, data)


_ALL_STRINGS = frozenset(kind for grammar in GRAMMARS.values() for kind in grammar.strings)


def _target_name(target: Any, data: bytes) -> str | None:
    kind = target.type
    if kind in _NAME_TYPES:
        return _text(target, data).strip("@$:") or None
    if kind in _ALL_STRINGS:
        return _literal_text(target, data) or None
    if kind in _MEMBER_FIELDS:
        member = target.child_by_field_name(_MEMBER_FIELDS[kind])
        return _target_name(member, data) if member is not None else None
    if kind in _INDEXED or kind == "element_reference":
        index = target.child_by_field_name(_INDEXED.get(kind, "")) if kind in _INDEXED else None
        if index is None and target.named_child_count >= 2:
            index = target.named_children[1]
        if index is not None and index.type in _ALL_STRINGS:
            return _literal_text(index, data) or None
        return None
    if kind in {"literal_element", "argument"} and target.named_child_count:
        return _target_name(target.named_children[0], data)
    if kind in _LISTS and target.named_child_count == 1:
        return _target_name(target.named_children[0], data)
    return None


def _literal_text(node: Any, data: bytes) -> str:
    start, end = _content_span(node)
    return data[start:end].decode("utf-8", "replace")


def _text(node: Any, data: bytes) -> str:
    return data[node.start_byte : node.end_byte].decode("utf-8", "replace")


def _looks_like_name(value: str) -> bool:
    return 0 < len(value) <= 80 and all(c.isalnum() or c in "_-." for c in value)


def _same(a: Any, b: Any) -> bool:
    return bool(a.start_byte == b.start_byte and a.end_byte == b.end_byte and a.type == b.type)


def _contains(outer: Any, inner: Any) -> bool:
    return bool(outer.start_byte <= inner.start_byte and inner.end_byte <= outer.end_byte)


def _named_index(parent: Any, child: Any) -> int | None:
    return next((i for i, n in enumerate(parent.named_children) if _same(n, child)), None)


class _CharOffsets:
    """Byte offsets (tree-sitter's) to character offsets (the engine's) for one text.

    A text that is not ASCII gets a table of the character offset at every `_STEP`-th byte (each step decoded
    in C, snapped to the start of a character), built on first use: a lookup then decodes less than one step.
    """

    _STEP = 4096

    def __init__(self, text: str, data: bytes) -> None:
        self._identity = len(text) == len(data)
        self._text = text
        self._data = data
        self._bytes: list[int] = []  # byte offsets of the steps, each the start of a character
        self._chars: list[int] = []  # ... and their character offsets

    def _table(self) -> None:
        data, position, characters = self._data, 0, 0
        while position < len(data):
            self._bytes.append(position)
            self._chars.append(characters)
            following = min(len(data), position + self._STEP)
            while following < len(data) and 0x80 <= data[following] < 0xC0 and following - position < self._STEP + 3:
                following += 1
            characters += len(data[position:following].decode("utf-8", "surrogateescape"))
            position = following
        self._bytes.append(len(data))
        self._chars.append(characters)

    def char(self, byte_offset: int) -> int:
        if self._identity:
            return byte_offset
        if not self._bytes:
            self._table()
        import bisect  # noqa: PLC0415

        step = bisect.bisect_right(self._bytes, byte_offset) - 1
        base, base_char = self._bytes[step], self._chars[step]
        count = len(self._data[base:byte_offset].decode("utf-8", "surrogateescape"))
        if len(self._text[base_char : base_char + count].encode("utf-8", "surrogateescape")) == byte_offset - base:
            return base_char + count
        # Inside a character: the character after it, as a table of every character's first byte would say.
        count, position = 0, base
        while position < byte_offset:
            position += len(self._text[base_char + count].encode("utf-8", "surrogateescape"))
            count += 1
        return base_char + count

    def byte(self, char_offset: int) -> int:
        if self._identity:
            return char_offset
        if not self._bytes:
            self._table()
        import bisect  # noqa: PLC0415

        char_offset = min(char_offset, self._chars[-1])
        step = bisect.bisect_right(self._chars, char_offset) - 1
        base, base_char = self._bytes[step], self._chars[step]
        return base + len(self._text[base_char:char_offset].encode("utf-8", "surrogateescape"))
