"""History blobs are listed by the walk and read by whoever detects in them: a pool's workers each read from their
own `git cat-file`, in their own sandbox, removed when they exit (sources/history.py `BlobReader`)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from credscope.catalogue import load_catalogue
from credscope.detect.engine import Detector
from credscope.detect.parallel import Listed, detect_all
from credscope.model import Document, Reach, Unread
from credscope.sources import SourceReport
from credscope.sources.history import BlobReader, HistorySource
from credscope.sources.tree import Reading

from helpers import Repo, token

DETECTOR = Detector(load_catalogue())


def _history(repo: Repo, commits: int) -> dict[str, str]:
    """`commits` commits, each adding a file with a token and changing a binary file: token -> its commit."""
    added: dict[str, str] = {}
    for index in range(commits):
        secret = token("{{github:ghp}}")
        repo.write(f"ops/deploy-{index}.sh", f"export GITHUB_TOKEN={secret}\n")
        repo.write("logo.bin", bytes([0, 1, 2, index]))
        added[secret] = repo.commit(f"deploy {index}")
    return added


def _scan(root: Path, jobs: int) -> tuple[list[tuple[str, str | None, list[str]]], list[tuple[str, str]]]:
    """What detection reported for each blob (path, commit, secrets), and what reading skipped."""
    source, report, reading = HistorySource(root), SourceReport(), Reading()
    found: list[tuple[str, str | None, list[str]]] = []
    skipped: list[tuple[str, str]] = []
    try:
        items = list(source.items(report))
        assert items and all(isinstance(item, Unread) and item.blob is not None for item in items)
        for subject, candidates, _ in detect_all(DETECTOR, items, jobs, 0, 1, read=reading):
            assert isinstance(subject, Listed)
            skipped.extend((skip.path, skip.reason) for skip in subject.skipped)
            if subject.read:
                commits = {c.location.commit for c in candidates}
                assert len(commits) <= 1
                found.append((subject.path, next(iter(commits), None), sorted(c.secret for c in candidates)))
    finally:
        reading.close()
    return found, skipped


def test_workers_read_the_blobs_and_report_what_this_process_would(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    added = _history(repo, 12)
    sandboxes = tmp_path / "tmp"
    sandboxes.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(sandboxes))
    monkeypatch.setenv("TMPDIR", str(sandboxes))

    pooled = _scan(repo.path, jobs=2)
    alone = _scan(repo.path, jobs=1)

    assert pooled == alone
    found, skipped = pooled
    assert {secret: commit for _, commit, secrets in found for secret in secrets} == added
    assert [reason for _, reason in skipped] == ["binary"] * 12
    # Every process's sandbox is gone, the workers' included (multiprocessing's own pymp-* goes at exit).
    assert list(sandboxes.glob("credscope-git-*")) == []


def test_a_git_that_died_is_started_again_for_the_next_blob(repo: Repo) -> None:
    added = _history(repo, 3)
    items = [item for item in HistorySource(repo.path).items(SourceReport()) if item.path.endswith(".sh")]
    reader = BlobReader()
    try:
        documents = []
        for item in items:
            for cat_file in reader._open.values():
                process = cat_file._process
                if process is not None:
                    process.kill()  # as the watchdog would, or git stopping at a corrupt object
                    process.wait()
            documents.extend(got for got in reader(item) if isinstance(got, Document))
    finally:
        reader.close()
    assert [d.reach for d in documents] == [Reach.HISTORY] * 3
    assert sorted(d.content.decode().split("=")[1].strip() for d in documents) == sorted(added)


def test_blobs_asked_ahead_come_back_whatever_order_they_are_read_in(repo: Repo) -> None:
    added = _history(repo, 5)
    items = [item for item in HistorySource(repo.path).items(SourceReport()) if item.path.endswith(".sh")]
    reader = BlobReader()
    try:
        reader.ahead(items)
        order = [0, 1, 3, 2, 4, 0]  # one read out of the planned order, one read again
        read = [next(got for got in reader(items[index]) if isinstance(got, Document)) for index in order]
    finally:
        reader.close()
    for document, index in zip(read, order, strict=True):
        origin = items[index].blob
        assert origin is not None
        secret = document.content.decode().split("=")[1].strip()
        # Each document is the blob asked for: its own path and commit, and the secret that commit added.
        assert (document.path, document.commit) == (items[index].path, origin.commit)
        assert added[secret] == origin.commit
