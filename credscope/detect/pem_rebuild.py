"""A private-key PEM block that code or a comment wrote in pieces, put back together: concatenated string
literals (`"-----BEGIN …\\n" + "MIIE…\\n"`, Python's implicit concatenation, an array of lines), a comment
leader on every line (`# `, `// `, ` * `), or BEGIN, body and END run together on one line. The block comes
back as a key file holds it, for the private-key rule to read; a block the rule reads as written is left alone.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass

# The private-key types providers/private-key.yaml reads: public keys and certificates are never rebuilt.
HEADER = re.compile(r"-----BEGIN ((?:(?:RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY(?: BLOCK)?)-----")
# From BEGIN to END: a 4096-bit PGP key with subkeys, written as concatenated literals, fits several times.
MAX_BLOCK = 64 * 1024
# Bounds the work one document can cause: each block is then scanned as its own small text.
MAX_BLOCKS = 256
_LOOKBACK = 256  # how much of the BEGIN line, before BEGIN, is read for a comment leader or an opening quote
_COMMENT_LEADER = re.compile(r"[ \t]*(#+|//+|/\*+|\*|;+|--)[ \t]*")
_QUOTES = "\"'`"
# What may stand between two literals that are one string: `+` (Python, JS, Java, Go, C#), `.` (PHP), `&`
# (VB), `,` (an array of lines), `\` (a continued line), whitespace; then a string prefix and a quote.
_JOINER = re.compile(r"[\s+.,&\\]*[rRbBuUfFL@$]{0,2}([\"'`])")
_LITERAL = {quote: re.compile(rf"[^{quote}\\]*(?:\\.[^{quote}\\]*)*", re.DOTALL) for quote in _QUOTES}
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_ESCAPED = {"n": "\n", "r": "", "t": "\t", "\n": ""}  # \r dropped: `\r\n` is a line break; `\`+newline joins
# Longer stretches of body without a break than the private-key rule reads: a block that lost its newlines.
_LONG_CHUNK = 128
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_WIDTH = 64


@dataclass(frozen=True)
class Block:
    """A rebuilt PEM block and where its pieces sit in the document (from BEGIN to the end of END)."""

    text: str
    start: int
    end: int
    shape: str  # how it was written: "concatenated strings", "comment" or "one line"


def rebuilt_blocks(text: str) -> Iterator[Block]:
    """Every private-key block in `text` that the private-key rule cannot read as written, rebuilt.

    Linear in the text: each kind's END lines are listed once, and a BEGIN followed by another BEGIN before its
    END (a truncated block) is skipped, so no stretch of text is read for two blocks. At most MAX_BLOCKS.
    """
    headers = list(HEADER.finditer(text))
    footers: dict[str, list[int]] = {}
    found = 0
    for index, header in enumerate(headers):
        footer = f"-----END {header.group(1)}-----"
        if footer not in footers:
            footers[footer] = [m.start() for m in re.finditer(re.escape(footer), text)]
        ends = footers[footer]
        after = bisect.bisect_left(ends, header.end())
        if after == len(ends) or ends[after] - header.start() > MAX_BLOCK:
            continue
        if index + 1 < len(headers) and headers[index + 1].start() < ends[after]:
            continue
        block = _rebuilt(text, header.start(), len(header.group()), ends[after] + len(footer), footer)
        if block is not None:
            yield block
            found += 1
            if found == MAX_BLOCKS:
                return


def _rebuilt(text: str, start: int, header_length: int, stop: int, footer: str) -> Block | None:
    line_start = text.rfind("\n", max(0, start - _LOOKBACK), start) + 1
    lead = text[max(line_start, start - _LOOKBACK) : start]
    raw = text[start:stop]
    pieces: tuple[str, str] | None = None
    comment = _COMMENT_LEADER.fullmatch(lead)
    if comment is not None:
        uncommented = _uncommented(raw, comment.group(1))
        pieces = None if uncommented is None else (_unescaped(uncommented), "comment")
    elif any(quote in lead for quote in _QUOTES):
        quote = lead[max(lead.rfind(q) for q in _QUOTES)]
        pieces = _joined_literals(text, start, stop, quote, footer)
    written, shape = pieces or (_unescaped(raw), "")
    pem, wrapped = _rewrapped(written, header_length, footer)
    if pem is None or pem == _unescaped(raw):
        return None  # the rule reads it as it stands
    return Block(pem, start, stop, shape or ("one line" if wrapped else "escaped"))


def _uncommented(raw: str, leader: str) -> str | None:
    """The block with the comment leader taken off every line after BEGIN's; None when a line lacks it."""
    leader = "*" if leader.startswith("/*") else leader  # `/* -----BEGIN`, then ` * ` on the lines below
    first, *rest = raw.split("\n")
    lines = [first]
    for line in rest:
        stripped = line.lstrip(" \t")
        if not stripped.startswith(leader):
            return None
        lines.append(stripped[len(leader) :].strip(" \t\r"))
    return "\n".join(lines)


def _joined_literals(text: str, start: int, stop: int, quote: str, footer: str) -> tuple[str, str] | None:
    """The string literals from `start` (inside one opened by `quote`) through the one holding END, joined and
    unescaped; None when something other than a literal follows a joiner, or a literal interpolates."""
    limit = min(len(text), stop + 2 * _LOOKBACK)
    parts: list[str] = []
    position = start
    while True:
        body = _LITERAL[quote].match(text, position, limit)
        end = body.end() if body is not None else position
        if end >= limit or text[end] != quote:
            return None
        literal = text[position:end]
        if quote == "`" and "${" in literal:
            return None  # a template literal that interpolates: the key is not all written here
        parts.append(_ESCAPE.sub(lambda m: _ESCAPED.get(m.group(1), m.group(1)), literal))
        if end >= stop:
            break
        joiner = _JOINER.match(text, end + 1, limit)
        if joiner is None:
            return None
        quote, position = joiner.group(1), joiner.end()
    joined = "".join(parts)
    cut = joined.find(footer)
    if cut == -1:
        return None
    return joined[: cut + len(footer)], "concatenated strings" if len(parts) > 1 else ""


def _unescaped(block: str) -> str:
    return block.replace("\\r\\n", "\n").replace("\\n", "\n")


def _rewrapped(block: str, header_length: int, footer: str) -> tuple[str | None, bool]:
    """The block up to its END, its body wrapped at 64 columns when it has lost its line breaks."""
    cut = block.find(footer, header_length)
    if cut == -1:
        return None, False
    body = block[header_length:cut]
    chunks = body.split()
    if not chunks or max(len(chunk) for chunk in chunks) <= _LONG_CHUNK:
        return block[: cut + len(footer)], False
    compact = "".join(chunks)
    if _BASE64.fullmatch(compact) is None:
        return None, False
    lines = "\n".join(compact[i : i + _WIDTH] for i in range(0, len(compact), _WIDTH))
    return f"{block[:header_length]}\n{lines}\n{footer}", True
