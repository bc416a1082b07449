"""Secrets written in a shape no rule reads in place: a private key split over string literals, behind comment
leaders, on one line (pem_rebuild.py) or base64-encoded (`LS0tLS1CRUdJTi…`, base64 of `-----BEGIN`), and
name/value pairs of JSON escaped inside a string (escaped_json.py). Each comes back as a small text the rules
scan, as decode_sources' decoded values do; a finding in it points at the original span. A base64 PEM stands
for its encoding, as those values do: what it holds decides, whatever a rule read in the base64 itself. A rebuilt
key or an escaped pair only adds to what the rules read in the text as written.

Only documents holding one of JOINED_HINTS (found by the prefilter in its one pass) are read for them.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from credscope.detect.context import assigned_name
from credscope.detect.decode_sources import Decoded
from credscope.detect.escaped_json import MARK_BYTES, escaped_pairs
from credscope.detect.pem_rebuild import HEADER, MAX_BLOCK, MAX_BLOCKS, rebuilt_blocks

JOINED_HINTS = (b"-----BEGIN", b"LS0tLS1CRUdJTi", MARK_BYTES)
_BASE64_PEM = re.compile(r"LS0tLS1CRUdJTi[A-Za-z0-9+/]{16,%d}={0,2}" % (MAX_BLOCK * 4 // 3))  # noqa: UP031
_ANY_HEADER = re.compile(r"-----BEGIN ([A-Z0-9 ]{1,40})-----")  # a private key, a public key, a certificate, ...
_BASE64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


@dataclass(frozen=True)
class Joined:
    """What a document's hints point at: values that stand for their span (`encodings`) and values that add to
    what the rules read there (`readings`)."""

    encodings: tuple[Decoded, ...]
    readings: tuple[Decoded, ...]


def joined_values(
    text: str,
    hints: frozenset[bytes],
    taken: Sequence[Decoded] = (),
    claimed: Sequence[tuple[int, int]] = (),
    content: bytes | None = None,
    marks: Sequence[int] | None = None,
) -> Joined:
    """The values the document's `hints` (those of JOINED_HINTS it holds) point at, outside the spans of the
    values already decoded (`taken`: a Kubernetes Secret's base64 is decoded there, not twice).

    An escaped pair whose value a provider's rule already matched as written (`claimed` spans) is left to that
    match: the rule may have judged it by context beyond the pair (an API host beside it), which the pair
    alone lacks, and a generic reading of the pair would otherwise win the overlap.

    `content`: the bytes the text was decoded from, where escaped pairs are looked for (escaped_json.py), unless
    `marks` says where they are (the prefilter saw them).
    """
    found: list[Decoded] = []
    if b"-----BEGIN" in hints:
        found.extend(
            Decoded(block.text, block.start, block.end, assigned_name(text, block.start), {"encoding": block.shape})
            for block in rebuilt_blocks(text)
        )
    encodings = list(_base64_pems(text)) if b"LS0tLS1CRUdJTi" in hints else []
    if MARK_BYTES in hints:
        found.extend(
            Decoded(pair.text, pair.start, pair.end, pair.name, {"encoding": "escaped JSON"})
            for pair in escaped_pairs(text, content, marks)
            if not any(low < pair.end and pair.start < high for low, high in claimed)
        )
    return Joined(_outside(encodings, taken), _outside(found, taken))


def _outside(values: list[Decoded], taken: Sequence[Decoded]) -> tuple[Decoded, ...]:
    return tuple(value for value in values if not any(t.start <= value.start and value.end <= t.end for t in taken))


def _base64_pems(text: str) -> Iterator[Decoded]:
    found = 0
    for match in _BASE64_PEM.finditer(text):
        start = match.start()
        if start and text[start - 1] in _BASE64_CHARS:
            continue  # inside a longer base64 run, not at the start of an encoded PEM
        encoded = match.group()
        try:
            decoded = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True).decode("ascii")
        except (binascii.Error, ValueError):
            continue
        header = _ANY_HEADER.match(decoded)
        if header is None or f"-----END {header.group(1)}-----" not in decoded:
            continue  # not a PEM, or one cut short
        # A public key or a certificate is decoded too: its encoding, read as a generic secret, is not one.
        # Decoded, a private key may itself be in one of the shapes above (pasted on one line, then encoded).
        block = next(rebuilt_blocks(decoded), None) if HEADER.match(decoded) else None
        pem = decoded if block is None else block.text
        yield Decoded(pem, start, match.end(), assigned_name(text, start), {"encoding": "base64"})
        found += 1
        if found == MAX_BLOCKS:
            return
