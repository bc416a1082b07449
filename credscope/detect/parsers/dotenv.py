"""dotenv files (`.env`, `.env.*`, `.envrc`): `[export] NAME=value`, quoted values may span lines."""

from __future__ import annotations

import re

from credscope.detect.lines import LineIndex
from credscope.detect.parsers.base import Assignment, Parsed

_ASSIGNMENT = re.compile(r"^[ \t]*(?:export[ \t]+)?(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)[ \t]*=[ \t]*", re.MULTILINE)
_DOUBLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}


class DotenvParser:
    format = "dotenv"

    def parse(self, text: str) -> Parsed:
        lines = LineIndex(text)
        found: list[Assignment] = []
        position = 0
        error: str | None = None
        while (match := _ASSIGNMENT.search(text, position)) is not None:
            name, start = match.group("name"), match.end()
            value, end, closed = _value(text, start)
            if not closed:
                error = f"unterminated quote on line {lines.line_of(start)}"
                break
            if value:
                found.append(Assignment(name, (name,), value, start, end, lines.line_of(start)))
            position = max(end, match.end() + 1)
        return Parsed(self.format, tuple(found), error)


def _value(text: str, start: int) -> tuple[str, int, bool]:
    """The value starting at `start`, where it ends, and whether its quote was closed."""
    quote = text[start : start + 1]
    if quote in {'"', "'", "`"}:
        position, chars = start + 1, list[str]()
        while position < len(text):
            char = text[position]
            if char == quote:
                return "".join(chars), position + 1, True
            if char == "\\" and quote == '"' and position + 1 < len(text):
                following = text[position + 1]
                chars.append(_DOUBLE_ESCAPES.get(following, "\\" + following))
                position += 2
                continue
            chars.append(char)
            position += 1
        return "", len(text), False
    line_end = text.find("\n", start)
    line_end = len(text) if line_end == -1 else line_end
    raw = text[start:line_end]
    comment = re.search(r"[ \t]#", raw)
    value = (raw[: comment.start()] if comment else raw).rstrip()
    return value, start + len(value), True
