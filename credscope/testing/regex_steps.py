"""How much work Python's `re` does to search a text: a backtracking matcher that counts its steps.

`re` cannot say how many steps a search took, and wall-clock time is no test. This module re-runs a pattern
the way `re`'s engine (sre) does — the same syntax tree (`re._parser`), leftmost match, greedy and lazy
repeats tried in the same order, lookarounds, backreferences, `finditer`'s restarts — and counts every node
it enters, every character a repeat takes and every backtrack. The count is deterministic, so a test can ask
whether doubling an input at most doubles the work. `count_steps` also returns the matches it found, which a
test compares with `re`'s own to show the model searched what `re` searches.

`adversarial_inputs` builds the inputs that make a backtracking search slow, from the pattern's own syntax
tree: its literals and keywords repeated, long runs of its character classes, everything a match needs up to
a repetition followed by that repetition pumped and never finished (an unterminated block), prefixes repeated.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

try:
    from re import _constants as _c  # type: ignore[attr-defined]
    from re import _parser as _p  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _c
    import sre_parse as _p

_REPEATS = frozenset(
    op for op in (getattr(_c, name, None) for name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")) if op
)
_POSSESSIVE = getattr(_c, "POSSESSIVE_REPEAT", None)
_ATOMIC = getattr(_c, "ATOMIC_GROUP", None)
_SINGLE = frozenset((_c.LITERAL, _c.NOT_LITERAL, _c.IN, _c.ANY))

Cont = Callable[[int], bool]
Node = Callable[[int, Cont], bool]


class StepLimitExceeded(Exception):
    """The search took more steps than the caller allowed."""


@dataclass(frozen=True)
class Count:
    steps: int
    matches: tuple[tuple[int, int], ...]


class _State:
    __slots__ = ("limit", "marks", "n", "s", "steps")

    def __init__(self, groups: int) -> None:
        self.s = ""
        self.n = 0
        self.steps = 0
        self.limit = 0
        self.marks: list[tuple[int, int] | None] = [None] * groups


class CountingPattern:
    """A pattern compiled into counting closures; `count` searches one text."""

    def __init__(self, pattern: str | re.Pattern[str], flags: int = 0) -> None:
        if isinstance(pattern, re.Pattern):
            flags = pattern.flags
            pattern = pattern.pattern
        parsed = _p.parse(pattern, flags)
        self.pattern = pattern
        self.flags = parsed.state.flags
        self._state = _State(parsed.state.groups)
        compiler = _Compiler(self._state)
        self._root = compiler.sequence(list(parsed), self.flags)
        # Where no attempt can get past its first character, sre spends a constant few steps (a lookbehind
        # of fixed width, a character test): such positions are charged one step without being walked.
        self._first = _first_test(compiler, list(parsed), self.flags)

    def count(self, text: str, *, limit: int = 10**9, mode: str = "finditer") -> Count:
        """Steps to find every match (`finditer`), or to try one match at the start (`match`, `fullmatch`)."""
        if mode not in ("finditer", "match", "fullmatch"):
            raise ValueError(f"unknown mode {mode!r}")
        state = self._state
        state.s, state.n, state.steps, state.limit = text, len(text), 0, limit
        matches: list[tuple[int, int]] = []
        root = self._root
        old_limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(old_limit, 20 * len(text) + 10_000))
        try:
            position, must_advance = 0, False
            first, text_length = self._first, state.n
            while position <= state.n:
                if first is not None and mode == "finditer":
                    skipped = position
                    while position < text_length and not first(text[position]):
                        position += 1
                    if position != skipped:
                        must_advance = False
                        _tick(state, position - skipped)
                    if position == text_length:
                        _tick(state, 1)  # an attempt at the end, which consumes nothing and fails
                        break
                end = self._attempt(root, position, must_advance, whole=mode == "fullmatch")
                if end is not None:
                    matches.append((position, end))
                    if mode != "finditer":
                        break
                    must_advance = end == position
                    position = end
                    continue
                if mode != "finditer":
                    break
                position, must_advance = position + 1, False
        finally:
            sys.setrecursionlimit(old_limit)
        return Count(state.steps, tuple(matches))

    def _attempt(self, root: Node, position: int, must_advance: bool, *, whole: bool = False) -> int | None:
        state = self._state
        state.marks = [None] * len(state.marks)
        _tick(state, 1)
        ends: list[int] = []

        def done(end: int) -> bool:
            if (must_advance and end == position) or (whole and end != state.n):
                return False
            ends.append(end)
            return True

        return ends[0] if root(position, done) else None


def count_steps(
    pattern: str | re.Pattern[str], text: str, *, flags: int = 0, limit: int = 10**9, mode: str = "finditer"
) -> Count:
    return CountingPattern(pattern, flags).count(text, limit=limit, mode=mode)


def _first_test(compiler: _Compiler, items: list[tuple[Any, Any]], flags: int) -> Callable[[str], bool] | None:
    """A test every first character of a match passes, when one exists and what may precede it costs O(1)."""
    tests: list[Callable[[str], bool]] = []
    try:
        if _first_of(compiler, items, flags, tests):
            return None  # the pattern can match the empty string
    except _NoFirst:
        return None
    if len(tests) == 1:
        return tests[0]
    table = [any(test(chr(code)) for test in tests) for code in range(128)]

    def first(ch: str) -> bool:
        code = ord(ch)
        return table[code] if code < 128 else any(test(ch) for test in tests)

    return first


class _NoFirst(Exception):
    pass


def _first_of(
    compiler: _Compiler, items: list[tuple[Any, Any]], flags: int, tests: list[Callable[[str], bool]]
) -> bool:
    """Add the tests for the items' first character to `tests`; True when the items can match empty."""
    return all(_first_of_item(compiler, op, av, flags, tests) for op, av in items)


