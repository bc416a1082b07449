"""Agent and editor configs (Cursor, VS Code, Claude Code/Desktop, Codex, Windsurf, Continue): each MCP
server is an entry, and a token passed on its command line is given the flag name it follows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from credscope.sources.stores import Entry
from credscope.sources.stores.spans import Node, parse_json, parse_yaml

_FLAG = re.compile(r"^--?[A-Za-z][\w-]*$")
_FLAG_WITH_VALUE = re.compile(r"^--?[A-Za-z][\w-]*=")
_TOML_SERVER = re.compile(
    r"""^\s*\[\s*mcp_servers\.(?:"(?P<quoted>[^"]+)"|(?P<bare>[\w-]+))(?P<sub>\.[^\]]*)?\s*\]\s*$"""
)
_TOML_HEADER = re.compile(r"^\s*\[")
_TOML_STRING = re.compile(r""""((?:\\.|[^"\\\n])*)"|'([^'\n]*)'""")
_TOML_ARGS = re.compile(r"^\s*args\s*=\s*\[")


def mcp_json(text: str) -> list[Entry]:
    """MCP servers wherever a JSON config keeps them: `mcpServers` (Cursor, Claude, Windsurf, `.mcp.json`),
    `servers` (VS Code mcp.json), `mcp.servers` (VS Code settings), `projects.*.mcpServers` (~/.claude.json)
    and Continue's `experimental.modelContextProtocolServers`; plus Continue's model API keys."""
    root = parse_json(text)
    entries = [_server_entry(name, node, text, project) for name, node, project in _json_servers(root)]
    entries.extend(_model_entries(root.get("models")))
    return entries


def _json_servers(root: Node) -> Iterator[tuple[str, Node, str | None]]:
    for path in (("mcpServers",), ("servers",), ("mcp", "servers"), ("mcp.servers",)):
        for name, node in root.mapping(*path):
            yield name, node, None
    for project, settings in root.mapping("projects"):
        for name, node in settings.mapping("mcpServers"):
            yield name, node, project
    servers = root.get("experimental", "modelContextProtocolServers")
    for index, node in enumerate(servers.items if servers else ()):
        yield node.text("name") or f"server-{index + 1}", node, None


def _server_entry(name: str, node: Node, text: str, project: str | None) -> Entry:
    hints = {"mcp_server": name}
    if project:
        hints["project"] = project
    args = node.get("args") or node.get("transport", "args")
    elements = [(item.start, item.value) for item in args.items if isinstance(item.value, str)] if args else []
    command = node.text("command") or node.text("transport", "command") or node.text("url")
    if command:
        hints["mcp_command"] = command
    return Entry(node.first_line, node.last_line, hints, _rewrites(text, flag_insertions(elements)))


def _model_entries(models: Node | None) -> Iterator[Entry]:
    for index, model in enumerate(models.items if models else ()):
        hints = {"model": model.text("title") or model.text("name") or f"model-{index + 1}"}
        if model.text("provider"):
            hints["model_provider"] = model.text("provider") or ""
        yield Entry(model.first_line, model.last_line, hints)


def continue_yaml(text: str) -> list[Entry]:
    """Continue's config.yaml: `mcpServers` and `models` are lists of named blocks."""
    root = parse_yaml(text)
    entries: list[Entry] = []
    servers = root.get("mcpServers")
    for index, node in enumerate(servers.items if servers else ()):
        hints = {"mcp_server": node.text("name") or f"server-{index + 1}"}
        if node.text("command"):
            hints["mcp_command"] = node.text("command") or ""
        entries.append(Entry(node.first_line, node.last_line, hints))
    entries.extend(_model_entries(root.get("models")))
    return entries


def codex_toml(text: str) -> list[Entry]:
    """Codex config.toml: `[mcp_servers.NAME]` tables (and their `.env` sub-tables), read line by line."""
    lines = text.split("\n")
    offsets = _line_offsets(text)
    entries: list[Entry] = []
    current: tuple[str, int] | None = None

    def close(last: int) -> None:
        if current is not None:
            name, first = current
            elements = list(_toml_args(lines, offsets, first, last))
            entries.append(Entry(first, last, {"mcp_server": name}, _rewrites(text, flag_insertions(elements))))

    for number, line in enumerate(lines, start=1):
        if not _TOML_HEADER.match(line):
            continue
        server = _TOML_SERVER.match(line)
        name = (server.group("quoted") or server.group("bare")) if server else None
        if current is not None and name == current[0]:
            continue  # a sub-table of the same server
        close(number - 1)
        current = (name, number) if name else None
    close(len(lines))
    return entries


def _toml_args(lines: list[str], offsets: list[int], first: int, last: int) -> Iterator[tuple[int, str]]:
    inside = False
    for number in range(first, last + 1):
        line = lines[number - 1]
        start = 0
        if not inside:
            opening = _TOML_ARGS.match(line)
            if opening is None:
                continue
            inside, start = True, opening.end()
        for found in _TOML_STRING.finditer(line, start):
            value = found.group(1) if found.group(1) is not None else found.group(2)
            yield offsets[number - 1] + found.start(), value
        if "]" in line[start:].split("#")[0].replace('"]', '" ]'):
            inside = False


def flag_insertions(elements: Iterable[tuple[int, str]]) -> list[tuple[int, str]]:
    """Text to insert so that line-based context names an argument by its flag.

    `["--token", "ghp_…"]` becomes `["--token", --token "ghp_…"]` and `"--token=ghp_…"` becomes
    `" --token=ghp_…"`: the value is then read as assigned to `token`.
    """
    insertions: list[tuple[int, str]] = []
    previous: str | None = None
    for offset, value in elements:
        if _FLAG_WITH_VALUE.match(value):
            insertions.append((offset + 1, " "))
        elif previous is not None and _FLAG.match(previous) and not value.startswith("-"):
            insertions.append((offset, f"{previous} "))
        previous = value
    return insertions


def _rewrites(text: str, insertions: list[tuple[int, str]]) -> dict[int, str]:
    if not insertions:
        return {}
    offsets = _line_offsets(text)
    lines = text.split("\n")
    by_line: dict[int, list[tuple[int, str]]] = {}
    for offset, inserted in insertions:
        number = _line_at(offsets, offset)
        by_line.setdefault(number, []).append((offset - offsets[number - 1], inserted))
    rewrites: dict[int, str] = {}
    for number, pieces in by_line.items():
        line = lines[number - 1]
        for column, inserted in sorted(pieces, reverse=True):
            line = line[:column] + inserted + line[column:]
        rewrites[number] = line
    return rewrites


def _line_offsets(text: str) -> list[int]:
    offsets = [0]
    offsets.extend(i + 1 for i, char in enumerate(text) if char == "\n")
    return offsets


def _line_at(offsets: list[int], offset: int) -> int:
    import bisect  # noqa: PLC0415

    return bisect.bisect_right(offsets, offset)
