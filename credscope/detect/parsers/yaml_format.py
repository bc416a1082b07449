"""YAML (compose files, Kubernetes manifests, CI workflows) through PyYAML's safe composer, with offsets.

Composing, not constructing: node marks give every value's place in the text, unknown tags (`!Ref`) are
harmless, and aliases stay shared nodes that the walk visits once, so an alias bomb costs nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise
from typing import Any

from credscope.detect.lines import LineIndex
from credscope.detect.parsers.base import Parsed
from credscope.detect.parsers.json_format import with_nested_objects
from credscope.detect.parsers.tree import MAX_NODES, ListNode, MapNode, Node, Scalar, walk
from credscope.errors import yaml_problem

_STRING_TAG = "tag:yaml.org,2002:str"
_MAX_DEPTH = 200


class YamlParser:
    format = "yaml"

    def parse(self, text: str) -> Parsed:
        import yaml  # noqa: PLC0415 - only files with candidate matches pay for it

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        if _flow_depth(text) > _MAX_DEPTH:
            # libyaml's composer recurses in C: tens of thousands of `[` overflow the stack (SIGSEGV). The
            # pure-Python composer stops at the recursion limit instead.
            loader = yaml.SafeLoader
        # Invalid UTF-8 arrives as lone surrogates, which libyaml refuses outright; U+FFFD keeps every offset.
        text = _SURROGATES.sub("\ufffd", text)
        documents, error = _compose(text, loader)
        if error is not None and "{{" in text:
            # A Helm or Go template (`name: {{ include "x" . }}`) is not YAML until rendered. With its actions
            # stood in for, character for character, the rest of it is, at the same offsets.
            blanked = _compose(_ACTION.sub(_stand_in, text), loader)
            if len(blanked[0]) >= len(documents):
                documents, error = blanked
        documents = with_nested_objects(documents, text)
        return Parsed(self.format, tuple(walk(documents, text, LineIndex(text))), error)


def _compose(text: str, loader: Any) -> tuple[list[Node], str | None]:
    """The documents of a YAML stream, and the first error in it. A document that is not YAML costs only itself:
    after an error, each following document (from its `---`) is read on its own, so a Secret after a broken
    manifest is still read."""
    import yaml  # noqa: PLC0415

    documents: list[Node] = []
    error: str | None = None
    try:
        documents.extend(_stream(text, loader, 0))
        return documents, None
    except yaml.YAMLError as problem:
        error = yaml_problem(problem)  # PyYAML's own message quotes the line, which may hold a secret
        mark = getattr(problem, "problem_mark", None) or getattr(problem, "context_mark", None)
        if mark is None:
            return documents, error
    except (UnicodeError, _TooLarge, RecursionError) as problem:
        return documents, _unreadable(problem)
    starts = [found.start() for found in _DOCUMENT_START.finditer(text, max(1, mark.index))][:_MAX_RESTARTS]
    for start, end in pairwise([*starts, len(text)]):
        try:
            documents.extend(_stream(text[start:end], loader, start))
        except yaml.YAMLError:
            continue
        except (UnicodeError, _TooLarge, RecursionError):
            break
    return documents, error


def _stream(text: str, loader: Any, base: int) -> Iterator[Node]:
    """Each document of `text` (which begins at `base` in the whole text) as it is read: those before an error
    are sound."""
    import yaml  # noqa: PLC0415

    for root in yaml.compose_all(text, Loader=loader):
        if root is not None:
            yield _convert(root, {}, [0], 0, base)


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


def _convert(node: Any, done: dict[int, Node], count: list[int], depth: int, base: int) -> Node:
    """PyYAML nodes to the shared tree; a node reached twice (an alias) becomes the same object. `base`: where in
    the text the stream that PyYAML read begins."""
    import yaml  # noqa: PLC0415

    known = done.get(id(node))
    if known is not None:
        return known
    count[0] += 1
    if count[0] > MAX_NODES:
        raise _TooLarge("too many nodes")
    if depth > _MAX_DEPTH:
        raise _TooLarge("nested too deeply")
    result: Node
    if isinstance(node, yaml.MappingNode):
        mapping = MapNode()
        done[id(node)] = mapping
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else "?"
            mapping.items.append((str(name), _convert(value, done, count, depth + 1, base)))
        result = mapping
    elif isinstance(node, yaml.SequenceNode):
        sequence = ListNode()
        done[id(node)] = sequence
        sequence.items.extend(_convert(item, done, count, depth + 1, base) for item in node.value)
        result = sequence
    else:
        # Plain scalars that resolve to numbers or booleans are not strings; quoted ones always are.
        is_string = node.tag == _STRING_TAG or bool(node.style) or not _plain_non_string(node.value)
        result = Scalar(str(node.value), base + node.start_mark.index, base + node.end_mark.index, is_string)
        done[id(node)] = result
    return result


def _plain_non_string(value: str) -> bool:
    lowered = value.lower()
    if lowered in {"true", "false", "yes", "no", "on", "off", "null", "~", ""}:
        return True
    try:
        float(value.replace("_", ""))
    except ValueError:
        return False
    return True
