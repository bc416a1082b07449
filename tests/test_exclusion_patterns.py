"""A hostile repository's agent-exclusion files cannot end a scan: a pattern that does not compile (`[z-a]`, a
lone `!`, a class RE2 rejects) in `.cursorignore`, `.aiexclude`, `.geminiignore`, `.aiderignore` or a Claude
`Read(...)` deny rule is skipped and named in a note (file and line, escaped), the file's other patterns still
apply, and the scan ends with its normal exit code. A file name that is not UTF-8 does not end it either.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from helpers import GIT_ENV, Repo, run_cli, token

_SKIPPED = "not a valid gitignore pattern; skipped (the other patterns still apply)"
# A directory whose name would clear the terminal and forge a line of a plain-text report.
_EVIL_DIRECTORY = "evil\x1b[2J\npolicy passed"


def _hostile_repository(repo: Repo, home: Path) -> dict[str, str]:
    """Exclusion files with one broken pattern each, beside working ones, and a token under each of them."""
    repo.write(".cursorignore", "# keep secrets away from Cursor\nsecrets/\n[z-a]\n*.pem\n")
    repo.write(".geminiignore", "[[:foo:]]\nconfig/\n")  # `re` takes it, RE2 does not
    repo.write(".aiderignore", "!\nscripts/deploy.sh\n")
    repo.write(".aiexclude", "[9-0]*.env\n")  # the only pattern is broken: the file covers nothing
    repo.write("deploy/.aiexclude", "[a-\\]\n*.env\n")
    repo.write(f"{_EVIL_DIRECTORY}/.aiexclude", "[z-a]\n")
    repo.write(
        ".claude/settings.json",
        json.dumps({"permissions": {"deny": ["Bash(rm:*)", "Read([z-a])", "Read(./.env)"]}}),
    )
    (home / ".claude").mkdir(parents=True)
    (home / ".claude" / "settings.json").write_text(
        json.dumps({"permissions": {"deny": ["Read(~/[z-a])", "Read(~/.netrc)"]}})
    )
    values = {
        "secrets/prod.env": token("{{github:ghp}}"),
        "config/app.env": token("{{github:ghp}}"),
        "scripts/deploy.sh": token("{{github:ghp}}"),
        "deploy/prod.env": token("{{github:ghp}}"),
        f"{_EVIL_DIRECTORY}/app.env": token("{{github:ghp}}"),
        ".env": token("{{github:ghp}}"),
        "src/settings.env": token("{{github:ghp}}"),
    }
    for path, value in values.items():
        repo.write(path, f"GITHUB_TOKEN={value}\n")
    (home / ".netrc").write_text(f"machine github.com login octo password {token('{{github:gho}}')}\n")
    repo.git("add", "-A")
    return values


def test_broken_patterns_are_named_and_the_rest_still_apply(repo: Repo, tmp_path: Path) -> None:
    home = tmp_path / "home"
    _hostile_repository(repo, home)
    result = run_cli("scan", ".", "--home", str(home), "--format", "json", cwd=repo.path)
    assert result.exit_code == 1, result.stderr
    assert result.stderr == ""
    report = result.json()
    findings = report["findings"]
    assert isinstance(findings, list)
    covered = {f"{f['reach']}:{f['path']}": f["excluded_by"] for f in findings}
    assert covered == {
        "tracked:secrets/prod.env": [".cursorignore"],
        "tracked:config/app.env": [".geminiignore"],
        "tracked:scripts/deploy.sh": [".aiderignore"],
        "tracked:deploy/prod.env": ["deploy/.aiexclude"],
        f"tracked:{_EVIL_DIRECTORY}/app.env": [],
        "tracked:.env": [".claude/settings.json"],
        "tracked:src/settings.env": [],
        "home:~/.netrc": ["~/.claude/settings.json"],
    }
    assert sorted(report["notes"]) == sorted(  # type: ignore[arg-type]
        [
            f".cursorignore line 3: {_SKIPPED}",
            f".geminiignore line 1: {_SKIPPED}",
            f".aiderignore line 1: {_SKIPPED}",
            f".aiexclude line 1: {_SKIPPED}",
            f".claude/settings.json deny rule 2: {_SKIPPED}",
            f"deploy/.aiexclude line 1: {_SKIPPED}",
            f"{_EVIL_DIRECTORY}/.aiexclude line 1: {_SKIPPED}",
            f"~/.claude/settings.json deny rule 1: {_SKIPPED}",
        ]
    )


def test_the_note_naming_a_hostile_directory_is_escaped_in_text(repo: Repo, tmp_path: Path) -> None:
    home = tmp_path / "home"
    _hostile_repository(repo, home)
    result = run_cli("scan", ".", cwd=repo.path)
    assert result.exit_code == 1, result.stderr
    assert "\x1b" not in result.stdout
    assert "\nnote: evil\\x1b[2J\\npolicy passed/.aiexclude line 1: " + _SKIPPED + "\n" in result.stdout
    assert "\npolicy passed" not in result.stdout


def test_the_pre_commit_hook_goes_on_too(repo: Repo, tmp_path: Path) -> None:
    _hostile_repository(repo, tmp_path / "home")
    result = run_cli("hook", "secrets/prod.env", "src/settings.env", cwd=repo.path, env=GIT_ENV)
    assert result.exit_code == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr + result.stdout
    assert "secrets/prod.env:1" in result.stdout
    assert "src/settings.env:1" in result.stdout


def test_a_file_name_that_is_not_utf8_is_matched_and_reported(repo: Repo) -> None:
    """RE2 refuses the surrogate escapes such a name decodes to; the scan must not end on it."""
    repo.write(".cursorignore", "*-prod.env\n")
    name = os.fsdecode(b"\xff-prod.env")
    repo.write(name, f"GITHUB_TOKEN={token('{{github:ghp}}')}\n")
    result = run_cli("scan", ".", "--format", "json", cwd=repo.path)
    assert result.exit_code == 1, result.stderr
    findings = result.json()["findings"]
    assert isinstance(findings, list)
    assert [(f["path"], f["excluded_by"]) for f in findings] == [(name, [".cursorignore"])]
    assert result.json()["notes"] == []


def test_claude_settings_of_any_shape_do_not_end_the_scan(repo: Repo, tmp_path: Path) -> None:
    """`permissions` that is not an object, or JSON nested deep enough to exhaust the parser's stack: no rules."""
    home = tmp_path / "home"
    (home / ".claude").mkdir(parents=True)
    (home / ".claude" / "settings.json").write_text('{"permissions": "Read(~/.netrc)"}')
    (home / ".netrc").write_text(f"machine github.com login octo password {token('{{github:gho}}')}\n")
    repo.write(".claude/settings.json", json.dumps({"permissions": ["Read(./.env)"]}))
    repo.write(".claude/settings.local.json", "[" * 100_000 + "]" * 100_000)
    repo.write(".env", f"GITHUB_TOKEN={token('{{github:ghp}}')}\n")
    result = run_cli("scan", ".", "--home", str(home), "--format", "json", cwd=repo.path)
    assert result.exit_code == 1, result.stderr
    findings = result.json()["findings"]
    assert isinstance(findings, list)
    assert sorted((f["path"], f["excluded_by"]) for f in findings) == [(".env", []), ("~/.netrc", [])]
    assert result.json()["notes"] == []
