"""Runs the catalogue's rules over one document: prefilter, match, judge by context, filter, pair."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import IntEnum
from functools import cache, partial
from typing import TYPE_CHECKING

from credscope.catalogue import Catalogue, Rule
from credscope.detect.attribution import SHARED_FORMAT, Attribution, Claim
from credscope.detect.byte_view import narrowed_text
from credscope.detect.comments import documentation_comment
from credscope.detect.context import DocumentContext, line_bounds, line_name_of
from credscope.detect.decode_sources import ENCODED_HINTS, ENCODED_KEYS, Decoded, decoded_values, may_hold_encoded
from credscope.detect.escaped_json import MARK_BYTES
from credscope.detect.joined import JOINED_HINTS, joined_values
from credscope.detect.lines import LineIndex
from credscope.detect.prefilter import NAME_REACH, Nearby, Prefilter, Spans, unanchored_source
from credscope.model import Candidate, Document, Location, Window

if TYPE_CHECKING:
    from credscope.detect.filters import Filter

_IGNORE_MARKERS = ("credscope: ignore", "credscope:ignore", "pragma: allowlist secret")
_IGNORE_NEXT_MARKERS = ("credscope: ignore-next-line", "pragma: allowlist nextline secret")
# A marker that is the whole line: only a comment leader (#, //, --, ;, %, /*, *, <!--, {#, REM) before it.
_ALONE_MARKER = re.compile(
    r"[ \t]*(?:#|//|--|;|%|/?\*|<!--|\{#|(?i:rem)\b)[ \t]*(?:credscope: ?ignore|pragma: allowlist secret)\b"
)
# Generic rules (a password assigned to a name) yield to any provider-specific rule on the same span.
GENERIC_PROVIDER = "generic"
SHARED_FORMAT_ELSEWHERE = "another provider's credential (its name or host says so)"
NO_NAME = "no context names it a credential"
# Windows wider than this in all (characters) are first cut to where a rule's names stand (`_within_reach`).
_LOCATE_FIRST = 64 * 1024
# The literals whose presence in a document calls for its encoded or joined values to be read (the prefilter also
# reports ENCODED_KEYS, which `may_hold_encoded` looks at once one of these is there).
_HINTS = ENCODED_HINTS + JOINED_HINTS
# The kind of credential a Docker config `auth` entry holds once decoded (providers/docker.yaml).
REGISTRY_AUTH = ("docker", "registry-auth")


class Origin(IntEnum):
    """Where a match was read; on the same span, a decoded value says more than its encoding."""

    TEXT = 0  # the document's own text
    STRUCTURE = 1  # a credential the document's structure implies (a decoded Docker `auth` password)
    DECODED = 2  # a rule's match inside a decoded value


@dataclass(frozen=True)
class Match:
    """A rule's match inside a document's text, before it becomes a candidate."""

    rule: Rule
    secret: str
    start: int  # offset of the secret in the text
    end: int
    name: str | None
    context: Mapping[str, str] = field(default_factory=dict)
    origin: Origin = Origin.TEXT
    # For a match in a decoded value: (which decoded value, span inside it); `start`/`end` are the encoding's.
    inner: tuple[int, int, int] | None = None
    # How the match claims its provider (detect/attribution.py): on the same span, context beats format.
    claim: Claim = Claim.FORMAT


@dataclass
class DocumentStats:
    ignored_inline: int = 0
    filtered: dict[str, int] = field(default_factory=dict)
    # The document's format did not parse (truncated JSON, bad YAML): it was judged line by line instead.
    parse_errors: int = 0
    parse_error: str | None = None


class Detector:
    """Holds the compiled catalogue; `detect` is pure and safe to call from worker processes."""

    def __init__(
        self,
        catalogue: Catalogue,
        filters: tuple[Filter, ...] | None = None,
        validators: Mapping[str, Callable[[str], bool]] | None = None,
        *,
        use_hyperscan: bool | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.rules = catalogue.rules
        self._filters = filters  # the built-in filters when None, imported on first use
        self.validators = validators if validators is not None else _default_validators()
        self._attribution = Attribution(catalogue)
        # One multi-pattern pass over the raw bytes (Hyperscan when installed) decides which rules run at all.
        self._prefilter = Prefilter(
            self.rules,
            use_hyperscan=use_hyperscan,
            literals=tuple(dict.fromkeys(_HINTS + ENCODED_KEYS)),
            located=(MARK_BYTES,),
        )

    @property
    def filters(self) -> tuple[Filter, ...]:
        if self._filters is None:
            from credscope.detect.filters import FILTERS  # noqa: PLC0415 - a scan without candidates never needs it

            self._filters = FILTERS
        return self._filters

    def warm(self) -> None:
        """Load the Hyperscan database now, so forked workers share it. Patterns compile where they are used:
        each worker compiles the few its documents need, in parallel, rather than this process all of them. The
        false-positive filters are imported too: every worker judges matches, and this process imports them
        anyway to weigh the findings once detection ends."""
        self._prefilter.warm()
        _ = self.filters

    def active_rules(self, content: bytes, path: str | None = None) -> list[Rule]:
        """Rules with a keyword in `content` (case-insensitive) whose pattern matches in it, in catalogue order.

        Rules restricted to other paths than `path` (when given) are left out before their patterns run.

        Text derived from a document (a decoded value) needs its own call: a rule is dropped here when its
        pattern cannot match the bytes given.
        """
        return [self.rules[index] for index in self._prefilter.candidates(content, path)]

    def detect(self, document: Document, stats: DocumentStats | None = None) -> list[Candidate]:
        stats = stats if stats is not None else DocumentStats()
        # Rules that may match: each pattern then runs once over the text, or only in the windows around the
        # match ends Hyperscan saw, finding its matches or none.
        selection = self._prefilter.select(document.content, document.path)
        rules = [(index, self.rules[index], selection.windows.get(index)) for index in selection.rules]
        # Kubernetes Secrets, Docker configs, kubeconfigs: parsed even when no rule matches their raw text. A
        # window of a larger file holds part of its structure: it is judged line by line, and not decoded.
        whole = document.window is None
        seen = selection.literals
        encoded = whole and may_hold_encoded(document.path, seen.intersection(_HINTS), document.content, seen)
        joined = selection.literals.intersection(JOINED_HINTS)  # keys in pieces, base64 PEMs, escaped JSON
        if not rules and not encoded and not joined:
            return []
        # Astral characters may be stood for by private-use ones (byte_view.narrowed_text), restored in the matches:
        # every string a match holds is then text of the document, or made of it (an escaped pair, a rebuilt or
        # base64 PEM: ASCII). Not where values are decoded (`encoded`): what base64 decodes to is no text of the
        # document, and may hold a private-use character that is its own.
        text, restore = narrowed_text(document.content, narrow=not encoded)
        structure = DocumentContext(document.path, text, listed=encoded) if whole else None

        def matched(index: int, rule: Rule, where: Spans | None) -> list[Match]:
            locate = None
            if rule.requires_name and selection.names_located:
                locate = partial(self._prefilter.nearby, index, selection)
            return list(self._matches(rule, text, document.path, stats, structure, lines=where, locate=locate))

        # A companion (a region name beside a key) only ever completes another rule's match: it is looked for
        # only where such a match was found, or where decoded values may hold one. An endpoint table holds
        # thousands of region names and no key. (One that pairs with others itself may consume their matches:
        # it is always looked for.)
        deferred = {index for index, rule, _ in rules if rule.companion and not rule.pairs}
        by_rule = {index: matched(index, rule, where) for index, rule, where in rules if index not in deferred}
        wanted = {pair.rule for found_here in by_rule.values() for m in found_here for pair in m.rule.pairs}
        for index, rule, where in rules:
            if index in deferred and (encoded or joined or rule.id in wanted):
                by_rule[index] = matched(index, rule, where)
        matches = [m for index, _, _ in rules for m in by_rule.get(index, ())]
        values = decoded_values(structure.assignments) if encoded and structure is not None else []
        readings: list[Decoded] = []
        if joined:
            # Base64 PEMs stand for their encoding, as decoded values do. Rebuilt keys and escaped pairs only add:
            # the decoded reading wins an overlap (_drop_overlaps), except on a value a provider's rule read.
            claimed = [(m.start, m.end) for m in matches if m.rule.provider != GENERIC_PROVIDER]
            marks = selection.located.get(MARK_BYTES, ()) if selection.located is not None else None
            found = joined_values(text, joined, values, claimed, document.content, marks)
            values, readings = values + list(found.encodings), list(found.readings)
        if values:
            # Once decoded, the encoding is not the secret: what the decoded text holds (or not) decides.
            matches = [m for m in matches if not any(v.start <= m.start and m.end <= v.end for v in values)]
        values += readings
        if values:
            matches.extend(self._decoded_matches(values, document.path, stats))
        if structure is not None and structure.error is not None:
            stats.parse_errors += 1
            stats.parse_error = structure.error.translate(restore)
        placement = _Placement(text, document.window)
        matches = _drop_overlaps(matches)
        matches = _without_inline_ignores(matches, text, stats, placement)
        if restore:
            matches = [_restored(match, restore) for match in matches]
        return _pair(matches, document, placement)

    def _matches(
        self,
        rule: Rule,
        text: str,
        path: str,
        stats: DocumentStats,
        structure: DocumentContext | None = None,
        default_name: str | None = None,
        lines: Spans | None = None,
        *,
        locate: Callable[[], Nearby | None] | None = None,
    ) -> Iterable[Match]:
        nearby: Nearby | None = None
        inside = _names_inside(rule.names.pattern, rule.names.flags) if locate and rule.names is not None else None
        if locate is not None and lines is not None and sum(stop - low for low, stop, _ in lines) > _LOCATE_FIRST:
            # Wide windows (a bundle, a large data file): the regex itself runs only where a name may be.
            nearby, locate = locate(), None
            if nearby is not None:
                lines = _within_reach(lines, rule, nearby)
        found_all = rule.pattern.finditer(text) if lines is None else _on_lines(rule, text, lines)
        for found in found_all:
            secret = found.group("secret")
            if not secret or len(secret) < rule.min_length:
                continue
            start, end = found.span("secret")
            if (locate is not None or nearby is not None) and (
                inside is None or inside.search(text, found.start(), end) is None
            ):
                # Placed on the rule's first match that does not hold a name itself: most documents never pay.
                if locate is not None:
                    nearby, locate = locate(), None
                if nearby is not None and not _may_be_named(rule, nearby, found.start(), start, end):
                    stats.filtered[NO_NAME] = stats.filtered.get(NO_NAME, 0) + 1
                    continue
            named: tuple[str | None, dict[str, str]] | None = None
            if rule.requires_name and (structure is None or structure.settled):
                # The name costs no parse here (there is none to make, or it was made): a match it cannot make
                # count is dropped before the filters run (a bundle holds thousands of such matches). Dropped
                # either way; only which reason is counted first differs.
                named = _name_unless_keyed_out(rule, structure, text, found.start(), start, end, default_name)
                if not _named(rule, named[0], text, start):
                    stats.filtered[NO_NAME] = stats.filtered.get(NO_NAME, 0) + 1
                    continue
            line_start, line_end = line_bounds(text, start)
            line = text[line_start:line_end]
            # What the value and its line rule out is ruled out before the document is parsed for names: most
            # matches in real code end here (`password = "changeme"`), and parsing is the costly step. Filters
            # are monotone in the name (what one rejects unnamed it rejects under any name), so this first
            # pass never drops what the named pass below would keep.
            readers: list[Filter] = []  # the filters that read the name (None here): asked again under the name
            reason = self._reject_unnamed(rule, secret, line, path, readers)
            if reason:
                stats.filtered[reason] = stats.filtered.get(reason, 0) + 1
                continue
            # Parsed on the first match that gets this far: most documents never pay for it. In strict JSON the key
            # before a string value is its name, without reading down to it: most such matches end there.
            key = structure.value_key(start, end) if named is None and structure is not None else None
            if key is not None and (reason := self._reject_named(rule, secret, key, line, text, start, path, readers)):
                stats.filtered[reason] = stats.filtered.get(reason, 0) + 1
                continue
            name, where = named or _name(structure, text, found.start(), start, end, default_name)
            reason = self._reject_named(rule, secret, name, line, text, start, path, readers)
            if reason:
                stats.filtered[reason] = stats.filtered.get(reason, 0) + 1
                continue
            verdict = self._attribution.judge(rule, secret, name, text, start, path)
            if verdict.belongs_to is not None:
                # Its name or a host beside it names another provider that uses the same format: that
                # provider's rule reports it, or a generic one does; this one would name the wrong provider.
                stats.filtered[SHARED_FORMAT_ELSEWHERE] = stats.filtered.get(SHARED_FORMAT_ELSEWHERE, 0) + 1
                continue
            context = {**where, "name": name} if name else where
            if verdict.shared_with:
                context = {**context, SHARED_FORMAT: ", ".join(verdict.shared_with)}
            if documentation_comment(line):
                context = {**context, "comment": "documentation"}  # a JSDoc @example: see detect/confidence.py
            extra = {k: v for k, v in found.groupdict().items() if k != "secret" and v}
            yield Match(
                rule=rule,
                secret=secret,
                start=start,
                end=end,
                name=name,
                context={**extra, **context},
                claim=verdict.claim,
            )

    def _decoded_matches(self, values: list[Decoded], path: str, stats: DocumentStats) -> Iterator[Match]:
        """Matches inside base64 values (Kubernetes Secret data, Docker `auth`), placed on the encoded value."""
        index_of = {id(value): index for index, value in enumerate(values)}
        for decoded in values:
            outermost, span = decoded.outermost()
            content = decoded.text.encode("utf-8", "surrogateescape")
            rules = self.active_rules(content, path)
            # Values decoded out of this one speak for their own encodings, as at the top level.
            nested = [v.span_in_parent for v in values if v.parent is decoded and v.span_in_parent]
            for rule in rules:
                for match in self._matches(rule, decoded.text, path, stats, default_name=decoded.name):
                    if not any(low <= match.start and match.end <= high for low, high in nested):
                        yield _placed(match, decoded, (index_of[id(outermost)], *(span or (match.start, match.end))))
            if decoded.login is not None:
                login = self._registry_login(decoded, path, stats)
                if login is not None:
                    where = (index_of[id(outermost)], *(span or (0, len(decoded.text))))
                    yield replace(_placed(login, decoded, where), origin=Origin.STRUCTURE)

    def _registry_login(self, decoded: Decoded, path: str, stats: DocumentStats) -> Match | None:
        """The password of a Docker `auth` entry, as the registry credential it is."""
        rule = next((r for r in self.rules if (r.provider, r.kind) == REGISTRY_AUTH), None)
        if rule is None:
            return None
        password = decoded.text
        from credscope.detect.filters import FilterContext, why_not_a_secret  # noqa: PLC0415

        ctx = FilterContext(password, password, decoded.name, path, rule.id, rule.provider)
        reason = why_not_a_secret(ctx, self.filters)
        if reason:
            stats.filtered[reason] = stats.filtered.get(reason, 0) + 1
            return None
        context = {"name": decoded.name} if decoded.name else {}
        return Match(rule=rule, secret=password, start=0, end=len(password), name=decoded.name, context=context)

    def _reject_unnamed(
        self, rule: Rule, secret: str, line: str, path: str, readers: list[Filter] | None = None
    ) -> str | None:
        """Why the value is not a credential whatever it is assigned to, if it is not. The filters that found
        nothing after reading the name (None) are added to `readers`."""
        from credscope.detect.filters import FilterContext, meets_entropy, why_not_a_secret  # noqa: PLC0415

        if not meets_entropy(secret, rule.entropy):
            return "low entropy"
        if rule.validate:
            validator = self.validators.get(rule.validate)
            if validator is not None and not validator(secret):
                return "checksum mismatch"
        context = FilterContext(secret, line, None, path, rule.id, rule.provider)
        return why_not_a_secret(context, self.filters, readers)

    def _reject_named(
        self,
        rule: Rule,
        secret: str,
        name: str | None,
        line: str,
        text: str,
        start: int,
        path: str,
        readers: Sequence[Filter] | None = None,
    ) -> str | None:
        """Why the value is not a credential under the name it is assigned to (the unnamed checks passed). Only the
        filters that read the name there are asked again, when the caller kept them (`readers`): the others found
        nothing without it, and find nothing with it."""
        if rule.exclude_names and name and rule.exclude_names.search(name):
            return "identifier, not a secret"
        if rule.requires_name and not _named(rule, name, text, start):
            return NO_NAME
        if name is None:
            return None  # the filters saw exactly this before
        from credscope.detect.filters import FilterContext, why_not_a_secret  # noqa: PLC0415

        context = FilterContext(secret, line, name, path, rule.id, rule.provider)
        return why_not_a_secret(context, self.filters if readers is None else readers)


def _name(
    structure: DocumentContext | None, text: str, match_start: int, start: int, end: int, default_name: str | None
) -> tuple[str | None, dict[str, str]]:
    """The name a match (from `match_start`, its secret `start`..`end`) is assigned to, and where: by the
    document's structure when it has one, else by its line; `default_name` when neither names it."""
    where: dict[str, str] = {}
    if structure is not None:
        name, where = structure.resolve(match_start, start, end)
    else:
        name = line_name_of(text, match_start, start)
    return name or default_name, where


