"""The probe stage: each credential whose provider has a probe is queried live, and the answer replaces the
inferred scope (severity recomputed). A failure becomes `unknown` or `none` with its reason, never a crash."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from credscope.catalogue import Catalogue
from credscope.errors import CredscopeError
from credscope.model import Access, Credential, Scope, ScopeSource
from credscope.probes.base import NotProbed, ProbeFailure
from credscope.probes.client import ProbeClient
from credscope.probes.guard import GuardRefusal
from credscope.probes.registry import ProbeRegistry
from credscope.probes.settings import ProbeSettings
from credscope.scope.core import potential_actions, with_severity


def verify(
    credentials: Sequence[Credential],
    catalogue: Catalogue,
    settings: ProbeSettings,
    registry: ProbeRegistry | None = None,
) -> tuple[list[Credential], tuple[str, ...]]:
    """Probe every credential that can be probed; returns them (same order) and run-level notes."""
    registry = registry or ProbeRegistry.installed()
    with ProbeClient(catalogue, settings) as client:
        if not credentials:
            verified: list[Credential] = []
        else:
            with ThreadPoolExecutor(max_workers=max(1, settings.workers), thread_name_prefix="probe") as pool:
                verified = list(pool.map(lambda c: verify_one(c, client, registry), credentials))
        notes = client.overrides_used()
    if settings.probe_log is not None:
        client.log.write(settings.probe_log)
    return verified, notes


def verify_one(credential: Credential, client: ProbeClient, registry: ProbeRegistry) -> Credential:
    provider = client.catalogue.providers.get(credential.provider)
    if provider is None or provider.probe is None:
        return credential
    probe = registry.load(provider.probe)
    if probe is None:
        return _noted(credential, f"not checked live: no probe named {provider.probe!r} is installed")
    try:
        answer = probe(credential, client.session(provider))
    except NotProbed as skipped:
        return _noted(credential, f"not checked live: {skipped.reason}")
    except ProbeFailure as failure:
        return _failed(credential, failure.reason, failure.access)
    except GuardRefusal as refusal:
        return _failed(credential, f"refused by the read-only guard before sending: {refusal}", Access.UNKNOWN)
    except CredscopeError:
        raise  # a broken catalogue or configuration stops the run
    except ModuleNotFoundError as missing:
        reason = f"needs the optional package {missing.name} (pip install 'credscope[verify]')"
        return _failed(credential, reason, Access.UNKNOWN)
    except Exception as error:  # noqa: BLE001 - one provider's bug must not hide every other answer
        return _failed(credential, f"the {provider.name} probe failed ({type(error).__name__})", Access.UNKNOWN)
    offline = credential.scope
    merged = replace(
        offline,
        access=answer.access,
        destructive=answer.destructive,
        destructive_actions=answer.destructive_actions,
        scope_source=ScopeSource.QUERIED,
        evidence=answer.evidence,
        identity={**offline.identity, **answer.identity},
    )
    if merged.access is Access.UNKNOWN and merged.destructive is None and not merged.potential_actions:
        # Learnt live that it cannot be known: still what its kind could destroy, as offline inference says.
        merged = replace(merged, potential_actions=potential_actions(provider, credential.kind))
    return with_severity(replace(credential, scope=merged))


def _noted(credential: Credential, note: str) -> Credential:
    scope = credential.scope
    return replace(credential, scope=replace(scope, evidence=(*scope.evidence, note)))


def _failed(credential: Credential, reason: str, access: Access) -> Credential:
    """`none` is learnt live (revoked, expired); `unknown` keeps what was inferred offline about destruction."""
    offline = credential.scope
    scope: Scope
    if access is Access.NONE:
        scope = replace(
            offline,
            access=Access.NONE,
            destructive=False,
            destructive_actions=(),
            scope_source=ScopeSource.QUERIED,
            evidence=(f"live check: {reason}",),
        )
    else:
        scope = replace(offline, access=Access.UNKNOWN, evidence=(f"live check failed: {reason}", *offline.evidence))
    return with_severity(replace(credential, scope=scope))
