"""The pre-commit hook, through the real pre-commit framework and a real `git commit`, and on its own.

pre-commit installs the hook from a temporary git repository holding this checkout's files (committed
or not), into PRE_COMMIT_HOME under tmp; building that environment needs the package index.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from credscope.model import fingerprint_of, redact

from helpers import GIT_ENV, Repo, run_cli, token

CHECKOUT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def hook_source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A git repository with this checkout's current files, as pre-commit's `repo:`; and its commit."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=CHECKOUT,
        capture_output=True,
        check=True,
    ).stdout
    target = tmp_path_factory.mktemp("credscope-hook-source")
    for name in filter(None, listed.decode().split("\0")):
        source = CHECKOUT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    source_repo = Repo(target)
    source_repo.git("init", "-q", "-b", "main")
    sha = source_repo.commit("credscope under test")
    return target, sha


def _commit(repo: Repo, env: dict[str, str], message: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "commit", "-m", message],
        cwd=repo.path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def _head(repo: Repo) -> str:
    return repo.git("rev-parse", "HEAD").strip()


@pytest.mark.slow
def test_real_commit_is_blocked_then_allowed(repo: Repo, hook_source: tuple[Path, str], tmp_path: Path) -> None:
    source, sha = hook_source
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "NO_COLOR": "1"}
    env.pop("CI", None)  # pre-commit's own CI behaviour is not under test
    repo.write(
        ".pre-commit-config.yaml", f"repos:\n  - repo: {source}\n    rev: {sha}\n    hooks:\n      - id: credscope\n"
    )
    repo.write("README.md", "project\n")
    repo.commit("initial", ".pre-commit-config.yaml", "README.md")
    installed = subprocess.run(
        [sys.executable, "-m", "pre_commit", "install"],
        cwd=repo.path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    start = _head(repo)

    # A commit adding a GitHub token is blocked; the output names it, redacted, with a fix.
    secret = token("{{github:ghp}}")
    repo.write("app.py", f'import os\nGITHUB_TOKEN = "{secret}"\n')
    repo.git("add", "app.py")
    blocked = _commit(repo, env, "add app")
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode == 1, output
    assert _head(repo) == start
    assert (
        f"credscope: HIGH github personal-access-token {redact(secret)} [{fingerprint_of(secret)[:12]}] at app.py:2"
        in output
    )
    fix = "  fix: revoke this github personal-access-token (github.com/settings/tokens), remove it from app.py"
    assert fix in output
    assert "credscope: commit blocked: 1 credential(s) in the staged changes (--fail-on any)" in output
    assert secret not in output

    # Marked as a deliberate fixture with an inline ignore, the same commit goes through.
    repo.write("app.py", f'import os\nGITHUB_TOKEN = "{secret}"  # credscope: ignore\n')
    repo.git("add", "app.py")
    allowed = _commit(repo, env, "add app with an accepted fixture")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert _head(repo) != start
    assert "credscope: ignore" in repo.git("show", "HEAD:app.py")

    # The marker covers its own line only: a live key added on the line below it still blocks the commit.
    live = token("{{stripe:sk_live}}")
    repo.write("app.py", f'import os\nGITHUB_TOKEN = "{secret}"  # credscope: ignore\nSTRIPE_KEY = "{live}"\n')
    repo.git("add", "app.py")
    below = _commit(repo, env, "add a live key below the accepted fixture")
    assert below.returncode == 1, below.stdout + below.stderr
    assert "at app.py:3" in below.stdout + below.stderr
    repo.write("app.py", f'import os\nGITHUB_TOKEN = "{secret}"  # credscope: ignore\n')
    repo.git("add", "app.py")

    # Another token is blocked again; removing it and re-staging lets the commit through.
    second = token("{{github:ghp}}")
    repo.write("deploy.sh", f"#!/bin/sh\nexport GH_TOKEN={second}\n")
    repo.git("add", "deploy.sh")
    before = _head(repo)
    again = _commit(repo, env, "add deploy")
    assert again.returncode == 1, again.stdout + again.stderr
    assert "at deploy.sh:2" in again.stdout + again.stderr
    assert _head(repo) == before
    repo.write("deploy.sh", '#!/bin/sh\nexport GH_TOKEN="$(gh auth token)"\n')
    repo.git("add", "deploy.sh")
    fixed = _commit(repo, env, "add deploy, token from gh")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert _head(repo) != before

    # Unstaged edits are not part of the commit and do not block it.
    repo.write("notes.txt", "clean\n")
    repo.git("add", "notes.txt")
    repo.write("notes.txt", f"clean\ntoken {token('{{github:ghp}}')}\n")
    unstaged = _commit(repo, env, "notes")
    assert unstaged.returncode == 0, unstaged.stdout + unstaged.stderr
    assert repo.git("show", "HEAD:notes.txt") == "clean\n"


def test_hook_reads_the_index_not_the_working_tree(repo: Repo) -> None:
    repo.write("README.md", "x\n")
    repo.commit("initial")
    secret = token("{{github:ghp}}")
    repo.write("app.py", f'TOKEN = "{secret}"\n')
    repo.git("add", "app.py")
    repo.write("app.py", "TOKEN = None\n")  # fixed on disk, not re-staged: still blocks
    blocked = run_cli("hook", cwd=repo.path, env=GIT_ENV)
    assert blocked.exit_code == 1
    assert f"[{fingerprint_of(secret)[:12]}] at app.py:1\n" in blocked.stdout
    repo.git("add", "app.py")
    assert run_cli("hook", "app.py", cwd=repo.path, env=GIT_ENV) == run_cli("hook", cwd=repo.path, env=GIT_ENV)
    passed = run_cli("hook", cwd=repo.path, env=GIT_ENV)
    assert (passed.exit_code, passed.stdout) == (0, "")


def test_hook_scans_only_staged_files(repo: Repo) -> None:
    # A token already committed, one in an untracked file, one in a gitignored file: none is staged.
    repo.write("old.py", f'T = "{token("{{github:ghp}}")}"\n')
    repo.write(".gitignore", ".env\n")
    repo.commit("old", "old.py", ".gitignore")
    repo.write("untracked.py", f'T = "{token("{{github:ghp}}")}"\n')
    repo.write(".env", f"GH_TOKEN={token('{{github:ghp}}')}\n")
    repo.write("clean.py", "print('hello')\n")
    repo.git("add", "clean.py")
    result = run_cli("hook", cwd=repo.path, env=GIT_ENV)
    assert (result.exit_code, result.stdout) == (0, ""), result.stderr
    # pre-commit run --all-files passes every tracked file: their index versions are scanned.
    every = run_cli("hook", "old.py", "clean.py", cwd=repo.path, env=GIT_ENV)
    assert every.exit_code == 1
    assert "at old.py:1\n" in every.stdout and "untracked.py" not in every.stdout


def test_hook_threshold_and_baseline_from_config(repo: Repo) -> None:
    repo.write("README.md", "x\n")
    repo.commit("initial")
    secret = token("{{github:ghp}}")
    repo.write("app.py", f'TOKEN = "{secret}"\n')
    repo.git("add", "app.py")
    # A classic token's scopes are unknown offline; with unknown counted as read, `write` lets it pass.
    repo.write(".credscope.yaml", "fail_on: any\nunknown_as: read\nhook: {fail_on: write}\n")
    lenient = run_cli("hook", cwd=repo.path, env=GIT_ENV)
    assert lenient.exit_code == 0
    assert f"[{fingerprint_of(secret)[:12]}] at app.py:1 (passes the hook's threshold)\n" in lenient.stdout
    repo.write(".credscope.yaml", "hook: {fail_on: any}\n")
    assert run_cli("hook", cwd=repo.path, env=GIT_ENV).exit_code == 1
    # A baseline at the repository root is used by the hook without being asked, and the hook says so.
    assert run_cli("baseline", "create", cwd=repo.path).exit_code == 0
    known = run_cli("hook", cwd=repo.path, env=GIT_ENV)
    assert (known.exit_code, known.stdout) == (
        0,
        "credscope: 1 suppression(s) in effect:\n"
        "  - baseline .credscope-baseline.json (1 entries): 1 credential(s) not reported [default file]\n",
    )


def test_hook_outside_a_repository(tmp_path: Path) -> None:
    result = run_cli("hook", cwd=tmp_path, env={**GIT_ENV, "GIT_CEILING_DIRECTORIES": str(tmp_path.parent)})
    assert result.exit_code == 2
    assert result.stderr.startswith("credscope: git rev-parse: fatal: not a git repository")


@pytest.mark.slow
def test_try_repo_against_the_checkout_blocks_a_token_and_passes_a_clean_tree(repo: Repo, tmp_path: Path) -> None:
    """docs/pre-commit.md's first step, as written: `pre-commit try-repo <this checkout> credscope`."""
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "NO_COLOR": "1"}
    env.pop("CI", None)
    repo.write("README.md", "project\n")
    repo.commit("initial", "README.md")

    def try_repo() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", "try-repo", str(CHECKOUT), "credscope", "--all-files"],
            cwd=repo.path,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )

    clean = try_repo()
    assert clean.returncode == 0, clean.stdout[-3000:] + clean.stderr[-3000:]
    secret = token("{{github:ghp}}")
    repo.write("deploy.sh", f"export GH_TOKEN={secret}\n")
    repo.git("add", "deploy.sh")
    blocked = try_repo()
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode == 1, output[-3000:]
    assert f"github personal-access-token {redact(secret)} [{fingerprint_of(secret)[:12]}] at deploy.sh:1" in output
    assert secret not in output
