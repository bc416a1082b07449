"""Files over the size limit are read in windows: every credential is found once, at its line and column in the
file, and the scan's memory does not grow with the file (measured on the child process that scans it)."""

from __future__ import annotations

import io
import json
import os
import random
import string
import subprocess
import sys
from pathlib import Path

import pytest

from credscope.catalogue import load_catalogue
from credscope.detect.engine import Detector
from credscope.model import Document, Reach
from credscope.sources import SourceReport
from credscope.sources.windows import WINDOWS, WindowSizes, read_in_windows

from helpers import Repo, run_cli, token

GHP = "{{github:ghp}}"
KIB = 1024
MIB = 1024 * KIB
WINDOW = 8 * MIB  # the window credscope reads a large file in (sources/windows.py, checked below)
FILLER = b"".join(
    f"2024-05-01T12:{i % 60:02}:{i * 7 % 60:02}Z INFO worker-{i % 16} GET /api/v1/items/{i} {i % 97}ms ok\n".encode()
    for i in range(4096)
)


class _Log:
    """A text file written front to back that knows the line and column each planted text starts at."""

    def __init__(self, path: Path) -> None:
        self.handle = path.open("wb")
        self.offset = 0
        self.line = 1

    def fill_to(self, offset: int) -> None:
        """Whole filler lines until at least `offset` bytes are written."""
        while self.offset + len(FILLER) <= offset:
            self._write(FILLER)
        for line in FILLER.splitlines(keepends=True):
            if self.offset >= offset:
                break
            self._write(line)

    def plant(self, text: str, prefix: str = "", end: str = "\n") -> tuple[int, int]:
        """`prefix` then `text` on a fresh line; the line and column where `text` starts."""
        where = (self.line, len(prefix) + 1)
        self._write(f"{prefix}{text}{end}".encode())
        return where

    def close(self) -> None:
        self.handle.close()

    def _write(self, data: bytes) -> None:
        self.handle.write(data)
        self.offset += len(data)
        self.line += data.count(b"\n")


def _findings(report: dict[str, object]) -> list[tuple[str, str, int, int]]:
    findings = report["findings"]
    assert isinstance(findings, list)
    return sorted((f["rule"], f["path"], f["line"], f["column"]) for f in findings)


# The scan's own peak is VmHWM, the high-water mark of its address space: ru_maxrss of RUSAGE_SELF carries the
# forking parent's peak across exec (Linux keeps it in the signal struct), so under a long pytest run it reported
# pytest's few hundred MB, not the scan's.
_MEASURED = (
    "import resource, sys\n"
    "from credscope.cli import main\n"
    "try:\n    main()\n"
    "finally:\n"
    "    own = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:'))\n"
    "    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "    sys.stderr.write(f'maxrss_kib={own} workers_kib={workers}\\n')\n"
)


