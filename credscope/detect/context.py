"""What a value is assigned to: the document's structure when its format parses, else the text around it.

`assigned_name` reads the line before a value and works for any language or format; `DocumentContext`
parses the document once (see `parsers/`) and places a match inside an assigned value by offset.
"""

from __future__ import annotations

import bisect
import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from credscope.detect.parsers.base import Assignment, Parsed

# The end of a line just before a value: `NAME=`, `NAME: "`, `"NAME": "`, `name := "`, `NAME => '`,
# `--name `, `("NAME", "`, `os.environ["NAME"] = "`, `Authorization: Bearer `.
_ASSIGNMENT = re.compile(
    r"""(?:^|[^\w.\-])(?P<name>[A-Za-z_@$][\w.\-]*)["'`]?\]?\s*"""
    r"""(?:=|:=|:|=>|->|,|\s)\s*\[?\s*["'`]?(?:(?:Bearer|Token|Basic|token|bearer)\s+)?$"""
)
_FLAG = re.compile(r"""(?:^|\s)--?(?P<name>[A-Za-z][\w\-]*)(?:=|\s+)["']?$""")
_LOOKBACK = 160
# The last character of a prefix that no match of _FLAG or _ASSIGNMENT holds but as its first (`[^\w.\-]`, `\s`),
# and what follows it, all of which they may hold. Neither can start before it; `^` matches only where a prefix
# starts, never where a search from within it starts. (A class search tries each position: in minified code, a
# name and separator each time.)
_INSIDE_BOTH = r"""\w.\-@$"'`\[\]\s=:>,"""
_OUTSIDE_BOTH = re.compile(f"[^{_INSIDE_BOTH}][{_INSIDE_BOTH}]*$")
# A JSON key and the colon just before a string value's opening quote (`DocumentContext.json_key`).
_JSON_KEY_BEFORE = re.compile(r'(?<!\\)"(?P<key>[^"\\]{1,128})"[ \t\n\r]*:[ \t\n\r]*"\Z')
_QUOTE_OR_ESCAPE = re.compile(r'["\\]')
_AFTER_A_STRING = frozenset(" \t\n\r,:]}")
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
    # Both searches from the last character neither can hold but first: half the time, the same matches.
    outside = _OUTSIDE_BOTH.search(prefix)
    since = outside.start() if outside is not None else 0
    flag = _FLAG.search(prefix, since)
    if flag:
        return flag.group("name")
    match = _ASSIGNMENT.search(prefix, since)
    if match is None:
        return None
    name = match.group("name").lstrip("$@")
    # `export FOO=`, `set FOO=`, `let foo =`: the keyword is not the name.
    return name or None


def line_name_of(text: str, match_start: int, start: int) -> str | None:
    """The name the line gives a match from `match_start` whose secret starts at `start`: before the match, or
    before the secret when nothing is before the match."""
    name = assigned_name(text, match_start)
    if name is None and match_start != start:
        name = assigned_name(text, start)
    return name


def line_bounds(text: str, offset: int) -> tuple[int, int]:
    """The line around `offset`, cut to LINE_WINDOW characters either side of it."""
    low = max(0, offset - LINE_WINDOW)
    high = min(len(text), offset + LINE_WINDOW)
    newline = text.rfind("\n", low, offset)
    end = text.find("\n", offset, high)
    return (low if newline == -1 else newline + 1), (high if end == -1 else end)


# What may stand between the start of an assigned value and a match for the match to *be* the value:
# quotes, a YAML block indicator, an auth scheme.
_VALUE_LEAD = re.compile(r"""\s*(?:[|>][-+0-9]*\s*)?["'`]?\s*(?:(?:Bearer|Token|Basic|token|bearer)\s+)?""")
_BACKWARD_LIMIT = 256


@contextmanager
def _full_collections_held() -> Iterator[None]:
    """No full (oldest-generation) garbage collection for the duration: a parse builds a tree of hundreds of
    thousands of objects that all live until it ends, and each full collection meanwhile walks all of them
    again (measured: 2.5 s of full collections in a sequential scan of the 525 MB corpus, most of them inside
    parses). Young objects are still collected as usual, so the parse's own cyclic garbage does not pile up."""
    young, middle, oldest = gc.get_threshold()
    gc.set_threshold(young, middle, 1_000_000)
    try:
        yield
    finally:
        gc.set_threshold(young, middle, oldest)


