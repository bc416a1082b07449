"""The one mapping from capabilities to access and destructive, and from scope and reach to severity."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from credscope.catalogue import Provider
from credscope.model import Access, Credential, Reach, Scope, ScopeSource, Severity

_ACCESS_ORDER = (Access.NONE, Access.READ, Access.WRITE, Access.ADMIN)
# A copy only this machine holds is less exposed than one anybody with the repository can read.
_LOCAL_REACHES = frozenset({Reach.UNTRACKED, Reach.IGNORED, Reach.FILE, Reach.HOME, Reach.ENV})


def scope_from_capabilities(
    provider: Provider,
    capability_ids: Iterable[str],
    evidence: Iterable[str] = (),
    identity: Mapping[str, str] | None = None,
    source: ScopeSource = ScopeSource.INFERRED,
    qualifier: str = "",
) -> Scope:
    """Access is the highest level among the capabilities; destructive if any of them is.

    `qualifier` narrows the named actions, e.g. "every project" or "project rentals".
    """
    capabilities = [provider.capabilities[c] for c in dict.fromkeys(capability_ids)]
    if not capabilities:
        return Scope(evidence=tuple(evidence), identity=dict(identity or {}), scope_source=source)
    access = max((c.level for c in capabilities), key=_ACCESS_ORDER.index)
    suffix = f" ({qualifier})" if qualifier else ""
    actions = tuple(f"{provider.id}:{c.id}{suffix}" for c in capabilities if c.destructive)
    return Scope(
        access=access,
        destructive=bool(actions),
        destructive_actions=actions,
        scope_source=source,
        evidence=tuple(evidence),
        identity=dict(identity or {}),
    )


def severity_of(scope: Scope, reaches: Iterable[Reach]) -> Severity:
    """Severity from access × destructive × reach; unknown scope is treated as possibly dangerous."""
    base = _base_severity(scope)
    reach_set = set(reaches)
    if base is Severity.CRITICAL or not reach_set or not reach_set <= _LOCAL_REACHES:
        return base
    return _lower(base)


def _base_severity(scope: Scope) -> Severity:
    match scope.access:
        case Access.ADMIN:
            return Severity.CRITICAL if scope.destructive is not False else Severity.HIGH
        case Access.WRITE:
            return Severity.HIGH if scope.destructive else Severity.MEDIUM
        case Access.READ:
            return Severity.LOW
        case Access.NONE:
            return Severity.INFO
        case Access.UNKNOWN:
            return Severity.HIGH if scope.destructive else Severity.MEDIUM


def _lower(severity: Severity) -> Severity:
    order = (Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)
    return order[max(0, order.index(severity) - 1)]


def with_severity(credential: Credential) -> Credential:
    return replace(credential, severity=severity_of(credential.scope, credential.reaches))
