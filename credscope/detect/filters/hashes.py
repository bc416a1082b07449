"""Hashes that look like tokens: lockfile integrity hashes, digests named as such, commit ids, and stored
password hashes (what a server keeps instead of the password)."""

from __future__ import annotations

import re

from credscope.detect import heuristics
from credscope.detect.filters.base import GENERIC_PROVIDER, FilterContext, before, words_of, wordset

_LOCKFILES = frozenset(
    {
        "go.sum",
        "pnpm-lock.yaml",
        "uv.lock",
        "bun.lock",
        "npm-shrinkwrap.json",
        "gradle.lockfile",
        "flake.lock",
        "mix.lock",
        "pubspec.lock",
        "conda-lock.yml",
        "pdm.lock",
        "deno.lock",
        "Package.resolved",
    }
)
_SRI = re.compile(r"^(?:sha1|sha256|sha384|sha512|md5)[-:][A-Za-z0-9+/=_-]+$")
_HASH_BEFORE = re.compile(r"(?:sha1|sha224|sha256|sha384|sha512|md5|h1)[-:=]\s*$", re.IGNORECASE)
_HEX = re.compile(r"^[0-9a-fA-F]{7,128}$")
_HASH_WORDS = wordset(
    "sha sha1 sha224 sha256 sha384 sha512 md5 hash hashes hashed hexdigest digest checksum checksums crc "
    "etag commit revision rev oid fingerprint thumbprint integrity object tree blob head parent"
)
_COMMIT_LINE = re.compile(r"(?i)\b(?:commit|sha|rev|revision|checkout|cherry-pick|revert|merge|blob|tree|git)\b")


def lockfile_hash(ctx: FilterContext) -> str | None:
    if _SRI.match(ctx.secret) or _hash_prefixed(ctx):
        return "integrity hash"
    if _is_lockfile(ctx.path) and (
        ctx.provider == GENERIC_PROVIDER or _HEX.match(ctx.secret) or "integrity" in ctx.line or "hash" in ctx.line
    ):
        return "lockfile integrity hash"
    return None


def _hash_prefixed(ctx: FilterContext) -> bool:
    index = ctx.line.find(ctx.secret)
    return index > 0 and _HASH_BEFORE.search(ctx.line[max(0, index - 8) : index]) is not None


def _is_lockfile(path: str) -> bool:
    base = path.rsplit("/", 1)[-1]
    return base in _LOCKFILES or base.endswith(".lock") or heuristics.is_lock_file(path)


def hash_constant(ctx: FilterContext) -> str | None:
    """Hex digests assigned to names that say so, and commit ids on lines that talk about commits."""
    if not _HEX.match(ctx.secret):
        return None
    if ctx.name and words_of(ctx.name) & _HASH_WORDS:
        return "hash constant"
    if len(ctx.secret) in (7, 8, 12, 40, 64) and ctx.secret.islower() and _COMMIT_LINE.search(before(ctx)):
        return "commit id"
    return None


# Stored password hashes: Django's `<algorithm>$…` (fixtures hold them by the dozen) and the modular crypt
# format (`$2b$12$…` bcrypt, `$argon2id$…`, `$6$…` sha512-crypt). A hash is what a server keeps instead of the
# password; it logs nobody in.
_PASSWORD_HASH = re.compile(
    r"(?:pbkdf2_sha256|pbkdf2_sha1|argon2|bcrypt_sha256|bcrypt|scrypt|sha1|md5|unsalted_md5|unsalted_sha1|crypt)"
    r"\$[^$\s]{1,64}\$[^\s]{8,}"
    r"|\$(?:2[abxy]?|argon2(?:id|i|d)|1|5|6|apr1|pbkdf2(?:-sha(?:1|256|512))?|scrypt|y|gy|7)\$[^\s]{8,}"
)


def password_hash(ctx: FilterContext) -> str | None:
    if ctx.provider == GENERIC_PROVIDER and _PASSWORD_HASH.fullmatch(ctx.secret):
        return "password hash, not the password"
    return None
