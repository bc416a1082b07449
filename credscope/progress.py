"""Progress on long scans: one self-overwriting status line on a terminal's stderr, nothing otherwise.

Silent when stderr is piped or redirected, when CI is set, or with TERM=dumb, so logs and reports
never carry control characters. Tiny on purpose: a pre-commit run must not pay for importing rich.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable, Mapping
from typing import Protocol, TextIO

from credscope.report.escape import printable

_SPINNER = "|/-\\"


class Progress(Protocol):
    def update(self, files: int, size: int, path: str) -> None:
        """Called once per document read, with running totals and the document just read."""
        ...

    def finish(self) -> None:
        """Called once at the end, also when the scan fails: leaves the terminal clean."""
        ...


class TerminalProgress:
    """Redraws at most every `interval` seconds: cheap enough to call once per file."""

    def __init__(self, stream: TextIO, interval: float = 0.1, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.interval = interval
        self.clock = clock
        self._last: float | None = None
        self._drawn = False
        self._frame = -1  # the first frame drawn is the first of _SPINNER

    def update(self, files: int, size: int, path: str) -> None:
        now = self.clock()
        if self._last is not None and now - self._last < self.interval:
            return
        self._last = now
        self._frame = (self._frame + 1) % len(_SPINNER)
        width = shutil.get_terminal_size((80, 24)).columns
        head = f"credscope {_SPINNER[self._frame]} {files:,} files, {_size(size)}  "
        room = max(0, width - len(head) - 1)
        path = printable(path)  # a file name is outside text: it must not drive the terminal
        shown = path if len(path) <= room else "…" + path[-(room - 1) :] if room > 1 else ""
        self.stream.write(f"\r\x1b[K{head}{shown}")
        self.stream.flush()
        self._drawn = True

    def finish(self) -> None:
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._drawn = False


def progress_for(stream: TextIO | None = None, environ: Mapping[str, str] | None = None) -> Progress | None:
    """A progress display when `stream` (default stderr) is an interactive terminal outside CI."""
    stream = stream if stream is not None else sys.stderr
    environ = environ if environ is not None else os.environ
    if environ.get("CI") or environ.get("TERM") == "dumb":
        return None
    try:
        interactive = stream.isatty()
    except (AttributeError, ValueError):  # closed or replaced streams
        return None
    return TerminalProgress(stream) if interactive else None


def _size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"  # pragma: no cover - loop always returns
