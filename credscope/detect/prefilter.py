"""Which rules can match a document: one multi-pattern pass over its raw bytes before any Python regex runs.

A rule is a candidate for a document when one of its keywords occurs in the bytes (ASCII case-insensitive; a
rule without keywords always passes that step) and its pattern matches somewhere in the decoded text. Both
paths compute exactly that set:

* with Hyperscan, one scan of the document's view (detect/byte_view.py: one byte per character, ASCII as it
  is, on which each rule's pattern is rewritten to match wherever it matches in the text) reports every
  keyword and every rule whose pattern *may* match (Hyperscan's prefilter mode over-approximates, never
  misses); only rules that pass both are confirmed with the rule's own Python regex. A document without a
  view (not UTF-8) is scanned as bytes, its pattern hits trusted only when they are ASCII;
* without it (not installed, or a small document where importing and loading it would cost more than it
  saves), keywords are looked up with `in` and every keyword hit is confirmed with the Python regex.

The detector asks for the unconfirmed set (`select`): it runs each pattern over the text once anyway, and
for nearly every rule only in windows around the match ends Hyperscan reported (see `_windows`): stretches
as wide as the rule's longest match for bounded rules, the text between two characters no match consumes
for unbounded ones, whole lines for the rest of the line-local ones. Rules whose lookarounds Hyperscan
cannot run are given to it with those lookarounds turned into characters it consumes (`consuming_source`),
so that a long base64 run is one match end, not one per character. A rule that needs a name is left out of
a document where nothing could give it one (`Prefilter._nameable`). Hyperscan runs in two stages: rules
whose patterns hold no literal of a few characters (wide character classes, the costliest patterns for it)
are scanned only in documents holding one of their keywords, in one database per set of keywords.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, NamedTuple

from credscope.cache import read_cache, write_cache
from credscope.catalogue import Rule
from credscope.detect import byte_view, regex_shape
from credscope.detect.byte_view import UTF8_EXPRESSION, document_view, set_body, view_source
from credscope.detect.regex_shape import (
    Extent,
    ascii_exact,
    assertion_reach,
    line_local,
    literal_anchor,
    mandatory_runs,
    match_extent,
    never_consumed,
)

# Below this many bytes seen by one prefilter, the pure-Python path is cheaper than importing Hyperscan and
# loading its database (the pre-commit case: a handful of small staged files).
HYPERSCAN_AFTER_BYTES = 256 * 1024
# Bytes on which Hyperscan's byte-level view of a pattern can differ from Python's str regex: non-ASCII
# (\w, \d, \s and case folding are Unicode-aware in `re`) and \x1c-\x1f, which `re` counts as whitespace.
_UNSAFE_BYTES = rb"[\x1c-\x1f\x80-\xff]"
_UNSAFE_ID = 0
_CACHE_VERSION = b"credscope-prefilter-15"
# Literal characters every match of a rule must contain for Hyperscan to report each of its match ends.
_WINDOW_ANCHOR = 3
# Counted repetitions wider than this are handed to Hyperscan open-ended (see `hyperscan_source`).
_WIDEST_COUNT = 16
_COUNTED = re.compile(r"\{(\d*),(\d+)\}")
# How far from a value the text that names it can stand, for a rule that accepts a match only under a name
# (`requires_name`): a match with neither its `names` pattern nor its `near` pattern within reach is dropped
# before it is filtered or its document parsed for names (detect/engine.py `_may_be_named`). A key and its
# value, a variable and its string, a name/value pair's two halves stand far closer; a value 2 KiB past its
# key is not judged by it. The dense databases of such rules read only that far around their names
# (`_DenseGroup`).
NAME_REACH = 2048


class Prefilter:
    """Compiled once per process (per Detector); `candidates` is safe to call for many documents."""

    def __init__(
        self,
        rules: Sequence[Rule],
        *,
        use_hyperscan: bool | None = None,
        literals: Sequence[bytes] = (),
        located: Sequence[bytes] = (),
    ) -> None:
        self.rules = tuple(rules)
        # Case-sensitive byte strings the caller wants to know about (found in the same pass when Hyperscan runs).
        self.literals = tuple(literals)
        # Those of them (ASCII) whose every occurrence the caller wants, where Hyperscan reads the document as
        # characters: `Selection.located`.
        self._located = tuple(literal for literal in located if literal in self.literals and literal.isascii())
        # Those a document's view cannot hold (it has one byte for every non-ASCII character): looked up in its bytes.
        self._wide_literals = tuple(literal for literal in self.literals if not literal.isascii())
        self._keywords: tuple[bytes, ...] = tuple(sorted({k.encode() for rule in self.rules for k in rule.keywords}))
        keyword_index = {keyword: index for index, keyword in enumerate(self._keywords)}
        # For each rule, the indices of its keywords; empty means "no keyword step".
        self._rule_keywords: tuple[frozenset[int], ...] = tuple(
            frozenset(keyword_index[k.encode()] for k in rule.keywords) for rule in self.rules
        )
        # The same, inverted: per document only the keywords found are looked at, not every rule.
        self._always = frozenset(index for index, keywords in enumerate(self._rule_keywords) if not keywords)
        by_keyword: list[list[int]] = [[] for _ in self._keywords]
        for index, keywords in enumerate(self._rule_keywords):
            for keyword in keywords:
                by_keyword[keyword].append(index)
        self._rules_by_keyword = tuple(tuple(indices) for indices in by_keyword)
        self._use_hyperscan = use_hyperscan
        self._seen_bytes = 0
        self._engine: _HyperscanEngine | None = None
        self._engine_failed = False

    def __getstate__(self) -> dict[str, Any]:
        # Sent to worker processes: each loads its own Hyperscan database (from the cache) when it needs one.
        return {**self.__dict__, "_engine": None, "_engine_failed": False}

    def warm(self) -> None:
        """Load the Hyperscan database now, for a large scan whose workers will be forked from this process."""
        if self._use_hyperscan is not False:
            self._seen_bytes = max(self._seen_bytes, HYPERSCAN_AFTER_BYTES)
            self._hyperscan()

    @property
    def engine(self) -> str:
        """Which path the last large document took: "hyperscan" or "python"."""
        return "hyperscan" if self._engine is not None else "python"

    def candidates(self, content: bytes, path: str | None = None) -> list[int]:
        """Indices into `rules` of the rules that match somewhere in `content`, in rule order.

        With `path`, rules restricted to other paths are left out before any pattern runs.
        """
        return self._confirmed(set(self.select(content, path, nameable=False).rules), content)

    def select(self, content: bytes, path: str | None = None, *, nameable: bool = True) -> Selection:
        """The rules that *may* match in `content` (in rule order), where some of them may, and the literals in it.

        For the caller that runs each pattern itself (a search to confirm first would read the text twice for
        every rule that does match). The mapping holds, for rules whose matches stay on one line and contain
        a literal (see detect/regex_shape.py), the lines to run them over: sorted `(start, end)` character
        spans of the decoded text, each a whole line with its newline. They are the lines where Hyperscan saw
        a match of the rule end and, in a document with bytes on which Hyperscan's view may differ from
        Python's, every line holding such a byte (on every other line the two views agree).

        Hyperscan reads the document's view (detect/byte_view.py) when it has one: one byte per character of
        the text, on which the rules' rewritten patterns see everything Python's see. Only a document without
        one (not UTF-8) is read as bytes, with the care described above.
        """
        self._seen_bytes += len(content)
        engine = self._hyperscan() if self._wants_hyperscan() else None
        if engine is None:
            found = frozenset(literal for literal in self.literals if literal in content)
            return Selection(sorted(self._python_candidates(content, path)), {}, found)
        view = document_view(content, engine.utf8)
        scanned = content if view is None else view
        raw_text: list[bool] = []  # names_are_raw_text, asked at most once

        def names_raw(unsafe_bytes: bool) -> bool:
            # Whether `nearby` may place this document's names (see `names_located`): asked by the scan before the
            # dense databases when one of them may read only around names, and below.
            if path is None or (unsafe_bytes and view is None):
                return False
            if not raw_text:
                raw_text.append(names_are_raw_text(path, content))
            return raw_text[0]

        keyword_hits, maybe_rules, ends, literal_hits, unsafe, placed, starts = engine.scan(
            scanned, names_raw if nameable else None
        )
        # On a view, offsets are the text's characters; on bytes (not UTF-8), the caller looks for itself.
        located = starts if view is not None else None
        # On the view every rewritten pattern matches wherever its rule does, and offsets are characters.
        unsafe = unsafe and view is None
        scale = 1 if view is not None else 4  # an ASCII document is its own view
        literals = frozenset(self.literals[index] for index in literal_hits)
        if view is not None and view is not content:
            literals |= {literal for literal in self._wide_literals if literal in content}
        possible = self._with_keywords(keyword_hits)
        if not unsafe:
            possible = {index for index in possible if index in maybe_rules or index not in engine.prefiltered}
        chosen = sorted(self._for_path(possible, path))
        # Whether every name a match can be given is text of the document as written: asked once, and only of a
        # document where a rule that needs a name may run.
        named = nameable and not unsafe and any(index in engine.namers for index in chosen)
        raw_names = named and (path is None or names_raw(unsafe))
        if raw_names:
            chosen = self._nameable(chosen, engine, engine.names_present(chosen, scanned, placed))
        locatable = raw_names and path is not None
        planned = [index for index in chosen if index in engine.plans]
        # The view stays with the selection only while `nearby` may read it, and then only as the bytes it is
        # made from: one that is not the bytes themselves is as long as the text, and would be held while the text
        # is decoded (a bundle's worker peaks then). `nearby` makes it again when it reads it.
        kept = _View(content, translated=view is not None and view is not content) if locatable else _NO_VIEW
        placed = placed if locatable else {}
        if not planned:
            return Selection(chosen, {}, literals, locatable, kept, placed, located)
        windows = _windows(scanned, planned, engine.plans, ends, unsafe, scale)
        return Selection(chosen, windows, literals, locatable, kept, placed, located)

    def nearby(self, index: int, selection: Selection) -> Nearby | None:
        """Where rule `index`'s `names` and `near` patterns end in the document, for a selection that has
        `names_located` (None when Hyperscan does not hold both patterns of the rule)."""
        engine = self._engine
        if engine is None or index not in engine.namers:
            return None
        placed = selection.placed.get(index)
        return placed if placed is not None else engine.nearby(index, self.rules[index], selection.view())

    def _nameable(self, chosen: list[int], engine: _HyperscanEngine, found: set[int]) -> list[int]:
        """`chosen` without the rules that accept a match only under a name (`requires_name`) when nothing in the
        document can give one: neither their `names` nor their `near` pattern occurs anywhere in it.

        Every name a match can be given is text of the document: a key, an identifier, a variable, the `name`
        of a name/value pair, a flag, the text before the value on its line. That holds for the text as it is
        (read through its view, on which each `names` pattern matches wherever it matches in the text) unless
        a format decodes escapes in names (JSON, YAML, TOML, ... with a backslash in the document) or may fold
        lines into a name (YAML with a `name` key or an explicit key): those keep every rule, and the caller does
        not ask (`names_are_raw_text`).
        Hyperscan looks for each `names` pattern without its anchors, ignoring case, anywhere.
        """
        unnameable = [index for index in chosen if index in engine.namers and not engine.namers[index] & found]
        if not unnameable:
            return chosen
        dropped = set(unnameable)
        return [index for index in chosen if index not in dropped]

    def _for_path(self, possible: set[int], path: str | None) -> set[int]:
        if path is None:
            return possible
        return {index for index in possible if (paths := self.rules[index].paths) is None or paths.search(path)}

    def _wants_hyperscan(self) -> bool:
        if self._use_hyperscan is False or self._engine_failed:
            return False
        return self._use_hyperscan is True or self._seen_bytes >= HYPERSCAN_AFTER_BYTES

    def _hyperscan(self) -> _HyperscanEngine | None:
        if self._engine is None and not self._engine_failed:
            try:
                self._engine = _HyperscanEngine(self.rules, self._keywords, self.literals, self._located)
            except ImportError:
                self._engine_failed = True
        return self._engine

    def _python_candidates(self, content: bytes, path: str | None) -> set[int]:
        lowered = content.lower()
        hits = {index for index, keyword in enumerate(self._keywords) if keyword in lowered}
        return self._for_path(self._with_keywords(hits), path)

    def _with_keywords(self, keyword_hits: set[int]) -> set[int]:
        """Rules without keywords, and rules with one of the keywords found."""
        possible = set(self._always)
        for keyword in keyword_hits:
            possible.update(self._rules_by_keyword[keyword])
        return possible

    def _confirmed(self, possible: set[int], content: bytes) -> list[int]:
        if not possible:
            return []
        text = content.decode("utf-8", "surrogateescape")
        return [index for index in sorted(possible) if self.rules[index].pattern.search(text) is not None]


# (start, stop, endpos) in the decoded text: the rule's regex runs from `start` with `endpos` as the end of the
# text, and only its matches starting before `stop` count. Sorted and disjoint.
Spans = list[tuple[int, int, int]]


class _View:
    """A document's view (detect/byte_view.py), made from its bytes when first asked for and then kept: the bytes
    themselves when `translated` is false (ASCII, or not UTF-8 and read as bytes)."""

    __slots__ = ("_content", "_view")

    def __init__(self, content: bytes, *, translated: bool) -> None:
        self._content = content
        self._view = None if translated else content

    def __call__(self) -> bytes:
        if self._view is None:
            self._view = document_view(self._content, _known_utf8)
            assert self._view is not None
        return self._view

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _View) and self() == other()

    def __hash__(self) -> int:
        return hash(self())


def _known_utf8(_: bytes) -> bool:
    return True  # a document whose view was made once: Hyperscan told it is UTF-8


_NO_VIEW = _View(b"", translated=False)


class Selection(NamedTuple):
    """What one pass over a document's bytes says: see `Prefilter.select`."""

    rules: list[int]
    windows: Mapping[int, Spans]
    literals: frozenset[bytes]
    # Whether `Prefilter.nearby` may place the names of this document's matches: every name is text of the
    # document as written, and Hyperscan reads it as Python does (its view: byte offsets are character offsets).
    names_located: bool = False
    # What Hyperscan read, for `Prefilter.nearby` (empty unless `names_located`): the document's view
    # (detect/byte_view.py), made again when first read if it is not the document's bytes.
    view: Callable[[], bytes] = _NO_VIEW
    # The rules whose names were placed already, to choose where their dense database reads (`_DenseGroup`).
    placed: Mapping[int, Nearby] = {}
    # Where each located literal (`Prefilter`'s `located`) found starts, as character offsets of the text, sorted;
    # None where Hyperscan did not read the document as characters (the caller looks for them itself).
    located: Mapping[bytes, Sequence[int]] | None = None


