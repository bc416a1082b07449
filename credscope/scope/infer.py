"""Offline inference: fills each credential's scope from its provider's kind table and context."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from credscope.catalogue import Catalogue, Provider
from credscope.model import Credential, Scope
from credscope.scope.core import scope_from_capabilities, with_severity

# Provider-specific inference, for what a kind table alone cannot say (claims, caveats, context).
Inference = Callable[[Credential, Provider], Scope]


def assess(credential: Credential, catalogue: Catalogue, inferences: Mapping[str, Inference]) -> Credential:
    provider = catalogue.providers.get(credential.provider)
    if provider is None:
        scope = Scope(evidence=(f"provider {credential.provider!r} is not in the catalogue",))
    elif credential.provider in inferences:
        scope = inferences[credential.provider](credential, provider)
    else:
        scope = scope_from_kind(credential, provider)
    return with_severity(replace(credential, scope=scope))


def scope_from_kind(credential: Credential, provider: Provider) -> Scope:
    kind = provider.kinds.get(credential.kind)
    if kind is None or not kind.capabilities:
        return Scope(evidence=(f"no offline inference for {provider.name} {credential.kind}",))
    evidence = (kind.evidence,) if kind.evidence else (f"{provider.name} {credential.kind}: {kind.description}",)
    return scope_from_capabilities(provider, kind.capabilities, evidence)
