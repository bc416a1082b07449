"""False positives on real code: findings per 100 MB of the standard library and large packages, and precision
on a labelled set of application packages from PyPI and npm.

    python benchmarks/false_positives.py                     # stdlib + the packages below that are installed
    python benchmarks/false_positives.py --top 5 --packages botocore moto
    python benchmarks/false_positives.py --json report.json  # also write the numbers

    python benchmarks/false_positives.py --registry          # the precision table of the registry-based set
    python benchmarks/false_positives.py --registry --list   # ... and every finding with its label
    python benchmarks/false_positives.py --registry --only pypi:wagtail npm:ghost
    python benchmarks/false_positives.py --pin pypi:NAME npm:@scope/name@1.2.3   # add packages to the set

Stdlib mode: everything is scanned in place through credscope's Python API (nothing is copied), with no
directory excluded except bytecode caches and, for the standard library, the site-packages inside it (the
packages are scanned on their own). Every finding there is a false positive or a published test/sample
credential; the output names each rule's rate and its top examples (redacted previews, path:line) so each kind
can be looked at. Findings of the same credential in several places count once per location.

Registry mode (--registry): the application packages pinned in benchmarks/registry_set.json (name, version,
sha256) are downloaded from PyPI and npm into ~/.cache/credscope-bench (or $CREDSCOPE_BENCH_CACHE, or --cache),
unpacked safely, and each scanned with the default options and gate, as `credscope scan PACKAGE` would. A
finding is one credential in one file of one package; benchmarks/labels.json says for each (by fingerprint,
never the value) whether it is a credential, a test fixture, a placeholder or not a credential. The table shows
the count by category, the share that are not credentials (target at most 10 %), placeholders above severity
low and test fixtures failing the default gate (target 0 each), by rule, by confidence and by severity.
Findings without a label are listed as unlabelled: look at each and add it to labels.json.
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

# labels.py and registry.py sit beside this script, which Python puts first on sys.path when it runs it.
from labels import LABELS, UNLABELLED, Finding, category_of, describe, load_labels, render
from labels import measure as measure_precision
from registry import MANIFEST, Package, default_cache, excluded_paths, load_manifest, resolve, save_manifest, unpacked

from credscope.api import ScanOptions, scan
from credscope.model import ScanResult
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


def findings_of(package: Package, result: ScanResult) -> list[Finding]:
    """One finding per credential per file, at its first line in that file."""
    failing = set(result.verdict.failing)
    found: dict[tuple[str, str], Finding] = {}
    for credential in result.credentials:
        confidence = getattr(credential, "confidence", None)
        for location in sorted(credential.locations, key=lambda loc: (loc.path, loc.line)):
            if (location.path, credential.fingerprint) in found:
                continue
            found[(location.path, credential.fingerprint)] = Finding(
                package=package.key,
                path=location.path,
                line=location.line,
                fingerprint=credential.fingerprint,
                rule=credential.rule,
                provider=credential.provider,
                kind=credential.kind,
                severity=credential.severity.value,
                confidence=None if confidence is None else str(getattr(confidence, "value", confidence)),
                failing=credential.fingerprint in failing,
                preview=credential.preview,
            )
    return sorted(found.values(), key=lambda f: (f.path, f.line, f.fingerprint))


def scan_registry_set(packages: list[Package], cache: Path) -> tuple[list[Finding], dict[str, dict[str, object]]]:
    findings: list[Finding] = []
    per_package: dict[str, dict[str, object]] = {}
    total_bytes = 0
    started_all = time.monotonic()
    for package in packages:
        root = unpacked(package, cache)
        options = ScanOptions(tree=TreeOptions(excluded_paths=excluded_paths(package, root)))
        started = time.monotonic()
        result = scan([root], options)
        seconds = time.monotonic() - started
        own = findings_of(package, result)
        findings.extend(own)
        total_bytes += result.stats.bytes_scanned
        per_package[package.key] = {
            "version": package.version,
            "files": result.stats.files_scanned,
            "bytes": result.stats.bytes_scanned,
            "findings": len(own),
            "failing": sum(f.failing for f in own),
        }
        print(
            f"{package.key:45} {package.version:>12} {result.stats.files_scanned:6d} files "
            f"{result.stats.bytes_scanned / MB:7.1f} MB {seconds:6.1f} s {len(own):5d} findings",
            flush=True,
        )
    print(
        f"\n{len(packages)} packages, {total_bytes / MB:.1f} MB scanned in {time.monotonic() - started_all:.1f} s, "
        f"{len(findings)} findings\n"
    )
    return findings, per_package


def registry_main(args: argparse.Namespace) -> int:
    packages = load_manifest(args.manifest)
    if args.only:
        unknown = set(args.only) - {p.key for p in packages}
        if unknown:
            print(f"not in {args.manifest.name}: {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        packages = [p for p in packages if p.key in args.only]
    labels = load_labels(args.labels)
    findings, per_package = scan_registry_set(packages, args.cache)
    precision = measure_precision(findings, labels, [p.key for p in packages])
    print(render(precision))
    unlabelled = [f for f in findings if category_of(f, labels) == UNLABELLED]
    if args.list:
        print("\nfindings")
        for finding in findings:
            print("  " + describe(finding, category_of(finding, labels)))
    elif unlabelled:
        print("\nunlabelled")
        for finding in unlabelled:
            print("  " + describe(finding))
    if args.json:
        report = {
            "packages": per_package,
            "precision": precision.as_dict(),
            "findings": [{**{k: v for k, v in vars(f).items()}, "category": category_of(f, labels)} for f in findings],
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


def pin_main(args: argparse.Namespace) -> int:
    """Add or update packages of the registry set: resolve the version and record the tarball's sha256."""
    pinned = {p.key: p for p in load_manifest(args.manifest)} if args.manifest.exists() else {}
    for spec in args.pin:
        package = resolve(spec, args.cache)
        previous = pinned.get(package.key)
        if previous is not None:  # keep what people wrote about it
            package = Package(**{**vars(package), "kind": previous.kind, "exclude": previous.exclude})
        pinned[package.key] = package
        print(f"{package.key} {package.version} {package.sha256}")
    save_manifest(pinned.values(), args.manifest)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", nargs="*", default=list(PACKAGES), help="installed packages to scan")
    parser.add_argument("--top", type=int, default=3, help="examples shown per rule")
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    registry = parser.add_argument_group("registry-based real-code set")
    registry.add_argument("--registry", action="store_true", help="scan the pinned application packages instead")
    registry.add_argument("--only", nargs="+", metavar="REGISTRY:NAME", help="only these packages of the set")
    registry.add_argument("--list", action="store_true", help="list every finding with its label")
    registry.add_argument("--pin", nargs="+", metavar="SPEC", help="pin pypi:NAME[==VERSION] or npm:NAME[@VERSION]")
    registry.add_argument("--cache", type=Path, default=default_cache(), help="where tarballs are kept and unpacked")
    registry.add_argument("--manifest", type=Path, default=MANIFEST, help=argparse.SUPPRESS)
    registry.add_argument("--labels", type=Path, default=LABELS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.pin:
        return pin_main(args)
    if args.registry:
        return registry_main(args)

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
