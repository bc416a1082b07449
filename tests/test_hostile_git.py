"""Scanning a hostile repository is safe. Nothing its configuration names runs (filters, fsmonitor, gpg under
log.showSignature, diff drivers, hooks, a promisor remote's transport), not even from a bare repository layout
committed in a subdirectory; git never fetches (a partial clone's promisor remote, a `git daemon` on 127.0.0.1,
is never connected to: counted at the listening socket, and Python's own sockets by an audit hook); a shallow
clone says how much history it had; a git bomb costs what its distinct objects cost. After every command the
tree and its `.git` are byte-identical.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from test_no_writes import _diff, snapshot

from helpers import GIT_ENV, Repo, run_cli, token

GHP = "{{github:ghp}}"
RULE = "github-pat-classic"


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREDSCOPE_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV}, capture_output=True, text=True, check=True
    )
    return done.stdout


def _scan(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> dict[str, object]:
    result = run_cli("scan", "--format", "json", "--show-secrets", "--fail-on", "none", *args, cwd=cwd, env=env)
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.json()


def _findings(report: dict[str, object]) -> list[tuple[str, str, str, str, object]]:
    findings = report["findings"]
    assert isinstance(findings, list)
    return sorted((f["rule"], f["secret"], f["path"], f["reach"], f["commit"]) for f in findings)


def _skipped(report: dict[str, object]) -> list[tuple[str, str, str]]:
    stats = report["stats"]
    assert isinstance(stats, dict)
    return sorted((s["path"], s["reason"], s["detail"]) for s in stats["skipped"])


class Unchanged:
    """A snapshot of a directory (contents, modes, mtimes, .git included) that must not change."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.before = snapshot(root)

    def check(self, what: str) -> None:
        assert _diff(self.before, snapshot(self.root)) == [], f"{what} changed {self.root}"


# --- a repository whose configuration names a program at every hook git has --------------------------------


def _tool(tools: Path, marks: Path, name: str) -> str:
    """An executable that records that it ran (then passes stdin through, as a filter would)."""
    script = tools / name
    script.write_text(f"#!/bin/sh\necho {name} >> '{marks / 'ran'}'\ncat\n")
    script.chmod(0o755)
    return str(script)


def _arm(repo: Repo, tmp_path: Path) -> Path:
    """Every setting of the repository's own config that names a program; returns where they leave marks."""
    tools, marks = tmp_path / "tools", tmp_path / "marks"
    tools.mkdir()
    marks.mkdir()
    hooks = tools / "hooks"
    hooks.mkdir()
    for hook in ("post-index-change", "reference-transaction", "post-checkout", "pre-auto-gc", "post-rewrite"):
        _tool(hooks, marks, hook)
    settings = {
        "filter.x.clean": _tool(tools, marks, "filter-clean"),
        "filter.x.smudge": _tool(tools, marks, "filter-smudge"),
        "filter.y.process": _tool(tools, marks, "filter-process"),
        "core.fsmonitor": _tool(tools, marks, "fsmonitor"),
        "core.hooksPath": str(hooks),
        "log.showSignature": "true",
        "gpg.program": _tool(tools, marks, "gpg"),
        "gpg.ssh.program": _tool(tools, marks, "gpg-ssh"),
        "diff.external": _tool(tools, marks, "diff-external"),
        "diff.x.textconv": _tool(tools, marks, "textconv"),
        "diff.x.command": _tool(tools, marks, "diff-command"),
        "core.pager": _tool(tools, marks, "pager"),
        "core.sshCommand": _tool(tools, marks, "ssh"),
        # A promisor remote whose transport is a program: a lazy fetch of a missing blob would run it.
        "remote.origin.url": "ext::" + _tool(tools, marks, "ext-transport"),
        "remote.origin.promisor": "true",
        "protocol.ext.allow": "always",
    }
    for key, value in settings.items():
        repo.git("config", key, value)
    return marks


