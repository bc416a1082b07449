"""Offline inference: fills each credential's scope from its provider's kind table, or from the provider's
own inference when the token and its context say more (claims, caveats, variable names)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Protocol

from credscope.catalogue import Catalogue, Provider
from credscope.model import Access, Advice, Credential, Scope
from credscope.scope.core import potential_actions, scope_from_capabilities, with_severity


@dataclass(frozen=True)
class Subject:
    """What an inference may look at: the credential, its provider's table, the whole catalogue, and the time."""

    credential: Credential
    provider: Provider
    catalogue: Catalogue
    now: float  # Unix seconds; passed in so expiry decisions are testable


class Inference(Protocol):
    """Provider-specific offline inference; returns an honest Scope (`unknown`, with the reason, when unsure)."""

    def __call__(self, subject: Subject, /) -> Scope: ...


Inferences = Mapping[str, Inference]


def assess(
    credential: Credential,
    catalogue: Catalogue,
    inferences: Inferences,
    now: float | None = None,
) -> Credential:
    provider = catalogue.providers.get(credential.provider)
    if provider is None:
        scope = Scope(evidence=(f"provider {credential.provider!r} is not in the catalogue",))
    else:
        subject = Subject(credential, provider, catalogue, time.time() if now is None else now)
        inference = inferences.get(credential.provider)
        scope = inference(subject) if inference is not None else scope_from_kind(credential, provider)
        if scope.access is Access.UNKNOWN and scope.destructive is None and not scope.potential_actions:
            scope = replace(scope, potential_actions=potential_actions(provider, credential.kind))
        kind = provider.kinds.get(credential.kind)
        if kind is not None:
            credential = replace(credential, advice=Advice(narrower=kind.narrower, revoke=kind.revoke))
    return with_severity(replace(credential, scope=scope))


def scope_from_kind(credential: Credential, provider: Provider, kind_name: str | None = None) -> Scope:
    """The provider's kind table alone: the capabilities a credential of this kind holds when nothing else is known."""
    name = kind_name or credential.kind
    kind = provider.kinds.get(name)
    if kind is None or not kind.capabilities:
        fallback = f"no offline inference for {provider.name} {name}"
        reason = kind.evidence if kind is not None and kind.evidence else fallback
        return Scope(evidence=(reason,))
    evidence = (kind.evidence,) if kind.evidence else (f"{provider.name} {name}: {kind.description}",)
    return scope_from_capabilities(provider, kind.capabilities, evidence)
