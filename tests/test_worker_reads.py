"""Detection workers read their own files: the process that walks the tree lists paths and sizes, never contents,
and what the workers find, skip and count is what a sequential scan finds, skips and counts, in the same order.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from credscope.api import ScanOptions, scan
from credscope.detect import parallel
from credscope.model import ScanResult, Skipped
from credscope.sources import tree as tree_module
from credscope.sources.tree import TreeOptions

from helpers import token

GHP = "{{github:ghp}}"


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CREDSCOPE_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
    yield


@pytest.fixture
def pooled(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every scan goes through a pool of forked workers (they inherit this test's spies), however small the tree;
    the list counts the pools started."""
    monkeypatch.setattr(parallel, "PARALLEL_AFTER_FILES", 2)
    monkeypatch.setattr(parallel, "PARALLEL_AFTER_BYTES", 0)
    monkeypatch.setattr(parallel, "_BATCH_FILES", 3)
    monkeypatch.setattr(parallel, "_FIRST_BATCH_FILES", 3)
    monkeypatch.setattr(parallel, "_start_method", lambda available: "fork")
    started: list[int] = []
    real = parallel._parallel

    def spy(*args: object, **kwargs: object) -> object:
        started.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(parallel, "_parallel", spy)
    return started


def _found(result: ScanResult) -> list[tuple[str, str, int]]:
    return sorted((c.rule, loc.path, loc.line) for c in result.credentials for loc in c.locations)


def _tokens_tree(root: Path, files: int) -> list[tuple[str, str, int]]:
    expected = []
    for number in range(files):
        relative = f"pkg{number % 4}/settings_{number:02d}.env"
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        filler = "".join(f"OPTION_{number}_{i}=value {i}\n" for i in range(number % 5))
        target.write_text(f"{filler}GITHUB_TOKEN={token(GHP)}\n")
        expected.append(("github-pat-classic", relative, number % 5 + 1))
    return sorted(expected)


