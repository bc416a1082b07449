"""Expand ``{{generator:arg}}`` templates into random credentials of each provider's real format.

The provider catalogue's positive examples and the test suite use this so that no realistic secret is ever
committed. Output is a live-looking secret: never write it to a tracked file.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
import random
import re
import string
import subprocess
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from credscope.detect.checksums import base62_crc32, cloudflare_crc32, encode_base, gitlab_routable_crc32
from credscope.detect.entropy import shannon

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

__all__ = ["GENERATORS", "Expansion", "Generator", "expand"]

Generator = Callable[[random.Random, str | None], str]

_ALNUM = string.ascii_letters + string.digits
_LOWER_ALNUM = string.ascii_lowercase + string.digits
_HEX = "0123456789abcdef"
_URLSAFE = _ALNUM + "-_"


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


def _high_entropy(draw: Callable[[], str], floor: float = 3.2) -> str:
    """Redraw the rare value that comes out too uniform (about 1 in 300 for 20-40 random characters).

    A real token can be that uniform, but an example that trips a rule's entropy floor is a flaky test.
    Bounded, because a caller-fixed part (an AWS account id such as 000000000001) can keep every draw low.
    """
    best = draw()
    for _ in range(64):
        if shannon(best) >= floor:
            break
        best = max(best, draw(), key=shannon)
    return best


def _choose(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"generator {name!r}: unknown argument {value!r}; expected one of {', '.join(allowed)}")
    return value


# --- generic -------------------------------------------------------------------------------------------------


def gen_uuid4(rng: random.Random, arg: str | None) -> str:
    """A random RFC 4122 version-4 UUID (Railway, Heroku legacy and many other tokens are bare UUIDs)."""
    return _high_entropy(lambda: str(uuid.UUID(int=rng.getrandbits(128), version=4)))


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

    def draw() -> str:
        head = (1 << 47) | (account << 7) | rng.getrandbits(7)
        return prefix + base64.b32encode(head.to_bytes(6, "big") + rng.randbytes(4)).decode("ascii")

    return _high_entropy(draw)


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

    Layout of a hapi iron seal (hapijs/iron): salts are 256 random bits in hex, the iv 16 bytes, and the
    HMAC-SHA256 covers ``Fe26.2*…*expiry`` keyed by PBKDF2-SHA1(password, hmac_salt, 1 iteration). The sealed
    part is random bytes of a whole number of AES blocks, not real ciphertext; the password is thrown away.
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
    """A connection URI with a random 24-character password; arg ``[user@]host[:port][/path]`` overrides the
    defaults. An empty user (arg ``@host``) gives the password-only form some Redis setups use.
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
    """A ``postgresql://`` URI, user ``app`` on db.internal:5432 unless arg ``[user@]host[:port][/db]`` says."""
    return _db_uri(rng, arg, _POSTGRES)


def gen_mysql(rng: random.Random, arg: str | None) -> str:
    """A ``mysql://`` URI, user ``app`` on mysql.internal:3306 unless arg ``[user@]host[:port][/db]`` says."""
    return _db_uri(rng, arg, _MYSQL)


def gen_mongodb(rng: random.Random, arg: str | None) -> str:
    """A ``mongodb://`` URI with ``authSource=admin``; arg ``srv`` (alone) gives an Atlas ``mongodb+srv://``
    URI, otherwise ``[user@]host[:port][/path]`` as for postgres."""
    if arg == "srv":
        return _db_uri(rng, None, _MONGODB_SRV)
    return _db_uri(rng, arg, _MONGODB)


def gen_redis(rng: random.Random, arg: str | None) -> str:
    """A ``redis://`` URI with only a password (legacy ``requirepass``); arg ``user@host…`` gives an ACL user."""
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
        key = dsa.generate_private_key(1024).private_bytes(encoding, formats.TraditionalOpenSSL, plain)
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


# --- GitLab --------------------------------------------------------------------------------------------------

