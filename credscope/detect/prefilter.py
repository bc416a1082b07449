"""Which rules can match a document: one multi-pattern pass over its raw bytes before any Python regex runs.

A rule is a candidate for a document when one of its keywords occurs in the bytes (ASCII case-insensitive; a
rule without keywords always passes that step) and its pattern matches somewhere in the decoded text. Both
paths compute exactly that set:

* with Hyperscan, one scan of the bytes reports every keyword and, for ASCII documents, every rule whose
  pattern *may* match (Hyperscan's prefilter mode over-approximates, never misses); only rules that pass both
  are confirmed with the rule's own Python regex;
* without it (not installed, or a small document where importing and loading it would cost more than it
  saves), keywords are looked up with `in` and every keyword hit is confirmed with the Python regex.

The detector asks for the unconfirmed set: it runs each pattern over the text once anyway.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

from credscope.cache import read_cache, write_cache
from credscope.catalogue import Rule

# Below this many bytes seen by one prefilter, the pure-Python path is cheaper than importing Hyperscan and
# loading its database (the pre-commit case: a handful of small staged files).
HYPERSCAN_AFTER_BYTES = 256 * 1024
# Bytes on which Hyperscan's byte-level view of a pattern can differ from Python's str regex: non-ASCII
# (\w, \d, \s and case folding are Unicode-aware in `re`) and \x1c-\x1f, which `re` counts as whitespace.
_UNSAFE_BYTES = rb"[\x1c-\x1f\x80-\xff]"
_UNSAFE_ID = 0
_CACHE_VERSION = b"credscope-prefilter-1"


class Prefilter:
    """Compiled once per process (per Detector); `candidates` is safe to call for many documents."""

    def __init__(self, rules: Sequence[Rule], *, use_hyperscan: bool | None = None) -> None:
        self.rules = tuple(rules)
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

    def candidates(self, content: bytes, path: str | None = None, *, confirm: bool = True) -> list[int]:
        """Indices into `rules` of the rules that match somewhere in `content`, in rule order.

        With `path`, rules restricted to other paths are left out before any pattern runs. With `confirm`
        false, the rules that *may* match: the caller runs each pattern over the text anyway, and a search to
        confirm first would read the text twice for every rule that does match.
        """
        self._seen_bytes += len(content)
        engine = self._hyperscan() if self._wants_hyperscan() else None
        if engine is None:
            possible = self._python_candidates(content, path)
        else:
            keyword_hits, maybe_rules, unsafe = engine.scan(content)
            possible = self._with_keywords(keyword_hits)
            if not unsafe:
                possible = {index for index in possible if index in maybe_rules or index not in engine.prefiltered}
            possible = self._for_path(possible, path)
        return self._confirmed(possible, content) if confirm else sorted(possible)

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
                self._engine = _HyperscanEngine(self.rules, self._keywords)
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


class _HyperscanEngine:
    """One Hyperscan block-mode database: keyword literals, rule patterns in prefilter mode, an unsafe-byte probe."""

    def __init__(self, rules: Sequence[Rule], keywords: Sequence[bytes]) -> None:
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
        self._rule_base = self._keyword_base + len(keywords)
        wanted = [
            (self._rule_base + index, rule.pattern.pattern.encode(), _hs_flags(hyperscan, rule.pattern.flags))
            for index, rule in enumerate(rules)
        ]
        rule_patterns = [(pattern_id, expression, flag) for pattern_id, expression, flag in wanted if flag is not None]
        fixed = list(zip(ids, expressions, flags, strict=True))
        self._database, kept = _load_or_compile(hyperscan, fixed, rule_patterns)
        self.prefiltered = frozenset(pattern_id - self._rule_base for pattern_id in kept)

    def scan(self, content: bytes) -> tuple[set[int], set[int], bool]:
        """Keyword indices found, rule indices whose pattern may match, and whether the content is unsafe."""
        found: set[int] = set()
        self._database.scan(content, match_event_handler=_collect, context=found)
        keywords = {i - self._keyword_base for i in found if self._keyword_base <= i < self._rule_base}
        rules = {i - self._rule_base for i in found if i >= self._rule_base}
        return keywords, rules, _UNSAFE_ID in found


def _collect(pattern_id: int, start: int, end: int, flags: int, found: set[int]) -> None:
    found.add(pattern_id)


def _hs_flags(hyperscan: Any, python_flags: int) -> int | None:
    if python_flags & re.VERBOSE:
        return None  # Hyperscan's parser does not strip verbose whitespace the way `re` does
    flag: int = hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_ALLOWEMPTY
    if python_flags & re.IGNORECASE:
        flag |= hyperscan.HS_FLAG_CASELESS
    if python_flags & re.MULTILINE:
        flag |= hyperscan.HS_FLAG_MULTILINE
    if python_flags & re.DOTALL:
        flag |= hyperscan.HS_FLAG_DOTALL
    return flag


def _compiles(hyperscan: Any, expression: bytes, flag: int) -> bool:
    """Python-only syntax (conditionals, some escapes) makes Hyperscan refuse a pattern: that rule skips the step."""
    try:
        hyperscan.Database().compile(expressions=[expression], ids=[0], elements=1, flags=[flag])
    except hyperscan.error:
        return False
    return True


def _load_or_compile(
    hyperscan: Any, fixed: list[tuple[int, bytes, int]], rule_patterns: list[tuple[int, bytes, int]]
) -> tuple[Any, list[int]]:
    """The database and the ids of the rule patterns it holds (those Hyperscan accepts).

    Checking and compiling every pattern takes seconds: both results are kept in the user cache, keyed by
    everything that went into them.
    """
    digest = hashlib.sha256(_CACHE_VERSION + str(getattr(hyperscan, "__version__", "")).encode())
    for pattern_id, expression, flag in (*fixed, *rule_patterns):
        digest.update(b"%d\0%d\0%s\0" % (pattern_id, flag, expression))
    name = f"prefilter-{digest.hexdigest()[:32]}.hsdb"
    cached = read_cache(name)
    if cached is not None:
        try:
            header, _, serialised = cached.partition(b"\n")
            database = hyperscan.loadb(serialised, hyperscan.HS_MODE_BLOCK)
            database.scratch = hyperscan.Scratch(database)
            return database, [int(pattern_id) for pattern_id in header.split()]
        except (hyperscan.error, ValueError):
            pass  # torn, or written by another Hyperscan build: compile afresh
    kept = [(i, expression, flag) for i, expression, flag in rule_patterns if _compiles(hyperscan, expression, flag)]
    chosen = [*fixed, *kept]
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    database.compile(
        expressions=[expression for _, expression, _ in chosen],
        ids=[pattern_id for pattern_id, _, _ in chosen],
        elements=len(chosen),
        flags=[flag for _, _, flag in chosen],
    )
    kept_ids = [pattern_id for pattern_id, _, _ in kept]
    write_cache(name, " ".join(map(str, kept_ids)).encode() + b"\n" + hyperscan.dumpb(database))
    return database, kept_ids