def _name_unless_keyed_out(
    rule: Rule,
    structure: DocumentContext | None,
    text: str,
    match_start: int,
    start: int,
    end: int,
    default_name: str | None,
) -> tuple[str | None, dict[str, str]]:
    """`_name`, or a name the rule does not accept when it accepts none `_name` may give: in strict JSON, the key
    of the string value holding the match, or, further inside it, that key or the line's name
    (`DocumentContext.json_key`), known without reading the document down to the value (a model's thousands of
    shapes). Its context is then left out: the match is dropped."""
    found = structure.json_key(start, end) if structure is not None else None
    if found is not None:
        key, whole = found
        names = (key,) if whole else (key, line_name_of(text, match_start, start))
        if not any(_named(rule, name or default_name, text, start) for name in names):
            return key, {}
    return _name(structure, text, match_start, start, end, default_name)


@cache
def _names_inside(names: str, flags: int) -> re.Pattern[str]:
    """A rule's `names` pattern as `nearby` looks for it (anchors left out), for a match to be searched with: a
    match holding a name of its own (`secret_key = "…"` under generic-secret-quoted) `_may_be_named` always
    keeps, whatever `nearby` would place. Hyperscan looks for the same pattern ignoring case, on the document's
    view, and may only add matches (prefilter.py `_namer_patterns`): each match found here ends where one of
    those does, inside the rule's match."""
    return re.compile(unanchored_source(names), flags)


