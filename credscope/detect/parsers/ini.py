"""INI-like files: `.ini`, `.cfg`, `.properties`, `.pypirc`, `.npmrc`, `~/.aws/credentials`.

`[section]` headers and `key = value` / `key: value` lines; indented lines continue the previous value.
"""

from __future__ import annotations

import re

from credscope.detect.lines import LineIndex
from credscope.detect.parsers.base import Assignment, Parsed

_SECTION = re.compile(r"^\s*\[(?P<section>[^\]\n]*)\]\s*(?:[#;].*)?$")
_ENTRY = re.compile(
    r"^(?:(?P<scoped>//(?:[^=\s]|\s+(?=[^=\s]))*)\s*=|(?P<key>[^=:\s#;!\[](?:[^=:\s]|\s+(?=[^=:\s]))*)\s*(?:=|:))"
    r"\s*(?P<value>(?:\S(?:.*\S)?)?)\s*$"
)
# `//registry.npmjs.org/:_authToken=…`: the registry is context, the part after the colon is the name.
_NPM_SCOPED = re.compile(r"^(?P<registry>//.+):(?P<name>[^:/]+)$")


class IniParser:
    format = "ini"

    def parse(self, text: str) -> Parsed:
        lines = LineIndex(text)
        found: list[Assignment] = []
        section: str | None = None
        error: str | None = None
        offset = 0
        for number, line in enumerate(text.split("\n"), start=1):
            line_start, offset = offset, offset + len(line) + 1
            stripped = line.strip()
            if not stripped or stripped[0] in "#;!" or line[0] in " \t":
                continue
            header = _SECTION.match(line)
            if header:
                section = header.group("section").strip()
                continue
            entry = _ENTRY.match(line.rstrip("\r"))
            if entry is None:
                error = error or f"line {number} is neither a section nor an entry"
                continue
            key, value = (entry.group("key") or entry.group("scoped")).strip(), entry.group("value")
            if not value:
                continue
            name, context = key, {"section": section} if section else {}
            scoped = _NPM_SCOPED.match(key)
            if scoped:
                name, context = scoped.group("name"), {**context, "registry": scoped.group("registry")}
            start = line_start + entry.start("value")
            path = (section, key) if section else (key,)
            found.append(Assignment(name, path, value, start, start + len(value), lines.line_of(start), context))
        return Parsed(self.format, tuple(found), error)