def _first_of_item(compiler: _Compiler, op: Any, av: Any, flags: int, tests: list[Callable[[str], bool]]) -> bool:
    if op in _SINGLE:
        tests.append(compiler.char_test(op, av, flags))
        return False
    if op is _c.SUBPATTERN:
        _group, add_flags, del_flags, body = av
        return _first_of(compiler, list(body), (flags | add_flags) & ~del_flags, tests)
    if op is _c.BRANCH:
        nullable = False
        for alternative in av[1]:
            nullable = _first_of(compiler, list(alternative), flags, tests) or nullable
        return nullable
    if op in _REPEATS:
        low, _high, body = av
        return _first_of(compiler, list(body), flags, tests) or low == 0
    if (op is _c.ASSERT or op is _c.ASSERT_NOT) and av[0] < 0:
        return True  # a lookbehind reads a fixed width before the position: constant work
    if op is _c.AT:
        return True
    raise _NoFirst  # lookaheads, backreferences, conditionals: work before the first character


def _tick(state: _State, steps: int) -> None:
    state.steps += steps
    if state.steps > state.limit:
        raise StepLimitExceeded(state.steps)


def _common_prefix(a: str, b: str) -> int:
    size = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        size += 1
    return size


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


class _Compiler:
    def __init__(self, state: _State) -> None:
        self.state = state

    def sequence(self, items: list[tuple[Any, Any]], flags: int) -> Node:
        nodes: list[Node] = []
        run = ""
        for op, av in items:
            if op is _c.LITERAL:
                run += chr(av)
                continue
            if run:
                nodes.append(self.literal_run(run, flags))
                run = ""
            nodes.append(self.node(op, av, flags))
        if run:
            nodes.append(self.literal_run(run, flags))
        if not nodes:
            return lambda pos, k: k(pos)
        if len(nodes) == 1:
            return nodes[0]
        return _chain(nodes)

    def literal_run(self, run: str, flags: int) -> Node:
        """Consecutive literal characters: one step per character compared, as sre's LITERAL opcodes."""
        state = self.state
        if len(run) == 1:
            return self.node(_c.LITERAL, ord(run), flags)
        size = len(run)
        if flags & re.IGNORECASE:
            folded = run.lower()

            def literal_folded(pos: int, k: Cont) -> bool:
                found = state.s[pos : pos + size].lower()
                _tick(state, _common_prefix(found, folded) + 1)
                return found == folded and k(pos + size)

            return literal_folded

        def literal(pos: int, k: Cont) -> bool:
            found = state.s[pos : pos + size]
            _tick(state, _common_prefix(found, run) + 1)
            return found == run and k(pos + size)

        return literal

    def node(self, op: Any, av: Any, flags: int) -> Node:
        state = self.state
        if op in _SINGLE:
            test = self.char_test(op, av, flags)

            def single(pos: int, k: Cont) -> bool:
                _tick(state, 1)
                return pos < state.n and test(state.s[pos]) and k(pos + 1)

            return single
        if op is _c.SUBPATTERN:
            group, add_flags, del_flags, body = av
            inner = self.sequence(list(body), (flags | add_flags) & ~del_flags)
            if group is None:
                return inner
            return _group(state, group, inner)
        if op is _c.BRANCH:
            # sre checks an alternative's first character before entering it; so does this model.
            alternatives = [
                (self.sequence(list(alternative), flags), _first_test(self, list(alternative), flags))
                for alternative in av[1]
            ]

            def branch(pos: int, k: Cont) -> bool:
                _tick(state, 1)
                ch = state.s[pos] if pos < state.n else None
                for alternative, first in alternatives:
                    if first is not None and (ch is None or not first(ch)):
                        _tick(state, 1)
                        continue
                    if alternative(pos, k):
                        return True
                return False

            return branch
        if op in _REPEATS:
            low, high, body = av
            body_items = list(body)
            if len(body_items) == 1 and body_items[0][0] in _SINGLE:
                single_op, single_av = body_items[0]
                test = self.char_test(single_op, single_av, flags)
                return _single_repeat(state, test, low, high, op)
            return _repeat(state, self.sequence(body_items, flags), low, high, op)
        if op is _ATOMIC:
            inner = self.sequence(list(av), flags)
            return _atomic(state, inner)
        if op is _c.ASSERT or op is _c.ASSERT_NOT:
            direction, body = av
            inner = self.sequence(list(body), flags)
            width = body.getwidth()[0] if direction < 0 else 0
            return _assertion(state, inner, direction, width, negate=op is _c.ASSERT_NOT)
        if op is _c.AT:
            return _at(state, av, flags)
        if op is _c.GROUPREF:
            return _backreference(state, av, bool(flags & re.IGNORECASE))
        if op is _c.GROUPREF_EXISTS:
            group, yes, no = av
            yes_node = self.sequence(list(yes), flags)
            no_node = self.sequence(list(no), flags) if no else self.sequence([], flags)

            def conditional(pos: int, k: Cont) -> bool:
                _tick(state, 1)
                return (yes_node if state.marks[group] is not None else no_node)(pos, k)

            return conditional
        raise NotImplementedError(f"regex opcode {op} is not modelled")

    def char_test(self, op: Any, av: Any, flags: int) -> Callable[[str], bool]:
        ignore = bool(flags & re.IGNORECASE)
        if op is _c.LITERAL:
            wanted = chr(av)
            if ignore:
                lowered = wanted.lower()
                return lambda ch: ch == wanted or ch.lower() == lowered
            return wanted.__eq__
        if op is _c.NOT_LITERAL:
            unwanted = chr(av)
            if ignore:
                folded = {unwanted, unwanted.lower(), unwanted.upper()}
                return lambda ch: ch not in folded and ch.lower() not in folded
            return lambda ch: ch != unwanted
        if op is _c.ANY:
            if flags & re.DOTALL:
                return lambda ch: True
            return lambda ch: ch != "\n"
        return _set_test(av, ignore)


