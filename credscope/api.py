"""The Python API: `scan()` runs sources → detection → credentials → scope → policy; the CLI uses it."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from credscope.baseline import Suppressions
from credscope.catalogue import Catalogue, ProviderDir, load_catalogue
from credscope.detect.engine import Detector
from credscope.detect.parallel import Detected, Listed, detect_all
from credscope.errors import UsageError
from credscope.group import group
from credscope.in_effect import Counts, settle
from credscope.model import (
    Candidate,
    Credential,
    Document,
    InEffect,
    Reach,
    ScanResult,
    Skipped,
    Stats,
    Unread,
    Window,
)
from credscope.policy import Policy
from credscope.progress import Progress
from credscope.report.escape import printable
from credscope.scrub import scrubbed
from credscope.sources import Source, SourceReport
from credscope.sources.exclusions import Exclusions
from credscope.sources.home import AgentConfigSource, repo_store_for, with_store_context
from credscope.sources.named import check_named_file, is_stream, read_stream
from credscope.sources.tree import Reading, TreeOptions, TreeSource
from credscope.sources.windows import windowed_note

# What only some scans need is imported where it is used: a plain scan of a tree starts without it.
if TYPE_CHECKING:
    from credscope.probes.settings import ProbeSettings
    from credscope.scope.infer import Inferences


@dataclass(frozen=True)
class ScanOptions:
    tree: TreeOptions = field(default_factory=TreeOptions)
    policy: Policy = field(default_factory=Policy)
    provider_dirs: tuple[Path | ProviderDir, ...] = ()  # a plain Path: named by the caller (trusted)
    # Credentials not to report (baseline, config ignore list), and providers whose rules do not run.
    suppress: Suppressions = field(default_factory=Suppressions)
    disabled_providers: frozenset[str] = frozenset()
    progress: Progress | None = None
    # Reach beyond the working tree: git history of each path, a home directory, the environment.
    history: bool = False
    since: str | None = None  # with history: only what HEAD adds to this BASE (`BASE` or `BASE..HEAD`)
    home: Path | None = None
    env: bool = False
    environ: Mapping[str, str] | None = None  # the variables --env scans (None: this process's)
    tree_enabled: bool = True  # False scans only the reaches above (e.g. `scan --home DIR` alone)
    jobs: int | None = None  # detection worker processes (None: $CREDSCOPE_JOBS, else one per CPU)
    # Live, read-only scope queries (--verify); None keeps the scan offline: no socket is opened.
    verify: ProbeSettings | None = None
    # The configuration file and what it and the command line narrow; the scan counts and reports them.
    in_effect: InEffect = field(default_factory=InEffect)


def scan(
    paths: Sequence[str | Path] = (".",),
    options: ScanOptions | None = None,
    catalogue: Catalogue | None = None,
    extra_sources: Sequence[Source] = (),
) -> ScanResult:
    """Scan the given paths (and any extra sources) offline and judge the result."""
    options = options or ScanOptions()
    catalogue = catalogue or load_catalogue(options.provider_dirs)
    if options.disabled_providers:
        catalogue = Catalogue({k: v for k, v in catalogue.providers.items() if k not in options.disabled_providers})
    roots = [Path(p) for p in paths]
    streams: list[Source] = []
    named: list[Path] = []  # everything but the streams, read by the sources below
    for root in roots:
        if options.tree_enabled and is_stream(root):
            streams.append(read_stream(root, options.tree.max_file_size))
            continue
        named.append(root)
        if not root.exists():
            raise UsageError(f"{printable(str(root))}: no such file or directory")
        if options.tree_enabled:
            check_named_file(root)
    if options.home is not None and not options.home.is_dir():
        raise UsageError(f"{options.home}: --home needs a directory")
    sources = streams + reach_sources(named, options)
    sources.extend(extra_sources)
    return run(
        sources,
        catalogue,
        options.policy,
        tuple(str(r) for r in roots),
        suppress=options.suppress,
        progress=options.progress,
        verify=options.verify,
        in_effect=options.in_effect,
        jobs=options.jobs,
    )


def reach_sources(roots: Sequence[Path], options: ScanOptions) -> list[Source]:
    """The sources a scan of `roots` reads: the trees (agent configs parsed), then history, home and env."""
    sources: list[Source] = []
    if options.tree_enabled:
        sources.extend(TreeScan(TreeSource(root, options.tree)) for root in roots)
    if options.history:
        from credscope.sources.history import HistorySource  # noqa: PLC0415 - only with --history

        unique = dict.fromkeys(root.resolve() for root in roots)
        excluded = options.tree.excluded_paths
        sources.extend(
            HistorySource(root, options.tree.max_file_size, excluded=excluded, since=options.since) for root in unique
        )
    if options.home is not None:
        from credscope.sources.home import HomeSource  # noqa: PLC0415 - only with --home

        sources.append(HomeSource(options.home))
    if options.env:
        from credscope.sources.environ import EnvironmentSource  # noqa: PLC0415 - only with --env

        sources.append(EnvironmentSource(options.environ))
    return sources


def run(
    sources: Sequence[Source],
    catalogue: Catalogue,
    policy: Policy,
    roots: tuple[str, ...],
    inferences: Inferences | None = None,
    suppress: Suppressions | None = None,
    progress: Progress | None = None,
    verify: ProbeSettings | None = None,
    in_effect: InEffect | None = None,
    jobs: int | None = None,
) -> ScanResult:
    started = time.monotonic()
    detector = Detector(catalogue)
    report = SourceReport()
    counter = _Counter(report, progress)
    unparsed = _Unparsed()  # files whose format did not parse, with the reason
    inline: dict[str, int] = {}  # path -> matches an inline ignore marker hid
    exclusions = Exclusions()  # agent-exclusion files covering a finding are named on it
    reading = Reading()
    try:
        detected = counter.count(detect_all(detector, counter.listed(_items(sources, report)), jobs, read=reading))
        candidates = list(_candidates(detector, detected, unparsed, inline, exclusions))
    finally:
        reading.close()
        if progress is not None:
            progress.finish()
    if any(candidate.location.reach is Reach.HISTORY for candidate in candidates):
        from credscope.sources.history import first_sightings  # noqa: PLC0415 - only history has repeats

        candidates = first_sightings(candidates)
    grouped = group(candidates)
    credentials: list[Credential] = []
    if grouped:  # the scope inferences are many modules: a scan that found nothing never loads them
        from credscope.detect.confidence import judged  # noqa: PLC0415
        from credscope.scope.infer import assess  # noqa: PLC0415

        registry = builtin_inferences() if inferences is None else inferences
        rules = {rule.id: rule for provider in catalogue.providers.values() for rule in provider.rules}
        credentials = [assess(judged(c, rules.get(c.rule)), catalogue, registry) for c in grouped]
    credentials, notes, hidden = _unsuppressed(credentials, suppress)
    if verify is not None:
        from credscope.probes.runner import verify as verify_live  # noqa: PLC0415 - only with --verify

        credentials, probe_notes = verify_live(credentials, catalogue, verify)
        notes = (*notes, *probe_notes)
    notes = (*notes, *windowed_note(report.windowed), *unparsed.note(), *exclusions.notes)
    # Last, so that nothing an inference, a probe or a store wrote can carry a secret into a report.
    credentials, notes = scrubbed(credentials, notes)
    credentials.sort(key=lambda c: (-c.severity.rank, c.locations[0].sort_key()))
    verdict = policy.judge(credentials)
    stats = Stats(
        files_scanned=counter.files,
        bytes_scanned=counter.bytes,
        skipped=counter.skipped(),
        duration_seconds=round(time.monotonic() - started, 3),
    )
    counts = Counts(
        excluded=report.excluded,
        skipped=stats.skipped,
        inline_ignored=inline,
        hidden=hidden,
        excluded_paths=report.excluded_paths,
    )
    settled = settle(in_effect or InEffect(), counts, suppress, roots[0] if roots else None)
    return ScanResult(
        roots=roots, credentials=tuple(credentials), stats=stats, verdict=verdict, notes=notes, in_effect=settled
    )


def builtin_inferences() -> Inferences:
    """The built-in scope inferences, imported when a scan first needs them."""
    from credscope.scope.registry import builtin_inferences as inferences  # noqa: PLC0415

    return inferences()


def _unsuppressed(
    credentials: list[Credential], suppress: Suppressions | None
) -> tuple[list[Credential], tuple[str, ...], list[str]]:
    """Drop baseline/ignored credentials before the policy sees them; say how many, never which secret.

    Also returns the fingerprints dropped, so each ignore entry and the baseline can be shown with what it hid."""
    if not suppress:
        return credentials, (), []
    kept: list[Credential] = []
    hidden: list[str] = []
    why_counts: dict[str, int] = {}
    for credential in credentials:
        why = suppress.why(credential.fingerprint)
        if why is None:
            kept.append(credential)
        else:
            hidden.append(credential.fingerprint)
            why_counts[why] = why_counts.get(why, 0) + 1
    notes = tuple(f"{count} credential(s) not reported: {why}" for why, count in sorted(why_counts.items()))
    return kept, notes, hidden


@dataclass
class TreeScan:
    """A scanned tree: its agent configs read and parsed here (sources/home.py), every other file within the size
    limit listed for the detector to read where it runs. Its documents, read here, are the same."""

    tree: TreeSource
    name: str = "tree"

    def documents(self, report: SourceReport) -> Iterator[Document]:
        return AgentConfigSource(self.tree).documents(report)

    def items(self, report: SourceReport) -> Iterator[Document | Unread]:
        for item in self.tree.listing(report, read_here=_agent_config):
            if isinstance(item, Unread):
                yield item
            else:
                yield from AgentConfigSource(_Given(item)).documents(report)


def _agent_config(relative: str) -> bool:
    return repo_store_for(relative) is not None


@dataclass
class _Given:
    """One document read already, as a source."""

    document: Document
    name: str = "tree"

    def documents(self, report: SourceReport) -> Iterator[Document]:
        yield self.document


def _items(sources: Iterable[Source], report: SourceReport) -> Iterator[Document | Unread]:
    """Each source's documents; a tree's files and a history's blobs listed, for detection to read."""
    for source in sources:
        listing: Callable[[SourceReport], Iterator[Document | Unread]] | None = getattr(source, "items", None)
        yield from listing(report) if listing is not None else source.documents(report)


