"""The mirror cache: each repository cloned once (`git clone --mirror`) and fetched (`git fetch --prune`) after.

The one place credscope fetches. Git runs without hooks, templates, fsmonitor, submodules or prompts, and with
every transport off but the one the URL names (`file` only for file:// sources). A repository's token (GitHub,
GitLab) is read from the worker's environment and passed as an http header scoped to the repository's own https
host, through git's environment, never on a command line or in the mirror's config. Credential helpers are off
for repositories listed by an API, so an answer naming another host cannot collect the user's stored passwords.

A clone goes to a temporary directory renamed into place when complete, so a worker killed mid-clone leaves
nothing half-made; an advisory lock per mirror keeps two tasks of one machine from fetching it at once.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from credscope.cache import cache_dir
from credscope.errors import CredscopeError
from credscope.org.wire import RepoSpec
from credscope.report.common import printable

DEFAULT_TIMEOUT = 3600.0  # seconds for one clone or fetch
# Variables that would point git at another repository or configuration than the mirror's own.
_GIT_LOCATION_VARIABLES = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
    "GIT_NAMESPACE",
    "GIT_COMMON_DIR",
)
_USERINFO = re.compile(r"(://)[^/@\s]*@")
_AUTH_USER = {"github": "x-access-token", "gitlab": "oauth2"}


class MirrorError(CredscopeError):
    """This repository could not be cloned or fetched; the message is safe to store (no URL credentials)."""


@dataclass(frozen=True)
class MirrorState:
    """What the mirror holds now: the default branch's commit and tree, and the commit of every ref."""

    head_commit: str  # "" for a repository without commits
    tree_id: str
    heads: tuple[str, ...]


def mirrors_root(explicit: str | None) -> Path:
    return Path(explicit) if explicit else cache_dir() / "mirrors"


def mirror_path(root: Path, spec: RepoSpec) -> Path:
    """<root>/<readable name>-<hash of the URL>.git: two URLs never share a mirror."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", spec.name).strip("._")[-60:] or "repo"
    digest = hashlib.sha256(spec.url.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return root / f"{readable}-{digest}.git"


def git_prefix(spec: RepoSpec) -> list[str]:
    """The git command line for fetching `spec`: only its own transport allowed, nothing configurable runs."""
    scheme = urlsplit(spec.url).scheme if "://" in spec.url else "ssh"
    prefix = [
        "git",
        "-c",
        "core.hooksPath=/dev/null",
        "-c",
        "core.fsmonitor=false",
        "-c",
        "protocol.allow=never",
        "-c",
        f"protocol.{scheme}.allow=always",
        "-c",
        "submodule.recurse=false",
        "-c",
        "fetch.recurseSubmodules=false",
        "-c",
        "core.quotepath=off",
    ]
    if spec.auth is not None:
        prefix += ["-c", "credential.helper="]
    if scheme == "ssh" and not os.environ.get("GIT_SSH_COMMAND") and not os.environ.get("GIT_SSH"):
        prefix += ["-c", "core.sshCommand=ssh -o BatchMode=yes"]
    return prefix


def git_environment(spec: RepoSpec | None = None, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """No prompts, stable messages, no variable that redirects git; the repository's token as a scoped header."""
    source = os.environ if environ is None else environ
    env = {key: value for key, value in source.items() if key not in _GIT_LOCATION_VARIABLES}
    env |= {"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "GCM_INTERACTIVE": "never"}
    if spec is not None and spec.auth in _AUTH_USER:
        token = source.get(f"{spec.auth.upper()}_TOKEN")
        parts = urlsplit(spec.url)
        if token and parts.scheme == "https" and parts.hostname:
            basic = base64.b64encode(f"{_AUTH_USER[spec.auth]}:{token}".encode()).decode("ascii")
            env |= {
                "GIT_CONFIG_COUNT": "1",
                "GIT_CONFIG_KEY_0": f"http.https://{parts.netloc.rpartition('@')[2]}/.extraheader",
                "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}",
            }
    return env


def update_mirror(spec: RepoSpec, root: Path, timeout: float = DEFAULT_TIMEOUT) -> Path:
    """Clone `spec` into the cache, or fetch what changed since; returns the mirror's path."""
    path = mirror_path(root, spec)
    root.mkdir(parents=True, exist_ok=True)
    with locked(path, exclusive=True):
        for stale in root.glob(f"{path.name}.tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)  # a clone whose worker died; the lock says none is running
        if (path / "HEAD").is_file():
            _git(spec, ["fetch", "--prune", "--no-write-fetch-head", "--quiet"], path, timeout, "fetch")
            return path
        temporary = path.with_name(f"{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
        try:
            _git(spec, ["clone", "--mirror", "--template=", "--quiet", "--", spec.url, str(temporary)], root, timeout)
            os.replace(temporary, path)
        finally:
            shutil.rmtree(temporary, ignore_errors=True)
    return path


@contextmanager
def locked(path: Path, exclusive: bool) -> Iterator[None]:
    """An advisory lock on `<mirror>.lock`: exclusive to fetch, shared to read. The kernel drops it with the
    process, so a killed worker never leaves a mirror locked."""
    with open(path.with_name(path.name + ".lock"), "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def read_git(mirror: Path, args: list[str], timeout: float = 600.0, stdin: bytes | None = None) -> bytes | None:
    """Run a reading git command in the mirror; None when git fails."""
    command = ["git", "-c", "core.hooksPath=/dev/null", "-c", "core.quotepath=off", *args]
    try:
        done = subprocess.run(
            command, cwd=mirror, input=stdin, capture_output=True, timeout=timeout, env=git_environment(), check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def mirror_state(mirror: Path) -> MirrorState:
    head = read_git(mirror, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"])
    tree = read_git(mirror, ["rev-parse", "--verify", "--quiet", "HEAD^{tree}"]) if head else None
    refs = read_git(mirror, ["for-each-ref", "--format=%(objectname) %(objecttype) %(*objectname) %(*objecttype)"])
    if refs is None:
        raise MirrorError("git cannot list the mirror's refs: corrupt repository?")
    heads: set[str] = set()
    for line in refs.decode("ascii", "replace").splitlines():
        fields = line.split()
        if len(fields) == 4 and fields[3] == "commit":
            heads.add(fields[2])  # an annotated tag: the commit it points at
        elif len(fields) >= 2 and fields[1] == "commit":
            heads.add(fields[0])
    if heads and not head:
        raise MirrorError("HEAD names no commit although refs exist: the default branch is missing or corrupt")
    return MirrorState(
        head_commit=head.decode("ascii").strip() if head else "",
        tree_id=tree.decode("ascii").strip() if tree else "",
        heads=tuple(sorted(heads)),
    )


def _git(spec: RepoSpec, args: list[str], cwd: Path, timeout: float, what: str = "clone") -> None:
    try:
        done = subprocess.run(
            [*git_prefix(spec), *args],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            env=git_environment(spec),
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise MirrorError(f"git {what} took longer than {timeout:g}s") from None
    except OSError as error:
        raise MirrorError(f"git cannot run: {error.strerror or error}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace")
        if "dubious ownership" in message:
            # git's ownership check: a mirror someone else made is never opened (its configuration could run).
            raise MirrorError(f"git {what} refused: the mirror {printable(str(cwd))} belongs to another user")
        lines = [line for line in message.splitlines() if line.strip()]
        last = _USERINFO.sub(r"\1", lines[-1].strip() if lines else f"exit status {done.returncode}")
        raise MirrorError(f"git {what} failed: {printable(last)[:300]}")
