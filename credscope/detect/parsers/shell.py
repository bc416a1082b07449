"""Shell scripts and histories: `NAME=value`, `export NAME=value`, `--token value`, `-H 'Header: value'`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from credscope.detect.lines import LineIndex
from credscope.detect.parsers.base import Assignment, Parsed

_ASSIGN = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:\[[^\]]*\])?\+?=")
_LONG_FLAG = re.compile(r"^--(?P<name>[A-Za-z][\w\-]*)(?:=(?P<value>.*))?$", re.DOTALL)
_HEADER = re.compile(r"^(?P<name>[A-Za-z][\w\-]*):\s*")
_HEADER_FLAGS = frozenset({"-H", "--header"})
_SEPARATORS = frozenset(";|&()<>")


@dataclass(frozen=True)
class _Word:
    text: str  # with quotes removed
    start: int  # offsets of the raw word in the document
    end: int


class ShellParser:
    format = "shell"

    def parse(self, text: str) -> Parsed:
        lines = LineIndex(text)
        found: list[Assignment] = []
        error: str | None = None
        offset = 0
        for line in text.split("\n"):
            line_start, offset = offset, offset + len(line) + 1
            words, closed = _words(line, line_start)
            if not closed:
                # A quote left open usually continues on the next line: judge what we have, note the oddity.
                error = error or f"unterminated quote on line {lines.line_of(line_start)}"
            found.extend(_assignments(words, text, lines))
        return Parsed(self.format, tuple(found), error)


def _assignments(words: list[_Word], text: str, lines: LineIndex) -> list[Assignment]:
    found: list[Assignment] = []

    def add(name: str, value: str, start: int, end: int) -> None:
        if value:
            found.append(Assignment(name, (name,), value, start, end, lines.line_of(start)))

    previous: _Word | None = None
    for word in words:
        raw = text[word.start : word.end]
        if previous is not None and previous.text in _HEADER_FLAGS:
            header = _HEADER.match(word.text)
            if header:
                colon = raw.find(":")
                add(header.group("name"), word.text[header.end() :], word.start + colon + 1, word.end)
        elif (
            previous is not None
            and (flag := _LONG_FLAG.match(previous.text))
            and flag.group("value") is None
            and not word.text.startswith("-")
        ):
            add(flag.group("name"), word.text, word.start, word.end)
        assign = _ASSIGN.match(raw)
        flag_here = _LONG_FLAG.match(word.text)
        if assign:
            add(assign.group("name"), word.text.split("=", 1)[1], word.start + assign.end(), word.end)
        elif flag_here and flag_here.group("value"):
            add(flag_here.group("name"), flag_here.group("value"), word.start + raw.find("=") + 1, word.end)
        previous = word
    return found


def _words(line: str, base: int) -> tuple[list[_Word], bool]:
    """Split one line into words the way the shell would (quotes, escapes, comments), keeping raw spans."""
    words: list[_Word] = []
    position, length = 0, len(line)
    while position < length:
        char = line[position]
        if char.isspace() or char in _SEPARATORS:
            position += 1
            continue
        if char == "#":
            break
        start, chars = position, list[str]()
        while position < length and not (line[position].isspace() or line[position] in _SEPARATORS):
            char = line[position]
            if char in "'\"":
                close = _closing(line, position)
                if close == -1:
                    words.append(_Word("".join(chars) + line[position + 1 :], base + start, base + length))
                    return words, False
                inner = line[position + 1 : close]
                chars.append(inner.replace('\\"', '"') if char == '"' else inner)
                position = close + 1
            elif char == "\\" and position + 1 < length:
                chars.append(line[position + 1])
                position += 2
            else:
                chars.append(char)
                position += 1
        words.append(_Word("".join(chars), base + start, base + position))
    return words, True


def _closing(line: str, opening: int) -> int:
    quote, position = line[opening], opening + 1
    while position < len(line):
        if line[position] == "\\" and quote == '"':
            position += 2
            continue
        if line[position] == quote:
            return position
        position += 1
    return -1
