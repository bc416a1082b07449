"""What crosses the wire between the client and the Dask workers, both ways: never a secret.

A worker turns each `Credential` into a `Finding` (fingerprint, redacted preview, scope, locations) before it
returns; the client, the store and the reports only ever see those. `Finding.as_credential` gives the
per-scan reporters and the policy a `Credential` whose secret is empty and whose preview is the worker's.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum

from credscope.model import Access, Confidence, Credential, Location, Reach, Scope, ScopeSource, Severity


@dataclass(frozen=True)
class RepoSpec:
    """One repository to scan: its name in the store and reports, where git clones it from, and whose token
    (GITHUB_TOKEN / GITLAB_TOKEN, read from the worker's own environment) it may be sent with."""

    name: str
    url: str
    auth: str | None = None  # "github" or "gitlab"; the token goes only to the URL's own https host


@dataclass(frozen=True)
class Previous:
    """What the last successful scan of a repository saw: where an incremental scan starts from."""

    tree_id: str
    heads: tuple[str, ...]  # the commits every ref pointed at, deduplicated and sorted
    history: bool  # whether that scan read the history


class Status(str, Enum):
    SCANNED = "scanned"
    UNCHANGED = "unchanged"  # same default-branch tree and same refs as last time: nothing read
    ERROR = "error"


class HistoryMode(str, Enum):
    NONE = "none"  # not read this time (refs unchanged, or --no-history)
    FULL = "full"  # every commit: first scan, --full, or history rewritten since the last one
    INCREMENTAL = "incremental"  # only commits that no ref reached last time


@dataclass(frozen=True)
class HistoryRange:
    """A slice of a repository's history as revisions: () for every ref, ("<head>", ..., "^<old head>", ...)
    for the commits new since the last scan, ("<commit>", "^<older commit>") for one slice of a long history."""

    revisions: tuple[str, ...]
    commits: int


@dataclass(frozen=True)
class WireLocation:
    path: str
    line: int
    column: int
    reach: Reach
    commit: str | None = None
    author_date: str | None = None
    context: tuple[tuple[str, str], ...] = ()
    excluded_by: tuple[str, ...] = ()

    @classmethod
    def of(cls, location: Location) -> WireLocation:
        return cls(
            path=location.path,
            line=location.line,
            column=location.column,
            reach=location.reach,
            commit=location.commit,
            author_date=location.author_date,
            context=tuple(sorted(location.context.items())),
            excluded_by=location.excluded_by,
        )

    def as_location(self) -> Location:
        return Location(
            path=self.path,
            line=self.line,
            column=self.column,
            reach=self.reach,
            commit=self.commit,
            author_date=self.author_date,
            context=dict(self.context),
            excluded_by=self.excluded_by,
        )

    def key(self) -> tuple[str, str, int, int, str]:
        return (self.reach.value, self.path, self.line, self.column, self.commit or "")


@dataclass(frozen=True)
class Finding:
    """A credential as it leaves a worker: everything a report needs except the secret."""

    fingerprint: str
    provider: str
    kind: str
    rule: str
    preview: str
    access: Access
    destructive: bool | None
    destructive_actions: tuple[str, ...]
    scope_source: ScopeSource
    evidence: tuple[str, ...]
    identity: tuple[tuple[str, str], ...]
    production: bool | None
    severity: Severity
    confidence: str | None
    locations: tuple[WireLocation, ...]

    @classmethod
    def of(cls, credential: Credential) -> Finding:
        scope = credential.scope
        return cls(
            fingerprint=credential.fingerprint,
            provider=credential.provider,
            kind=credential.kind,
            rule=credential.rule,
            preview=credential.preview,
            access=scope.access,
            destructive=scope.destructive,
            destructive_actions=scope.destructive_actions,
            scope_source=scope.scope_source,
            evidence=scope.evidence,
            identity=tuple(sorted(scope.identity.items())),
            production=scope.production,
            severity=credential.severity,
            confidence=credential.confidence.value,
            locations=tuple(WireLocation.of(location) for location in credential.locations),
        )

    def as_credential(self, locations: tuple[Location, ...] | None = None) -> Credential:
        """A `Credential` for the policy and the per-scan reporters: empty secret, the worker's preview."""
        scope = Scope(
            access=self.access,
            destructive=self.destructive,
            destructive_actions=self.destructive_actions,
            scope_source=self.scope_source,
            evidence=self.evidence,
            identity=dict(self.identity),
            production=self.production,
        )
        return RedactedCredential(
            fingerprint=self.fingerprint,
            provider=self.provider,
            kind=self.kind,
            rule=self.rule,
            secret="",
            locations=locations if locations is not None else tuple(loc.as_location() for loc in self.locations),
            scope=scope,
            severity=self.severity,
            confidence=Confidence(self.confidence) if self.confidence else Confidence.LIKELY,
            shown=self.preview,
        )


@dataclass(frozen=True)
class RedactedCredential(Credential):
    """A credential rebuilt from a `Finding`: the secret stayed on the worker, the preview is the one it made."""

    shown: str = ""

    @property
    def preview(self) -> str:
        return self.shown


@dataclass(frozen=True)
class ScanPart:
    """What one task read (a tree, a history slice, or both) and found in it."""

    findings: tuple[Finding, ...] = ()
    files: int = 0
    bytes: int = 0
    skipped: int = 0
    commits: int = 0
    notes: tuple[str, ...] = ()
    error: str = ""  # a history slice that could not be scanned, and why

    def plus(self, other: ScanPart) -> ScanPart:
        return ScanPart(
            findings=(*self.findings, *other.findings),
            files=self.files + other.files,
            bytes=self.bytes + other.bytes,
            skipped=self.skipped + other.skipped,
            commits=self.commits + other.commits,
            notes=(*self.notes, *other.notes),
            error=self.error or other.error,
        )


@dataclass(frozen=True)
class RepoOutcome:
    """One repository's result as a worker returns it; `pending` history slices are scanned by further tasks."""

    repo: RepoSpec
    status: Status
    error: str = ""
    head_commit: str = ""
    tree_id: str = ""
    heads: tuple[str, ...] = ()
    tree_scanned: bool = False
    history: HistoryMode = HistoryMode.NONE
    part: ScanPart = field(default_factory=ScanPart)
    pending: tuple[HistoryRange, ...] = ()
    worker: str = ""
    seconds: float = 0.0


def merge_findings(findings: tuple[Finding, ...] | list[Finding]) -> list[Finding]:
    """One finding per fingerprint: locations united, a history location kept once per path (its oldest
    sighting), and the scope of the most severe sighting (an unknown is never resolved toward the harmless)."""
    by_fingerprint: dict[str, list[Finding]] = {}
    for finding in findings:
        by_fingerprint.setdefault(finding.fingerprint, []).append(finding)
    merged: list[Finding] = []
    for group in by_fingerprint.values():
        worst = max(group, key=lambda f: f.severity.rank)  # max keeps the first of equals: the earliest given
        locations: dict[tuple[str, str, int, int, str], WireLocation] = {}
        history: dict[str, WireLocation] = {}
        for finding in group:
            for location in finding.locations:
                if location.reach is Reach.HISTORY:
                    seen = history.get(location.path)
                    if seen is None or _older(location, seen):
                        history[location.path] = location
                else:
                    locations.setdefault(location.key(), location)
        every = sorted([*locations.values(), *history.values()], key=WireLocation.key)
        merged.append(replace(worst, locations=tuple(every)))
    return merged


def _older(location: WireLocation, than: WireLocation) -> bool:
    """Earlier author date; among equals (or unknown dates), the one already kept stays."""
    return _instant(location.author_date) < _instant(than.author_date)


def _instant(author_date: str | None) -> float:
    try:
        return datetime.fromisoformat(author_date).timestamp() if author_date else float("inf")
    except ValueError:
        return float("inf")
