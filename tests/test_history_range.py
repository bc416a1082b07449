"""Commit ranges for pull-request CI: `--since BASE` (BASE..HEAD) and `--since BASE..HEAD` read only the history the
range adds, on a full repository and on real shallow clones (`git clone --depth`), the way CI checks out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers import GIT_ENV, Repo, run_cli, token


@dataclass(frozen=True)
class PullRequest:
    repo: Repo
    base: str  # main's commit, holding an old secret the pull request did not add
    added: str  # the pull request's first commit: adds a secret
    head: str  # its second: removes that secret, adds another
    old: str
    removed: str
    new: str


@pytest.fixture
def pull_request(repo: Repo) -> PullRequest:
    old, removed, new = token("{{github:ghp}}"), token("{{github:ghp}}"), token("{{github:ghp}}")
    repo.write("old.env", f"GITHUB_TOKEN={old}\n")
    repo.write("README.md", "app\n")
    base = repo.commit("main: an old secret")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("deploy.sh", f"#!/bin/sh\nexport GH_TOKEN={removed}\n")
    added = repo.commit("pr: a deploy script")
    repo.git("rm", "-q", "deploy.sh")
    repo.write("app.py", f"TOKEN = '{new}'\n")
    head = repo.commit("pr: drop the script, add the app")
    return PullRequest(repo, base, added, head, old, removed, new)


def _history(path: Path, *args: str) -> tuple[list[tuple[str, str, str | None]], list[tuple[str, str, str]]]:
    """History findings as (secret, path, commit), and the skips the scan reported."""
    result = run_cli("scan", str(path), "--format", "json", "--show-secrets", "--fail-on", "none", *args)
    assert result.exit_code == 0, result.stderr
    report = result.json()
    found = sorted(
        (f["secret"], f["path"], f["commit"])
        for f in report["findings"]  # type: ignore[union-attr]
        if f["reach"] == "history"
    )
    skipped = [(s["path"], s["reason"], s["detail"]) for s in report["stats"]["skipped"]]  # type: ignore[index]
    return found, skipped


def _clone(source: Path, target: Path, *args: str) -> Repo:
    """A real clone over the file:// transport (a plain path ignores --depth)."""
    env = {**os.environ, **GIT_ENV}
    subprocess.run(
        ["git", "clone", "-q", *args, f"file://{source}", str(target)], check=True, env=env, capture_output=True
    )
    return Repo(target)


def test_since_a_base_reads_only_what_the_range_adds(pull_request: PullRequest) -> None:
    pr = pull_request
    expected = sorted([(pr.new, "app.py", pr.head), (pr.removed, "deploy.sh", pr.added)])
    assert _history(pr.repo.path, "--since", "main") == (expected, [])
    assert _history(pr.repo.path, "--since", "main..HEAD") == (expected, [])
    assert _history(pr.repo.path, "--since", f"{pr.base}..{pr.head}") == (expected, [])
    # A range ending before HEAD, by commit id.
    assert _history(pr.repo.path, "--since", f"{pr.base}..{pr.added}") == ([(pr.removed, "deploy.sh", pr.added)], [])
    # Without a range the old secret is in the history too.
    everything, _ = _history(pr.repo.path, "--history")
    assert everything == sorted([*expected, (pr.old, "old.env", pr.base)])


def test_since_implies_history_and_leaves_the_tree_scan_alone(pull_request: PullRequest) -> None:
    pr = pull_request
    result = run_cli("scan", str(pr.repo.path), "--format", "json", "--fail-on", "none", "--since", "main")
    assert result.exit_code == 0, result.stderr
    where = sorted((f["reach"], f["path"]) for f in result.json()["findings"])  # type: ignore[union-attr]
    assert where == [("history", "app.py"), ("history", "deploy.sh"), ("tracked", "app.py"), ("tracked", "old.env")]


def test_a_shallow_clone_deep_enough_reads_the_whole_range(pull_request: PullRequest, tmp_path: Path) -> None:
    pr = pull_request
    clone = _clone(pr.repo.path, tmp_path / "ci", "--depth", "3", "--branch", "feature")
    assert (clone.path / ".git" / "shallow").is_file()
    found, skipped = _history(clone.path, "--since", pr.base)
    assert found == sorted([(pr.new, "app.py", pr.head), (pr.removed, "deploy.sh", pr.added)])
    assert skipped == []  # the range stops at the base: nothing it needs lies beyond the shallow boundary


