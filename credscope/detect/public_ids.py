"""Values that are public by design: blockchain addresses (checked by their own checksums), age and Nostr
public keys, OAuth client ids and publishable map tokens. Each recogniser says what the value is, or nothing.

A public identifier names an account or an application; it opens nothing. What is recognised here is
recognised by format (a checksum where the format has one), never by the name it is assigned to, so a
private key of the same chain (`0x` + 64 hex, WIF, `AGE-SECRET-KEY-1…`, `nsec1…`) is never taken for one.
"""

from __future__ import annotations

import hashlib
import re

# --- Keccak-256 (Ethereum's hash, not NIST SHA3-256: the padding differs), for EIP-55 checksums ----------------

_MASK = (1 << 64) - 1
_ROUND_CONSTANTS = (
    0x0000000000000001,
    0x0000000000008082,
    0x800000000000808A,
    0x8000000080008000,
    0x000000000000808B,
    0x0000000080000001,
    0x8000000080008081,
    0x8000000000008009,
    0x000000000000008A,
    0x0000000000000088,
    0x0000000080008009,
    0x000000008000000A,
    0x000000008000808B,
    0x800000000000008B,
    0x8000000000008089,
    0x8000000000008003,
    0x8000000000008002,
    0x8000000000000080,
    0x000000000000800A,
    0x800000008000000A,
    0x8000000080008081,
    0x8000000000008080,
    0x0000000080000001,
    0x8000000080008008,
)
# Rotation offsets r[x][y] of the rho step, for lane (x, y).
_ROTATIONS = (
    (0, 36, 3, 41, 18),
    (1, 44, 10, 45, 2),
    (62, 6, 43, 15, 61),
    (28, 55, 25, 21, 56),
    (27, 20, 39, 8, 14),
)
_RATE = 136  # bytes absorbed per permutation for a 256-bit output


def _rotl(lane: int, shift: int) -> int:
    return ((lane << shift) | (lane >> (64 - shift))) & _MASK if shift else lane


def _keccak_f(lanes: list[int]) -> list[int]:
    """The Keccak-f[1600] permutation on 25 lanes, lane (x, y) at index x + 5y."""
    for constant in _ROUND_CONSTANTS:
        columns = [lanes[x] ^ lanes[x + 5] ^ lanes[x + 10] ^ lanes[x + 15] ^ lanes[x + 20] for x in range(5)]
        mix = [columns[(x - 1) % 5] ^ _rotl(columns[(x + 1) % 5], 1) for x in range(5)]
        lanes = [lane ^ mix[index % 5] for index, lane in enumerate(lanes)]
        moved = [0] * 25
        for x in range(5):
            for y in range(5):
                moved[y + 5 * ((2 * x + 3 * y) % 5)] = _rotl(lanes[x + 5 * y], _ROTATIONS[x][y])
        lanes = [
            moved[x + 5 * y] ^ (~moved[(x + 1) % 5 + 5 * y] & moved[(x + 2) % 5 + 5 * y]) & _MASK
            for y in range(5)
            for x in range(5)
        ]
        lanes[0] ^= constant
    return lanes


def keccak256(data: bytes) -> bytes:
    padded = bytearray(data) + b"\x01" + bytes((-len(data) - 1) % _RATE)
    padded[-1] |= 0x80
    lanes = [0] * 25
    for block in range(0, len(padded), _RATE):
        for index in range(_RATE // 8):
            offset = block + 8 * index
            lanes[index] ^= int.from_bytes(padded[offset : offset + 8], "little")
        lanes = _keccak_f(lanes)
    return b"".join(lane.to_bytes(8, "little") for lane in lanes[:4])


# --- Ethereum (and every EVM chain): 0x + 20 bytes --------------------------------------------------------------

_ETHEREUM = re.compile(r"0x[0-9a-fA-F]{40}")


def eip55(address: str) -> str:
    """The EIP-55 mixed-case form of an address: a hex digit is upper-cased where the hash's nibble is >= 8."""
    body = address[2:].lower()
    digest = keccak256(body.encode("ascii")).hex()
    return "0x" + "".join(c.upper() if int(h, 16) >= 8 else c for c, h in zip(body, digest[:40], strict=True))


def is_ethereum_address(value: str) -> bool:
    """One case throughout (no checksum to check), or mixed case that is its EIP-55 checksum."""
    if not _ETHEREUM.fullmatch(value):
        return False
    body = value[2:]
    return body == body.lower() or body == body.upper() or value == eip55(value)


# --- Base58Check addresses: Bitcoin P2PKH/P2SH (1…, 3…), Litecoin, Dogecoin, Tron, Zcash transparent ----------

_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_VALUE = {c: i for i, c in enumerate(_BASE58)}
_BASE58_SHAPE = re.compile(r"[1-9A-HJ-NP-Za-km-z]{26,36}")
# Version bytes, a 20-byte key or script hash and a 4-byte checksum. A private key in Wallet Import Format is
# also Base58Check, but 37 or 38 bytes long (a 32-byte key): it is never taken for an address.
_ADDRESS_LENGTHS = frozenset({25, 26})


def base58_decode(value: str) -> bytes:
    number = 0
    for char in value:
        number = number * 58 + _BASE58_VALUE[char]
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return bytes(len(value) - len(value.lstrip("1"))) + body


def is_base58check_address(value: str) -> bool:
    if not _BASE58_SHAPE.fullmatch(value):
        return False
    raw = base58_decode(value)
    if len(raw) not in _ADDRESS_LENGTHS:
        return False
    payload, checksum = raw[:-4], raw[-4:]
    return hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] == checksum


