"""Fix hints that help: per provider and kind, where to revoke the credential, what narrower credential to
create instead, and how to keep the new one out of an agent's reach, by where the old one can be picked up."""

from __future__ import annotations

import json
from typing import Any

from credscope.catalogue import load_catalogue

from helpers import Repo, run_cli, token


def _fixes(repo: Repo, *args: str) -> dict[str, str]:
    result = run_cli("scan", str(repo.path), "--format", "sarif", *args)
    sarif: dict[str, Any] = json.loads(result.stdout)
    fixes = {}
    for found in sarif["runs"][0]["results"]:
        if found["ruleId"].startswith("credscope"):
            continue
        path = found["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        fixes[path] = found["message"]["text"].split(". Fix: ", 1)[1]
    return fixes


def test_the_incident_token_gets_a_narrower_token_and_where_to_revoke_it(repo: Repo) -> None:
    repo.write("scripts/fix_domains.sh", f"#!/bin/sh\nRAILWAY_API_TOKEN={token('{{uuid4}}')}\n")
    repo.write(".gitignore", ".env\n")
    repo.write(".env", f"AWS_ACCESS_KEY_ID={token('{{aws:akia}}')}\nAWS_SECRET_ACCESS_KEY={token('{{aws-secret}}')}\n")
    repo.commit("init")
    fixes = _fixes(repo)
    assert fixes["scripts/fix_domains.sh"] == (
        "revoke this railway account-token (railway.com/account/tokens), remove it from scripts/fix_domains.sh and "
        "read it from the environment or a secret manager; instead, create a project token scoped to one environment "
        "(project → Settings → Tokens), or a workspace token if it must span projects (or mark the line "
        "`credscope: ignore` if it is not a real credential)."
    )
    assert fixes[".env"] == (
        "move this aws access-key out of the workspace (any agent here can read .env), or revoke this aws access-key "
        "(IAM console → Users → Security credentials: deactivate, then delete the access key); instead, create an "
        "IAM role with a named least-privilege policy, assumed for short-lived credentials (IAM Identity Center `aws "
        "sso login`, or OIDC in CI) instead of a long-term user key; give the new one to the process that needs "
        "it at run time (a secret manager, CI secrets), not in a file, or at least list the file in the "
        "agent-exclusion files (.cursorignore, .aiexclude, .geminiignore, .aiderignore, Claude Code Read deny "
        "rules), which agents honour but a shell does not."
    )


def test_a_token_in_history_is_revoked_not_just_removed(repo: Repo) -> None:
    repo.write("ci.sh", f"export GH_TOKEN={token('{{github:ghp}}')}\n")
    repo.commit("add")
    repo.write("ci.sh", "export GH_TOKEN=$GH_TOKEN\n")
    repo.commit("remove")
    fixes = _fixes(repo, "--history")
    assert fixes["ci.sh"].startswith(
        "revoke this github personal-access-token (github.com/settings/tokens): it stays in git history even after "
        "ci.sh is fixed; instead, create a fine-grained personal access token limited to the one repository"
    )


def test_every_kind_that_can_destroy_says_where_to_revoke_it() -> None:
    catalogue = load_catalogue(())
    missing = [
        f"{provider.id}/{name}"
        for provider in catalogue.providers.values()
        if provider.id != "generic"
        for name, kind in provider.kinds.items()
        if kind.breadth in ("account", "organization", "workspace")
        and any(provider.capabilities[c].destructive for c in kind.capabilities if c in provider.capabilities)
        and not kind.revoke
    ]
    assert missing == []