def _signed_commit(repo: Repo, branch: str) -> str:
    """A commit carrying a (garbage) signature: `git log` with log.showSignature hands it to gpg.program."""
    tree, parent = repo.git("rev-parse", "HEAD^{tree}", "HEAD").split()
    when = int(time.time())
    body = (
        f"tree {tree}\nparent {parent}\n"
        f"author A <a@example.invalid> {when} +0000\ncommitter A <a@example.invalid> {when} +0000\n"
        "gpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----\n\nsigned\n"
    )
    commit = subprocess.run(
        ["git", "hash-object", "-t", "commit", "-w", "--stdin"],
        cwd=repo.path,
        input=body,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    repo.git("update-ref", f"refs/heads/{branch}", commit)
    return commit


def _missing_blob_commit(repo: Repo, branch: str) -> str:
    """A commit whose tree names a blob the repository does not hold: one a promisor remote would be asked for."""
    absent = "1" * 40
    tree = subprocess.run(
        ["git", "mktree", "--missing"],
        cwd=repo.path,
        input=f"100644 blob {absent}\tlost.txt\n",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    commit = repo.git("commit-tree", "-m", "lost", tree).strip()
    repo.git("update-ref", f"refs/heads/{branch}", commit)
    return absent


def _ran(marks: Path) -> list[str]:
    """The tools that ran since the last call (and forget them)."""
    log = marks / "ran"
    ran = log.read_text().split() if log.exists() else []
    log.unlink(missing_ok=True)
    return ran


def test_nothing_a_repository_configures_runs(repo: Repo, tmp_path: Path) -> None:
    tracked, ignored, staged = token(GHP), token(GHP), token(GHP)
    repo.write(".gitattributes", "* filter=x diff=x\n*.sh filter=y\n")
    repo.write(".gitignore", ".env\n")
    repo.write("deploy.sh", f"export GITHUB_TOKEN={tracked}\n")
    repo.write("notes.txt", "nothing here\n")
    first = repo.commit("one")
    marks = _arm(repo, tmp_path)
    _signed_commit(repo, "signed")
    absent = _missing_blob_commit(repo, "lost")
    repo.write(".env", f"GITHUB_TOKEN={ignored}\n")
    # Stat-dirty: `git status` re-hashes such files, through the clean filter.
    for name in ("deploy.sh", "notes.txt", ".gitattributes"):
        os.utime(repo.path / name, (1_000_000_000, 1_000_000_000))
    # The traps are live: the test's own git (which reads the repository's config) sprang some of them.
    assert "reference-transaction" in _ran(marks)
    unchanged = Unchanged(repo.path)

    report = _scan(str(repo.path))
    unchanged.check("scan")
    assert _ran(marks) == []
    assert _findings(report) == sorted(
        [(RULE, ignored, ".env", "ignored", None), (RULE, tracked, "deploy.sh", "tracked", None)]
    )
    report = _scan(str(repo.path), "--history")
    unchanged.check("scan --history")
    assert _ran(marks) == []
    assert _findings(report) == sorted(
        [
            (RULE, ignored, ".env", "ignored", None),
            (RULE, tracked, "deploy.sh", "history", first),
            (RULE, tracked, "deploy.sh", "tracked", None),
        ]
    )
    # Not a partial clone (no promisor pack): the blob its tree names is missing, so the repository is corrupt.
    assert _skipped(report) == [(absent, "unreadable", "missing from the repository: corrupt repository?")]

    repo.write("new.sh", f"GITHUB_TOKEN={staged}\n")
    repo.git("add", "new.sh")
    assert "filter-process" in _ran(marks)
    unchanged = Unchanged(repo.path)
    hook = run_cli("hook", cwd=repo.path)
    unchanged.check("hook")
    assert _ran(marks) == []
    assert hook.exit_code == 1, hook.stderr
    assert "new.sh:1" in hook.stdout


def test_a_bare_repository_layout_in_a_subdirectory_is_just_files(tmp_path: Path) -> None:
    """A committed `HEAD`, `config` (core.worktree, a filter), `index`, `objects/`, `refs/`: scanning that
    subdirectory must not make git take it for a repository and run its config."""
    marks = tmp_path / "marks"
    marks.mkdir()
    inner = Repo(tmp_path / "inner")
    inner.path.mkdir()
    inner.git("init", "-q", "-b", "main")
    secret = token(GHP)
    # The same bytes as the layout's data.txt below: same size, other mtime, so git status must hash it.
    inner.write("data.txt", f"GITHUB_TOKEN={secret}\n")
    inner.commit("inner")
    outer = Repo(tmp_path / "outer")
    outer.path.mkdir()
    outer.git("init", "-q", "-b", "main")
    layout = outer.path / "sub"
    layout.mkdir()
    for part in ("HEAD", "index", "objects", "refs"):
        source = inner.path / ".git" / part
        (shutil.copytree if source.is_dir() else shutil.copy)(source, layout / part)
    outer.write("sub/info/attributes", "* filter=x\n")
    outer.write(
        "sub/config",
        "[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tworktree = .\n"
        f'[filter "x"]\n\tclean = "echo embedded >> {marks / "ran"}; cat"\n',
    )
    outer.write("sub/data.txt", f"GITHUB_TOKEN={secret}\n")
    added = outer.commit("a repository layout, committed as files")
    # The victim's clone: every file freshly written, so the layout's index is stat-dirty for all of them.
    clone = tmp_path / "clone"
    _git(tmp_path, "clone", "-q", str(outer.path), str(clone))
    unchanged = Unchanged(clone)

    report = _scan(str(clone / "sub"), "--history")
    unchanged.check("scan --history of the layout")
    assert sorted(os.listdir(marks)) == []
    # The files are the clone's (tracked), and the history is the clone's, not the layout's.
    assert _findings(report) == [
        (RULE, secret, "data.txt", "tracked", None),
        (RULE, secret, "sub/data.txt", "history", added),
    ]


# --- a partial clone whose promisor remote is a git daemon on 127.0.0.1 -------------------------------------


@dataclass
class GitDaemon:
    """`git daemon --inetd` behind a listening socket this test owns: every connection is counted."""

    url: str
    connections: list[str]


@pytest.fixture
def git_daemon(tmp_path: Path) -> Iterator[GitDaemon]:
    base = tmp_path / "served"
    base.mkdir()
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    daemon = GitDaemon(f"git://127.0.0.1:{port}", [])
    children: list[subprocess.Popen[bytes]] = []
    stop = threading.Event()
    server.settimeout(0.1)  # accept() wakes up to see `stop`: closing the socket does not interrupt it

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, peer = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            daemon.connections.append(f"{peer[0]}:{peer[1]}")
            connection.setblocking(True)  # git daemon gets the descriptor itself
            with connection:
                children.append(
                    subprocess.Popen(
                        ["git", "daemon", "--inetd", "--export-all", f"--base-path={base}", "--enable=upload-pack"],
                        stdin=connection.fileno(),
                        stdout=connection.fileno(),
                        stderr=subprocess.DEVNULL,
                        env={**os.environ, **GIT_ENV},
                    )
                )

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield daemon
    finally:
        stop.set()
        thread.join(timeout=10)
        server.close()
        for child in children:
            child.wait(timeout=30)


@pytest.fixture
def socket_audit(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """Environment for a CLI subprocess whose every network socket, connection and name lookup is logged."""
    site = tmp_path / "audit-site"
    site.mkdir()
    log = tmp_path / "sockets.log"
    (site / "sitecustomize.py").write_text(
        "import socket, sys\n"
        f"_LOG = {str(log)!r}\n"
        "_NETWORK = {socket.AF_INET, socket.AF_INET6}\n"
        "def _audit(event, args):\n"
        "    network = event == 'socket.__new__' and args[1] in _NETWORK\n"
        "    if network or event in ('socket.connect', 'socket.getaddrinfo', 'socket.sendto'):\n"
        "        with open(_LOG, 'a') as handle:\n"
        "            handle.write(f'{event} {args[1:]!r}\\n')\n"
        "sys.addaudithook(_audit)\n"
    )
    path = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": path}, log


def _sockets(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def test_the_socket_audit_does_see_a_connection(socket_audit: tuple[dict[str, str], Path]) -> None:
    env, log = socket_audit
    listener = socket.create_server(("127.0.0.1", 0))
    with listener:
        port = listener.getsockname()[1]
        code = f"import socket; socket.create_connection(('127.0.0.1', {port})).close()"
        subprocess.run([sys.executable, "-c", code], env={**os.environ, **env}, check=True, timeout=60)
    assert [line.split(" ", 1)[0] for line in _sockets(log)] == [
        "socket.getaddrinfo",
        "socket.__new__",
        "socket.connect",
    ]


def test_history_of_a_partial_clone_fetches_nothing(
    tmp_path: Path, git_daemon: GitDaemon, socket_audit: tuple[dict[str, str], Path]
) -> None:
    old, new = token(GHP), token(GHP)
    served = Repo(tmp_path / "served" / "project")
    served.path.mkdir()
    served.git("init", "-q", "-b", "main")
    served.git("config", "uploadpack.allowFilter", "true")
    served.write("deploy.sh", f"export GITHUB_TOKEN={old}\n")
    served.commit("add the token")
    served.write("deploy.sh", f"export GITHUB_TOKEN={new}\n")
    rotated = served.commit("rotate it")
    clone = tmp_path / "clone"
    # As CI systems clone: the checkout's blobs only, every older one left on the remote.
    _git(tmp_path, "clone", "-q", "--filter=blob:none", f"{git_daemon.url}/project", str(clone))
    assert git_daemon.connections, "the clone itself went through the daemon"
    cloned = len(git_daemon.connections)
    env, log = socket_audit
    unchanged = Unchanged(clone)

    report = _scan(str(clone), "--history", env=env)
    assert git_daemon.connections[cloned:] == []
    assert _sockets(log) == []
    unchanged.check("scan --history of a partial clone")
    assert _findings(report) == [
        (RULE, new, "deploy.sh", "history", rotated),
        (RULE, new, "deploy.sh", "tracked", None),
    ]
    assert _skipped(report) == [
        (str(clone), "missing-objects", "partial clone: 1 object(s) not present locally, not fetched: not scanned")
    ]


def test_history_of_a_shallow_clone_says_how_much_it_had(tmp_path: Path) -> None:
    source = Repo(tmp_path / "source")
    source.path.mkdir()
    source.git("init", "-q", "-b", "main")
    source.write("deploy.sh", f"export GITHUB_TOKEN={token(GHP)}\n")
    source.commit("the token")
    source.write("deploy.sh", "export GITHUB_TOKEN=$TOKEN\n")
    source.commit("from the environment")
    source.write("README.md", "deploys\n")
    source.commit("readme")
    clone = tmp_path / "clone"
    _git(tmp_path, "clone", "-q", "--depth", "1", f"file://{source.path}", str(clone))
    unchanged = Unchanged(clone)

    report = _scan(str(clone), "--history")
    unchanged.check("scan --history of a shallow clone")
    assert _findings(report) == []
    assert _skipped(report) == [
        (str(clone), "shallow-history", "shallow clone: 1 commit(s); older history not available")
    ]


# --- a git bomb: a few KB of objects naming a million paths ---------------------------------------------------


def _counting_git(tmp_path: Path, needle: str) -> tuple[dict[str, str], Path]:
    """A `git` first on PATH that runs the real one and logs, per call, how often its output names `needle`."""
    real = shutil.which("git")
    assert real is not None
    directory = tmp_path / "counting-git"
    directory.mkdir()
    log = tmp_path / "git-output.log"
    wrapper = directory / "git"
    wrapper.write_text(
        f"#!{sys.executable}\n"
        "import subprocess, sys\n"
        f"needle = {needle.encode()!r}\n"
        f"process = subprocess.Popen([{real!r}, *sys.argv[1:]], stdout=subprocess.PIPE)\n"
        "count, tail = 0, b''\n"
        "while chunk := process.stdout.read1(1 << 16):\n"
        "    sys.stdout.buffer.write(chunk)\n"
        "    sys.stdout.buffer.flush()\n"
        "    window = tail + chunk\n"
        "    count += window.count(needle)\n"
        "    tail = window[-(len(needle) - 1):]\n"
        "code = process.wait()\n"
        f"with open({str(log)!r}, 'a') as handle:\n"
        "    handle.write(f'{count} {sys.argv[1:]}\\n')\n"
        "sys.exit(code)\n"
    )
    wrapper.chmod(0o755)
    return {"PATH": f"{directory}{os.pathsep}{os.environ['PATH']}"}, log


def _mktree(repo: Repo, entries: str) -> str:
    done = subprocess.run(["git", "mktree"], cwd=repo.path, input=entries, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_a_git_bomb_costs_what_its_distinct_objects_cost(repo: Repo, tmp_path: Path) -> None:
    secret = token(GHP)
    blob = subprocess.run(
        ["git", "hash-object", "-w", "--stdin"],
        cwd=repo.path,
        input=f"GITHUB_TOKEN={secret}\n",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # Ten files of one blob, then five levels of ten directories that are all one tree: 10**6 paths.
    tree = _mktree(repo, "".join(f"100644 blob {blob}\tf{i}\n" for i in range(10)))
    for _ in range(5):
        tree = _mktree(repo, "".join(f"040000 tree {tree}\td{i}\n" for i in range(10)))
    bomb = repo.git("commit-tree", "-m", "bomb", tree).strip()
    repo.git("update-ref", "refs/heads/main", bomb)
    env, log = _counting_git(tmp_path, blob)
    unchanged = Unchanged(repo.path)

    report = _scan(str(repo.path), "--history", env=env)
    # The blob is named when it is listed, sized and read, never once per path (that was 10**6 times).
    mentions = sum(int(line.split(" ", 1)[0]) for line in log.read_text().splitlines())
    assert 1 <= mentions <= 3, log.read_text()
    unchanged.check("scan --history of a git bomb")
    # One document for the one blob, at the first path the walk met it, in the commit that holds it.
    assert _findings(report) == [(RULE, secret, "d0/d0/d0/d0/d0/f0", "history", bomb)]
    assert _skipped(report) == []


# --- whose repository -------------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to plant a foreign .git")
def test_a_git_directory_planted_above_the_scan_by_another_user_is_not_used(tmp_path: Path) -> None:
    """/tmp/.git made by another user: git's safe.directory refuses it, and so does credscope (without git's
    check, which it cannot use: scans run as root on checkouts owned by others)."""
    shared = tmp_path / "shared"
    planted = Repo(shared)
    shared.mkdir()
    planted.git("init", "-q", "-b", "main")
    checkout = shared / "checkout"
    checkout.mkdir()
    secret = token(GHP)
    (checkout / "deploy.sh").write_text(f"export GITHUB_TOKEN={secret}\n")
    planted.git("add", "checkout/deploy.sh")  # the planter claims it is tracked
    for path in (shared / ".git", *(shared / ".git").rglob("*")):
        os.chown(path, 4242, 4242, follow_symlinks=False)

    report = _scan(str(checkout), "--history")
    assert _findings(report) == [(RULE, secret, "deploy.sh", "file", None)]
    detail = (
        f"{shared / '.git'} belongs to uid 4242, neither to this user nor to the owner of {shared}: "
        "not used (tracked/ignored not told, history not read)"
    )
    assert _skipped(report) == [
        (".", "untrusted-git-directory", detail),
        (str(checkout), "untrusted-git-directory", detail),
    ]


def test_a_corrupt_index_is_said(repo: Repo) -> None:
    repo.write("deploy.sh", f"export GITHUB_TOKEN={token(GHP)}\n")
    repo.commit("one")
    (repo.path / ".git" / "index").write_bytes(b"DIRC garbage")
    report = _scan(str(repo.path))
    assert [(path, reason) for path, reason, _ in _skipped(report)] == [(".", "git-status-failed")]
    assert [(path, reach) for _, _, path, reach, _ in _findings(report)] == [("deploy.sh", "file")]