class Nearby(NamedTuple):
    """Where Hyperscan saw a rule's `names` pattern (loosely: anywhere, any case) and its `near` pattern end,
    as byte offsets, sorted; None for a pattern the rule does not have."""

    names: Sequence[int] | None
    near: Sequence[int] | None


class Plan(NamedTuple):
    """How Hyperscan's match ends of one rule become the windows its regex runs in."""

    extent: Extent | None  # bounded matches: a window around each end
    exact: bool  # non-ASCII bytes cannot change its matches (regex_shape.ascii_exact)
    # Unbounded matches: characters no match consumes, so that none crosses one (a window from the one before
    # an end to the one after it), and how far its assertions read past what it consumes.
    barriers: bytes = b""
    around: int = 0
    line_local: bool = False  # the fallback: the whole line of each end


# A rewritten lookaround (see `consuming_source`) moves Hyperscan's match end up to this many bytes past the
# rule's own.
_CONSUMED = 2
# Beyond this many lines (a line-windowed rule) or runs (a bounded one) of bytes on which Hyperscan's view may
# differ from Python's, a rule that such bytes can affect reads the whole text.
_MAX_UNSAFE_LINES = 64
_MAX_UNSAFE_RUNS = 256
_UNSAFE_RUN = re.compile(_UNSAFE_BYTES + b"+")


def _windows(
    content: bytes,
    planned: list[int],
    plans: Mapping[int, Plan],
    ends: Mapping[int, list[int]],
    unsafe: bool,
    scale: int,
) -> dict[int, Spans]:
    """For each planned rule, where its matches can be, as character spans of the decoded text.

    Bounded rules (every match at most `width` characters, its assertions reading at most `around` more): a
    match ends at one of Hyperscan's ends (its view is a superset of the rule's), so it lies in the
    `width` characters before one; the windows are those stretches, merged. A scan from a window's start
    finds what the scan of the whole text finds there: no match crosses into a window from outside it, and a
    match starting before its stop reads at most `width + around` characters, all before its endpos. A rule
    that non-ASCII bytes can affect also gets a window around every run of them (too many runs: the whole
    text). Other rules get the whole lines holding an end, and every line holding such a byte.

    `scale`: the most bytes of `content` one character takes, 1 for a view or ASCII (offsets are characters),
    4 for UTF-8 bytes (offsets are moved onto characters at the end).
    """
    unsafe_runs: list[list[tuple[int, int]] | None] = [] if unsafe else [[]]  # computed once, when needed

    def runs() -> list[tuple[int, int]] | None:
        if not unsafe_runs:
            unsafe_runs.append(_unsafe_runs(content))
        return unsafe_runs[0]

    lines: set[tuple[int, int]] | None = set() if not unsafe else None
    spans: dict[int, list[tuple[int, int, int]]] = {}
    for index in planned:
        plan = plans[index]
        found = ends.get(index, ())
        if plan.extent is None and plan.barriers and (plan.exact or runs() is not None):
            spans[index] = _between_barriers(content, found, plan, scale, [] if plan.exact else runs() or [])
            continue
        if plan.extent is None:
            if not plan.line_local:
                continue  # the whole text
            if lines is None:
                lines = _unsafe_lines(content)
                if lines is None:
                    lines = {(0, len(content))}  # too many: the whole text, as one line
            spans[index] = [(start, end, end) for start, end in sorted(lines | _lines_at(content, found))]
            continue
        if not plan.exact and runs() is None:
            continue  # too many runs of non-ASCII bytes: the whole text
        back = scale * (plan.extent.width + _CONSUMED)
        margin = scale * (plan.extent.width + plan.extent.around + _CONSUMED)
        reach = scale * (plan.extent.width + plan.extent.around + 1)
        stretches = [(max(0, end - back), end) for end in found]
        if not plan.exact and runs():
            stretches += [(max(0, low - margin), min(len(content), high + margin)) for low, high in runs() or []]
            stretches.sort()
        spans[index] = [(low, high, min(len(content), high + reach)) for low, high in _merged(stretches)]
    if scale == 1:
        return spans
    # Moved onto characters, two windows a few bytes apart may touch: joined again, as in byte offsets.
    return {index: _joined(windows) for index, windows in _as_characters(content, spans).items()}


