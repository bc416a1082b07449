"""Agent-exclusion files name the findings they cover, and those findings stay reported: the files keep
a path out of an agent's context, not out of its shell."""

from __future__ import annotations

import json
from pathlib import Path

from credscope.sources.exclusions import claude_read_denials

from helpers import Repo, run_cli, token


def _by_path(path: Path, *options: str) -> dict[str, list[str]]:
    result = run_cli("scan", str(path), "--format", "json", "--fail-on", "none", *options)
    assert result.exit_code == 0, result.stderr
    findings = result.json()["findings"]
    assert isinstance(findings, list)
    return {f"{f['reach']}:{f['path']}:{f['line']}": f["excluded_by"] for f in findings}


def test_each_exclusion_file_names_what_it_covers(repo: Repo) -> None:
    repo.write(".cursorignore", "# keep secrets from Cursor\n.env\n")
    repo.write(".aiexclude", "*.key.txt\n")
    repo.write(".geminiignore", "config/prod/\n")
    repo.write(".aiderignore", "/scripts/deploy.sh\n")
    repo.write("nested/.aiexclude", "local.env\n")
    repo.write(
        ".claude/settings.json",
        json.dumps({"permissions": {"deny": ["Read(./secrets/**)", "Bash(curl:*)", "Read(//etc/passwd)"]}}),
    )
    repo.write(".env", f"GITHUB_TOKEN={token('{{github:ghp}}')}\n")
    repo.write("api.key.txt", f"token: {token('{{github:ghp}}')}\n")
    repo.write("config/prod/app.env", f"GH_TOKEN={token('{{github:ghs}}')}\n")
    repo.write("scripts/deploy.sh", f"export RAILWAY_API_TOKEN={token('{{uuid4}}')}\n")
    repo.write("nested/local.env", f"GITHUB_TOKEN={token('{{github:ghp}}')}\n")
    repo.write("secrets/prod/db.txt", f"DATABASE_URL={token('{{postgres}}')}\n")
    repo.write("src/settings.py", f'TOKEN = "{token("{{github:ghp}}")}"\n')
    repo.commit("all", ".")

    assert _by_path(repo.path) == {
        "tracked:.env:1": [".cursorignore"],
        "tracked:api.key.txt:1": [".aiexclude"],
        "tracked:config/prod/app.env:1": [".geminiignore"],
        "tracked:scripts/deploy.sh:1": [".aiderignore"],
        "tracked:nested/local.env:1": ["nested/.aiexclude"],
        "tracked:secrets/prod/db.txt:1": [".claude/settings.json"],
        "tracked:src/settings.py:1": [],
    }


def test_several_files_can_cover_one_finding_and_history_is_not_covered(repo: Repo) -> None:
    secret = token("{{github:ghp}}")
    repo.write(".cursorignore", ".env\n")
    repo.write(".aiexclude", ".env\n")
    repo.write(".env", f"GITHUB_TOKEN={secret}\n")
    repo.commit("env", ".")
    # History is read with git, which no exclusion file governs.
    assert _by_path(repo.path, "--history") == {
        "tracked:.env:1": [".cursorignore", ".aiexclude"],
        "history:.env:1": [],
    }


def test_home_claude_deny_rules_cover_home_stores(tmp_path: Path) -> None:
    home, empty = tmp_path / "home", tmp_path / "empty"
    (home / ".claude").mkdir(parents=True)
    empty.mkdir()
    (home / ".claude/settings.json").write_text(
        json.dumps({"permissions": {"deny": ["Read(~/.config/gh/**)", "Read(./.env)"]}}), encoding="utf-8"
    )
    (home / ".config/gh").mkdir(parents=True)
    (home / ".config/gh/hosts.yml").write_text(
        f"github.com:\n    oauth_token: {token('{{github:gho}}')}\n    user: octocat\n", encoding="utf-8"
    )
    (home / ".bash_history").write_text(f"export GITHUB_TOKEN={token('{{github:ghp}}')}\n", encoding="utf-8")
    assert _by_path(empty, "--home", str(home)) == {
        "home:~/.config/gh/hosts.yml:2": ["~/.claude/settings.json"],
        "home:~/.bash_history:1": [],
    }


def test_claude_read_rules_become_gitignore_patterns() -> None:
    settings = json.dumps(
        {
            "permissions": {
                "deny": ["Read(./.env)", "Read(secrets/**)", "Read(/build/out)", "Read(~/.aws/**)", "Edit(x)", 3],
                "allow": ["Read(./public/**)"],
            }
        }
    )
    assert claude_read_denials(settings, home_relative=False) == ["/.env", "secrets/**", "/build/out"]
    assert claude_read_denials(settings, home_relative=True) == ["/.aws/**"]
    assert claude_read_denials("{not json", home_relative=False) == []
    assert claude_read_denials('{"permissions": {"deny": "Read(x)"}}', home_relative=False) == []
