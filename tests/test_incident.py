"""The incident credscope exists for, end to end through the real CLI: an account-wide Railway token in a tracked
script beside a project token in a gitignored .env; and the default gate staying quiet for public keys."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema

from helpers import Repo, run_cli, token

SCOPE_FIELDS = (
    "access",
    "destructive",
    "destructive_actions",
    "scope_source",
    "evidence",
    "identity",
    "production",
    "severity",
)


def write_incident(repo: Repo, with_account_token: bool = True) -> tuple[str, str]:
    account, project = token("{{uuid4}}"), token("{{uuid4}}")
    repo.write(".gitignore", ".env\n")
    repo.write(".env", f"RAILWAY_TOKEN={project}\n")
    if with_account_token:
        repo.write(
            "scripts/fix_domains.sh",
            "#!/bin/sh\n"
            f"RAILWAY_API_TOKEN={account}\n"
            'curl -s https://backboard.railway.com/graphql/v2 -H "Authorization: Bearer $RAILWAY_API_TOKEN"\n',
        )
    repo.commit("scripts")
    return account, project


def findings(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{f['path']}:{f['line']}": f for f in report["findings"]}


def validate(report: dict[str, Any]) -> None:
    schema = json.loads(resources.files("credscope").joinpath("schemas/report.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator(schema).validate(report)


def test_account_token_in_tracked_script_is_critical_and_fails_the_default_gate(repo: Repo) -> None:
    account, project = write_incident(repo)
    result = run_cli("scan", str(repo.path), "--format", "json")
    assert result.exit_code == 1, result.stderr
    report = result.json()
    validate(report)
    by_place = findings(report)
    assert set(by_place) == {"scripts/fix_domains.sh:2", ".env:1"}

    account_finding = by_place["scripts/fix_domains.sh:2"]
    assert (account_finding["provider"], account_finding["kind"]) == ("railway", "account-token")
    assert (account_finding["reach"], account_finding["column"]) == ("tracked", 19)
    assert account_finding["access"] == "admin"
    assert account_finding["destructive"] is True
    assert account_finding["severity"] == "critical"
    assert "railway:volumeDelete" in account_finding["destructive_actions"]
    assert "railway:projectDelete" in account_finding["destructive_actions"]
    assert any("removes the volume and its backups in every environment" in e for e in account_finding["evidence"])
    assert account_finding["policy"]["failed"] is True
    assert account_finding["policy"]["reason"].startswith("--fail-on admin: access admin; can destroy: railway:")

    project_finding = by_place[".env:1"]
    assert (project_finding["provider"], project_finding["kind"]) == ("railway", "project-token")
    assert project_finding["reach"] == "ignored"
    assert project_finding["access"] == "write"
    assert project_finding["destructive"] is True
    assert "railway:volumeDelete" not in project_finding["destructive_actions"]
    assert project_finding["severity"] == "high"  # only on this machine, but an agent here reads .env
    assert project_finding["policy"] == {"failed": False, "reason": None}

    for finding in report["findings"]:
        assert all(key in finding for key in SCOPE_FIELDS)
        assert finding["scope_source"] == "inferred"
    assert report["verdict"] == {"passed": False, "fail_on": "admin", "failing": [account_finding["fingerprint"]]}
    assert account not in result.stdout and project not in result.stdout


def test_explicit_fail_on_admin_and_the_text_report(repo: Repo) -> None:
    account, project = write_incident(repo)
    result = run_cli("scan", str(repo.path), "--fail-on", "admin")
    assert result.exit_code == 1, result.stderr
    text = result.stdout
    assert text.index("CRITICAL (1)") < text.index("HIGH (1)")
    assert "  railway account-token  " in text
    assert "    access: admin  destructive: yes  (inferred)" in text
    assert "can destroy: railway:volumeDelete" in text
    assert "scripts/fix_domains.sh:2:19 [tracked]  (RAILWAY_API_TOKEN)" in text
    assert ".env:1:15 [ignored]  (RAILWAY_TOKEN)" in text
    assert "    FAILS POLICY: --fail-on admin: access admin; can destroy: railway:volumeDelete" in text
    assert "policy --fail-on admin: FAILED by 1 credential(s)" in text
    assert "  - railway account-token [" in text and "] at scripts/fix_domains.sh:2: --fail-on admin" in text
    assert account not in text and project not in text


def test_project_token_alone_passes_the_default_gate(repo: Repo) -> None:
    write_incident(repo, with_account_token=False)
    result = run_cli("scan", str(repo.path), "--fail-on", "admin", "--format", "json")
    assert result.exit_code == 0, result.stdout
    report = result.json()
    validate(report)
    (finding,) = report["findings"]
    assert (finding["path"], finding["kind"], finding["access"]) == (".env", "project-token", "write")
    assert report["verdict"] == {"passed": True, "fail_on": "admin", "failing": []}
    assert run_cli("scan", str(repo.path)).exit_code == 0
    assert run_cli("scan", str(repo.path), "--fail-on", "write").exit_code == 1


def test_public_and_test_keys_never_fail_the_default_gate(repo: Repo) -> None:
    repo.write(
        "web/config.js",
        f'export const supabaseKey = "{token("{{supabase:anon}}")}";\n'
        f'export const stripeKey = "{token("{{stripe:pk_live}}")}";\n',
    )
    repo.write("server/.env.test", f"STRIPE_SECRET_KEY={token('{{stripe:sk_test}}')}\n")
    repo.commit("keys")
    result = run_cli("scan", str(repo.path), "--format", "json")
    assert result.exit_code == 0, result.stdout
    report = result.json()
    validate(report)
    kinds = {(f["provider"], f["kind"]): f for f in report["findings"]}
    assert set(kinds) == {("supabase", "api-jwt"), ("stripe", "publishable-key-live"), ("stripe", "secret-key-test")}
    anon = kinds[("supabase", "api-jwt")]
    assert (anon["access"], anon["destructive"], anon["severity"]) == ("read", False, "low")
    test_key = kinds[("stripe", "secret-key-test")]
    assert (test_key["production"], test_key["severity"]) == (False, "low")
    # Still reported, and `--fail-on any` still fails on them.
    assert run_cli("scan", str(repo.path), "--fail-on", "any").exit_code == 1


def test_unknown_access_counts_as_admin_unless_told_otherwise(repo: Repo) -> None:
    repo.write("ci.env", f"GITHUB_TOKEN={token('{{github:ghp}}')}\n")
    repo.commit("ci")
    default = run_cli("scan", str(repo.path), "--format", "json")
    assert default.exit_code == 1
    (finding,) = default.json()["findings"]  # type: ignore[misc]
    assert finding["access"] == "unknown"
    assert finding["policy"]["reason"] == (
        "--fail-on admin: access unknown, counted as admin (--unknown-as); may be able to destroy: "
        "github:delete_repo, github:admin:org, github:administration:write and 3 more"
    )
    assert run_cli("scan", str(repo.path), "--unknown-as", "write").exit_code == 0
    assert run_cli("scan", str(repo.path), "--unknown-as", "write", "--fail-on", "write").exit_code == 1
    assert run_cli("scan", str(repo.path), "--unknown-as", "read", "--fail-on", "write").exit_code == 0
    bad = run_cli("scan", str(repo.path), "--unknown-as", "none")
    assert bad.exit_code == 2 and "--unknown-as" in bad.stderr