def _joined(windows: Spans) -> Spans:
    joined: Spans = []
    for start, stop, endpos in windows:
        if joined and start <= joined[-1][1]:
            last = joined[-1]
            joined[-1] = (last[0], max(last[1], stop), max(last[2], endpos))
        else:
            joined.append((start, stop, endpos))
    return joined


def _between_barriers(
    content: bytes, ends: Sequence[int], plan: Plan, scale: int, runs: list[tuple[int, int]]
) -> list[tuple[int, int, int]]:
    """Windows for an unbounded rule from the barriers around each match end (see `Plan`).

    A match ending at `end` starts after the last barrier before it, and no match starting before a window's
    stop consumes past the first barrier at or after it: that barrier, plus what assertions read, is the
    window's endpos. A rule that non-ASCII bytes can affect also gets, around each run of them (`runs`), the
    stretch from the barrier before to the barrier after (what its assertions read included). Barriers are
    ASCII, so byte offsets of them are offsets of characters too.
    """
    barriers = _each_byte(plan.barriers)
    stretches: list[tuple[int, int]] = []
    floor = 0  # the barriers before an earlier window's stop are not looked for again
    for end in ends:
        # The match consumed everything from its start up to at least `end - _CONSUMED` (a rewritten lookahead may
        # have consumed a barrier after it): the barrier before it is the last one before that.
        before = max(floor, end - _CONSUMED)
        low = max(floor, max(content.rfind(barrier, floor, before) for barrier in barriers) + 1)
        if stretches and low <= stretches[-1][1]:
            stretches[-1] = (stretches[-1][0], end)
        else:
            stretches.append((low, end))
        floor = end
    reach = scale * plan.around
    for first, last in runs:
        low = max(content.rfind(barrier, 0, max(0, first - reach)) for barrier in barriers) + 1
        after = [found for barrier in barriers if (found := content.find(barrier, last + reach)) >= 0]
        stretches.append((low, min(after) + 1 if after else len(content)))
    if runs:
        stretches.sort()
    result = []
    for low, stop in _merged(stretches):
        after = [found for barrier in barriers if (found := content.find(barrier, max(0, stop - 1))) >= 0]
        endpos = min(after) + 1 if after else len(content)
        result.append((low, stop, min(len(content), endpos + reach + 1)))
    return result


