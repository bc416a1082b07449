"""What every filter sees, and the small word helpers they share."""

from __future__ import annotations

import re
from collections.abc import Callable

GENERIC_PROVIDER = "generic"


class FilterContext:
    """What a filter sees: the secret, the whole line it starts on, the name it is assigned to (if any), the file's
    path, and the rule and provider that matched it.

    Whether a filter read the name is kept (`name_read`, see `why_not_a_secret`): one that found nothing without
    reading it finds nothing under any name, and is not asked again once the value's name is known."""

    __slots__ = ("_name", "line", "name_read", "path", "provider", "rule_id", "secret")

    def __init__(self, secret: str, line: str, name: str | None, path: str, rule_id: str, provider: str) -> None:
        self.secret = secret
        self.line = line
        self._name = name
        self.path = path
        self.rule_id = rule_id
        self.provider = provider
        self.name_read = False

    @property
    def name(self) -> str | None:
        self.name_read = True
        return self._name

    def __repr__(self) -> str:
        return f"FilterContext(rule_id={self.rule_id!r}, path={self.path!r}, name={self._name!r})"


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
