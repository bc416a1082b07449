"""Checksum and structure validators that provider rules name with ``validate: <name>``.

Each validator takes the matched secret and says whether it is well formed; the generators in
``credscope.testing.generate`` use the same encoders, so generated examples pass these checks.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable

from credscope.detect.decoding import b64url_decode, decode_jwt_part, decode_pypi_macaroon

__all__ = [
    "BASE62_ALPHABET",
    "VALIDATORS",
    "base62_crc32",
    "cloudflare_crc32",
    "encode_base",
    "gitlab_routable_crc32",
    "is_cloudflare_token",
    "is_github_token",
    "is_gitlab_routable_token",
    "is_jwt",
    "is_npm_token",
    "is_pypi_macaroon",
]

# GitHub and npm encode the checksum with the "GMP" base62 alphabet (digits, upper, lower). Sources: the
# GitHub blog "Behind GitHub's new authentication token formats" (2021-04-05), therootcompany/base62-token.js
# README (spec and the worked example prefix + "zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ" -> checksum "0mLq17", which
# tests/test_generate.py re-checks) and Samsung/CredSweeper filters/value_github_check.py (pybase62 default
# charset, CRC32 compared as an integer).
BASE62_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BASE36_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def encode_base(number: int, alphabet: str, width: int) -> str:
    """Encode a non-negative integer in the given alphabet, left-padded with its zero digit to ``width``."""
    digits = ""
    base = len(alphabet)
    while number:
        number, rest = divmod(number, base)
        digits = alphabet[rest] + digits
    return digits.rjust(width, alphabet[0])


def base62_crc32(entropy: str) -> str:
    """The 6-character checksum GitHub and npm append: CRC32 of the random part only, base62, '0'-padded."""
    return encode_base(zlib.crc32(entropy.encode("ascii")), BASE62_ALPHABET, 6)


# The 30 random characters and the checksum are both base62; the prefix is not covered by the checksum.
_GITHUB = re.compile(r"gh[pousr]_([A-Za-z0-9]{30})([A-Za-z0-9]{6})")
_NPM = re.compile(r"npm_([A-Za-z0-9]{30})([A-Za-z0-9]{6})")


def is_github_token(token: str) -> bool:
    """GitHub classic/OAuth/user/server/refresh token ``gh[pousr]_`` + 30 random + 6 checksum chars."""
    match = _GITHUB.fullmatch(token)
    return match is not None and base62_crc32(match.group(1)) == match.group(2)


def is_npm_token(token: str) -> bool:
    """npm granular token ``npm_`` + 30 + 6, the same scheme as GitHub (GitHub changelog 2021-09-23)."""
    match = _NPM.fullmatch(token)
    return match is not None and base62_crc32(match.group(1)) == match.group(2)


def gitlab_routable_crc32(body: str) -> str:
    """GitLab routable-token checksum: CRC32 of everything before it, base36, '0'-padded to 7 characters.

    Source: gitlab-org/gitlab lib/authn/token_field/generator/routable_token.rb (``append_crc``:
    ``Zlib.crc32(encoded_payload).to_s(36).rjust(7, '0')``); google/osv-scalibr veles gitlabpat detector does
    the same. Checked against the example in GitLab's secret-detection rules.
    """
    return encode_base(zlib.crc32(body.encode("ascii")), _BASE36_ALPHABET, 7)


# <prefix><base64url payload>.<2-char version>.<2-char payload length><crc>, or the earlier unversioned
# form without the version segment. Runner tokens put "t<digit>_" between prefix and payload.
_GITLAB_ROUTABLE = re.compile(
    r"gl[a-z]{2,6}-(?:t\d_)?([0-9A-Za-z_-]{27,300})\.(?:[0-9a-z]{2}\.)?([0-9a-z]{2})[0-9a-z]{7}"
)


def is_gitlab_routable_token(token: str) -> bool:
    """Routable GitLab token (``glpat-``, ``glrt-`` …) whose base36 CRC32 suffix and length field match."""
    match = _GITLAB_ROUTABLE.fullmatch(token)
    if match is None or int(match.group(2), 36) != len(match.group(1)):
        return False
    return gitlab_routable_crc32(token[:-7]) == token[-7:]


def cloudflare_crc32(entropy: str) -> str:
    """Cloudflare scannable-token checksum: CRC32 of the 40 random characters as 8 lower-case hex digits.

    Cloudflare documents "prefix + 40 characters + checksum" (developers.cloudflare.com, Token formats) but
    not the algorithm; this one reproduces the ending of a token observed in public code. Inferred, not
    published: a mismatch means "probably not a Cloudflare token", not proof.
    """
    return f"{zlib.crc32(entropy.encode('ascii')):08x}"


_CLOUDFLARE = re.compile(r"(?:cfut|cfat|cfk)_([A-Za-z0-9]{40})([0-9a-f]{8})")


def is_cloudflare_token(token: str) -> bool:
    """Cloudflare ``cfut_`` / ``cfat_`` / ``cfk_`` credential whose 8-hex ending matches ``cloudflare_crc32``."""
    match = _CLOUDFLARE.fullmatch(token)
    return match is not None and cloudflare_crc32(match.group(1)) == match.group(2)


# Only PyPI's own locations; any other location is some other service's macaroon.
_PYPI_LOCATIONS = frozenset({"pypi.org", "test.pypi.org"})


def is_pypi_macaroon(token: str) -> bool:
    """``pypi-`` + base64url macaroon v2 located at pypi.org or test.pypi.org (structure only, no crypto)."""
    info = decode_pypi_macaroon(token)
    return info is not None and info["location"] in _PYPI_LOCATIONS


def is_jwt(token: str) -> bool:
    """Compact JWS: three base64url segments whose header and payload are JSON objects."""
    parts = token.split(".")
    return (
        len(parts) == 3
        and decode_jwt_part(parts[0]) is not None
        and decode_jwt_part(parts[1]) is not None
        and b64url_decode(parts[2]) is not None
    )


# Not here, on purpose: Vercel (its 50 + 6 base62 CRC32 layout is asserted by gitleaks/Kingfisher rules but
# not by Vercel, and no public sample was found to confirm it) and Supabase sb_* keys (the 8-character ending
# matched no CRC32/SHA-256 encoding tried). Slack, Stripe, OpenAI, Anthropic, Docker, Hugging Face and the
# other prefixed formats carry no published checksum (Anthropic's trailing "AA" is a fixed suffix, OpenAI's
# "T3BlbkFJ" a fixed marker); the rule regex already checks those.
VALIDATORS: dict[str, Callable[[str], bool]] = {
    "github-crc32": is_github_token,
    "npm-crc32": is_npm_token,
    "gitlab-routable-crc32": is_gitlab_routable_token,
    "cloudflare-crc32": is_cloudflare_token,
    "pypi-macaroon": is_pypi_macaroon,
    "jwt": is_jwt,
}
