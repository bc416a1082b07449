"""Git on repositories credscope does not trust: which files are tracked, and the objects of the history.

Nothing a scanned repository configures may run, so git never reads the repository's configuration at all.
Each command runs against a *sandbox git directory* that credscope builds in a temporary directory: its own
`config` (below) and `HEAD`, the repository's `refs`, `packed-refs`, `shallow` and `info/exclude` linked in,
the object store and the index named by `GIT_OBJECT_DIRECTORY` and `GIT_INDEX_FILE`. Why not `-c` overrides
on the real repository: a list of dangerous keys is never complete (filters, fsmonitor, `gpg.program` under
`log.showSignature`, a promisor remote's transport and `core.sshCommand`, `include.path` naming files outside
the tree ...), and `extensions.partialClone` cannot be overridden at all; a configuration git never opens
needs no list. The environment is built rather than inherited (no `GIT_*` of the caller, no system or global
configuration, no optional locks, no replace objects), so neither the scanned tree nor a hook's environment
steers which repository git opens.

Which commands, and why they cannot run anything or write: `ls-files` lists the index and walks directories
without reading file contents (no clean filter, unlike `git status`, which re-hashes stat-dirty files
through them); `rev-list`, `rev-parse` (a --since range), `log --raw`, `cat-file --batch` and `for-each-ref`
read objects only. The sandbox names no remote, so a partial clone's missing objects are never fetched (the
history says how many are missing), and nothing is written into the repository.

Which repository: credscope finds it itself, the way git does for a work tree (a `.git` directory or
`gitdir:` file at the directory or above it, not across file systems or `GIT_CEILING_DIRECTORIES`), and
never takes a bare repository layout for one, so a committed `HEAD`/`config`/`objects/` in a subdirectory is
just files. No `safe.directory`: git's ownership check exists because opening a repository runs its
configuration, which cannot happen here, and CI scans checkouts owned by another user as root. What it also
guards against is a `.git` planted above the scanned directory (in `/tmp`, say): a repository is used only
when its `.git` belongs to this user or to the owner of its top-level directory; otherwise the scan says
so (a counted skip) and treats the files as plain files.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from credscope.model import Reach

_TIMEOUT = 120.0
_HEAD = re.compile(rb"(ref: refs/[!-~]+|[0-9a-f]{40}|[0-9a-f]{64})\n?")
_GITFILE_LIMIT = 4096
# Settings copied from the repository's configuration: how to read its objects and names, nothing that runs.
_COPIED = re.compile(r"^(extensions\.objectformat|core\.ignorecase|core\.precomposeunicode)$")
_VALUES = re.compile(r"^(sha1|sha256|true|false|yes|no|on|off|0|1)$", re.IGNORECASE)

# The only configuration git reads (system and global configuration are off): no remote, no program, no hook.
# Smaller caches than git's own (96 MiB of delta bases, the whole pack mapped), in the same time: walking 30,000
# commits took 200 MB with those and 91 MB with these, and each worker's `cat-file` reading their blobs 159 MB and
# 69 MB. Smaller delta caches cost time where a large file changed often: 300 versions of a 2 MB file read in
# 0.20 s with git's, 0.26 s with 32 MiB, 0.40 s with 16 MiB, 0.66 s with 8 MiB.
_SANDBOX_CONFIG = """\
[core]
\trepositoryformatversion = {version}
\tfsmonitor = false
\thooksPath = {devnull}
\tuntrackedCache = false
\tquotePath = false
\tdeltaBaseCacheLimit = 32m
\tpackedGitWindowSize = 1m
\tpackedGitLimit = 32m
[log]
\tshowSignature = false
\tmailmap = false
[protocol]
\tallow = never
[safe]
\tbareRepository = explicit
"""


@dataclass(frozen=True)
class Repository:
    """A repository's work tree and where its metadata lives (the common directory of linked worktrees)."""

    top: Path
    git_dir: Path  # HEAD and the index
    common_dir: Path  # objects, refs, packed-refs, shallow, info/exclude

    @property
    def shallow(self) -> bool:
        return _regular_file(self.common_dir / "shallow")

    @property
    def partial(self) -> bool:
        """A partial clone: objects missing from it belong to a promisor remote (never asked here)."""
        try:
            with os.scandir(self.common_dir / "objects" / "pack") as entries:
                return any(entry.name.endswith(".promisor") for entry in entries)
        except OSError:
            return False