class DocumentContext:
    """One document's structured assignments, parsed on first use so only documents with matches pay."""

    def __init__(self, path: str, text: str, *, listed: bool = False) -> None:
        """`listed`: every assignment will be asked for (`assignments`), not only those at matches."""
        self.path = path
        self.text = text
        self._listed = listed
        self._parsed: Parsed | None = None
        self._tried = False
        self._parses: bool | None = None  # whether a parser reads it (asked once)
        self._starts: list[int] = []
        self._sorted: list[Assignment] = []

    @property
    def parsed(self) -> Parsed | None:
        if not self._tried:
            self._tried = True
            from credscope.detect.parsers import parse_document  # noqa: PLC0415 - only flagged documents

            with _full_collections_held():
                self._parsed = parse_document(self.path, self.text, on_demand=not self._listed)
            if self._parsed is not None:
                self._sorted = sorted(self._parsed.assignments, key=lambda a: (a.start, -a.end))
                self._starts = [a.start for a in self._sorted]
        return self._parsed

    @property
    def settled(self) -> bool:
        """Whether naming a match costs no parse: the document was parsed already, or no parser reads it."""
        if self._tried:
            return True
        if self._parses is None:
            from credscope.detect.parsers import parses  # noqa: PLC0415

            self._parses = parses(self.path, self.text)
        return not self._parses

    @property
    def assignments(self) -> tuple[Assignment, ...]:
        parsed = self.parsed
        return parsed.assignments if parsed is not None else ()

    @property
    def error(self) -> str | None:
        """Why the document's format could not be read, when it was read (a match needed it) and could not."""
        parsed = self._parsed
        return f"{parsed.format}: {parsed.error}" if parsed is not None and parsed.error else None

    def assignment_at(self, start: int, end: int) -> Assignment | None:
        """The innermost assignment whose value holds the span."""
        parsed = self.parsed
        if parsed is None:
            return None
        if parsed.locate is not None:
            found = parsed.locate(start, end)
            return found if found is not None and found.start <= start and end <= found.end else None
        index = bisect.bisect_right(self._starts, start)
        for candidate in reversed(self._sorted[max(0, index - _BACKWARD_LIMIT) : index]):
            if candidate.start <= start and end <= candidate.end:
                return candidate
        return None

    def json_key(self, start: int, end: int) -> tuple[str, bool] | None:
        """The key of the string value holding `start`..`end` in strict JSON (`Parsed.strict_json`, parsed here if
        it was not), read from the text alone when it is written directly under one (`"key": "…`); and whether
        the span starts the string. `resolve` then names a match of that span by the key, or, when the span is
        further inside, by the key or by its line (`line_name_of`). None where the text does not say.

        Reading the branch down to it (`locate`) reads every mapping and list on the way, a model's thousands of
        shapes: a match rejected under those names needs none of that. In strict JSON an unescaped quote is never
        inside a string: the last one before `start` (with none in the span) opens or closes one, and one that
        closes a string is followed by a space, a comma, a colon or a bracket. So it opens the value, and the two
        before the colon hold its key, which is the name `locate` gives (a key that is a list index, or a
        `value` beside a `name`, aside)."""
        parsed = self.parsed
        if parsed is None or not parsed.strict_json or start >= end:
            return None
        text = self.text
        quote = text.rfind('"', 0, start)
        if quote < 1 or text[quote + 1] in _AFTER_A_STRING or _QUOTE_OR_ESCAPE.search(text, start, end):
            return None
        # Its key and colon just before it: then nothing escapes it.
        found = _JSON_KEY_BEFORE.search(text, max(0, quote - _LOOKBACK), quote + 1)
        if found is None:
            return None
        key = found.group("key")
        return None if key == "value" or key.isdigit() else (key, quote == start - 1)

    def value_key(self, start: int, end: int) -> str | None:
        """The key `json_key` reads where the span starts its string value: the name `resolve` gives any match
        of the span."""
        found = self.json_key(start, end)
        return found[0] if found is not None and found[1] else None

    def resolve(self, match_start: int, start: int, end: int) -> tuple[str | None, dict[str, str]]:
        """The name a match (whole match from `match_start`, secret `start`..`end`) is assigned to, and context.

        The structure's name wins when the match is the value itself; a match further inside a value
        (`run: curl -H "Authorization: Bearer …"`) keeps the name the line gives, with the key path as context.
        """
        line_name = line_name_of(self.text, match_start, start)
        assignment = self.assignment_at(start, end)
        if assignment is None:
            return line_name, {}
        context = dict(assignment.context)
        if len(assignment.path) > 1:
            context["key_path"] = assignment.key_path
        lead_end = match_start if match_start >= assignment.start else start
        if _VALUE_LEAD.fullmatch(self.text, assignment.start, lead_end) or line_name is None:
            return assignment.name or line_name, context
        return line_name, context
