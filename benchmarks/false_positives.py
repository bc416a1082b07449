"""Findings per 100 MB on real code that holds no live secrets: the Python standard library and large packages.

    python benchmarks/false_positives.py                     # stdlib + the packages below that are installed
    python benchmarks/false_positives.py --top 5 --packages botocore moto
    python benchmarks/false_positives.py --json report.json  # also write the numbers

Everything is scanned in place through credscope's Python API (nothing is copied), with no directory
excluded except bytecode caches and, for the standard library, the site-packages inside it (the packages are
scanned on their own). Every finding here is a false positive or a published test/sample credential; the
output names each rule's rate and its top examples (redacted previews, path:line) so each kind can be looked
at. Findings of the same credential in several places count once per location.
"""

from __future__ import annotations

import argparse
import json
import sys
import sysconfig
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from credscope.api import ScanOptions, scan
from credscope.sources.tree import TreeOptions

PACKAGES = ("botocore", "moto", "mypy", "cfnlint", "cryptography", "pip", "setuptools", "hypothesis", "docker")
MB = 1024 * 1024


@dataclass
class Tally:
    bytes_scanned: int = 0
    files: int = 0
    seconds: float = 0.0
    by_rule: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


def roots(packages: tuple[str, ...]) -> list[tuple[str, Path, tuple[str, ...]]]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    site = Path(sysconfig.get_paths()["purelib"])
    found = [("stdlib", stdlib, ("site-packages", "__pycache__"))]
    for name in packages:
        path = site / name
        if path.is_dir():
            found.append((name, path, ("__pycache__",)))
    return found


def measure(label: str, root: Path, excluded: tuple[str, ...], tally: Tally, top: int) -> Tally:
    options = ScanOptions(tree=TreeOptions(excluded_dirs=excluded))
    started = time.monotonic()
    result = scan([root], options)
    own = Tally(result.stats.bytes_scanned, result.stats.files_scanned, time.monotonic() - started)
    for credential in result.credentials:
        for location in credential.locations:
            rule = credential.rule
            own.by_rule[rule] += 1
            if len(tally.examples[rule]) < top:
                where = f"{label}/{location.path}:{location.line}"
                tally.examples[rule].append(f"{credential.provider}/{credential.kind} {credential.preview}  {where}")
    tally.bytes_scanned += own.bytes_scanned
    tally.files += own.files
    tally.seconds += own.seconds
    tally.by_rule.update(own.by_rule)
    total = sum(own.by_rule.values())
    rate = total / (own.bytes_scanned / (100 * MB)) if own.bytes_scanned else 0.0
    print(
        f"{label:14} {own.files:7d} files {own.bytes_scanned / MB:8.1f} MB {own.seconds:6.1f} s "
        f"{total:5d} findings {rate:7.1f} per 100 MB",
        flush=True,
    )
    return own


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", nargs="*", default=list(PACKAGES), help="installed packages to scan")
    parser.add_argument("--top", type=int, default=3, help="examples shown per rule")
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    args = parser.parse_args(argv)

    tally = Tally()
    per_root: dict[str, dict[str, object]] = {}
    for label, root, excluded in roots(tuple(args.packages)):
        own = measure(label, root, excluded, tally, args.top)
        per_root[label] = {"bytes": own.bytes_scanned, "files": own.files, "by_rule": dict(own.by_rule)}

    hundreds = tally.bytes_scanned / (100 * MB) or 1.0
    total = sum(tally.by_rule.values())
    print(
        f"\nall: {tally.files} files, {tally.bytes_scanned / MB:.1f} MB, {tally.seconds:.1f} s, "
        f"{total} findings = {total / hundreds:.1f} per 100 MB\n"
    )
    for rule, count in tally.by_rule.most_common():
        print(f"{rule:36} {count:6d}  {count / hundreds:7.2f} per 100 MB")
        for example in tally.examples[rule]:
            print(f"    {example}")
    if args.json:
        report = {
            "bytes": tally.bytes_scanned,
            "files": tally.files,
            "findings": total,
            "per_100_mb": round(total / hundreds, 2),
            "by_rule": dict(tally.by_rule.most_common()),
            "roots": per_root,
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
