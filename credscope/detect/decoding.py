"""Pure offline decoders for facts embedded in credentials (AWS account, JWT claims, PyPI caveats, iron expiry).

Every function takes untrusted text and returns ``None`` instead of raising, so detection and scope code can call
them on any candidate without guarding.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any, TypedDict

__all__ = [
    "MacaroonInfo",
    "aws_account_from_key_id",
    "b64url_decode",
    "decode_jwt_claims",
    "decode_jwt_part",
    "decode_pypi_macaroon",
    "iron_expiry_ms",
    "parse_macaroon_v2",
]

# Access key ids are a 4-char prefix then 16 chars of RFC 4648 base32 (awsteele.com, 2020-09-26).
_AWS_KEY_ID = re.compile(r"(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16}")
# Account id sits in bits 7..46 of the first 6 decoded bytes (scopes.md §2, after Tal Be'ery and moto).
_AWS_ACCOUNT_MASK = 0x7FFFFFFFFF80


def aws_account_from_key_id(key_id: str) -> str | None:
    """Return the 12-digit AWS account id encoded in a new-generation access key id, else None.

    Keys whose fifth character is A-P (generation bit clear) predate the scheme and encode no account.
    """
    if not isinstance(key_id, str) or not _AWS_KEY_ID.fullmatch(key_id):
        return None
    body = key_id[4:]
    if body[0] in "ABCDEFGHIJKLMNOP":
        return None
    try:
        raw = base64.b32decode(body)
    except (binascii.Error, ValueError):
        return None
    z = int.from_bytes(raw[:6], "big")
    return f"{(z & _AWS_ACCOUNT_MASK) >> 7:012d}"


def b64url_decode(text: str) -> bytes | None:
    """Decode base64url with or without padding; None when the text is not base64url."""
    if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9_-]*={0,2}", text):
        return None
    stripped = text.rstrip("=")
    if len(stripped) % 4 == 1:
        return None
    try:
        return base64.urlsafe_b64decode(stripped + "=" * (-len(stripped) % 4))
    except (binascii.Error, ValueError):
        return None


def decode_jwt_part(segment: str) -> dict[str, Any] | None:
    """Decode one base64url JWT segment to a JSON object, or None."""
    raw = b64url_decode(segment)
    if raw is None:
        return None
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def decode_jwt_claims(token: str) -> dict[str, Any] | None:
    """Return the payload claims of a compact JWS (three segments) without verifying the signature."""
    if not isinstance(token, str):
        return None
    parts = token.strip().split(".")
    if len(parts) != 3 or decode_jwt_part(parts[0]) is None:
        return None
    return decode_jwt_part(parts[1])


class MacaroonInfo(TypedDict):
    """The readable parts of a macaroon: where it is used, its id and its first-party caveats."""

    location: str
    identifier: str
    caveats: list[str]


# Field types of the libmacaroons v2 binary format (libmacaroons doc/format.txt; pymacaroons v2 serializer).
_EOS, _LOCATION, _IDENTIFIER, _VID, _SIGNATURE = 0, 1, 2, 4, 6


def _read_varint(data: bytes, pos: int) -> tuple[int, int] | None:
    """Read an unsigned LEB128 varint; None if truncated or absurdly long."""
    value = 0
    for shift in range(0, 64, 7):
        if pos >= len(data):
            return None
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
    return None


def _read_section(data: bytes, pos: int) -> tuple[dict[int, bytes], int] | None:
    """Read fields up to an end-of-section marker; fields must appear in increasing type order."""
    fields: dict[int, bytes] = {}
    last = -1
    while True:
        head = _read_varint(data, pos)
        if head is None:
            return None
        field_type, pos = head
        if field_type == _EOS:
            return fields, pos
        if field_type <= last or field_type not in (_LOCATION, _IDENTIFIER, _VID):
            return None
        last = field_type
        length = _read_varint(data, pos)
        if length is None:
            return None
        size, pos = length
        if pos + size > len(data):
            return None
        fields[field_type] = data[pos : pos + size]
        pos += size


def parse_macaroon_v2(data: bytes) -> MacaroonInfo | None:
    """Parse a binary v2 macaroon: header section, caveat sections, then a 32-byte signature field."""
    if not data or data[0] != 2:
        return None
    header = _read_section(data, 1)
    if header is None or _IDENTIFIER not in header[0]:
        return None
    fields, pos = header
    caveats: list[str] = []
    while True:
        if pos >= len(data):
            return None
        if data[pos] == _EOS:
            pos += 1
            break
        section = _read_section(data, pos)
        if section is None or _IDENTIFIER not in section[0]:
            return None
        caveat, pos = section
        try:
            caveats.append(caveat[_IDENTIFIER].decode("utf-8"))
        except UnicodeDecodeError:
            return None
    signature = _read_varint(data, pos)
    if signature is None or signature[0] != _SIGNATURE:
        return None
    length = _read_varint(data, signature[1])
    if length is None or length[0] != 32 or length[1] + 32 != len(data):
        return None
    try:
        return MacaroonInfo(
            location=fields.get(_LOCATION, b"").decode("utf-8"),
            identifier=fields[_IDENTIFIER].decode("utf-8"),
            caveats=caveats,
        )
    except UnicodeDecodeError:
        return None


def decode_pypi_macaroon(token: str) -> MacaroonInfo | None:
    """Decode a ``pypi-`` API token (base64url of a v2 macaroon, per warehouse macaroons/services.py).

    Hand-written rather than pymacaroons: the format is a tiny TLV, and pymacaroons pulls in PyNaCl only to
    verify signatures, which an offline scanner cannot do anyway (the root key stays on PyPI).
    """
    if not isinstance(token, str) or not token.startswith("pypi-"):
        return None
    raw = b64url_decode(token[len("pypi-") :])
    return None if raw is None else parse_macaroon_v2(raw)


# Hapi iron seal: Fe26.2*pwid*salt*iv*encrypted*expiration_ms*hmac_salt*hmac (hapijs/iron lib/index.js);
# Railway's legacy CLI session prefixes it with rw_ and leaves the password id empty (railway.md §1.1).
_IRON = re.compile(
    r"(?:rw_)?Fe26\.2\*[\w-]*\*[0-9a-f]+\*[A-Za-z0-9_-]+\*[A-Za-z0-9_-]+\*(\d*)\*[A-Za-z0-9_-]+\*[A-Za-z0-9_-]+"
)


def iron_expiry_ms(rw_token: str) -> int | None:
    """Return the expiry (Unix milliseconds) of an iron-sealed token such as Railway's ``rw_Fe26.2**`` session.

    None when the text is not an iron seal or the seal carries no expiry (iron leaves the field empty for ttl 0).
    """
    if not isinstance(rw_token, str):
        return None
    match = _IRON.fullmatch(rw_token.strip())
    if match is None or not match.group(1):
        return None
    return int(match.group(1))
