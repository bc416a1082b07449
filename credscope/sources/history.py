"""Git history: every blob reachable from any ref, read once, tagged with the commit that introduced it.

A secret deleted in a later commit is still one `git log -p` away from an agent, so each blob
becomes a `history` document carrying the (oldest) commit, author date and path it was added at.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from credscope.model import Candidate, Document, Reach
from credscope.sources import SourceReport
from credscope.sources.git import git_environment, run_git, safe_git_command

DEFAULT_MAX_BLOB_SIZE = 20 * 1024 * 1024
_BINARY_SNIFF = 8192
_COMMIT_MARK = "\x01"


@dataclass(frozen=True)
class Introduction:
    """Where a blob first appeared: the commit that added it, that commit's author date, and the path."""

    commit: str
    author_date: str
    path: str
    age: int = 0  # position in `git log` output: larger is older (breaks ties between equal dates)


@dataclass
class HistorySource:
    """Every blob reachable from any ref of the repository containing `root`."""

    root: Path
    max_blob_size: int = DEFAULT_MAX_BLOB_SIZE
    name: str = "history"

    def documents(self, report: SourceReport) -> Iterator[Document]:
        top = run_git(["rev-parse", "--show-toplevel"], self.root if self.root.is_dir() else self.root.parent)
        if top is None:
            report.skip(str(self.root), "not-a-git-repository", "--history needs a git repository")
            return
        toplevel = Path(os.fsdecode(top.stdout.strip()))
        listed = run_git(["rev-list", "--objects", "--all"], toplevel, timeout=600)
        if listed is None:
            # A repository without any commit has no history; one whose refs git cannot walk is reported.
            refs = run_git(["for-each-ref", "--count=1", "--format=%(refname)"], toplevel)
            if refs is None or refs.stdout.strip():
                report.skip(str(self.root), "unreadable-history", "git cannot walk the history: corrupt repository?")
            return
        named = _object_paths(listed.stdout)
        introductions = introductions_of(toplevel)
        sizes = _blob_sizes(toplevel, list(named))
        wanted: list[str] = []
        for blob, size in sizes.items():
            where = introductions.get(blob)
            display = where.path if where else named[blob]
            if size < 0:
                report.skip(f"{display}@{blob[:12]}", "unreadable", "git cannot read the object: corrupt repository?")
            elif size > self.max_blob_size:
                report.skip(f"{display}@{blob[:12]}", "too-large", f"{size} bytes in history")
            else:
                wanted.append(blob)
        # Oldest first, so that among equal author dates the first sighting is the introduction.
        wanted.sort(key=lambda blob: -introductions[blob].age if blob in introductions else 1)
        read: set[str] = set()
        for blob, content in _read_blobs(toplevel, wanted):
            read.add(blob)
            where = introductions.get(blob)
            path = where.path if where else named[blob]
            if b"\0" in content[:_BINARY_SNIFF]:
                report.skip(f"{path}@{blob[:12]}", "binary")
                continue
            yield Document(
                path=path,
                content=content,
                reach=Reach.HISTORY,
                root=str(toplevel),
                commit=where.commit if where else None,
                author_date=where.author_date if where else None,
                hints={"blob": blob},
            )
        # git stops at a corrupt object: that blob and any after it are named, never silently dropped.
        for blob in wanted:
            if blob not in read:
                where = introductions.get(blob)
                path = where.path if where else named[blob]
                report.skip(f"{path}@{blob[:12]}", "unreadable", "git cannot read the object: corrupt repository?")


def introductions_of(toplevel: Path) -> dict[str, Introduction]:
    """Blob id -> the oldest commit (on any ref) whose diff adds or changes a file to that blob, in one pass."""
    log = run_git(
        [
            "log",
            "--all",
            "-m",  # merges that resolve a conflict introduce blobs too
            "--root",
            "--raw",
            "--no-ext-diff",  # an untrusted repository's diff drivers must never run
            "--no-textconv",
            "--no-abbrev",
            "--no-renames",
            "--diff-filter=AMT",
            "-z",
            f"--format={_COMMIT_MARK}%H %aI",
        ],
        toplevel,
        timeout=600,
    )
    if log is None:
        return {}
    found: dict[str, Introduction] = {}
    commit, date = "", ""
    tokens = log.stdout.split(b"\0")
    index = 0
    while index < len(tokens):
        token = tokens[index].lstrip(b"\n")
        index += 1
        if token.startswith(_COMMIT_MARK.encode()):
            commit, _, date = token[1:].decode("ascii", "replace").partition(" ")
        elif token.startswith(b":") and index < len(tokens):
            fields = token.split()
            path = os.fsdecode(tokens[index])
            index += 1
            if len(fields) >= 4:
                # git log lists newest first: the last sighting is the oldest introduction.
                found[fields[3].decode("ascii")] = Introduction(commit, date, path, index)
    return found


def _object_paths(rev_list: bytes) -> dict[str, str]:
    """Object id -> a path it was seen at; rev-list --objects names blobs (and trees) that have one."""
    paths: dict[str, str] = {}
    for line in rev_list.splitlines():
        object_id, _, path = line.partition(b" ")
        if path:
            paths.setdefault(object_id.decode("ascii"), os.fsdecode(path))
    return paths


def _blob_sizes(toplevel: Path, objects: list[str]) -> dict[str, int]:
    """Which of `objects` are blobs, with their sizes, from one `cat-file --batch-check`."""
    output = _batch(toplevel, ["cat-file", "--batch-check=%(objectname) %(objecttype) %(objectsize)"], objects)
    sizes: dict[str, int] = {}
    for line in output.read().splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[1] == b"blob":
            sizes[fields[0].decode("ascii")] = int(fields[2])
        elif len(fields) == 2 and fields[1] == b"missing":
            sizes[fields[0].decode("ascii")] = -1  # listed by rev-list, unreadable now: corrupt (or partial clone)
    return sizes


def _read_blobs(toplevel: Path, blobs: list[str]) -> Iterator[tuple[str, bytes]]:
    """Each blob's content, streamed from one `git cat-file --batch`."""
    if not blobs:
        return
    stream = _batch(toplevel, ["cat-file", "--batch"], blobs)
    while True:
        header = stream.readline()
        if not header:
            return
        fields = header.split()
        if len(fields) != 3:
            continue  # "<id> missing": a shallow or partial clone
        content = stream.read(int(fields[2]))
        stream.read(1)  # the newline after each object
        yield fields[0].decode("ascii"), content


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


def _batch(toplevel: Path, args: list[str], objects: Iterable[str]) -> _BatchOutput:
    process = subprocess.Popen(
        [*safe_git_command(), *args],
        cwd=toplevel,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=git_environment(),
    )
    payload = "".join(f"{object_id}\n" for object_id in objects).encode("ascii")

    def feed() -> None:
        assert process.stdin is not None
        try:
            process.stdin.write(payload)
        except BrokenPipeError:
            pass
        finally:
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
