"""How the pool hands out work: a large listed file goes out as soon as it is listed, results come back in order."""

from __future__ import annotations

import platform
import random
import string
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest

from credscope.api import ScanOptions, scan
from credscope.catalogue import load_catalogue
from credscope.detect import parallel
from credscope.detect.engine import Detector
from credscope.model import Document, Reach, Unread
from credscope.sources import SourceReport
from credscope.sources.tree import TreeSource, reading

from helpers import token


def _listed(path: str, size: int) -> Unread:
    return Unread(path, f"/nowhere/{path}", Reach.FILE, "/nowhere", 10 * 1024 * 1024, size)


class _Recorder:
    """A submit that runs nothing: it records what was handed out, and how much of the stream had been drawn."""

    def __init__(self) -> None:
        self.drawn = 0
        self.submitted: list[tuple[list[str], int]] = []

    def stream(self, items: list[parallel.Item]) -> Iterator[parallel.Item]:
        for item in items:
            self.drawn += 1
            yield item

    def submit(self, batch: list[parallel.Item]) -> Future[list[list[parallel._Sent]]]:
        self.submitted.append(([item.path for item in batch], self.drawn))
        done: Future[list[list[parallel._Sent]]] = Future()
        done.set_result([])
        return done


def test_a_large_listed_file_is_handed_out_before_the_files_listed_ahead_of_it() -> None:
    small = [_listed(f"small/{n}.py", 100) for n in range(900)]
    heavy = _listed("dist/bundle.js", parallel._HEAVY_BYTES)
    items: list[parallel.Item] = [*small[:700], heavy, *small[700:]]
    recorder = _Recorder()
    scheduled = list(parallel._scheduled(recorder.stream(items), recorder.submit))

    # Results still come back in document order, each item once; the large file is a batch of its own.
    assert [item for batch, _ in scheduled for item in batch] == items
    alone = [batch for batch, _ in scheduled if heavy in batch]
    assert alone == [[heavy]]
    # ... but it is handed out before the batches of the 700 files listed ahead of it.
    order = [paths for paths, _ in recorder.submitted]
    assert order.index(["dist/bundle.js"]) < next(i for i, paths in enumerate(order) if "small/699.py" in paths)
    assert sorted(path for paths in order for path in paths) == sorted(item.path for item in items)
    # The first batch is not held back until the whole lookahead is listed.
    assert recorder.submitted[0][1] <= 3 * parallel._BATCH_FILES


def test_documents_read_here_are_not_read_further_ahead_than_a_batch() -> None:
    # A window of a file over the size limit, a blob from history: its bytes are held here until its batch is done.
    piece = 100 * 1024
    documents: list[parallel.Item] = [
        Document(path=f"blob/{n}", content=b"x" * piece, reach=Reach.HISTORY) for n in range(60)
    ]
    recorder = _Recorder()
    scheduled = list(parallel._scheduled(recorder.stream(documents), recorder.submit))
    assert [item for batch, _ in scheduled for item in batch] == documents
    handed_out = 0
    for paths, drawn in recorder.submitted:
        handed_out += len(paths)
        assert (drawn - handed_out) * piece <= parallel._BATCH_BYTES + piece


def test_listed_files_go_out_in_batches_of_many_megabytes() -> None:
    # A listed file holds no bytes here: its batch is weighed by what it stands for, up to _BATCH_LISTED, not by the
    # megabyte of bytes a batch of documents read here may hold. Each batch is a submit, a wakeup of the pool's
    # threads here and a result to take back: at a megabyte, fifteen hundred of them over 1.7 GB.
    middling = [_listed(f"lib/{n}.js", 300 * 1024) for n in range(200)]
    recorder = _Recorder()
    scheduled = list(parallel._scheduled(recorder.stream(middling), recorder.submit))
    assert [item for batch, _ in scheduled for item in batch] == middling
    weights = [sum(item.size for item in batch) for batch, _ in scheduled]
    assert all(weight >= parallel._BATCH_LISTED for weight in weights[:-1])
    assert all(weight < parallel._BATCH_LISTED + 300 * 1024 for weight in weights)
    assert parallel._BATCH_LISTED >= 8 * parallel._BATCH_BYTES
    # Small files: as many as _BATCH_FILES to a batch, once the first _BATCH_FILES went out in smaller ones; the
    # first is handed out (starting the workers) once _FIRST_BATCH_FILES are listed, not two thousand (a history
    # lists its blobs slowly).
    small = [_listed(f"src/{n}.py", 2000) for n in range(3 * parallel._BATCH_FILES)]
    recorder = _Recorder()
    scheduled = list(parallel._scheduled(recorder.stream(small), recorder.submit))
    first = parallel._BATCH_FILES // parallel._FIRST_BATCH_FILES
    assert [len(batch) for batch, _ in scheduled] == [parallel._FIRST_BATCH_FILES] * first + [parallel._BATCH_FILES] * 2
    assert recorder.submitted[0][1] <= 4 * parallel._FIRST_BATCH_FILES  # the lookahead grows as items go out
    assert parallel._BATCH_FILES >= 1024