class _Unparsed:
    """Files whose format did not parse: how many, and the first few by name with the reason (all a note shows)."""

    def __init__(self) -> None:
        self.count = 0
        self.shown: list[str] = []

    def add(self, path: str, error: str) -> None:
        self.count += 1
        if len(self.shown) < _UNPARSED_SHOWN:
            self.shown.append(f"{path} ({error})")

    def note(self) -> tuple[str, ...]:
        """Say which files did not parse as their format: their findings rest on line-by-line context only."""
        if not self.count:
            return ()
        shown = "; ".join(self.shown) + ("; …" if self.count > _UNPARSED_SHOWN else "")
        return (f"{self.count} file(s) did not parse as their format and were judged line by line: {shown}",)


_UNPARSED_SHOWN = 5


def _candidates(
    detector: Detector,
    detected: Iterable[Detected],
    unparsed: _Unparsed,
    inline: dict[str, int],
    exclusions: Exclusions,
) -> Iterator[Candidate]:
    # Sequential for small scans, a process pool once the documents add up: same results, same order.
    for subject, found, stats in detected:
        if stats.parse_error is not None:
            unparsed.add(subject.path, stats.parse_error)
        if stats.ignored_inline:
            inline[subject.path] = inline.get(subject.path, 0) + stats.ignored_inline
        if isinstance(subject, Listed):
            if found:  # where it lies is all the exclusion files ask; its bytes stayed with the worker
                file = subject.file
                placed = Document(path=file.path, content=b"", reach=file.reach, root=file.root, window=subject.window)
                yield from exclusions.annotate(placed, found)
            continue
        yield from exclusions.annotate(subject, with_store_context(subject, found, detector.catalogue))


