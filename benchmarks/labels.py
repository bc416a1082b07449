"""Labelled findings and the precision table of the registry-based real-code set.

A finding is one credential (by fingerprint) in one file of one package. benchmarks/labels.json says what each
one is, keyed by package, path and fingerprint (SHA-256 of the value: never the value or a telling prefix):

    credential      a real-looking, usable credential
    test-fixture    a credential-shaped value in tests, fixtures or examples meant as test data (published
                    sample keys included)
    placeholder     a documentation placeholder or template slot
    not-credential  anything else: words, labels, identifiers, code

The table counts findings by category and shows the share that are not credentials (placeholder +
not-credential), placeholders above severity low and test fixtures that fail the default gate, by rule and by
confidence. Findings with no label are counted as "unlabelled" and listed, so new ones get labelled.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

LABELS = Path(__file__).resolve().parent / "labels.json"
CATEGORIES = ("credential", "test-fixture", "placeholder", "not-credential")
UNLABELLED = "unlabelled"
NOT_CREDENTIALS = ("placeholder", "not-credential")
SEVERITY_RANK = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
TARGET_NOT_CREDENTIALS = 0.10
_FINGERPRINT = re.compile(r"[0-9a-f]{64}")


class LabelError(Exception):
    """The label file is malformed; the message names the entry."""


@dataclass(frozen=True)
class Finding:
    """One credential in one file of one package, as the default scan reports it."""

    package: str  # "pypi:NAME" or "npm:NAME"
    path: str  # relative to the package's root, POSIX
    line: int  # the first line it is on in that file
    fingerprint: str
    rule: str
    provider: str
    kind: str
    severity: str
    confidence: str | None  # None while the scanner has no confidence
    failing: bool  # the default gate fails on it
    preview: str  # credscope's redacted preview, never the value

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.package, self.path, self.fingerprint)


@dataclass(frozen=True)
class Label:
    package: str
    path: str
    fingerprint: str
    category: str
    rule: str = ""  # the rule that reported it when labelled: for people reading the file
    note: str = ""  # why, in words; never the value

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.package, self.path, self.fingerprint)


def load_labels(path: Path = LABELS) -> dict[tuple[str, str, str], Label]:
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    labels: dict[tuple[str, str, str], Label] = {}
    for index, entry in enumerate(data.get("labels", ())):
        where = f"{path.name}: label {index}"
        try:
            label = Label(
                package=entry["package"],
                path=entry["path"],
                fingerprint=entry["fingerprint"],
                category=entry["category"],
                rule=entry.get("rule", ""),
                note=entry.get("note", ""),
            )
        except (KeyError, TypeError) as error:
            raise LabelError(f"{where}: needs package, path, fingerprint and category ({error})") from None
        if label.category not in CATEGORIES:
            raise LabelError(f"{where}: category {label.category!r} is not one of {', '.join(CATEGORIES)}")
        if not _FINGERPRINT.fullmatch(label.fingerprint):
            raise LabelError(f"{where}: fingerprint is not a SHA-256 in lower-case hex")
        if label.key in labels:
            raise LabelError(f"{where}: {label.package} {label.path} is labelled twice for one fingerprint")
        labels[label.key] = label
    return labels


def save_labels(labels: Iterable[Label], path: Path = LABELS) -> None:
    """One label a line, sorted by package, path and fingerprint, so a new label is a one-line diff."""
    rows = []
    for label in sorted(labels, key=lambda item: item.key):
        entry = {
            "package": label.package,
            "path": label.path,
            "fingerprint": label.fingerprint,
            "category": label.category,
            "rule": label.rule,
            "note": label.note,
        }
        rows.append("    " + json.dumps(entry, ensure_ascii=False))
    about = (
        "What each finding of benchmarks/false_positives.py --registry is, keyed by package, path and "
        "fingerprint (SHA-256 of the value; values are never written here)"
    )
    categories = {
        "credential": "a real-looking, usable credential",
        "test-fixture": "test data in tests, fixtures or examples (published sample keys included)",
        "placeholder": "a documentation placeholder or template slot",
        "not-credential": "anything else: words, UI labels, identifiers, code",
    }
    text = (
        '{\n  "about": '
        + json.dumps(about)
        + ',\n  "categories": '
        + json.dumps(categories)
        + ',\n  "labels": [\n'
        + ",\n".join(rows)
        + "\n  ]\n}\n"
    )
    path.write_text(text, encoding="utf-8")


def category_of(finding: Finding, labels: Mapping[tuple[str, str, str], Label]) -> str:
    label = labels.get(finding.key)
    return label.category if label else UNLABELLED


@dataclass
class Row:
    """Counts for one slice of the findings (all of them, one rule, one confidence)."""

    by_category: Counter[str] = field(default_factory=Counter)
    placeholders_above_low: int = 0
    fixtures_failing: int = 0
    failing: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_category.values())

    @property
    def labelled(self) -> int:
        return self.total - self.by_category[UNLABELLED]

    @property
    def not_credentials(self) -> int:
        return sum(self.by_category[c] for c in NOT_CREDENTIALS)

    @property
    def not_credential_share(self) -> float:
        return self.not_credentials / self.labelled if self.labelled else 0.0

    def add(self, finding: Finding, category: str) -> None:
        self.by_category[category] += 1
        self.failing += finding.failing
        if category == "placeholder" and SEVERITY_RANK.get(finding.severity, 0) > SEVERITY_RANK["low"]:
            self.placeholders_above_low += 1
        if category == "test-fixture" and finding.failing:
            self.fixtures_failing += 1

    def as_dict(self) -> dict[str, object]:
        return {
            "findings": self.total,
            "by_category": {c: self.by_category[c] for c in (*CATEGORIES, UNLABELLED)},
            "not_credentials": self.not_credentials,
            "not_credential_share": round(self.not_credential_share, 4),
            "placeholders_above_low": self.placeholders_above_low,
            "fixtures_failing_default_gate": self.fixtures_failing,
            "failing_default_gate": self.failing,
        }


@dataclass
class Precision:
    overall: Row = field(default_factory=Row)
    by_rule: dict[str, Row] = field(default_factory=dict)
    by_confidence: dict[str, Row] = field(default_factory=dict)
    by_severity: dict[str, Row] = field(default_factory=dict)
    stale_labels: int = 0  # labels of scanned packages that no finding matched any more

    @property
    def meets_target(self) -> bool:
        row = self.overall
        return (
            row.by_category[UNLABELLED] == 0
            and row.not_credential_share <= TARGET_NOT_CREDENTIALS
            and row.placeholders_above_low == 0
            and row.fixtures_failing == 0
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "overall": self.overall.as_dict(),
            "by_rule": {k: v.as_dict() for k, v in sorted(self.by_rule.items())},
            "by_confidence": {k: v.as_dict() for k, v in sorted(self.by_confidence.items())},
            "by_severity": {k: v.as_dict() for k, v in sorted(self.by_severity.items())},
            "stale_labels": self.stale_labels,
            "meets_target": self.meets_target,
        }


def measure(
    findings: Iterable[Finding], labels: Mapping[tuple[str, str, str], Label], packages: Iterable[str] = ()
) -> Precision:
    """Count the findings by category; `packages` (keys) are the ones scanned, for counting stale labels."""
    precision = Precision()
    seen: set[tuple[str, str, str]] = set()
    for finding in findings:
        category = category_of(finding, labels)
        seen.add(finding.key)
        precision.overall.add(finding, category)
        precision.by_rule.setdefault(finding.rule, Row()).add(finding, category)
        confidence = finding.confidence or "n/a"
        precision.by_confidence.setdefault(confidence, Row()).add(finding, category)
        precision.by_severity.setdefault(finding.severity, Row()).add(finding, category)
    scanned = set(packages)
    precision.stale_labels = sum(1 for key in labels if key[0] in scanned and key not in seen)
    return precision


_COLUMNS = ("findings", "cred", "fixture", "placeh", "not-cred", "unlab", "not-cred %", "ph>low", "fix-fail", "fails")


def _line(name: str, row: Row) -> str:
    counts = row.by_category
    cells = (
        row.total,
        counts["credential"],
        counts["test-fixture"],
        counts["placeholder"],
        counts["not-credential"],
        counts[UNLABELLED],
    )
    share = f"{100 * row.not_credential_share:.1f}" if row.labelled else "-"
    return (
        f"{name[:38]:38} "
        + " ".join(f"{cell:>{len(column)}d}" for cell, column in zip(cells, _COLUMNS, strict=False))
        + f" {share:>10} {row.placeholders_above_low:>6d} {row.fixtures_failing:>8d} {row.failing:>5d}"
    )


def _section(title: str, rows: Mapping[str, Row], order: Callable[[tuple[str, Row]], tuple[int, str]]) -> list[str]:
    lines = [f"\nby {title}", f"{'':38} " + " ".join(_COLUMNS)]
    lines.extend(_line(name, row) for name, row in sorted(rows.items(), key=order))
    return lines


def render(precision: Precision) -> str:
    """The precision table, as text (the caller prints it)."""
    row = precision.overall
    lines = ["category          findings   share"]
    for category in (*CATEGORIES, UNLABELLED):
        count = row.by_category[category]
        share = f"{100 * count / row.total:5.1f} %" if row.total else "    -"
        lines.append(f"{category:16} {count:9d}   {share}")
    lines.append(f"{'all':16} {row.total:9d}")
    lines.append("")
    verdict = "meets" if precision.meets_target else "misses"
    lines.append(
        f"not credentials (placeholder + not-credential): {row.not_credentials} of {row.labelled} labelled "
        f"= {100 * row.not_credential_share:.1f} %   (target ≤ {100 * TARGET_NOT_CREDENTIALS:.0f} %)"
    )
    lines.append(f"placeholders above severity low:                {row.placeholders_above_low}   (target 0)")
    lines.append(f"test fixtures failing the default gate:         {row.fixtures_failing}   (target 0)")
    lines.append(f"findings failing the default gate:              {row.failing}")
    if row.by_category[UNLABELLED]:
        lines.append(f"unlabelled findings:                            {row.by_category[UNLABELLED]}   (label them)")
    if precision.stale_labels:
        lines.append(f"labels no finding matched any more:             {precision.stale_labels}")
    lines.append(f"the set {verdict} the target")
    lines.extend(_section("rule", precision.by_rule, lambda item: (-item[1].total, item[0])))
    confidence_order = {"certain": 0, "likely": 1, "possible": 2}
    lines.extend(
        _section("confidence", precision.by_confidence, lambda item: (confidence_order.get(item[0], 9), item[0]))
    )
    lines.extend(_section("severity", precision.by_severity, lambda item: (-SEVERITY_RANK.get(item[0], -1), item[0])))
    return "\n".join(lines)


def describe(finding: Finding, category: str = "") -> str:
    """One line naming a finding without its value: package, place, rule, severity, confidence, preview."""
    confidence = finding.confidence or "-"
    gate = " FAILS" if finding.failing else ""
    label = f"[{category}] " if category else ""
    return (
        f"{label}{finding.package} {finding.path}:{finding.line}  {finding.rule} {finding.provider}/{finding.kind} "
        f"{finding.severity}/{confidence}{gate}  {finding.preview}  fp {finding.fingerprint[:16]}"
    )