# Non-routable formats and lengths as in gitleaks' rules (gitlab-* ids); glpat/glrt default to routable.
_GITLAB_PLAIN = {
    "glpat-legacy": ("glpat-", _URLSAFE, 20),
    "gldt": ("gldt-", _URLSAFE, 20),
    "glft": ("glft-", _URLSAFE, 20),
    "glsoat": ("glsoat-", _URLSAFE, 20),
    "glffct": ("glffct-", _URLSAFE, 20),
    "glimt": ("glimt-", _URLSAFE, 25),
    "glagent": ("glagent-", _URLSAFE, 50),
    "gloas": ("gloas-", _URLSAFE, 64),
    "glptt": ("glptt-", _HEX, 40),
    "glrt-legacy": ("glrt-", _URLSAFE, 20),
}
_GITLAB_ROUTABLE = {"glpat": "glpat-", "glrt": "glrt-t1_", "glpat-unversioned": "glpat-"}


def gen_gitlab(rng: random.Random, arg: str | None) -> str:
    """GitLab token (arg: glpat (routable, default), glpat-unversioned, glrt (routable runner), or a plain
    format: glpat-legacy, glrt-legacy, gldt, glft, glsoat, glffct, glimt, glagent, gloas, glptt).

    Routable tokens follow gitlab-org/gitlab routable_token.rb: base64url(16 random bytes + routing payload +
    payload length byte), ``.01.`` version, base64 length in base36 (2 chars), then the base36 CRC32 (validator
    ``gitlab-routable-crc32``). The routing payload (``c:`` cell, ``o:`` organisation, ``u:`` user ids in
    base36) mirrors a gitlab.com PAT; real runner payloads carry other keys.
    """
    kind = _choose("gitlab", arg or "glpat", (*_GITLAB_ROUTABLE, *_GITLAB_PLAIN))
    if kind in _GITLAB_PLAIN:
        prefix, alphabet, length = _GITLAB_PLAIN[kind]
        return prefix + _chars(rng, alphabet, length)
    routing = f"c:1\no:1\nu:{_base36(rng.randrange(1, 30_000_000))}".encode()
    payload = _b64url(rng.randbytes(16) + routing + bytes([len(routing)]))
    version = "" if kind == "glpat-unversioned" else "01."
    body = f"{_GITLAB_ROUTABLE[kind]}{payload}.{version}{_base36(len(payload)).rjust(2, '0')}"
    return body + gitlab_routable_crc32(body)


def _base36(number: int) -> str:
    return encode_base(number, string.digits + string.ascii_lowercase, 1)


# --- payment, chat and AI providers --------------------------------------------------------------------------

_STRIPE_KINDS = ("sk_live", "sk_test", "rk_live", "rk_test", "pk_live", "pk_test")


def gen_stripe(rng: random.Random, arg: str | None) -> str:
    """Stripe key (arg: sk_live (default), sk_test, rk_live, rk_test, pk_live, pk_test; ``:legacy`` for the old
    24-character body). Current keys have a 99-character body starting ``51`` (observed, not documented)."""
    fields = _split(arg, "sk_live")
    kind = _choose("stripe", fields[0], _STRIPE_KINDS)
    if len(fields) > 1 and fields[1] == "legacy":
        return f"{kind}_{_chars(rng, _ALNUM, 24)}"
    return f"{kind}_51{_chars(rng, _ALNUM, 97)}"


def _digits(rng: random.Random, length: int) -> str:
    return str(rng.randrange(1, 10)) + _chars(rng, string.digits, length - 1)


_SLACK_KINDS = ("xoxb", "xoxp", "xapp", "xoxe.xoxp", "xoxe", "webhook")


def gen_slack(rng: random.Random, arg: str | None) -> str:
    """Slack token (arg: xoxb bot (default), xoxp user, xapp app-level, xoxe.xoxp config, xoxe refresh, webhook).

    Layouts follow gitleaks' slack-* rules; segment contents (team/user ids) are random digits.
    """
    kind = _choose("slack", arg or "xoxb", _SLACK_KINDS)
    upper = string.ascii_uppercase + string.digits
    if kind == "xoxb":
        return f"xoxb-{_digits(rng, 13)}-{_digits(rng, 13)}-{_chars(rng, _ALNUM, 24)}"
    if kind == "xoxp":
        return f"xoxp-{_digits(rng, 13)}-{_digits(rng, 13)}-{_digits(rng, 13)}-{_chars(rng, _HEX, 32)}"
    if kind == "xapp":
        return f"xapp-1-A{_chars(rng, upper, 10)}-{_digits(rng, 13)}-{_chars(rng, _HEX, 64)}"
    if kind == "xoxe.xoxp":
        return f"xoxe.xoxp-1-{_chars(rng, upper, rng.randrange(163, 167))}"
    if kind == "xoxe":
        return f"xoxe-1-{_chars(rng, upper, 146)}"
    path = f"T{_chars(rng, upper, 10)}/B{_chars(rng, upper, 10)}/{_chars(rng, _ALNUM, 24)}"
    return f"https://hooks.slack.com/services/{path}"