def _chain(nodes: list[Node]) -> Node:
    first, rest = nodes[0], _chain(nodes[1:]) if len(nodes) > 2 else nodes[1]

    def sequence(pos: int, k: Cont) -> bool:
        return first(pos, lambda p: rest(p, k))

    return sequence


def _group(state: _State, group: int, inner: Node) -> Node:
    def grouped(pos: int, k: Cont) -> bool:
        def close(end: int) -> bool:
            previous = state.marks[group]
            state.marks[group] = (pos, end)
            if k(end):
                return True
            state.marks[group] = previous
            return False

        return inner(pos, close)

    return grouped


def _single_repeat(state: _State, test: Callable[[str], bool], low: int, high: int, op: Any) -> Node:
    """A repeat of one character (sre's REPEAT_ONE / MIN_REPEAT_ONE): take the run, then give back."""
    if op is _c.MIN_REPEAT:

        def lazy(pos: int, k: Cont) -> bool:
            _tick(state, 1)
            s, n, end = state.s, state.n, pos
            while end - pos < low:
                _tick(state, 1)
                if end >= n or not test(s[end]):
                    return False
                end += 1
            while True:
                _tick(state, 1)
                if k(end):
                    return True
                if end - pos >= high or end >= n or not test(s[end]):
                    return False
                end += 1

        return lazy

    def greedy(pos: int, k: Cont) -> bool:
        _tick(state, 1)
        s, stop, end = state.s, min(state.n, pos + high), pos
        while end < stop and test(s[end]):
            end += 1
        _tick(state, end - pos)
        if end - pos < low:
            return False
        if op is _POSSESSIVE:
            return k(end)
        while end >= pos + low:
            _tick(state, 1)
            if k(end):
                return True
            end -= 1
        return False

    return greedy


