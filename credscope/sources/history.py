"""Git history: every blob reachable from any ref, read once, tagged with the commit that introduced it.

A secret deleted in a later commit is still one `git log -p` away from an agent, so each blob
becomes a `history` document carrying the (oldest) commit, author date and path it was added at.

One `git rev-list --objects --in-commit-order --reverse` walk finds all three: oldest commit first, each
object is listed once, after the first commit whose tree holds it, with its path there. That walk never
expands a tree it has seen, so a git bomb (a few KB of trees naming the same subtree millions of times) costs
what its distinct objects cost; `git log --raw`, which lists every path of every commit and builds each
commit's whole diff in memory first, is not used. rev-list cuts a path at a newline: such a name is shown up
to it. git runs in credscope's sandbox (see `credscope.sources.git`): nothing the repository configures
runs, nothing is fetched or written; what a partial clone does not hold and how many commits a shallow clone
kept are said.

The walk lists the blobs; whoever detects in one reads it (`BlobReader`): a pool's workers each from a
`git cat-file --batch` of their own, so that git's inflating is spread over the CPUs and no blob's bytes pass
through the process that walks.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.util
import os
import queue
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

from credscope.errors import UsageError
from credscope.model import Blob, Candidate, Document, Reach, Skipped, Unread
from credscope.sources import SourceReport
from credscope.sources.exclusions import leaves_out, path_patterns
from credscope.sources.git import Git, GitProblem, Repository, find_repository
from credscope.sources.tree import looks_binary

DEFAULT_MAX_BLOB_SIZE = 20 * 1024 * 1024
_COMMIT_MARK = b"\x01"
_TIMEOUT = 600.0
# Object ids written to a git batch process at a time.
_FED = 1024
# Object ids a reader asks git for ahead of the one it reads: 200 of 65 characters (SHA-256) fill a fifth of a pipe.
_AHEAD = 200


@dataclass(frozen=True, slots=True)
class Introduction:
    """Where a blob first appeared: the commit that added it, that commit's author date, and the path."""

    commit: str
    author_date: str
    path: str
    age: int = 0  # position in the walk: smaller is older (breaks ties between equal dates)


@dataclass
class History:
    """What the walk listed: each object with a path where it was introduced, the missing ones, the commits."""

    introductions: dict[str, Introduction] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    commits: int = 0
    reached_shallow_boundary: bool = False  # a commit whose parents a shallow clone does not hold was walked