class _Counter:
    """Files and bytes scanned, counted as detection hands each document back; and what reading a listed file
    skipped, put back where the listing would have recorded it, so that the report's list is in walk order."""

    def __init__(self, report: SourceReport, progress: Progress | None = None) -> None:
        self.files = 0
        self.bytes = 0
        self.report = report
        self.progress = progress
        self._anchors: deque[int] = deque()  # per listed file in flight: the skips recorded before it was listed
        self._late: list[tuple[int, Skipped]] = []
        self._windows = 0  # bytes of the windows of a listed file read so far

    def listed(self, items: Iterable[Document | Unread]) -> Iterator[Document | Unread]:
        for item in items:
            if isinstance(item, Unread):
                self._anchors.append(len(self.report.skipped))
            yield item

    def count(self, detected: Iterable[Detected]) -> Iterator[Detected]:
        for subject, found, stats in detected:
            if isinstance(subject, Listed):
                self._listed(subject)
            else:
                self._add(subject.window, len(subject.content), subject.path)
            yield subject, found, stats

    def skipped(self) -> tuple[Skipped, ...]:
        """The report's skips with those of listed files in their places: each goes after the skips recorded
        before its file was listed."""
        if not self._late:
            return tuple(self.report.skipped)
        merged: list[Skipped] = []
        late = iter(self._late)
        pending = next(late, None)
        for index, skip in enumerate(self.report.skipped):
            while pending is not None and pending[0] <= index:
                merged.append(pending[1])
                pending = next(late, None)
            merged.append(skip)
        if pending is not None:
            merged.append(pending[1])
        merged.extend(skip for _, skip in late)
        return tuple(merged)

    def _listed(self, listed: Listed) -> None:
        window = listed.window
        last = not listed.read or window is None or window.owns_to is None
        anchor = self._anchors.popleft() if last else self._anchors[0]
        self._late.extend((anchor, skip) for skip in listed.skipped)
        if not listed.read:
            return
        self._add(window, listed.size, listed.path)
        if window is not None:
            # Over the size limit, and read in windows: said once read to its end.
            self._windows = (0 if window.index == 0 else self._windows) + listed.size - window.shared
            if window.owns_to is None:
                self.report.read_in_windows(listed.path, self._windows)

    def _add(self, window: Window | None, size: int, path: str) -> None:
        # A file read in windows is one file, and the bytes two windows share are counted once.
        self.files += window is None or window.index == 0
        self.bytes += size - (window.shared if window is not None else 0)
        if self.progress is not None:
            self.progress.update(self.files, self.bytes, path)