def _repeat(state: _State, body: Node, low: int, high: int, op: Any) -> Node:
    """A repeat of anything else (sre's REPEAT with MAX_UNTIL / MIN_UNTIL): one iteration at a time."""
    lazy = op is _c.MIN_REPEAT
    possessive = op is _POSSESSIVE

    def repeated(pos: int, k: Cont) -> bool:
        def step(at: int, count: int, last: int) -> bool:
            _tick(state, 1)

            def again(end: int) -> bool:
                return step(end, count + 1, at)

            if count < low:
                return body(at, again)
            # An iteration that matched nothing ends the repeat (as sre's `last_ptr` check does).
            more = count < high and at != last
            if lazy:
                return k(at) or (more and body(at, again))
            return (more and body(at, again)) or k(at)

        if possessive:
            return _atomic(state, lambda p, c: step(p, 0, -1) and c(p))(pos, k)
        return step(pos, 0, -1)

    return repeated


def _atomic(state: _State, inner: Node) -> Node:
    def atomic(pos: int, k: Cont) -> bool:
        _tick(state, 1)
        ends: list[int] = []

        def first(end: int) -> bool:
            ends.append(end)
            return True

        return inner(pos, first) and k(ends[0])

    return atomic


def _assertion(state: _State, inner: Node, direction: int, width: int, *, negate: bool) -> Node:
    def asserted(pos: int, k: Cont) -> bool:
        _tick(state, 1)
        saved = list(state.marks) if negate else state.marks
        if direction < 0:
            start = pos - width
            found = start >= 0 and inner(start, lambda end: end == pos)
        else:
            found = inner(pos, lambda end: True)
        if negate:
            state.marks = saved
            return not found and k(pos)
        return found and k(pos)

    return asserted


def _at(state: _State, code: Any, flags: int) -> Node:
    multiline = bool(flags & re.MULTILINE)

    def holds(pos: int) -> bool:
        s, n = state.s, state.n
        if code is _c.AT_BEGINNING:
            return pos == 0 or (multiline and s[pos - 1] == "\n")
        if code is _c.AT_BEGINNING_STRING:
            return pos == 0
        if code is _c.AT_END:
            if multiline:
                return pos == n or s[pos] == "\n"
            return pos == n or (pos == n - 1 and s[pos] == "\n")
        if code is _c.AT_END_STRING:
            return pos == n
        if code in (_c.AT_BOUNDARY, _c.AT_NON_BOUNDARY):
            before = pos > 0 and _is_word(s[pos - 1])
            after = pos < n and _is_word(s[pos])
            return (before != after) == (code is _c.AT_BOUNDARY)
        raise NotImplementedError(f"regex anchor {code} is not modelled")

    def anchored(pos: int, k: Cont) -> bool:
        _tick(state, 1)
        return holds(pos) and k(pos)

    return anchored


