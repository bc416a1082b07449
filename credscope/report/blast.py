"""The blast radius as a picture: for each credential that can (or may) destroy something, where an agent can
pick it up (files, history, home, environment, MCP configurations) → the credential → what it can destroy.

Inline SVG, no script and no font: it scales to the page width (a viewBox, width 100%) and prints. Node
labels are outside text, escaped by the caller's `escape`; long ones are cut with an ellipsis.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from credscope.model import Credential, Location, Reach

_WIDTH = 1000
_ROW = 30  # vertical space per node
_NODE_HEIGHT = 22
_COLUMNS = (0, 345, 705)  # x of each column's nodes: sources, credentials, actions
_NODE_WIDTHS = (295, 310, 295)
_TOP = 45  # below the headings
_CHAR_WIDTH = 8.0  # of the 13px labels, bold included, generously
_MAX_CREDENTIALS = 12
_MAX_PER_CREDENTIAL = 4  # sources and actions shown for one credential, then "+N more"
_HEADINGS = ("reachable from", "credential", "can destroy")
# Fills the test finds in a screenshot: the sources' and the actions' boxes.
SOURCE_FILL = "#ddf4ff"
ACTION_FILL = "#ffe3e0"
_SEVERITY_COLOUR = {"critical": "#a40e26", "high": "#d1242f", "medium": "#bc4c00", "low": "#6e7781", "info": "#8c959f"}


@dataclass(frozen=True)
class _Node:
    column: int
    label: str
    key: str
    colour: str = ""


def destroyers(credentials: Sequence[Credential]) -> list[Credential]:
    """The credentials the picture is about: those that can, or may, destroy something."""
    return [c for c in credentials if c.scope.destructive_actions or c.scope.potential_actions]


def render_svg(credentials: Sequence[Credential], escape: Callable[[str], str]) -> str:
    shown = destroyers(credentials)[:_MAX_CREDENTIALS]
    if not shown:
        return ""
    columns: tuple[dict[str, _Node], dict[str, _Node], dict[str, _Node]] = ({}, {}, {})
    edges: list[tuple[str, str, bool]] = []  # from key, to key, certain (solid) or "may" (dashed)
    for credential in shown:
        middle = f"c:{credential.fingerprint}"
        label = f"{credential.severity.value.upper()} {credential.provider} {credential.kind}"
        columns[1][middle] = _Node(1, label, middle, _SEVERITY_COLOUR[credential.severity.value])
        sources = list(dict.fromkeys(_source_label(location) for location in credential.locations))
        for key, source in _capped(sources, "s:", middle):
            columns[0].setdefault(key, _Node(0, source, key))
            edges.append((key, middle, True))
        certain = bool(credential.scope.destructive_actions)
        actions = list(credential.scope.destructive_actions or credential.scope.potential_actions)
        for key, action in _capped(actions, "a:", middle):
            text = action if certain or action.startswith("+") else f"may: {action}"
            columns[2].setdefault(key, _Node(2, text, key))
            edges.append((middle, key, certain))
    ys = _layout(columns, edges)
    height = int(max(ys.values()) + _ROW)
    parts = [
        f'<svg id="blast-radius" role="img" viewBox="0 0 {_WIDTH} {height}" width="100%" '
        f'preserveAspectRatio="xMidYMin meet" xmlns="http://www.w3.org/2000/svg">',
        "<title>Blast radius: where each destructive credential is reachable from, and what it can destroy</title>",
        *(_heading(x, text) for x, text in zip(_COLUMNS, _HEADINGS, strict=True)),
        *(_edge(columns, ys, a, b, solid) for a, b, solid in dict.fromkeys(edges)),
        *(_box(node, ys[node.key], escape) for column in columns for node in column.values()),
        "</svg>",
    ]
    return "\n".join(parts)


def _capped(items: list[str], prefix: str, owner: str) -> list[tuple[str, str]]:
    """(key, label) of the items shown: shared nodes are keyed by label, the "+N more" node by its owner."""
    if len(items) <= _MAX_PER_CREDENTIAL:
        return [(prefix + item, item) for item in items]
    shown = [(prefix + item, item) for item in items[: _MAX_PER_CREDENTIAL - 1]]
    return [*shown, (f"{prefix}{owner}:more", f"+{len(items) - len(shown)} more")]


def _source_label(location: Location) -> str:
    server = location.context.get("mcp_server")
    match location.reach:
        case Reach.ENV:
            return f"environment ${location.path}"
        case Reach.HOME:
            return f"home {location.path}" + (f" (MCP {server})" if server else "")
        case Reach.HISTORY:
            commit = f" @ {location.commit[:8]}" if location.commit else ""
            return f"history {location.path}{commit}"
        case _:
            mcp = f" (MCP {server})" if server else ""
            return f"{location.path} [{location.reach.value}]{mcp}"


def _layout(columns: Sequence[dict[str, _Node]], edges: Sequence[tuple[str, str, bool]]) -> dict[str, float]:
    """The y of each node's middle: what a credential can destroy in order, the credential level with the
    middle of its actions, each source level with the middle of its credentials; never closer than a row."""
    ys: dict[str, float] = {}
    _spaced(ys, list(columns[2]), dict.fromkeys(columns[2], 0.0), top=_TOP)
    linked: dict[str, list[float]] = {}
    for start, end, _ in edges:
        if end in ys:
            linked.setdefault(start, []).append(ys[end])
    _spaced(ys, list(columns[1]), {key: _mean(linked.get(key, [])) for key in columns[1]}, top=_TOP)
    sources: dict[str, list[float]] = {}
    for start, end, _ in edges:
        if start in columns[0]:
            sources.setdefault(start, []).append(ys[end])
    _spaced(ys, list(columns[0]), {key: _mean(sources.get(key, [])) for key in columns[0]}, top=_TOP)
    return ys


def _spaced(ys: dict[str, float], keys: list[str], wanted: dict[str, float], top: float) -> None:
    """Place `keys` in order as near their wanted y as a row's spacing allows."""
    floor = top
    for key in keys:
        ys[key] = max(wanted[key], floor)
        floor = ys[key] + _ROW


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _heading(x: int, text: str) -> str:
    return f'<text x="{x}" y="20" font-size="14" font-weight="700" fill="#57606a">{text}</text>'


