"""`--fail-on` also takes a severity (critical, high, medium, low): every credential at or above it fails, the
way teams gate with gitleaks or SARIF levels. The incident's workspace: a tracked Railway account token
(critical) and a project token in a gitignored .env (high)."""

from __future__ import annotations

import json

import pytest
from test_incident import write_incident

from helpers import Repo, run_cli


def _failing(repo: Repo, *args: str) -> tuple[int, list[tuple[str, str, str]]]:
    result = run_cli("scan", str(repo.path), "--format", "json", *args)
    report = json.loads(result.stdout)
    failed = sorted(
        (f["path"], f["severity"], f["policy"]["reason"].split(":", 1)[0])
        for f in report["findings"]
        if f["policy"]["failed"]
    )
    return result.exit_code, failed


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [
        ("critical", [("scripts/fix_domains.sh", "critical", "--fail-on critical")]),
        ("high", [(".env", "high", "--fail-on high"), ("scripts/fix_domains.sh", "critical", "--fail-on high")]),
        ("low", [(".env", "high", "--fail-on low"), ("scripts/fix_domains.sh", "critical", "--fail-on low")]),
    ],
)
def test_a_severity_threshold_fails_that_severity_and_above(repo: Repo, threshold: str, expected: list[object]) -> None:
    write_incident(repo)
    assert _failing(repo, "--fail-on", threshold) == (1, expected)


def test_only_the_high_project_token_passes_critical(repo: Repo) -> None:
    write_incident(repo, with_account_token=False)
    assert _failing(repo, "--fail-on", "critical") == (0, [])


def test_a_repository_relaxing_the_gate_to_critical_is_named(repo: Repo) -> None:
    write_incident(repo, with_account_token=False)
    repo.write(".credscope.yaml", "fail_on: critical\n")
    result = run_cli("scan", str(repo.path))
    assert result.exit_code == 0, result.stderr
    assert "  - fail_on critical (default admin) [.credscope.yaml:1]" in result.stdout


def test_an_unknown_threshold_names_every_choice(repo: Repo) -> None:
    result = run_cli("scan", str(repo.path), "--fail-on", "severe")
    assert result.exit_code == 2
    assert "'severe' is not one of admin, write, any, none, critical, high, medium, low" in result.stderr