def test_a_200mb_log_is_scanned_in_windows_at_exact_lines_in_bounded_memory(tmp_path: Path) -> None:
    # At the default limit (20 MiB) the log was skipped as too-large and the gate passed with a live key in it.
    log = _Log(tmp_path / "big.log")
    log.fill_to(WINDOW - 500 * KIB)
    in_overlap_early = log.plant(token(GHP), "GITHUB_TOKEN=")  # held by the first two windows
    log.fill_to(WINDOW - 100 * KIB)
    in_overlap_late = log.plant(token(GHP), "GITHUB_TOKEN=")
    log.fill_to(WINDOW - 800)
    straddling = log.plant(token("{{pem:rsa}}").rstrip("\n"))  # ~1.7 KB: runs across the first window's end
    log.fill_to(200 * MIB)
    at_the_end = log.plant(token(GHP), "export GITHUB_TOKEN=", end="")  # the last bytes, no newline after
    log.close()
    size = (tmp_path / "big.log").stat().st_size
    assert size > 200 * MIB
    result = subprocess.run(
        [sys.executable, "-c", _MEASURED, "scan", "--format", "json", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert _findings(report) == [
        ("github-pat-classic", "big.log", *in_overlap_early),
        ("github-pat-classic", "big.log", *in_overlap_late),
        ("github-pat-classic", "big.log", *at_the_end),
        ("private-key-pem", "big.log", *straddling),
    ]
    assert report["stats"]["skipped"] == []
    assert (report["stats"]["files_scanned"], report["stats"]["bytes_scanned"]) == (1, size)
    assert report["notes"] == [
        f"1 file over the size limit was read in windows of 8 MiB and judged line by line: big.log ({size} bytes)"
    ]
    measured = result.stderr.rsplit("maxrss_kib=", 1)[1].split()
    own_kib, workers_kib = int(measured[0]), int(measured[1].removeprefix("workers_kib="))
    assert own_kib < 150 * 1024, f"peak memory {own_kib} KiB scanning a {size}-byte file"
    assert workers_kib < 150 * 1024, f"a detection worker peaked at {workers_kib} KiB"


def test_the_window_size_is_the_one_these_tests_plant_around() -> None:
    assert WINDOWS.window == WINDOW


def _longest_match(pattern: str, flags: int) -> int | None:
    """The most characters `pattern` can match, or None when its repetitions are unbounded."""
    try:
        from re import _parser as parser  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - Python 3.10
        import sre_parse as parser

    width = int(parser.parse(pattern, flags).getwidth()[1])
    return None if width >= 2**31 else width


def test_the_overlap_holds_the_longest_match_of_every_bounded_rule() -> None:
    # A window hands the next one `overlap` bytes: the lead (context before the first byte it reports) and
    # room for the longest match. A rule whose pattern is bounded must fit; unbounded ones (`\S{6,}`) are capped.
    widths = {rule.id: _longest_match(rule.pattern.pattern, rule.pattern.flags) for rule in load_catalogue().rules}
    bounded = {rule: width for rule, width in widths.items() if width is not None}
    assert max(bounded, key=lambda rule: bounded[rule]) == "private-key-pem"
    assert max(bounded.values()) <= WINDOWS.longest_match == WINDOWS.overlap - WINDOWS.lead


def _random_layout(rng: random.Random) -> tuple[bytes, list[str]]:
    """Filler, long lines with no newline for many windows, multi-byte text, and keys everywhere."""
    parts: list[str] = []
    for _ in range(160):
        roll = rng.random()
        if roll < 0.25:
            parts.append(f"GITHUB_TOKEN={token(GHP)}\n")
        elif roll < 0.3:
            parts.append(token("{{pem:ec}}"))
        elif roll < 0.35:
            # A line longer than a window, with a key somewhere inside it.
            run = "".join(rng.choices(string.ascii_lowercase + " ", k=rng.randint(20_000, 50_000)))
            cut = rng.randint(0, len(run))
            parts.append(f"{run[:cut]} token={token(GHP)} {run[cut:]}\n")
        elif roll < 0.45:
            parts.append("caf\u00e9 \u00fcber na\u00efve \u65e5\u672c\u8a9e " * rng.randint(1, 400) + f"{token(GHP)}\n")
        else:
            parts.append(FILLER[: rng.randint(10, 4000)].decode())
    return "".join(parts).encode(), parts


def _whole_and_windowed(detector: Detector, data: bytes) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    def key(candidates: list[object]) -> list[tuple[object, ...]]:
        return sorted((c.rule, c.location.line, c.location.column, c.secret) for c in candidates)  # type: ignore[attr-defined]

    whole = detector.detect(Document(path="app.log", content=data, reach=Reach.FILE))
    # Small windows (16 KiB, 4 KiB of overlap) so one file crosses many boundaries; the longest key here is
    # an EC private key of ~230 bytes.
    sizes = WindowSizes(window=16 * KIB, overlap=4 * KIB, lead=KIB)
    report = SourceReport()
    documents = list(read_in_windows(io.BytesIO(data).read, b"", "app.log", Reach.FILE, report, sizes=sizes))
    assert len(documents) > len(data) // (16 * KIB)
    assert report.windowed == {"app.log": len(data)}
    windowed = [c for document in documents for c in detector.detect(document)]
    return key(whole), key(windowed)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", range(6))
def test_windows_find_what_a_whole_read_finds_each_once(seed: int) -> None:
    detector = Detector(load_catalogue())
    data, _ = _random_layout(random.Random(seed))
    whole, windowed = _whole_and_windowed(detector, data)
    assert len(whole) > 30
    assert windowed == whole


def test_a_key_in_an_overlap_is_reported_by_one_window(tmp_path: Path) -> None:
    # 12 MB over a 1 MiB limit: two windows that share 512 KiB; a key at each end of the shared part.
    log = _Log(tmp_path / "app.log")
    log.fill_to(WINDOW - 510 * KIB)
    first = log.plant(token(GHP), "GITHUB_TOKEN=")
    log.fill_to(WINDOW - 2 * KIB)
    last = log.plant(token(GHP), "GITHUB_TOKEN=")
    log.fill_to(12 * MIB)
    log.close()
    result = run_cli("scan", "--format", "json", "--max-file-size", str(MIB), str(tmp_path))
    assert result.exit_code == 1, result.stderr
    report = result.json()
    assert _findings(report) == [
        ("github-pat-classic", "app.log", *first),
        ("github-pat-classic", "app.log", *last),
    ]


def test_a_large_json_file_keeps_the_names_its_lines_give(tmp_path: Path) -> None:
    # Over the limit a file is not parsed as its format (a window holds part of it); the name on the line
    # still says what a value is.
    records = [{"id": index, "path": f"/api/v1/items/{index}", "status": "ok"} for index in range(120_000)]
    secret = token(GHP)
    records.append({"id": -1, "deploy": {"github_token": secret}})
    (tmp_path / "dump.json").write_text(json.dumps(records, indent=2))
    lines = (tmp_path / "dump.json").read_text().splitlines()
    line = next(number for number, text in enumerate(lines, 1) if secret in text)
    result = run_cli("scan", "--format", "json", "--max-file-size", str(MIB), str(tmp_path))
    assert result.exit_code == 1, result.stderr
    findings = result.json()["findings"]
    assert isinstance(findings, list)
    assert [(f["rule"], f["path"], f["line"], f["column"], f["context"]["name"]) for f in findings] == [
        ("github-pat-classic", "dump.json", line, lines[line - 1].index(secret) + 1, "github_token")
    ]


def test_a_repository_cannot_hide_a_file_by_shrinking_the_size_limit(repo: Repo) -> None:
    # `max_file_size: 10` in a pull request's .credscope.yaml made every file too-large and the gate pass (the
    # narrowing was listed, tests/test_suppressions_visible.py). Every file is now read; the setting is still shown.
    secret = token("{{uuid4}}")
    repo.write("deploy/release.sh", f"#!/bin/sh\nRAILWAY_API_TOKEN={secret}\n")
    repo.write(".credscope.yaml", "max_file_size: 10\n")
    repo.commit("release script")
    result = run_cli("scan", ".", "--format", "json", cwd=repo.path)
    assert result.exit_code == 1, result.stderr
    report = result.json()
    assert _findings(report) == [("railway-token", "deploy/release.sh", 2, 19)]
    assert report["stats"]["skipped"] == []  # type: ignore[index]
    suppressions = report["configuration"]["suppressions"]  # type: ignore[index]
    assert [(s["kind"], s["subject"], s["detail"]) for s in suppressions] == [
        ("setting", "max_file_size", "10 bytes (default 20971520)")
    ]
