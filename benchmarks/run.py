"""Benchmark credscope against Kingfisher and detect-secrets on the same corpus, on this machine, in one run.

    python benchmarks/run.py                 # build corpus, install peers, measure, print the table
    python benchmarks/run.py --runs 5 --size-mb 128

Everything it makes lives under benchmarks/.work/ (gitignored): the corpus (real code copied from this
interpreter's standard library and a few large installed packages, without bytecode or shared objects, plus a
repository of credentials planted at run time with credscope.testing.generate), a virtualenv with the peers
from PyPI, and the tools' reports. Every tool runs offline (in an empty network namespace when `unshare -n`
works here) and without validation. Tools run alternately, several times; the table shows medians.
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
import sysconfig
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
ROOT = HERE.parent
PEERS = ("kingfisher-bin", "detect-secrets")
SLOW = {"detect-secrets"}  # tens of kB/s here: it runs --slow-runs times, not --runs
# Large pure-Python (and data) trees commonly installed beside credscope's dev dependencies; those present are used.
PACKAGES = ("botocore", "mypy", "pygments", "networkx", "sympy", "moto", "pip", "setuptools", "hypothesis")
SKIP_SUFFIXES = (".pyc", ".pyo", ".so", ".a", ".o", ".dll", ".dylib", ".exe", ".whl", ".zip", ".gz", ".xz", ".bz2")
# credscope leaves these directory names out by default (vendored code); renamed in the copy so that every
# tool reads exactly the same files.
RENAMED_DIRS = {"venv", ".venv", "site-packages", "node_modules", "__pycache__", ".tox", ".nox", "bower_components"}


@dataclass
class Measurement:
    seconds: float
    peak_mb: float
    findings: int
    exit_code: int


@dataclass
class Tool:
    name: str
    command: list[str]  # the scan command without the path and output arguments
    env: dict[str, str] = field(default_factory=dict)

    def argv(self, target: Path, report: Path) -> list[str]:
        match self.name:
            case "credscope":
                return [
                    *self.command,
                    "scan",
                    str(target),
                    "--format",
                    "json",
                    "--output",
                    str(report),
                    "--fail-on",
                    "none",
                ]
            case "kingfisher":
                return [
                    *self.command,
                    "scan",
                    str(target),
                    "--no-validate",
                    "--git-history",
                    "none",
                    "--format",
                    "json",
                    "--output",
                    str(report),
                    "--no-update-check",
                    "--quiet",
                ]
            case "detect-secrets":
                return [*self.command, "scan", "--all-files", "--no-verify", str(target)]
        raise ValueError(self.name)

    def findings(self, report: Path, stdout: bytes) -> int:
        match self.name:
            case "credscope":
                return int(json.loads(report.read_text("utf-8"))["summary"]["findings"])
            case "kingfisher":
                return _kingfisher_findings(report.read_text("utf-8"))
            case "detect-secrets":
                return sum(len(v) for v in json.loads(stdout)["results"].values())
        raise ValueError(self.name)


def _kingfisher_findings(text: str) -> int:
    data = json.loads(text) if text.strip() else {}
    for key in ("findings", "matches", "results"):
        if isinstance(data, dict) and isinstance(data.get(key), list):
            return len(data[key])
    if isinstance(data, list):
        return len(data)
    return -1


# --- corpus ------------------------------------------------------------------------------------------------------


def _text_files(root: Path) -> list[Path]:
    found = []
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in {"__pycache__", "site-packages"})
        for name in sorted(filenames):
            path = Path(directory) / name
            if name.endswith(SKIP_SUFFIXES) or path.is_symlink() or not path.is_file():
                continue
            with path.open("rb") as handle:
                if b"\0" in handle.read(8192):
                    continue  # binary
            found.append(path)
    return found


def _sources() -> list[tuple[str, Path]]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    purelib = Path(sysconfig.get_paths()["purelib"])
    sources = [("stdlib", stdlib)]
    sources += [(f"pkgs/{name}", purelib / name) for name in PACKAGES if (purelib / name).is_dir()]
    return sources


def _safe_relative(relative: Path) -> Path:
    return Path(*(f"{part}_" if part in RENAMED_DIRS else part for part in relative.parts))


def build_corpus(size_mb: int) -> tuple[Path, Path]:
    """Two trees, the small one half of the large: files taken round-robin from each source up to the budget."""
    large, small = WORK / f"corpus-{size_mb}mb", WORK / f"corpus-{size_mb // 2}mb"
    stamp = WORK / f"corpus-{size_mb}mb.done"
    if not stamp.exists():
        for tree in (large, small):
            shutil.rmtree(tree, ignore_errors=True)
        queues = [[(label, base, path) for path in _text_files(base)] for label, base in _sources()]
        budget, used, index, chosen = size_mb * 1024 * 1024, 0, 0, []
        while used < budget and any(queues):
            queue = queues[index % len(queues)]
            index += 1
            if queue:
                label, base, path = queue.pop(0)
                used += path.stat().st_size
                chosen.append((label, base, path))
        for number, (label, base, path) in enumerate(chosen):
            relative = Path("real") / label / _safe_relative(path.relative_to(base))
            for tree in (large, small) if number % 2 == 0 else (large,):
                target = tree / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
        stamp.write_text("ok\n")
    for tree in (large, small):
        _plant(tree / "planted")
    return small, large


def _plant(directory: Path) -> list[str]:
    """A repository of every provider's positive examples, expanded into fresh tokens now (never committed)."""
    sys.path.insert(0, str(ROOT))
    from credscope.catalogue import load_catalogue  # noqa: PLC0415
    from credscope.testing.generate import expand  # noqa: PLC0415

    shutil.rmtree(directory, ignore_errors=True)
    secrets: list[str] = []
    for provider in load_catalogue().providers.values():
        for rule in provider.rules:
            for number, example in enumerate(e for e in rule.examples if e.positive):
                expansion = expand(example.text)
                target = directory / provider.id / f"{rule.id}-{number}" / example.path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(expansion.text + "\n", encoding="utf-8")
                secrets.extend(expansion.values)
    return secrets


