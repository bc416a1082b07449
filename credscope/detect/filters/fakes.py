"""Made-up values: low-variety and sequential fakes, and token shapes that fail their own checksum."""

from __future__ import annotations

import itertools
import re

from credscope.detect import heuristics
from credscope.detect.checksums import VALIDATORS
from credscope.detect.filters.base import GENERIC_PROVIDER, FilterContext


def low_variety(ctx: FilterContext) -> str | None:
    # The random part of a token has many distinct characters; "aaaa…", "1234…", "abcabc…" do not.
    body = _random_part(ctx.secret)
    if len(body) < 8:
        return None
    if len(set(body)) <= 3 or _sequential(body) or _periodic(body):
        return "low-variety fake"
    if _longest_run(body) >= 7 or heuristics.is_sequential_string(body):
        return "sequential fake"
    return None


def _random_part(secret: str) -> str:
    """What follows a token's prefix (`sk_live_`, `ghp_`…), at most the last 32 characters."""
    body = re.sub(r"^[A-Za-z]{2,8}[_-](?:(?:live|test|v\d|pat|oat|proj|tkn|pw|api\d\d|admin\d\d)[_-])?", "", secret)
    return body[-min(len(body), 32) :]


def _periodic(value: str) -> bool:
    """`abcabcab…`: a short unit repeated, possibly cut off at the end."""
    return any(
        value == (value[:period] * (len(value) // period + 1))[: len(value)]
        for period in range(1, min(8, len(value) // 3) + 1)
    )


def _sequential(value: str) -> bool:
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(value)}
    return len(steps) == 1 and steps <= {1, -1, 0}


def _longest_run(value: str) -> int:
    """Longest stretch of consecutive ascending or descending characters, like 1234567 or gfedcba."""
    longest = run = 1
    direction = 0
    for a, b in itertools.pairwise(value):
        step = ord(b) - ord(a)
        if step in (1, -1) and (run == 1 or step == direction):
            run, direction = run + 1, step
        elif step in (1, -1):
            run, direction = 2, step
        else:
            run, direction = 1, 0
        longest = max(longest, run)
    return longest


# Prefixed formats with a checksum: a value of that shape that fails it is a made-up token (a fixture, a
# docs sample), not a secret some other way, so the generic rules must not report it either.
_CHECKSUMMED = (
    (re.compile(r"gh[pousr]_[A-Za-z0-9]{36}"), "github-crc32"),
    (re.compile(r"npm_[A-Za-z0-9]{36}"), "npm-crc32"),
    (re.compile(r"gl[a-z]{2,6}-[0-9A-Za-z_-]{27,300}\.(?:[0-9a-z]{2}\.)?[0-9a-z]{9}"), "gitlab-routable-crc32"),
    (re.compile(r"pypi-AgE[A-Za-z0-9_-]{50,}"), "pypi-macaroon"),
)


def failed_checksum(ctx: FilterContext) -> str | None:
    if ctx.provider != GENERIC_PROVIDER:
        return None
    for shape, validator in _CHECKSUMMED:
        if shape.fullmatch(ctx.secret):
            check = VALIDATORS.get(validator)
            if check is not None and not check(ctx.secret):
                return "token-shaped but fails its checksum"
    return None