def test_a_depth_one_checkout_with_the_base_fetched(pull_request: PullRequest, tmp_path: Path) -> None:
    """What actions/checkout does by default (fetch-depth 1), plus `git fetch --depth=1 origin BASE`."""
    pr = pull_request
    clone = _clone(pr.repo.path, tmp_path / "ci", "--depth", "1", "--branch", "feature")
    subprocess.run(
        ["git", "fetch", "-q", "--depth=1", "origin", pr.base],
        cwd=clone.path,
        check=True,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
    )
    found, skipped = _history(clone.path, "--since", pr.base)
    # The head's new blobs are read; the commit in between is not in the clone, and the report says so.
    assert found == [(pr.new, "app.py", pr.head)]
    assert skipped == [
        (
            str(clone.path),
            "shallow-history",
            f"shallow clone: 1 commit(s) of {pr.base}..HEAD read, down to the shallow boundary: commits "
            "before it are not in this clone (fetch them: git fetch --deepen=N, or fetch-depth: 0)",
        )
    ]


def test_a_base_the_clone_does_not_hold_is_a_usage_error(pull_request: PullRequest, tmp_path: Path) -> None:
    pr = pull_request
    clone = _clone(pr.repo.path, tmp_path / "ci", "--depth", "1", "--branch", "feature")
    result = run_cli("scan", str(clone.path), "--since", pr.base)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"credscope: --since: {pr.base!r} is not a commit in {clone.path} (a shallow clone? fetch it first: "
        f"git fetch --depth=1 origin {pr.base})\n"
    )


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("--output=x", "'--output=x' is not a commit in {repo}"),  # a revision, never an option of git's
        ("nosuchbranch", "'nosuchbranch' is not a commit in {repo}"),
        ("main...HEAD", "'main...HEAD': give BASE or BASE..HEAD"),
        ("..HEAD", "'..HEAD': give BASE or BASE..HEAD"),
    ],
)
def test_what_is_not_a_range_is_refused(pull_request: PullRequest, spec: str, problem: str) -> None:
    repo = pull_request.repo.path
    result = run_cli("scan", str(repo), f"--since={spec}", cwd=repo)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"credscope: --since: {problem.format(repo=repo)}\n"
    assert not (repo / "x").exists()


def test_a_base_without_head_means_up_to_head(pull_request: PullRequest) -> None:
    pr = pull_request
    assert _history(pr.repo.path, "--since", "main..") == _history(pr.repo.path, "--since", "main")


def test_since_needs_a_git_repository(tmp_path: Path) -> None:
    result = run_cli("scan", str(tmp_path), "--since", "main")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"credscope: --since: {tmp_path} is not in a git repository\n"


def _action_scan_step() -> str:
    import yaml

    action = yaml.safe_load((Path(__file__).resolve().parent.parent / "action.yml").read_text("utf-8"))
    (step,) = [step for step in action["runs"]["steps"] if step.get("id") == "scan"]
    return str(step["run"])


def test_the_action_scans_a_pull_requests_commits_from_a_depth_one_checkout(
    pull_request: PullRequest, tmp_path: Path
) -> None:
    """The action's scan step, run as the runner runs it, with `since` set to the base commit, in a checkout made
    as actions/checkout makes it (depth 1) from a remote that serves any commit by id, as GitHub does."""
    pr = pull_request
    env = {**os.environ, **GIT_ENV}
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(pr.repo.path), str(origin)], check=True, env=env)
    subprocess.run(["git", "-C", str(origin), "config", "uploadpack.allowAnySHA1InWant", "true"], check=True)
    workspace = tmp_path / "workspace"
    subprocess.run(
        ["git", "clone", "-q", "--depth=1", "-b", "feature", origin.as_uri(), str(workspace)], check=True, env=env
    )
    output, sarif = tmp_path / "github_output", tmp_path / "credscope.sarif"
    output.write_text("")
    inputs = {"SCAN_PATH": ".", "FAIL_ON": "", "CONFIG": "", "BASELINE": "", "FROM_BASE": "false"}
    done = subprocess.run(
        ["bash", "-e", "-c", _action_scan_step()],
        cwd=workspace,
        env={
            **env,
            **inputs,
            "BASE_BASELINE": "",
            "SARIF_FILE": str(sarif),
            "SINCE": pr.base,
            "GITHUB_OUTPUT": str(output),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert output.read_text() == "exit-code=1\n"  # the pull request's token fails the gate
    [run] = json.loads(sarif.read_text())["runs"]
    history = sorted(
        (result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], result["properties"]["commit"])
        for result in run["results"]
        if result["properties"].get("reach") == "history"
    )
    assert history == [("app.py", pr.head)]  # not the base's old.env: it is not the pull request's