@dataclass(frozen=True)
class GitProblem:
    """Why git could not (or would not) answer for a directory: becomes a counted skip."""

    reason: str
    detail: str


def find_repository(directory: Path) -> Repository | GitProblem | None:
    """The repository whose work tree holds `directory`; None when there is none."""
    start = directory.resolve()
    if ".git" in start.parts:
        return None  # inside a repository's metadata, not its work tree
    ceilings = _ceilings()
    try:
        device = os.stat(start).st_dev
    except OSError:
        return None
    across = os.environ.get("GIT_DISCOVERY_ACROSS_FILESYSTEM", "").lower() in ("1", "true", "yes", "on")
    for candidate in (start, *start.parents):
        if candidate != start and candidate in ceilings:
            return None
        try:
            if not across and os.stat(candidate).st_dev != device:
                return None
            entry = os.stat(candidate / ".git")
        except OSError:
            continue
        if stat.S_ISREG(entry.st_mode):
            return _from_gitfile(candidate)
        if stat.S_ISDIR(entry.st_mode) and _git_directory(candidate / ".git") is not None:
            return _checked(Repository(candidate, candidate / ".git", candidate / ".git"))
    return None


def _from_gitfile(top: Path) -> Repository | GitProblem:
    """A `.git` file (linked worktree, submodule): `gitdir: <path>`, relative to the work tree."""
    gitfile = top / ".git"
    content = _read_small(gitfile)
    if content is None or not content.startswith(b"gitdir: "):
        return GitProblem("not-a-git-repository", f"{gitfile}: not a gitdir file")
    target = Path(os.fsdecode(content[len(b"gitdir: ") :].strip()))
    git_dir = (top / target).resolve()
    common = _git_directory(git_dir)
    if common is None:
        return GitProblem("not-a-git-repository", f"{gitfile}: {git_dir} is not a git directory")
    return _checked(Repository(top, git_dir, common))


def _git_directory(path: Path) -> Path | None:
    """The common directory of a git directory (itself, or what its `commondir` names); None if it is not one."""
    common = path
    pointer = _read_small(path / "commondir")
    if pointer is not None:
        common = (path / os.fsdecode(pointer.strip())).resolve()
    if _regular_file(path / "HEAD") and (common / "objects").is_dir() and (common / "refs").is_dir():
        return common
    return None


def _checked(repository: Repository) -> Repository | GitProblem:
    """git's own rule (safe.directory) made ours: metadata owned by someone else is not used."""
    if not hasattr(os, "geteuid"):
        return repository
    try:
        trusted = {os.geteuid(), os.stat(repository.top).st_uid}
        owners = {os.lstat(repository.top / ".git").st_uid, os.stat(repository.git_dir).st_uid}
    except OSError as error:
        return GitProblem("not-a-git-repository", f"{repository.top / '.git'}: {error.strerror}")
    if owners <= trusted:
        return repository
    return GitProblem(
        "untrusted-git-directory",
        f"{repository.git_dir} belongs to uid {max(owners - trusted)}, neither to this user nor to the owner "
        f"of {repository.top}: not used (tracked/ignored not told, history not read)",
    )


def _ceilings() -> set[Path]:
    value = os.environ.get("GIT_CEILING_DIRECTORIES", "")
    return {Path(part).resolve() for part in value.split(os.pathsep) if part and os.path.isabs(part)}


def _regular_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _read_small(path: Path) -> bytes | None:
    """A small regular file's bytes (never a FIFO, never a link's target); None otherwise."""
    if not _regular_file(path):
        return None
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        return os.read(fd, _GITFILE_LIMIT)
    except OSError:
        return None
    finally:
        os.close(fd)


