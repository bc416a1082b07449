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


def assigned_name(text: str, start: int) -> str | None:
    """The name the value starting at `start` is assigned to, when the text says so."""
    line_start = text.rfind("\n", 0, start) + 1
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
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    return start, len(text) if end == -1 else end
