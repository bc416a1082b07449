"""Flat key/value stores read line by line, each value with its line: TOML tables, INI sections, Java properties.

The stores these serve keep one credential per key on one line; a full TOML or INI parser would lose the
lines the findings need.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A header's name is taken whole and stripped in code; a part starts only where the header or a '.' does (both
# keep the patterns linear: no lazy group between two \s*, no retry inside a whitespace or name run).
_TABLE = re.compile(r"""^\s*\[([^\[\]]{1,200})\][ \t]*(?:[#;].*)?$""")
_TABLE_PART = re.compile(r"""(?:^|(?<=\.))[ \t]*(?:"([^"]*)"|'([^']*)'|([^."'\s]+))[ \t]*(?:\.|$)""")
_PAIR = re.compile(r"""^\s*(?:"([^"]{1,200})"|([\w.\-]{1,200}))\s*[=:]\s*(.*?)\s*$""")
_QUOTED = re.compile(r"""^(?:"((?:[^"\\]|\\.)*)"|'([^']*)')\s*(?:[#;].*)?$""")


@dataclass(frozen=True)
class KeyValue:
    line: int  # 1-based
    section: str  # the table or section the key sits in, dotted (`registries.internal`); "" at the top
    key: str
    value: str  # unquoted; a value that is not a plain string (a number, an array) as written


def key_values(text: str) -> list[KeyValue]:
    """Every `key = value` (or `key: value`) line, with its table or section (`[a.b]`, `[a."b.c"]`)."""
    found: list[KeyValue] = []
    section = ""
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if not stripped or stripped[0] in "#;!":
            continue
        table = _TABLE.match(line)
        if table is not None:
            section = ".".join(_table_parts(table.group(1).strip()))
            continue
        pair = _PAIR.match(line)
        if pair is not None:
            key = pair.group(1) if pair.group(1) is not None else pair.group(2)
            found.append(KeyValue(number, section, key, _unquoted(pair.group(3))))
    return found


def _table_parts(header: str) -> list[str]:
    return [next(part for part in found.groups() if part is not None) for found in _TABLE_PART.finditer(header)]


def _unquoted(value: str) -> str:
    quoted = _QUOTED.match(value)
    if quoted is None:
        return value
    if quoted.group(2) is not None:
        return quoted.group(2)
    return re.sub(r"\\(.)", r"\1", quoted.group(1))
