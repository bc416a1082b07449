"""Nothing written but what the user asked for: every command leaves the scanned tree (contents, modes, mtimes of
files and directories, the .git directory and its index) and the scanned home exactly as they were; reports and
baselines go only where they were asked to go, and their writes are atomic: an interrupted write (an exception,
Ctrl-C mid-write, SIGKILL before the rename) leaves the old file intact.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from servers.http import FakeServer, Received, Reply, json_reply

from credscope.cli import write_atomically
from credscope.errors import CredscopeError
from credscope.probes.settings import endpoint_variable

from helpers import GIT_ENV, Repo, token

Snapshot = dict[str, tuple[Any, ...]]


def snapshot(root: Path) -> Snapshot:
    """Every entry under root, .git included: kind, mode, size, mtime (ns) and a digest of files' bytes."""
    seen: Snapshot = {".": (os.lstat(root).st_mode, os.lstat(root).st_mtime_ns)}
    for directory, subdirs, files in os.walk(root):
        for name in sorted(subdirs + files):
            path = Path(directory, name)
            info = path.lstat()
            relative = path.relative_to(root).as_posix()
            if path.is_symlink():
                seen[relative] = ("link", os.readlink(path))
            elif path.is_dir():
                seen[relative] = ("dir", info.st_mode, info.st_mtime_ns)
            else:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                seen[relative] = ("file", info.st_mode, info.st_size, info.st_mtime_ns, digest)
    return seen


def _diff(before: Snapshot, after: Snapshot) -> list[str]:
    return sorted(
        f"{path}: {before.get(path)} -> {after.get(path)}"
        for path in before.keys() | after.keys()
        if before.get(path) != after.get(path)
    )


@dataclass
class Workspace:
    repo: Repo
    home: Path
    out: Path
    cwd: Path


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("CREDSCOPE_CACHE_DIR", str(tmp_path / "cache"))
    repo = Repo(tmp_path / "repo")
    repo.path.mkdir()
    repo.git("init", "-q", "-b", "main")
    repo.write("old.sh", f"export GITHUB_TOKEN={token('{{github:ghp}}')}\n")
    repo.commit("one")
    repo.git("rm", "-q", "old.sh")
    repo.write(".gitignore", ".env\n__pycache__/\n")
    repo.write("scripts/fix_domains.sh", f"export RAILWAY_API_TOKEN={token('{{uuid4}}')}\n")
    repo.write("app/settings.py", f'STRIPE_KEY = "{token("{{stripe}}")}"\n')
    repo.write(
        ".cursor/mcp.json", '{"mcpServers": {"gh": {"env": {"GITHUB_TOKEN": "' + token("{{github:ghp}}") + '"}}}}'
    )
    repo.write(
        "k8s/secret.yaml", "apiVersion: v1\nkind: Secret\ndata:\n  token: " + _b64(token("{{github:ghp}}")) + "\n"
    )
    repo.commit("two")
    repo.write(".env", f"DATABASE_URL={token('{{postgres:admin@127.0.0.1:5432/app}}')}\n")
    repo.write("untracked.txt", f"SLACK_BOT_TOKEN={token('{{slack}}')}\n")
    repo.git("add", "untracked.txt")  # staged, for the hook
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text(
        f"[default]\naws_access_key_id = {token('{{aws:akia}}')}\naws_secret_access_key = {token('{{aws-secret}}')}\n"
    )
    (home / ".netrc").write_text(f"machine api.github.com login me password {token('{{github:gho}}')}\n")
    out = tmp_path / "out"
    out.mkdir()
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    # Make mtimes old and distinct, so a rewrite of the same bytes would still show.
    stamp = time.time() - 86_400
    for path in [*repo.path.rglob("*"), *home.rglob("*")]:
        os.utime(path, (stamp, stamp), follow_symlinks=False)
    return Workspace(repo, home, out, cwd)


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()


