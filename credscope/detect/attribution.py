"""Whose credential a match is when its format alone cannot say: the provider its name, host or file names.

A rule whose format other services use too lists them under `shared_with` in its YAML (`sk_live_` is Stripe's,
Clerk's and WorkOS's). Such a match is the rule's provider's when the context names that provider, is left to
another provider (its own rule, or none) when the context names that one instead, and otherwise carries the
providers whose rules take the same value, so its confidence can say so (detect/confidence.py). A rule that
needs a name or a path to match at all has its context already. The engine ranks matches of the same span by
this claim: context beats the format alone, and a format nobody else claims beats one that is shared.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from credscope.catalogue import Catalogue, Rule

# A location's context key naming the other providers whose rules take the same value (detect/confidence.py).
SHARED_FORMAT = "shared_format"
# How far either side of a value a host or a `near` pattern confirms its provider, unless the rule says.
_WITHIN = 300
# An id's part this long names its provider on its own (`vagrant` of vagrant-cloud); shorter ones (`pub`, `dev`,
# `cloud`) are words of other names too.
_PART = 6
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


class Claim(IntEnum):
    """How a match claims its provider, weakest first (the engine's tie-break on the same span)."""

    SHARED = 0  # a format other providers' rules take too, and nothing around it names one of them
    FORMAT = 1  # the rule's format alone, which no other provider's rule takes
    CONFIRMED = 2  # its name, a host or pattern near it, or its file names the provider; or the rule needs that


@dataclass(frozen=True)
class Verdict:
    claim: Claim
    # SHARED: the names of the other providers whose rules take the same value.
    shared_with: tuple[str, ...] = ()
    # The other provider the context names: the match is not this rule's to report.
    belongs_to: str | None = None


FORMAT_ONLY = Verdict(Claim.FORMAT)
CONFIRMED = Verdict(Claim.CONFIRMED)


@dataclass(frozen=True)
class _Names:
    """What names one provider in the text: words (in a normalised name or path) and API hosts."""

    display: str
    words: tuple[str, ...]
    hosts: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = ()


def _words(provider_id: str) -> tuple[str, ...]:
    parts = [part for part in provider_id.split("-") if len(part) >= _PART]
    return tuple(dict.fromkeys([_NOT_ALNUM.sub("", provider_id), *parts]))


class Attribution:
    """The catalogue's names for each provider, built once per detector."""

    def __init__(self, catalogue: Catalogue) -> None:
        self._known = {
            provider.id: _Names(provider.name, _words(provider.id), provider.hosts, provider.rules)
            for provider in catalogue.providers.values()
        }

    def _names(self, provider_id: str) -> _Names:
        # A service not in the catalogue is named by its id alone: it can take a value away, never be offered.
        return self._known.get(provider_id) or _Names(provider_id, _words(provider_id))

    def judge(self, rule: Rule, secret: str, name: str | None, text: str, start: int, path: str) -> Verdict:
        if rule.requires_name or rule.paths is not None:
            return CONFIRMED
        if not rule.shared_with:
            return FORMAT_ONLY
        own = self._names(rule.provider)
        others = [self._names(other) for other in rule.shared_with]
        if name:
            flat = _NOT_ALNUM.sub("", name.lower())
            if (rule.names is not None and rule.names.search(name)) or _says(flat, own.words):
                return CONFIRMED
            named = next((other for other in others if _says(flat, other.words)), None)
            if named is not None:
                return Verdict(Claim.FORMAT, belongs_to=named.display)
        within = rule.near.within if rule.near is not None else _WITHIN
        window = text[max(0, start - within) : start + len(secret) + within]
        if rule.near is not None and rule.near.pattern.search(window):
            return CONFIRMED
        lowered = window.lower()
        if _says(lowered, own.hosts) or _says(_NOT_ALNUM.sub("", path.lower()), own.words):
            return CONFIRMED
        hosted = next((other for other in others if _says(lowered, other.hosts)), None)
        if hosted is not None:
            return Verdict(Claim.FORMAT, belongs_to=hosted.display)
        takers = tuple(other.display for other in others if _takes(other.rules, secret))
        return Verdict(Claim.SHARED, shared_with=takers) if takers else FORMAT_ONLY


def _says(text: str, words: Iterable[str]) -> bool:
    return any(word in text for word in words)


def _takes(rules: Iterable[Rule], secret: str) -> bool:
    """Whether one of the rules' patterns takes the whole value, as its secret, with nothing around it."""
    for rule in rules:
        found = rule.pattern.search(secret)
        if found is not None and found.group("secret") == secret:
            return True
    return False
