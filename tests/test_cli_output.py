"""`-o FILE` that cannot be written is the user's error (exit 2, one line naming the path), in every command
that writes one, and it is said before the scan runs, not after."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from helpers import Repo, run_cli, token


@pytest.fixture
def planted(repo: Repo) -> Repo:
    repo.write("deploy.sh", f"export GITHUB_TOKEN={token('{{github:ghp}}')}\n")
    return repo


@pytest.mark.parametrize(
    "command",
    [
        ("scan", "."),
        ("audit", ".", "--no-history", "--no-env"),
        ("org", "."),
    ],
    ids=["scan", "audit", "org"],
)
def test_an_output_in_a_missing_directory_is_a_usage_error(
    planted: Repo, tmp_path: Path, command: tuple[str, ...]
) -> None:
    target = tmp_path / "nonexistent" / "dir" / "x.json"
    home = tmp_path / "home"
    home.mkdir()
    result = run_cli(*command, "--format", "json", "-o", str(target), cwd=planted.path, env={"HOME": str(home)})
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"credscope: {target}: cannot write report: {target.parent} is not a directory\n"
    assert not target.parent.exists()


def test_an_output_that_is_a_directory_is_a_usage_error(planted: Repo, tmp_path: Path) -> None:
    result = run_cli("scan", ".", "-o", str(tmp_path), cwd=planted.path)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"credscope: {tmp_path}: cannot write report: it is a directory\n"


def test_an_output_under_a_regular_file_is_a_usage_error(planted: Repo, tmp_path: Path) -> None:
    blocker = tmp_path / "report"
    blocker.write_text("not a directory\n")
    result = run_cli("scan", ".", "-o", str(blocker / "x.txt"), cwd=planted.path)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"credscope: {blocker / 'x.txt'}: cannot write report: {blocker} is not a directory\n"
    assert blocker.read_text() == "not a directory\n"


def test_a_baseline_in_a_missing_directory_is_a_usage_error(planted: Repo, tmp_path: Path) -> None:
    target = tmp_path / "nonexistent" / "baseline.json"
    result = run_cli("baseline", "create", ".", "--baseline", str(target), cwd=planted.path)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"credscope: {target}: cannot write baseline: {target.parent} is not a directory\n"


def test_a_writable_output_still_gets_the_report(planted: Repo, tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    result = run_cli("scan", ".", "--format", "json", "-o", str(target), "--fail-on", "none", cwd=planted.path)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    findings = json.loads(target.read_text())["findings"]
    assert [(f["provider"], f["path"], f["line"]) for f in findings] == [("github", "deploy.sh", 1)]


def test_an_output_that_is_not_a_regular_file_is_written_to_not_replaced(planted: Repo, tmp_path: Path) -> None:
    """`-o /dev/null` or a FIFO: the report goes into it and it stays what it was. Renamed over, as root, a
    temporary file once turned the machine's /dev/null into a regular file."""
    import stat
    import threading

    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    done = run_cli("scan", str(planted.path), "--format", "json", "-o", str(fifo), "--fail-on", "none")
    reader.join(timeout=30)
    assert done.exit_code == 0, done.stderr
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert json.loads(received[0])["findings"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report")] == []  # no temporary file left
