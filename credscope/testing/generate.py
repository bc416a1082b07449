"""Expand ``{{generator:arg}}`` templates into random credentials of each provider's real format.

The provider catalogue's positive examples and the test suite use this so that no realistic secret is ever
committed. Output is a live-looking secret: never write it to a tracked file.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import random
import string
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from credscope.detect.checksums import base62_crc32

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

__all__ = ["GENERATORS", "Expansion", "Generator", "expand"]

Generator = Callable[[random.Random, str | None], str]

_ALNUM = string.ascii_letters + string.digits
_LOWER_ALNUM = string.ascii_lowercase + string.digits
_HEX = "0123456789abcdef"
_URLSAFE = _ALNUM + "-_"
_BASE32 = string.ascii_uppercase + "234567"


@dataclass(frozen=True)
class Expansion:
    """A template with its placeholders replaced, and the generated values in order of appearance."""

    text: str
    values: tuple[str, ...]


# --- small building blocks ---------------------------------------------------------------------------------


def _chars(rng: random.Random, alphabet: str, length: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _split(arg: str | None, default: str) -> list[str]:
    """Split a generator argument on ':'; the first field falls back to ``default``."""
    fields = (arg or "").split(":")
    if not fields[0]:
        fields[0] = default
    return fields


def _choose(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"generator {name!r}: unknown argument {value!r}; expected one of {', '.join(allowed)}")
    return value


# --- generic -------------------------------------------------------------------------------------------------


def gen_uuid4(rng: random.Random, arg: str | None) -> str:
    """A random RFC 4122 version-4 UUID (Railway, Heroku legacy and many other tokens are bare UUIDs)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def gen_password(rng: random.Random, arg: str | None) -> str:
    """A strong random password (arg: length, default 20) with every character class present."""
    length = max(int(arg or 20), 8)
    symbols = "!#%+-.=@^_~"
    while True:
        candidate = _chars(rng, _ALNUM + symbols, length)
        classes = (string.ascii_lowercase, string.ascii_uppercase, string.digits, symbols)
        if all(any(c in cls for c in candidate) for cls in classes):
            return candidate


# --- AWS -----------------------------------------------------------------------------------------------------

_AWS_PREFIXES = ("akia", "asia", "abia", "acca")


def gen_aws(rng: random.Random, arg: str | None) -> str:
    """Access key id ``(AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}`` (arg: ``akia``/``asia``[:account12]).

    Always new-generation: generation bit set and the account id in bits 7..46 of the first 6 decoded bytes,
    the inverse of ``credscope.detect.decoding.aws_account_from_key_id`` (moto's
    ``generate_access_key_id_from_account_id`` does the same). Without an account, a random one is encoded.
    """
    fields = _split(arg, "akia")
    prefix = _choose("aws", fields[0].lower(), _AWS_PREFIXES).upper()
    account = int(fields[1]) if len(fields) > 1 and fields[1] else rng.randrange(10**12)
    if not 0 <= account < 10**12:
        raise ValueError(f"generator 'aws': account id {account} is not 12 digits")
    head = (1 << 47) | (account << 7) | rng.getrandbits(7)
    raw = head.to_bytes(6, "big") + rng.randbytes(4)
    return prefix + base64.b32encode(raw).decode("ascii")


def gen_aws_secret(rng: random.Random, arg: str | None) -> str:
    """Secret access key: 40 characters of the base64 alphabet (30 random bytes, so no padding)."""
    return _b64(rng.randbytes(30))


# STS session tokens are base64 of an undocumented binary blob; current ones start with the bytes
# "!\n\torigin_ec" (base64 "IQoJb3JpZ2luX2Vj"), older ones "FwoGZXIvYXdz" — observed, not specified.
_AWS_SESSION_HEAD = b"!\n\torigin_ec"


def gen_aws_session(rng: random.Random, arg: str | None) -> str:
    """STS session token: long base64 (typically 600-1100 chars) with the observed current header."""
    return _b64(_AWS_SESSION_HEAD + rng.randbytes(3 * rng.randrange(150, 280)))


# --- GitHub --------------------------------------------------------------------------------------------------

_GITHUB_KINDS = ("ghp", "gho", "ghu", "ghs", "ghr", "fine")


