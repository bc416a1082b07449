"""What the user named on the command line is read, or the scan says why not: never a silent "passed".

A directory is walked (sources/tree.py), and whatever it holds that cannot be read is skipped and counted.
A target the user named is different: if it cannot be read, the run stops with exit 2 and says so. That
covers an unreadable file, and a block device or socket. A stream is read once: `-` for standard input, and a
pipe or character device such as `/dev/stdin` or bash's `<(cat .env)`. Like a file, a stream up to the size
limit is one document, and a longer one is read on in windows (sources/windows.py).
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from credscope.errors import UsageError
from credscope.model import Document, Reach
from credscope.report.escape import printable
from credscope.sources import SourceReport
from credscope.sources.windows import looks_binary, read_in_windows

STDIN = "-"
_CHUNK = 1024 * 1024


@dataclass
class StreamSource:
    """A stream, its first part read before the scan starts (it cannot be read twice, and a named target that
    cannot be read fails the run before anything is scanned); `rest` is still open when the stream is longer
    than the size limit, and read in windows as the scan goes."""

    path: str
    content: bytes
    rest: BinaryIO | None = None
    name: str = "stream"

    def documents(self, report: SourceReport) -> Iterator[Document]:
        if self.rest is not None:
            try:
                yield from read_in_windows(self.rest.read, self.content, self.path, Reach.FILE, report)
            except OSError as error:
                report.skip(self.path, "unreadable", error.strerror or type(error).__name__)
            finally:
                if self.rest is not sys.stdin.buffer:
                    self.rest.close()
            return
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
    """The stream whole when it ends within `max_size` bytes; else its first part, and the rest left to read."""
    shown = printable(str(root))
    try:
        if str(root) == STDIN:
            content = _read_bounded(sys.stdin.buffer, max_size)
            rest = sys.stdin.buffer if len(content) > max_size else None
            return StreamSource("stdin", content, rest)
        handle = open(root, "rb")  # noqa: SIM115 - a long stream stays open until its windows are read
        try:
            content = _read_bounded(handle, max_size)
        except OSError:
            handle.close()
            raise
    except OSError as error:
        raise UsageError(f"{shown}: cannot read: {error.strerror or error}") from None
    if len(content) > max_size:
        return StreamSource(str(root), content, handle)
    handle.close()
    return StreamSource(str(root), content)


def check_named_file(root: Path) -> None:
    """A named regular file the scan could not read is the user's error (exit 2), said before scanning; one
    over the size limit is read in windows."""
    shown = printable(str(root))
    try:
        info = os.stat(root)
    except OSError as error:
        raise UsageError(f"{shown}: cannot read: {error.strerror or error}") from None
    if stat.S_ISDIR(info.st_mode):
        return
    if not stat.S_ISREG(info.st_mode):
        raise UsageError(f"{shown}: not a file, directory, pipe or character device")
    try:
        os.close(os.open(root, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)))
    except OSError as error:
        raise UsageError(f"{shown}: cannot read: {error.strerror or error}") from None


def _read_bounded(handle: BinaryIO, max_size: int) -> bytes:
    """What the stream holds, up to one byte more than `max_size` (the sign that it goes on)."""
    parts: list[bytes] = []
    total = 0
    while total <= max_size and (part := handle.read(min(_CHUNK, max_size + 1 - total))):
        parts.append(part)
        total += len(part)
    return b"".join(parts)
