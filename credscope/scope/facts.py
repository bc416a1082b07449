"""Small helpers every provider inference uses: names and context around a credential, dates, expiry, kinds."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import replace

from credscope.model import Access, Credential, Scope
from credscope.scope.core import scope_from_capabilities
from credscope.scope.infer import Subject


def names(credential: Credential) -> tuple[str, ...]:
    """Every name the value was assigned to, in the order of its locations, without repeats."""
    return context_values(credential, "name")


def context_values(credential: Credential, *keys: str) -> tuple[str, ...]:
    """The values of the given context keys over all locations, without repeats."""
    seen: dict[str, None] = {}
    for location in credential.locations:
        for key in keys:
            value = location.context.get(key)
            if value:
                seen.setdefault(value, None)
    return tuple(seen)


def paths(credential: Credential) -> tuple[str, ...]:
    return tuple(dict.fromkeys(location.path for location in credential.locations))


def date(seconds: float) -> str:
    """A Unix time as an ISO date and time in UTC, the way evidence shows it."""
    try:
        return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(seconds))
    except (OverflowError, ValueError, OSError):
        # Claims and caveats come from scanned text: `exp: 1e999` or 10**30 must not end the scan.
        return f"{seconds} (a date out of range)"


def expired(subject: Subject, expires_at: float | None, what: str) -> Scope | None:
    """Access none, with the expiry as evidence, when `expires_at` (Unix seconds) has passed; else None."""
    if expires_at is None or not expires_at <= subject.now:  # NaN is no expiry at all
        return None
    return Scope(
        access=Access.NONE,
        destructive=False,
        evidence=(f"{what} expired {date(expires_at)}: it no longer authenticates",),
        identity={"expires": date(expires_at)},
    )


def from_kind(
    subject: Subject,
    kind: str,
    evidence: Iterable[str] = (),
    identity: Mapping[str, str] | None = None,
    production: bool | None = None,
) -> Scope:
    """The capabilities of `kind` in the provider's table, with what this credential adds as evidence first."""
    provider = subject.provider
    info = provider.kinds.get(kind)
    extra = tuple(evidence)
    if info is None:
        return Scope(evidence=(*extra, f"kind {kind!r} is not in the {provider.name} catalogue"), production=production)
    table = (info.evidence,) if info.evidence else ()
    if not info.capabilities:
        return Scope(evidence=(*extra, *table), identity=dict(identity or {}), production=production)
    return scope_from_capabilities(provider, info.capabilities, (*extra, *table), identity, production=production)


def with_capabilities(
    subject: Subject,
    capabilities: Iterable[str],
    evidence: Iterable[str] = (),
    identity: Mapping[str, str] | None = None,
    production: bool | None = None,
) -> Scope:
    return scope_from_capabilities(subject.provider, capabilities, evidence, identity, production=production)


def unknown(
    evidence: Iterable[str], identity: Mapping[str, str] | None = None, production: bool | None = None
) -> Scope:
    return Scope(evidence=tuple(evidence), identity=dict(identity or {}), production=production)


def add(scope: Scope, evidence: Iterable[str] = (), identity: Mapping[str, str] | None = None) -> Scope:
    """The scope with more evidence and identity appended."""
    return replace(scope, evidence=(*scope.evidence, *evidence), identity={**scope.identity, **(identity or {})})
