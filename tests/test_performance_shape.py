"""The shape of the fast paths: a process pool finds exactly what a sequential scan finds, a 10 MB single-line
file gives the right findings through bounded windows, and the Hyperscan prefilter picks exactly the rules the
pure-Python path picks. Nothing here is timed: speed is measured by benchmarks/run.py."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from credscope.api import ScanOptions, scan
from credscope.catalogue import load_catalogue
from credscope.detect import parallel, prefilter
from credscope.detect.context import LINE_WINDOW, assigned_name, line_bounds
from credscope.detect.engine import Detector
from credscope.detect.prefilter import Prefilter
from credscope.model import Candidate, Document
from credscope.sources import SourceReport
from credscope.sources.tree import TreeSource
from credscope.testing.generate import expand

from helpers import token


@pytest.fixture(autouse=True, scope="module")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    # The compiled catalogue and Hyperscan database go to a throw-away cache (shared by this module's tests,
    # as a user's runs share theirs), never the real home.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CREDSCOPE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        yield


def _generated_tree(root: Path, files: int) -> dict[tuple[str, str, int], str]:
    """Files of filler with a GitHub token planted on a known line of every third file: expected findings."""
    expected: dict[tuple[str, str, int], str] = {}
    for number in range(files):
        lines = [f"value_{number}_{i} = compute({i}, 'text {i}')" for i in range(40)]
        relative = f"pkg{number % 7}/module_{number}.py"
        if number % 3 == 0:
            line = 5 + number % 30
            secret = token("{{github:ghp}}")
            lines[line - 1] = f'GITHUB_TOKEN = "{secret}"'
            expected[("github-pat-classic", relative, line)] = secret
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return expected


def _found(candidates: list[Candidate]) -> dict[tuple[str, str, int], str]:
    return {(c.rule, c.location.path, c.location.line): c.secret for c in candidates}


@pytest.mark.parametrize("method", ["fork", "forkserver"])
def test_pool_finds_exactly_what_sequential_finds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, method: str) -> None:
    # Forked workers (this process runs no other thread) and forkserver ones (it does) find the same.
    expected = _generated_tree(tmp_path / "tree", 60)
    detector = Detector(load_catalogue())
    methods: list[str] = []

    def start_method(available: list[str]) -> str:
        assert method in available
        methods.append(method)
        return method

    monkeypatch.setattr(parallel, "_start_method", start_method)

    def documents() -> list[Document]:
        return list(TreeSource(tmp_path / "tree").documents(SourceReport()))

    sequential = list(parallel.detect_all(detector, documents(), jobs=1))
    pooled_calls: list[int] = []
    real_parallel = parallel._parallel

    def spy(*args: object) -> object:
        pooled_calls.append(1)
        return real_parallel(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(parallel, "_parallel", spy)
    pooled = list(parallel.detect_all(detector, documents(), jobs=2, parallel_after_bytes=0, parallel_after_files=1))
    assert pooled_calls == [1]
    assert methods == [method]
    assert [(d.path, found) for d, found, _ in pooled] == [(d.path, found) for d, found, _ in sequential]
    assert _found([c for _, found, _ in pooled for c in found]) == expected


def test_scan_through_the_pool_equals_a_sequential_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _generated_tree(tmp_path / "tree", 45)
    monkeypatch.setenv("CREDSCOPE_JOBS", "1")
    sequential = scan([tmp_path / "tree"], ScanOptions())
    monkeypatch.setenv("CREDSCOPE_JOBS", "2")
    monkeypatch.setattr(parallel, "PARALLEL_AFTER_FILES", 2)
    monkeypatch.setattr(parallel, "_BATCH_FILES", 4)
    monkeypatch.setattr(parallel, "_FIRST_BATCH_FILES", 4)
    pooled = scan([tmp_path / "tree"], ScanOptions())
    assert pooled.credentials == sequential.credentials
    assert pooled.stats.files_scanned == sequential.stats.files_scanned == 45
    found = {(loc.path, loc.line) for c in pooled.credentials for loc in c.locations}
    assert found == {(path, line) for _, path, line in expected}


def test_workers_are_forked_only_while_no_other_thread_runs() -> None:
    import threading

    alone = threading.active_count() == 1  # another test's server thread may still be running
    assert parallel._start_method(["fork", "spawn", "forkserver"]) == ("fork" if alone else "forkserver")
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert parallel._start_method(["fork", "spawn", "forkserver"]) == "forkserver"
        assert parallel._start_method(["fork", "spawn"]) == "spawn"
    finally:
        release.set()
        other.join()


def test_ten_megabyte_single_line_gives_the_right_findings(tmp_path: Path) -> None:
    # A minified bundle: one line of 10 MB, three tokens in it at known columns.
    chunk = 'var a=function(b){return b.map(function(c){return c+1})};window.x="lorem ipsum dolor";'
    filler = chunk * (10 * 1024 * 1024 // len(chunk) // 4 + 1)
    secrets = [token("{{github:ghp}}") for _ in range(3)]
    parts, columns, offset = [], [], 0
    for secret in secrets:
        parts.append(filler)
        offset += len(filler)
        prefix = 'var GITHUB_TOKEN="'
        parts.append(f'{prefix}{secret}";')
        columns.append(offset + len(prefix) + 1)
        offset += len(prefix) + len(secret) + 2
    parts.append(filler)
    text = "".join(parts)
    assert "\n" not in text and len(text) >= 10 * 1024 * 1024
    (tmp_path / "bundle.min.js").write_text(text, encoding="utf-8")

    result = scan([tmp_path / "bundle.min.js"], ScanOptions())

    found = sorted(
        (c.locations[0].line, c.locations[0].column, c.rule, c.secret, c.locations[0].context.get("name"))
        for c in result.credentials
    )
    assert found == sorted(
        (1, column, "github-pat-classic", secret, "GITHUB_TOKEN")
        for column, secret in zip(columns, secrets, strict=True)
    )


def test_line_windows_are_bounded_on_a_long_line() -> None:
    text = "x" * (3 * LINE_WINDOW) + ' API_TOKEN="value" ' + "y" * (3 * LINE_WINDOW) + "\nnext line"
    offset = text.index("value")
    start, end = line_bounds(text, offset)
    assert (start, end) == (offset - LINE_WINDOW, offset + LINE_WINDOW)
    # On a short line the bounds are the line itself, as before.
    short = 'first\nAPI_TOKEN="value"\nlast'
    assert line_bounds(short, short.index("value")) == (6, 23)
    # The name a value is assigned to does not depend on how long the line is.
    assert assigned_name(text, offset) == assigned_name('API_TOKEN="value"', 11) == "API_TOKEN"


def _prefilter_samples() -> list[bytes]:
    catalogue = load_catalogue()
    samples = [expand(example.text).text.encode() for rule in catalogue.rules for example in rule.examples]
    samples += [
        b"",
        # credscope: ignore-next-line (a fake fixture value)
        "naïve café: AKIA is not a key here, but postgres://user:p\u00e4ss@host/db is a URI".encode(),
        # credscope: ignore-next-line (a fake fixture value)
        b"record\x1cseparator password=hunter2 host=db dbname=app",
        b"\xff\xfe binary-ish ghp_ prefix without a token",
    ]
    for module in ("smtplib", "ssl", "netrc", "imaplib"):
        samples.append(Path(sys.modules["os"].__file__).with_name(f"{module}.py").read_bytes())  # real code
    samples.append(b"\n".join(samples))  # one large document holding everything
    return samples


def test_hyperscan_and_python_prefilters_pick_the_same_rules() -> None:
    pytest.importorskip("hyperscan")
    rules = load_catalogue().rules
    with_hyperscan = Prefilter(rules, use_hyperscan=True)
    pure_python = Prefilter(rules, use_hyperscan=False)
    samples = _prefilter_samples()
    picked = [with_hyperscan.candidates(sample) for sample in samples]
    assert with_hyperscan.engine == "hyperscan"
    assert pure_python.engine == "python"
    assert picked == [pure_python.candidates(sample) for sample in samples]
    # Every positive example's own rule is among the candidates for its text.
    for rule_index, rule in enumerate(rules):
        for example in rule.examples:
            if example.positive:
                assert rule_index in with_hyperscan.candidates(expand(example.text).text.encode()), rule.id


def test_without_hyperscan_the_prefilter_falls_back_to_python(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "hyperscan", None)  # makes `import hyperscan` raise ImportError
    rules = load_catalogue().rules
    fallback = Prefilter(rules, use_hyperscan=True)
    reference = Prefilter(rules, use_hyperscan=False)
    samples = _prefilter_samples()
    assert [fallback.candidates(s) for s in samples] == [reference.candidates(s) for s in samples]
    assert fallback.engine == "python"


def test_small_scans_never_load_hyperscan() -> None:
    rules = load_catalogue().rules
    automatic = Prefilter(rules)
    github = next(i for i, r in enumerate(rules) if r.id == "github-pat-classic")
    assert github in automatic.candidates(f'GITHUB_TOKEN="{token("{{github:ghp}}")}"'.encode())
    assert automatic.candidates(b"DEBUG=1\nLOG_LEVEL=info\n") == []
    assert automatic.engine == "python"
    assert prefilter.HYPERSCAN_AFTER_BYTES > 64 * 1024