def _may_be_named(rule: Rule, nearby: Nearby, match_start: int, start: int, end: int) -> bool:
    """Whether what could make a requires_name rule accept this match is close enough to it: its `names`
    pattern within NAME_REACH, or its `near` pattern where `_named` looks for it (text[start - within : start +
    within]), by the ends Hyperscan saw them at.

    The prefilter places them only in documents whose every name is text as written and which Hyperscan reads
    as Python does (its view: byte offsets are character offsets); a `names` pattern matches in any text that
    holds a name it matches. So what this rejects, `_named` would reject."""
    return _names_near(rule, nearby, (match_start, end), (start, start))


def _within_reach(windows: Spans, rule: Rule, nearby: Nearby) -> Spans:
    """The windows where a match `_may_be_named` can start: a match starting in [start, stop) ends by endpos."""
    return [
        (low, stop, endpos) for low, stop, endpos in windows if _names_near(rule, nearby, (low, endpos), (low, endpos))
    ]


def _names_near(rule: Rule, nearby: Nearby, matched: tuple[int, int], secret_start: tuple[int, int]) -> bool:
    """Whether a `names` end lies within NAME_REACH of the span `matched`, or a `near` end within the rule's
    `within` of where the secret can start (`secret_start`: the lowest and highest such offset)."""
    if nearby.names is not None and _any_between(nearby.names, matched[0] - NAME_REACH, matched[1] + NAME_REACH):
        return True
    near = rule.near
    return (
        near is not None
        and nearby.near is not None
        and _any_between(nearby.near, secret_start[0] - near.within, secret_start[1] + near.within)
    )