def _each_byte(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


def _merged(stretches: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted (start, end) stretches with those that overlap or touch joined."""
    merged: list[tuple[int, int]] = []
    for low, high in stretches:
        if merged and low <= merged[-1][1]:
            if high > merged[-1][1]:
                merged[-1] = (merged[-1][0], high)
        else:
            merged.append((low, high))
    return merged


def _unsafe_runs(content: bytes) -> list[tuple[int, int]] | None:
    """The runs of _UNSAFE_BYTES, or None when there are too many to be worth it."""
    runs: list[tuple[int, int]] = []
    for found in _UNSAFE_RUN.finditer(content):
        runs.append(found.span())
        if len(runs) > _MAX_UNSAFE_RUNS:
            return None
    return runs


def _line_of(content: bytes, offset: int) -> tuple[int, int]:
    start = content.rfind(b"\n", 0, offset) + 1
    end = content.find(b"\n", offset)
    return start, len(content) if end == -1 else end + 1


def _lines_at(content: bytes, ends: Sequence[int]) -> set[tuple[int, int]]:
    """The lines holding the last character of matches ending at `ends` (sorted), each once."""
    lines: set[tuple[int, int]] = set()
    covered = -1
    for end in ends:
        last = max(0, end - 1)
        if last < covered:
            continue
        line = _line_of(content, last)
        lines.add(line)
        covered = line[1]
    return lines


def _unsafe_lines(content: bytes) -> set[tuple[int, int]] | None:
    """The lines holding a byte of _UNSAFE_BYTES, or None when there are too many to be worth it."""
    lines: set[tuple[int, int]] = set()
    position = 0
    while (found := _UNSAFE_SEARCH(content, position)) is not None:
        line = _line_of(content, found.start())
        lines.add(line)
        if len(lines) > _MAX_UNSAFE_LINES:
            return None
        position = line[1]
    return lines


_UNSAFE_SEARCH = re.compile(_UNSAFE_BYTES).search


def _as_characters(content: bytes, spans: Mapping[int, list[tuple[int, int, int]]]) -> dict[int, Spans]:
    """Byte offsets as character offsets of the text decoded with surrogateescape.

    A window's start moves back and its other ends forward to the start of a character, so that the text
    decoded up to each boundary is the same whether the whole document is decoded or only that far: a window
    only grows. (Whole lines split cleanly already: no UTF-8 sequence holds a newline byte.)
    """
    boundaries: dict[int, int] = {}
    for windows in spans.values():
        for start, stop, endpos in windows:
            boundaries[start] = _char_boundary(content, start, -1)
            boundaries[stop] = _char_boundary(content, stop, 1)
            boundaries[endpos] = _char_boundary(content, endpos, 1)
    characters: dict[int, int] = {}
    decoded = previous = 0
    for offset in sorted(set(boundaries.values())):
        decoded += len(content[previous:offset].decode("utf-8", "surrogateescape"))
        characters[offset] = decoded
        previous = offset
    return {
        index: [
            (characters[boundaries[start]], characters[boundaries[stop]], characters[boundaries[endpos]])
            for start, stop, endpos in windows
        ]
        for index, windows in spans.items()
    }


def _char_boundary(content: bytes, offset: int, step: int) -> int:
    """`offset`, moved by `step` off UTF-8 continuation bytes (at most 3): the start of a character."""
    for _ in range(3):
        if 0 < offset < len(content) and 0x80 <= content[offset] < 0xC0:
            offset += step
    return offset


# Names are placed for a dense database only while there are fewer than one in this many reaches of the text.
_FEW_NAMES = 8
# How many rules' databases of names a process keeps loaded (`_HyperscanEngine._nearby`; loading one again costs
# some 40 µs), and how large one with its names' bounds kept may be (`_nearby_serialised`).
_LOADED_NAMERS = 16
_BOUNDED_MOST = 64 * 1024
# The shortest run of one character set worth a dense rule's gate (`_gates`): twelve hexadecimal digits in a row
# (a UUID's last part) are in most large documents, and Hyperscan reads them at half the speed of longer runs.
_GATE_RUN = 16


@dataclass(slots=True)
class _DenseGroup:
    """One dense database: the keyword ids whose presence calls for it (None: its rules have none, it always
    runs), and for each of its rules, when every one keeps only matches near their names, how far from an end
    of its `names` and of its `near` pattern (-1: none) such a match can reach (`_HyperscanEngine._reaches`).

    In a document whose names `nearby` places, such a database may read only within reach of them: with
    `aws.?secret|secret.?access.?key|…` found twice in a megabyte of JSON, a few kilobytes. Placing the names
    costs a scan of its own, and saves looking for them again: whether the document holds any (`names_present`)
    and where, for the matches to judge (`nearby`). Names standing every few kilobytes are not placed, and the
    whole text is read (`_scan_around_names`). Both ways lead to the same findings: read around the names, only
    matches `_may_be_named` would drop are missed; only the time differs.
    """

    wanted: frozenset[int] | None
    database: Any
    reaches: tuple[tuple[int, int, int], ...]
    # The gates (by position) of which one must pass for the database to read a document (None: some rule of it
    # has none, and it always reads): each of its rules' matches holds one of the runs they look for (`_gates`).
    gates: tuple[int, ...] | None


def _positions(groups: Sequence[Sequence[int]], base: int) -> dict[int, list[int]]:
    """For each id past `base` in `groups`, the positions of the groups holding it."""
    positions: dict[int, list[int]] = {}
    for position, group in enumerate(groups):
        for pattern_id in group:
            positions.setdefault(pattern_id - base, []).append(position)
    return positions


def _calls(dense: Sequence[_DenseGroup]) -> tuple[tuple[int, ...], dict[int, tuple[int, ...]]]:
    """The dense databases (by position) that always run, and those each keyword id calls for. A document's found
    keywords are a handful and the databases a hundred: asking each database whether the document wants it took
    a fifth of a small document's scan."""
    always: list[int] = []
    calls: dict[int, list[int]] = {}
    for number, group in enumerate(dense):
        if group.wanted is None:
            always.append(number)
        for calling_id in group.wanted or ():
            calls.setdefault(calling_id, []).append(number)
    return tuple(always), {calling_id: tuple(numbers) for calling_id, numbers in calls.items()}


class _HyperscanEngine:
    """Hyperscan block-mode databases, in two stages.

    The first, run over every document: keywords, literals, an unsafe-byte probe and the patterns of rules
    whose every match holds a literal of a few characters (few match ends, cheap for Hyperscan). The dense
    ones hold the other rules' patterns: wide character classes without a literal (`[A-Za-z0-9/+]{40}`), the
    costliest for Hyperscan and useless where none of their keywords is. There is one for each set of
    keywords those rules have, run only over documents where the first found one of them: in real code a
    document needs about a tenth of them. Rules with a `Plan` report every match end (their regex then runs
    in windows around them); the others only whether they may match. Each rule that needs a name has one
    more, of its `names` and `near` patterns (`names_present`).
    """

    def __init__(
        self,
        rules: Sequence[Rule],
        keywords: Sequence[bytes],
        literals: Sequence[bytes] = (),
        located: Sequence[bytes] = (),
    ) -> None:
        import hyperscan  # noqa: PLC0415 - optional and slow to import; small scans never need it

        self._hs: Any = hyperscan
        expressions: list[bytes] = [_UNSAFE_BYTES]
        flags: list[int] = [hyperscan.HS_FLAG_SINGLEMATCH]
        ids: list[int] = [_UNSAFE_ID]
        self._keyword_base = 1
        for index, keyword in enumerate(keywords):
            expressions.append(re.escape(keyword))
            flags.append(hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_SINGLEMATCH)
            ids.append(self._keyword_base + index)
        self._literal_base = self._keyword_base + len(keywords)
        for index, literal in enumerate(literals):
            expressions.append(re.escape(literal))
            flags.append(0 if literal in located else hyperscan.HS_FLAG_SINGLEMATCH)  # every end, or the first
            ids.append(self._literal_base + index)
        # The located literals' ids: their every end is kept, as a windowed rule's are (`_collect`).
        self._located_ids = {
            self._literal_base + index: literal for index, literal in enumerate(literals) if literal in located
        }
        self._rule_base = self._literal_base + len(literals)
        sources = [
            (self._rule_base + index, rule.pattern.pattern, rule.pattern.flags, frozenset(rule.keywords))
            for index, rule in enumerate(rules)
        ]
        fixed = list(zip(ids, expressions, flags, strict=True))
        self._namer_base = self._rule_base + len(rules)
        self._gate_base = self._namer_base + 2 * len(rules)
        # Each rule's `names` and `near` patterns, in a database of their own (see `names_present`).
        by_rule: dict[int, list[tuple[int, bytes, int]]] = {}
        for pattern in _namer_patterns(hyperscan, rules, self._namer_base):
            by_rule.setdefault((pattern[0] - self._namer_base) // 2, []).append(pattern)
        # The same `names` patterns with their bounds kept, for the databases reporting every end (`nearby`).
        bounded = {
            pattern[0]: pattern[1] for pattern in _namer_patterns(hyperscan, rules, self._namer_base, widened=False)
        }
        self._database, grouped, layout, plans, nearby = _load_or_compile(
            hyperscan, fixed, sources, list(by_rule.values()), bounded, self._gate_base - self._rule_base
        )
        base = self._rule_base
        self.prefiltered = frozenset(pattern_id - base for pattern_id in layout.kept)
        self.plans: dict[int, Plan] = {pattern_id - base: plan for pattern_id, plan in plans.items()}
        self._windowed_ids = frozenset(layout.every_match) | frozenset(self._located_ids)
        # By rule index: its names and near patterns reporting every end, for `nearby`: serialised until first used.
        # The most recently used, loaded (`_nearby`): a process that reads many documents places most rules' names,
        # and each loaded database with its scratch would stay with it.
        self._namer_databases: OrderedDict[int, Any] = OrderedDict()
        self._namer_serialised = {(first_id - self._namer_base) // 2: blob for first_id, blob in nearby.items()}
        self._utf8 = _compiled(hyperscan, [(0, UTF8_EXPRESSION, hyperscan.HS_FLAG_SINGLEMATCH)])
        self._utf8.scratch = hyperscan.Scratch(self._utf8)
        keyword_id = {keyword: self._keyword_base + index for index, keyword in enumerate(keywords)}
        self._rules = tuple(rules)
        self._presence_databases: dict[int, Any] = {}  # by rule index: its names and near patterns, whether found
        dense: list[tuple[list[int], Any]] = []
        for group, database in grouped:
            if group[0] < self._namer_base:
                dense.append(([pattern_id - base for pattern_id in group], database))
            elif group[0] < self._gate_base:
                self._presence_databases[(group[0] - self._namer_base) // 2] = database
        # Each a run some dense rules' matches hold (`_gates`, `_has_run`), and by rule index, those of each rule.
        self._gates = [database for group, database in grouped if group[0] >= self._gate_base]
        gates_of = _positions([group for group, _ in grouped if group[0] >= self._gate_base], self._gate_base)
        # For each rule that needs a name: the ids of its `names` and `near` patterns (when Hyperscan took all of
        # them): none found in a document, no match of the rule there can be named.
        accepted = frozenset(layout.optional)
        self.namers: dict[int, frozenset[int]] = {}
        for index, rule in enumerate(rules):
            wanted = _namer_ids(rule, self._namer_base, index)
            if wanted and wanted <= accepted and index in self._presence_databases:
                self.namers[index] = wanted
        self._dense = [self._dense_group(indices, database, keyword_id, gates_of) for indices, database in dense]
        self._dense_always, self._dense_called = _calls(self._dense)
        # Whether a dense database reads a document whose names `nearby` can place only around them (`_DenseGroup`),
        # or the whole text (tests hold both ways to the same findings). Around them, always: on the benchmark's
        # corpora (both CPUs) scans took 1.62 s at 150 MB, 3.36 at 525 MB and 8.36 at 1.7 GB so, against 1.86, 3.91
        # and 9.16 choosing per database by the CPU time each way had taken in the process so far (the whole
        # text's timing left out the names it left to look for later, and a process's first documents decided
        # for the rest), and 4.11 at 525 MB reading the whole text; the history took the same either way.
        self.place_names = True

    def _dense_group(
        self, indices: list[int], database: Any, keyword_id: Mapping[bytes, int], gates_of: Mapping[int, list[int]]
    ) -> _DenseGroup:
        """The dense database of the rules `indices`, with the keyword ids whose presence calls for it (its rules
        share their keywords, `_dense_groups`), how far around their names its rules can be named, and the gates
        of which one must pass (by position in `_gates`: `gates_of`, by rule index)."""
        group_keywords = self._rules[indices[0]].keywords
        calling = frozenset(keyword_id[k.encode()] for k in group_keywords) if group_keywords else None
        gated = all(index in gates_of for index in indices)
        gates = tuple(sorted({gate for index in indices for gate in gates_of[index]})) if gated else None
        return _DenseGroup(calling, database, self._reaches(indices), gates)

    def _reaches(self, indices: Sequence[int]) -> tuple[tuple[int, int, int], ...]:
        """For each rule of a dense database, how far from an end of its `names` and of its `near` pattern (-1:
        it has none) a match it can keep reaches (see `_DenseGroup`); empty unless every rule can be placed so:
        it accepts a match only under a name, `nearby` places its names, and its matches are bounded."""
        reaches = []
        for index in indices:
            rule, plan = self._rules[index], self.plans.get(index)
            if not rule.requires_name or index not in self.namers or plan is None or plan.extent is None:
                return ()
            width = plan.extent.width + plan.extent.around + 2 * _CONSUMED
            near = rule.near.within + width if rule.near is not None else -1
            reaches.append((index, NAME_REACH + width, near))
        return tuple(reaches)

    def utf8(self, content: bytes) -> bool:
        """Whether `content` is UTF-8 (byte_view.UTF8_EXPRESSION), without decoding it."""
        whole: list[int] = []
        self._utf8.scan(content, match_event_handler=_whole, context=whole)
        return bool(whole)

    def names_present(
        self, chosen: Sequence[int], content: bytes, placed: Mapping[int, Nearby] | None = None
    ) -> set[int]:
        """Ids of the `names` and `near` patterns found in `content`: of each chosen rule that needs a name, one at
        least when one of them is there (whether any is, is all `_nameable` asks).

        Each rule's pair is a database of its own, read only for documents where the rule may match: some of
        these patterns are costly for Hyperscan (`(jira|confluence).*(token|key)`), and most documents hold
        none of the rules that need them. Its scan stops at the first one found: in a bundle holding the name,
        often near the start. A rule whose names were `placed` already is not read again."""
        found: set[int] = set()
        placed = placed or {}
        for index in chosen:
            if index not in self.namers:
                continue
            nearby = placed.get(index)
            if nearby is None:
                with suppress(self._hs.ScanTerminated):
                    self._presence_databases[index].scan(content, match_event_handler=_first, context=found)
                continue
            names_id = self._namer_base + 2 * index
            found.update(names_id + offset for offset, ends in enumerate(nearby) if ends)
        return found

    def scan(
        self, content: bytes, names_raw: Callable[[bool], bool] | None = None
    ) -> tuple[set[int], set[int], dict[int, list[int]], set[int], bool, dict[int, Nearby], dict[bytes, list[int]]]:
        """Keyword indices found, rule indices whose pattern may match, the match ends of windowed rules (by rule
        index, sorted), literal indices found, whether the content is unsafe, the names placed (by rule index), and
        where each located literal found starts (sorted offsets).

        `names_raw`: whether `nearby` may place the document's names, given whether it is unsafe (None: never).
        Where it may, a dense database whose every rule keeps only matches near their names may read only
        around them (`_DenseGroup`).
        """
        found: set[int] = set()
        ends: dict[int, list[int]] = {}
        windowed_ids = self._windowed_ids
        context = (found, ends, windowed_ids)
        self._database.scan(content, match_event_handler=_collect, context=context)
        # Taken out before the dense databases add their rules' ends: literal ids are not rule ids.
        located = {self._located_ids[i]: ends.pop(i) for i in self._located_ids if i in ends}
        placed: dict[int, Nearby] = {}
        raw: bool | None = None
        called = self._dense_called
        wanted = set(self._dense_always)
        for pattern_id in found:  # keyword ids among them; the dense databases add rule ids, never keyword ids
            wanted.update(called.get(pattern_id, ()))
        runs: dict[int, bool] = {}
        for index in sorted(wanted):
            group = self._dense[index]
            if group.gates is not None and not any(self._has_run(gate, content, runs) for gate in group.gates):
                continue  # none of its rules' runs is in the document: none of them can match there
            if group.reaches and names_raw is not None:
                if raw is None:
                    raw = names_raw(_UNSAFE_ID in found)
                if raw and self.place_names:
                    self._scan_around_names(group, content, context, placed)
                    continue
            group.database.scan(content, match_event_handler=_collect, context=context)
        keywords = {i - self._keyword_base for i in found if self._keyword_base <= i < self._literal_base}
        literals = {i - self._literal_base for i in found if self._literal_base <= i < self._rule_base}
        rules = {i - self._rule_base for i in found if self._rule_base <= i < self._namer_base}
        windows = {i - self._rule_base: sorted(offsets) for i, offsets in ends.items()}
        starts = {literal: sorted(end - len(literal) for end in offsets) for literal, offsets in located.items()}
        return keywords, rules, windows, literals, _UNSAFE_ID in found, placed, starts

    def _has_run(self, gate: int, content: bytes, runs: dict[int, bool]) -> bool:
        """Whether the run `gate` looks for is in `content`, remembered in `runs` for the document's other rules."""
        known = runs.get(gate)
        if known is None:
            found: set[int] = set()
            with suppress(self._hs.ScanTerminated):
                self._gates[gate].scan(content, match_event_handler=_first, context=found)
            known = runs[gate] = bool(found)
        return known

    def _scan_around_names(
        self,
        group: _DenseGroup,
        content: bytes,
        context: tuple[set[int], dict[int, list[int]], frozenset[int]],
        placed: dict[int, Nearby],
    ) -> None:
        """`group`'s database over the stretches of `content` where its rules can keep a match: within reach of
        an end of their `names` or `near` pattern (`group.reaches`). A match reported from a stretch is
        reported by the whole scan too; one the whole scan reports elsewhere is dropped for want of a name
        (`_may_be_named`), and none at all drops the rule. The whole content when that is most of it."""
        stretches: list[tuple[int, int]] = []
        size = len(content)
        for index, names_reach, near_reach in group.reaches:
            nearby = placed.get(index)
            if nearby is None:
                # Names standing every few kilobytes (a bundle where every `token` follows a `cloudflare`): their
                # stretches would cover most of the text, in thousands of pieces. Not worth placing them all.
                nearby = self._nearby(index, self._rules[index], content, size // (_FEW_NAMES * names_reach) + 8)
                if nearby is None:
                    group.database.scan(content, match_event_handler=_collect, context=context)
                    return
                placed[index] = nearby
            for found_ends, reach in ((nearby.names, names_reach), (nearby.near, near_reach)):
                stretches.extend((max(0, end - reach), min(size, end + reach)) for end in found_ends or ())
        if not stretches:
            return
        merged = _merged(sorted(stretches))
        if sum(high - low for low, high in merged) * 2 > size:
            group.database.scan(content, match_event_handler=_collect, context=context)
            return
        found, ends, windowed_ids = context
        for low, high in merged:
            moved = (found, ends, windowed_ids, low)
            group.database.scan(content[low:high], match_event_handler=_collect_from, context=moved)

    def nearby(self, index: int, rule: Rule, content: bytes) -> Nearby:
        """Where the rule's `names` and `near` patterns end in `content`: a small database of its own (kept in the
        cache entry, loaded on first use), run only over documents where the rule has a match to judge."""
        placed = self._nearby(index, rule, content, None)
        assert placed is not None, "an unbounded reading is never cut short"
        return placed

    def _nearby(self, index: int, rule: Rule, content: bytes, most: int | None) -> Nearby | None:
        """`nearby`, or None once more than `most` ends were seen (the scan stops there)."""
        database = self._namer_databases.get(index)
        if database is not None:
            self._namer_databases.move_to_end(index)
        else:
            serialised = self._namer_serialised.get(index)
            if not serialised:
                # Not in the cache entry (Hyperscan refused to serialise it there): made here, as it would be there.
                base = self._namer_base + 2 * index
                bounded = {i: e for i, e, _ in _namer_patterns(self._hs, [rule], base, widened=False)}
                serialised = _nearby_serialised(self._hs, _namer_patterns(self._hs, [rule], base), bounded)
                self._namer_serialised[index] = serialised  # loaded again if let go
            if serialised:
                database = _loaded(self._hs, serialised)
            else:
                database = _every_end(self._hs, _namer_patterns(self._hs, [rule], self._namer_base + 2 * index))
                database.scratch = self._hs.Scratch(database)
            self._namer_databases[index] = database
            if len(self._namer_databases) > _LOADED_NAMERS:
                self._namer_databases.popitem(last=False)
        names_id = self._namer_base + 2 * index
        ends: dict[int, list[int]] = {}
        wanted = frozenset({names_id, names_id + 1})
        if most is None:
            database.scan(content, match_event_handler=_collect, context=(set(), ends, wanted))
        else:
            try:
                database.scan(content, match_event_handler=_collect_some, context=(ends, [most]))
            except self._hs.ScanTerminated:
                return None
        return Nearby(
            sorted(ends.get(names_id, ())) if rule.names is not None else None,
            sorted(ends.get(names_id + 1, ())) if rule.near is not None else None,
        )


def _collect_some(
    pattern_id: int, start: int, end: int, flags: int, context: tuple[dict[int, list[int]], list[int]]
) -> bool:
    """Every end, by pattern id, until more than `context[1][0]` were seen: then True, which stops the scan."""
    ends, left = context
    ends.setdefault(pattern_id, []).append(end)
    left[0] -= 1
    return left[0] < 0


def _collect_from(
    pattern_id: int,
    start: int,
    end: int,
    flags: int,
    context: tuple[set[int], dict[int, list[int]], frozenset[int], int],
) -> None:
    """`_collect` for a scan of the content from offset `context[3]` on."""
    found, ends, windowed_ids, offset = context
    found.add(pattern_id)
    if pattern_id in windowed_ids:
        ends.setdefault(pattern_id, []).append(offset + end)


def _first(pattern_id: int, start: int, end: int, flags: int, found: set[int]) -> bool:
    """Adds the pattern's id, and stops the scan (True)."""
    found.add(pattern_id)
    return True


def _whole(pattern_id: int, start: int, end: int, flags: int, context: list[int]) -> None:
    context.append(end)


def _collect(
    pattern_id: int,
    start: int,
    end: int,
    flags: int,
    context: tuple[set[int], dict[int, list[int]], frozenset[int]],
) -> None:
    found, ends, windowed_ids = context
    found.add(pattern_id)
    if pattern_id in windowed_ids:
        ends.setdefault(pattern_id, []).append(end)


def _hs_flags(hyperscan: Any, python_flags: int, *, every_match: bool = False) -> int | None:
    if python_flags & re.VERBOSE:
        return None  # Hyperscan's parser does not strip verbose whitespace the way `re` does
    flag: int = hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_ALLOWEMPTY
    if not every_match:
        flag |= hyperscan.HS_FLAG_SINGLEMATCH
    if python_flags & re.IGNORECASE:
        flag |= hyperscan.HS_FLAG_CASELESS
    if python_flags & re.MULTILINE:
        flag |= hyperscan.HS_FLAG_MULTILINE
    if python_flags & re.DOTALL:
        flag |= hyperscan.HS_FLAG_DOTALL
    return flag


def hyperscan_source(source: str) -> str:
    """`source` with every counted repetition wider than _WIDEST_COUNT made open-ended: `{2,256}` becomes `{2,}`.

    Hyperscan unrolls counted repetitions, and nested ones multiply: the bounds that keep the Python patterns
    linear (`(?:[A-Za-z0-9+/]{1,128}\\s{1,64}){2,256}?`) made compiling one rule take minutes. An open bound
    matches a superset, which is all a prefilter needs: the rule's own regex confirms every candidate.
    """
    out: list[str] = []
    index, in_class = 0, False
    while index < len(source):
        char = source[index]
        if char == "\\":
            out.append(source[index : index + 2])
            index += 2
        elif in_class:
            in_class = char != "]"
            out.append(char)
            index += 1
        elif char == "[":
            end = set_body(source, index)
            out.append(source[index:end])
            index, in_class = end, True
        elif char == "{" and (counted := _COUNTED.match(source, index)) is not None:
            low, high = int(counted.group(1) or 0), int(counted.group(2))
            wide = high - low > _WIDEST_COUNT
            out.append({0: "*", 1: "+"}.get(low, f"{{{low},}}") if wide else counted.group())
            index = counted.end()
        else:
            out.append(char)
            index += 1
    return "".join(out)


def _compiles(hyperscan: Any, expression: bytes, flag: int) -> bool:
    """Python-only syntax (conditionals, some escapes) makes Hyperscan refuse a pattern: that rule skips the step."""
    try:
        hyperscan.Database().compile(expressions=[expression], ids=[0], elements=1, flags=[flag])
    except hyperscan.error:
        return False
    return True


_SET = r"\[\^?(?:\\.|[^\\\]])+\]"
_LEADING_LOOKBEHIND = re.compile(r"^(?P<head>(?:\(\?[aiLmsux]+\))?(?:\(\?P<\w+>)?)\(\?<!(?P<set>" + _SET + r")\)")
_LOOKAHEAD_SET = re.compile(_SET)


class _Trailing(NamedTuple):
    start: int  # where `(?![Y])` starts
    set: str  # `[Y]`
    tail: str  # the group ends after it


def _trailing_lookahead(source: str) -> _Trailing | None:
    """The negative lookahead of one set that ends the pattern (only group ends after it), if any."""
    body = source.rstrip(")")  # the lookahead's own `)` went too: it is at `closing`
    if not body.endswith("]") or body.endswith("\\]"):
        return None
    closing = len(body)
    start = body.rfind("(?![", 0, closing)
    if start < 0 or not _LOOKAHEAD_SET.fullmatch(source, start + 3, closing):
        return None
    return _Trailing(start, source[start + 3 : closing], source[closing + 1 :])


def consuming_source(source: str) -> str:
    """`source` with a leading `(?<![X])` and a trailing `(?![Y])` turned into characters Hyperscan consumes.

    Hyperscan's prefilter mode drops lookarounds: `(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}` reporting every match
    end would report one for each character of a long base64 run. As `(?:^|[^A-Za-z0-9/+])[A-Za-z0-9/+]{40}`
    it reports one per run at most. The rewritten pattern still matches wherever the rule does (the character
    before a match is either absent or outside the set); its ends lie at most `_CONSUMED` bytes past the rule's.
    """
    leading = _LEADING_LOOKBEHIND.match(source)
    if leading is not None:
        source = f"{leading.group('head')}(?:^|{_complement(leading.group('set'))})" + source[leading.end() :]
    trailing = _trailing_lookahead(source)
    if trailing is not None:
        source = source[: trailing.start] + f"(?:{_complement(trailing.set)}|$){trailing.tail}"
    return source


def _asserts_membership(source: str) -> bool:
    """Whether `consuming_source` turns a lookaround of `source` into a positive set."""
    leading, trailing = _LEADING_LOOKBEHIND.match(source), _trailing_lookahead(source)
    return bool(
        (leading is not None and leading.group("set").startswith("[^"))
        or (trailing is not None and trailing.set.startswith("[^"))
    )


def _complement(character_set: str) -> str:
    """`[X]` as `[^X]`, `[^X]` as `[X]`."""
    if character_set.startswith("[^"):
        return "[" + character_set[2:]
    return "[^" + character_set[1:]


# Characters to cut an unbounded rule's windows at, most frequent in code first, when no match consumes them.
_BARRIERS = b"\n \"',;(){}<>\\"
_MOST_BARRIERS = 4


def _plan(source: str, flags: int) -> Plan:
    # A lookaround of a negated set becomes a set Hyperscan must see the character in (`(?<![^\\s])` becomes
    # `[\\s]`): a non-ASCII space there is one it cannot see, so such a rule is not exact.
    extent, exact = match_extent(source, flags), ascii_exact(source, flags) and not _asserts_membership(source)
    local = line_local(source, flags)
    if extent is not None:
        return Plan(extent, exact)
    barriers = _plan_barriers(source, flags)[:_MOST_BARRIERS]
    return Plan(None, exact, barriers, assertion_reach(source, flags) or 0, local)


def _every_match(source: str, flags: int) -> bool:
    """Whether the rule's match ends are worth collecting: its matches are bounded (windows around each end)
    or hold a literal of a few characters (few ends), so that barriers or lines can bound its windows."""
    if match_extent(source, flags) is not None:
        return True
    return bool(_plan_barriers(source, flags)) or (
        line_local(source, flags) and literal_anchor(source, flags) >= _WINDOW_ANCHOR
    )


def _plan_barriers(source: str, flags: int) -> bytes:
    """The barriers of an unbounded rule worth collecting every match end of: its matches hold a literal (few
    ends), or are cut by lookarounds on both sides that Hyperscan consumes instead (one end per run at most)."""
    if assertion_reach(source, flags) is None:
        return b""
    few_ends = literal_anchor(source, flags) >= _WINDOW_ANCHOR or (
        _LEADING_LOOKBEHIND.match(source) is not None and _trailing_lookahead(source) is not None
    )
    if not few_ends:
        return b""
    never = never_consumed(source, flags)
    return bytes(byte for byte in _BARRIERS if chr(byte) in never)


class _Layout(NamedTuple):
    kept: list[int]  # rule pattern ids Hyperscan accepts
    every_match: list[int]  # ... of those, the ones reporting every match end
    second: list[int]  # ... the ones in the dense databases
    optional: list[int]  # the ids of the optional patterns Hyperscan accepts (in databases of their own)


def _dense_groups(dense: Sequence[tuple[int, bytes, int]], keywords: Mapping[int, frozenset[str]]) -> list[list[int]]:
    """The dense patterns' ids grouped by their rule's keywords (`keywords`, by pattern id): one database each,
    so that a document pays only for the dense rules whose keywords it holds (about a tenth of them in real
    code), and rules that share their keywords, always needed together, are read in one pass."""
    groups: dict[frozenset[str], list[int]] = {}
    for pattern_id, _, _ in dense:
        groups.setdefault(keywords[pattern_id], []).append(pattern_id)
    return list(groups.values())


def _load_or_compile(
    hyperscan: Any,
    fixed: list[tuple[int, bytes, int]],
    sources: list[tuple[int, str, int, frozenset[str]]],
    optional: Sequence[Sequence[tuple[int, bytes, int]]] = (),
    bounded: Mapping[int, bytes] | None = None,
    gate_offset: int | None = None,
) -> tuple[Any, list[tuple[list[int], Any]], _Layout, dict[int, Plan], dict[int, bytes]]:
    """The first database, the others (each with the ids of the patterns it holds: the dense rules of one set
    of keywords, or one group of `optional` patterns), which rule patterns they hold, and how, the plan of
    each rule pattern reporting every match end (by pattern id), and each group of `optional` patterns
    reporting every match end, serialised (by its first pattern id), with the expressions `bounded` gives for
    their ids where Hyperscan takes them. `sources`: each rule's pattern id, pattern, flags and keywords.

    Reading every pattern's shape, checking and compiling it takes seconds: the results are kept in the user
    cache, keyed by everything that goes into them.
    """
    digest = hashlib.sha256(_CACHE_VERSION + str(getattr(hyperscan, "__version__", "")).encode())
    digest.update(_code_digest())
    for pattern_id, expression, flag in (*fixed, *(entry for group in optional for entry in group)):
        digest.update(b"%d\0%d\0%s\0" % (pattern_id, flag, expression))
    digest.update(repr([[entry[0] for entry in group] for group in optional]).encode())
    digest.update(repr(gate_offset).encode())
    bounded = bounded or {}
    for pattern_id, expression in sorted(bounded.items()):
        digest.update(b"%d\0%s\0" % (pattern_id, expression))
    for pattern_id, source, python_flags, keywords in sources:
        digest.update(
            b"%d\0%d\0%s\0%s\0" % (pattern_id, python_flags, source.encode(), repr(sorted(keywords)).encode())
        )
    name = f"prefilter-{digest.hexdigest()[:32]}.hsdb"
    cached = read_cache(name)
    if cached is not None:
        try:
            return _from_cache(hyperscan, cached)
        except (hyperscan.error, ValueError, TypeError):
            pass  # torn, or written by another Hyperscan build: compile afresh
    kept: list[tuple[int, bytes, int]] = []
    every: list[int] = []
    in_first: set[int] = set()
    for pattern_id, source, python_flags, _ in sources:
        every_match = _every_match(source, python_flags)
        hs_flag = _hs_flags(hyperscan, python_flags, every_match=every_match)
        if hs_flag is None:
            continue
        candidates = [consuming_source(source), source] if every_match else [source]
        viewed = [v for candidate in candidates if (v := view_source(candidate, python_flags)) is not None]
        for candidate in dict.fromkeys(viewed):
            expression = hyperscan_source(candidate).encode()
            if _compiles(hyperscan, expression, hs_flag):
                kept.append((pattern_id, expression, hs_flag))
                if every_match:
                    every.append(pattern_id)
                if literal_anchor(source, python_flags) >= _WINDOW_ANCHOR:
                    in_first.add(pattern_id)
                break
    accepted = [[entry for entry in group if _compiles(hyperscan, entry[1], entry[2])] for group in optional]
    first_database = _compiled(hyperscan, [*fixed, *(k for k in kept if k[0] in in_first)])
    dense = [k for k in kept if k[0] not in in_first]
    expressions = {k[0]: k for k in (*dense, *(entry for group in accepted for entry in group))}
    groups = _dense_groups(dense, {pattern_id: keywords for pattern_id, _, _, keywords in sources})
    groups += [[entry[0] for entry in group] for group in accepted if group]
    databases = [(group, _compiled(hyperscan, [expressions[i] for i in group])) for group in groups]
    databases += [
        ([i for i, _, _ in gate], _compiled(hyperscan, gate)) for gate in _gates(hyperscan, dense, gate_offset)
    ]
    groups = [group for group, _ in databases]
    optional_ids = [entry[0] for group in accepted for entry in group]
    layout = _Layout([k[0] for k in kept], every, [k[0] for k in dense], optional_ids)
    # Reading each windowed rule's shape parses its regex several times over: a fifth of a second for the
    # catalogue, on the critical path of every large scan. Kept beside the databases.
    sources_by_id = {pattern_id: (source, python_flags) for pattern_id, source, python_flags, _ in sources}
    plans = {pattern_id: _plan(*sources_by_id[pattern_id]) for pattern_id in every}
    # Each optional group again, reporting every match end (`_HyperscanEngine.nearby`): compiled on first use
    # it would cost each worker a few hundredths of a second per rule, a tenth of a 15 MB bundle's scan.
    nearby = {group[0][0]: _nearby_serialised(hyperscan, group, bounded) for group in accepted if group}
    serialised = [hyperscan.dumpb(first_database), *(hyperscan.dumpb(database) for _, database in databases)]
    header = [
        ";".join(" ".join(map(str, part)) for part in layout),
        ";".join(" ".join(map(str, group)) for group in groups),
        _plans_text(plans),
        " ".join(str(len(blob)) for blob in serialised),
        " ".join(f"{first_id}:{len(blob)}" for first_id, blob in nearby.items()),
    ]
    write_cache(name, "\n".join(header).encode() + b"\n" + b"".join(serialised) + b"".join(nearby.values()))
    for _, database in databases:
        database.scratch = hyperscan.Scratch(database)
    return first_database, databases, layout, plans, nearby


def _gates(
    hyperscan: Any, dense: Sequence[tuple[int, bytes, int]], gate_offset: int | None
) -> list[list[tuple[int, bytes, int]]]:
    """The dense patterns' gates: the runs of one character set that every match of a pattern holds (regex_shape.
    mandatory_runs), each run once, under the ids of every pattern holding it moved by `gate_offset` (None: no
    gates). A document without any of a pattern's runs holds no match of it: its database need not read it.

    A dense database is costly for what its rules' shapes put around the run: Hyperscan reads `[a-z2-7]{52}`
    alone at 3.7 GB/s, and `(?:^|[^A-Za-z0-9_/-])[a-z2-7]{52}(?:[^A-Za-z0-9_-]|$)` at 0.85, over the large
    documents naming Azure in the benchmark's corpus; one in thirty holds such a run at all. Each run is a
    database of its own: in one, Hyperscan read the fifty-odd runs of the catalogue at 0.16 GB/s."""
    if gate_offset is None:
        return []
    kept = hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_UTF8 | hyperscan.HS_FLAG_UCP
    gates: dict[tuple[bytes, int], list[tuple[int, bytes, int]]] = {}
    for pattern_id, expression, flag in dense:
        if not expression.isascii():
            continue  # a character beyond ASCII would be read back as its bytes' characters
        entries = [
            (
                pattern_id + gate_offset,
                run.expression().encode(),
                (flag & kept) | hyperscan.HS_FLAG_SINGLEMATCH | (hyperscan.HS_FLAG_CASELESS if run.ignore_case else 0),
            )
            for run in mandatory_runs(expression.decode("ascii"), 0, shortest=_GATE_RUN)
        ]
        if entries and all(_compiles(hyperscan, run, run_flag) for _, run, run_flag in entries):
            for entry in entries:
                gates.setdefault(entry[1:], []).append(entry)
    return list(gates.values())


def _every_end(hyperscan: Any, group: Sequence[tuple[int, bytes, int]]) -> Any:
    """A database of `group` reporting every match end, not only the first."""
    return _compiled(
        hyperscan, [(i, expression, flag & ~hyperscan.HS_FLAG_SINGLEMATCH) for i, expression, flag in group]
    )


def _nearby_serialised(hyperscan: Any, group: Sequence[tuple[int, bytes, int]], bounded: Mapping[int, bytes]) -> bytes:
    """`group` reporting every end, serialised: with the expressions `bounded` gives for its ids (a `names`
    pattern with its bounds kept, `_namer_patterns`) unless that takes more than _BOUNDED_MOST. Bounded
    repetitions of `.` take room: over the catalogue 9.5 MB of databases against 2.8 open-ended, which every
    worker holds; 4 MB capped at 64 KiB each, with most of the ends saved (wrangler's cli.js: 429,000 open-ended,
    79,000 all bounded, 271,000 so). Measured on the 1.7 GB corpus, both workers: 276 MB peak with all bounded,
    253 MB with none, 251 MB so, and 9% less time than with none."""
    open_ended = _every_end_serialised(hyperscan, group)
    kept = _every_end_serialised(hyperscan, [(i, bounded.get(i, e), f) for i, e, f in group])
    if kept and (not open_ended or len(kept) <= max(len(open_ended), _BOUNDED_MOST)):
        return kept
    return open_ended


def _every_end_serialised(hyperscan: Any, group: Sequence[tuple[int, bytes, int]]) -> bytes:
    """`_every_end`, serialised; empty when Hyperscan refuses it that way (`nearby` then compiles it on use)."""
    try:
        return bytes(hyperscan.dumpb(_every_end(hyperscan, group)))
    except hyperscan.error:
        return b""


def _plans_text(plans: Mapping[int, Plan]) -> str:
    """The plans as one line of JSON (by pattern id): what `_plans_read` reads back."""
    return json.dumps(
        {
            str(pattern_id): [
                None if plan.extent is None else list(plan.extent),
                plan.exact,
                plan.barriers.hex(),
                plan.around,
                plan.line_local,
            ]
            for pattern_id, plan in plans.items()
        },
        separators=(",", ":"),
    )


def _plans_read(line: bytes) -> dict[int, Plan]:
    plans: dict[int, Plan] = {}
    for pattern_id, (extent, exact, barriers, around, local) in json.loads(line).items():
        shape = None if extent is None else Extent(int(extent[0]), int(extent[1]))
        plans[int(pattern_id)] = Plan(shape, bool(exact), bytes.fromhex(barriers), int(around), bool(local))
    return plans


def _code_digest() -> bytes:
    """A digest of the code that reads the patterns' shapes and rewrites them (this module, byte_view and
    regex_shape): what is cached is theirs, so a cache entry written by other code is never read."""
    digest = hashlib.sha256()
    for module_file in (__file__, byte_view.__file__, regex_shape.__file__):
        try:
            with open(module_file, "rb") as source:
                digest.update(source.read())
        except (OSError, TypeError):  # no source beside the bytecode: the version above still keys the entry
            digest.update(str(module_file).encode())
    return digest.digest()


def _from_cache(
    hyperscan: Any, cached: bytes
) -> tuple[Any, list[tuple[list[int], Any]], _Layout, dict[int, Plan], dict[int, bytes]]:
    """What `_load_or_compile` wrote: the layout, the groups, the plans, the databases' sizes and those of the
    optional groups reporting every end, one line each, then the serialised databases, the first one first."""
    # The header's lines, then the databases read in place: the entry is megabytes, and copies of it made here
    # would stay in this process's heap (and every worker forked from it) after they are freed.
    header_end = -1
    for _ in range(5):
        header_end = cached.index(b"\n", header_end + 1)
    listed, grouped, planned, sized, nearby_sized = cached[:header_end].split(b"\n")
    serialised = memoryview(cached)[header_end + 1 :]
    layout = _Layout(*([int(i) for i in part.split()] for part in listed.split(b";")))
    plans = _plans_read(planned)
    if sorted(plans) != sorted(layout.every_match):
        raise ValueError("torn")
    groups = [[int(i) for i in part.split()] for part in grouped.split(b";")] if grouped else []
    sizes = [int(size) for size in sized.split()]
    nearby_sizes = [tuple(int(part) for part in entry.split(b":")) for entry in nearby_sized.split()]
    if len(sizes) != len(groups) + 1 or sum(sizes) + sum(size for _, size in nearby_sizes) != len(serialised):
        raise ValueError("torn")
    databases, offset = [], 0
    for size in sizes:
        databases.append(_loaded(hyperscan, bytes(serialised[offset : offset + size])))
        offset += size
    nearby = {}
    for first_id, size in nearby_sizes:
        nearby[first_id] = bytes(serialised[offset : offset + size])
        offset += size
    first, *others = databases
    return first, list(zip(groups, others, strict=True)), layout, plans, nearby


def _namer_ids(rule: Rule, base: int, index: int) -> frozenset[int]:
    """The ids of a rule's `names` and `near` patterns, or none when the rule does not need a name."""
    if not rule.requires_name:
        return frozenset()
    ids = set()
    if rule.names is not None:
        ids.add(base + 2 * index)
    if rule.near is not None:
        ids.add(base + 2 * index + 1)
    return frozenset(ids)


def _namer_patterns(
    hyperscan: Any, rules: Sequence[Rule], base: int, *, widened: bool = True
) -> list[tuple[int, bytes, int]]:
    """A rule's `names` pattern as text to look for anywhere (anchors left out, any case, across lines, wide
    repetitions open-ended unless not `widened`) and its `near` pattern as it is, for every rule that needs a
    name.

    Open-ended, `(mistral|codestral).{0,40}(key|token)` ends after every `key` that follows a `mistral` anywhere
    before it: what a database looking for its presence alone (`names_present`) may report, and one reporting
    every end (`nearby`) should not (wrangler's 15 MB cli.js: 420,000 ends over the catalogue's names patterns,
    70,000 with their bounds kept). Either way a name the rule accepts ends where its text does."""
    patterns = []
    loose = hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_ALLOWEMPTY | hyperscan.HS_FLAG_SINGLEMATCH
    for index, rule in enumerate(rules):
        if not rule.requires_name:
            continue
        names = None if rule.names is None else view_source(unanchored_source(rule.names.pattern), re.IGNORECASE)
        if names is not None:
            flag = loose | hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_DOTALL
            patterns.append((base + 2 * index, (hyperscan_source(names) if widened else names).encode(), flag))
        near = None if rule.near is None else view_source(rule.near.pattern.pattern, rule.near.pattern.flags)
        if rule.near is not None and near is not None:
            flag = _hs_flags(hyperscan, rule.near.pattern.flags)
            if flag is not None:
                patterns.append((base + 2 * index + 1, hyperscan_source(near).encode(), flag))
    return patterns


_ANCHORS = frozenset("^$")
_ESCAPED_ANCHORS = frozenset("AZzbB")


def unanchored_source(source: str) -> str:
    """`source` with `^`, `$`, `\\A`, `\\Z`, `\\z`, `\\b` and `\\B` outside classes left out: what it matches in a
    name, it then matches in any text holding that name."""
    out: list[str] = []
    index, in_class = 0, False
    while index < len(source):
        char = source[index]
        if char == "\\":
            if in_class or source[index + 1 : index + 2] not in _ESCAPED_ANCHORS:
                out.append(source[index : index + 2])
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            end = set_body(source, index)
            out.append(source[index:end])
            index, in_class = end, True
            continue
        elif char in _ANCHORS:
            index += 1
            continue
        out.append(char)
        index += 1
    return "".join(out)


# Formats whose parsers give names exactly as they are written (no escapes decoded, no lines folded).
_RAW_NAME_FORMATS = frozenset({"python", "javascript", "typescript", "tsx", "go", "java", "ruby", "dotenv"})


def names_are_raw_text(path: str, content: bytes) -> bool:
    """Whether every name the detector can give a match in this document is text of the document as it is.

    Not so where a format decodes escapes (a backslash; in YAML a single-quoted key holding `''`), and in YAML
    wherever a name may be folded from several lines or is read from text the parser does not see as written:
    a `name` key (its value, which names the `value` beside it, may span lines), an explicit `? ` key, a
    template action (stood in for before parsing). A YAML key is otherwise one line as written, and a list
    item's `--flag` or `NAME=` name is one word on the item's first line (parsers/tree.py)."""
    from credscope.detect.parsers import parser_for  # noqa: PLC0415 - only for documents with such rules

    parser = parser_for(path)
    if parser is None or parser.format in _RAW_NAME_FORMATS:
        return True
    if b"\\" in content:
        return False
    if parser.format != "yaml":
        return True
    return not (
        b"{{" in content
        or _yaml_name_key(content)
        or _yaml_explicit_key(content)
        or _quote_escaped_before_colon(content)
    )


# In YAML: `name` as a key (after a space, `{`, `,` or `[`, perhaps quoted); and `?` before a space or a line's
# end, which is an explicit key where it leads its line (after `- ` items) or follows `{`, `,` or `[`. Found by
# what they hold, then judged by what stands before them: a pattern starting with either alternative was tried at
# every space of a document (0.2 s over the 525 MB corpus's YAML; 0.01 s so).
_YAML_NAME = re.compile(rb"""name["']?[ \t]*:""")
_YAML_QUESTION = re.compile(rb"\?(?:[ \t]|$)", re.MULTILINE)
_YAML_ITEMS = re.compile(rb"[ \t]*(?:-[ \t]+)*")
_KEY_BOUNDARY = frozenset(b" \t\n\r\f\v{,[")


def _yaml_name_key(content: bytes) -> bool:
    for found in _YAML_NAME.finditer(content):
        start = found.start()
        if start and content[start - 1] in b"\"'":
            start -= 1
        if start == 0 or content[start - 1] in _KEY_BOUNDARY:
            return True
    return False


def _yaml_explicit_key(content: bytes) -> bool:
    """Each line's leading spaces and `- ` items are read once, however many `?` it holds."""
    line, lead = -1, -1  # the line of the last `?` seen, and where its leading spaces and items end
    for found in _YAML_QUESTION.finditer(content):
        at = found.start()
        start = content.rfind(b"\n", max(line, 0), at) + 1
        if start == 0 and line > 0:
            start = line  # no newline since that line's start: the same line
        if start != line:
            items = _YAML_ITEMS.match(content, start)
            line, lead = start, items.end() if items is not None else start
        if at == lead:
            return True
        before = at
        while before > line and content[before - 1] in b" \t":
            before -= 1
        if before > line and content[before - 1] in b"{,[":
            return True
    return False


def _quote_escaped_before_colon(content: bytes) -> bool:
    """Whether some line holds `''` with a colon after it (a single-quoted key with a quote in it, perhaps). Each
    line is looked at once, from its first `''` (a regex trying every `''` read a line of quotes quadratically)."""
    start = content.find(b"''")
    while start != -1:
        end = content.find(b"\n", start)
        end = len(content) if end == -1 else end
        if content.find(b":", start, end) != -1:
            return True
        start = content.find(b"''", end)
    return False


def _compiled(hyperscan: Any, patterns: list[tuple[int, bytes, int]]) -> Any:
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    database.compile(
        expressions=[expression for _, expression, _ in patterns],
        ids=[pattern_id for pattern_id, _, _ in patterns],
        elements=len(patterns),
        flags=[flag for _, _, flag in patterns],
    )
    return database


def _loaded(hyperscan: Any, serialised: bytes) -> Any:
    database = hyperscan.loadb(serialised, hyperscan.HS_MODE_BLOCK)
    database.scratch = hyperscan.Scratch(database)
    return database
