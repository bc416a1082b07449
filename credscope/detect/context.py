"""What a value is assigned to, read from the text around it, for any language or file format."""

from __future__ import annotations

import re

# The end of a line just before a value: `NAME=`, `NAME: "`, `"NAME": "`, `name := "`, `NAME => '`,
# `--name `, `("NAME", "`, `os.environ["NAME"] = "`, `Authorization: Bearer `.
_ASSIGNMENT = re.compile(
    r"""(?:^|[^\w.\-])(?P<name>[A-Za-z_@$][\w.\-]*)["'`]?\]?\s*"""
    r"""(?:=|:=|:|=>|->|,|\s)\s*\[?\s*["'`]?(?:(?:Bearer|Token|Basic|token|bearer)\s+)?$"""
)
_FLAG = re.compile(r"""(?:^|\s)--?(?P<name>[A-Za-z][\w\-]*)(?:=|\s+)["']?$""")
_LOOKBACK = 160
# How far either side of a value a "line" reaches: a minified file is one line of megabytes, and reading all
# of it for each match would make a scan quadratic in its size.
LINE_WINDOW = 4096


def assigned_name(text: str, start: int) -> str | None:
    """The name the value starting at `start` is assigned to, when the text says so."""
    # Only the lookback window is searched for the line start: the result is the same, the cost bounded.
    line_start = text.rfind("\n", max(0, start - _LOOKBACK), start) + 1
    prefix = text[max(line_start, start - _LOOKBACK) : start]
    if not prefix.strip():
        return None
    flag = _FLAG.search(prefix)
    if flag:
        return flag.group("name")
    match = _ASSIGNMENT.search(prefix)
    if match is None:
        return None
    name = match.group("name").lstrip("$@")
    # `export FOO=`, `set FOO=`, `let foo =`: the keyword is not the name.
    return name or None


def line_bounds(text: str, offset: int) -> tuple[int, int]:
    """The line around `offset`, cut to LINE_WINDOW characters either side of it."""
    low = max(0, offset - LINE_WINDOW)
    high = min(len(text), offset + LINE_WINDOW)
    newline = text.rfind("\n", low, offset)
    end = text.find("\n", offset, high)
    return (low if newline == -1 else newline + 1), (high if end == -1 else end)
