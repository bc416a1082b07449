"""What a rule's regular expression can match, read from its syntax tree.

Two questions decide whether a rule's pattern may run over the flagged lines of a document rather than over
all of it (detect/prefilter.py):

* is it *line-local*: can no match, and no assertion inside one, touch a newline? Then every match lies on
  one line, and a scan of that line (with the line's newline in reach of lookaheads, and the text before it
  in reach of lookbehinds and `\\b`, as `finditer(text, pos, endpos)` gives) finds exactly the matches the
  scan of the whole text finds there;
* is it *anchored*: does every match contain a literal run of a few characters (`ghp_`, `://`, one of
  `password|secret|token`)? Then Hyperscan reports few match ends for it, and collecting each costs little.

Both answers are conservative: anything this module does not recognise makes a pattern neither (it is then
run over the whole text, as always). The syntax tree is `re`'s own parser (`re._parser`, `sre_parse` before
Python 3.11): an internal module, so any failure to read it also means "neither".
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

try:
    from re import _constants as _c  # type: ignore[attr-defined]
    from re import _parser as _p  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _c
    import sre_parse as _p

_NEWLINE = ord("\n")
_REPEATS = frozenset(
    op for op in (getattr(_c, name, None) for name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")) if op
)
_ASSERTS = frozenset((_c.ASSERT, _c.ASSERT_NOT))
# Character-class categories that contain a newline (before `re` maps them to their Unicode forms).
_NEWLINE_CATEGORIES = frozenset((_c.CATEGORY_SPACE, _c.CATEGORY_LINEBREAK, _c.CATEGORY_NOT_DIGIT, _c.CATEGORY_NOT_WORD))
_NO_NEWLINE_CATEGORIES = frozenset(
    (_c.CATEGORY_NOT_SPACE, _c.CATEGORY_NOT_LINEBREAK, _c.CATEGORY_DIGIT, _c.CATEGORY_WORD)
)
# Anchors a line window cannot change: `\b`, `\B`, and `^`/`\A`, which never match at a window's start unless
# they match there in the whole text. `$` is safe only in MULTILINE mode (checked separately).
_SAFE_AT = frozenset((_c.AT_BOUNDARY, _c.AT_NON_BOUNDARY, _c.AT_BEGINNING, _c.AT_BEGINNING_STRING))


def line_local(pattern: str, flags: int) -> bool:
    """True when no match of the pattern (nor any assertion it makes) can involve a newline."""
    try:
        parsed = _p.parse(pattern, flags)
        return _line_local(list(parsed), _Modes(parsed.state.flags))
    except Exception:  # noqa: BLE001 - an internal parser's surprise only means "run over the whole text"
        return False


def literal_anchor(pattern: str, flags: int) -> int:
    """The length of the shortest literal run that every match of the pattern contains (0 when unsure)."""
    try:
        return _anchor(list(_p.parse(pattern, flags)))
    except Exception:  # noqa: BLE001
        return 0


class _Modes:
    def __init__(self, flags: int) -> None:
        self.multiline = bool(flags & re.MULTILINE)
        self.dotall = bool(flags & re.DOTALL)


def _line_local(items: list[tuple[Any, Any]], modes: _Modes) -> bool:
    for op, av in items:
        if op is _c.LITERAL:
            if av == _NEWLINE:
                return False
        elif op is _c.NOT_LITERAL:
            if av != _NEWLINE:
                return False
        elif op is _c.IN:
            if _set_has_newline(av):
                return False
        elif op is _c.AT:
            if av not in _SAFE_AT and not (modes.multiline and av is _c.AT_END):
                return False
        elif op is _c.SUBPATTERN:
            _group, add_flags, _del_flags, body = av
            if add_flags & (re.MULTILINE | re.DOTALL):
                return False  # `(?m:…$)`, `(?s:.)` scoped to a group: not worth the special case
            if not _line_local(list(body), modes):
                return False
        elif op is _c.BRANCH:
            if not all(_line_local(list(alternative), modes) for alternative in av[1]):
                return False
        elif op in _REPEATS:
            if not _line_local(list(av[2]), modes):
                return False
        elif op in _ASSERTS:
            if not _line_local(list(av[1]), modes):
                return False
        elif op is _c.ANY:
            if modes.dotall:
                return False
        elif op is _c.GROUPREF:
            continue  # repeats what a group matched, and every group is checked where it stands
        else:
            return False  # conditionals, atomic groups, anything unknown
    return True


def _set_has_newline(items: list[tuple[Any, Any]]) -> bool:
    negate = bool(items) and items[0][0] is _c.NEGATE
    contains = False
    for op, av in items[1:] if negate else items:
        if op is _c.LITERAL:
            contains = contains or av == _NEWLINE
        elif op is _c.RANGE:
            contains = contains or av[0] <= _NEWLINE <= av[1]
        elif op is _c.CATEGORY:
            if av in _NEWLINE_CATEGORIES:
                contains = True
            elif av not in _NO_NEWLINE_CATEGORIES:
                return True  # unknown category: assume the worst
        else:
            return True
    return contains != negate


def _anchor(items: list[tuple[Any, Any]]) -> int:
    """A literal run goes on into a group or alternatives that start with literals: the parser takes the common
    prefix out of alternatives (`pass|pwd` is `p` then `ass|wd`), and each match holds the prefix and the rest."""
    best = run = 0
    for op, av in items:
        if op is _c.LITERAL:
            run += 1
            best = max(best, run)
            continue
        if op is _c.SUBPATTERN:
            best = max(best, _anchor(list(av[-1])), run + _leading(list(av[-1])))
        elif op is _c.BRANCH:
            alternatives = [list(alternative) for alternative in av[1]]
            best = max(best, min(max(_anchor(each), run + _leading(each)) for each in alternatives))
        elif op in _REPEATS and av[0] >= 1:
            best = max(best, _anchor(list(av[2])), run + _leading(list(av[2])))
        run = 0
    return best


def _leading(items: list[tuple[Any, Any]]) -> int:
    """How many literal characters every match of `items` starts with."""
    count = 0
    for op, av in items:
        if op is _c.LITERAL:
            count += 1
            continue
        if op is _c.SUBPATTERN:
            return count + _leading(list(av[-1]))
        if op is _c.BRANCH:
            return count + min(_leading(list(alternative)) for alternative in av[1])
        if op in _REPEATS and av[0] >= 1:
            return count + _leading(list(av[2]))
        return count
    return count


class Extent(NamedTuple):
    """How far a match reaches, in characters: what a window around one of its ends must hold."""

    width: int  # the most characters a match consumes
    around: int  # the most characters its assertions (lookarounds, `\b`, `$`) read beyond what it consumes


def match_extent(pattern: str, flags: int) -> Extent | None:
    """The pattern's extent, or None when a match can be empty or has no bound (`\\S+`, `\\s*`)."""
    try:
        parsed = _p.parse(pattern, flags)
        low, high = parsed.getwidth()
        around = _assertion_reach(list(parsed))
    except Exception:  # noqa: BLE001 - an internal parser's surprise only means "run over the whole text"
        return None
    if low == 0 or high >= _BOUNDLESS or around is None:
        return None
    return Extent(high, around)