def _any_between(sorted_offsets: Sequence[int], low: int, high: int) -> bool:
    index = bisect.bisect_left(sorted_offsets, low)
    return index < len(sorted_offsets) and sorted_offsets[index] <= high


def _on_lines(rule: Rule, text: str, windows: Spans) -> Iterator[re.Match[str]]:
    """The rule's matches in the given windows: those starting at or after `start` and before `stop`, found by
    a scan that sees `endpos` as the end of the text (see prefilter.Spans).

    The prefilter chose each window so that this finds exactly what a scan of the whole text finds there:
    whole lines for a rule whose matches never touch a newline (detect/regex_shape.py), or stretches around
    Hyperscan's match ends for a rule whose matches are bounded. Lookbehinds and `\\b` still see the text
    before a window.
    """
    finditer = rule.pattern.finditer
    for start, stop, endpos in windows:
        for found in finditer(text, start, endpos):
            if found.start() >= stop:
                break
            yield found


def _named(rule: Rule, name: str | None, text: str, start: int) -> bool:
    if name and rule.names and rule.names.search(name):
        return True
    near = rule.near
    if near is None:
        return False
    if name and near.names and not near.names.search(name):
        return False
    window = text[max(0, start - near.within) : start + near.within]
    return near.pattern.search(window) is not None


