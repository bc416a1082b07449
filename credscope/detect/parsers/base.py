"""What every format parser yields: assignments of values to names, with their place in the original text."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

# Structured parsing is for judging matches, not for reading everything: beyond this a file is read line by line.
MAX_PARSE_CHARS = 4_000_000
# Source code is parsed with tree-sitter, whose tree takes some 45 bytes per byte of text: a 3 MB bundle costs a
# worker 150 MB. Larger source files (bundles, generated code) take their names from the line, as windows do.
MAX_SOURCE_PARSE_CHARS = 1_000_000


@dataclass(frozen=True)
class Assignment:
    """A value and what it is assigned to.

    `start`/`end` delimit the value in the original document text (quotes included where the format has
    them), so a rule match can be placed inside it by offset.
    """

    name: str  # the leaf name rules' `names` regexes look at: `POSTGRES_PASSWORD`, `aws_secret_access_key`
    path: tuple[str, ...]  # the full key path: ("services", "db", "environment", "POSTGRES_PASSWORD")
    value: str  # the decoded value (escapes resolved)
    start: int
    end: int
    line: int
    # Facts around the value worth reporting: compose service, Kubernetes Secret, MCP server, registry.
    context: Mapping[str, str] = field(default_factory=dict)

    @property
    def key_path(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class Parsed:
    """A parser's answer: what it found, and why it stopped early when the input was malformed."""

    format: str
    assignments: tuple[Assignment, ...] = ()
    error: str | None = None  # set when the text is not valid for the format; assignments may be partial
    # Formats that find the assignment at a span on demand rather than listing them all (source code: a
    # file with one match needs one string resolved, not its thousands): (start, end) -> the outermost
    # assignment whose value holds the span, if any. `assignments` is then empty.
    locate: Callable[[int, int], Assignment | None] | None = field(default=None, compare=False)
    # Strict JSON (read by the standard library: no comments, no trailing commas) that `locate` reads: a string
    # value directly under a key is that key's (context.DocumentContext.json_key).
    strict_json: bool = False


class Parser(Protocol):
    """One file format. `parse` never raises: malformed input comes back as `Parsed.error`."""

    @property
    def format(self) -> str: ...

    def parse(self, text: str) -> Parsed: ...


def leaf_name(path: tuple[str, ...]) -> str:
    """The innermost key that is a name rather than a list index."""
    for key in reversed(path):
        if not key.isdigit():
            return key
    return ""
