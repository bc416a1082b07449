"""Benchmark `credscope org`: repositories per minute with one and with two Dask workers, on the same repositories.

    python benchmarks/org.py                     # 40 repositories, workers 1 and 2
    python benchmarks/org.py --repos 80 --workers 1 2 4

It builds N git repositories under benchmarks/.work/org/ (gitignored) from real code — this interpreter's
standard library, a different slice in each, about 60 modules — with some history: the code added over three
commits, a few files edited, and in every fourth repository a credential generated at run time committed and
then deleted. Each measurement starts from an empty mirror cache and an empty store (every repository cloned
and its tree and whole history scanned), then runs again with nothing changed (each repository fetched and
found unchanged). Times are wall clock from the first task submitted to the last result recorded; the cluster's
start is shown apart. The per-repository cost is the worker time a task took (clone + scan), summed over the
repositories and divided by their number: what sizing a cluster needs. The credscope cache (compiled catalogue,
Hyperscan databases) is warmed before timing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work" / "org"
ROOT = HERE.parent
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}
MODULES_PER_REPO = 60


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, env={**os.environ, **GIT_ENV}, check=True, capture_output=True)


def build_repos(count: int) -> list[Path]:
    """N repositories of real code with a few commits each; reused while N and the source are the same."""
    base = WORK / f"repos-{count}"
    if (base / ".complete").exists():
        return sorted(p for p in base.iterdir() if p.is_dir())
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    from credscope.testing.generate import expand

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    modules = sorted(p for p in stdlib.rglob("*.py") if "site-packages" not in p.parts and "test" not in p.parts)
    repos = []
    for index in range(count):
        chosen = modules[(index * MODULES_PER_REPO) % len(modules) :][:MODULES_PER_REPO]
        repo = base / f"service-{index:03d}"
        repo.mkdir()
        _git(repo, "init", "-q", "-b", "main")
        for part, files in enumerate((chosen[0::3], chosen[1::3], chosen[2::3])):
            for source in files:
                target = repo / "src" / source.relative_to(stdlib)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
            _git(repo, "add", "-A")
            _git(repo, "commit", "-q", "-m", f"import part {part}")
        for source in chosen[:5]:  # edits: new blobs in history
            target = repo / "src" / source.relative_to(stdlib)
            target.write_text(target.read_text("utf-8", "replace") + "\n# reviewed\n", "utf-8")
        _git(repo, "commit", "-q", "-am", "review")
        if index % 4 == 0:
            (repo / "deploy.env").write_text(expand("RAILWAY_TOKEN={{uuid4}}\n").text)
            _git(repo, "add", "deploy.env")
            _git(repo, "commit", "-q", "-m", "deploy settings")
            _git(repo, "rm", "-q", "deploy.env")
            _git(repo, "commit", "-q", "-m", "no secrets in git")
        repos.append(repo)
    (base / ".complete").touch()
    return repos


def measure(repos: list[Path], workers: int) -> dict[str, float]:
    from credscope.org.enumerate import from_sources
    from credscope.org.schedule import Run, connect
    from credscope.org.store import Store
    from credscope.org.task import Job

    found = from_sources([repos[0].parent])
    scratch = Path(tempfile.mkdtemp(prefix="credscope-org-bench-", dir=WORK))
    try:
        job = Job(mirrors=str(scratch / "mirrors"))
        started = time.monotonic()
        with connect(None, workers) as client, Store.open(str(scratch / "org.sqlite3"), scratch / "x") as store:
            client.run(lambda: None)  # every worker up
            ready = time.monotonic()
            results = {}
            for label in ("cold", "unchanged"):
                run_id = store.begin_run("none", True)
                begin = time.monotonic()
                records = Run(client, store, run_id, job).scan(found.repos)
                results[label] = time.monotonic() - begin
                results[f"{label}_task_seconds"] = sum(r.seconds for r in records)
                results[f"{label}_errors"] = sum(1 for r in records if r.error)
                if label == "cold":
                    results["files"] = sum(r.part.files for r in records)
                    results["bytes"] = sum(r.part.bytes for r in records)
                    results["credentials"] = sum(len(r.findings) for r in records)
                store.finish_run(run_id, "finished")
        results["cluster_start"] = ready - started
        return results
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repos", type=int, default=40)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--runs", type=int, default=1, help="repeat each measurement, report the median")
    options = parser.parse_args()
    os.environ.setdefault("CREDSCOPE_CACHE_DIR", str(WORK / "cache"))
    repos = build_repos(options.repos)
    size = sum(f.stat().st_size for repo in repos for f in (repo / "src").rglob("*") if f.is_file())
    commits = sum(
        int(subprocess.run(["git", "rev-list", "--count", "--all"], cwd=r, capture_output=True, text=True).stdout)
        for r in repos
    )
    # The compiled catalogue and Hyperscan databases are built once per cache, not per repository: built here,
    # before any timing.
    from credscope.api import scan

    scan([repos[0]])
    load = os.getloadavg()[0]
    print(
        f"credscope org benchmark — {os.cpu_count()} CPUs, load average {load:.2f} at start; {len(repos)} repositories, "
        f"{size / 2**20:.1f} MB of code at HEAD, {commits} commits"
    )
    print(f"{'workers':>7} {'start s':>8} {'cold s':>8} {'repos/min':>10} {'s/repo':>7} {'unchanged s':>12} {'repos/min':>10}")
    for workers in options.workers:
        runs = [measure(repos, workers) for _ in range(options.runs)]
        median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        print(
            f"{workers:>7} {median['cluster_start']:>8.2f} {median['cold']:>8.2f} "
            f"{60 * len(repos) / median['cold']:>10.1f} {median['cold_task_seconds'] / len(repos):>7.3f} "
            f"{median['unchanged']:>12.2f} {60 * len(repos) / median['unchanged']:>10.1f}"
        )
        if median["cold_errors"] or median["unchanged_errors"]:
            print(f"        errors: {median['cold_errors']:.0f} cold, {median['unchanged_errors']:.0f} unchanged")
    print(
        f"cold: clone + tree + whole history of every repository ({runs[0]['files']:.0f} files and blobs, "
        f"{runs[0]['bytes'] / 2**20:.1f} MB read, {runs[0]['credentials']:.0f} credentials); unchanged: fetch and "
        "compare only. s/repo: worker seconds per repository (cold)."
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
