"""Test helpers: throw-away git repositories, generated tokens, and running the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from credscope.model import Candidate
from credscope.testing.generate import expand

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.invalid",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def candidate_key(candidate: Candidate) -> tuple[object, ...]:
    """Everything a candidate reports, to compare what two ways of detecting found."""
    location = candidate.location
    return (
        candidate.rule,
        candidate.provider,
        candidate.kind,
        candidate.secret,
        location.path,
        location.line,
        location.column,
        tuple(sorted(location.context.items())),
        tuple(sorted(candidate.parts.items())),
    )


def token(template: str) -> str:
    """One fresh token from a generator template, e.g. token("{{github:ghp}}")."""
    return expand(template).text


def plant(repo: Repo, files: dict[str, str]) -> list[str]:
    """Write each template, expanded into fresh tokens, into `repo`; returns the generated values in order."""
    values: list[str] = []
    for path, template in files.items():
        expansion = expand(template)
        repo.write(path, expansion.text)
        values.extend(expansion.values)
    return values


@dataclass
class Repo:
    """A git repository in a temporary directory, built file by file by a test."""

    path: Path

    def git(self, *args: str) -> str:
        result = subprocess.run(
            ["git", *args],
            cwd=self.path,
            env={**os.environ, **GIT_ENV},
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout

    def write(self, relative: str, text: str | bytes) -> Path:
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text, encoding="utf-8")
        return target

    def commit(self, message: str = "commit", *paths: str) -> str:
        self.git("add", "--", *(paths or ["."]))
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD").strip()


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, object]:
        loaded: dict[str, object] = json.loads(self.stdout)
        return loaded


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> CliResult:
    """Run the real command line in a subprocess, the way a user or CI does."""
    result = subprocess.run(
        [sys.executable, "-m", "credscope", *args],
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return CliResult(result.returncode, result.stdout, result.stderr)
