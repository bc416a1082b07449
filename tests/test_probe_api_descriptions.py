"""Every REST request a probe can send exists in its provider's own API description (fetched, not committed: see
tests/descriptions.py; skipped, naming the file, where it is not here).

A probe sends only what its provider's YAML declares as reads (the guard refuses the rest before sending), so the
declared reads are the requests a probe can send: each must be a GET the description documents. The fields each
probe reads from the answers are checked against the same descriptions by tests/test_probe_verdicts.py, whose
fakes answer from them.
"""

from __future__ import annotations

import json
import re

import pytest
from descriptions import require
from servers.openapi import DATA, description

from credscope.catalogue import builtin_provider_dir, load_provider

# The descriptions the probes were checked against; they are fetched, not committed (tests/descriptions.py).
DESCRIBED = ["cloudflare", "datadog", "digitalocean", "github", "neon", "netlify", "openai", "twilio", "vercel"]


@pytest.mark.parametrize("name", DESCRIBED)
def test_descriptions_say_where_they_come_from(name: str) -> None:
    source = json.loads(require(DATA / f"{name}.openapi.json").read_text())["x-credscope-source"]
    assert {"repository", "path", "date"} <= set(source), name
    assert "commit" in source or "via" in source, name


@pytest.mark.parametrize("provider", DESCRIBED)
def test_every_declared_read_is_a_documented_operation(provider: str) -> None:
    spec = description(provider)
    reads = load_provider(builtin_provider_dir() / f"{provider}.yaml").reads
    assert reads
    for read in reads:
        method, path = read.split()[:2]
        assert method == "GET", read
        # A path parameter is one segment: send a sample value, as a probe would.
        concrete = re.sub(r"\{[^/]+\}", "sample", path)
        operation = spec.operation(method, concrete)
        assert operation is not None, f"{provider}: {read} is not in its API description"
        assert "200" in operation.spec.get("responses", {}), read


def test_declared_reads_map_to_the_expected_operations() -> None:
    """The mapping, written out: a changed YAML or description shows here first."""
    mapped = {
        provider: sorted(
            f"{read} → {description(provider).operation('GET', re.sub(r'{[^/]+}', 'sample', read.split()[1])).template}"  # type: ignore[union-attr]
            for read in load_provider(builtin_provider_dir() / f"{provider}.yaml").reads
        )
        for provider in DESCRIBED
    }
    assert mapped == {
        "cloudflare": [
            "GET /client/v4/accounts → /accounts",
            "GET /client/v4/accounts/{account_id}/tokens/verify → /accounts/{account_id}/tokens/verify",
            "GET /client/v4/accounts/{account_id}/tokens/{id} → /accounts/{account_id}/tokens/{token_id}",
            "GET /client/v4/user/tokens/verify → /user/tokens/verify",
            "GET /client/v4/user/tokens/{id} → /user/tokens/{token_id}",
        ],
        "datadog": [
            "GET /api/v1/validate → /api/v1/validate",
            "GET /api/v2/current_user/application_keys → /api/v2/current_user/application_keys",
            "GET /api/v2/users/{user_id}/permissions → /api/v2/users/{user_id}/permissions",
        ],
        "digitalocean": [
            "GET /v2/account → /v2/account",
            "GET /v2/databases → /v2/databases",
            "GET /v2/droplets → /v2/droplets",
            "GET /v2/projects → /v2/projects",
            "GET /v2/volumes → /v2/volumes",
        ],
        "github": [
            "GET /installation/repositories → /installation/repositories",
            "GET /user → /user",
            "GET /user/installations → /user/installations",
        ],
        "neon": [
            "GET /api/v2/auth → /auth",
            "GET /api/v2/organizations/{org_id}/members → /organizations/{org_id}/members",
            "GET /api/v2/projects → /projects",
            "GET /api/v2/users/me → /users/me",
            "GET /api/v2/users/me/organizations → /users/me/organizations",
        ],
        "netlify": [
            "GET /api/v1/accounts → /accounts",
            "GET /api/v1/sites → /sites",
            "GET /api/v1/user → /user",
        ],
        "openai": ["GET /v1/models → /models", "GET /v1/organization/projects → /organization/projects"],
        "twilio": [
            "GET /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json → "
            "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json",
            "GET /2010-04-01/Accounts/{AccountSid}/Keys.json → /2010-04-01/Accounts/{AccountSid}/Keys.json",
        ],
        "vercel": [
            "GET /v2/teams → /v2/teams",
            "GET /v2/user → /v2/user",
            "GET /v5/user/tokens/current → /v5/user/tokens/{tokenId}",
        ],
    }
