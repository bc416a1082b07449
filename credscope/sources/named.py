"""What the user named on the command line is read, or the scan says why not: never a silent "passed".

A directory is walked (sources/tree.py), and whatever it holds that cannot be read is skipped and counted.
A target the user named is different: if it cannot be read, the run stops with exit 2 and says so. That
covers an unreadable file, a file over the size limit, and a block device or socket. A stream is read once,
up to the size limit, as one document: `-` for standard input, and a pipe or character device such as
`/dev/stdin` or bash's `<(cat .env)`.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NoReturn

from credscope.errors import UsageError
from credscope.model import Document, Reach
from credscope.report.escape import printable
from credscope.sources import SourceReport
from credscope.sources.tree import looks_binary

STDIN = "-"
_CHUNK = 1024 * 1024


@dataclass
class StreamSource:
    """One document read from a stream before the scan starts (a stream cannot be read twice)."""

    path: str
    content: bytes
    name: str = "stream"

    def documents(self, report: SourceReport) -> Iterator[Document]:
        if looks_binary(self.content):
            report.skip(self.path, "binary")
            return
        yield Document(path=self.path, content=self.content, reach=Reach.FILE)


def is_stream(root: Path) -> bool:
    """`-`, or a named pipe or character device (what `/dev/stdin` and `<(...)` name)."""
    if str(root) == STDIN:
        return True
    try:
        mode = os.stat(root).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)


def read_stream(root: Path, max_size: int) -> StreamSource:
    """The stream's bytes, at most `max_size`; a longer stream is an error, not a partial scan."""
    shown = printable(str(root))
    try:
        if str(root) == STDIN:
            content = _read_bounded(sys.stdin.buffer, max_size)
            return StreamSource("stdin", content) if content is not None else _too_large("standard input", max_size)
        with open(root, "rb") as handle:
            content = _read_bounded(handle, max_size)
    except OSError as error:
        raise UsageError(f"{shown}: cannot read: {error.strerror or error}") from None
    return StreamSource(str(root), content) if content is not None else _too_large(shown, max_size)


def check_named_file(root: Path, max_size: int) -> None:
    """A named regular file the scan could not read is the user's error (exit 2), said before scanning."""
    shown = printable(str(root))
    try:
        info = os.stat(root)
    except OSError as error:
        raise UsageError(f"{shown}: cannot read: {error.strerror or error}") from None
    if stat.S_ISDIR(info.st_mode):
        return
    if not stat.S_ISREG(info.st_mode):
        raise UsageError(f"{shown}: not a file, directory, pipe or character device")
    if info.st_size > max_size:
        raise UsageError(
            f"{shown}: {info.st_size} bytes, over the size limit of {max_size}: raise --max-file-size to scan it"
        )
    try:
        os.close(os.open(root, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)))
    except OSError as error:
        raise UsageError(f"{shown}: cannot read: {error.strerror or error}") from None


def _read_bounded(handle: BinaryIO, max_size: int) -> bytes | None:
    parts: list[bytes] = []
    total = 0
    while part := handle.read(min(_CHUNK, max_size + 1 - total)):
        parts.append(part)
        total += len(part)
        if total > max_size:
            return None
    return b"".join(parts)


def _too_large(shown: str, max_size: int) -> NoReturn:
    raise UsageError(f"{shown}: more than {max_size} bytes, over the size limit: raise --max-file-size to scan it")
