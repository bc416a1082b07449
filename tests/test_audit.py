"""`credscope audit`: tree + history + home + environment in one run; each credential reported once,
with every place it can be reached from."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from test_home import Planted, build_home

from helpers import Repo, token


def _audit(repo: Path, home: Path, environ: dict[str, str], *options: str) -> dict[str, object]:
    """Run the real CLI with a controlled environment: only PATH, HOME (the fake one) and what the test plants."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "NO_COLOR": "1", **environ}
    result = subprocess.run(
        [sys.executable, "-m", "credscope", "audit", str(repo), "--format", "json", "--show-secrets", *options],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report: dict[str, object] = json.loads(result.stdout)
    return report


def test_audit_reports_each_credential_once_with_every_reach(repo: Repo, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    rows = {row.what: row for row in build_home(home)}
    in_cursor_config = rows["Cursor mcp.json, token in env"]
    in_bash_history = rows["bash history"]

    removed_railway, removed_github = token("{{uuid4}}"), token("{{github:ghp}}")
    repo.write(
        "scripts/fix_domains.sh", f"#!/bin/sh\nRAILWAY_API_TOKEN={removed_railway}\nGITHUB_TOKEN={removed_github}\n"
    )
    added = repo.commit("fix domains")
    repo.git("rm", "-q", "scripts/fix_domains.sh")
    # The GitHub token the Cursor MCP config holds was also committed, and still is.
    repo.write(".github/release.env", f"GITHUB_TOKEN={in_cursor_config.secret}\n")
    release = repo.commit("release")
    repo.write(".cursorignore", ".github/\n")
    repo.commit("keep release config from Cursor")

    environ = {"RAILWAY_API_TOKEN": in_bash_history.secret, "OLD_RAILWAY_TOKEN": removed_railway, "LANG": "C"}
    report = _audit(repo.path, home, environ, "--fail-on", "none")

    findings = report["findings"]
    assert isinstance(findings, list)
    by_fingerprint: dict[str, list[dict[str, object]]] = {}
    for finding in findings:
        by_fingerprint.setdefault(finding["fingerprint"], []).append(finding)
    secret_of = {fp: {f["secret"] for f in found} for fp, found in by_fingerprint.items()}
    assert all(len(secrets) == 1 for secrets in secret_of.values())
    places = {next(iter(secret_of[fp])): sorted(_place(f) for f in found) for fp, found in by_fingerprint.items()}
    # Each secret is one credential: no two fingerprints for one secret.
    assert len(places) == len(by_fingerprint)

    assert places.pop(removed_railway) == [
        ("env", "env:OLD_RAILWAY_TOKEN", 1, None, []),
        ("history", "scripts/fix_domains.sh", 2, added, []),
    ]
    assert places.pop(removed_github) == [("history", "scripts/fix_domains.sh", 3, added, [])]
    assert places.pop(in_cursor_config.secret) == [
        ("history", ".github/release.env", 1, release, []),
        ("home", "~/.cursor/mcp.json", in_cursor_config.line, None, []),
        ("tracked", ".github/release.env", 1, None, [".cursorignore"]),
    ]
    assert places.pop(in_bash_history.secret) == [
        ("env", "env:RAILWAY_API_TOKEN", 1, None, []),
        ("home", "~/.bash_history", in_bash_history.line, None, []),
    ]
    # Everything else is the home stores, each exactly where test_home expects it, and nothing more.
    shared = (in_cursor_config.secret, in_bash_history.secret)
    rest: dict[str, Planted] = {row.secret: row for row in rows.values() if row.secret not in shared}
    assert {secret: places[secret] for secret in rest} == {
        secret: [("home", f"~/{row.path}", row.line, None, [])] for secret, row in rest.items()
    }
    assert set(places) == set(rest)


def _place(finding: dict[str, object]) -> tuple[object, ...]:
    return (finding["reach"], finding["path"], finding["line"], finding["commit"], finding["excluded_by"])


def test_audit_without_history_or_env_reads_only_tree_and_home(repo: Repo, tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".config/gh").mkdir(parents=True)
    gh = token("{{github:gho}}")
    (home / ".config/gh/hosts.yml").write_text(f"github.com:\n    oauth_token: {gh}\n", encoding="utf-8")
    removed = token("{{github:ghp}}")
    repo.write("a.env", f"GITHUB_TOKEN={removed}\n")
    repo.commit("a")
    repo.git("rm", "-q", "a.env")
    repo.commit("rm")
    in_env = token("{{github:ghp}}")

    report = _audit(repo.path, home, {"GITHUB_TOKEN": in_env}, "--no-history", "--no-env", "--fail-on", "none")
    findings = report["findings"]
    assert isinstance(findings, list)
    assert [(f["secret"], f["reach"], f["path"]) for f in findings] == [(gh, "home", "~/.config/gh/hosts.yml")]
