"""The scanning process's own memory does not grow with the bytes of the tree: what it holds per file is a path
and a size while the file is in flight, and what the report needs once it is done."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from credscope.api import ScanOptions, scan
from credscope.catalogue import Catalogue, load_catalogue
from credscope.detect import parallel

_FILE = 512 * 1024
_LINE = "lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt\n"


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CREDSCOPE_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
    yield


def _filler_tree(root: Path, megabytes: int) -> None:
    text = _LINE * (_FILE // len(_LINE))
    for number in range(megabytes * 1024 * 1024 // _FILE):
        target = root / f"d{number % 8}" / f"notes_{number}.txt"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def _peak_of_scan(root: Path, catalogue: Catalogue) -> int:
    """Bytes this process allocated at most while scanning `root` through a pool (its workers not traced)."""
    tracemalloc.start()
    try:
        result = scan([root], ScanOptions(jobs=2), catalogue=catalogue)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.stats.bytes_scanned == sum(path.stat().st_size for path in root.rglob("*.txt"))
    return peak


def test_the_scanning_process_holds_no_file_contents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "PARALLEL_AFTER_FILES", 2)
    monkeypatch.setattr(parallel, "PARALLEL_AFTER_BYTES", 0)
    monkeypatch.setattr(parallel, "_start_method", lambda available: "fork")
    real_start = parallel._start_worker

    def untraced_worker(*args: object) -> None:
        tracemalloc.stop()  # a forked worker would go on tracing: only this process is measured
        real_start(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(parallel, "_start_worker", untraced_worker)
    catalogue = load_catalogue()
    _filler_tree(tmp_path / "small", 8)
    _filler_tree(tmp_path / "large", 48)
    _peak_of_scan(tmp_path / "small", catalogue)  # imports and caches of a first pooled scan, not measured
    small = _peak_of_scan(tmp_path / "small", catalogue)
    large = _peak_of_scan(tmp_path / "large", catalogue)
    # Six times the bytes: the same peak, within what a few dozen more paths take (a file in flight is 512 KiB).
    assert large - small < _FILE // 2, (small, large)