def _cli(workspace: Workspace, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> int:
    environ = {**os.environ, **GIT_ENV, "NO_COLOR": "1", "HOME": str(workspace.home), **(env or {})}
    result = subprocess.run(
        [sys.executable, "-m", "credscope", *args],
        cwd=cwd or workspace.cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode


def _unchanged(workspace: Workspace, *args: str, expect: int, writes: tuple[str, ...] = (), **kwargs: Any) -> None:
    """Run one command; the tree and the home are as they were, and `out` holds exactly `writes` more files."""
    trees = {"repo": workspace.repo.path, "home": workspace.home}
    before = {name: snapshot(path) for name, path in trees.items()}
    outputs = set(os.listdir(workspace.out))
    cwd_before = snapshot(workspace.cwd)
    assert _cli(workspace, *args, **kwargs) == expect, args
    for name, path in trees.items():
        assert _diff(before[name], snapshot(path)) == [], f"{' '.join(args)} changed the {name}"
    assert _diff(cwd_before, snapshot(workspace.cwd)) == [], f"{' '.join(args)} wrote into the working directory"
    assert sorted(set(os.listdir(workspace.out)) - outputs) == sorted(writes), args


def test_scan_in_every_format_and_reach_changes_nothing(workspace: Workspace) -> None:
    root, home = str(workspace.repo.path), str(workspace.home)
    # Formats only render a string (the CLI writes it); one to stdout and one to a file stand for all five.
    _unchanged(workspace, "scan", root, "--format", "sarif", expect=1)
    report = workspace.out / "report.html"
    _unchanged(workspace, "scan", root, "-f", "html", "-o", str(report), expect=1, writes=(report.name,))
    _unchanged(workspace, "scan", root, "--history", "--home", home, "--env", expect=1)
    # From inside the repository too (config discovery walks up from here).
    _unchanged(workspace, "scan", expect=1, cwd=workspace.repo.path / "scripts")
    _unchanged(workspace, "audit", root, "--home", home, "-f", "json", expect=1)


def test_baseline_commands_write_only_the_baseline(workspace: Workspace) -> None:
    root = str(workspace.repo.path)
    baseline = workspace.out / "baseline.json"
    _unchanged(workspace, "baseline", "create", root, "--baseline", str(baseline), expect=0, writes=(baseline.name,))
    _unchanged(workspace, "baseline", "update", root, "--baseline", str(baseline), expect=0)
    fingerprint = baseline.read_text().split('"fingerprint": "', 1)[1][:12]
    _unchanged(
        workspace, "baseline", "audit", "--baseline", str(baseline), "--accept", fingerprint, "--reason", "x", expect=0
    )
    _unchanged(workspace, "scan", root, "--baseline", str(baseline), expect=0)
    _unchanged(workspace, "explain", fingerprint, root, expect=0)
    _unchanged(workspace, "providers", "list", expect=0)
    foreign = workspace.out / "ds.baseline"
    foreign.write_text('{"version": "1.5.0", "plugins_used": [], "filters_used": [], "results": {}}')
    imported = workspace.out / "imported.json"
    _unchanged(
        workspace,
        "baseline",
        "import",
        str(foreign),
        root,
        "--baseline",
        str(imported),
        expect=0,
        writes=(imported.name,),
    )


def test_baseline_create_with_the_default_path_adds_that_one_file(workspace: Workspace) -> None:
    before = snapshot(workspace.repo.path)
    assert _cli(workspace, "baseline", "create", str(workspace.repo.path)) == 0
    changes = _diff(before, snapshot(workspace.repo.path))
    # The new file, and its directory's mtime: nothing else (no temporary file left behind).
    assert [change.split(":", 1)[0] for change in changes] == [".", ".credscope-baseline.json"]


def test_the_hook_reads_the_index_without_touching_it(workspace: Workspace) -> None:
    _unchanged(workspace, "hook", expect=1, cwd=workspace.repo.path)
    _unchanged(workspace, "hook", "untracked.txt", "app/settings.py", expect=1, cwd=workspace.repo.path)


def _generic_api(received: Received) -> Reply:
    return json_reply(401, b'{"message": "Bad credentials"}')


def test_verify_with_a_probe_log_changes_nothing_but_the_log(workspace: Workspace, fake_server: Any) -> None:
    pytest.importorskip("httpx")
    server: FakeServer = fake_server(_generic_api)
    providers = [p.stem for p in (Path(__file__).parent.parent / "providers").glob("*.yaml")]
    endpoints = {endpoint_variable(provider): server.url for provider in providers}
    log = workspace.out / "probe.jsonl"
    args = ("scan", str(workspace.repo.path), "--verify", "--probe-timeout", "3", "--probe-log", str(log))
    _unchanged(workspace, *args, expect=1, writes=(log.name,), env=endpoints)
    assert server.requests, "the probes did run"


# --- atomic writes ----------------------------------------------------------------------------------------------


@pytest.fixture
def old_report(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "reports" / "report.json"
    path.parent.mkdir()
    path.write_text('{"old": true}\n')
    yield path
    # Whatever happened, only the report itself is in its directory: no temporary file is left behind.
    assert sorted(p.name for p in path.parent.iterdir()) == ["report.json"]


def test_a_failing_rename_keeps_the_old_file(old_report: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(source: object, target: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(CredscopeError, match="cannot write report: No space left on device"):
        write_atomically(old_report, '{"new": true}\n' * 1000)
    assert old_report.read_text() == '{"old": true}\n'


def test_ctrl_c_in_the_middle_of_writing_keeps_the_old_file(old_report: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_fdopen = os.fdopen

    class Interrupted:
        def __init__(self, handle: Any) -> None:
            self.handle = handle

        def __enter__(self) -> Interrupted:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()

        def write(self, text: str) -> int:
            self.handle.write(text[: len(text) // 2])
            self.handle.flush()
            raise KeyboardInterrupt

    monkeypatch.setattr(os, "fdopen", lambda *a, **k: Interrupted(real_fdopen(*a, **k)))
    with pytest.raises(KeyboardInterrupt):
        write_atomically(old_report, '{"new": true}\n' * 1000)
    assert old_report.read_text() == '{"old": true}\n'


def test_sigkill_before_the_rename_keeps_the_old_file(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text('{"old": true}\n')
    ready = tmp_path / "ready"
    # The new report is fully written to its temporary file; the process is killed before the rename.
    script = (
        "import os, pathlib, time, sys\n"
        "from credscope.cli import write_atomically\n"
        "def stall(source, target):\n"
        f"    pathlib.Path({str(ready)!r}).write_text(str(source))\n"
        "    time.sleep(60)\n"
        "os.replace = stall\n"
        f"write_atomically(pathlib.Path({str(report)!r}), 'x' * 1_000_000)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        assert ready.exists(), "the writer never reached the rename"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert report.read_text() == '{"old": true}\n'
    leftover = Path(ready.read_text())
    assert leftover.parent == report.parent and leftover.name.startswith(".report.json.")


def test_a_baseline_update_that_cannot_write_keeps_the_old_baseline(workspace: Workspace) -> None:
    baseline = workspace.out / "baseline.json"
    assert _cli(workspace, "baseline", "create", str(workspace.repo.path), "--baseline", str(baseline)) == 0
    old = baseline.read_bytes()
    (workspace.repo.path / "new.sh").write_text(f"export GITHUB_TOKEN={token('{{github:ghp}}')}\n")
    failing = (
        "import os, sys\n"
        "def refuse(source, target):\n"
        "    raise OSError(28, 'No space left on device')\n"
        "os.replace = refuse\n"
        "from credscope.cli import main\n"
        "sys.argv = ['credscope', *sys.argv[1:]]\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", failing, "baseline", "update", str(workspace.repo.path), "--baseline", str(baseline)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "HOME": str(workspace.home)},
    )
    assert result.returncode == 3, result.stderr
    assert result.stderr == f"credscope: {baseline}: cannot write baseline: No space left on device\n"
    assert baseline.read_bytes() == old
    assert sorted(os.listdir(workspace.out)) == ["baseline.json"]