def _backreference(state: _State, group: int, ignore: bool) -> Node:
    def backreference(pos: int, k: Cont) -> bool:
        _tick(state, 1)
        mark = state.marks[group]
        if mark is None:
            return False
        wanted = state.s[mark[0] : mark[1]]
        found = state.s[pos : pos + len(wanted)]
        _tick(state, len(wanted))
        same = found.lower() == wanted.lower() if ignore else found == wanted
        return same and k(pos + len(wanted))

    return backreference


_CATEGORIES: dict[Any, Callable[[str], bool]] = {
    _c.CATEGORY_DIGIT: str.isdecimal,
    _c.CATEGORY_NOT_DIGIT: lambda ch: not ch.isdecimal(),
    _c.CATEGORY_SPACE: str.isspace,
    _c.CATEGORY_NOT_SPACE: lambda ch: not ch.isspace(),
    _c.CATEGORY_WORD: _is_word,
    _c.CATEGORY_NOT_WORD: lambda ch: not _is_word(ch),
    _c.CATEGORY_LINEBREAK: lambda ch: ch == "\n",
    _c.CATEGORY_NOT_LINEBREAK: lambda ch: ch != "\n",
}


def _set_test(items: list[tuple[Any, Any]], ignore: bool) -> Callable[[str], bool]:
    negate = bool(items) and items[0][0] is _c.NEGATE
    chars: set[str] = set()
    ranges: list[tuple[int, int]] = []
    categories: list[Callable[[str], bool]] = []
    for op, av in items[1:] if negate else items:
        if op is _c.LITERAL:
            chars.add(chr(av))
        elif op is _c.RANGE:
            ranges.append(av)
        elif op is _c.CATEGORY:
            categories.append(_CATEGORIES[av])
        else:
            raise NotImplementedError(f"regex set item {op} is not modelled")

    def member(ch: str) -> bool:
        if ch in chars:
            return True
        code = ord(ch)
        return any(low <= code <= high for low, high in ranges) or any(test(ch) for test in categories)

    def folded(ch: str) -> bool:
        return member(ch) or member(ch.lower()) or member(ch.upper())

    test = folded if ignore else member
    # A table for ASCII: most characters of most inputs, looked up without calls.
    table = [test(chr(code)) != negate for code in range(128)]

    def in_set(ch: str) -> bool:
        code = ord(ch)
        return table[code] if code < 128 else test(ch) != negate

    return in_set


# --- inputs built to make a backtracking search slow --------------------------------------------------------

# Characters tried, in order, when a character class needs a representative.
_PREFERRED = "aA0_-./+=:;,&@#%?!~*'\"`$()[]{}<>|\\^ \t\n\r\x0bé\u2028"