_BOUNDLESS = 1 << 24  # `re` reports an unbounded width as MAXREPEAT (less one); no rule is this wide


def _assertion_reach(items: list[tuple[Any, Any]]) -> int | None:
    """The characters every assertion of the pattern may read, added up (one for each zero-width anchor)."""
    total = 0
    for op, av in items:
        if op in _ASSERTS:
            _low, high = av[1].getwidth()
            inner = _assertion_reach(list(av[1]))
            if high >= _BOUNDLESS or inner is None:
                return None
            total += high + inner
        elif op is _c.AT:
            total += 1
        elif op is _c.SUBPATTERN:
            inner = _assertion_reach(list(av[-1]))
            if inner is None:
                return None
            total += inner
        elif op is _c.BRANCH:
            for alternative in av[1]:
                inner = _assertion_reach(list(alternative))
                if inner is None:
                    return None
                total += inner
        elif op in _REPEATS:
            inner = _assertion_reach(list(av[2]))
            if inner is None:
                return None
            # An assertion repeated reads from each repetition's position, all within the match plus its reach.
            total += inner
        elif op not in (_c.LITERAL, _c.NOT_LITERAL, _c.IN, _c.ANY, _c.GROUPREF):
            return None  # conditionals, atomic groups, anything unknown
    return total


def ascii_exact(pattern: str, flags: int) -> bool:
    """True when no non-ASCII character (nor \\x1c-\\x1f) can be part of a match or change one.

    Such a rule sees in a UTF-8 document exactly what Hyperscan's byte-level view of it sees: its matches are
    ASCII text, and its assertions are left out of that view anyway (prefilter mode drops them). Everything
    that can match a non-ASCII character makes a pattern inexact: `.`, negated classes, `\\w`, `\\s`, `\\d`,
    `\\b`, and, ignoring case, `i`, `s` and `k` (`ı`, `ſ` and the Kelvin sign fold to them).
    """
    try:
        parsed = _p.parse(pattern, flags)
        return _exact(list(parsed), bool(parsed.state.flags & re.IGNORECASE))
    except Exception:  # noqa: BLE001
        return False