def tree_bytes(tree: Path) -> int:
    return sum(p.stat().st_size for p in tree.rglob("*") if p.is_file())


# --- peers -------------------------------------------------------------------------------------------------------


def install_peers() -> Path:
    venv = WORK / "peers"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    probe = subprocess.run([str(python), "-c", "import kingfisher, detect_secrets"], capture_output=True, check=False)
    if probe.returncode != 0:
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *PEERS], check=True
        )
    return venv


def tools(venv: Path) -> list[Tool]:
    binary = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import kingfisher; print(kingfisher.get_binary_path())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    scripts = Path(sys.executable).parent
    credscope = (
        [str(scripts / "credscope")] if (scripts / "credscope").exists() else [sys.executable, "-m", "credscope"]
    )
    return [
        Tool("credscope", credscope),
        # The native binary itself, not the PyPI wrapper script: Kingfisher's best case.
        Tool("kingfisher", [binary], {"KF_RULE_CACHE_DIR": str(WORK / "kingfisher-cache")}),
        Tool("detect-secrets", [str(venv / "bin" / "detect-secrets")]),
    ]


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


def measure(tool: Tool, target: Path, offline: list[str], label: str) -> Measurement:
    report = WORK / "reports" / f"{tool.name}-{label}.json"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.unlink(missing_ok=True)
    env = {**os.environ, **tool.env, "NO_COLOR": "1"}
    started = time.perf_counter()
    process = subprocess.Popen(
        [*offline, *tool.argv(target, report)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
    )
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], _tree_pss_kb(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout_chunks = []
    assert process.stdout is not None
    while chunk := process.stdout.read(1 << 16):
        stdout_chunks.append(chunk)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    stdout = b"".join(stdout_chunks)
    # ru_maxrss covers the largest single process (children included once reaped); the sampler sums the tree.
    peak_kb = max(peak[0], usage.ru_maxrss)
    try:
        findings = tool.findings(report, stdout)
    except (OSError, ValueError, KeyError, TypeError):
        findings = -1
    return Measurement(seconds, peak_kb / 1024, findings, process.returncode)


def _compile_credscope() -> None:
    """Bytecode for every credscope module, written now: with PYTHONDONTWRITEBYTECODE set (or an editable
    install of freshly edited code) each timed run would compile the modules it imports again."""
    import compileall  # noqa: PLC0415

    spec = importlib.util.find_spec("credscope")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            compileall.compile_dir(location, quiet=1)


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="repetitions per tool and corpus (alternating)")
    parser.add_argument("--size-mb", type=int, default=32, help="size of the large corpus; the small one is half")
    parser.add_argument(
        "--slow-runs", type=int, default=1, help="repetitions for detect-secrets, which takes minutes per run"
    )
    parser.add_argument("--cold-runs", type=int, default=15, help="repetitions of the one-file cold start")
    parser.add_argument("--tools", default="credscope,kingfisher,detect-secrets")
    parser.add_argument("--long-line-runs", type=int, default=3, help="repetitions of the single-line files")
    parser.add_argument("--long-lines-only", action="store_true", help="measure only the single-line files")
    args = parser.parse_args()
    if importlib.util.find_spec("cryptography") is None:
        print(
            "benchmarks/run.py: the planted keys need `cryptography`: pip install 'credscope[bench]'", file=sys.stderr
        )
        return 2
    WORK.mkdir(parents=True, exist_ok=True)
    # credscope's own caches (compiled catalogue, Hyperscan database) go here, not into the user's home.
    os.environ.setdefault("XDG_CACHE_HOME", str(WORK / "cache"))
    _compile_credscope()
    load_before = os.getloadavg()

    print("installing peers ...", file=sys.stderr)
    selected = [t for t in tools(install_peers()) if t.name in args.tools.split(",")]
    offline = _offline_prefix()
    if args.long_lines_only:
        print_long_lines(measure_long_lines(selected, offline, args.long_line_runs), load_before)
        return 0
    print("building corpus ...", file=sys.stderr)
    small, large = build_corpus(args.size_mb)
    sizes = {"small": (small, tree_bytes(small)), "large": (large, tree_bytes(large))}

    for tool in selected:  # warm the page cache and every tool's own caches once, untimed
        if tool.name not in SLOW:
            measure(tool, small, offline, "warmup")
    results: dict[tuple[str, str], list[Measurement]] = {}
    for run in range(args.runs):
        for size, (tree, _) in sizes.items():
            order = selected[run % len(selected) :] + selected[: run % len(selected)]
            for tool in order:
                if tool.name in SLOW and run >= args.slow_runs:
                    continue
                print(f"run {run + 1}/{args.runs} {size:5} {tool.name}", file=sys.stderr)
                measured = measure(tool, tree, offline, f"{size}-{run}")
                print(
                    f"    {measured.seconds:.2f} s, {measured.peak_mb:.0f} MB, {measured.findings} findings",
                    file=sys.stderr,
                )
                results.setdefault((tool.name, size), []).append(measured)

    cold_file = WORK / "coldstart" / ".env"
    cold_file.parent.mkdir(parents=True, exist_ok=True)
    cold_file.write_text("DEBUG=1\nDATABASE_HOST=localhost\nLOG_LEVEL=info\n", encoding="utf-8")
    cold: dict[str, list[float]] = {t.name: [] for t in selected}
    for tool in selected:
        measure(tool, cold_file, offline, "cold-warmup")
    for run in range(args.cold_runs):
        for tool in selected[run % len(selected) :] + selected[: run % len(selected)]:
            cold[tool.name].append(measure(tool, cold_file, offline, "cold").seconds)

    long_lines = measure_long_lines(selected, offline, args.long_line_runs)
    print_table(selected, sizes, results, cold, load_before, os.getloadavg(), args, bool(offline))
    print_long_lines(long_lines, load_before)
    return 0