# --- Bech32 / Bech32m: SegWit addresses, age recipients, Nostr public keys -------------------------------------

_BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_VALUE = {c: i for i, c in enumerate(_BECH32_CHARSET)}
_BECH32_CONSTANTS = frozenset({1, 0x2BC830A3})  # Bech32 (BIP-173), Bech32m (BIP-350)
_BECH32_SHAPE = re.compile(r"([a-z]{2,12})1([qpzry9x8gf2tvdw0s3jn54khce6mua7l]{20,100})")
# Human-readable parts whose payload is public: Bitcoin and Litecoin (main, test, regtest) SegWit addresses,
# age recipients (X25519 public keys), Nostr public keys, Cosmos-SDK account addresses. Their private
# counterparts have other prefixes (`AGE-SECRET-KEY-`, `nsec`) and are never matched.
_PUBLIC_HRPS = {
    **dict.fromkeys(("bc", "tb", "bcrt", "ltc", "tltc", "cosmos", "osmo"), "blockchain address (public)"),
    "age": "public key (age recipient)",
    "npub": "public key (Nostr)",
}


def _bech32_polymod(values: list[int]) -> int:
    generators = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for bit, generator in enumerate(generators):
            if (top >> bit) & 1:
                check ^= generator
    return check


def bech32_public(value: str) -> str | None:
    """What a valid Bech32/Bech32m string with a public human-readable part is, or None."""
    if value != value.lower() and value != value.upper():
        return None  # mixed case is invalid Bech32
    found = _BECH32_SHAPE.fullmatch(value.lower())
    if found is None or found.group(1) not in _PUBLIC_HRPS:
        return None
    hrp, data = found.group(1), [_BECH32_VALUE[c] for c in found.group(2)]
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    if _bech32_polymod(expanded + data) not in _BECH32_CONSTANTS:
        return None
    return _PUBLIC_HRPS[hrp]


# --- client identifiers and tokens public by design ------------------------------------------------------------

# A Google OAuth client id (`<project number>-<32 chars>.apps.googleusercontent.com`): Google ships it in web
# pages and mobile apps; the client secret beside it is what must stay private.
_GOOGLE_CLIENT_ID = re.compile(r"\d{5,20}-[a-z0-9]{32}\.apps\.googleusercontent\.com")
# A Mapbox public token (`pk.` + base64url JSON `{"u":…,"a":…}` + `.` + signature): made for browser code.
# Secret tokens start `sk.` and temporary ones `tk.`; neither is matched.
_MAPBOX_PUBLIC = re.compile(r"pk\.eyJ1Ijoi[A-Za-z0-9_-]{10,300}\.[A-Za-z0-9_-]{10,64}")


def public_identifier(value: str) -> str | None:
    """What `value` is when it is public by design, else None."""
    if is_ethereum_address(value) or is_base58check_address(value):
        return "blockchain address (public)"
    if kind := bech32_public(value):
        return kind
    if _GOOGLE_CLIENT_ID.fullmatch(value):
        return "OAuth client id (public by design)"
    if _MAPBOX_PUBLIC.fullmatch(value):
        return "Mapbox public token (public by design)"
    return None