# "T3BlbkFJ" is base64 of "OpenAI"; body lengths per gitleaks' openai-api-key rule.
_OPENAI_MARKER = "T3BlbkFJ"
_OPENAI_KINDS = {"proj": 74, "svcacct": 74, "admin": 58, "legacy": 20}


def gen_openai(rng: random.Random, arg: str | None) -> str:
    """OpenAI key ``sk-(proj|svcacct|admin)-`` + body + T3BlbkFJ + body (arg: proj (default), svcacct, admin,
    legacy ``sk-`` + 20 + marker + 20)."""
    kind = _choose("openai", arg or "proj", tuple(_OPENAI_KINDS))
    length = _OPENAI_KINDS[kind]
    if kind == "legacy":
        return f"sk-{_chars(rng, _ALNUM, length)}{_OPENAI_MARKER}{_chars(rng, _ALNUM, length)}"
    return f"sk-{kind}-{_chars(rng, _URLSAFE, length)}{_OPENAI_MARKER}{_chars(rng, _URLSAFE, length)}"


def gen_anthropic(rng: random.Random, arg: str | None) -> str:
    """Anthropic key ``sk-ant-(api03|admin01)-`` + 93 ``[\\w-]`` + ``AA`` (arg: api03 (default), admin01).
    The ``AA`` ending is a fixed suffix, not a checksum."""
    kind = _choose("anthropic", arg or "api03", ("api03", "admin01"))
    return f"sk-ant-{kind}-{_chars(rng, _URLSAFE, 93)}AA"


def gen_huggingface(rng: random.Random, arg: str | None) -> str:
    """Hugging Face token ``hf_`` + 34 letters (arg ``user`` default, ``org`` for deprecated ``api_org_``).

    Letters only: gitleaks' rule accepts only letters, TruffleHog's letters and digits.
    """
    prefix = "api_org_" if _choose("huggingface", arg or "user", ("user", "org")) == "org" else "hf_"
    return prefix + _chars(rng, string.ascii_letters, 34)


# --- JWTs ----------------------------------------------------------------------------------------------------


def _signing_input(header: dict[str, object], claims: dict[str, object]) -> str:
    def part(value: dict[str, object]) -> str:
        return _b64url(json.dumps(value, separators=(",", ":")).encode())

    return f"{part(header)}.{part(claims)}"


def _hs256(claims: dict[str, object], rng: random.Random) -> str:
    """A compact HS256 JWS signed with a random key nobody keeps (stdlib; pyjwt is not a dependency)."""
    signing_input = _signing_input({"alg": "HS256", "typ": "JWT"}, claims)
    signature = hmac.new(rng.randbytes(32), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(signature)}"


def gen_jwt(rng: random.Random, arg: str | None) -> str:
    """A generic HS256 JWT; arg is a JSON object of claims (default: random ``sub`` with iat/exp)."""
    if arg:
        claims = json.loads(arg)
        if not isinstance(claims, dict):
            raise ValueError(f"generator 'jwt': claims must be a JSON object, not {arg!r}")
    else:
        now = int(time.time())
        claims = {"sub": gen_uuid4(rng, None), "iat": now, "exp": now + 3600}
    return _hs256(claims, rng)


def gen_supabase(rng: random.Random, arg: str | None) -> str:
    """Supabase key (arg: anon / service_role [``:ref``] legacy JWT, secret ``sb_secret_``, publishable
    ``sb_publishable_``, pat ``sbp_`` + 40 hex).

    Legacy keys are HS256 JWTs with ``iss: supabase``, ``ref`` (20 lower-case letters) and ``role``. The new
    ``sb_*`` keys end in ``_`` + 8 characters that look like a checksum whose algorithm is not published; they
    are random here.
    """
    fields = _split(arg, "anon")
    kind = _choose("supabase", fields[0], ("anon", "service_role", "secret", "publishable", "pat"))
    if kind == "pat":
        return "sbp_" + _chars(rng, _HEX, 40)
    if kind in ("secret", "publishable"):
        return f"sb_{kind}_{_chars(rng, _URLSAFE, 22)}_{_chars(rng, _URLSAFE, 8)}"
    ref = fields[1] if len(fields) > 1 and fields[1] else _chars(rng, string.ascii_lowercase, 20)
    issued = int(time.time()) - rng.randrange(86_400, 400 * 86_400)
    claims: dict[str, object] = {"iss": "supabase", "ref": ref, "role": kind, "iat": issued}
    claims["exp"] = issued + 10 * 365 * 86_400
    return _hs256(claims, rng)