def measure_long_lines(selected: list[Tool], offline: list[str], runs: int) -> dict[tuple[str, int], list[float]]:
    """A minified bundle of 5 and of 10 MB on one line, three tokens in it: time should double, not quadruple."""
    sys.path.insert(0, str(ROOT))
    from credscope.testing.generate import expand  # noqa: PLC0415

    chunk = 'var a=function(b){return b.map(function(c){return c+1})};window.x="lorem ipsum dolor";'
    files = {}
    for megabytes in (5, 10):
        filler = chunk * (megabytes * 1024 * 1024 // len(chunk) // 4 + 1)
        tokens = [expand("{{github:ghp}}").text for _ in range(3)]
        target = WORK / "longline" / f"{megabytes}mb" / "bundle.min.js"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("".join(f'{filler}var GITHUB_TOKEN="{t}";' for t in tokens) + filler, encoding="utf-8")
        files[megabytes] = target
    times: dict[tuple[str, int], list[float]] = {}
    fast = [tool for tool in selected if tool.name not in SLOW]
    for run in range(runs):
        for megabytes, target in files.items():
            for tool in fast[run % len(fast) :] + fast[: run % len(fast)]:
                measured = measure(tool, target, offline, f"longline-{megabytes}")
                print(f"long line {megabytes} MB {tool.name}: {measured.seconds:.2f} s", file=sys.stderr)
                times.setdefault((tool.name, megabytes), []).append(measured.seconds)
    return times


def print_long_lines(times: dict[tuple[str, int], list[float]], load_before: tuple[float, float, float]) -> None:
    print()
    print(f"one minified line (3 tokens in it), median wall time; load average {load_before[0]:.2f} at start")
    for name in dict.fromkeys(name for name, _ in times):
        five, ten = _median(times[(name, 5)]), _median(times[(name, 10)])
        print(f"  {name:15} 5 MB {five:6.2f} s   10 MB {ten:6.2f} s   10 MB / 5 MB = {ten / five:.2f}×")


def print_table(
    selected: list[Tool],
    sizes: dict[str, tuple[Path, int]],
    results: dict[tuple[str, str], list[Measurement]],
    cold: dict[str, list[float]],
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
    args: argparse.Namespace,
    offline: bool,
) -> None:
    cpus = len(os.sched_getaffinity(0))
    print(
        f"\ncredscope benchmark — {cpus} CPUs, load average {load_before[0]:.2f} before / {load_after[0]:.2f}"
        f" after, median of {args.runs} alternating runs ({args.slow_runs} for detect-secrets),"
        f" {'offline (unshare -n)' if offline else 'online'}, no validation"
    )
    header = f"{'corpus':18} {'tool':15} {'wall s':>8} {'MB/s':>8} {'peak MB':>8} {'findings':>9} {'exit':>5}"
    print(header)
    print("-" * len(header))
    medians: dict[tuple[str, str], float] = {}
    for size, (_, size_bytes) in sizes.items():
        corpus = f"{size} {size_bytes / 1e6:.1f} MB"
        for tool in selected:
            runs = results[(tool.name, size)]
            wall = _median([m.seconds for m in runs])
            medians[(tool.name, size)] = wall
            peak = max(m.peak_mb for m in runs)
            print(
                f"{corpus:18} {tool.name:15} {wall:8.2f} {size_bytes / 1e6 / wall:8.1f} {peak:8.0f}"
                f" {runs[-1].findings:9d} {runs[-1].exit_code:5d}"
            )
    print()
    print("credscope throughput relative to each peer (higher is better; target ≥2× Kingfisher, ≥50× detect-secrets)")
    for size in sizes:
        ratios = [
            f"{t.name} {medians[(t.name, size)] / medians[('credscope', size)]:.2f}×"
            for t in selected
            if t.name != "credscope" and ("credscope", size) in medians
        ]
        print(f"  {size:6} " + ", ".join(ratios))
    if ("credscope", "small") in medians:
        (_, small_bytes), (_, large_bytes) = sizes["small"], sizes["large"]
        for tool in selected:
            growth = medians[(tool.name, "large")] / medians[(tool.name, "small")]
            print(f"  scaling {tool.name:15} {large_bytes / small_bytes:.2f}× the bytes took {growth:.2f}× the time")
    print()
    print(f"cold start: one small .env file, median of {args.cold_runs} alternating runs (pre-commit case)")
    for tool in selected:
        print(f"  {tool.name:15} {_median(cold[tool.name]) * 1000:7.0f} ms  (min {min(cold[tool.name]) * 1000:.0f})")


if __name__ == "__main__":
    sys.exit(main())
