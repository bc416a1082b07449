"""Every regular expression that reads scanned text is linear in it: proven by counting, never by timing.

A hostile repository chooses the text credscope's regular expressions search. Python's `re` backtracks, so a
pattern with an unbounded lookahead, two repetitions that can take the same characters, or a repetition that
runs to the end of the line from every start position does quadratic (or worse) work: `azure-sas-token` took
115 s on a 100 kB line. Here, every pattern of the loaded catalogue (rule patterns, `names`, `exclude_names`,
`kind_by_name`, `near`, `paths`) and every regex of the detection code is attacked with inputs built from its
own syntax tree (credscope/testing/regex_steps.py: its keywords repeated, its classes' characters in long runs,
what a match needs up to a repetition followed by that repetition pumped and never finished, BEGIN without
END). The steps a backtracking search takes are counted by a model of `re`'s engine, whose matches are checked
against `re`'s own on every input; doubling an attack must at most about double the count, and no attack may
cost more than STEPS_PER_CHARACTER steps for each character it has. New providers are covered as they are
added: the test iterates over whatever the catalogue holds.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from credscope.catalogue import Rule, load_catalogue
from credscope.testing.regex_steps import (
    Attack,
    CountingPattern,
    StepLimitExceeded,
    adversarial_inputs,
    count_steps,
)

# An attack starts near this many characters; while doubling it more than doubles the count (a repetition
# bounded at a few hundred characters looks quadratic on shorter text), it grows fourfold, up to the largest.
FIRST_SIZE = 256
LARGEST_SIZE = 8192
# Doubling the input may multiply the count by this much (boundary effects: the last unit, the first match).
RATIO = 2.3
# The most work a search may do per character of adversarial input, in the model's steps (a node entered,
# a character taken by a repetition, a backtrack). Quadratic patterns pass it within a few kilobytes.
STEPS_PER_CHARACTER = 1024

# Modules whose regular expressions read scanned text (documents, lines, names, values, paths).
DETECTION_PACKAGES = ("credscope.detect", "credscope.sources.stores")
_CALLS = frozenset(("compile", "search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split"))


@dataclass(frozen=True)
class Subject:
    label: str
    pattern: str
    flags: int
    # How the code calls it: "finditer" for a search (search, finditer, sub, split: an attempt at every
    # position), "match"/"fullmatch" for one anchored attempt (the caller decides where, and pays for the loop).
    modes: tuple[str, ...] = ("finditer",)


def _catalogue_subjects() -> list[Subject]:
    subjects: dict[tuple[str, int], Subject] = {}
    for rule in load_catalogue().rules:
        for where, regex in _rule_regexes(rule):
            key = (regex.pattern, regex.flags & ~re.UNICODE)
            subjects.setdefault(key, Subject(f"{rule.id}.{where}", regex.pattern, regex.flags))
    return list(subjects.values())


def _rule_regexes(rule: Rule) -> Iterator[tuple[str, re.Pattern[str]]]:
    yield "pattern", rule.pattern.compiled()
    for where in ("names", "exclude_names", "paths"):
        regex = getattr(rule, where)
        if regex is not None:
            yield where, regex.compiled()
    for index, (names, _kind) in enumerate(rule.kind_by_name):
        yield f"kind_by_name.{index}", names.compiled()
    if rule.near is not None:
        yield "near.pattern", rule.near.pattern.compiled()
        if rule.near.names is not None:
            yield "near.names", rule.near.names.compiled()


def _code_subjects() -> list[Subject]:
    """Compiled patterns a detection module holds (module globals, and inside the tuples and dicts there) and
    literal patterns it passes to `re.search(...)` and the like."""
    subjects: dict[tuple[str, int], Subject] = {}

    def add(label: str, pattern: str | bytes, flags: int, modes: tuple[str, ...]) -> None:
        text = pattern.decode("latin-1") if isinstance(pattern, bytes) else pattern
        key = (text, flags & ~re.UNICODE)
        known = subjects.get(key)
        merged = tuple(sorted({*modes, *(known.modes if known else ())}))
        subjects[key] = Subject(known.label if known else label, text, flags & ~re.UNICODE, merged)

    for module_name in _detection_modules():
        module = importlib.import_module(module_name)
        tree = ast.parse(Path(module.__file__ or "").read_text("utf-8"))
        called = _methods_called(tree)
        for name, value in vars(module).items():
            modes = _modes(called.get(name, set()))
            for found in _patterns_in(value):
                add(f"{module_name}.{name}", found.pattern, found.flags, modes)
        for line, pattern, mode in _literal_patterns(tree):
            add(f"{module_name}:{line}", pattern, 0, (mode,))
    return list(subjects.values())


def _methods_called(tree: ast.AST) -> dict[str, set[str]]:
    """For each module-level name, the methods called on it (`_HEADER.match(...)` gives match)."""
    called: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            called.setdefault(node.value.id, set()).add(node.attr)
    return called


def _modes(methods: set[str]) -> tuple[str, ...]:
    anchored = methods & {"match", "fullmatch"}
    if anchored and not methods - {"match", "fullmatch", "pattern", "flags", "groupindex"}:
        return tuple(sorted(anchored))
    return ("finditer",)


def _detection_modules() -> Iterator[str]:
    for package_name in DETECTION_PACKAGES:
        package = importlib.import_module(package_name)
        yield package_name
        for info in pkgutil.walk_packages(package.__path__, package_name + "."):
            yield info.name


def _patterns_in(value: object, depth: int = 0) -> Iterator[re.Pattern[str] | re.Pattern[bytes]]:
    if isinstance(value, re.Pattern):
        yield value
    elif isinstance(getattr(value, "__self__", None), re.Pattern):  # a pattern's bound `search`
        yield getattr(value, "__self__")  # noqa: B009
    elif depth < 3 and isinstance(value, (tuple, list, frozenset, set)):
        for item in value:
            yield from _patterns_in(item, depth + 1)
    elif depth < 3 and isinstance(value, dict):
        for item in value.values():
            yield from _patterns_in(item, depth + 1)


def _literal_patterns(tree: ast.AST) -> Iterator[tuple[int, str, str]]:
    """Literal patterns handed to `re.search(...)` and the like (`re.compile` results are module globals)."""
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args):
            continue
        owner, first, function = node.func.value, node.args[0], node.func.attr
        literal = isinstance(first, ast.Constant) and isinstance(first.value, str)
        if literal and isinstance(owner, ast.Name) and owner.id == "re" and function in _CALLS - {"compile"}:
            assert isinstance(first, ast.Constant)
            yield node.lineno, first.value, function if function in ("match", "fullmatch") else "finditer"


CATALOGUE = _catalogue_subjects()
CODE = _code_subjects()


def _assert_linear(subject: Subject) -> None:
    counting = CountingPattern(subject.pattern, subject.flags)
    compiled = re.compile(subject.pattern, subject.flags)
    attacks = adversarial_inputs(subject.pattern, subject.flags)
    assert attacks, f"{subject.label}: no adversarial input could be built from {subject.pattern!r}"
    for mode in subject.modes:
        for attack in attacks:
            verdict = _verdict(counting, compiled, attack, mode)
            assert verdict is None, f"{subject.label} ({mode}): {verdict}\n  pattern: {subject.pattern!r}"


def _verdict(counting: CountingPattern, compiled: re.Pattern[str], attack: Attack, mode: str) -> str | None:
    """None when the attack's cost grows linearly; else what grew, and how."""
    size = FIRST_SIZE
    while True:
        repeats = attack.repeats(size)
        counts = []
        for text in (attack.text(repeats), attack.text(2 * repeats)):
            try:
                counted = counting.count(text, limit=STEPS_PER_CHARACTER * len(text), mode=mode)
            except StepLimitExceeded:
                return f"{attack.name} {attack.prefix!r} + {attack.unit!r} x {repeats}: over the step budget"
            expected = _re_matches(compiled, text, mode)
            assert counted.matches == expected, f"the model of re's search found other matches on {attack}"
            counts.append(counted.steps)
        if counts[1] <= RATIO * counts[0]:
            return None
        if size >= LARGEST_SIZE:
            return f"{attack.name} {attack.prefix!r} + {attack.unit!r}: {counts[0]} then {counts[1]} steps"
        size *= 4


