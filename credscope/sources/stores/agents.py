"""Agent and editor configs (Cursor, VS Code, Claude Code/Desktop, Codex, Windsurf, Continue): each MCP
server (and Continue model) is an entry, so every value inside it, `env` or `args`, is tagged with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from credscope.sources.stores import Entry
from credscope.sources.stores.spans import Node, parse_json, parse_yaml

_TOML_SERVER = re.compile(
    r"""^\s*\[\s*mcp_servers\.(?:"(?P<quoted>[^"]+)"|(?P<bare>[\w-]+))(?P<sub>\.[^\]\s]*(?:\s+[^\]\s]+)*)?\s*\]\s*$"""
)
_TOML_HEADER = re.compile(r"^\s*\[")


def mcp_json(text: str) -> list[Entry]:
    """MCP servers wherever a JSON config keeps them: `mcpServers` (Cursor, Claude, Windsurf, `.mcp.json`),
    `servers` (VS Code mcp.json), `mcp.servers` (VS Code settings), `projects.*.mcpServers` (~/.claude.json)
    and Continue's `experimental.modelContextProtocolServers`; plus Continue's model API keys."""
    root = parse_json(text)
    entries = [_server_entry(name, node, project) for name, node, project in _json_servers(root)]
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


def _server_entry(name: str, node: Node, project: str | None) -> Entry:
    hints = {"mcp_server": name}
    if project:
        hints["project"] = project
    command = node.text("command") or node.text("transport", "command") or node.text("url")
    if command:
        hints["mcp_command"] = command
    return Entry(node.first_line, node.last_line, hints)


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
    entries: list[Entry] = []
    current: tuple[str, int] | None = None

    def close(last: int) -> None:
        if current is not None:
            name, first = current
            entries.append(Entry(first, last, {"mcp_server": name}))

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
