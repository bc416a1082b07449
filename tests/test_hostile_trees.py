"""Hostile trees: deep directories, many tiny files, a 2 GB sparse file, pipes and devices, symlink loops and
links out of the tree, files that vanish or change mid-scan, unreadable directories, names that are not text,
and a git repository with corrupt objects. Each scan finishes, names what it skipped and why, and exits with
the right code.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from credscope.api import ScanOptions, scan
from credscope.sources import tree as tree_module
from credscope.sources.tree import TreeOptions

from helpers import Repo, run_cli, token

GHP = "{{github:ghp}}"


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # The CLI caches its compiled catalogue in the user cache: keep it out of the real home.
    monkeypatch.setenv("CREDSCOPE_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


def _scan_json(*args: str, cwd: Path | None = None) -> tuple[int, dict[str, object]]:
    result = run_cli("scan", "--format", "json", *args, cwd=cwd)
    assert result.exit_code in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    return result.exit_code, result.json()


def _findings(report: dict[str, object]) -> list[tuple[str, str, int, str]]:
    findings = report["findings"]
    assert isinstance(findings, list)
    return sorted((f["rule"], f["path"], f["line"], f["reach"]) for f in findings)


def _skipped(report: dict[str, object]) -> list[tuple[str, str]]:
    stats = report["stats"]
    assert isinstance(stats, dict)
    return sorted((s["path"], s["reason"]) for s in stats["skipped"])


def test_300_levels_deep(tmp_path: Path) -> None:
    deep = tmp_path.joinpath(*["d"] * 300)
    deep.mkdir(parents=True)
    (deep / "deploy.sh").write_text(f"export GITHUB_TOKEN={token(GHP)}\n")
    code, report = _scan_json(str(tmp_path))
    assert code == 1
    assert _findings(report) == [("github-pat-classic", "d/" * 300 + "deploy.sh", 1, "file")]
    assert _skipped(report) == []


def test_20k_tiny_files(tmp_path: Path) -> None:
    # 20k rather than 100k: creating and scanning 100k files takes about 45 s on the shared 2-core CI machine
    # (most of it per-file overhead that grows linearly), 20k about a fifth of that; the shape is the same.
    for directory in range(20):
        folder = tmp_path / f"d{directory:02}"
        folder.mkdir()
        for index in range(1000):
            (folder / f"f{index:04}.txt").write_bytes(b"x=1\n")
    secret = token(GHP)
    (tmp_path / "d07" / "f0500.txt").write_text(f"GITHUB_TOKEN={secret}\n")
    code, report = _scan_json(str(tmp_path))
    assert code == 1
    assert _findings(report) == [("github-pat-classic", "d07/f0500.txt", 1, "file")]
    stats = report["stats"]
    assert isinstance(stats, dict)
    assert stats["files_scanned"] == 20_000
    assert stats["skipped"] == []


def test_2gb_sparse_file_over_the_size_limit_is_sniffed_as_binary_and_never_read_whole(tmp_path: Path) -> None:
    # Over the limit a text file is read in windows (tests/test_large_files.py); its first bytes say this is none.
    huge = tmp_path / "huge.bin"
    with huge.open("wb") as handle:
        handle.truncate(2 * 1024**3)
    (tmp_path / "app.env").write_text(f"GITHUB_TOKEN={token(GHP)}\n")
    code, report = _scan_json(str(tmp_path))
    assert code == 1
    assert _findings(report) == [("github-pat-classic", "app.env", 1, "file")]
    stats = report["stats"]
    assert isinstance(stats, dict)
    assert stats["skipped"] == [{"path": "huge.bin", "reason": "binary", "detail": ""}]


def test_2gb_sparse_file_under_a_raised_size_limit_is_sniffed_not_loaded(tmp_path: Path) -> None:
    # With --max-file-size above 2 GB the file is a candidate; its first bytes say binary, so the rest is never
    # read: the scan's peak memory stays far below the file's size (checked on the child's own peak, VmHWM: its
    # ru_maxrss starts from the peak of the process that started it, whatever the tests before this one held).
    huge = tmp_path / "huge.bin"
    with huge.open("wb") as handle:
        handle.truncate(2 * 1024**3)
    script = (
        "import sys\n"
        "from credscope.cli import main\n"
        "try:\n    main()\n"
        "finally:\n"
        "    peak = next(line for line in open('/proc/self/status') if line.startswith('VmHWM:')).split()[1]\n"
        "    sys.stderr.write(f'maxrss_kib={peak}\\n')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, "scan", "--format", "json", "--max-file-size", str(3 * 1024**3), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["stats"]["skipped"] == [{"path": "huge.bin", "reason": "binary", "detail": ""}]
    maxrss_kib = int(result.stderr.rsplit("maxrss_kib=", 1)[1])
    assert maxrss_kib < 512 * 1024, f"peak memory {maxrss_kib} KiB for a 2 GiB sparse file"


def test_pipes_sockets_and_devices_are_skipped_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.env")  # nobody writes: opening it for a read would block forever
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(tmp_path / "agent.sock"))
    expected = [("agent.sock", "not-a-regular-file"), ("pipe.env", "not-a-regular-file")]
    if os.geteuid() == 0:
        # A real character device (the null device's numbers); without root only the pipe and socket are tried.
        os.mknod(tmp_path / "null.env", stat.S_IFCHR | 0o600, os.makedev(1, 3))
        expected.append(("null.env", "not-a-regular-file"))
    (tmp_path / "app.env").write_text(f"GITHUB_TOKEN={token(GHP)}\n")
    try:
        code, report = _scan_json(str(tmp_path))
    finally:
        listener.close()
    assert code == 1
    assert _findings(report) == [("github-pat-classic", "app.env", 1, "file")]
    assert _skipped(report) == sorted(expected)


def test_symlink_loops_and_links_out_of_the_tree(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.env").write_text(f"GITHUB_TOKEN={token(GHP)}\n")
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    inside_secret = token(GHP)
    (root / "sub" / "real.env").write_text(f"GITHUB_TOKEN={inside_secret}\n")
    (root / "self").symlink_to("self")
    (root / "a").symlink_to("b")
    (root / "b").symlink_to("a")
    (root / "sub" / "up").symlink_to("..")  # a directory loop
    (root / "out.env").symlink_to(outside / "secret.env")
    (root / "outdir").symlink_to(outside)
    (root / "dangling").symlink_to(tmp_path / "missing")
    (root / "alias.env").symlink_to(root / "sub" / "real.env")
    code, report = _scan_json(str(root))
    assert code == 1
    # The secret outside the tree is never read; the one inside is found once, under its own name.
    assert _findings(report) == [("github-pat-classic", "sub/real.env", 1, "file")]
    assert _skipped(report) == [
        ("a", "symlink-loop"),
        ("alias.env", "symlink-inside-tree"),
        ("b", "symlink-loop"),
        ("dangling", "broken-symlink"),
        ("out.env", "symlink-outside-tree"),
        ("outdir", "symlink-outside-tree"),
        ("self", "symlink-loop"),
        ("sub/up", "symlink-to-directory"),
    ]


def _tree_scan(root: Path) -> tuple[list[tuple[str, str, int]], list[tuple[str, str, str]]]:
    result = scan([root], ScanOptions(tree=TreeOptions(max_file_size=1024)))
    found = sorted((c.rule, loc.path, loc.line) for c in result.credentials for loc in c.locations)
    skipped = sorted((s.path, s.reason, s.detail) for s in result.stats.skipped)
    return found, skipped


def test_files_that_vanish_or_change_between_listing_and_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "root"
    root.mkdir()
    for name in ("vanish.env", "grow.env", "to-fifo.env", "to-link.env", "kept.env"):
        (root / name).write_text(f"GITHUB_TOKEN={token(GHP)}\n")
    (root / "gone").mkdir()
    (root / "gone" / "inner.env").write_text(f"GITHUB_TOKEN={token(GHP)}\n")
    (tmp_path / "elsewhere.env").write_text(f"GITHUB_TOKEN={token(GHP)}\n")
    real_walk = tree_module.TreeSource._walk
    real_open = os.open

    def racing_walk(self: tree_module.TreeSource, walk_root: Path, report: object) -> Iterator[tuple[str, str]]:
        # Each change lands after the entry was listed and before it is read: the window a real race has.
        for listed, relative in real_walk(self, walk_root, report):  # type: ignore[arg-type]
            absolute = Path(listed)
            if relative == "gone/inner.env":
                continue
            if relative == "vanish.env":
                absolute.unlink()
            elif relative == "to-fifo.env":
                absolute.unlink()
                os.mkfifo(absolute)
            elif relative == "grow.env":
                (root / "gone" / "inner.env").unlink()
                (root / "gone").rmdir()  # listed by now, gone when the walk gets there
            yield listed, relative

    def racing_open(path: str | os.PathLike[str], flags: int, *args: int) -> int:
        name = Path(path).name
        if name == "grow.env":  # grows past the size limit between lstat and read: read on in windows
            with Path(path).open("a") as handle:
                handle.write("x" * 4096)
        if name == "to-link.env":  # swapped for a link out of the tree after lstat: O_NOFOLLOW refuses it
            Path(path).unlink()
            Path(path).symlink_to(tmp_path / "elsewhere.env")
        return real_open(path, flags, *args)

    monkeypatch.setattr(tree_module.TreeSource, "_walk", racing_walk)
    monkeypatch.setattr(tree_module.os, "open", racing_open)
    found, skipped = _tree_scan(root)
    assert found == [("github-pat-classic", "grow.env", 1), ("github-pat-classic", "kept.env", 1)]
    assert [(path, reason) for path, reason, _ in skipped] == [
        ("gone/", "unreadable"),
        ("to-fifo.env", "not-a-regular-file"),
        ("to-link.env", "unreadable"),
        ("vanish.env", "vanished"),
    ]


def test_a_directory_removed_after_listing_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    (root / "b" / "x.env").write_text(f"GITHUB_TOKEN={token(GHP)}\n")
    real_scandir = os.scandir

    def racing_scandir(path: str | os.PathLike[str]) -> object:
        if Path(path).name == "a":  # `a` is walked first; `b` disappears meanwhile
            (root / "b" / "x.env").unlink()
            (root / "b").rmdir()
        return real_scandir(path)

    monkeypatch.setattr(tree_module.os, "scandir", racing_scandir)
    found, skipped = _tree_scan(root)
    assert found == []
    assert skipped == [("b/", "unreadable", "No such file or directory")]


def test_unreadable_directories_and_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "root"
    (root / "locked").mkdir(parents=True)
    (root / "locked" / "x.env").write_text(f"GITHUB_TOKEN={token(GHP)}\n")
    (root / "closed.env").write_text(f"GITHUB_TOKEN={token(GHP)}\n")
    (root / "open.env").write_text(f"GITHUB_TOKEN={token(GHP)}\n")
    if os.geteuid() != 0:
        (root / "locked").chmod(0)
        (root / "closed.env").chmod(0)
    else:
        # root reads through any mode bits: refuse the same two paths the way the kernel would for a user.
        real_scandir, real_open = os.scandir, os.open

        def refusing_scandir(path: str | os.PathLike[str]) -> object:
            if Path(path).name == "locked":
                raise PermissionError(13, "Permission denied", str(path))
            return real_scandir(path)

        def refusing_open(path: str | os.PathLike[str], flags: int, *args: int) -> int:
            if Path(path).name == "closed.env":
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(path, flags, *args)

        monkeypatch.setattr(tree_module.os, "scandir", refusing_scandir)
        monkeypatch.setattr(tree_module.os, "open", refusing_open)
    try:
        found, skipped = _tree_scan(root)
    finally:
        (root / "locked").chmod(0o755)
        (root / "closed.env").chmod(0o644)
    assert [(rule, path) for rule, path, _ in found] == [("github-pat-classic", "open.env")]
    assert skipped == [
        ("closed.env", "unreadable", "Permission denied"),
        ("locked/", "unreadable", "Permission denied"),
    ]


def test_names_with_newlines_invalid_utf8_and_terminal_escapes(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    raw_names = [b"bad\xff\xfename.env", b"new\nline.env", b"esc\x1b[2Jape.env"]
    secrets = {}
    for raw in raw_names:
        secret = token(GHP)
        with open(os.path.join(os.fsencode(root), raw), "w") as handle:
            handle.write(f"GITHUB_TOKEN={secret}\n")
        secrets[os.fsdecode(raw)] = secret
    code, report = _scan_json(str(root))
    assert code == 1
    assert _findings(report) == sorted(("github-pat-classic", name, 1, "file") for name in secrets)
    # Every format, to stdout and to a file, under a strict UTF-8 locale: no crash, and the text report gives
    # the newline and the escape as visible escapes, so a file name cannot forge a report line.
    # Regressions: SARIF died (UnicodeEncodeError) on the undecodable name, and every format did with --output;
    # the text report printed the newline raw.
    for output_format in ("text", "json", "sarif", "markdown", "html"):
        written = tmp_path / f"report.{output_format}"
        to_file = _run_bytes("scan", "--format", output_format, "--output", str(written), str(root))
        assert to_file.returncode == 1, (output_format, to_file.stderr)
        assert written.read_bytes().count(b"ghp_") >= 3  # every report shows the three previews
        if output_format in ("json", "sarif"):
            written.read_bytes().decode("utf-8")  # still valid UTF-8: the odd bytes are JSON escapes
    text = _run_bytes("scan", str(root)).stdout.decode("utf-8", "surrogateescape")
    assert "new\\nline.env:1:14 [file]" in text
    assert "esc\\x1b[2Jape.env:1:14 [file]" in text
    assert "\x1b" not in text
    assert not any(line.startswith("line.env") for line in text.splitlines())
    printed = _run_bytes("scan", "--format", "sarif", str(root))
    assert printed.returncode == 1, printed.stderr
    sarif = json.loads(printed.stdout)
    uris = sorted(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"])
    assert uris == ["bad%FF%FEname.env", "esc%1B%5B2Jape.env", "new%0Aline.env"]


def _run_bytes(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    """The CLI under a strict UTF-8 stdout (not the C locale's lenient one), output kept as bytes."""
    env = {**os.environ, "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8:strict", "LC_ALL": "en_US.UTF-8"}
    return subprocess.run(
        [sys.executable, "-m", "credscope", *args], capture_output=True, timeout=300, check=False, env=env, cwd=cwd
    )


def test_hook_and_explain_with_odd_names(repo: Repo) -> None:
    # Regression: the pre-commit hook and explain died (UnicodeEncodeError, exit 3) on a staged file whose name
    # is not UTF-8 under a strict UTF-8 locale, and printed a newline in a name raw.
    for raw in (b"bad\xff.sh", b"new\nline.sh"):
        with open(os.path.join(os.fsencode(repo.path), raw), "w") as handle:
            handle.write(f"GITHUB_TOKEN={token(GHP)}\n")
    repo.git("add", "-A")
    hook = _run_bytes("hook", cwd=repo.path)
    assert hook.returncode == 1, hook.stderr
    output = hook.stdout + hook.stderr
    assert b"new\\nline.sh:1" in output and b"bad\xff.sh:1" in output
    assert not any(line.startswith(b"line.sh") for line in output.splitlines())
    report = json.loads(_run_bytes("scan", "--format", "json", str(repo.path)).stdout)
    for finding in report["findings"]:
        explained = _run_bytes("explain", finding["fingerprint"], str(repo.path))
        assert explained.returncode in (0, 1), explained.stderr
        assert b"new\\nline.sh:1:14" in explained.stdout or b"bad\xff.sh:1:14" in explained.stdout


def _corrupt(repo: Repo, object_id: str) -> None:
    loose = repo.path / ".git" / "objects" / object_id[:2] / object_id[2:]
    loose.chmod(0o644)
    loose.write_bytes(b"not zlib at all")


def _corrupt_repo(repo: Repo) -> dict[str, str]:
    secrets = {"tracked": token(GHP), "ignored": token(GHP), "old": token(GHP)}
    repo.write(".gitignore", ".env\n")
    repo.write("deploy.sh", f"export GITHUB_TOKEN={secrets['tracked']}\n")
    repo.write("old.sh", f"export GITHUB_TOKEN={secrets['old']}\n")
    repo.commit("one")
    repo.git("rm", "-q", "old.sh")
    repo.commit("two")
    repo.write(".env", f"GITHUB_TOKEN={secrets['ignored']}\n")
    return secrets


def test_corrupt_blob_in_history_is_named(repo: Repo) -> None:
    _corrupt_repo(repo)
    old_blob = repo.git("rev-parse", "HEAD~1:old.sh").strip()
    _corrupt(repo, old_blob)
    code, report = _scan_json("--history", str(repo.path))
    assert code == 1
    # The working tree is classified as usual; the history blob git cannot read is named, not dropped.
    # Regression: it vanished from the scan without a word.
    assert _findings(report) == [
        ("github-pat-classic", ".env", 1, "ignored"),
        ("github-pat-classic", "deploy.sh", 1, "history"),
        ("github-pat-classic", "deploy.sh", 1, "tracked"),
    ]
    assert _skipped(report) == [(f"old.sh@{old_blob[:12]}", "unreadable")]


def test_corrupt_tree_is_said_for_the_tree_and_the_history(repo: Repo) -> None:
    _corrupt_repo(repo)
    _corrupt(repo, repo.git("rev-parse", "HEAD^{tree}").strip())
    code, report = _scan_json("--history", str(repo.path))
    assert code == 1
    # Tracked and ignored come from the index and the ignore files, which a corrupt tree does not touch; the
    # history git cannot walk is named. Regression: the history failed silently (taken for "no commits").
    assert _findings(report) == [
        ("github-pat-classic", ".env", 1, "ignored"),
        ("github-pat-classic", "deploy.sh", 1, "tracked"),
    ]
    assert _skipped(report) == [(str(repo.path), "unreadable-history")]


def test_a_repository_without_commits_has_no_history_and_no_complaint(repo: Repo) -> None:
    repo.write("deploy.sh", f"export GITHUB_TOKEN={token(GHP)}\n")
    code, report = _scan_json("--history", str(repo.path))
    assert code == 1
    assert _findings(report) == [("github-pat-classic", "deploy.sh", 1, "untracked")]
    assert _skipped(report) == []


def test_clean_hostile_tree_exits_zero(tmp_path: Path) -> None:
    # Only skips, no credential: the policy passes.
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "loop").symlink_to("loop")
    code, report = _scan_json(str(tmp_path))
    assert code == 0
    assert _skipped(report) == [("loop", "symlink-loop"), ("pipe", "not-a-regular-file")]