def _re_matches(compiled: re.Pattern[str], text: str, mode: str) -> tuple[tuple[int, int], ...]:
    if mode == "finditer":
        return tuple(found.span() for found in compiled.finditer(text))
    found = compiled.match(text) if mode == "match" else compiled.fullmatch(text)
    return (found.span(),) if found else ()


@pytest.mark.parametrize("subject", CATALOGUE, ids=lambda subject: subject.label)
def test_catalogue_regex_is_linear_in_the_document(subject: Subject) -> None:
    _assert_linear(subject)


@pytest.mark.parametrize("subject", CODE, ids=lambda subject: subject.label)
def test_detection_code_regex_is_linear_in_its_input(subject: Subject) -> None:
    _assert_linear(subject)


# The inputs the issue reported (one long line, a BEGIN without END), built by hand as an attacker would.
REPORTED = {
    "azure-sas-token": lambda n: "x=" + "sp=r&" * (n // 5),
    "generic-secret-unquoted": lambda n: "DB" + "_password" * (n // 9) + " hunter2hunter2",
    "mysql-jdbc-url": lambda n: "jdbc:mysql://db/app?" * (n // 20),
    "private-key-pem": lambda n: "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n" * (n // 48),
}


@pytest.mark.parametrize("rule_id", sorted(REPORTED))
def test_reported_blowups_cost_linear_work(rule_id: str) -> None:
    rule = load_catalogue().rule(rule_id)
    build = REPORTED[rule_id]
    counts = [
        count_steps(rule.pattern.compiled(), build(size), limit=STEPS_PER_CHARACTER * size).steps
        for size in (8192, 16384)
    ]
    assert counts[1] <= RATIO * counts[0], f"{rule_id}: {counts}"


def test_the_harness_catches_a_quadratic_pattern() -> None:
    """The generator and the counter find what they are for: the old `generic-secret-unquoted` name part."""
    quadratic = Subject("quadratic", r"(?im)^[\w.-]*?(?:password|token)[\w.-]*[ \t]*=", re.IGNORECASE | re.MULTILINE)
    with pytest.raises(AssertionError, match="quadratic \\(finditer\\)"):
        _assert_linear(quadratic)
