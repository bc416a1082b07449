"""Sources turn a place an agent can read (a tree, git history, a home directory, the environment) into documents."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from credscope.model import Document, Skipped

EXCLUDED_PATHS_KEPT = 5  # the reports name the first few paths an exclusion removed, and count them all


@dataclass
class SourceReport:
    """What a source skipped and why; filled while its documents are consumed."""

    skipped: list[Skipped] = field(default_factory=list)
    excluded: dict[str, int] = field(default_factory=dict)  # exclusion pattern -> files it removed
    excluded_paths: dict[str, list[str]] = field(default_factory=dict)  # pattern -> the first paths it removed
    windowed: dict[str, int] = field(default_factory=dict)  # file over the size limit -> bytes read in windows

    def skip(self, path: str, reason: str, detail: str = "") -> None:
        self.skipped.append(Skipped(path=path, reason=reason, detail=detail))

    def read_in_windows(self, path: str, size: int) -> None:
        """`path`, over the size limit, was read to its end in windows (sources/windows.py)."""
        self.windowed[path] = size

    def exclude(self, pattern: str, files: int, path: str = "") -> None:
        """`files` files were left out because they matched `pattern` (the configuration's or --exclude), at
        `path` (a file, or a directory with a trailing `/`); a `!pattern` counts the files it scanned again."""
        self.excluded[pattern] = self.excluded.get(pattern, 0) + files
        shown = self.excluded_paths.setdefault(pattern, [])
        if path and len(shown) < EXCLUDED_PATHS_KEPT:
            shown.append(path)


class Source(Protocol):
    name: str

    def documents(self, report: SourceReport) -> Iterator[Document]:
        """Yield every document, recording what was skipped in `report`."""
        ...