def _opened_here(root: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files under `root` this process opens from now on (a forked worker inherits the spy: its opens are
    not kept), relative to `root`."""
    parent = os.getpid()
    opened: list[str] = []
    real_open = os.open

    def spying_open(path: str | os.PathLike[str], flags: int, *args: int) -> int:
        if os.getpid() == parent and Path(path).is_relative_to(root):
            opened.append(Path(path).relative_to(root).as_posix())
        return real_open(path, flags, *args)

    monkeypatch.setattr(tree_module.os, "open", spying_open)
    return opened


def test_the_parent_never_opens_a_file_a_worker_scans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pooled: list[int]
) -> None:
    root = tmp_path / "tree"
    expected = _tokens_tree(root, 24)
    opened_here = _opened_here(root, monkeypatch)
    result = scan([root], ScanOptions(jobs=2))
    assert pooled == [1]
    assert _found(result) == expected
    assert (result.stats.files_scanned, result.stats.bytes_scanned) == (
        24,
        sum(path.stat().st_size for path in root.rglob("*.env")),
    )
    assert opened_here == []


def _mixed_tree(root: Path) -> list[tuple[str, str, int]]:
    """Text files with a token, binary files and links among them, in the order the walk meets them."""
    root.mkdir()
    expected = []
    for number in range(9):
        name = f"f{number}"
        if number % 3 == 1:
            (root / f"{name}.bin").write_bytes(b"\x89PNG\0\0" + bytes(range(256)) * 4)
        else:
            (root / f"{name}.env").write_text(f"GITHUB_TOKEN={token(GHP)}\n")
            expected.append(("github-pat-classic", f"{name}.env", 1))
        if number == 4:
            (root / "f4-alias.env").symlink_to(root / "f3.env")
            os.mkfifo(root / "f4-pipe")
    return sorted(expected)


def test_skips_through_the_pool_are_counted_in_the_order_of_a_sequential_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pooled: list[int]
) -> None:
    root = tmp_path / "tree"
    expected = _mixed_tree(root)
    sequential = scan([root], ScanOptions(jobs=1))
    assert pooled == []
    through_pool = scan([root], ScanOptions(jobs=2))
    assert pooled == [1]
    assert _found(through_pool) == _found(sequential) == expected
    assert (
        through_pool.stats.skipped
        == sequential.stats.skipped
        == (
            Skipped("f1.bin", "binary"),
            Skipped("f4-alias.env", "symlink-inside-tree", "f3.env"),
            Skipped("f4-pipe", "not-a-regular-file"),
            Skipped("f4.bin", "binary"),
            Skipped("f7.bin", "binary"),
        )
    )
    assert (through_pool.stats.files_scanned, through_pool.stats.bytes_scanned) == (
        sequential.stats.files_scanned,
        sequential.stats.bytes_scanned,
    )
    assert through_pool.stats.files_scanned == 6


def test_a_file_that_grows_past_the_limit_before_a_worker_reads_it_is_read_on_in_windows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pooled: list[int]
) -> None:
    root = tmp_path / "tree"
    expected = _tokens_tree(root, 8)
    grows = root / "pkg1" / "settings_05.env"
    real_open = os.open

    def growing_open(path: str | os.PathLike[str], flags: int, *args: int) -> int:
        if Path(path) == grows and grows.stat().st_size < 1024:  # listed small, over the limit once opened
            with grows.open("a") as handle:
                handle.write("# " + "x" * 4094 + "\n")
        return real_open(path, flags, *args)

    monkeypatch.setattr(tree_module.os, "open", growing_open)
    result = scan([root], ScanOptions(tree=TreeOptions(max_file_size=1024), jobs=2))
    assert pooled == [1]
    assert _found(result) == expected
    assert result.stats.files_scanned == 8
    assert result.stats.bytes_scanned == sum(path.stat().st_size for path in root.rglob("*.env"))
    assert result.stats.skipped == ()
    assert [note for note in result.notes if "read in windows" in note] == [
        f"1 file over the size limit was read in windows of 8 MiB and judged line by line: "
        f"pkg1/settings_05.env ({grows.stat().st_size} bytes)"
    ]


def test_files_over_the_size_limit_are_read_in_windows_by_the_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pooled: list[int]
) -> None:
    # Their windows were read here and sent whole, held and pickled by this process while in flight: a tree
    # with a few bundles over the limit put this process's peak at tens of MB. A worker reads them as it reads
    # any listed file, and what the scan finds, counts and says is what a sequential scan does.
    root = tmp_path / "tree"
    expected = _tokens_tree(root, 12)
    over = ("pkg0/settings_00.env", "pkg2/settings_06.env", "pkg3/settings_11.env")
    for relative in over:
        target = root / relative
        target.write_text("# " + "x" * 4094 + "\n" + target.read_text())
    options = TreeOptions(max_file_size=1024)
    sequential = scan([root], ScanOptions(tree=options, jobs=1))
    opened_here = _opened_here(root, monkeypatch)
    through_pool = scan([root], ScanOptions(tree=options, jobs=2))
    assert pooled == [1]
    assert opened_here == []
    assert _found(through_pool) == [(rule, path, line + (path in over)) for rule, path, line in expected]
    assert _found(through_pool) == _found(sequential)
    assert (through_pool.stats.files_scanned, through_pool.stats.bytes_scanned) == (
        12,
        sum(path.stat().st_size for path in root.rglob("*.env")),
    )
    windowed = [note for note in through_pool.notes if "read in windows" in note]
    assert windowed == [note for note in sequential.notes if "read in windows" in note]
    assert windowed and "3 files over the size limit" in windowed[0]


@pytest.mark.parametrize("size", [0, 1, 100, 8191, 8192, 8193, 20000, 65536, 200000, 299999, 300000, 300001])
def test_a_file_is_read_whole_and_no_read_is_made_past_its_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    # A regular file read short is at its end: asking again would return nothing, one system call more per file
    # for a tree's tens of thousands of files. A file over the size limit is still given as its windows' opening.
    content = bytes(ord("a") + (index * 7) % 26 for index in range(size))
    path = tmp_path / "file.txt"
    path.write_bytes(content)
    reads: list[tuple[int, int]] = []  # (asked, got)
    real_read = os.read

    def counted(fd: int, length: int) -> bytes:
        got = real_read(fd, length)
        reads.append((length, len(got)))
        return got

    monkeypatch.setattr(os, "read", counted)
    report = tree_module.SourceReport()
    limit = 300000
    read = tree_module._read_text_file(str(path), "file.txt", limit, report)
    if size <= limit:
        assert read == content
        # Each read after the first follows one that was answered in full: none after one read short.
        assert all(got == asked for asked, got in reads[:-1])
        # One read in all: a file larger than the sniff is read whole after it, not in pieces joined (a copy more).
        assert len(reads) == 1
    else:
        assert isinstance(read, tree_module._Long)
        os.close(read.fd)
        assert content.startswith(read.head)


def test_a_binary_file_larger_than_the_sniff_is_not_read_past_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "image.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" + b"x" * 100_000)
    asked: list[int] = []
    real_read, real_pread = os.read, os.pread

    def counted(fd: int, length: int) -> bytes:
        asked.append(length)
        return real_read(fd, length)

    def counted_at(fd: int, length: int, offset: int) -> bytes:
        asked.append(length)
        return real_pread(fd, length, offset)

    monkeypatch.setattr(os, "read", counted)
    monkeypatch.setattr(os, "pread", counted_at)
    report = tree_module.SourceReport()
    assert tree_module._read_text_file(str(path), "image.png", 300000, report) is None
    assert [(skip.path, skip.reason) for skip in report.skipped] == [("image.png", "binary")]
    assert sum(asked) <= tree_module.BINARY_SNIFF