@dataclass
class HistorySource:
    """Every blob reachable from any ref of the repository containing `root`.

    `revisions` (commit ids, `^id` to exclude) narrow the walk to what they reach; `since` (`BASE` or
    `BASE..HEAD`, as --since takes it) narrows it to what HEAD (or HEAD) adds to BASE; `repository` names the
    repository instead of looking for the one holding `root` (a bare mirror the caller made)."""

    root: Path
    max_blob_size: int = DEFAULT_MAX_BLOB_SIZE
    name: str = "history"
    revisions: tuple[str, ...] = ()
    repository: Repository | None = None
    excluded: tuple[str, ...] = ()  # gitignore-style patterns (--exclude, `exclude:`) over each blob's path
    since: str | None = None

    def documents(self, report: SourceReport) -> Iterator[Document]:
        """Each blob read here (a scan lists them with `items`, and its workers read them)."""
        reader = BlobReader()
        try:
            for item in self.items(report):
                for got in reader(item):
                    if isinstance(got, Skipped):
                        report.skip(got.path, got.reason, got.detail)
                    else:
                        yield got
        finally:
            reader.close()

    def items(self, report: SourceReport) -> Iterator[Unread]:
        """Each blob to scan, listed: whoever detects in it reads it (`BlobReader`)."""
        found = self.repository or find_repository(self.root if self.root.is_dir() else self.root.parent)
        if found is None:
            report.skip(str(self.root), "not-a-git-repository", "--history needs a git repository")
            return
        if isinstance(found, GitProblem):
            report.skip(str(self.root), found.reason, found.detail)
            return
        with Git(found) as git:
            yield from self._listed(git, found, report)

    def _listed(self, git: Git, repository: Repository, report: SourceReport) -> Iterator[Unread]:
        where = str(self.root)
        revisions = resolve_range(git, repository, self.since) if self.since is not None else self.revisions
        history, sizes = _walk_and_size(git, revisions, _shallow_commits(repository))
        if history is None:
            # A repository without any commit has no history; one whose refs git cannot walk is reported.
            refs = git.output(["for-each-ref", "--count=1", "--format=%(refname)"])
            if refs is None or refs.strip():
                report.skip(where, "unreadable-history", "git cannot walk the history: corrupt repository?")
            return
        if self.since is not None and history.reached_shallow_boundary:
            # The range runs past what the clone holds: its first commits' blobs are read as wholes, and the
            # commits between them and BASE are missing.
            base, head = parse_range(self.since)
            report.skip(
                where,
                "shallow-history",
                f"shallow clone: {history.commits} commit(s) of {base}..{head} read, down to the shallow boundary: "
                "commits before it are not in this clone (fetch them: git fetch --deepen=N, or fetch-depth: 0)",
            )
        elif self.since is None and repository.shallow:
            report.skip(
                where, "shallow-history", f"shallow clone: {history.commits} commit(s); older history not available"
            )
        introductions = history.introductions
        if history.missing and repository.partial:
            report.skip(
                where,
                "missing-objects",
                f"partial clone: {len(history.missing)} object(s) not present locally, not fetched: not scanned",
            )
        elif history.missing:  # rev-list names no path for them
            for object_id in history.missing:
                report.skip(object_id, "unreadable", "missing from the repository: corrupt repository?")

        def display(blob: str) -> str:
            introduction = introductions.get(blob)
            return f"{introduction.path if introduction else ''}@{blob[:12]}"

        patterns = path_patterns(self.excluded)
        wanted: list[str] = []
        for blob, size in sizes.items():
            path = introductions[blob].path
            if leaves_out(patterns, path, False, lambda: 1, report, shown=display(blob)):
                continue
            if size < 0:
                report.skip(display(blob), "unreadable", "git cannot read the object: corrupt repository?")
            elif size > self.max_blob_size:
                report.skip(display(blob), "too-large", f"{size} bytes in history")
            else:
                wanted.append(blob)
        # Oldest first, so that among equal author dates the first sighting is the introduction.
        wanted.sort(key=lambda blob: introductions[blob].age)
        root, git_dir, common_dir = str(repository.top), str(repository.git_dir), str(repository.common_dir)
        for blob in wanted:
            introduction = introductions[blob]
            origin = Blob(blob, introduction.commit or None, introduction.author_date or None, git_dir, common_dir)
            yield Unread(introduction.path, "", Reach.HISTORY, root, self.max_blob_size, sizes[blob], origin)


class BlobReader:
    """Reads listed history blobs (`Unread` with a `blob`) where they are detected, in a pool's worker or here: one
    `git cat-file --batch` per repository and process, in the process's own sandbox (the walk's is gone once the
    source has listed everything, while workers still read), asked for a batch's blobs ahead (`ahead`) or for one
    at a time. Pickled, it carries nothing: each process starts its own git, closed by `close`, or when a pool's
    worker exits."""

    def __init__(self) -> None:
        self._open: dict[tuple[str, str, str], _CatFile] = {}
        self._pid = os.getpid()

    def __getstate__(self) -> dict[str, object]:
        return {}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__()  # type: ignore[misc]

    def __call__(self, item: Unread) -> Iterator[Document | Skipped]:
        """The blob as a `history` document; binary and unreadable ones as skips, named `path@<blob>`."""
        origin = item.blob
        assert origin is not None, f"{item.path}: not a history blob"
        shown = f"{item.path}@{origin.object_id[:12]}"
        content = self._cat_file(item.root, origin).read(origin.object_id)
        if content is None:
            yield Skipped(shown, "unreadable", "git cannot read the object: corrupt repository?")
        elif looks_binary(content):
            yield Skipped(shown, "binary")
        else:
            yield Document(
                path=item.path,
                content=content,
                reach=Reach.HISTORY,
                root=item.root,
                commit=origin.commit,
                author_date=origin.author_date,
                hints={"blob": origin.object_id},
            )

    def ahead(self, items: Iterable[object]) -> None:
        """The listed blobs among `items` are read next, in this order: git is asked for them ahead."""
        for item in items:
            if isinstance(item, Unread) and item.blob is not None:
                self._cat_file(item.root, item.blob).plan(item.blob.object_id)

    def close(self) -> None:
        """Stop this process's git processes and remove their sandboxes."""
        if self._pid != os.getpid():  # a fork's copy: those are the parent's to close
            self._open, self._pid = {}, os.getpid()
        _close_all(self._open)

    def _cat_file(self, root: str, origin: Blob) -> _CatFile:
        if self._pid != os.getpid():
            self._open, self._pid = {}, os.getpid()
        key = (root, origin.git_dir, origin.common_dir)
        cat_file = self._open.get(key)
        if cat_file is None:
            if not self._open and multiprocessing.parent_process() is not None:
                # A pool's worker exits without returning to whoever made this reader: its gits are closed on the
                # way out (or when the reader is dropped first; the finaliser holds the table, not the reader).
                multiprocessing.util.Finalize(self, _close_all, args=(self._open,), exitpriority=10)
            cat_file = self._open[key] = _CatFile(Repository(Path(root), Path(origin.git_dir), Path(origin.common_dir)))
        return cat_file