def gen_kubernetes(rng: random.Random, arg: str | None) -> str:
    """Kubernetes service-account token (arg: ``bound`` (default) or ``legacy``, then ``:namespace:name``).

    Claims follow the two shapes in scopes.md §16. Signed RS256 in the header, but the signature is 256 random
    bytes: structurally an RS256 token, verifiable by nobody.
    """
    fields = _split(arg, "bound")
    kind = _choose("kubernetes", fields[0], ("bound", "legacy"))
    namespace = fields[1] if len(fields) > 1 and fields[1] else "default"
    name = fields[2] if len(fields) > 2 and fields[2] else "deployer"
    uid = gen_uuid4(rng, None)
    subject = f"system:serviceaccount:{namespace}:{name}"
    claims: dict[str, object]
    if kind == "legacy":
        claims = {
            "iss": "kubernetes/serviceaccount",
            "kubernetes.io/serviceaccount/namespace": namespace,
            "kubernetes.io/serviceaccount/secret.name": f"{name}-token-{_chars(rng, _LOWER_ALNUM, 5)}",
            "kubernetes.io/serviceaccount/service-account.name": name,
            "kubernetes.io/serviceaccount/service-account.uid": uid,
            "sub": subject,
        }
    else:
        now = int(time.time())
        issuer = "https://kubernetes.default.svc.cluster.local"
        claims = {
            "aud": [issuer],
            "exp": now + 365 * 86_400,
            "iat": now,
            "iss": issuer,
            "kubernetes.io": {"namespace": namespace, "serviceaccount": {"name": name, "uid": uid}},
            "nbf": now,
            "sub": subject,
        }
    signing_input = _signing_input({"alg": "RS256", "kid": _b64url(rng.randbytes(32))}, claims)
    return f"{signing_input}.{_b64url(rng.randbytes(256))}"


# --- package registries ---------------------------------------------------------------------------------------


def gen_npm(rng: random.Random, arg: str | None) -> str:
    """npm granular token ``npm_`` + 30 base62 + 6-char base62 CRC32 (validator ``npm-crc32``; arg ``granular``
    default); arg ``legacy`` gives the pre-2025 UUID token."""
    if _choose("npm", arg or "granular", ("granular", "legacy")) == "legacy":
        return gen_uuid4(rng, None)
    entropy = _chars(rng, _ALNUM, 30)
    return f"npm_{entropy}{base62_crc32(entropy)}"


