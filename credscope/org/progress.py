"""A progress bar for organisation runs: one self-overwriting line on a terminal's stderr, silent otherwise."""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable, Mapping
from typing import Protocol, TextIO

from credscope.report.common import printable


class RunProgress(Protocol):
    def update(self, done: int, total: int, errors: int, credentials: int, name: str) -> None: ...

    def finish(self) -> None: ...


class TerminalBar:
    """`credscope org [#####.....] 12/50 repositories, 1 error, 7 credentials  acme/api` at most every 0.1 s."""

    def __init__(self, stream: TextIO, interval: float = 0.1, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.interval = interval
        self.clock = clock
        self._last: float | None = None
        self._drawn = False

    def update(self, done: int, total: int, errors: int, credentials: int, name: str) -> None:
        now = self.clock()
        if done < total and self._last is not None and now - self._last < self.interval:
            return
        self._last = now
        width = shutil.get_terminal_size((80, 24)).columns
        filled = (20 * done) // total if total else 20
        head = (
            f"credscope org [{'#' * filled}{'.' * (20 - filled)}] {done}/{total} repositories, "
            f"{errors} error{'s' * (errors != 1)}, {credentials} credential{'s' * (credentials != 1)}  "
        )
        shown = printable(name)
        room = max(0, width - len(head) - 1)
        shown = shown if len(shown) <= room else ("…" + shown[-(room - 1) :] if room > 1 else "")
        self.stream.write(f"\r\x1b[K{head}{shown}")
        self.stream.flush()
        self._drawn = True

    def finish(self) -> None:
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._drawn = False


def bar_for(stream: TextIO | None = None, environ: Mapping[str, str] | None = None) -> RunProgress | None:
    """A bar when `stream` (default stderr) is an interactive terminal outside CI, as for `scan`."""
    stream = stream if stream is not None else sys.stderr
    environ = environ if environ is not None else os.environ
    if environ.get("CI") or environ.get("TERM") == "dumb":
        return None
    try:
        return TerminalBar(stream) if stream.isatty() else None
    except (AttributeError, ValueError):
        return None
