"""What every filter sees, and the small word helpers they share."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

GENERIC_PROVIDER = "generic"


@dataclass(frozen=True)
class FilterContext:
    secret: str
    line: str  # the whole line the secret starts on
    name: str | None  # the name it is assigned to, if any
    path: str
    rule_id: str
    provider: str


# A filter must be monotone in the name: what it rejects with `name=None` it rejects under any name. The
# engine relies on that to judge a value before parsing its document for names (tests/test_heuristics.py).
Filter = Callable[[FilterContext], "str | None"]


def wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


def words_of(name: str) -> set[str]:
    """`awsSecretAccessKey` / `AWS_SECRET_ACCESS_KEY` / `aws.secret-key` -> {aws, secret, access, key}."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return {word for word in re.split(r"[^a-z0-9]+", spaced.lower()) if word}


def before(ctx: FilterContext) -> str:
    """The line up to the secret."""
    index = ctx.line.find(ctx.secret)
    return ctx.line[:index] if index >= 0 else ctx.line