def _placed(match: Match, decoded: Decoded, inner: tuple[int, int, int]) -> Match:
    """A match in a decoded value, moved onto the encoded value's span in the document.

    `inner` places it inside the outermost decoded value, so that findings there (a Docker `auth` rule on
    `.dockerconfigjson`) and findings in the value decoded from them (the token in that `auth`) overlap.
    """
    return replace(
        match,
        start=decoded.start,
        end=decoded.end,
        origin=Origin.DECODED,
        inner=inner,
        context={**decoded.context, **match.context},
    )


def _drop_overlaps(matches: list[Match]) -> list[Match]:
    """Where two rules claim overlapping text, keep the most specific claim.

    A provider's rule beats a generic one, a checksum beats none; on the same span, context beats the format
    alone and a format no other provider takes beats a shared one (detect/attribution.py), so that the
    catalogue's order never decides whose credential a value is. Otherwise the longer claim wins: a short
    token a name confirms inside a longer one of a provider's format (an Atlassian legacy token's 24
    characters inside an ATATT3 token) is part of it, not a second credential.
    """

    def priority(match: Match) -> tuple[int, int, int, int, int]:
        return (
            match.origin != Origin.TEXT,
            match.rule.provider != GENERIC_PROVIDER,
            match.rule.validate is not None,
            match.origin,
            match.end - match.start,
        )

    best_on_span: dict[tuple[int, int, tuple[int, int, int] | None], Match] = {}
    for match in matches:
        if match.rule.companion:
            continue  # a companion value (a key id beside its secret) never stands for the credential
        span = (match.start, match.end, match.inner)
        held = best_on_span.get(span)
        if held is None or (priority(match), match.claim) > (priority(held), held.claim):
            best_on_span[span] = match
    beaten = {id(m) for m in matches if not m.rule.companion and best_on_span[(m.start, m.end, m.inner)] is not m}
    ranked = sorted((m for m in matches if id(m) not in beaten), key=priority, reverse=True)
    if any(match.inner is not None for match in ranked):
        return _kept_by_pairs(ranked)
    return _kept_by_spans(ranked)


