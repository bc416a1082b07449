"""The default branch's tree of a bare mirror, read from git's object store: what a clone would check out.

`git ls-tree -r -z -l` lists the files with their sizes, one `git cat-file --batch` streams their contents, and
each becomes a `tracked` document tagged with the commit it was read at. The same exclusions, size limit and
binary rule as a scan of a working tree; symlinks and submodules are named and skipped, never followed.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from credscope.model import Document, Reach
from credscope.org.mirror import git_environment, read_git
from credscope.sources import SourceReport
from credscope.sources.exclusions import leaves_out, path_patterns
from credscope.sources.tree import TreeOptions, looks_binary

_SYMLINK, _GITLINK = b"120000", b"160000"


@dataclass
class MirrorTreeSource:
    """The files of `commit`'s tree in the bare repository `mirror`."""

    mirror: Path
    commit: str
    options: TreeOptions = field(default_factory=TreeOptions)
    name: str = "tree"

    def documents(self, report: SourceReport) -> Iterator[Document]:
        wanted = list(self._entries(report))
        if not wanted:
            return
        read: set[str] = set()
        for (path, _blob), content in zip(wanted, read_blobs(self.mirror, [blob for _, blob in wanted]), strict=False):
            if content is None:
                continue  # named below
            read.add(path)
            if looks_binary(content):
                report.skip(path, "binary")
                continue
            yield Document(path=path, content=content, reach=Reach.TRACKED, root=str(self.mirror), commit=self.commit)
        for path, blob in wanted:
            if path not in read:
                report.skip(path, "unreadable", f"git cannot read blob {blob[:12]}: corrupt repository?")

    def _entries(self, report: SourceReport) -> Iterator[tuple[str, str]]:
        listing = read_git(self.mirror, ["ls-tree", "-r", "-z", "-l", "--full-tree", self.commit])
        if listing is None:
            report.skip(".", "unreadable-tree", f"git cannot list the tree of {self.commit[:12]}: corrupt repository?")
            return
        excluded_dirs: set[str] = set()
        patterns = path_patterns(self.options.excluded_paths)  # --exclude and `exclude:`, gitignore-style
        for entry in listing.split(b"\0"):
            meta, _, raw_path = entry.partition(b"\t")
            fields = meta.split()
            if len(fields) != 4:
                continue
            mode, _kind, blob, size = fields
            path = os.fsdecode(raw_path)
            if leaves_out(patterns, path, False, lambda: 1, report):
                continue
            excluded = self._excluded(path)
            if excluded is not None:
                if excluded not in excluded_dirs and excluded.endswith("/"):
                    excluded_dirs.add(excluded)
                    report.skip(excluded, "excluded-directory")
                continue
            if mode == _GITLINK:
                report.skip(path, "submodule", "a submodule is another repository: not fetched")
            elif mode == _SYMLINK:
                report.skip(path, "symlink", "a link in the tree is not followed")
            elif not size.isdigit():
                report.skip(path, "not-a-regular-file")
            elif int(size) > self.options.max_file_size:
                report.skip(path, "too-large", f"{int(size)} bytes")
            else:
                yield path, blob.decode("ascii")

    def _excluded(self, path: str) -> str | None:
        """The built-in excluded directory (with a trailing `/`) that covers `path`, else None."""
        parts = path.split("/")[:-1]
        for depth, part in enumerate(parts):
            if part in self.options.excluded_dirs:
                return "/".join(parts[: depth + 1]) + "/"
        return None


def read_blobs(mirror: Path, blobs: list[str]) -> Iterator[bytes | None]:
    """Each blob's content in order (None for one git cannot find), from one `git cat-file --batch`."""
    process = subprocess.Popen(
        ["git", "-c", "core.hooksPath=/dev/null", "cat-file", "--batch"],
        cwd=mirror,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=git_environment(),
    )
    assert process.stdin is not None and process.stdout is not None
    payload = "".join(f"{blob}\n" for blob in blobs).encode("ascii")
    stdin = process.stdin

    def feed() -> None:  # from a thread, so that neither pipe can fill up and deadlock
        try:
            stdin.write(payload)
        except BrokenPipeError:
            pass
        finally:
            stdin.close()

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    try:
        for _ in blobs:
            header = process.stdout.readline().split()
            if len(header) == 2:
                yield None  # "<id> missing"
                continue
            if len(header) != 3:
                return  # git stopped
            content = process.stdout.read(int(header[2]))
            process.stdout.read(1)  # the newline after each object
            yield content
    finally:
        process.stdout.close()
        process.kill()
        process.wait()
        feeder.join()