class Git:
    """git commands on one repository, through a sandbox git directory (see the module docstring).

    Use as a context manager: the sandbox is a temporary directory, removed on exit. `index` replaces the
    repository's index (the pre-commit hook reads the one `git commit` names in GIT_INDEX_FILE).
    """

    def __init__(self, repository: Repository, index: Path | None = None) -> None:
        self.repository = repository
        self._index = index or repository.git_dir / "index"
        self._sandbox: Path | None = None

    def __enter__(self) -> Git:
        self._sandbox = Path(tempfile.mkdtemp(prefix="credscope-git-"))
        try:
            _build_sandbox(self._sandbox, self.repository, self._environment())
        except BaseException:
            shutil.rmtree(self._sandbox, ignore_errors=True)
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._sandbox is not None:
            shutil.rmtree(self._sandbox, ignore_errors=True)
            self._sandbox = None

    def run(
        self, args: list[str], stdin: bytes | None = None, timeout: float = _TIMEOUT
    ) -> subprocess.CompletedProcess[bytes] | None:
        """The finished command, whatever its exit code; None when git is missing or did not finish in time."""
        try:
            return subprocess.run(
                self._command(args),
                cwd=self.repository.top,
                input=stdin,
                stdin=None if stdin is not None else subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout,
                env=self._environment(),
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None

    def output(self, args: list[str], timeout: float = _TIMEOUT) -> bytes | None:
        """stdout of a command that succeeded; None otherwise."""
        done = self.run(args, timeout=timeout)
        return done.stdout if done is not None and done.returncode == 0 else None

    def stream(self, args: list[str], timeout: float, stdin: bool = False) -> subprocess.Popen[bytes]:
        """A running command whose stdout is read as it comes; killed if still running after `timeout` s."""
        process = subprocess.Popen(
            self._command(args),
            cwd=self.repository.top,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=self._environment(),
        )
        watchdog = threading.Timer(timeout, _kill, (process,))
        watchdog.daemon = True
        watchdog.start()
        return process

    def _active(self) -> Path:
        if self._sandbox is None:
            raise RuntimeError("Git is used outside its `with` block")
        return self._sandbox

    def _command(self, args: list[str]) -> list[str]:
        sandbox = self._active()
        return ["git", "--no-pager", f"--git-dir={sandbox}", f"--work-tree={self.repository.top}", *args]

    def _environment(self) -> dict[str, str]:
        # The caller's GIT_* variables (GIT_DIR, GIT_CONFIG_PARAMETERS, GIT_SSH_COMMAND ...) are dropped.
        environment = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k == "GIT_EXEC_PATH"}
        environment.update(
            GIT_CONFIG_NOSYSTEM="1",
            GIT_CONFIG_GLOBAL=os.devnull,
            GIT_ATTR_NOSYSTEM="1",
            GIT_OBJECT_DIRECTORY=str((self.repository.common_dir / "objects").resolve()),
            GIT_INDEX_FILE=str(self._index),
            GIT_OPTIONAL_LOCKS="0",
            GIT_NO_LAZY_FETCH="1",  # git >= 2.44; older ones have no remote to fetch from anyway
            GIT_NO_REPLACE_OBJECTS="1",  # refs/replace must not hide what history really holds
            GIT_TERMINAL_PROMPT="0",
            GIT_PAGER="cat",
            LC_ALL="C",
        )
        return environment