@dataclass(frozen=True)
class Attack:
    """`prefix + unit * k`: what an adversary repeats (`unit`) after what gets an attempt going (`prefix`)."""

    name: str
    prefix: str
    unit: str

    def repeats(self, size: int) -> int:
        """How many units make the text about `size` characters long."""
        return max(1, (size - len(self.prefix)) // max(1, len(self.unit)))

    def text(self, repeats: int) -> str:
        return self.prefix + self.unit * repeats


@dataclass
class _Walk:
    flags: int
    literals: set[str]
    chars: set[str]
    # (prefix, what may be repeated there) at each repetition of the pattern
    pumps: list[tuple[str, list[str]]]
    prefixes: set[str]
    groups: dict[int, str]


def adversarial_inputs(pattern: str | re.Pattern[str], flags: int = 0, *, limit: int = 160) -> list[Attack]:
    """Inputs built from the pattern's own parts (see the module's docstring), at most `limit` of them."""
    if isinstance(pattern, re.Pattern):
        flags = pattern.flags
        pattern = pattern.pattern
    parsed = _p.parse(pattern, flags)
    walk = _Walk(parsed.state.flags, set(), set(), [], set(), {})
    whole = _witness(list(parsed), walk, "")
    attacks: dict[tuple[str, str], str] = {}

    def add(name: str, prefix: str, unit: str) -> None:
        if unit and (prefix, unit) not in attacks:
            attacks[(prefix, unit)] = name

    # Pumped repetitions first: they are the unterminated blocks and the nested-quantifier traps.
    for prefix, units in walk.pumps:
        for unit in units:
            add("unterminated repetition", prefix, unit)
            add("repeated prefix and repetition", "", prefix + unit)
            add("repeated prefix and repetition, one a line", "", prefix + unit + "\n")
    for literal in sorted(walk.literals, key=lambda s: (-len(s), s)):
        add("repeated literal", "", literal)
        add("repeated literal, spaced", "", literal + " ")
        add("repeated literal, one a line", "", literal + "\n")
    for prefix in sorted(walk.prefixes, key=lambda s: (len(s), s)):
        add("repeated prefix", "", prefix)
        add("repeated prefix, one a line", "", prefix + "\n")
    if whole:
        add("repeated near-match", "", whole[:-1])
        add("repeated match", "", whole)
        add("repeated near-match, one a line", "", whole[:-1] + "\n")
    for char in sorted(walk.chars):
        add("run of one class", "", char)
    return [Attack(name, prefix, unit) for (prefix, unit), name in list(attacks.items())[:limit]]


def _witness(items: list[tuple[Any, Any]], walk: _Walk, before: str) -> str:
    """A short string the items match (as near as a walk can tell), collecting the parts to attack with."""
    out = ""
    literal = ""
    for op, av in items:
        here = before + out
        if op is _c.LITERAL:
            literal += chr(av)
            out += chr(av)
            continue
        if literal:
            walk.literals.add(literal)
            literal = ""
        part = _item_witness(op, av, walk, here)
        if op in _REPEATS or op is _c.BRANCH or op is _c.ASSERT:
            walk.prefixes.add(here)
        out += part
    if literal:
        walk.literals.add(literal)
    return out


def _item_witness(op: Any, av: Any, walk: _Walk, before: str) -> str:
    if op in _SINGLE:
        chars = _representatives(op, av, walk.flags)
        walk.chars.update(chars)
        return chars[0] if chars else ""
    if op is _c.SUBPATTERN:
        group, add_flags, del_flags, body = av
        saved = walk.flags
        walk.flags = (walk.flags | add_flags) & ~del_flags
        text = _witness(list(body), walk, before)
        walk.flags = saved
        if group is not None:
            walk.groups[group] = text
        return text
    if op is _c.BRANCH:
        texts = [_witness(list(alternative), walk, before) for alternative in av[1]]
        walk.pumps.append((before, sorted(set(filter(None, texts)))))
        return texts[0]
    if op in _REPEATS:
        low, high, body = av
        body_text = _witness(list(body), walk, before)
        units = {body_text} if body_text else set()
        body_items = list(body)
        if len(body_items) == 1 and body_items[0][0] in _SINGLE:
            single_op, single_av = body_items[0]
            units.update(_representatives(single_op, single_av, walk.flags))
        walk.pumps.append((before, sorted(units)))
        return body_text * max(low, 1) if high else ""
    if op is _ATOMIC:
        return _witness(list(av), walk, before)
    if op is _c.ASSERT or op is _c.ASSERT_NOT:
        direction, body = av
        text = _witness(list(body), walk, before)
        if text and op is _c.ASSERT and direction > 0:
            walk.literals.add(text)
        return ""
    if op is _c.GROUPREF:
        return walk.groups.get(av, "")
    if op is _c.GROUPREF_EXISTS:
        return _witness(list(av[1]), walk, before)
    return ""


def _representatives(op: Any, av: Any, flags: int) -> list[str]:
    """A few characters the item matches: the first preferred one, and the separators among them."""
    test = _Compiler(_State(0)).char_test(op, av, flags)
    found = [ch for ch in _PREFERRED if test(ch)]
    if not found:
        found = [ch for ch in map(chr, range(32, 127)) if test(ch)][:1]
    if not found and op is _c.IN:
        # A set of nothing but non-ASCII (surrogates, a script's range): its own first characters.
        own = [chr(av_[0] if item is _c.RANGE else av_) for item, av_ in av if item in (_c.RANGE, _c.LITERAL)]
        found = [ch for ch in own if test(ch)][:1]
    separators = [ch for ch in found if not ch.isalnum()]
    return list(dict.fromkeys(found[:1] + separators[:2]))