def gen_github(rng: random.Random, arg: str | None) -> str:
    """``gh[pousr]_`` + 30 base62 + 6-char base62 CRC32 (validator ``github-crc32``), or ``fine``:
    ``github_pat_`` + 22 + ``_`` + 59 base62.

    The fine-grained layout (22 then 59 characters; observed tokens begin ``11`` and upper-case/digits) is
    from gitleaks and TruffleHog regexes; GitHub has published no checksum for it.
    """
    kind = _choose("github", (arg or "ghp").lower(), _GITHUB_KINDS)
    if kind == "fine":
        head = "11" + _chars(rng, string.ascii_uppercase + string.digits, 9) + _chars(rng, _ALNUM, 11)
        return f"github_pat_{head}_{_chars(rng, _ALNUM, 59)}"
    entropy = _chars(rng, _ALNUM, 30)
    return f"{kind}_{entropy}{base62_crc32(entropy)}"


# --- Railway -------------------------------------------------------------------------------------------------

_DAY_MS = 86_400_000


def _expiry_ms(rng: random.Random, arg: str | None, name: str) -> int:
    now = int(time.time() * 1000)
    if arg in (None, "", "future"):
        return now + rng.randrange(30, 365) * _DAY_MS
    if arg == "expired":
        return now - rng.randrange(30, 365) * _DAY_MS
    if arg.isdigit():
        return int(arg)
    raise ValueError(f"generator {name!r}: expiry must be 'expired', 'future' or milliseconds, not {arg!r}")


def gen_railway_legacy(rng: random.Random, arg: str | None) -> str:
    """Legacy CLI session ``rw_Fe26.2**salt*iv*sealed*expiry_ms*hmac_salt*hmac`` (arg: expired/future/ms).

    Layout of a hapi iron seal (hapijs/iron): salts are 256 random bits in hex, the iv 16 bytes, the HMAC
    SHA-256 over everything before the expiry's following field, keyed by PBKDF2-SHA1(password, salt, 1).
    The sealed part is random bytes here (stdlib has no AES); its length is a multiple of the AES block.
    """
    expiry = _expiry_ms(rng, arg, "railway-legacy")
    password = rng.randbytes(32).hex()
    enc_salt, hmac_salt = rng.randbytes(32).hex(), rng.randbytes(32).hex()
    iv, sealed = _b64url(rng.randbytes(16)), _b64url(rng.randbytes(16 * rng.randrange(6, 14)))
    base = f"Fe26.2**{enc_salt}*{iv}*{sealed}*{expiry}"
    key = hashlib.pbkdf2_hmac("sha1", password.encode(), hmac_salt.encode(), 1, 32)
    mac = _b64url(hmac.new(key, base.encode(), hashlib.sha256).digest())
    return f"rw_{base}*{hmac_salt}*{mac}"


# --- database connection URIs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _UriDefaults:
    scheme: str
    user: str
    host: str
    port: int | None
    path: str


def _db_uri(rng: random.Random, arg: str | None, defaults: _UriDefaults) -> str:
    """``scheme://user:password@host[:port]/path``; arg ``[user@]host[:port][/path]`` overrides the parts.

    An empty user (``@host``) gives the password-only form ``scheme://:password@host``.
    """
    user, host, port, path = defaults.user, defaults.host, defaults.port, defaults.path
    spec = arg or ""
    if "@" in spec:
        user, spec = spec.split("@", 1)
    if "/" in spec:
        spec, path = spec.split("/", 1)
    if spec:
        host, _, port_text = spec.partition(":")
        port = int(port_text) if port_text else port
    password = _chars(rng, _ALNUM, 24)
    address = host if port is None else f"{host}:{port}"
    return f"{defaults.scheme}://{user}:{password}@{address}/{path}"


_POSTGRES = _UriDefaults("postgresql", "app", "db.internal", 5432, "app")
_MYSQL = _UriDefaults("mysql", "app", "mysql.internal", 3306, "app")
_MONGODB = _UriDefaults("mongodb", "app", "mongo.internal", 27017, "app?authSource=admin")
_MONGODB_SRV = _UriDefaults("mongodb+srv", "app", "cluster0.abcde.mongodb.net", None, "?retryWrites=true&w=majority")
_REDIS = _UriDefaults("redis", "", "redis.internal", 6379, "0")


def gen_postgres(rng: random.Random, arg: str | None) -> str:
    """``postgresql://user:pw@host:5432/db`` (arg: ``[user@]host[:port][/db]``)."""
    return _db_uri(rng, arg, _POSTGRES)


def gen_mysql(rng: random.Random, arg: str | None) -> str:
    """``mysql://user:pw@host:3306/db`` (arg: ``[user@]host[:port][/db]``)."""
    return _db_uri(rng, arg, _MYSQL)


