"""Which rules can match a document: one multi-pattern pass over its raw bytes before any Python regex runs.

A rule is a candidate for a document when one of its keywords occurs in the bytes (ASCII case-insensitive; a
rule without keywords always passes that step) and its pattern matches somewhere in the decoded text. Both
paths compute exactly that set:

* with Hyperscan, one scan of the bytes reports every keyword and, for ASCII documents, every rule whose
  pattern *may* match (Hyperscan's prefilter mode over-approximates, never misses); only rules that pass both
  are confirmed with the rule's own Python regex;
* without it (not installed, or a small document where importing and loading it would cost more than it
  saves), keywords are looked up with `in` and every keyword hit is confirmed with the Python regex.

The detector asks for the unconfirmed set (`select`): it runs each pattern over the text once anyway, and
for most rules only over the lines where Hyperscan saw one of their matches end (see `select` and
detect/regex_shape.py). Hyperscan runs in two stages: rules whose patterns contain no literal (wide character
classes, the costliest patterns for it) are scanned only in documents holding one of their keywords.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from credscope.cache import read_cache, write_cache
from credscope.catalogue import Rule
from credscope.detect.regex_shape import line_local, literal_anchor

# Below this many bytes seen by one prefilter, the pure-Python path is cheaper than importing Hyperscan and
# loading its database (the pre-commit case: a handful of small staged files).
HYPERSCAN_AFTER_BYTES = 256 * 1024
# Bytes on which Hyperscan's byte-level view of a pattern can differ from Python's str regex: non-ASCII
# (\w, \d, \s and case folding are Unicode-aware in `re`) and \x1c-\x1f, which `re` counts as whitespace.
_UNSAFE_BYTES = rb"[\x1c-\x1f\x80-\xff]"
_UNSAFE_ID = 0
_CACHE_VERSION = b"credscope-prefilter-5"
# Literal characters every match of a rule must contain for Hyperscan to report each of its match ends.
_WINDOW_ANCHOR = 3
# Counted repetitions wider than this are handed to Hyperscan open-ended (see `hyperscan_source`).
_WIDEST_COUNT = 16
_COUNTED = re.compile(r"\{(\d*),(\d+)\}")


class Prefilter:
    """Compiled once per process (per Detector); `candidates` is safe to call for many documents."""

    def __init__(
        self, rules: Sequence[Rule], *, use_hyperscan: bool | None = None, literals: Sequence[bytes] = ()
    ) -> None:
        self.rules = tuple(rules)
        # Case-sensitive byte strings the caller wants to know about (found in the same pass when Hyperscan runs).
        self.literals = tuple(literals)
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
        return self._confirmed(set(self.select(content, path).rules), content)

    def select(self, content: bytes, path: str | None = None) -> Selection:
        """The rules that *may* match in `content` (in rule order), where some of them may, and the literals in it.

        For the caller that runs each pattern itself (a search to confirm first would read the text twice for
        every rule that does match). The mapping holds, for rules whose matches stay on one line and contain
        a literal (see detect/regex_shape.py), the lines to run them over: sorted `(start, end)` character
        spans of the decoded text, each a whole line with its newline. They are the lines where Hyperscan saw
        a match of the rule end and, in a document with bytes on which Hyperscan's view may differ from
        Python's, every line holding such a byte (on every other line the two views agree).
        """
        self._seen_bytes += len(content)
        engine = self._hyperscan() if self._wants_hyperscan() else None
        if engine is None:
            found = frozenset(literal for literal in self.literals if literal in content)
            return Selection(sorted(self._python_candidates(content, path)), {}, found)
        keyword_hits, maybe_rules, ends, literal_hits, unsafe = engine.scan(content)
        literals = frozenset(self.literals[index] for index in literal_hits)
        possible = self._with_keywords(keyword_hits)
        if not unsafe:
            possible = {index for index in possible if index in maybe_rules or index not in engine.prefiltered}
        chosen = sorted(self._for_path(possible, path))
        windowed = [index for index in chosen if index in engine.windowed]
        if not windowed:
            return Selection(chosen, {}, literals)
        unsafe_lines = _unsafe_lines(content) if unsafe else set()
        if unsafe_lines is None:
            return Selection(chosen, {}, literals)  # too many: every rule reads the whole text
        lines = {index: sorted(unsafe_lines | _lines_at(content, ends.get(index, ()))) for index in windowed}
        if unsafe and not content.isascii():
            lines = _as_characters(content, lines)
        return Selection(chosen, lines, literals)

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
                self._engine = _HyperscanEngine(self.rules, self._keywords, self.literals)
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


# (start, end) spans of whole lines, newline included: where a windowed rule runs.
Spans = list[tuple[int, int]]


class Selection(NamedTuple):
    """What one pass over a document's bytes says: see `Prefilter.select`."""

    rules: list[int]
    lines: Mapping[int, Spans]
    literals: frozenset[bytes]


