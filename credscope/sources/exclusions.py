"""Agent-exclusion files (.cursorignore, .aiexclude, .geminiignore, .aiderignore, Claude Code deny rules):
which of them cover a finding's file. Covered findings stay reported: these files keep a file out of
an agent's context, not out of its shell.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from credscope.model import Candidate, Document, Reach
from credscope.sources import SourceReport

# Ignore files in gitignore syntax, read at the scanned root; .aiexclude applies in any directory.
ROOT_IGNORE_FILES = (".cursorignore", ".geminiignore", ".aiderignore", ".aiexclude")
NESTED_IGNORE_FILE = ".aiexclude"
CLAUDE_SETTINGS = (".claude/settings.json", ".claude/settings.local.json")
_READ_RULE = re.compile(r"^\s*Read\((?P<pattern>.*)\)\s*$")
_TREE_REACHES = frozenset({Reach.TRACKED, Reach.UNTRACKED, Reach.IGNORED, Reach.FILE})
_MAX_SIZE = 1024 * 1024


class Matcher(Protocol):
    """A compiled gitignore-style pattern list (pathspec's PathSpec)."""

    def match_file(self, file: str) -> bool: ...


@dataclass(frozen=True)
class Rulebook:
    """The exclusion files of one directory tree: (file that says so, compiled patterns), and what was wrong
    with them (patterns that do not compile, named by file and line, each skipped while the others apply)."""

    specs: tuple[tuple[str, Matcher], ...]
    problems: tuple[str, ...] = ()

    def covering(self, relative: str) -> tuple[str, ...]:
        return tuple(origin for origin, spec in self.specs if _matches(spec, relative))


def _encodable(text: str) -> str:
    """File names that are not UTF-8 (surrogate escapes) as text every regex engine takes (RE2 refuses them)."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _matches(spec: Matcher, relative: str) -> bool:
    try:
        return spec.match_file(_encodable(relative))
    except Exception:  # noqa: BLE001 - an engine's refusal only leaves this path unannotated
        return False


def _spec(origin: str, lines: Sequence[tuple[str, str]]) -> tuple[Matcher | None, list[str]]:
    """The patterns (`where`, text) of one exclusion file compiled, those that do not compile left out and named.

    pathspec compiles a whole file at once and raises on its first bad pattern (`[z-a]`, a lone `!`, a class
    RE2 rejects); one hostile line must neither end the scan nor disable the file's other patterns.
    """
    from pathspec import PathSpec, util  # noqa: PLC0415 - only when exclusion files exist
    from pathspec.pattern import Pattern  # noqa: PLC0415

    factory = util.lookup_pattern("gitwildmatch")
    problems: list[str] = []
    compiled: list[tuple[str, Pattern]] = []
    with warnings.catch_warnings():  # `re` warns about `[[` in a pattern: the scanned file's business
        warnings.simplefilter("ignore")
        for where, line in lines:
            if not line:
                continue
            try:
                compiled.append((where, factory(_encodable(line))))
            except Exception:  # noqa: BLE001 - re.error, pathspec's own pattern errors, a bad encoding
                problems.append(_invalid(origin, where))
        try:
            return PathSpec([pattern for _, pattern in compiled]), problems
        except Exception:  # noqa: BLE001 - the matching engine (RE2, Hyperscan) refused a pattern `re` took
            kept: list[Pattern] = []
            for where, pattern in compiled:
                try:
                    PathSpec([pattern])
                except Exception:  # noqa: BLE001 - as above, one pattern at a time to name it
                    problems.append(_invalid(origin, where))
                    continue
                kept.append(pattern)
        try:
            return PathSpec(kept), problems
        except Exception:  # noqa: BLE001 - valid one by one, refused together: the file is not applied
            return None, [*problems, f"{origin}: its patterns could not be compiled together; not applied"]


def _invalid(origin: str, where: str) -> str:
    return f"{origin} {where}: not a valid gitignore pattern; skipped (the other patterns still apply)"


def _numbered(text: str) -> list[tuple[str, str]]:
    return [(f"line {number}", line) for number, line in enumerate(text.splitlines(), start=1)]


def _read(path: Path) -> str | None:
    try:
        if not path.is_file() or path.stat().st_size > _MAX_SIZE:
            return None
        return path.read_text("utf-8", "replace")
    except OSError:
        return None


def claude_read_denials(text: str, home_relative: bool) -> list[str]:
    """gitignore patterns from `permissions.deny` `Read(...)` rules of a Claude Code settings file.

    Project settings: `./x`, `/x` (relative to the project) and bare patterns; home settings:
    `~/x` patterns. Absolute `//x` patterns are not matched against relative paths.
    """
    return [pattern for _, pattern in _claude_denials(text, home_relative)]


def _claude_denials(text: str, home_relative: bool) -> list[tuple[str, str]]:
    """The patterns of `claude_read_denials`, each with where it stands (`deny rule 3`)."""
    try:
        settings = json.loads(text)
    except (ValueError, RecursionError):  # not JSON, or nested deep enough to exhaust the stack
        return []
    permissions = settings.get("permissions") if isinstance(settings, dict) else None
    deny = permissions.get("deny") if isinstance(permissions, dict) else None
    patterns = []
    for index, rule in enumerate(deny if isinstance(deny, list) else [], start=1):
        found = _READ_RULE.match(rule) if isinstance(rule, str) else None
        if found is None:
            continue
        where = f"deny rule {index}"
        pattern = found.group("pattern").strip()
        if pattern.startswith("//"):
            continue
        if pattern.startswith("~/"):
            if home_relative:
                patterns.append((where, "/" + pattern[2:]))
            continue
        if home_relative:
            continue
        patterns.append((where, "/" + pattern[2:] if pattern.startswith("./") else pattern))
    return patterns


def load_rulebook(root: Path, home_relative: bool = False) -> Rulebook:
    specs: list[tuple[str, Matcher]] = []
    problems: list[str] = []

    def add(origin: str, lines: list[tuple[str, str]]) -> None:
        spec, found = _spec(origin, lines)
        problems.extend(found)
        if spec is not None:
            specs.append((origin, spec))

    if not home_relative:
        for name in ROOT_IGNORE_FILES:
            text = _read(root / name)
            if text is not None:
                add(name, _numbered(text))
    for name in CLAUDE_SETTINGS:
        text = _read(root / name)
        if text is not None:
            patterns = _claude_denials(text, home_relative)
            if patterns:
                add(f"~/{name}" if home_relative else name, patterns)
    return Rulebook(tuple(specs), tuple(problems))


@dataclass
class Exclusions:
    """Annotates candidates with the exclusion files covering them, one rulebook per scanned root; `notes` says
    which of their patterns were skipped."""

    _books: dict[tuple[str, bool], Rulebook] = field(default_factory=dict)
    _nested: dict[tuple[str, str], Matcher | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def annotate(self, document: Document, candidates: list[Candidate]) -> list[Candidate]:
        if not candidates or not document.root:
            return candidates
        covered = self.covering(document)
        if not covered:
            return candidates
        return [replace(c, location=replace(c.location, excluded_by=covered)) for c in candidates]

    def covering(self, document: Document) -> tuple[str, ...]:
        if document.reach in _TREE_REACHES:
            root = Path(document.root)
            if root.is_file():
                return ()
            book = self._book(root, home_relative=False)
            return (*book.covering(document.path), *self._nested_covering(root, document.path))
        if document.reach is Reach.HOME and document.path.startswith("~/"):
            return self._book(Path(document.root), home_relative=True).covering(document.path[2:])
        return ()

    def _book(self, root: Path, home_relative: bool) -> Rulebook:
        key = (str(root), home_relative)
        if key not in self._books:
            self._books[key] = load_rulebook(root, home_relative)
            self.notes.extend(self._books[key].problems)
        return self._books[key]

    def _nested_covering(self, root: Path, relative: str) -> tuple[str, ...]:
        """.aiexclude files in the directories between the root and the file (the root's one is in the book)."""
        parts = relative.split("/")[:-1]
        names = []
        for depth in range(1, len(parts) + 1):
            directory = "/".join(parts[:depth])
            key = (str(root), directory)
            if key not in self._nested:
                self._nested[key] = self._nested_spec(root, directory)
            spec = self._nested[key]
            if spec is not None and _matches(spec, relative[len(directory) + 1 :]):
                names.append(f"{directory}/{NESTED_IGNORE_FILE}")
        return tuple(names)

    def _nested_spec(self, root: Path, directory: str) -> Matcher | None:
        path = root / directory / NESTED_IGNORE_FILE
        text = _read(path)
        if text is None:
            return None
        spec, problems = _spec(f"{directory}/{NESTED_IGNORE_FILE}", _numbered(text))
        self.notes.extend(problems)
        return spec


# --- --exclude and the configuration's `exclude` ---------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """The pattern that decides about a path: it leaves it out, or (`!pattern`) scans it again."""

    pattern: str
    excluded: bool


class PathPatterns:
    """gitignore-style patterns over paths relative to a scanned root (--exclude, `exclude:`), with pathspec's
    GitIgnoreSpec: `*.mdx` and `deploy.sh` match at any depth, `/top` and `apps/docs` from the root, `docs/`
    directories only, `apps/docs/**` everything below. As in git, the last pattern that matches a path decides.
    Unlike git, a `!pattern` scans again what it names even inside an excluded directory: such a directory is
    walked file by file whenever any negation is given."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        from pathspec import GitIgnoreSpec  # noqa: PLC0415 - only when something is excluded

        self.patterns = patterns
        self._spec = GitIgnoreSpec.from_lines([_normalised(pattern) for pattern in patterns])
        self._negations = any(pattern.startswith("!") for pattern in patterns)
        self._before: dict[int, GitIgnoreSpec] = {}

    def decide(self, relative: str, directory: bool = False) -> Decision | None:
        """What the patterns say about `relative` (a directory is pruned only when no negation could reach
        inside it); None when no pattern matches, or when a negation matches what nothing excluded."""
        if directory and self._negations:
            return None
        checked = self._spec.check_file(_encodable(relative) + ("/" if directory else ""))
        if checked.include is None or checked.index is None:
            return None
        if checked.include:
            return Decision(self.patterns[checked.index], excluded=True)
        # A negation decides: it matters only when a pattern before it excluded the path.
        if self._excluded_before(checked.index, relative):
            return Decision(self.patterns[checked.index], excluded=False)
        return None

    def _excluded_before(self, index: int, relative: str) -> bool:
        from pathspec import GitIgnoreSpec  # noqa: PLC0415

        if index not in self._before:
            self._before[index] = GitIgnoreSpec.from_lines([_normalised(p) for p in self.patterns[:index]])
        return bool(self._before[index].check_file(_encodable(relative)).include)


def _normalised(pattern: str) -> str:
    """`./x` as people type it for "x at the root": gitignore's `/x`."""
    negation, body = ("!", pattern[1:]) if pattern.startswith("!") else ("", pattern)
    return negation + ("/" + body[2:] if body.startswith("./") else body)


def leaves_out(
    patterns: PathPatterns | None,
    relative: str,
    directory: bool,
    files: Callable[[], int],
    report: SourceReport,
    shown: str = "",
) -> bool:
    """Whether the patterns leave `relative` out. What a pattern decided is counted on `report`, with the path
    (or `shown`): the files it left out (`files()` of them for a directory), or the one a `!pattern` scanned
    again."""
    decision = patterns.decide(relative, directory) if patterns is not None else None
    if decision is None:
        return False
    shown = shown or (relative + "/" if directory else relative)
    report.exclude(decision.pattern, files() if directory and decision.excluded else 1, shown)
    return decision.excluded


def path_patterns(patterns: tuple[str, ...]) -> PathPatterns | None:
    """The compiled patterns; None when there are none (nothing to import or match)."""
    return PathPatterns(patterns) if patterns else None


def invalid_pattern(patterns: Sequence[str]) -> str | None:
    """The first of `patterns` that is not a gitignore-style pattern (it cannot compile), if any."""
    from pathspec import GitIgnoreSpec  # noqa: PLC0415

    for pattern in patterns:
        try:
            with warnings.catch_warnings():  # `re` warns about `[[`: the pattern is refused or taken, not warned on
                warnings.simplefilter("ignore")
                GitIgnoreSpec.from_lines([_normalised(pattern)])
        except Exception:  # noqa: BLE001 - re.error, pathspec's GitIgnorePatternError, a bad encoding
            return pattern
    return None