_FOLDING = frozenset(map(ord, "iIsSkK"))


def _ascii_code(code: int, ignore_case: bool) -> bool:
    return code < 0x80 and not 0x1C <= code <= 0x1F and not (ignore_case and code in _FOLDING)


def _exact(items: list[tuple[Any, Any]], ignore_case: bool) -> bool:
    for op, av in items:
        if op is _c.LITERAL:
            if not _ascii_code(av, ignore_case):
                return False
        elif op is _c.IN:
            for item_op, item_av in av:
                if item_op is _c.LITERAL:
                    if not _ascii_code(item_av, ignore_case):
                        return False
                elif item_op is _c.RANGE:
                    low, high = item_av
                    if high >= 0x80 or (low <= 0x1F and high >= 0x1C):
                        return False
                    if ignore_case and any(low <= code <= high for code in _FOLDING):
                        return False
                else:
                    return False  # NEGATE, CATEGORY
        elif op is _c.SUBPATTERN:
            _group, add_flags, del_flags, body = av
            local = (ignore_case or bool(add_flags & re.IGNORECASE)) and not del_flags & re.IGNORECASE
            if not _exact(list(body), local):
                return False
        elif op is _c.BRANCH:
            if not all(_exact(list(alternative), ignore_case) for alternative in av[1]):
                return False
        elif op in _REPEATS:
            if not _exact(list(av[2]), ignore_case):
                return False
        elif op in _ASSERTS:
            continue  # Hyperscan's prefilter mode leaves assertions out: its view is wider either way
        elif op is _c.AT:
            if av in (_c.AT_BOUNDARY, _c.AT_NON_BOUNDARY):
                return False
        elif op is not _c.GROUPREF:
            return False  # `.`, negated literals, anything unknown
    return True


def never_consumed(pattern: str, flags: int) -> frozenset[str]:
    """ASCII characters no match of the pattern consumes (assertions aside): no match ever crosses one."""
    try:
        parsed = _p.parse(pattern, flags)
        consumed: set[int] = set()
        _consumed(list(parsed), bool(parsed.state.flags & re.IGNORECASE), consumed)
    except Exception:  # noqa: BLE001
        return frozenset()
    return frozenset(chr(code) for code in range(0x80) if code not in consumed)


_EVERY = frozenset(range(0x80))
_CATEGORY_SAMPLES = {
    _c.CATEGORY_DIGIT: re.compile(r"\d"),
    _c.CATEGORY_NOT_DIGIT: re.compile(r"\D"),
    _c.CATEGORY_SPACE: re.compile(r"\s"),
    _c.CATEGORY_NOT_SPACE: re.compile(r"\S"),
    _c.CATEGORY_WORD: re.compile(r"\w"),
    _c.CATEGORY_NOT_WORD: re.compile(r"\W"),
}


def _consumed(items: list[tuple[Any, Any]], ignore_case: bool, into: set[int]) -> None:
    for op, av in items:
        if op is _c.LITERAL:
            into.update(_cases(av, ignore_case))
        elif op is _c.NOT_LITERAL or op is _c.ANY:
            into.update(_EVERY)  # conservative: only what can be named for sure is a barrier
        elif op is _c.IN:
            members: set[int] = set()
            negate = bool(av) and av[0][0] is _c.NEGATE
            for item_op, item_av in av[1:] if negate else av:
                if item_op is _c.LITERAL:
                    members.update(_cases(item_av, ignore_case))
                elif item_op is _c.RANGE:
                    for code in range(item_av[0], min(item_av[1], 0x7F) + 1):
                        members.update(_cases(code, ignore_case))
                elif item_op is _c.CATEGORY and item_av in _CATEGORY_SAMPLES:
                    sample = _CATEGORY_SAMPLES[item_av]
                    members.update(code for code in _EVERY if sample.match(chr(code)))
                else:
                    members.update(_EVERY)
            into.update(_EVERY - members if negate else members)
        elif op is _c.SUBPATTERN:
            _group, add_flags, del_flags, body = av
            local = (ignore_case or bool(add_flags & re.IGNORECASE)) and not del_flags & re.IGNORECASE
            _consumed(list(body), local, into)
        elif op is _c.BRANCH:
            for alternative in av[1]:
                _consumed(list(alternative), ignore_case, into)
        elif op in _REPEATS:
            _consumed(list(av[2]), ignore_case, into)
        elif op in _ASSERTS or op is _c.AT or op is _c.GROUPREF:
            continue  # assertions consume nothing; a back-reference repeats what its group consumed
        else:
            into.update(_EVERY)


