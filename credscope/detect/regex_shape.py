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
from typing import Any

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
    best = run = 0
    for op, av in items:
        if op is _c.LITERAL:
            run += 1
            best = max(best, run)
            continue
        run = 0
        if op is _c.SUBPATTERN:
            best = max(best, _anchor(list(av[-1])))
        elif op is _c.BRANCH:
            best = max(best, min(_anchor(list(alternative)) for alternative in av[1]))
        elif op in _REPEATS and av[0] >= 1:
            best = max(best, _anchor(list(av[2])))
    return best
