"""TOML (`pyproject.toml`, `~/.codex/config.toml`, Cargo credentials) with the offset of every string value.

The standard library's reader says whether the text is valid TOML but not where values are, so a small
scanner walks tables, dotted keys, strings, arrays and inline tables itself.
"""

from __future__ import annotations

import re
import sys

from credscope.detect.lines import LineIndex
from credscope.detect.parsers.base import Assignment, Parsed, leaf_name

_HEADER = re.compile(r"[ \t]*\[\[?(?P<key>[^\]\n]*)\]\]?[ \t]*(?:#[^\n]*)?(?:\n|$)")
_PART = r"""(?:[A-Za-z0-9_\-]+|"[^"\n]*"|'[^'\n]*')"""
_KEY = re.compile(rf"[ \t]*(?P<key>{_PART}(?:[ \t]*\.[ \t]*{_PART})*)[ \t]*=[ \t]*")
_KEY_PART = re.compile(r"""[A-Za-z0-9_\-]+|"([^"\n]*)"|'([^'\n]*)'""")
_SKIP = re.compile(r"(?:[ \t\r\n]+|#[^\n]*)*")
_ATOM = re.compile(r"[^,\]\}\s#]+")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "b": "\b", "f": "\f"}


class TomlParser:
    format = "toml"

    def parse(self, text: str) -> Parsed:
        error = _validate(text)
        scanner = _Scanner(text)
        scanner.run()
        return Parsed(self.format, tuple(scanner.found), error)


def _validate(text: str) -> str | None:
    if sys.version_info >= (3, 11):
        import tomllib  # noqa: PLC0415

        try:
            tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            return str(error)
    return None


def _context(path: tuple[str, ...]) -> dict[str, str]:
    # `[mcp_servers.github]` in ~/.codex/config.toml names the MCP server the value is handed to.
    for index, key in enumerate(path[:-2]):
        if key in {"mcp_servers", "mcpServers"}:
            return {"mcp_server": path[index + 1]}
    return {}


def _key_path(key: str) -> tuple[str, ...]:
    return tuple(part.group(1) or part.group(2) or part.group(0) for part in _KEY_PART.finditer(key))


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = LineIndex(text)
        self.found: list[Assignment] = []
        self.position = 0

    def run(self) -> None:
        table: tuple[str, ...] = ()
        text = self.text
        while self.position < len(text):
            self.position = _SKIP.match(text, self.position).end()  # type: ignore[union-attr]
            if self.position >= len(text):
                break
            header = _HEADER.match(text, self.position)
            if header and text[self.position] == "[":
                table = _key_path(header.group("key"))
                self.position = header.end()
                continue
            key = _KEY.match(text, self.position)
            if key is None:
                # Not TOML we understand: resume on the next line.
                newline = text.find("\n", self.position)
                self.position = len(text) if newline == -1 else newline + 1
                continue
            self.position = key.end()
            self.value((*table, *_key_path(key.group("key"))), depth=0)

    def value(self, path: tuple[str, ...], depth: int) -> None:
        text, start = self.text, self.position
        if start >= len(text) or depth > 64:
            return
        char = text[start]
        if char in "\"'":
            value, end = self._string(start)
            self.position = end
            if value:
                line = self.lines.line_of(start)
                self.found.append(Assignment(leaf_name(path), path, value, start, end, line, _context(path)))
        elif char == "[":
            self._sequence(path, "]", depth, keyed=False)
        elif char == "{":
            self._sequence(path, "}", depth, keyed=True)
        else:
            atom = _ATOM.match(text, start)
            self.position = atom.end() if atom else start + 1

    def _sequence(self, path: tuple[str, ...], closer: str, depth: int, keyed: bool) -> None:
        text = self.text
        self.position += 1
        index = 0
        while self.position < len(text):
            self.position = _SKIP.match(text, self.position).end()  # type: ignore[union-attr]
            if self.position >= len(text) or text[self.position] == closer:
                self.position += 1
                return
            if text[self.position] == ",":
                self.position += 1
                continue
            if keyed:
                key = _KEY.match(text, self.position)
                if key is None:
                    return
                self.position = key.end()
                self.value((*path, *_key_path(key.group("key"))), depth + 1)
            else:
                before = self.position
                self.value((*path, str(index)), depth + 1)
                index += 1
                if self.position == before:
                    self.position += 1

    def _string(self, start: int) -> tuple[str, int]:
        text = self.text
        quote = text[start]
        triple = text.startswith(quote * 3, start)
        opening = start + (3 if triple else 1)
        closer = quote * 3 if triple else quote
        position, chars = opening, list[str]()
        while position < len(text):
            char = text[position]
            if text.startswith(closer, position):
                return "".join(chars), position + len(closer)
            if char == "\n" and not triple:
                break
            if char == "\\" and quote == '"' and position + 1 < len(text):
                chars.append(_ESCAPES.get(text[position + 1], text[position : position + 2]))
                position += 2
                continue
            chars.append(char)
            position += 1
        return "".join(chars), position
