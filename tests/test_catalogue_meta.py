"""Every provider in the catalogue is complete: examples both ways and a capability table its rules fit."""

from __future__ import annotations

import pytest

from credscope.catalogue import Provider, load_catalogue
from credscope.scope.registry import builtin_inferences

CATALOGUE = load_catalogue()
PROVIDERS = [pytest.param(provider, id=provider.id) for provider in CATALOGUE.providers.values()]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_rule_has_positive_and_negative_examples(provider: Provider) -> None:
    for rule in provider.rules:
        assert any(e.positive for e in rule.examples), f"{rule.id}: no positive example"
        assert any(not e.positive for e in rule.examples), f"{rule.id}: no negative example"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_capability_table_covers_every_kind(provider: Provider) -> None:
    assert provider.capabilities, f"{provider.id}: no capabilities table"
    assert provider.kinds, f"{provider.id}: no kinds table"
    kinds = {rule.kind for rule in provider.rules if not rule.companion}
    kinds |= {kind for rule in provider.rules for _, kind in rule.kind_by_name}
    kinds |= {e.kind for rule in provider.rules for e in rule.examples if e.kind}
    missing = sorted(kinds - set(provider.kinds))
    assert not missing, f"{provider.id}: kinds without an entry in `kinds:`: {missing}"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_capability_is_documented(provider: Provider) -> None:
    undocumented = sorted(c.id for c in provider.capabilities.values() if not c.doc.startswith("https://"))
    assert not undocumented, f"{provider.id}: capabilities without a https documentation link: {undocumented}"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_kinds_say_why_when_they_hold_no_capability(provider: Provider) -> None:
    # A kind with no capabilities means "unknown offline"; the table must say why, or the provider's
    # inference must (it is registered), so a person reading the report learns the reason.
    if provider.id in builtin_inferences():
        return
    silent = sorted(name for name, kind in provider.kinds.items() if not kind.capabilities and not kind.evidence)
    assert not silent, f"{provider.id}: kinds with neither capabilities nor evidence: {silent}"