def _close_all(open_files: dict[tuple[str, str, str], _CatFile]) -> None:
    while open_files:
        open_files.popitem()[1].close()


class _CatFile:
    """One `git cat-file --batch`, in a sandbox of its own. The blobs planned next (`plan`) are asked ahead, a few
    at a time, so that git reads them while this process detects in earlier ones; any other is asked alone."""

    def __init__(self, repository: Repository) -> None:
        self._git = Git(repository).__enter__()
        self._process: subprocess.Popen[bytes] | None = None
        self._planned: deque[str] = deque()  # to be asked, in the order they will be read
        self._asked: deque[str] = deque()  # written to git, their answers not read yet

    def plan(self, object_id: str) -> None:
        self._planned.append(object_id)

    def read(self, object_id: str) -> bytes | None:
        """The blob's content; None when git cannot give it (missing, corrupt). git stops at a corrupt object: it
        is started again for the next one."""
        for _ in range(2):
            process = self._started()
            assert process.stdin is not None and process.stdout is not None
            try:
                due = self._asked or self._planned
                if not due or due[0] != object_id:  # out of the planned order: the answers asked are dropped
                    self._planned.clear()
                    while self._asked:
                        _answer(process.stdout, self._asked.popleft())
                    self._planned.append(object_id)
                self._ask_ahead(process.stdin)
                return _answer(process.stdout, self._asked.popleft())
            except (OSError, ValueError):
                pass
            self._stop()  # died (a corrupt object, the watchdog) or answered out of step
        return None

    def _ask_ahead(self, stdin: IO[bytes]) -> None:
        """Write the planned ids until `_AHEAD` wait for their answers: never more than the pipe holds, so git,
        which stops reading ids while its answers are not read, cannot make this write wait."""
        asking = [self._planned.popleft() for _ in range(min(len(self._planned), _AHEAD - len(self._asked)))]
        if asking:
            stdin.write("".join(f"{object_id}\n" for object_id in asking).encode("ascii"))
            stdin.flush()
            self._asked.extend(asking)

    def close(self) -> None:
        self._stop()
        self._git.__exit__(None, None, None)

    def _started(self) -> subprocess.Popen[bytes]:
        if self._process is None:
            self._process = self._git.stream(["cat-file", "--batch"], _TIMEOUT, stdin=True)
        return self._process

    def _stop(self) -> None:
        process, self._process = self._process, None
        self._planned.clear()
        self._asked.clear()
        if process is None:
            return
        for pipe in (process.stdin, process.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def parse_range(spec: str) -> tuple[str, str]:
    """--since's `BASE` or `BASE..HEAD` (`BASE..` alike) as (BASE, HEAD); nothing else (`A...B`, `..B`)."""
    base, _, head = spec.partition("..")
    if not base or head.startswith(".") or ".." in head:
        raise UsageError(f"--since: {spec!r}: give BASE or BASE..HEAD")
    return base, head or "HEAD"


def resolve_range(git: Git, repository: Repository, spec: str) -> tuple[str, ...]:
    """The rev-list arguments for --since: HEAD's commit id and BASE's excluded (`^id`)."""
    base, head = parse_range(spec)
    ids = []
    for name in (head, base):
        # --end-of-options: a name that looks like an option is a revision that does not exist, nothing else.
        found = git.output(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{name}^{{commit}}"])
        if not found:
            fetch = f"git fetch --depth=1 origin {name}"
            hint = f" (a shallow clone? fetch it first: {fetch})" if repository.shallow else ""
            raise UsageError(f"--since: {name!r} is not a commit in {repository.top}{hint}")
        ids.append(found.decode("ascii").strip())
    return ids[0], f"^{ids[1]}"


def check_range(root: Path, spec: str) -> None:
    """Refuse, before any work, a --since that `root`'s repository cannot walk (a UsageError saying why)."""
    parse_range(spec)
    found = find_repository(root if root.is_dir() else root.parent)
    if not isinstance(found, Repository):
        detail = f" ({found.detail})" if found is not None else ""
        raise UsageError(f"--since: {root} is not in a git repository{detail}")
    with Git(found) as git:
        resolve_range(git, found, spec)


def _shallow_commits(repository: Repository) -> frozenset[bytes]:
    """The commits of a shallow clone whose parents it does not hold (its `shallow` file)."""
    if not repository.shallow:
        return frozenset()
    try:
        return frozenset((repository.common_dir / "shallow").read_bytes().split())
    except OSError:
        return frozenset()


def _walk_and_size(
    git: Git, revisions: tuple[str, ...], shallow: frozenset[bytes]
) -> tuple[History | None, dict[str, int]]:
    """`walk`, and `_blob_sizes` of every object it names, asked as the walk names them: git lists and sizes
    at once (on 30,000 commits the walk takes 0.75 s and the sizes 0.45 s more, while no blob can be read)."""
    named: queue.SimpleQueue[str | None] = queue.SimpleQueue()
    sizes: dict[str, int] = {}
    failed: list[BaseException] = []

    def size() -> None:
        try:
            sizes.update(_blob_sizes(git, iter(named.get, None)))
        except BaseException as error:  # noqa: BLE001 - raised again in the caller's thread below
            failed.append(error)

    sizing = threading.Thread(target=size, daemon=True)
    sizing.start()
    try:
        history = walk(git, revisions, shallow, named=named.put)
    finally:
        named.put(None)
        sizing.join()
    if failed:
        raise failed[0]
    return history, sizes


def walk(
    git: Git,
    revisions: tuple[str, ...] = (),
    shallow: frozenset[bytes] = frozenset(),
    named: Callable[[str], object] | None = None,
) -> History | None:
    """Every object reachable from any ref (or from `revisions`), once, with the oldest commit that holds it;
    None if git fails. `shallow` names a shallow clone's boundary commits: the history says if it walked one.
    `named` is given each object id as the walk lists it.

    Objects the repository does not hold (a partial clone's, or lost) are listed apart, never fetched: the
    sandbox names no remote to fetch them from."""
    history = History()
    commit, date = "", ""
    # In a shallow clone the walk from HEAD may never reach BASE through parents, so BASE's tree would not be
    # subtracted: --objects-edge-aggressive marks the trees of every excluded commit (and names them, `-<id>`).
    excluding = bool(shallow) and any(revision.startswith("^") for revision in revisions)
    process = git.stream(
        [
            "rev-list",
            "--objects-edge-aggressive" if excluding else "--objects",
            "--in-commit-order",  # each commit's new objects right after it ...
            "--reverse",  # ... oldest commit first ...
            "--date-order",  # ... parents before children, otherwise by date
            "--missing=print",
            "--format=%x01%H %aI",
            *(["--end-of-options", *revisions] if revisions else ["--all"]),
        ],
        _TIMEOUT,
    )
    assert process.stdout is not None
    # os.fsdecode, without its checks of the argument's type: this loop runs once per object of the history.
    encoding, errors = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()
    with process.stdout:
        for age, line in enumerate(process.stdout):
            first = line[:1]
            if first == _COMMIT_MARK:
                commit, _, date = line[1:].rstrip(b"\n").decode("ascii", "replace").partition(" ")
                history.commits += 1
                history.reached_shallow_boundary |= commit.encode("ascii") in shallow
            elif first == b"?":
                history.missing.append(line[1:].rstrip(b"\n").decode("ascii"))
            elif first != b"-" and not (first == b"c" and line.startswith(b"commit ")):
                # `-<id>`: an excluded commit at the edge. Trees and blobs, with their path in the commit's
                # tree; a root tree, or a blob a ref names directly (listed before any commit), has none.
                object_id, _, path = line.rstrip(b"\n").partition(b" ")
                name = object_id.decode("ascii")
                history.introductions[name] = Introduction(commit, date, path.decode(encoding, errors) or name, age)
                if named is not None:
                    named(name)
    return history if process.wait() == 0 else None


def _blob_sizes(git: Git, objects: Iterable[str]) -> dict[str, int]:
    """Which of `objects` are blobs, with their sizes, from one `cat-file --batch-check` (fed as they come)."""
    output = _batch(git, ["cat-file", "--batch-check=%(objectname) %(objecttype) %(objectsize)"], objects)
    sizes: dict[str, int] = {}
    for line in output.read().splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[1] == b"blob":
            sizes[fields[0].decode("ascii")] = int(fields[2])
        elif len(fields) == 2 and fields[1] == b"missing":
            sizes[fields[0].decode("ascii")] = -1  # listed by rev-list, unreadable now: corrupt
    return sizes


def _answer(stdout: IO[bytes], object_id: str) -> bytes | None:
    """git's answer for `object_id`: its content, or None if it is missing. ValueError if it answered another."""
    fields = stdout.readline().split()
    if len(fields) == 2 and fields[0].decode("ascii") == object_id and fields[1] == b"missing":
        return None
    if len(fields) != 3 or fields[0].decode("ascii") != object_id:
        raise ValueError(f"git answered {fields!r} for {object_id}")
    size = int(fields[2])
    content = stdout.read(size)
    if len(content) != size or stdout.read(1) != b"\n":
        raise ValueError(f"git's answer for {object_id} ended early")
    return content


class _BatchOutput:
    """stdout of a git batch process, fed from a thread so neither pipe can fill up and deadlock."""

    def __init__(self, process: subprocess.Popen[bytes], feeder: threading.Thread) -> None:
        self._process = process
        self._feeder = feeder
        assert process.stdout is not None
        self._stdout = process.stdout

    def readline(self) -> bytes:
        line = self._stdout.readline()
        if not line:
            self._close()
        return line

    def read(self, size: int = -1) -> bytes:
        data = self._stdout.read(size)
        if size < 0:
            self._close()
        return data

    def _close(self) -> None:
        self._feeder.join()
        self._stdout.close()
        self._process.wait()


def _batch(git: Git, args: list[str], objects: Iterable[str]) -> _BatchOutput:
    """A git batch process fed `objects` from a thread, in pieces of _FED bytes as they come."""
    process = git.stream(args, _TIMEOUT, stdin=True)

    def feed() -> None:
        assert process.stdin is not None
        try:
            piece: list[str] = []
            for object_id in objects:
                piece.append(object_id)
                if len(piece) >= _FED:
                    process.stdin.write(("\n".join(piece) + "\n").encode("ascii"))
                    piece.clear()
            if piece:
                process.stdin.write(("\n".join(piece) + "\n").encode("ascii"))
        except BrokenPipeError:
            pass
        finally:
            with contextlib.suppress(BrokenPipeError):  # buffered ids left for a process that is gone
                process.stdin.close()

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    return _BatchOutput(process, feeder)


def first_sightings(candidates: Iterable[Candidate]) -> list[Candidate]:
    """One history location per secret and path: the commit that introduced it, not every later copy.

    A file edited ten times with the secret unchanged is ten blobs; the reader needs the commit to
    look at (the oldest) and the fact that history holds it, not ten near-identical locations.
    """
    kept: dict[tuple[str, str], Candidate] = {}
    others: list[Candidate] = []
    for candidate in candidates:
        location = candidate.location
        if location.reach is not Reach.HISTORY:
            others.append(candidate)
            continue
        key = (candidate.fingerprint, location.path)
        previous = kept.get(key)
        if previous is None or _instant(location.author_date) < _instant(previous.location.author_date):
            kept[key] = candidate
    return [*others, *kept.values()]


def _instant(author_date: str | None) -> float:
    if not author_date:
        return float("inf")
    try:
        return datetime.fromisoformat(author_date).timestamp()
    except ValueError:
        return float("inf")