def gen_mongodb(rng: random.Random, arg: str | None) -> str:
    """``mongodb://user:pw@host:27017/db?authSource=admin``; arg ``srv`` (alone) gives an Atlas
    ``mongodb+srv://`` URI, otherwise ``[user@]host[:port][/path]``."""
    if arg == "srv":
        return _db_uri(rng, None, _MONGODB_SRV)
    return _db_uri(rng, arg, _MONGODB)


def gen_redis(rng: random.Random, arg: str | None) -> str:
    """``redis://:pw@host:6379/0`` (legacy password-only); ``user@host…`` gives an ACL user."""
    return _db_uri(rng, arg, _REDIS)


# --- private keys ---------------------------------------------------------------------------------------------

_PEM_KINDS = (
    "rsa",
    "rsa-encrypted",
    "pkcs8",
    "pkcs8-encrypted",
    "ec",
    "dsa",
    "openssh",
    "openssh-rsa",
    "openssh-encrypted",
    "putty",
    "putty-encrypted",
)


def _ssh_keygen(passphrase: str, comment: str) -> str:
    """Encrypted OpenSSH key via ssh-keygen: cryptography needs the optional bcrypt module for its KDF."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "key")
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", comment, "-f", path],
            check=True,
            capture_output=True,
            timeout=60,
        )
        with open(path, encoding="ascii") as handle:
            return handle.read()


def gen_pem(rng: random.Random, arg: str | None) -> str:
    """A freshly generated private key (arg: rsa, rsa-encrypted, pkcs8, pkcs8-encrypted, ec, dsa, openssh,
    openssh-rsa, openssh-encrypted, putty, putty-encrypted; default rsa).

    Real keys from the ``cryptography`` package (a test dependency, imported here only), so ``rng`` does not
    determine key material. Encrypted variants use a random passphrase nobody keeps.
    """
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415 - heavy, only for key generation
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa  # noqa: PLC0415

    kind = _choose("pem", arg or "rsa", _PEM_KINDS)
    passphrase = _chars(rng, _ALNUM, 16)
    comment = f"{_chars(rng, string.ascii_lowercase, 6)}@{_chars(rng, string.ascii_lowercase, 8)}"
    if kind == "openssh-encrypted":
        return _ssh_keygen(passphrase, comment)
    if kind.startswith("putty"):
        return _putty_key(rsa.generate_private_key(65537, 2048), comment, passphrase if "encrypted" in kind else "")
    encoding = serialization.Encoding.PEM
    formats = serialization.PrivateFormat
    plain: serialization.KeySerializationEncryption = serialization.NoEncryption()
    sealed = serialization.BestAvailableEncryption(passphrase.encode())
    if kind == "ec":
        key = ec.generate_private_key(ec.SECP256R1()).private_bytes(encoding, formats.TraditionalOpenSSL, plain)
    elif kind == "dsa":
        key = dsa.generate_private_key(2048).private_bytes(encoding, formats.TraditionalOpenSSL, plain)
    elif kind == "openssh":
        key = ed25519.Ed25519PrivateKey.generate().private_bytes(encoding, formats.OpenSSH, plain)
    else:
        rsa_key = rsa.generate_private_key(65537, 2048)
        layout = {
            "rsa": (formats.TraditionalOpenSSL, plain),
            "rsa-encrypted": (formats.TraditionalOpenSSL, sealed),
            "pkcs8": (formats.PKCS8, plain),
            "pkcs8-encrypted": (formats.PKCS8, sealed),
            "openssh-rsa": (formats.OpenSSH, plain),
        }[kind]
        key = rsa_key.private_bytes(encoding, *layout)
    return key.decode("ascii")


def _ssh_string(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def _ssh_mpint(value: int) -> bytes:
    # RFC 4251 mpint: big-endian two's complement, so a set top bit needs a leading zero byte.
    return _ssh_string(value.to_bytes(value.bit_length() // 8 + 1, "big"))


def _wrapped(data: bytes) -> list[str]:
    text = _b64(data)
    return [text[i : i + 64] for i in range(0, len(text), 64)]


def _putty_key(key: RSAPrivateKey, comment: str, passphrase: str) -> str:
    """PuTTY ``.ppk`` format 3 (PuTTY manual, appendix C): RSA blobs, Argon2id + AES-256-CBC when encrypted,
    and an HMAC-SHA-256 over algorithm, encryption, comment and both blobs (empty MAC key when unencrypted).
    """
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # noqa: PLC0415
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id  # noqa: PLC0415

    numbers = key.private_numbers()
    public = _ssh_string(b"ssh-rsa") + _ssh_mpint(numbers.public_numbers.e) + _ssh_mpint(numbers.public_numbers.n)
    private = _ssh_mpint(numbers.d) + _ssh_mpint(numbers.p) + _ssh_mpint(numbers.q) + _ssh_mpint(numbers.iqmp)
    encryption = "aes256-cbc" if passphrase else "none"
    kdf_lines: list[str] = []
    mac_key = b""
    if passphrase:
        salt = os.urandom(16)
        memory, passes = 8192, 13
        material = Argon2id(salt=salt, length=80, iterations=passes, lanes=1, memory_cost=memory).derive(
            passphrase.encode()
        )
        cipher_key, iv, mac_key = material[:32], material[32:48], material[48:]
        private += os.urandom(-len(private) % 16)
        kdf_lines = [
            "Key-Derivation: Argon2id",
            f"Argon2-Memory: {memory}",
            f"Argon2-Passes: {passes}",
            "Argon2-Parallelism: 1",
            f"Argon2-Salt: {salt.hex()}",
        ]
    mac_input = b"".join(
        _ssh_string(part) for part in (b"ssh-rsa", encryption.encode(), comment.encode(), public, private)
    )
    mac = hmac.new(mac_key, mac_input, hashlib.sha256).hexdigest()
    if passphrase:
        encryptor = Cipher(algorithms.AES(cipher_key), modes.CBC(iv)).encryptor()
        private = encryptor.update(private) + encryptor.finalize()
    public_lines, private_lines = _wrapped(public), _wrapped(private)
    lines = [
        "PuTTY-User-Key-File-3: ssh-rsa",
        f"Encryption: {encryption}",
        f"Comment: {comment}",
        f"Public-Lines: {len(public_lines)}",
        *public_lines,
        *kdf_lines,
        f"Private-Lines: {len(private_lines)}",
        *private_lines,
        f"Private-MAC: {mac}",
    ]
    return "\n".join(lines) + "\n"


# --- registry and template expansion --------------------------------------------------------------------------

GENERATORS: dict[str, Generator] = {
    "uuid4": gen_uuid4,
    "password": gen_password,
    "aws": gen_aws,
    "aws-secret": gen_aws_secret,
    "aws-session": gen_aws_session,
    "github": gen_github,
    "railway-legacy": gen_railway_legacy,
    "postgres": gen_postgres,
    "mysql": gen_mysql,
    "mongodb": gen_mongodb,
    "redis": gen_redis,
    "pem": gen_pem,
}


def _placeholders(template: str) -> list[tuple[int, int, str, str | None]]:
    """Find ``{{name}}`` / ``{{name:arg}}`` spans; an arg may hold ':' ',' and balanced braces (JSON)."""
    found: list[tuple[int, int, str, str | None]] = []
    pos = 0
    while (start := template.find("{{", pos)) != -1:
        depth, cursor = 0, start + 2
        while cursor < len(template):
            if template.startswith("}}", cursor) and depth == 0:
                break
            if template[cursor] == "{":
                depth += 1
            elif template[cursor] == "}":
                depth -= 1
            cursor += 1
        else:
            raise ValueError(f"unterminated placeholder at offset {start} in template")
        body = template[start + 2 : cursor]
        name, colon, arg = body.partition(":")
        found.append((start, cursor + 2, name.strip(), arg if colon else None))
        pos = cursor + 2
    return found


def expand(template: str, rng: random.Random | None = None) -> Expansion:
    """Replace every placeholder with a fresh value; ``{{ref:N}}`` repeats the N-th generated value (0-based).

    References are not generated values, so they do not shift the numbering. Without ``rng`` the values come
    from the operating system's randomness.
    """
    source = rng if rng is not None else random.SystemRandom()
    pieces: list[str] = []
    values: list[str] = []
    pos = 0
    for start, end, name, arg in _placeholders(template):
        pieces.append(template[pos:start])
        if name == "ref":
            index = int(arg or "")
            if not 0 <= index < len(values):
                raise ValueError(f"{{{{ref:{arg}}}}} refers to value {index}, but only {len(values)} generated so far")
            pieces.append(values[index])
        else:
            generator = GENERATORS.get(name)
            if generator is None:
                raise ValueError(f"unknown generator {name!r} in template")
            value = generator(source, arg)
            values.append(value)
            pieces.append(value)
        pos = end
    pieces.append(template[pos:])
    return Expansion(text="".join(pieces), values=tuple(values))
