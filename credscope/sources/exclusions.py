"""Agent-exclusion files (.cursorignore, .aiexclude, .geminiignore, .aiderignore, Claude Code deny rules):
which of them cover a finding's file. Covered findings stay reported: these files keep a file out of
an agent's context, not out of its shell.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from credscope.model import Candidate, Document, Reach

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
    """The exclusion files of one directory tree: (file that says so, compiled patterns)."""

    specs: tuple[tuple[str, Matcher], ...]

    def covering(self, relative: str) -> tuple[str, ...]:
        return tuple(origin for origin, spec in self.specs if spec.match_file(relative))


def _spec(lines: Iterable[str]) -> Matcher:
    from pathspec import PathSpec  # noqa: PLC0415 - only when exclusion files exist

    spec: Matcher = PathSpec.from_lines("gitwildmatch", lines)
    return spec


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
    try:
        settings = json.loads(text)
    except ValueError:
        return []
    deny = settings.get("permissions", {}).get("deny", []) if isinstance(settings, dict) else []
    patterns = []
    for rule in deny if isinstance(deny, list) else []:
        found = _READ_RULE.match(rule) if isinstance(rule, str) else None
        if found is None:
            continue
        pattern = found.group("pattern").strip()
        if pattern.startswith("//"):
            continue
        if pattern.startswith("~/"):
            if home_relative:
                patterns.append("/" + pattern[2:])
            continue
        if home_relative:
            continue
        patterns.append("/" + pattern[2:] if pattern.startswith("./") else pattern)
    return patterns


def load_rulebook(root: Path, home_relative: bool = False) -> Rulebook:
    specs: list[tuple[str, Matcher]] = []
    if not home_relative:
        for name in ROOT_IGNORE_FILES:
            text = _read(root / name)
            if text is not None:
                specs.append((name, _spec(text.splitlines())))
    for name in CLAUDE_SETTINGS:
        text = _read(root / name)
        if text is not None:
            patterns = claude_read_denials(text, home_relative)
            if patterns:
                specs.append(((f"~/{name}" if home_relative else name), _spec(patterns)))
    return Rulebook(tuple(specs))


@dataclass
class Exclusions:
    """Annotates candidates with the exclusion files covering them, one rulebook per scanned root."""

    _books: dict[tuple[str, bool], Rulebook] = field(default_factory=dict)
    _nested: dict[tuple[str, str], Matcher | None] = field(default_factory=dict)

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
        return self._books[key]

    def _nested_covering(self, root: Path, relative: str) -> tuple[str, ...]:
        """.aiexclude files in the directories between the root and the file (the root's one is in the book)."""
        parts = relative.split("/")[:-1]
        names = []
        for depth in range(1, len(parts) + 1):
            directory = "/".join(parts[:depth])
            key = (str(root), directory)
            if key not in self._nested:
                text = _read(root / directory / NESTED_IGNORE_FILE)
                self._nested[key] = _spec(text.splitlines()) if text is not None else None
            spec = self._nested[key]
            if spec is not None and spec.match_file(relative[len(directory) + 1 :]):
                names.append(f"{directory}/{NESTED_IGNORE_FILE}")
        return tuple(names)