def _macaroon_v2(location: str, identifier: str, caveats: list[str], root_key: bytes) -> bytes:
    """Serialise a macaroon in the libmacaroons v2 binary format with a real HMAC-SHA256 signature chain."""

    def field(field_type: int, value: bytes) -> bytes:
        return bytes([field_type]) + _varint(len(value)) + value

    signature = hmac.new(
        hmac.new(b"macaroons-key-generator", root_key, hashlib.sha256).digest(), identifier.encode(), hashlib.sha256
    ).digest()
    out = bytearray([2]) + field(1, location.encode()) + field(2, identifier.encode()) + b"\x00"
    for caveat in caveats:
        out += field(2, caveat.encode()) + b"\x00"
        signature = hmac.new(signature, caveat.encode(), hashlib.sha256).digest()
    return bytes(out + b"\x00" + field(6, signature))


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _caveat(value: object) -> str:
    # Warehouse serialises caveats as compact JSON with sorted keys (macaroons/caveats/_core.py).
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def gen_pypi(rng: random.Random, arg: str | None) -> str:
    """PyPI API token ``pypi-`` + base64url(macaroon v2) (validator ``pypi-macaroon``).

    arg: comma-separated; first ``user`` (default, account-wide: RequestUser caveat) or ``project:NAME[;NAME]``
    (ProjectName + ProjectID caveats); options ``expires=<unix s>|past|future`` (Expiration caveat),
    ``legacy`` (the older ``{"version": 1, "permissions": ...}`` caveat), ``test`` (location test.pypi.org).
    Caveat shapes from warehouse macaroons/caveats (tags 0 Expiration, 1 ProjectName, 2 ProjectID, 3 RequestUser).
    """
    scope, *options = (arg or "user").split(",")
    legacy = "legacy" in options
    caveats: list[str] = []
    if scope == "user":
        permissions: object = "user"
        caveats.append(_caveat([3, gen_uuid4(rng, None)]))
    elif scope.startswith("project:") and scope != "project:":
        names = scope.removeprefix("project:").split(";")
        permissions = {"projects": names}
        caveats.append(_caveat([1, names]))
        caveats.append(_caveat([2, [gen_uuid4(rng, None) for _ in names]]))
    else:
        raise ValueError(f"generator 'pypi': scope must be 'user' or 'project:NAME', not {scope!r}")
    if legacy:
        caveats = [_caveat({"permissions": permissions, "version": 1})]
    for option in options:
        if option.startswith("expires="):
            when = option.removeprefix("expires=")
            now = int(time.time())
            expires = {"past": now - 86_400, "future": now + 30 * 86_400}.get(when) or int(when)
            caveats.append(_caveat([0, expires, expires - 30 * 86_400]))
        elif option not in ("legacy", "test"):
            raise ValueError(f"generator 'pypi': unknown option {option!r}")
    location = "test.pypi.org" if "test" in options else "pypi.org"
    raw = _macaroon_v2(location, gen_uuid4(rng, None), caveats, rng.randbytes(32))
    return "pypi-" + _b64url(raw)


def gen_docker(rng: random.Random, arg: str | None) -> str:
    """Docker Hub access token ``dckr_pat_`` + 27 (default) or ``dckr_oat_`` + 32 (arg ``oat``)."""
    if _choose("docker", arg or "pat", ("pat", "oat")) == "oat":
        return "dckr_oat_" + _chars(rng, _URLSAFE, 32)
    return "dckr_pat_" + _chars(rng, _URLSAFE, 27)


def gen_docker_auth(rng: random.Random, arg: str | None) -> str:
    """The ``auth`` value of ~/.docker/config.json: base64 of ``user:dckr_pat_…`` (arg: user name)."""
    user = arg or _chars(rng, string.ascii_lowercase, 8)
    return _b64(f"{user}:{gen_docker(rng, None)}".encode())


# --- hosting platforms -----------------------------------------------------------------------------------------


def gen_digitalocean(rng: random.Random, arg: str | None) -> str:
    """DigitalOcean ``dop_v1_`` personal (default), ``doo_v1_`` OAuth or ``dor_v1_`` refresh token + 64 hex
    (arg: dop, doo, dor)."""
    kind = _choose("digitalocean", arg or "dop", ("dop", "doo", "dor"))
    return f"{kind}_v1_{_chars(rng, _HEX, 64)}"


def gen_cloudflare(rng: random.Random, arg: str | None) -> str:
    """Cloudflare credential (arg: cfut user token (default), cfat account token, cfk global key, legacy-token
    40 alphanumerics, legacy-key 37 hex, origin-ca ``v1.0-`` key).

    Scannable formats are prefix + 40 characters + checksum (developers.cloudflare.com, "Token formats",
    2026). Cloudflare does not publish the checksum; a token observed in public code ends with the CRC32 of its
    40 characters as 8 lower-case hex digits, which validator ``cloudflare-crc32`` checks. Inferred, so treat a
    mismatch as "probably not Cloudflare", not as proof.
    """
    kind = _choose("cloudflare", arg or "cfut", ("cfut", "cfat", "cfk", "legacy-token", "legacy-key", "origin-ca"))
    if kind == "legacy-token":
        return _chars(rng, _URLSAFE, 40)
    if kind == "legacy-key":
        return _high_entropy(lambda: _chars(rng, _HEX, 37))
    if kind == "origin-ca":
        return f"v1.0-{_chars(rng, _HEX, 24)}-{_chars(rng, _HEX, 146)}"
    entropy = _chars(rng, _ALNUM, 40)
    return f"{kind}_{entropy}{cloudflare_crc32(entropy)}"


