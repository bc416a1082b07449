"""Name/value pairs of JSON written inside a string (`"{\\"awsSecretKey\\":\\"…\\"}"`, or escaped twice in a logged
request body, `\\\\\\"`): the name inside the escaped JSON is the name of the value, which no parser of the outer
document sees (to it, the whole string is one value under the outer key, or under none).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import AnyStr

# Each pair is found from its `\":` (what the prefilter's hint is): str.find skips the rest of the text at
# memchr speed, where a regex starting with a class of characters tries every position. From there, the name is
# read backwards (reversed, so that a regex can match it) up to its opening quote, which must carry the same run
# of backslashes, and the value forwards. A value holding an escape of its own is left to the rules as written.
_MARK = '\\":'
_NAME_REVERSED = re.compile(r"[\w.$@-]{0,63}[A-Za-z_$@]")
_VALUE = re.compile(r'[ \t]{0,4}(\\{1,7})"([^"\\\r\n]{8,1024})\1"')
_MAX_RUN = 7  # backslashes before a quote: seven is JSON escaped three times over
# Only names a rule may want (the credential words of generic.yaml and the providers' names): a log full of
# escaped JSON yields a handful of small texts to scan, not one per field.
_CREDENTIAL_NAME = re.compile(r"(?i)pass|pwd|secret|token|key|credential|auth|session|sig")
# Bounds the work one document can cause (each pair is scanned as its own small text).
MAX_PAIRS = 512
# The same, for bytes (`_marks`); and how far before a mark a name may start: 64 characters at most, before a run
# of at most `_MAX_RUN` backslashes.
MARK_BYTES = _MARK.encode()  # the prefilter's hint (joined.JOINED_HINTS), whose every start it may give
_NAME_REVERSED_BYTES = re.compile(_NAME_REVERSED.pattern.encode())
_CREDENTIAL_BYTES = re.compile(_CREDENTIAL_NAME.pattern.encode())
_NAME_WINDOW = 64 + _MAX_RUN + 1


@dataclass(frozen=True)
class EscapedPair:
    """One pair as the JSON it stands for, and where its value sits in the document."""

    name: str
    text: str  # `{"name": "value"}`
    start: int
    end: int


def escaped_pairs(text: str, content: bytes | None = None, marks: Sequence[int] | None = None) -> Iterator[EscapedPair]:
    """Every escaped pair with a credential-like name, in order, at most MAX_PAIRS.

    `content`: the bytes `text` was decoded from (UTF-8, undecodable bytes as surrogates), searched for the marks
    in its stead (see `_marks`). `marks`: where each mark starts in `text`, sorted, when the prefilter saw them
    all in its pass (a search here reads the text at some 1.4 GB/s: the first character of the mark is rare, its
    last one is not, and `find` tries every place where that one stands)."""
    found = 0
    hits = marks if marks is not None else _marks(text, content) if content is not None else _found(text, _MARK)
    for hit in hits:
        if found == MAX_PAIRS:
            return
        pair = _pair_at(text, hit)
        if pair is not None:
            yield pair
            found += 1


def _found(haystack: AnyStr, needle: AnyStr) -> Iterator[int]:
    """Where each occurrence of `needle` starts in `haystack`, found with `find` (memchr speed)."""
    hit = haystack.find(needle)
    while hit != -1:
        yield hit
        hit = haystack.find(needle, hit + len(needle))


def _marks(text: str, content: bytes) -> Iterator[int]:
    """Where each mark is in `text`, found in `content`: a text with a character wider than a byte is two or four
    bytes a character, and a search of it reads all of them (a 24 MB source map: 65 ms, against 21 for its bytes).

    A mark whose name holds no credential word is passed over without its character offset: where the bytes
    before it are ASCII, they are the characters `_pair_at` reads the name from, and it reads the same name from
    them (`_credential_named`). Otherwise the offset is counted from the last one by decoding the bytes between
    them (a mark is ASCII, so it starts a character)."""
    if len(content) == len(text):  # one byte a character: offsets are the same
        yield from _found(content, MARK_BYTES)
        return
    byte_at = char_at = 0
    for hit in _found(content, MARK_BYTES):
        if content[max(0, hit - _NAME_WINDOW) : hit].isascii() and not _credential_named(content, hit):
            continue
        char_at += len(content[byte_at:hit].decode("utf-8", "surrogateescape"))
        byte_at = hit
        yield char_at


def _credential_named(content: bytes, hit: int) -> bool:
    """Whether the name `_pair_at` reads before the mark at `hit` holds a credential word, read as it reads it from
    bytes that are ASCII (where `\\w` means the same in bytes and in text)."""
    _, name = _name_before(content, hit, b"\\", _NAME_REVERSED_BYTES)
    return name is not None and _CREDENTIAL_BYTES.search(name) is not None


def _name_before(
    haystack: AnyStr, hit: int, backslash: AnyStr, name_reversed: re.Pattern[AnyStr]
) -> tuple[int, AnyStr | None]:
    """Where the run of backslashes ending at `hit` (a mark's last backslash) starts, at most `_MAX_RUN` long, and
    the name before it (read backwards, up to 64 characters), if there is one."""
    run_start = hit
    while run_start > 0 and haystack[run_start - 1 : run_start] == backslash and hit - run_start + 1 < _MAX_RUN:
        run_start -= 1
    found = name_reversed.match(haystack[max(0, run_start - 64) : run_start][::-1])
    return run_start, None if found is None else found.group()[::-1]


def _pair_at(text: str, hit: int) -> EscapedPair | None:
    """The pair whose name's closing `\\"` and colon start at `hit` (its last backslash), if it is one."""
    run_start, name = _name_before(text, hit, "\\", _NAME_REVERSED)
    if name is None:
        return None
    run = text[run_start : hit + 1]
    opening = run_start - len(name) - len(run) - 1
    if opening < 0 or text[opening : run_start - len(name)] != run + '"' or text[opening - 1 : opening] == "\\":
        return None
    if not _CREDENTIAL_NAME.search(name):
        return None
    value = _VALUE.match(text, hit + len(_MARK))
    if value is None or value.group(1) != run:
        return None
    return EscapedPair(name, json.dumps({name: value.group(2)}), *value.span(2))
