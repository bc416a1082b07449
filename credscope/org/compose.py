"""A repository's complete picture for this run: what its tasks found, plus what the last scan found in the
parts this one did not reread (an unchanged tree, the history before the old heads), and what changed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from credscope.baseline import Suppressions
from credscope.model import Reach
from credscope.org.store import RepoRecord
from credscope.org.wire import Finding, HistoryMode, Previous, RepoOutcome, ScanPart, Status, merge_findings


def compose(
    outcome: RepoOutcome,
    slices: Sequence[ScanPart],
    previous: Previous | None,
    earlier: Sequence[Finding],
    carry: bool,
    history_enabled: bool,
    suppress: Suppressions,
) -> RepoRecord:
    """`earlier`: the findings of the repository's last successful scan; `carry`: whether what this run did not
    reread may be taken from them (not with --full)."""
    failed = outcome.error or next((part.error for part in slices if part.error), "")
    if outcome.status is Status.ERROR or failed:
        return RepoRecord(outcome.repo, Status.ERROR, error=failed, worker=outcome.worker, seconds=outcome.seconds)
    part = outcome.part
    for piece in slices:
        part = part.plus(piece)
    keep_tree = carry and not outcome.tree_scanned
    keep_history = carry and outcome.history in (HistoryMode.NONE, HistoryMode.INCREMENTAL)
    carried: list[Finding] = []
    for finding in earlier:
        kept = tuple(
            location
            for location in finding.locations
            if (keep_history if location.reach is Reach.HISTORY else keep_tree)
        )
        if kept:
            carried.append(replace(finding, locations=kept))
    # What this run found first: among sightings of equal severity its scope (the newer inference) is kept.
    merged = [f for f in merge_findings([*part.findings, *carried]) if suppress.why(f.fingerprint) is None]
    merged.sort(key=lambda f: (-f.severity.rank, f.locations[0].key() if f.locations else (), f.fingerprint))
    found = {finding.fingerprint for finding in merged}
    before = {finding.fingerprint for finding in earlier}
    if history_enabled:
        heads, covered = outcome.heads, True
    else:  # the history was not looked at: what the picture says about it is still the last scan's
        heads = previous.heads if previous is not None else ()
        covered = previous.history if previous is not None else False
    return RepoRecord(
        repo=outcome.repo,
        status=outcome.status,
        head_commit=outcome.head_commit,
        tree_id=outcome.tree_id,
        heads=heads,
        history_covered=covered,
        tree_scanned=outcome.tree_scanned,
        history=outcome.history,
        part=part,
        findings=tuple(merged),
        new=frozenset(found - before),
        gone=tuple(f for f in earlier if f.fingerprint not in found and suppress.why(f.fingerprint) is None),
        worker=outcome.worker,
        seconds=outcome.seconds,
    )