# Beyond this many lines with unsafe bytes, a document is read whole by every rule.
_MAX_UNSAFE_LINES = 64


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


def _as_characters(content: bytes, lines: Mapping[int, Spans]) -> dict[int, Spans]:
    """Byte spans of whole lines as character spans of the text decoded with surrogateescape.

    Lines split cleanly: a UTF-8 sequence never holds a newline byte, so the text decoded up to a line
    boundary is the same whether the whole document is decoded or only that far.
    """
    boundaries = sorted({offset for spans in lines.values() for span in spans for offset in span})
    characters: dict[int, int] = {}
    decoded = previous = 0
    for offset in boundaries:
        decoded += len(content[previous:offset].decode("utf-8", "surrogateescape"))
        characters[offset] = decoded
        previous = offset
    return {index: [(characters[start], characters[end]) for start, end in spans] for index, spans in lines.items()}


class _HyperscanEngine:
    """Two Hyperscan block-mode databases.

    The first, run over every document: keywords, literals, an unsafe-byte probe and the windowed rules'
    patterns (prefilter mode). The second holds the other rules' patterns: wide character classes without a
    literal (`[A-Za-z0-9/+]{40}`), the costliest for Hyperscan and useless where none of their keywords is;
    it runs only over documents where the first found one.
    """

    def __init__(self, rules: Sequence[Rule], keywords: Sequence[bytes], literals: Sequence[bytes] = ()) -> None:
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
            flags.append(hyperscan.HS_FLAG_SINGLEMATCH)
            ids.append(self._literal_base + index)
        self._rule_base = self._literal_base + len(literals)
        sources = [
            (self._rule_base + index, rule.pattern.pattern, rule.pattern.flags) for index, rule in enumerate(rules)
        ]
        fixed = list(zip(ids, expressions, flags, strict=True))
        self._database, self._dense_database, kept, windowed = _load_or_compile(hyperscan, fixed, sources)
        self.prefiltered = frozenset(pattern_id - self._rule_base for pattern_id in kept)
        self._windowed_ids = frozenset(windowed) & frozenset(kept)
        self.windowed = frozenset(pattern_id - self._rule_base for pattern_id in self._windowed_ids)
        dense = [rules[index] for index in sorted(self.prefiltered - self.windowed)]
        keyword_id = {keyword: self._keyword_base + index for index, keyword in enumerate(keywords)}
        # Keyword ids whose presence calls for the second database; without keywords a dense rule always does.
        self._dense_keywords = frozenset(keyword_id[k.encode()] for rule in dense for k in rule.keywords)
        self._dense_always = any(not rule.keywords for rule in dense)

    def scan(self, content: bytes) -> tuple[set[int], set[int], dict[int, list[int]], set[int], bool]:
        """Keyword indices found, rule indices whose pattern may match, the match ends of windowed rules (by rule
        index, sorted), literal indices found, and whether the content is unsafe."""
        found: set[int] = set()
        ends: dict[int, list[int]] = {}
        windowed_ids = self._windowed_ids
        context = (found, ends, windowed_ids)
        self._database.scan(content, match_event_handler=_collect, context=context)
        if self._dense_database is not None and (self._dense_always or not self._dense_keywords.isdisjoint(found)):
            self._dense_database.scan(content, match_event_handler=_collect, context=context)
        keywords = {i - self._keyword_base for i in found if self._keyword_base <= i < self._literal_base}
        literals = {i - self._literal_base for i in found if self._literal_base <= i < self._rule_base}
        rules = {i - self._rule_base for i in found if i >= self._rule_base}
        windows = {i - self._rule_base: sorted(offsets) for i, offsets in ends.items()}
        return keywords, rules, windows, literals, _UNSAFE_ID in found


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
            # A `]` first in the class (after an optional `^`) is a literal, not the class's end.
            end = index + 1
            end += source.startswith("^", end)
            end += source.startswith("]", end)
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


