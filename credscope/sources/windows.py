"""Files and streams over the size limit, read a window at a time: memory bounded by the window, not the file.

`--max-file-size` is the most a file is read whole (and parsed as its format). A larger file or stream is read
in windows of `WINDOWS.window` bytes, each one document whose `window` places it in the file; each window starts
`WINDOWS.overlap` bytes before the previous one ended. Detection reports a match only from the window that owns
its first character (detect/engine.py), so a credential in an overlap is reported once, at its line and
column in the file.

The overlap is the lead (context a window has before the first byte it owns: the name on the line, a companion
a few lines up, an ignore marker on the line before) plus room for the longest match. The longest match a
bounded rule can make is a PEM private key (private-key-pem, about 355 KiB at its widest);
tests/test_large_files.py holds the built-in catalogue to that. Rules with unbounded repetitions (`\\S{6,}`) are
capped at `longest_match`: a single match longer than 448 KiB is found whole only if it does not cross the end
of a window.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from credscope.model import Document, Reach, Window
from credscope.sources import SourceReport

BINARY_SNIFF = 8192  # leading bytes read to tell a binary file (a NUL among them) from text
_MIB = 1024 * 1024
_NEWLINE_SEARCH = 64 * 1024  # how far back from the cut a line start is looked for
_SHOWN = 5


@dataclass(frozen=True)
class WindowSizes:
    window: int = 8 * _MIB
    overlap: int = _MIB // 2
    lead: int = 64 * 1024

    @property
    def longest_match(self) -> int:
        return self.overlap - self.lead

    def __post_init__(self) -> None:
        if not 0 < self.lead < self.overlap < self.window // 2:
            raise ValueError(f"window sizes out of order: {self}")


WINDOWS = WindowSizes()
Read = Callable[[int], bytes]


def looks_binary(content: bytes) -> bool:
    """A NUL among the first bytes: binary, not scanned (what git and grep decide it by too)."""
    return b"\0" in content[:BINARY_SNIFF]


def read_in_windows(
    read: Read,
    head: bytes,
    path: str,
    reach: Reach,
    report: SourceReport,
    root: str = "",
    sizes: WindowSizes = WINDOWS,
) -> Iterator[Document]:
    """`head` and then what `read` returns until it returns nothing, as overlapping windows.

    A binary file (a NUL in its first bytes) yields nothing and is counted as skipped; a text file is recorded
    in `report.windowed` once read to its end.
    """
    source = _Chained(head, read)
    buffer, ended = _fill(b"", source, sizes.window)
    if looks_binary(buffer):
        report.skip(path, "binary")
        return
    line, column, owns_from, index, shared, total = 1, 1, (1, 1), 0, 0, len(buffer)
    while True:
        if ended:
            window = Window(index, line, column, owns_from, None, shared)
            yield Document(path=path, content=buffer, reach=reach, root=root, window=window)
            break
        cut = _cut(buffer, len(buffer) - sizes.overlap)
        boundary = _char_start(buffer, cut + sizes.lead)
        next_line, next_column = _advance(buffer, 0, cut, line, column)
        owns_to = _advance(buffer, cut, boundary, next_line, next_column)
        window = Window(index, line, column, owns_from, owns_to, shared)
        yield Document(path=path, content=buffer, reach=reach, root=root, window=window)
        kept = buffer[cut:]
        del buffer  # not held here while the next window is read: the consumer decides when it goes
        buffer, ended = _fill(kept, source, sizes.window)
        total += len(buffer) - len(kept)
        line, column, owns_from, index, shared = next_line, next_column, owns_to, index + 1, len(kept)
    report.read_in_windows(path, total)


def windowed_note(windowed: Mapping[str, int], sizes: WindowSizes = WINDOWS) -> tuple[str, ...]:
    """Say which files were read in windows: they were scanned whole, but not parsed as their format."""
    if not windowed:
        return ()
    shown = ", ".join(f"{path} ({size} bytes)" for path, size in list(windowed.items())[:_SHOWN])
    more = ", …" if len(windowed) > _SHOWN else ""
    files = "1 file" if len(windowed) == 1 else f"{len(windowed)} files"
    verb = "was" if len(windowed) == 1 else "were"
    return (
        f"{files} over the size limit {verb} read in windows of {sizes.window // _MIB} MiB and judged line by line: "
        f"{shown}{more}",
    )


class _Chained:
    """Reads `head` first, then from `read`: a stream's first part was read before it was known to be long."""

    def __init__(self, head: bytes, read: Read) -> None:
        self._head = memoryview(head)
        self._read = read

    def __call__(self, size: int) -> bytes:
        if self._head:
            part, self._head = self._head[:size], self._head[size:]
            return bytes(part)
        return self._read(size)


def _fill(buffer: bytes, read: Read, size: int) -> tuple[bytes, bool]:
    """`buffer` read on to `size` bytes; True when the input ended first."""
    parts, total = [buffer], len(buffer)
    while total < size:
        part = read(size - total)
        if not part:
            return b"".join(parts), True
        parts.append(part)
        total += len(part)
    return b"".join(parts), False


def _cut(buffer: bytes, target: int) -> int:
    """Where the next window starts: the start of a line at or before `target` when one is near, else the start
    of a character (a line longer than the search; the window then starts inside it)."""
    newline = buffer.rfind(b"\n", max(0, target - _NEWLINE_SEARCH), target)
    return newline + 1 if newline >= 0 else _char_start(buffer, target)


def _char_start(buffer: bytes, offset: int) -> int:
    """`offset`, moved back off UTF-8 continuation bytes: a window never starts inside a character."""
    for _ in range(3):
        if 0 < offset < len(buffer) and 0x80 <= buffer[offset] < 0xC0:
            offset -= 1
    return offset


def _advance(buffer: bytes, start: int, end: int, line: int, column: int) -> tuple[int, int]:
    """The file position of `buffer[end]`, given that of `buffer[start]`. Columns count characters as the
    detector does: the text decoded as UTF-8, each undecodable byte one character."""
    newlines = buffer.count(b"\n", start, end)
    if newlines:
        line += newlines
        start = buffer.rfind(b"\n", start, end) + 1
        column = 1
    return line, column + len(buffer[start:end].decode("utf-8", "surrogateescape"))