_VERCEL_KINDS = ("vcp", "vci", "vca", "vcr", "vck", "legacy")


def gen_vercel(rng: random.Random, arg: str | None) -> str:
    """Vercel token (arg: vcp personal (default), vci integration, vca app access, vcr app refresh, vck API key,
    legacy 24 alphanumerics).

    Prefixes from Vercel's changelog "New token formats and secret scanning"; the 50 + 6 layout and the
    base62 CRC32 ending come from gitleaks/Kingfisher rules, not from Vercel, so no validator is registered.
    """
    kind = _choose("vercel", arg or "vcp", _VERCEL_KINDS)
    if kind == "legacy":
        return _chars(rng, _ALNUM, 24)
    body = _chars(rng, _ALNUM, 50)
    return f"{kind}_{body}{base62_crc32(body)}"


def gen_fly(rng: random.Random, arg: str | None) -> str:
    """Fly.io token (arg: macaroon (default) ``FlyV1 fm2_…,fm2_…`` as printed by ``fly tokens create``, or
    fo1 ``fo1_`` + 43).

    Macaroon parts are base64 of msgpack; only the leading bytes (94 93 c4, i.e. ``lJPE``) mimic observed
    tokens, the rest is random.
    """
    if _choose("fly", arg or "macaroon", ("macaroon", "fo1")) == "fo1":
        return "fo1_" + _chars(rng, _URLSAFE, 43)
    parts = [_b64(b"\x94\x93\xc4" + rng.randbytes(3 * rng.randrange(60, 90))) for _ in range(2)]
    return "FlyV1 " + ",".join(f"fm2_{part}" for part in parts)


def gen_heroku(rng: random.Random, arg: str | None) -> str:
    """Heroku API key ``HRKU-AA`` + 58 base64url (arg ``v2`` default, ``legacy`` for the older bare UUID).

    Observed keys carry ``_____w`` after 42 characters (a run of 0xff bytes); mirrored here, undocumented.
    """
    if _choose("heroku", arg or "v2", ("v2", "legacy")) == "legacy":
        return gen_uuid4(rng, None)
    return f"HRKU-AA{_chars(rng, _URLSAFE, 42)}_____w{_chars(rng, _URLSAFE, 10)}"


def gen_netlify(rng: random.Random, arg: str | None) -> str:
    """Netlify personal access token ``nfp_`` + 40 alphanumerics (length from public scanner rules; uncertain)."""
    return "nfp_" + _chars(rng, _ALNUM, 40)


def gen_render(rng: random.Random, arg: str | None) -> str:
    """Render API key ``rnd_`` + 32 alphanumerics (length from public scanner rules; uncertain)."""
    return "rnd_" + _chars(rng, _ALNUM, 32)


def gen_neon(rng: random.Random, arg: str | None) -> str:
    """Neon API key ``napi_`` + 64 lower-case alphanumerics (observed shape; Neon documents no format)."""
    return "napi_" + _chars(rng, _LOWER_ALNUM, 64)


def gen_planetscale(rng: random.Random, arg: str | None) -> str:
    """PlanetScale ``pscale_tkn_`` service token (default), ``pscale_pw_`` password or ``pscale_oauth_`` + 43
    ``[\\w-]`` (arg: tkn, pw, oauth); gitleaks accepts 32-64 characters."""
    kind = _choose("planetscale", arg or "tkn", ("tkn", "pw", "oauth"))
    return f"pscale_{kind}_{_chars(rng, _URLSAFE, 43)}"


def gen_terraform(rng: random.Random, arg: str | None) -> str:
    """Terraform Cloud/Enterprise token: 14 alphanumerics ``.atlasv1.`` 67 alphanumerics (TruffleHog regex)."""
    return f"{_chars(rng, _ALNUM, 14)}.atlasv1.{_chars(rng, _ALNUM, 67)}"


# --- SaaS APIs -----------------------------------------------------------------------------------------------


def gen_sendgrid(rng: random.Random, arg: str | None) -> str:
    """SendGrid API key ``SG.`` + 22 + ``.`` + 43 base64url characters."""
    return f"SG.{_chars(rng, _URLSAFE, 22)}.{_chars(rng, _URLSAFE, 43)}"