def _load_or_compile(
    hyperscan: Any, fixed: list[tuple[int, bytes, int]], sources: list[tuple[int, str, int]]
) -> tuple[Any, Any | None, list[int], list[int]]:
    """The two databases (the second None when empty), the ids of the rule patterns they hold (those Hyperscan
    accepts) and the ids of the windowed ones (in the first; the others are in the second).

    A rule is windowed when its matches stay on one line and contain a literal (detect/regex_shape.py): it
    reports every match end (few, thanks to the literal); the others report only whether they may match.
    Reading every pattern's shape, checking and compiling it takes seconds: the results are kept in the user
    cache, keyed by everything that goes into them.
    """
    digest = hashlib.sha256(_CACHE_VERSION + str(getattr(hyperscan, "__version__", "")).encode())
    for pattern_id, expression, flag in fixed:
        digest.update(b"%d\0%d\0%s\0" % (pattern_id, flag, expression))
    for pattern_id, source, python_flags in sources:
        digest.update(b"%d\0%d\0%s\0" % (pattern_id, python_flags, source.encode()))
    name = f"prefilter-{digest.hexdigest()[:32]}.hsdb"
    cached = read_cache(name)
    if cached is not None:
        try:
            header, _, serialised = cached.partition(b"\n")
            kept_part, windowed_part, first_size = header.split(b";")
            first, second = serialised[: int(first_size)], serialised[int(first_size) :]
            kept_ids, windowed = [int(i) for i in kept_part.split()], [int(i) for i in windowed_part.split()]
            return _loaded(hyperscan, first), _loaded(hyperscan, second) if second else None, kept_ids, windowed
        except (hyperscan.error, ValueError):
            pass  # torn, or written by another Hyperscan build: compile afresh
    windowed = [
        pattern_id
        for pattern_id, source, python_flags in sources
        if line_local(source, python_flags) and literal_anchor(source, python_flags) >= _WINDOW_ANCHOR
    ]
    kept: list[tuple[int, bytes, int]] = []
    for pattern_id, source, python_flags in sources:
        hs_flag = _hs_flags(hyperscan, python_flags, every_match=pattern_id in windowed)
        if hs_flag is None:
            continue
        expression = hyperscan_source(source).encode()
        if _compiles(hyperscan, expression, hs_flag):
            kept.append((pattern_id, expression, hs_flag))
    first_database = _compiled(hyperscan, [*fixed, *(k for k in kept if k[0] in windowed)])
    dense = [k for k in kept if k[0] not in windowed]
    second_database = _compiled(hyperscan, dense) if dense else None
    kept_ids = [pattern_id for pattern_id, _, _ in kept]
    first = hyperscan.dumpb(first_database)
    second = hyperscan.dumpb(second_database) if second_database is not None else b""
    listed = f"{' '.join(map(str, kept_ids))};{' '.join(map(str, windowed))};{len(first)}"
    write_cache(name, listed.encode() + b"\n" + first + second)
    return first_database, second_database, kept_ids, windowed


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
