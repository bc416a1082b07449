"""HCL (`*.tf`, `*.tfvars`, `*.hcl`): attributes, nested blocks and object values, with offsets.

python-hcl2 builds values but drops their positions, which is the one thing judging a match needs; this
tolerant scanner keeps them and never gives up on a file, only on a statement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from credscope.detect.lines import LineIndex
from credscope.detect.parsers.base import Assignment, Parsed

_TOKEN = re.compile(
    r"""(?P<space>[ \t\r]+|\\\n)
    |(?P<comment>\#[^\n]*|//[^\n]*|/\*.*?(?:\*/|\Z))
    |(?P<newline>\n)
    |(?P<heredoc><<-?(?P<tag>[A-Za-z_]\w*)[ \t\r]*\n(?P<body>.*?)(?:^[ \t]*(?P=tag)[ \t]*$|\Z))
    |(?P<string>"(?:[^"\\\n]|\\(?:.|\Z))*(?:"|(?=\n)|\Z))
    |(?P<ident>[A-Za-z_][\w\-.]*)
    |(?P<punct>[{}\[\]=:,()])
    |(?P<other>.)""",
    re.VERBOSE | re.DOTALL | re.MULTILINE,
)


_MAX_DEPTH = 128


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    start: int
    end: int


class HclParser:
    format = "hcl"

    def parse(self, text: str) -> Parsed:
        tokens = [_Token(_kind(m), m.group(), *m.span()) for m in _TOKEN.finditer(text)]
        tokens = [t for t in tokens if t.kind not in {"space", "comment"}]
        lines = LineIndex(text)
        found: list[Assignment] = []
        # Each open brace or bracket pushes the path it stands for; `None` marks a list.
        stack: list[tuple[tuple[str, ...], str]] = []
        path: tuple[str, ...] = ()
        statement: list[_Token] = []
        error: str | None = None
        for token in tokens:
            if token.kind == "newline" or (token.kind == "punct" and token.text == ","):
                statement = []
                continue
            if token.kind == "punct" and token.text in "{[":
                if len(stack) >= _MAX_DEPTH:
                    error = "nested too deeply"
                    break
                stack.append((path, token.text))
                path = (*path, *_labels(statement, token.text))
                statement = []
                continue
            if token.kind == "punct" and token.text in "}]":
                if not stack:
                    error = error or f"unbalanced '{token.text}' on line {lines.line_of(token.start)}"
                    continue
                path, _ = stack.pop()
                statement = []
                continue
            if token.kind in {"string", "heredoc"}:
                key = _assigned(statement)
                # A string in a list belongs to the list's name: `ips = ["a", "b"]`.
                in_list = bool(stack) and stack[-1][1] == "[" and bool(path) and path[-1] != "[]"
                name = key or (path[-1] if in_list else None)
                value = _unquote(token)
                if name and value:
                    full = (*path, key) if key else path
                    found.append(Assignment(name, full, value, token.start, token.end, lines.line_of(token.start)))
            statement.append(token)
        if stack and error is None:
            error = "unclosed block at end of file"
        return Parsed(self.format, tuple(found), error)


def _kind(match: re.Match[str]) -> str:
    # The heredoc's inner groups (tag, body) must not name the token.
    return "heredoc" if match.group("heredoc") is not None else str(match.lastgroup)


def _assigned(statement: list[_Token]) -> str | None:
    """`name =` or `"name" :` just before the value."""
    if len(statement) >= 2 and statement[-1].kind == "punct" and statement[-1].text in "=:":
        key = statement[-2]
        if key.kind == "ident":
            return key.text
        if key.kind == "string":
            return _unquote(key)
    return None


def _labels(statement: list[_Token], opener: str) -> tuple[str, ...]:
    """What an opening brace belongs to: `name = {`, or a block `resource "type" "name" {`."""
    named = _assigned(statement)
    if named:
        return (named,)
    if opener == "[":
        return ("[]",)
    return tuple(_unquote(t) if t.kind == "string" else t.text for t in statement if t.kind in {"ident", "string"})


def _unquote(token: _Token) -> str:
    if token.kind == "heredoc":
        body = token.text.split("\n", 1)[1] if "\n" in token.text else ""
        return body.rsplit("\n", 1)[0]
    inner = token.text[1:-1]
    return inner.replace('\\"', '"').replace("\\\\", "\\")