def gen_twilio(rng: random.Random, arg: str | None) -> str:
    """Twilio value (arg: sid ``AC`` + 32 hex (default), token 32 hex auth token, key-sid ``SK`` + 32 hex,
    key-secret 32 alphanumerics). Use ``{{ref:N}}`` to pair a SID with its token in one template."""
    kind = _choose("twilio", arg or "sid", ("sid", "token", "key-sid", "key-secret"))
    if kind == "sid":
        return _high_entropy(lambda: "AC" + _chars(rng, _HEX, 32))
    if kind == "key-sid":
        return _high_entropy(lambda: "SK" + _chars(rng, _HEX, 32))
    return _high_entropy(lambda: _chars(rng, _HEX if kind == "token" else _ALNUM, 32))


def gen_datadog(rng: random.Random, arg: str | None) -> str:
    """Datadog API key (32 hex, default) or application key (40 hex, arg ``app``)."""
    length = 40 if _choose("datadog", arg or "api", ("api", "app")) == "app" else 32
    return _high_entropy(lambda: _chars(rng, _HEX, length))


# --- cloud providers ------------------------------------------------------------------------------------------


def gen_azure_storage(rng: random.Random, arg: str | None) -> str:
    """Azure Storage credential (arg: key (default) 88-char base64 account key; connection[:ACCOUNT] connection
    string; sas[:PERMISSIONS[:expired]] account SAS query string; sig a URL-encoded SAS signature alone)."""
    fields = _split(arg, "key")
    kind = _choose("azure-storage", fields[0], ("key", "connection", "sas", "sig"))
    if kind == "key":
        return _b64(rng.randbytes(64))
    if kind == "connection":
        account = fields[1] if len(fields) > 1 and fields[1] else "st" + _chars(rng, _LOWER_ALNUM, 12)
        return (
            f"DefaultEndpointsProtocol=https;AccountName={account};AccountKey={_b64(rng.randbytes(64))};"
            "EndpointSuffix=core.windows.net"
        )
    signature = urllib.parse.quote(_b64(rng.randbytes(32)), safe="")
    if kind == "sig":
        return signature
    permissions = fields[1] if len(fields) > 1 and fields[1] else "rwdlacup"
    now = time.time()
    expiry = now - 30 * 86_400 if len(fields) > 2 and fields[2] == "expired" else now + 180 * 86_400
    start = min(now, expiry) - 86_400
    return (
        f"sv=2022-11-02&ss=bfqt&srt=sco&sp={permissions}&se={_iso(expiry)}&st={_iso(start)}&spr=https&sig={signature}"
    )


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def gen_gcp_service_account(rng: random.Random, arg: str | None) -> str:
    """A Google Cloud service-account key file (JSON) with a fresh RSA private key (arg: ``project[:account]``).

    The output contains a real private key: never commit it.
    """
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415 - heavy, only for key generation
    from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: PLC0415

    fields = _split(arg, "")
    project = fields[0] or f"{_chars(rng, string.ascii_lowercase, 8)}-{_digits(rng, 6)}"
    account = fields[1] if len(fields) > 1 and fields[1] else "deployer"
    email = f"{account}@{project}.iam.gserviceaccount.com"
    key = rsa.generate_private_key(65537, 2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    document = {
        "type": "service_account",
        "project_id": project,
        "private_key_id": _chars(rng, _HEX, 40),
        "private_key": key.decode("ascii"),
        "client_email": email,
        "client_id": _digits(rng, 21),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": f"https://www.googleapis.com/robot/v1/metadata/x509/{urllib.parse.quote(email)}",
        "universe_domain": "googleapis.com",
    }
    return json.dumps(document, indent=2) + "\n"


_ALPHABETS = {
    "alnum": _ALNUM,
    "lower-alnum": _LOWER_ALNUM,
    "upper-alnum": string.ascii_uppercase + string.digits,
    "hex": _HEX,
    "HEX": _HEX.upper(),
    "lower": string.ascii_lowercase,
    "upper": string.ascii_uppercase,
    "digits": string.digits,
    "base64": _ALNUM + "+/",
    "base64url": _URLSAFE,
    "base32": string.ascii_uppercase + "234567",
    "base58": "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz",
}


def gen_random(rng: random.Random, arg: str | None) -> str:
    """``{{random:ALPHABET:LENGTH}}``: random characters of a named alphabet (alnum, lower-alnum, upper-alnum, hex,
    HEX, lower, upper, digits, base64, base64url, base32, base58), of high entropy. A provider's fixed prefix or
    separators are written around it in the template: ``xkeysib-{{random:hex:64}}-{{random:alnum:16}}``."""
    alphabet_name, _, length_text = (arg or "alnum:32").partition(":")
    if alphabet_name not in _ALPHABETS:
        raise ValueError(f"random: unknown alphabet {alphabet_name!r} (one of {', '.join(_ALPHABETS)})")
    length = int(length_text or "32")
    alphabet = _ALPHABETS[alphabet_name]
    floor = 3.0 if len(alphabet) > 16 and length >= 16 else 2.5
    if length < 12 or len(alphabet) <= 10:
        return _chars(rng, alphabet, length)
    return _high_entropy(lambda: _chars(rng, alphabet, length), floor=floor)


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
    "gitlab": gen_gitlab,
    "stripe": gen_stripe,
    "slack": gen_slack,
    "openai": gen_openai,
    "anthropic": gen_anthropic,
    "huggingface": gen_huggingface,
    "jwt": gen_jwt,
    "supabase": gen_supabase,
    "kubernetes": gen_kubernetes,
    "npm": gen_npm,
    "pypi": gen_pypi,
    "docker": gen_docker,
    "docker-auth": gen_docker_auth,
    "digitalocean": gen_digitalocean,
    "cloudflare": gen_cloudflare,
    "vercel": gen_vercel,
    "fly": gen_fly,
    "heroku": gen_heroku,
    "netlify": gen_netlify,
    "render": gen_render,
    "neon": gen_neon,
    "planetscale": gen_planetscale,
    "terraform": gen_terraform,
    "sendgrid": gen_sendgrid,
    "twilio": gen_twilio,
    "datadog": gen_datadog,
    "azure-storage": gen_azure_storage,
    "gcp-service-account": gen_gcp_service_account,
    "random": gen_random,
}


