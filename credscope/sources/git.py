"""Asks git, once per scan, which files of a tree are tracked, untracked or ignored."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from credscope.model import Reach

# Scanned repositories are untrusted: never let their config run programs or refuse to answer.
SAFE_GIT = ("git", "-c", "core.fsmonitor=false", "-c", "safe.directory=*", "-c", "core.quotepath=off")


def safe_git_command() -> tuple[str, ...]:
    """The git command line prefix for untrusted repositories (for callers that stream with Popen)."""
    return SAFE_GIT


def git_environment() -> dict[str, str]:
    """The environment git runs in: no prompts, no optional locks, stable messages."""
    return {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}


def run_git(args: list[str], cwd: Path, timeout: float = 120.0) -> subprocess.CompletedProcess[bytes] | None:
    """Run git; None when git is missing, the directory is not a repository, or git fails."""
    env = git_environment()
    try:
        result = subprocess.run([*SAFE_GIT, *args], cwd=cwd, capture_output=True, timeout=timeout, env=env, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result if result.returncode == 0 else None


@dataclass(frozen=True)
class GitStatus:
    """Classifies paths of one repository's work tree."""

    toplevel: Path
    untracked: frozenset[str]
    ignored_files: frozenset[str]
    ignored_dirs: tuple[str, ...]  # with trailing "/"

    def reach_of(self, absolute: Path) -> Reach:
        try:
            relative = absolute.relative_to(self.toplevel).as_posix()
        except ValueError:
            return Reach.FILE
        return self.reach_of_relative(relative)

    def reach_of_relative(self, relative: str) -> Reach:
        """The reach of a path given relative to the top level, with `/` separators."""
        if relative in self.untracked:
            return Reach.UNTRACKED
        if relative in self.ignored_files or any(relative.startswith(d) for d in self.ignored_dirs):
            return Reach.IGNORED
        return Reach.TRACKED


def git_status(directory: Path) -> GitStatus | None:
    """None when `directory` is not inside a git work tree (or git is unavailable)."""
    top = run_git(["rev-parse", "--show-toplevel"], directory)
    if top is None:
        return None
    toplevel = Path(os.fsdecode(top.stdout.strip())).resolve()
    status = run_git(
        ["status", "--porcelain=v1", "-z", "--ignored=matching", "--untracked-files=all", "--no-renames"],
        toplevel,
    )
    if status is None:
        return None
    untracked: set[str] = set()
    ignored_files: set[str] = set()
    ignored_dirs: list[str] = []
    for entry in status.stdout.split(b"\0"):
        if len(entry) < 4:
            continue
        code, path = entry[:2], os.fsdecode(entry[3:])
        if code == b"??":
            untracked.add(path)
        elif code == b"!!":
            if path.endswith("/"):
                ignored_dirs.append(path)
            else:
                ignored_files.add(path)
    return GitStatus(toplevel, frozenset(untracked), frozenset(ignored_files), tuple(ignored_dirs))