def _cases(code: int, ignore_case: bool) -> set[int]:
    if not ignore_case or code >= 0x80:
        return {code}
    char = chr(code)
    return {ord(char.lower()), ord(char.upper())} if char.isalpha() else {code}


def assertion_reach(pattern: str, flags: int) -> int | None:
    """The characters the pattern's assertions may read beyond what it consumes, or None when unbounded."""
    try:
        return _assertion_reach(list(_p.parse(pattern, flags)))
    except Exception:  # noqa: BLE001
        return None


class Run(NamedTuple):
    """`length` characters in a row, each in one character set (`character_set`, in the syntax Hyperscan and
    `re` share), matched ignoring case or not."""

    character_set: str
    length: int
    ignore_case: bool

    def expression(self) -> str:
        return f"{self.character_set}{{{self.length}}}"


def mandatory_runs(pattern: str, flags: int, *, shortest: int) -> tuple[Run, ...]:
    """Runs of at least `shortest` characters of one set, of which every match of the pattern holds one (a
    match of `(?:^|[^A-Za-z0-9])[a-f0-9]{32}` holds 32 of `[a-f0-9]` in a row): the longest such run, or one
    for each alternative (`[0-9a-f]{32}|[A-Za-z0-9]{84}`); none when unsure.

    Only what a match consumes counts: lookarounds are left out, and so is any group that sets flags of its own."""
    try:
        parsed = _p.parse(pattern, flags)
        ignore_case = bool(parsed.state.flags & re.IGNORECASE)
        return _runs(list(parsed), ignore_case, shortest) or ()
    except Exception:  # noqa: BLE001 - an internal parser's surprise only means "no run known"
        return ()


def _runs(items: list[tuple[Any, Any]], ignore_case: bool, shortest: int) -> tuple[Run, ...] | None:
    best: tuple[Run, ...] | None = None
    for op, av in items:
        found: tuple[Run, ...] | None = None
        if op in _REPEATS and av[0] >= 1:
            body = list(av[2])
            single = _set_text(body[0][1]) if len(body) == 1 and body[0][0] is _c.IN else None
            if single is not None:
                found = (Run(single, av[0], ignore_case),) if av[0] >= shortest else None
            else:
                found = _runs(body, ignore_case, shortest)
        elif op is _c.SUBPATTERN:
            _group, add_flags, del_flags, body = av
            if not add_flags and not del_flags:
                found = _runs(list(body), ignore_case, shortest)
        elif op is _c.BRANCH:
            alternatives = [_runs(list(alternative), ignore_case, shortest) for alternative in av[1]]
            if all(alternatives):
                found = tuple(run for alternative in alternatives if alternative for run in alternative)
        if found and (best is None or _weakest(found) > _weakest(best)):
            best = found
    return best


def _weakest(runs: tuple[Run, ...]) -> int:
    return min(run.length for run in runs)


_CATEGORY_TEXT = {
    _c.CATEGORY_DIGIT: r"\d",
    _c.CATEGORY_NOT_DIGIT: r"\D",
    _c.CATEGORY_SPACE: r"\s",
    _c.CATEGORY_NOT_SPACE: r"\S",
    _c.CATEGORY_WORD: r"\w",
    _c.CATEGORY_NOT_WORD: r"\W",
}


def _set_text(items: list[tuple[Any, Any]]) -> str | None:
    """A parsed character set written out again, its parts in order (`[a-f0-9]` as `[\\x30-\\x39\\x61-\\x66]`),
    or None for one holding anything but characters, ranges and the six categories, or a character beyond a byte."""
    parts: list[str] = []
    negate = ""
    for index, (op, av) in enumerate(items):
        if op is _c.NEGATE and index == 0:
            negate = "^"
        elif op is _c.LITERAL and av < 0x100:
            parts.append(f"\\x{av:02x}")
        elif op is _c.RANGE and av[1] < 0x100:
            parts.append(f"\\x{av[0]:02x}-\\x{av[1]:02x}")
        elif op is _c.CATEGORY and av in _CATEGORY_TEXT:
            parts.append(_CATEGORY_TEXT[av])
        else:
            return None
    # In one order, whatever the pattern's: `[a-f0-9]` and `[0-9a-f]` are one run to look for.
    return "[" + negate + "".join(sorted(set(parts))) + "]" if parts else None
