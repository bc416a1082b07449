"""docs/severity.md is the code's table, and the promises it states hold for real credentials scanned whole."""

from __future__ import annotations

import json
from pathlib import Path

from credscope.model import Access, Confidence, Reach, Scope, Severity
from credscope.scope.core import severity_of
from credscope.scope.table import render

from helpers import Repo, run_cli, token

ROOT = Path(__file__).resolve().parent.parent


def test_the_document_is_generated_from_the_code() -> None:
    written = (ROOT / "docs" / "severity.md").read_text(encoding="utf-8")
    assert written == render(), "docs/severity.md is stale: python -m credscope.scope.table > docs/severity.md"


def test_an_unknown_scope_is_what_its_kind_could_do() -> None:
    may = Scope(Access.UNKNOWN, potential_actions=("aws:s3:DeleteBucket",))
    assert severity_of(may, (Reach.TRACKED,)) is Severity.HIGH
    assert severity_of(may, (Reach.HOME,)) is Severity.HIGH  # no demotion for what may destroy
    assert severity_of(may, (Reach.ENV,)) is Severity.HIGH
    assert severity_of(Scope(Access.UNKNOWN), (Reach.ENV,)) is Severity.MEDIUM


def test_a_webhook_that_can_post_is_at_least_medium_wherever_it_is() -> None:
    webhook = Scope(Access.WRITE, destructive=False)
    for reach in Reach:
        assert severity_of(webhook, (reach,)) is Severity.MEDIUM, reach


def test_a_possible_value_is_one_step_lower_and_never_info() -> None:
    assert severity_of(Scope(Access.UNKNOWN), (Reach.TRACKED,), Confidence.POSSIBLE) is Severity.LOW
    assert severity_of(Scope(Access.READ, False), (Reach.TRACKED,), Confidence.POSSIBLE) is Severity.LOW


def test_unestablished_keys_in_the_home_directory_and_environment_are_high(repo: Repo, tmp_path: Path) -> None:
    """The issue's examples: an AWS key and a GitHub PAT an agent on this machine reads were LOW."""
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    key_id, secret = token("{{aws:akia}}"), token("{{aws-secret}}")
    (home / ".aws" / "credentials").write_text(
        f"[default]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n", encoding="utf-8"
    )
    pat = token("{{github:ghp}}")
    mcp = {"mcpServers": {"github": {"command": "gh-mcp", "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": pat}}}}
    (home / ".claude.json").write_text(json.dumps(mcp), encoding="utf-8")
    result = run_cli("scan", "--home", str(home), "--format", "json")
    report: dict[str, list[dict[str, object]]] = json.loads(result.stdout)
    findings = {(f["provider"], f["kind"]): f for f in report["findings"]}
    aws = findings[("aws", "access-key")]
    github = findings[("github", "personal-access-token")]
    for finding in (aws, github):
        assert (finding["reach"], finding["access"], finding["severity"]) == ("home", "unknown", "high"), finding
        assert finding["confidence"] in ("certain", "likely")
        assert finding["policy"]["failed"] is True
    assert "aws:s3:DeleteBucket" in aws["potential_actions"]
    assert "github:delete_repo" in github["potential_actions"]
    assert result.exit_code == 1
