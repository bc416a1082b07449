"""False-positive filters: each says why a matched value is not a credential, or nothing."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

from credscope.detect.entropy import shannon


@dataclass(frozen=True)
class FilterContext:
    secret: str
    line: str  # the whole line the secret starts on
    name: str | None  # the name it is assigned to, if any
    path: str
    rule_id: str
    provider: str


Filter = Callable[[FilterContext], "str | None"]

# Keys and tokens that documentation publishes as examples: matching them is noise.
DOCUMENTED_EXAMPLES = frozenset(
    {
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "ASIAIOSFODNN7EXAMPLE",
        "AKIAI44QH8DHBEXAMPLE",
        "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
        # jwt.io's sample token signature segment and payload
        "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    }
)

_PLACEHOLDER = re.compile(
    r"""(?ix)
    ^(?:your|my|insert|enter|replace|put|add|paste|example|sample|dummy|fake|test|mock)[_\-\s]?
       .*(?:key|token|secret|password|here|value)
    | ^<[^<>]+>$ | ^\[[^\[\]]+\]$ | ^\{[^{}]+\}$
    | ^(?:changeme|change_me|change-me|password|passw0rd|secret|token|null|none|nil|undefined
         |todo|tbd|redacted|hidden|xxx+|\*+|\.+)$
    | (?:x{6,}|X{6,}|\*{4,}|_{6,}|\.{3,}|<redacted>|redacted|placeholder|example\.com)
    """
)
_REFERENCE = re.compile(
    r"""\$\{\{|\$\{[^}]*\}|^\$[A-Za-z_]\w*$|\{\{[^}]*\}\}|%\([^)]*\)s|%[A-Z_]+%|^@[A-Za-z_]+$"""
    r"""|os\.environ|os\.getenv|process\.env|ENV\[|System\.getenv|getenv\("""
)


def documented_example(ctx: FilterContext) -> str | None:
    if ctx.secret in DOCUMENTED_EXAMPLES or ctx.secret.upper().endswith("EXAMPLE") or "EXAMPLEKEY" in ctx.secret:
        return "documented example key"
    return None


def placeholder(ctx: FilterContext) -> str | None:
    return "placeholder" if _PLACEHOLDER.search(ctx.secret) else None


def reference(ctx: FilterContext) -> str | None:
    return "reference to a secret held elsewhere" if _REFERENCE.search(ctx.secret) else None


def low_variety(ctx: FilterContext) -> str | None:
    # The random part of a token has many distinct characters; "aaaa…", "1234…", "abcabc…" do not.
    body = ctx.secret[-min(len(ctx.secret), 32) :]
    if len(body) >= 8 and (len(set(body)) <= 3 or _sequential(body)):
        return "low-variety fake"
    return None


def _sequential(value: str) -> bool:
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(value)}
    return len(steps) == 1 and steps <= {1, -1, 0}


FILTERS: tuple[Filter, ...] = (documented_example, placeholder, reference, low_variety)


def why_not_a_secret(ctx: FilterContext, filters: tuple[Filter, ...] = FILTERS) -> str | None:
    for check in filters:
        reason = check(ctx)
        if reason:
            return reason
    return None


def meets_entropy(secret: str, floor: float) -> bool:
    return floor <= 0 or shannon(secret) >= floor
