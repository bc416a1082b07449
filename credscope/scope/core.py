"""The one mapping from capabilities to access and destructive, and from scope and reach to severity.

Every provider goes through here, so the rule that turns "can call volumeDelete" into "admin, destructive,
critical when tracked" is written and reviewed once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from credscope.catalogue import Provider
from credscope.model import Access, Confidence, Credential, Reach, Scope, ScopeSource, Severity

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


def severity_of(scope: Scope, reaches: Iterable[Reach], confidence: Confidence = Confidence.LIKELY) -> Severity:
    """Severity from access × destructive × confidence × reach, capped for what is not production.

    docs/severity.md is this function written out as a table (tests/test_severity_table.py keeps them equal).

    * access × destructive gives the base: admin that can destroy is critical, a read-only key is low. An
      unknown scope is what its kind could do: high when it can or may destroy something (its kind can be
      granted a destructive action), medium when nothing says so.
    * confidence: a value that is only possibly a credential (a generic value by name and entropy, a test
      fixture) is one step lower.
    * reach: a credential only ever seen on this machine (ignored, untracked, home, env) is one step lower than
      one in tracked files or git history, which every clone carries — but only when it is known that it
      cannot destroy anything, and never below medium for one that can write. An agent on this machine reads
      exactly those places: a key that can (or may) destroy something is as severe in `~/.aws/credentials` or
      the environment as in a commit.
    * a credential that reaches only test mode, localhost or a throw-away value is at most low.
    """
    severity = _base_severity(scope)
    if confidence is Confidence.POSSIBLE:
        severity = _lower(severity)
    reach_set = set(reaches)
    if scope.destructive is False and reach_set and reach_set <= LOCAL_REACHES:
        writes = scope.access in (Access.ADMIN, Access.WRITE)
        severity = _lower(severity, floor=Severity.MEDIUM if writes else Severity.LOW)
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
            may_destroy = scope.destructive or (scope.destructive is None and scope.potential_actions)
            return Severity.HIGH if may_destroy else Severity.MEDIUM


def _lower(severity: Severity, floor: Severity = Severity.LOW) -> Severity:
    """One step lower, but not below `floor` (a severity already below it stays where it is)."""
    index = _SEVERITY_ORDER.index(severity)
    return _SEVERITY_ORDER[max(min(index, _SEVERITY_ORDER.index(floor)), index - 1)]


def potential_actions(provider: Provider, kind: str) -> tuple[str, ...]:
    """The destructive actions a credential of this kind can be granted: those of its kind's table when it has
    one, else every destructive capability of the provider (an AWS key or a classic PAT can be granted any)."""
    info = provider.kinds.get(kind)
    ids = info.capabilities if info is not None and info.capabilities else tuple(provider.capabilities)
    known = provider.capabilities
    return tuple(f"{provider.id}:{c}" for c in ids if c in known and known[c].destructive)


def with_severity(credential: Credential) -> Credential:
    severity = severity_of(credential.scope, credential.reaches, credential.confidence)
    return replace(credential, severity=severity)
