"""Made-up values: low-variety and sequential fakes, values typed as alphabet runs (`abc123def456`), PEM blocks
whose body is a word repeated, and token shapes that fail their own checksum."""

from __future__ import annotations

import itertools
import operator
import re

from credscope.detect import heuristics
from credscope.detect.checksums import VALIDATORS
from credscope.detect.filters.base import GENERIC_PROVIDER, FilterContext


def low_variety(ctx: FilterContext) -> str | None:
    # The random part of a token has many distinct characters; "aaaa…", "1234…", "abcabc…" do not.
    if ctx.secret.startswith("-----BEGIN"):
        return _repeated_pem_body(ctx.secret)
    body = _random_part(ctx.secret)
    if len(body) < 8:
        return None
    distinct = len(set(body))
    steps = _steps(body)
    # A unit of at most 8 characters repeated holds at most 8 distinct ones.
    if distinct <= 3 or _sequential(steps) or (distinct <= _LONGEST_PERIOD and _periodic(body)):
        return "low-variety fake"
    if _longest_run(steps) >= 7 or heuristics.is_sequential_string(body):
        return "sequential fake"
    return None


def _without_prefix(secret: str) -> str:
    """What follows a token's prefix (`sk_live_`, `ghp_`…)."""
    return _PREFIX.sub("", secret, count=1)


_PREFIX = re.compile(r"^[A-Za-z]{2,8}[_-](?:(?:live|test|v\d|pat|oat|proj|tkn|pw|api\d\d|admin\d\d)[_-])?")


def _random_part(secret: str) -> str:
    """What follows a token's prefix, at most the last 32 characters."""
    body = _without_prefix(secret)
    return body[-min(len(body), 32) :]


_HEX = frozenset("0123456789abcdefABCDEF")


def typed_fake(ctx: FilterContext) -> str | None:
    return "typed fake (alphabet runs)" if _typed_runs(_without_prefix(ctx.secret)) else None


def _typed_runs(value: str) -> bool:
    """`abc123def456ghi789`, `…uvwXYZ123abc`: a value people typed as runs of the alphabet and the digits. Runs
    of three or more cover three quarters of it, or there are four of them outside hex (whose small alphabet
    makes runs common: at 64 random hex characters, four runs come once in tens of thousands; its letters and digits
    are what count, so an Asana token `1/…:…` is hex too). Random values never got there in millions of draws up
    to 64 characters, the length this judges (a PEM body or a long blob has runs by chance); a person's password
    with one run in it (`Toto12345!`) is kept."""
    if not 8 <= len(value) <= 64 or "://" in value:
        return False
    count, covered = _runs(value.lower())
    return 4 * covered >= 3 * len(value) or (count >= 4 and not set(filter(str.isalnum, value)) <= _HEX)


def _runs(value: str) -> tuple[int, int]:
    """How many ascending runs of three or more letters or digits (`abc`, `789`) there are, and their length."""
    steps = _steps(value)
    if 1 not in steps:
        return 0, 0  # most values: every check below is per pair, in Python
    count = covered = 0
    # A link joins two neighbours one code point apart, both letters or digits of the same class; a run is a
    # maximal chain of links, three characters or more.
    length = 1
    for index, step in enumerate(steps):
        if step == 1 and _linked(value[index], value[index + 1]):
            length += 1
            continue
        if length >= 3:
            count, covered = count + 1, covered + length
        length = 1
    if length >= 3:
        count, covered = count + 1, covered + length
    return count, covered


def _linked(a: str, b: str) -> bool:
    return a.isalnum() and b.isalnum() and a.isdigit() == b.isdigit()


def _steps(value: str) -> list[int]:
    """The differences between neighbouring code points."""
    codes = list(map(ord, value))
    return list(map(operator.sub, codes[1:], codes[:-1]))


_PEM_BODY = re.compile(r"-----BEGIN [A-Z0-9 ]{1,64}-----(.*?)-----END ", re.DOTALL)


def _repeated_pem_body(block: str) -> str | None:
    """A PEM block whose body is a word repeated (`s3cr3ts3cr3t…`): a docs sample, not a key. Base64 of a key
    uses some forty distinct characters in any 64; this uses a handful."""
    found = _PEM_BODY.match(block)
    if found is None:
        return None
    body = re.sub(r"\\[rn]|\s", "", found.group(1))
    if len(body) >= 32 and (len(set(body)) <= 8 or _periodic(body)):
        return "low-variety fake (a PEM body that repeats a word)"
    return None


def _periodic(value: str) -> bool:
    """`abcabcab…`: a unit of at most _LONGEST_PERIOD characters repeated, possibly cut off at the end (each
    character is the one a period before it)."""
    return any(value[period:] == value[:-period] for period in range(1, min(_LONGEST_PERIOD, len(value) // 3) + 1))


_LONGEST_PERIOD = 8


def _sequential(steps: list[int]) -> bool:
    """Every step between neighbours the same, and 1, -1 or 0: `abcdef`, `987654`, `aaaa` (`steps`: `_steps`)."""
    distinct = set(steps)
    return len(distinct) == 1 and distinct <= {1, -1, 0}


def _longest_run(steps: list[int]) -> int:
    """Longest stretch of consecutive ascending or descending characters, like 1234567 or gfedcba (`steps`: the
    value's `_steps`)."""
    if 1 not in steps and -1 not in steps:
        return 1  # most values
    return max((len(list(group)) + 1 for step, group in itertools.groupby(steps) if step in (1, -1)), default=1)


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
