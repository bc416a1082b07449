"""The working tree: every regular file under a target, gitignored and untracked ones included.

A file up to the size limit is read whole; a larger one is read in windows (sources/windows.py). A scan lists
the walk's files as `Unread` (`TreeSource.listing`) and its detection workers read them (`read_listed`): the
walking process never holds their bytes. Reading one is the same wherever it happens: the same size limit, the
same binary rule, the same skips.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING

from credscope.model import Document, Reach, Skipped, Unread
from credscope.sources import SourceReport
from credscope.sources.exclusions import PathPatterns, leaves_out, path_patterns
from credscope.sources.git import GitProblem, GitStatus, git_status
from credscope.sources.windows import BINARY_SNIFF, looks_binary, read_in_windows

if TYPE_CHECKING:
    from credscope.sources.history import BlobReader

__all__ = [
    "BINARY_SNIFF",
    "DEFAULT_MAX_FILE_SIZE",
    "TreeOptions",
    "TreeSource",
    "looks_binary",
    "read_listed",
    "read_regular_file",
    "reading",
]

DEFAULT_MAX_FILE_SIZE = 20 * 1024 * 1024
# Directories of third-party code: an agent can read them, but secrets there are not the project's.
DEFAULT_EXCLUDED_DIRS = (
    "node_modules",
    ".venv",
    "venv",
    "site-packages",
    "__pycache__",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "bower_components",
)


@dataclass(frozen=True)
class TreeOptions:
    max_file_size: int = DEFAULT_MAX_FILE_SIZE  # the most a file is read whole; a larger one is read in windows
    excluded_dirs: tuple[str, ...] = DEFAULT_EXCLUDED_DIRS
    # gitignore-style patterns over paths relative to the root (--exclude, `exclude:`): sources/exclusions.py.
    excluded_paths: tuple[str, ...] = ()
    # When set, only these files (relative to the root) are read: the pre-commit case.
    only_files: tuple[str, ...] | None = None


@dataclass
class TreeSource:
    root: Path
    options: TreeOptions = field(default_factory=TreeOptions)
    name: str = "tree"

    def documents(self, report: SourceReport) -> Iterator[Document]:
        for item in self.listing(report):
            if isinstance(item, Unread):
                yield from read_listed(item, report)
            else:
                yield item

    def listing(
        self, report: SourceReport, read_here: Callable[[str], bool] | None = None
    ) -> Iterator[Document | Unread]:
        """The walk's files as `Unread`, for the detector to read (in windows, one over the size limit); named files,
        the pre-commit list and the paths `read_here` names as Documents, read here."""
        root = self.root.resolve()
        if root.is_file():
            yield from self._read(root, root.name, root.parent, _git_status(root.parent, report), report)
            return
        status = _git_status(root, report)
        if self.options.only_files is not None:
            for relative in self.options.only_files:
                yield from self._read(root / relative, relative, root, status, report)
            return
        # Paths relative to the scanned root are relative to the repository's top level after this prefix.
        prefix = _prefix_in(status, root)
        limit = self.options.max_file_size
        for absolute, relative in self._walk(root, report):
            reach = Reach.FILE if status is None or prefix is None else status.reach_of_relative(prefix + relative)
            if read_here is not None and read_here(relative):
                content = _read_text_file(absolute, relative, limit, report)
                if content is not None:
                    yield from _documents(content, relative, reach, str(root), report)
                continue
            # One over the limit too: whoever detects in it reads its windows, one at a time. (Read here and spread
            # over the workers, windows in flight were held here and pickled: 35 MB of this process's peak.)
            size = _listed_size(absolute, relative, report)
            if size is not None:  # None: gone, or not a regular file now, and recorded
                yield Unread(relative, absolute, reach, str(root), limit, size)

    def _walk(self, root: Path, report: SourceReport) -> Iterator[tuple[str, str]]:
        patterns = path_patterns(self.options.excluded_paths)  # --exclude and `exclude:`, gitignore-style
        # Directories as strings: a Path made for each one took a quarter of the listing's time.
        stack: list[tuple[str, str]] = [(str(root), "")]
        while stack:
            directory, prefix = stack.pop()
            try:
                with os.scandir(directory) as it:
                    entries = sorted(it, key=_NAME)
            except OSError as error:
                report.skip(prefix or ".", "unreadable", _reason(error))
                continue
            subdirs: list[tuple[str, str]] = []
            for entry in entries:
                relative = f"{prefix}{entry.name}"
                if patterns is not None and leaves_out(
                    patterns, relative, _is_directory(entry), partial(_files_under, entry), report
                ):
                    continue
                try:
                    is_link = entry.is_symlink()
                    if is_link:
                        _skip_symlink(root, Path(entry.path), relative, report)
                    elif entry.is_dir(follow_symlinks=False):
                        if entry.name == ".git":
                            # git's own files are not the tree's, but its configuration is text an agent reads
                            # (`git remote -v`) and holds credentials: a token in a remote's URL, the header
                            # actions/checkout leaves there. Only that file is listed.
                            yield from _git_config(root, entry.path, relative + "/config", patterns, report)
                            continue
                        if entry.name in self.options.excluded_dirs:
                            report.skip(relative + "/", "excluded-directory")
                            continue
                        subdirs.append((entry.path, relative + "/"))
                    elif entry.is_file(follow_symlinks=False):
                        yield entry.path, relative
                    else:
                        report.skip(relative, "not-a-regular-file")
                except OSError as error:
                    report.skip(relative, "unreadable", _reason(error))
            stack.extend(reversed(subdirs))

    def _read(
        self, absolute: Path, relative: str, root: Path, status: GitStatus | None, report: SourceReport
    ) -> Iterator[Document]:
        content = _read_text_file(absolute, relative, self.options.max_file_size, report)
        if content is None:
            return
        reach = status.reach_of(absolute) if status else Reach.FILE
        yield from _documents(content, relative, reach, str(root), report)


def read_listed(item: Unread, report: SourceReport) -> Iterator[Document]:
    """What a listed file is once read: one Document, its windows when it is over the size limit (when listed, or
    grown since), or nothing with the reason recorded (binary, vanished, unreadable)."""
    content = _read_text_file(item.absolute, item.path, item.max_size, report)
    if content is not None:
        yield from _documents(content, item.path, item.reach, item.root, report)


def reading(item: Unread) -> Iterator[Document | Skipped]:
    """`read_listed` where no report is kept (a pool's worker): what the read recorded follows its documents.

    A file read in windows is not recorded here: the window that ends the file says it was read to its end."""
    report = SourceReport()
    yield from read_listed(item, report)
    yield from report.skipped


class Reading:
    """Reads a listed item where it is detected: a file of a tree (`reading`), or a blob of a repository's history
    (sources/history.py `BlobReader`, which starts git in each process that reads one; `close` stops this
    process's). Pickled to a pool's workers, it carries no open git."""

    def __init__(self) -> None:
        self._blobs: BlobReader | None = None

    def __call__(self, item: Unread) -> Iterator[Document | Skipped]:
        return reading(item) if item.blob is None else self._blob_reader()(item)

    def ahead(self, items: Sequence[object]) -> None:
        """`items` are read next, in this order (a pool's batch): the blobs among them are asked of git ahead."""
        if self._blobs is not None or any(isinstance(item, Unread) and item.blob is not None for item in items):
            self._blob_reader().ahead(items)

    def close(self) -> None:
        if self._blobs is not None:
            self._blobs.close()

    def _blob_reader(self) -> BlobReader:
        if self._blobs is None:
            from credscope.sources.history import BlobReader  # noqa: PLC0415 - only history lists blobs

            self._blobs = BlobReader()
        return self._blobs


def _listed_size(absolute: str, relative: str, report: SourceReport) -> int | None:
    """The size of a regular file the walk met, or None with the reason recorded as reading it would record it."""
    try:
        info = os.lstat(absolute)
    except FileNotFoundError:
        report.skip(relative, "vanished")
        return None
    except OSError as error:
        report.skip(relative, "unreadable", _reason(error))
        return None
    if not stat.S_ISREG(info.st_mode):
        report.skip(relative, "not-a-regular-file")
        return None
    return info.st_size


_NAME = attrgetter("name")  # a directory's entries are listed by name


def _is_directory(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _files_under(entry: os.DirEntry[str]) -> int:
    """How many files an exclusion removes: the entry itself, or every non-directory below it (links not followed).

    Only names are listed, nothing is read: the report says how much each exclusion hid."""
    try:
        if not entry.is_dir(follow_symlinks=False):
            return 1
    except OSError:
        return 1
    count = 0
    stack = [entry.path]
    while stack:
        try:
            with os.scandir(stack.pop()) as it:
                for child in it:
                    try:
                        directory = child.is_dir(follow_symlinks=False)
                    except OSError:
                        directory = False
                    if directory:
                        stack.append(child.path)
                    else:
                        count += 1
        except OSError:
            continue
    return count


def _prefix_in(status: GitStatus | None, root: Path) -> str | None:
    """`root` relative to the repository's top level, as a prefix for paths under it ("" at the top)."""
    if status is None:
        return None
    try:
        relative = root.relative_to(status.toplevel).as_posix()
    except ValueError:
        return None
    return "" if relative == "." else relative + "/"


def _git_status(directory: Path, report: SourceReport) -> GitStatus | None:
    """The repository's status; one git cannot read (a corrupt index) or will not use is said, not taken for none."""
    status = git_status(directory)
    if isinstance(status, GitProblem):
        report.skip(".", status.reason, status.detail)
        return None
    return status


def _git_config(
    root: Path, git_dir: str, relative: str, patterns: PathPatterns | None, report: SourceReport
) -> Iterator[tuple[str, str]]:
    """A repository's `config` file, as the walk lists a file: a link is skipped with its reason, as any link is."""
    config = os.path.join(git_dir, "config")
    try:
        info = os.lstat(config)
    except OSError:
        return  # none (a bare `.git` directory someone made), or unreadable: not the tree's own file
    if leaves_out(patterns, relative, False, lambda: 1, report):
        return
    if stat.S_ISLNK(info.st_mode):
        _skip_symlink(root, Path(config), relative, report)
    elif stat.S_ISREG(info.st_mode):
        yield config, relative


def _skip_symlink(root: Path, link: Path, relative: str, report: SourceReport) -> None:
    # Links are never followed into directories (no loops) nor out of the tree; a link to a
    # file inside the tree is that file, scanned under its own name.
    try:
        target = link.resolve(strict=True)
    except RuntimeError:
        report.skip(relative, "symlink-loop")
        return
    except OSError as error:
        report.skip(relative, "symlink-loop" if error.errno == errno.ELOOP else "broken-symlink")
        return
    if not target.is_relative_to(root):
        report.skip(relative, "symlink-outside-tree")
    elif target.is_dir():
        report.skip(relative, "symlink-to-directory")
    else:
        report.skip(relative, "symlink-inside-tree", target.relative_to(root).as_posix())


@dataclass
class _Long:
    """A text file over the size limit, open, with its first bytes read: what is left is read in windows."""

    fd: int
    head: bytes
    size: int  # its size when opened; bytes appended while it is read are not chased
    grew: bool  # it was within the limit when listed


def read_regular_file(absolute: str | Path, relative: str, max_size: int, report: SourceReport) -> bytes | None:
    """The file's bytes, or None with the reason recorded: never blocks on a FIFO, never raises.

    A file over the size limit is skipped (`too-large`): the home stores are read whole or not at all."""
    content = _read_text_file(absolute, relative, max_size, report)
    if isinstance(content, _Long):
        os.close(content.fd)
        report.skip(relative, "too-large", "grew while being read" if content.grew else f"{content.size} bytes")
        return None
    return content


def _read_text_file(absolute: str | Path, relative: str, max_size: int, report: SourceReport) -> bytes | _Long | None:
    """The file's bytes, the open file when it is over `max_size`, or None with the reason recorded."""
    try:
        info = os.lstat(absolute)
        if not stat.S_ISREG(info.st_mode):
            report.skip(relative, "not-a-regular-file")
            return None
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(absolute, flags)
        try:
            over = info.st_size > max_size
            # Sniff before reading the rest: a multi-gigabyte binary (a sparse disk image) is never loaded whole.
            sniff = BINARY_SNIFF if over else min(BINARY_SNIFF, max_size + 1)
            whole = not over and info.st_size >= sniff and _PREADS
            # A file larger than the sniff is read whole in one call after it (the sniff from its offset 0 does not
            # move the file's): not in two pieces then joined, which copied every large file once more.
            content = os.pread(fd, sniff, 0) if whole else os.read(fd, sniff)
            if looks_binary(content):
                report.skip(relative, "binary")
                return None
            if whole:
                content = os.read(fd, info.st_size + 1)
                if len(content) > info.st_size:  # it grew since lstat: read on to its end
                    content = _read_rest(fd, content, info.st_size, max_size + 1)
            elif not over and len(content) == sniff:  # a regular file read short is read to its end
                content = _read_rest(fd, content, info.st_size, max_size + 1)
            if len(content) > max_size or over:
                size = max(os.fstat(fd).st_size, len(content))
                opened, fd = _Long(fd, content, size, grew=not over), -1  # closed once its windows are read
                return opened
        finally:
            if fd >= 0:
                os.close(fd)
    except FileNotFoundError:
        report.skip(relative, "vanished")
        return None
    except OSError as error:
        report.skip(relative, "unreadable", _reason(error))
        return None
    return content


_PREADS = hasattr(os, "pread")  # not on Windows


def _documents(
    content: bytes | _Long, relative: str, reach: Reach, root: str, report: SourceReport
) -> Iterator[Document]:
    if isinstance(content, bytes):
        yield Document(path=relative, content=content, reach=reach, root=root)
        return
    remaining = content.size - len(content.head)

    def read(size: int) -> bytes:
        nonlocal remaining
        part = os.read(content.fd, min(size, remaining)) if remaining > 0 else b""
        remaining -= len(part)
        return part

    try:
        yield from read_in_windows(read, content.head, relative, reach, report, root)
    except OSError as error:
        report.skip(relative, "unreadable", _reason(error))
    finally:
        os.close(content.fd)


def _read_rest(fd: int, head: bytes, size: int, limit: int) -> bytes:
    """`head` and what follows it up to EOF or `limit` bytes in all: the size lstat gave is read in one call
    (plain `os.read`: a buffered reader asked for `limit` bytes allocates that much for every file)."""
    parts, total = [head], len(head)
    want = max(size + 1 - total, 1)  # one byte more than expected: a file that grew is seen to
    while total < limit:
        asked = min(want, limit - total)
        part = os.read(fd, asked)
        if part:
            parts.append(part)
            total += len(part)
        if len(part) < asked:
            break  # the end: a regular file is read short only there (asking again would read nothing)
        want = 1 << 16
    return b"".join(parts) if len(parts) > 1 else head


def _reason(error: OSError) -> str:
    return error.strerror or type(error).__name__