def _build_sandbox(sandbox: Path, repository: Repository, environment: dict[str, str]) -> None:
    common = repository.common_dir
    head = _read_small(repository.git_dir / "HEAD") or b""
    matched = _HEAD.fullmatch(head)
    (sandbox / "HEAD").write_bytes(matched.group(1) + b"\n" if matched else b"ref: refs/heads/credscope-none\n")
    (sandbox / "objects").mkdir()  # git wants one; GIT_OBJECT_DIRECTORY names the real store
    (sandbox / "info").mkdir()
    for linked, target in (
        ("refs", common / "refs"),
        ("packed-refs", common / "packed-refs"),
        ("shallow", common / "shallow"),
        ("info/exclude", common / "info" / "exclude"),
    ):
        if _regular_file(target) or (linked == "refs" and stat.S_ISDIR(_mode(target))):
            (sandbox / linked).symlink_to(target)
    if not (sandbox / "refs").exists():
        (sandbox / "refs").mkdir()
    copied = _copied_settings(sandbox, common / "config", environment)
    version = 1 if "extensions.objectformat" in copied else 0
    config = _SANDBOX_CONFIG.format(version=version, devnull=os.devnull)
    for key, value in copied.items():
        section, _, name = key.partition(".")
        config += f"[{section}]\n\t{name} = {value}\n"
    (sandbox / "config").write_text(config, encoding="utf-8")


def _copied_settings(sandbox: Path, config: Path, environment: dict[str, str]) -> dict[str, str]:
    """The few settings that say how to read the repository, parsed by git from its config file alone
    (`--file`: no includes, nothing else read)."""
    if not _regular_file(config):
        return {}
    (sandbox / "config").write_text("", encoding="utf-8")
    try:
        done = subprocess.run(
            ["git", f"--git-dir={sandbox}", "config", "--file", str(config), "--no-includes", "-z", "--list"],
            cwd=sandbox,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=_TIMEOUT,
            env=environment,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return {}
    settings: dict[str, str] = {}
    for item in done.stdout.split(b"\0"):
        key, _, value = item.decode("utf-8", "replace").partition("\n")
        if _COPIED.match(key) and _VALUES.match(value):
            settings[key] = value.lower()
    return settings


def _mode(path: Path) -> int:
    try:
        return os.lstat(path).st_mode
    except OSError:
        return 0


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()


@dataclass(frozen=True)
class GitStatus:
    """Classifies paths of one repository's work tree."""

    toplevel: Path
    untracked: frozenset[str]
    ignored_files: frozenset[str]
    ignored_dirs: tuple[str, ...]  # with trailing "/"
    untracked_dirs: tuple[str, ...] = ()  # nested repositories, with trailing "/"

    def reach_of(self, absolute: Path) -> Reach:
        try:
            relative = absolute.relative_to(self.toplevel).as_posix()
        except ValueError:
            return Reach.FILE
        return self.reach_of_relative(relative)

    def reach_of_relative(self, relative: str) -> Reach:
        """The reach of a path given relative to the top level, with `/` separators. git's own files (a
        repository's `.git/config`) are never tracked."""
        if relative in self.untracked or any(relative.startswith(d) for d in self.untracked_dirs):
            return Reach.UNTRACKED
        if relative.startswith(".git/") or "/.git/" in relative:
            return Reach.UNTRACKED
        if relative in self.ignored_files or any(relative.startswith(d) for d in self.ignored_dirs):
            return Reach.IGNORED
        return Reach.TRACKED


def git_status(directory: Path) -> GitStatus | GitProblem | None:
    """How git sees the work tree holding `directory`; None when it is in no repository."""
    found = find_repository(directory)
    if not isinstance(found, Repository):
        return found
    with Git(found) as git:
        untracked = git.output(["ls-files", "-z", "--others", "--exclude-standard"])
        ignored = git.output(["ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"])
    if untracked is None or ignored is None:
        return GitProblem("git-status-failed", "git cannot tell tracked from ignored files (corrupt repository?)")
    untracked_files, untracked_dirs = _split(untracked)
    ignored_files, ignored_dirs = _split(ignored)
    return GitStatus(found.top, untracked_files, ignored_files, ignored_dirs, untracked_dirs)


def _split(listing: bytes) -> tuple[frozenset[str], tuple[str, ...]]:
    """Files and directories (a trailing `/`) of an `ls-files -z` listing."""
    paths = [os.fsdecode(p) for p in listing.split(b"\0") if p]
    return frozenset(p for p in paths if not p.endswith("/")), tuple(p for p in paths if p.endswith("/"))
