"""The one mapping from capabilities to access and destructive, and from scope and reach to severity.

Every provider goes through here, so the rule that turns "can call volumeDelete" into "admin, destructive,
critical when tracked" is written and reviewed once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from credscope.catalogue import Provider
from credscope.model import Access, Credential, Reach, Scope, ScopeSource, Severity

ACCESS_ORDER = (Access.NONE, Access.READ, Access.WRITE, Access.ADMIN)
_SEVERITY_ORDER = (Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)
# A copy only this machine holds is less exposed than one everybody with the repository (or its history) has.
LOCAL_REACHES = frozenset({Reach.UNTRACKED, Reach.IGNORED, Reach.FILE, Reach.HOME, Reach.ENV})


def scope_from_capabilities(
    provider: Provider,
    capability_ids: Iterable[str],
    evidence: Iterable[str] = (),
    identity: Mapping[str, str] | None = None,
    source: ScopeSource = ScopeSource.INFERRED,
    production: bool | None = None,
) -> Scope:
    """Access is the highest level among the capabilities; destructive when any of them is.

    An id the provider's table lacks is named in the evidence rather than guessed at; with no known capability
    the access stays `unknown`.
    """
    wanted = list(dict.fromkeys(capability_ids))
    missing = [c for c in wanted if c not in provider.capabilities]
    capabilities = [provider.capabilities[c] for c in wanted if c in provider.capabilities]
    notes = tuple(evidence) + tuple(f"capability {c!r} is not in the {provider.name} catalogue" for c in missing)
    if not capabilities:
        return Scope(evidence=notes, identity=dict(identity or {}), scope_source=source, production=production)
    access = max((c.level for c in capabilities), key=ACCESS_ORDER.index)
    actions = tuple(f"{provider.id}:{c.id}" for c in capabilities if c.destructive)
    return Scope(
        access=access,
        destructive=bool(actions),
        destructive_actions=actions,
        scope_source=source,
        evidence=notes,
        identity=dict(identity or {}),
        production=production,
    )


def severity_of(scope: Scope, reaches: Iterable[Reach]) -> Severity:
    """Severity from access × destructive × reach, capped for what is not production.

    * access × destructive gives the base: admin that can destroy is critical, a read-only key is low, and an
      unknown scope is medium (high when something says it can destroy).
    * reach: a credential only ever seen on this machine (ignored, untracked, home, env) is one step lower than
      one in tracked files or git history, which every clone carries — but only when it is known that it
      cannot destroy anything. An agent on this machine reads exactly those places: a key that can (or may)
      destroy something is as severe in `~/.aws/credentials` or the environment as in a commit.
    * a credential that reaches only test mode, localhost or a throw-away value is at most low.
    """
    severity = _base_severity(scope)
    reach_set = set(reaches)
    if scope.destructive is False and reach_set and reach_set <= LOCAL_REACHES:
        severity = _lower(severity)
    if scope.production is False:
        severity = min(severity, Severity.LOW, key=_SEVERITY_ORDER.index)
    return severity


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
    return _SEVERITY_ORDER[max(1, _SEVERITY_ORDER.index(severity) - 1)] if severity is not Severity.INFO else severity


def with_severity(credential: Credential) -> Credential:
    return replace(credential, severity=severity_of(credential.scope, credential.reaches))