@functools.cache
def generators() -> dict[str, Generator]:
    """Every generator: the ones above and each `GENERATORS` dict of a module in credscope/testing/generators/
    (a provider whose format needs code, a checksum say, adds a module there without touching this file)."""
    import importlib  # noqa: PLC0415
    import pkgutil  # noqa: PLC0415

    from credscope.testing import generators as package  # noqa: PLC0415

    found = dict(GENERATORS)
    for module in pkgutil.iter_modules(package.__path__):
        extra: dict[str, Generator] = importlib.import_module(f"{package.__name__}.{module.name}").GENERATORS
        clash = set(extra) & set(found)
        if clash:
            raise ValueError(f"generators/{module.name}.py redefines {sorted(clash)}")
        found.update(extra)
    return found


# A placeholder opens with "{{" directly followed by a generator-style name, so template syntax that examples
# must keep verbatim (Helm "{{ .Values.x }}", GitHub "${{ secrets.X }}", Jinja "{{ var }}") is left alone.
_PLACEHOLDER_NAME = re.compile(r"[a-z][a-z0-9-]*(?=[:}]|$)")


def _placeholders(template: str) -> list[tuple[int, int, str, str | None]]:
    """Find ``{{name}}`` / ``{{name:arg}}`` spans; an arg may hold ':' ',' and balanced braces (JSON)."""
    found: list[tuple[int, int, str, str | None]] = []
    pos = 0
    while (start := template.find("{{", pos)) != -1:
        name = _PLACEHOLDER_NAME.match(template, start + 2)
        if name is None:
            pos = start + 1
            continue
        depth, cursor = 0, name.end()
        while cursor < len(template):
            if template.startswith("}}", cursor) and depth == 0:
                break
            if template[cursor] == "{":
                depth += 1
            elif template[cursor] == "}":
                depth -= 1
            cursor += 1
        else:
            raise ValueError(f"unterminated placeholder {{{{{name.group()} at offset {start} in template")
        arg = template[name.end() + 1 : cursor] if template[name.end()] == ":" else None
        found.append((start, cursor + 2, name.group(), arg))
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
            generator = generators().get(name)
            if generator is None:
                raise ValueError(f"unknown generator {name!r} in template")
            value = generator(source, arg)
            values.append(value)
            pieces.append(value)
        pos = end
    pieces.append(template[pos:])
    return Expansion(text="".join(pieces), values=tuple(values))