def _kept_by_spans(ranked: list[Match]) -> list[Match]:
    """Each claim in turn, kept unless it overlaps a claim kept before it (a companion: one of its own rule's),
    sorted by where it starts; for claims all in the document's text.

    Each claim kept clashes with no other kept claim of its kind (a companion with none of its rule's, any
    other with none of the others): each kind's spans are disjoint, and one lookup each says whether a new
    claim overlaps one. A bundle gives thousands of region names: comparing each with every one kept took a
    seventh of such a file's scan."""
    kept: list[Match] = []
    claims = _Disjoint()
    companions: dict[str, _Disjoint] = {}
    for match in ranked:
        held = companions.setdefault(match.rule.id, _Disjoint()) if match.rule.companion else claims
        if held.overlaps(match.start, match.end):
            continue
        held.add(match.start, match.end)
        kept.append(match)
    return sorted(kept, key=lambda m: m.start)


def _kept_by_pairs(ranked: list[Match]) -> list[Match]:
    """What `_kept_by_spans` keeps, for claims in decoded values too (where overlap is read inside the same
    value), comparing each claim with every one kept before it."""
    kept: list[Match] = []
    for match in ranked:
        if match.rule.companion and any(k.rule.id == match.rule.id for k in kept if _overlap(k, match)):
            continue
        if any(_overlap(k, match) and not (k.rule.companion or match.rule.companion) for k in kept):
            continue
        kept.append(match)
    return sorted(kept, key=lambda m: m.start)