def _edge(columns: Sequence[dict[str, _Node]], ys: dict[str, float], start: str, end: str, solid: bool) -> str:
    """A curve from the right side of one node to the left side of the next column's."""
    left = next(i for i, column in enumerate(columns) if start in column)
    y1, y2 = ys[start], ys[end]
    x1, x2 = _COLUMNS[left] + _NODE_WIDTHS[left], _COLUMNS[left + 1]
    middle = (x1 + x2) / 2
    dash = "" if solid else ' stroke-dasharray="6 4"'
    return (
        f'<path d="M{x1:.0f},{y1:.0f} C{middle:.0f},{y1:.0f} {middle:.0f},{y2:.0f} {x2:.0f},{y2:.0f}" '
        f'fill="none" stroke="#8c959f" stroke-width="1.5"{dash}/>'
    )


def _box(node: _Node, y: float, escape: Callable[[str], str]) -> str:
    x = _COLUMNS[node.column]
    width = _NODE_WIDTHS[node.column]
    fill = {0: SOURCE_FILL, 1: "#ffffff", 2: ACTION_FILL}[node.column]
    stroke = node.colour or "#d0d7de"
    weight = "700" if node.column == 1 else "400"
    fits = int(width / _CHAR_WIDTH)
    label = node.label if len(node.label) <= fits else node.label[: fits - 1] + "…"
    top = y - _NODE_HEIGHT / 2
    return (
        f'<g class="node col{node.column}"><rect x="{x}" y="{top:.0f}" width="{width}" height="{_NODE_HEIGHT}" '
        f'rx="4" fill="{fill}" stroke="{stroke}" stroke-width="{2 if node.colour else 1}"/>'
        f'<text x="{x + 8}" y="{y + 5:.0f}" font-size="13" font-weight="{weight}" fill="#1b1f24">'
        f"{escape(label)}</text></g>"
    )