def _tree(root: Path) -> None:
    for number in range(40):
        lines = [f"value_{number}_{i} = compute({i})" for i in range(30 + 400 * (number % 9 == 4))]
        if number % 4 == 1:
            lines[7] = f'GITHUB_TOKEN = "{token("{{github:ghp}}")}"'
        target = root / f"pkg{number % 3}" / f"module_{number}.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("heavy", [0, 4096, 1 << 40])
def test_listed_files_handed_out_early_come_back_in_their_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, heavy: int
) -> None:
    # Every file handed out early (0), the few large ones (4096), none (as before): the same results, same order.
    monkeypatch.setenv("CREDSCOPE_CACHE_DIR", str(tmp_path / "cache"))
    _tree(tmp_path / "tree")
    detector = Detector(load_catalogue())

    def listing() -> list[parallel.Item]:
        return list(TreeSource(tmp_path / "tree").listing(SourceReport()))

    def seen(results: Iterator[parallel.Detected]) -> list[tuple[str, list[tuple[str, int]]]]:
        return [(d.path, [(c.rule, c.location.line) for c in found]) for d, found, _ in results]

    sequential = seen(parallel.detect_all(detector, listing(), jobs=1, read=reading))
    assert sum(len(found) for _, found in sequential) == 10
    monkeypatch.setattr(parallel, "_HEAVY_BYTES", heavy)
    monkeypatch.setattr(parallel, "_BATCH_FILES", 3)
    monkeypatch.setattr(parallel, "_FIRST_BATCH_FILES", 3)
    pooled = parallel.detect_all(
        detector, listing(), jobs=2, parallel_after_bytes=0, parallel_after_files=1, read=reading
    )
    assert seen(pooled) == sequential


def test_what_reading_and_detection_recorded_comes_back_from_the_pool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A worker sends back what reading a listed file came to (skips, windows) and what detection recorded (an
    # inline ignore, a format that did not parse) without the listed file itself: the report is a sequential one.
    monkeypatch.setenv("CREDSCOPE_CACHE_DIR", str(tmp_path / "cache"))
    tree = tmp_path / "tree"
    _tree(tree)
    for number in range(3):
        (tree / "assets").mkdir(exist_ok=True)
        (tree / "assets" / f"logo{number}.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" * 50)
    ignored = token("{{github:ghp}}")
    (tree / "deploy.sh").write_text(f'export GITHUB_TOKEN="{ignored}"  # credscope: ignore\n', encoding="utf-8")
    rng = random.Random(4)
    password = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(16))  # made here, not written
    (tree / "settings.json").write_text(f'{{"db_password": "{password}", oops\n', encoding="utf-8")

    monkeypatch.setenv("CREDSCOPE_JOBS", "1")
    sequential = scan([tree], ScanOptions())
    monkeypatch.setenv("CREDSCOPE_JOBS", "2")
    monkeypatch.setattr(parallel, "PARALLEL_AFTER_FILES", 2)
    monkeypatch.setattr(parallel, "_BATCH_FILES", 3)
    monkeypatch.setattr(parallel, "_FIRST_BATCH_FILES", 3)
    pooled = scan([tree], ScanOptions())
    assert [reason for reason, _ in sequential.stats.skipped_by_reason().items()] == ["binary"]
    assert any("settings.json" in note for note in sequential.notes)  # the JSON did not parse
    assert [(s.subject, s.count) for s in sequential.in_effect.suppressions if "deploy.sh" in s.paths] == [
        ("credscope: ignore", 1)
    ]
    assert pooled.stats.skipped == sequential.stats.skipped
    assert pooled.notes == sequential.notes
    assert pooled.in_effect == sequential.in_effect
    assert pooled.credentials == sequential.credentials
    assert (pooled.stats.files_scanned, pooled.stats.bytes_scanned) == (
        sequential.stats.files_scanned,
        sequential.stats.bytes_scanned,
    )


def test_a_detector_warmed_for_forked_workers_holds_the_filters_they_all_judge_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Imported once before the fork, not once per worker (and this process weighs the findings with them anyway).
    monkeypatch.setenv("CREDSCOPE_CACHE_DIR", str(tmp_path / "cache"))
    detector = Detector(load_catalogue())
    assert detector._filters is None
    detector.warm()
    assert detector._filters is not None and len(detector._filters) > 10


_HEAP_PROBE = """
import sys
from credscope.detect import parallel

def in_heap(address):
    for line in open("/proc/self/maps"):
        if line.rstrip().endswith("[heap]"):
            low, high = (int(bound, 16) for bound in line.split()[0].split("-"))
            if low <= address < high:
                return True
    return False

bundle = bytes(20 << 20)
del bundle  # freed: by default glibc now serves buffers up to 20 MB from its heap
parallel._start_worker(parallel.Detector.__new__(parallel.Detector))
text = bytes(6 << 20)
print(in_heap(id(text)))
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc tuning")
def test_a_worker_maps_each_large_buffer_on_its_own() -> None:
    # Served from the heap, a freed document's pages stay with the worker until a trim, and both workers of a
    # pool peak at once; mapped on its own (not in [heap]), a buffer goes back to the system when it is freed.
    # (Its mapping's size says nothing: the kernel merges it with the mappings beside it.)
    done = subprocess.run([sys.executable, "-c", _HEAP_PROBE], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
