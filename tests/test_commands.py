"""`credscope providers list` and `credscope explain`: read from the catalogue, the secret never shown."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from credscope.catalogue import load_catalogue
from credscope.model import fingerprint_of, redact
from credscope.scope.registry import builtin_inferences

from helpers import Repo, run_cli, token

ACME = """\
id: acme
name: Acme Cloud
docs: https://acme.invalid/docs/tokens
probe: acme
hosts: [api.acme.invalid]
kinds:
  org-key:
    description: an organisation key
    breadth: organization
    capabilities: [list-servers, delete-server]
    evidence: an Acme org key holds every server of the organisation
capabilities:
  - {id: list-servers, level: read, doc: https://acme.invalid/docs/list}
  - {id: delete-server, level: admin, destructive: true, doc: https://acme.invalid/docs/delete}
rules:
  - id: acme-org-key
    kind: org-key
    description: Acme organisation keys start with acmeorg_.
    pattern: '(?P<secret>acmeorg_[a-f0-9]{32})'
    keywords: [acmeorg_]
"""
BARE = """\
id: bare
name: Bare
rules:
  - id: bare-token
    kind: token
    pattern: '(?P<secret>bare_[a-f0-9]{32})'
    keywords: [bare_]
"""


@pytest.fixture
def extra(repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    repo.write("providers-extra/acme.yaml", ACME)
    repo.write("providers-extra/bare.yaml", BARE)
    # Acme names hosts and a probe: only the user's own configuration may add such a provider, not the repository's.
    user = tmp_path / "user-config.yaml"
    user.write_text(f"provider_dirs: ['{repo.path / 'providers-extra'}']\nproviders:\n  railway: {{enabled: false}}\n")
    monkeypatch.setenv("CREDSCOPE_CONFIG", str(user))
    return repo


def test_providers_list_text(extra: Repo) -> None:
    result = run_cli("providers", "list", cwd=extra.path)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    width = max(len(p) for p in load_catalogue().providers) + 2
    assert lines[0].split() == ["provider", "offline", "probe", "kinds"]
    assert f"{'acme':<{width - 2}}  yes      yes    org-key" in lines
    assert f"{'bare':<{width - 2}}  no       no     token" in lines
    assert not any(line.startswith("railway ") for line in lines)  # disabled by the configuration


def test_providers_list_json_matches_the_catalogue(extra: Repo) -> None:
    result = run_cli("providers", "list", "--json", cwd=extra.path)
    assert result.exit_code == 0, result.stderr
    listed = {row["id"]: row for row in json.loads(result.stdout)}
    catalogue = load_catalogue([extra.path / "providers-extra"])
    inferred = builtin_inferences()
    assert set(listed) == set(catalogue.providers) - {"railway"}
    for provider_id, row in listed.items():
        provider = catalogue.providers[provider_id]
        assert row["probe"] is (provider.probe is not None), provider_id
        offline = provider_id in inferred or any(k.capabilities for k in provider.kinds.values())
        assert row["offline"] is offline, provider_id
        assert set(row["kinds"]) >= {rule.kind for rule in provider.rules if not rule.companion}, provider_id
        assert row["rules"] == len(provider.rules)
    assert listed["acme"] == {
        "id": "acme",
        "name": "Acme Cloud",
        "kinds": ["org-key"],
        "offline": True,
        "probe": True,
        "rules": 1,
        "source": str(extra.path / "providers-extra" / "acme.yaml"),
    }
    assert (listed["github"]["offline"], listed["github"]["probe"]) == (
        True,
        catalogue.providers["github"].probe is not None,
    )


def test_explain_shows_everything_but_the_secret(extra: Repo) -> None:
    key = "acmeorg_" + secrets.token_hex(16)
    github = token("{{github:ghp}}")
    extra.write("ops/cleanup.sh", f"#!/bin/sh\nexport ACME_KEY={key}\n")
    extra.write("app.env", f"ACME_KEY={key}\nGITHUB_TOKEN={github}\n")
    extra.commit("init", "ops/cleanup.sh")
    fingerprint = fingerprint_of(key)
    result = run_cli("explain", fingerprint[:8], cwd=extra.path)
    assert result.exit_code == 0, result.stderr
    assert key not in result.stdout and key[8:] not in result.stdout
    assert result.stdout.splitlines() == [
        f"acme org-key  {redact(key)}",
        f"  fingerprint:  {fingerprint}",
        "  severity:     critical",
        "  access:       admin (inferred)",
        "  destructive:  yes",
        "  can:          acme:delete-server",
        "  confidence:   likely (acme org-key format, no checksum to check)",
        "  rule:         acme-org-key",
        "                Acme organisation keys start with acmeorg_.",
        "  evidence:",
        "    - an Acme org key holds every server of the organisation",
        f"  provider:     Acme Cloud ({extra.path / 'providers-extra' / 'acme.yaml'})",
        "  docs:         https://acme.invalid/docs/tokens",
        "  live probe:   yes, with --verify",
        "  org-key (organization) can, according to the catalogue:",
        "    - list-servers [read]  https://acme.invalid/docs/list",
        "    - delete-server [destructive]  https://acme.invalid/docs/delete",
        "  found in 2 place(s):",
        "    ops/cleanup.sh:2:17 [tracked]",
        "      name: ACME_KEY",
        "    app.env:1:10 [untracked]",
        "      name: ACME_KEY",
        "  policy:       FAILS: --fail-on admin: access admin; can destroy: acme:delete-server",
        "  fix:          revoke this acme org-key, remove it from ops/cleanup.sh and read it from the environment or a "
        "secret manager (or mark the line `credscope: ignore` if it is not a real credential)",
    ]


def test_explain_reports_baseline_status_and_rejects_bad_prefixes(extra: Repo) -> None:
    key = "acmeorg_" + secrets.token_hex(16)
    extra.write("ops/cleanup.sh", f"ACME_KEY={key}\n")
    fingerprint = fingerprint_of(key)
    assert run_cli("baseline", "create", cwd=extra.path).exit_code == 0
    accepted = run_cli("baseline", "audit", "--accept", fingerprint[:10], "--reason", "staging only", cwd=extra.path)
    assert accepted.exit_code == 0, accepted.stderr
    result = run_cli("explain", fingerprint, ".", cwd=extra.path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "  baseline:     in .credscope-baseline.json, accepted: staging only"
    missing = run_cli("explain", "0000000000", cwd=extra.path)
    assert (missing.exit_code, missing.stderr) == (
        2,
        "credscope: no credential with fingerprint 0000000000… under . "
        "(looked in the files; --history, --home and --env look further)\n",
    )
    short = run_cli("explain", "ab1", cwd=extra.path)
    assert (short.exit_code, short.stderr) == (2, "credscope: 'ab1': give at least 6 hex digits of a fingerprint\n")
