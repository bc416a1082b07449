"""The rest of a home directory: every small text file in its dotfiles and configuration directories that no
known store parser read (`~/notes.txt`, `~/.config/<tool>/…`, `~/.ssh/…`), as `home` documents.

What an agent could read but that is not configuration is left out by rule and counted in the report as
`excluded-directory`, as the tree source counts node_modules: caches, browser profiles, package stores,
virtualenvs, toolchains and other large trees, and directories that are not configuration (`~/projects/`: scan
them as trees); so is what goes past the limits. Symbolic links are never followed into directories nor out of
the home directory; FIFOs, sockets and devices are never opened.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from credscope.model import Document, Reach
from credscope.sources import SourceReport
from credscope.sources.home_rules import BINARY_SUFFIXES, CONFIG_ROOTS, MARKERS, SKIPPED_NAMES, SKIPPED_PATHS
from credscope.sources.tree import read_regular_file

NOT_CONFIGURATION = "not a dotfile or configuration directory: scan it as a tree"


@dataclass(frozen=True)
class WalkLimits:
    """Bounds on the walk: a file over `max_file_size` is skipped (`too-large`), and the walk stops (said in the
    report) after `max_files` files or `max_bytes` bytes; directories deeper than `max_depth` are not entered."""

    max_file_size: int = 1024 * 1024
    max_files: int = 20_000
    max_bytes: int = 256 * 1024 * 1024
    max_depth: int = 16


@dataclass
class HomeWalk:
    """One walk of `home` (already resolved); `seen` holds the (device, inode) of files already read."""

    home: Path
    limits: WalkLimits = field(default_factory=WalkLimits)
    seen: dict[tuple[int, int], str] = field(default_factory=dict)
    handled: set[str] = field(default_factory=set)  # paths (relative to home) the store parsers dealt with
    files: int = 0
    bytes: int = 0

    def documents(self, report: SourceReport) -> Iterator[Document]:
        stack: list[tuple[Path, str]] = [(self.home, "")]
        while stack:
            directory, prefix = stack.pop()
            entries = self._list(directory, prefix, report)
            if entries is None:
                continue
            subdirectories: list[tuple[Path, str]] = []
            for entry in entries:
                relative = prefix + entry.name
                if relative in self.handled:
                    continue
                try:
                    if entry.is_symlink():
                        if not prefix or _configuration(prefix.rstrip("/")):
                            yield from self._link(Path(entry.path), relative, report)
                    elif entry.is_dir(follow_symlinks=False):
                        if self._enters(entry, relative, report):
                            subdirectories.append((Path(entry.path), relative + "/"))
                    elif entry.is_file(follow_symlinks=False):
                        if not prefix or _configuration(prefix.rstrip("/")):
                            yield from self._file(Path(entry.path), relative, report)
                    else:
                        report.skip(_shown(relative), "not-a-regular-file")
                except OSError as error:
                    report.skip(_shown(relative), "unreadable", error.strerror or type(error).__name__)
                if self._over(relative, report):
                    return
            stack.extend(reversed(subdirectories))

    def _list(self, directory: Path, prefix: str, report: SourceReport) -> list[os.DirEntry[str]] | None:
        try:
            with os.scandir(directory) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as error:
            report.skip(_shown(prefix or "."), "unreadable", error.strerror or type(error).__name__)
            return None
        names = {entry.name for entry in entries}
        why = next((why for marker, why in MARKERS if marker <= names), None) if prefix else None
        if why is not None:
            report.skip(_shown(prefix), "excluded-directory", why)
            return None
        return entries

    def _enters(self, entry: os.DirEntry[str], relative: str, report: SourceReport) -> bool:
        if entry.name in (".git", ".hg", ".svn"):
            return False  # version-control internals, as in a tree scan
        why = SKIPPED_PATHS.get(relative) or SKIPPED_NAMES.get(entry.name)
        if why is not None:
            report.skip(_shown(relative + "/"), "excluded-directory", why)
            return False
        if not _configuration(relative) and not _towards_root(relative):
            report.skip(_shown(relative + "/"), "excluded-directory", NOT_CONFIGURATION)
            return False
        if relative.count("/") + 1 > self.limits.max_depth:
            report.skip(_shown(relative + "/"), "too-deep", f"more than {self.limits.max_depth} levels below home")
            return False
        return True

    def _link(self, link: Path, relative: str, report: SourceReport) -> Iterator[Document]:
        """A link to a file inside the home directory is read through (dotfile managers link stores into
        place); a link out of it, or to a directory, is never followed."""
        try:
            target = link.resolve(strict=True)
        except RuntimeError:
            report.skip(_shown(relative), "symlink-loop")
            return
        except OSError as error:
            report.skip(_shown(relative), "symlink-loop" if error.errno == errno.ELOOP else "broken-symlink")
            return
        if not target.is_relative_to(self.home):
            report.skip(_shown(relative), "symlink-outside-home")
        elif target.is_dir():
            report.skip(_shown(relative), "symlink-to-directory", "~/" + target.relative_to(self.home).as_posix())
        else:
            yield from self._file(target, relative, report)

    def _file(self, absolute: Path, relative: str, report: SourceReport) -> Iterator[Document]:
        shown = _shown(relative)
        if absolute.suffix.lower() in BINARY_SUFFIXES:
            report.skip(shown, "binary")
            return
        try:
            info = os.lstat(absolute)
        except OSError as error:
            report.skip(shown, "unreadable", error.strerror or type(error).__name__)
            return
        first = self.seen.get((info.st_dev, info.st_ino))
        if first is not None:
            report.skip(shown, "same-file", f"read as {first}")
            return
        if stat.S_ISREG(info.st_mode) and info.st_size > self.limits.max_file_size:
            report.skip(shown, "too-large", f"{info.st_size} bytes")
            return
        content = read_regular_file(absolute, shown, self.limits.max_file_size, report)
        if content is None:
            return
        self.seen[(info.st_dev, info.st_ino)] = shown
        self.files += 1
        self.bytes += len(content)
        yield Document(path=shown, content=content, reach=Reach.HOME, root=str(self.home))

    def _over(self, relative: str, report: SourceReport) -> bool:
        if self.files < self.limits.max_files and self.bytes < self.limits.max_bytes:
            return False
        report.skip(
            _shown(relative),
            "home-limit",
            f"stopped after {self.files} files and {self.bytes} bytes; the rest of the home directory was not read",
        )
        return True


def read_bytes(absolute: Path, shown: str, max_size: int, report: SourceReport) -> bytes | None:
    """A regular file's bytes, binary or not, up to `max_size` (a binary store such as an SQLite database);
    None with the reason recorded otherwise. Never follows a final link, never blocks on a FIFO."""
    try:
        info = os.lstat(absolute)
        if not stat.S_ISREG(info.st_mode):
            report.skip(shown, "not-a-regular-file")
            return None
        if info.st_size > max_size:
            report.skip(shown, "too-large", f"{info.st_size} bytes")
            return None
        fd = os.open(absolute, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        try:
            parts, total = [], 0
            while total <= max_size and (part := os.read(fd, max_size + 1 - total)):
                parts.append(part)
                total += len(part)
        finally:
            os.close(fd)
    except OSError as error:
        report.skip(shown, "unreadable", error.strerror or type(error).__name__)
        return None
    if total > max_size:
        report.skip(shown, "too-large", "grew while being read")
        return None
    return b"".join(parts)


def _configuration(relative: str) -> bool:
    """Whether a directory holds configuration: a dotfile directory or one under a configuration root."""
    return relative.split("/", 1)[0].startswith(".") or any(
        relative == root or relative.startswith(root + "/") for root in CONFIG_ROOTS
    )


def _towards_root(relative: str) -> bool:
    """`Library`, `AppData`: not configuration themselves, but on the way to a configuration root."""
    return any(root.startswith(relative + "/") for root in CONFIG_ROOTS)


def _shown(relative: str) -> str:
    return "~/" + relative if relative != "." else "~/"
