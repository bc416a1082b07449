"""YAML (compose files, Kubernetes manifests, CI workflows) through PyYAML's safe composer, with offsets.

Composing, not constructing: node marks give every value's place in the text, unknown tags (`!Ref`) are
harmless, and aliases stay shared nodes that the walk visits once, so an alias bomb costs nothing.
"""

from __future__ import annotations

import re
from typing import Any

from credscope.detect.parsers.base import LineIndex, Parsed
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
        documents: list[Node] = []
        error: str | None = None
        try:
            for root in yaml.compose_all(text, Loader=loader):
                if root is not None:
                    documents.append(_convert(root, {}, [0], 0))
        except yaml.YAMLError as problem:
            error = yaml_problem(problem)  # PyYAML's own message quotes the line, which may hold a secret
        except UnicodeError:
            # libyaml takes UTF-8 only: bytes that were not UTF-8 (kept as surrogates) cannot be YAML.
            error = "not UTF-8 text"
        except _TooLarge as reason:
            error = str(reason)
        except RecursionError:
            error = "nested too deeply"
        # Documents before the error are sound; the walk still judges values in them.
        documents = with_nested_objects(documents, text)
        return Parsed(self.format, tuple(walk(documents, text, LineIndex(text))), error)


class _TooLarge(Exception):
    pass


_SURROGATES = re.compile("[\ud800-\udfff]")
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


def _convert(node: Any, done: dict[int, Node], count: list[int], depth: int) -> Node:
    """PyYAML nodes to the shared tree; a node reached twice (an alias) becomes the same object."""
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
            mapping.items.append((str(name), _convert(value, done, count, depth + 1)))
        result = mapping
    elif isinstance(node, yaml.SequenceNode):
        sequence = ListNode()
        done[id(node)] = sequence
        sequence.items.extend(_convert(item, done, count, depth + 1) for item in node.value)
        result = sequence
    else:
        # Plain scalars that resolve to numbers or booleans are not strings; quoted ones always are.
        is_string = node.tag == _STRING_TAG or bool(node.style) or not _plain_non_string(node.value)
        result = Scalar(str(node.value), node.start_mark.index, node.end_mark.index, is_string)
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