class _Disjoint:
    """Disjoint, non-empty spans `[start, end)`, sorted: whether a span overlaps one of them, by bisection."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []

    def overlaps(self, start: int, end: int) -> bool:
        # Disjoint and sorted by start, so sorted by end too: only the last span starting before `end` can
        # reach past `start`.
        index = bisect.bisect_left(self._starts, end)
        return index > 0 and self._ends[index - 1] > start

    def add(self, start: int, end: int) -> None:
        index = bisect.bisect_left(self._starts, start)
        self._starts.insert(index, start)
        self._ends.insert(index, end)


def _overlap(a: Match, b: Match) -> bool:
    if a.inner is not None and b.inner is not None:
        # Two findings in decoded values share the encoded span: they clash only inside the same value.
        return a.inner[0] == b.inner[0] and a.inner[1] < b.inner[2] and b.inner[1] < a.inner[2]
    return a.start < b.end and b.start < a.end


def _without_inline_ignores(
    matches: list[Match], text: str, stats: DocumentStats, placement: _Placement
) -> list[Match]:
    """Matches not marked as accepted. A marker applies to its own line; to the next line only when it says so
    (`ignore-next-line`) or stands alone, a comment on a line of its own: a trailing `# credscope: ignore` after
    a fixture never silences the line below it. (A match is counted by the window that reports it.)"""
    kept = []
    for match in matches:
        line_start, line_end = line_bounds(text, match.start)
        line = text[line_start:line_end]
        previous = text[text.rfind("\n", 0, max(0, line_start - 1)) + 1 : max(0, line_start - 1)]
        if (
            any(m in line for m in _IGNORE_MARKERS)
            or any(m in previous for m in _IGNORE_NEXT_MARKERS)
            or _ALONE_MARKER.match(previous)
        ):
            if placement.owns(match.start):
                stats.ignored_inline += 1
            continue
        kept.append(match)
    return kept


def _pair(matches: list[Match], document: Document, placement: _Placement) -> list[Candidate]:
    lines = placement.lines
    consumed: set[int] = set()
    parts_of: dict[int, dict[str, str]] = {}
    for index, match in enumerate(matches):
        line = lines.line_of(match.start)
        for pair in match.rule.pairs:
            companions = [
                (abs(lines.line_of(other.start) - line), j)
                for j, other in enumerate(matches)
                if other.rule.id == pair.rule and abs(lines.line_of(other.start) - line) <= pair.within_lines
            ]
            if companions:
                _, j = min(companions)
                parts_of.setdefault(index, {})[pair.part] = matches[j].secret
                consumed.add(j)
    candidates = []
    for index, match in enumerate(matches):
        if index in consumed or match.rule.companion:
            continue
        found_parts = parts_of.get(index, {})
        if any(pair.required and pair.part not in found_parts for pair in match.rule.pairs):
            continue
        line, column = placement.position(match.start)
        if document.window is not None and not document.window.owns(line, column):
            continue  # a match in the overlap: the window that owns its start reports it
        location = Location(
            path=document.path,
            line=line,
            column=column,
            reach=document.reach,
            commit=document.commit,
            author_date=document.author_date,
            context={**document.hints, **match.context},
        )
        candidates.append(
            Candidate(
                rule=match.rule.id,
                provider=match.rule.provider,
                kind=match.rule.kind_for(match.name),
                secret=match.secret,
                location=location,
                parts=found_parts,
            )
        )
    return candidates


def _restored(match: Match, table: Mapping[int, int]) -> Match:
    """`match` with the characters `table` maps put back wherever the text gave it a string."""
    return replace(
        match,
        secret=match.secret.translate(table),
        name=match.name.translate(table) if match.name is not None else None,
        context={key: value.translate(table) for key, value in match.context.items()},
    )


class _Placement:
    """Offsets in a document's text as positions in its file: its own lines, or, in a window, the file's."""

    def __init__(self, text: str, window: Window | None) -> None:
        self.lines = LineIndex(text)
        self.window = window

    def position(self, offset: int) -> tuple[int, int]:
        line = self.lines.line_of(offset)
        column = offset - self.lines.line_start(offset) + 1
        if self.window is None:
            return line, column
        # The window's first line may begin before the window does; every later line begins inside it.
        return line + self.window.line - 1, column + (self.window.column - 1 if line == 1 else 0)

    def owns(self, offset: int) -> bool:
        """Whether this document reports a match that starts at `offset` (a window: only from its own part)."""
        return self.window is None or self.window.owns(*self.position(offset))


def _default_validators() -> Mapping[str, Callable[[str], bool]]:
    try:
        from credscope.detect.checksums import VALIDATORS  # noqa: PLC0415
    except ImportError:  # pragma: no cover - the module ships with the package
        return {}
    return VALIDATORS
