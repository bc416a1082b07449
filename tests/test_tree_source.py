"""The tree source on awkward input: skipped and counted with the reason, never fatal."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from credscope.model import Reach
from credscope.sources import SourceReport
from credscope.sources import tree as tree_module
from credscope.sources.tree import TreeOptions, TreeSource

from helpers import Repo, run_cli, token

# The CLI runs in a subprocess, where a mode-000 file stays readable when the tests run as root.
_ROOT_READS_LOCKED = int(os.geteuid() == 0)


def _collect(root: Path, options: TreeOptions | None = None) -> tuple[dict[str, Reach], dict[str, str]]:
    report = SourceReport()
    documents = {d.path: d.reach for d in TreeSource(root, options or TreeOptions()).documents(report)}
    return documents, {s.path: s.reason for s in report.skipped}


@pytest.fixture
def awkward(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "good.env").write_text(f"GITHUB_TOKEN={token('{{github:ghp}}')}\n")
    (root / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + os.urandom(64))
    with (root / "huge.log").open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: 50 MB of NULs on paper, over the limit, sniffed as binary
    (root / "latin1.txt").write_bytes(b"caf\xe9 GITHUB_TOKEN=" + token("{{github:ghp}}").encode() + b"\n")
    (root / "loop").symlink_to(root / "loop")
    (root / "a").symlink_to(root / "b")
    (root / "b").symlink_to(root / "a")
    (root / "dirlink").symlink_to(root, target_is_directory=True)
    (root / "outside").symlink_to("/etc/hostname")
    (root / "alias.env").symlink_to(root / "good.env")
    (root / "dangling").symlink_to(root / "does-not-exist")
    os.mkfifo(root / "pipe")
    (root / "node_modules" / "pkg").mkdir(parents=True)
    (root / "node_modules" / "pkg" / "index.js").write_text("x")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[core]\n")
    (root / "locked.txt").write_text("secret stuff\n")
    (root / "locked.txt").chmod(0)
    return root


def test_awkward_files_are_skipped_with_reasons(awkward: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _deny_reading(monkeypatch, awkward / "locked.txt")
    documents, skipped = _collect(awkward)
    assert documents == {"good.env": Reach.FILE, "latin1.txt": Reach.FILE, ".git/config": Reach.FILE}
    assert skipped == {
        "image.png": "binary",
        "huge.log": "binary",
        "loop": "symlink-loop",
        "a": "symlink-loop",
        "b": "symlink-loop",
        "dirlink": "symlink-to-directory",
        "outside": "symlink-outside-tree",
        "alias.env": "symlink-inside-tree",
        "dangling": "broken-symlink",
        "pipe": "not-a-regular-file",
        "node_modules/": "excluded-directory",
        "locked.txt": "unreadable",
    }


def test_cli_scans_awkward_tree_to_completion(awkward: Path) -> None:
    result = run_cli("scan", str(awkward), "--format", "json")
    report = result.json()
    assert result.exit_code == 1, result.stderr
    # Invalid UTF-8 does not stop a token on the same line from being found.
    assert sorted((f["path"], f["line"]) for f in report["findings"]) == [  # type: ignore[index]
        ("good.env", 1),
        ("latin1.txt", 1),
    ]
    stats = report["stats"]
    assert stats["files_scanned"] == 3 + _ROOT_READS_LOCKED  # type: ignore[index]  # .git/config is the third
    by_reason = stats["skipped_by_reason"]  # type: ignore[index]
    assert by_reason["binary"] == 2
    assert by_reason["symlink-loop"] == 3
    assert by_reason["not-a-regular-file"] == 1
    # locked.txt is unreadable for a normal user; root reads it anyway.
    assert by_reason.get("unreadable", 0) == 1 - _ROOT_READS_LOCKED


def test_text_report_states_what_was_skipped(awkward: Path) -> None:
    result = run_cli("scan", str(awkward), "--format", "text")
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.startswith(f"scanned {3 + _ROOT_READS_LOCKED} file(s)")
    assert "binary 2" in summary
    assert "symlink-loop 3" in summary


def test_unreadable_directory_is_counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "closed").mkdir()
    (tmp_path / "closed" / "x.env").write_text("A=1\n")
    real_scandir = os.scandir

    def scandir(path: object) -> object:
        if Path(str(path)).name == "closed":
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(tree_module.os, "scandir", scandir)
    documents, skipped = _collect(tmp_path)
    assert documents == {}
    assert skipped == {"closed/": "unreadable"}


def test_git_reach_tags_one_status_call(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo.write(".gitignore", "build/\n*.local\n")
    repo.write("tracked.txt", "t\n")
    repo.commit()
    repo.write("new/untracked.txt", "u\n")
    repo.write("build/out.txt", "i\n")
    repo.write("x.local", "i\n")
    calls: list[list[str]] = []
    real = tree_module.git_status

    def counting(directory: Path) -> object:
        calls.append([str(directory)])
        return real(directory)

    monkeypatch.setattr(tree_module, "git_status", counting)
    documents, _ = _collect(repo.path)
    assert documents == {
        ".gitignore": Reach.TRACKED,
        "tracked.txt": Reach.TRACKED,
        "new/untracked.txt": Reach.UNTRACKED,
        "build/out.txt": Reach.IGNORED,
        "x.local": Reach.IGNORED,
        ".git/config": Reach.UNTRACKED,  # git's own file: never tracked
    }
    assert len(calls) == 1


def test_excluded_paths_and_custom_vendored_dirs(tmp_path: Path) -> None:
    for name in ("keep/a.txt", "drop/b.txt", "third_party/c.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x\n")
    documents, skipped = _collect(tmp_path, TreeOptions(excluded_paths=("drop",), excluded_dirs=("third_party",)))
    assert set(documents) == {"keep/a.txt"}
    assert skipped == {"third_party/": "excluded-directory"}


def _deny_reading(monkeypatch: pytest.MonkeyPatch, denied: Path) -> None:
    """Root reads anything; make the permission check real for this one file."""
    real_open = os.open

    def guarded_open(path: object, flags: int, *args: object) -> int:
        if Path(str(path)) == denied:
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_open(path, flags, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(tree_module.os, "open", guarded_open)


def test_a_repository_s_config_is_scanned_and_nothing_else_of_git_s(repo: Repo, tmp_path: Path) -> None:
    """`.git/config` is text an agent reads (`git remote -v`) and holds tokens in remote URLs; git's other files
    (objects, hooks, logs) are not the tree's and are not listed. A link standing for it is skipped, as any link."""
    secret = token("{{github:ghp}}")
    repo.write("app.py", "print('hello')\n")
    repo.commit("init")
    repo.git("remote", "add", "origin", f"https://x-access-token:{secret}@github.com/acme/shop.git")
    (repo.path / ".git" / "description").write_text(f"GITHUB_TOKEN={token('{{github:ghp}}')}\n")
    nested = repo.path / "vendor" / "lib" / ".git"
    nested.mkdir(parents=True)
    (nested / "config").symlink_to("/etc/hostname")

    documents, skipped = _collect(repo.path)
    assert documents == {".git/config": Reach.UNTRACKED, "app.py": Reach.TRACKED}
    assert skipped == {"vendor/lib/.git/config": "symlink-outside-tree"}

    result = run_cli("scan", str(repo.path), "--format", "json", "--show-secrets", "--fail-on", "none")
    findings = result.json()["findings"]
    assert isinstance(findings, list)
    assert [(f["secret"], f["path"], f["reach"]) for f in findings] == [(secret, ".git/config", "untracked")]
