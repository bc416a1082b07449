"""Where a provider keeps a credential's permissions to itself (Stripe restricted keys, OpenAI project keys,
fine-grained GitHub tokens and installation tokens, DigitalOcean scopes), the live verdict says exactly
"unknown: the provider does not reveal this without a write", and the credential is ranked by the worst its kind
can do (the catalogue's potential actions), never as harmless."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from servers.documented import StartServer, probe
from servers.openapi import Answer

from credscope.catalogue import builtin_provider_dir, load_provider
from credscope.model import Access, Severity
from credscope.probes.base import NOT_REVEALED
from credscope.scope.core import potential_actions

from helpers import token

pytest.importorskip("httpx")


@dataclass(frozen=True)
class Case:
    provider: str
    kind: str
    template: str
    routes: dict[str, Answer]
    what: str
    headers: dict[str, str] | None = None


_USER: dict[str, Any] = {"login": "octo", "id": 1}
CASES = [
    Case(
        "stripe",
        "restricted-key-live",
        "{{stripe:rk_live}}",
        {"/v1/account": Answer(200, {"id": "acct_1", "email": "pay@example.invalid"})},
        "a restricted key's permissions: none, read or write on each resource, deletes included",
    ),
    Case(
        "stripe",
        "restricted-key-live",
        "{{stripe:rk_live}}",
        {"/v1/account": Answer(403, {"error": {"message": "The provided key does not have the required permissions"}})},
        "a restricted key's permissions: none, read or write on each resource, deletes included",
    ),
    Case(
        "openai",
        "project-key",
        "{{openai:proj}}",
        {"/v1/models": Answer(200, {"object": "list", "data": []})},
        "its permission setting (All, Restricted, Read only): whether it may write or delete files, assistants, vector"
        " stores",
    ),
    Case(
        "github",
        "fine-grained-token",
        "{{github:fine}}",
        {"/user": Answer(200, _USER)},
        "a fine-grained token's repository and organization permissions",
    ),
    Case(
        "github",
        "installation-token",
        "{{github:ghs}}",
        {"/installation/repositories": Answer(200, {"total_count": 1, "repositories": [{"full_name": "r/api"}]})},
        "an installation token's permissions",
    ),
    Case(
        "digitalocean",
        "personal-access-token",
        "{{digitalocean:dop}}",
        {"/v2/account": Answer(200, {"account": {"email": "ops@example.invalid", "status": "active"}})},
        "whether it may delete what it reads: a read-only token lists the same, and no call reports a token's scopes",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.provider}-{c.kind}-{i}" for i, c in enumerate(CASES)])
def test_unrevealed_permissions_are_unknown_and_ranked_by_the_worst_case(case: Case, fake_server: StartServer) -> None:
    secret = token(case.template)
    provider = load_provider(builtin_provider_dir() / f"{case.provider}.yaml")
    assert case.kind in provider.kinds
    # Listings the case does not script answer 404 (the probe may not read them): that changes nothing here.
    probed = probe(fake_server, case.provider, case.kind, secret, case.routes, described_by=None)
    scope = probed.scope
    assert scope.evidence[-1] == f"{NOT_REVEALED} ({case.what})"
    assert (scope.access, scope.destructive) == (Access.UNKNOWN, None)
    worst = potential_actions(provider, case.kind)
    assert worst
    assert scope.potential_actions == worst
    assert probed.credential.severity is Severity.HIGH
