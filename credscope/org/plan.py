"""What to read of a repository this time, from what its mirror holds now and what the last scan saw.

* The default branch's tree, when its tree id changed (or on a first or `--full` scan).
* The history: nothing when no ref moved; only commits no old ref reached when every old ref is still
  reachable (`<every head> ^<old head>...`); all of it otherwise (a first scan, or a force-push that rewrote it).
* A history of more than `split_commits` new commits is cut into slices along the default branch's
  first-parent line (`<b_i> ^<b_i+1>`, disjoint, together all of it) plus what other refs add
  (`<every head> ^HEAD`); the first slice is scanned by the repository's own task, the rest by tasks of their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from credscope.org.mirror import MirrorError, MirrorState, read_git
from credscope.org.wire import HistoryMode, HistoryRange, Previous

_OBJECT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")  # what the store says is only ever passed to git as one


@dataclass(frozen=True)
class Plan:
    tree: bool
    history: HistoryMode
    ranges: tuple[HistoryRange, ...]

    @property
    def unchanged(self) -> bool:
        return not self.tree and self.history is HistoryMode.NONE


def plan_scan(mirror: Path, state: MirrorState, previous: Previous | None, history: bool, split_commits: int) -> Plan:
    tree = previous is None or previous.tree_id != state.tree_id
    if not history or not state.heads:
        return Plan(tree, HistoryMode.NONE, ())
    if previous is not None and previous.history and previous.heads == state.heads:
        return Plan(tree, HistoryMode.NONE, ())
    negatives: tuple[str, ...] = ()
    mode = HistoryMode.FULL
    old = previous.heads if previous is not None and previous.history else ()
    if old and all(_OBJECT_ID.fullmatch(head) for head in old) and _still_reachable(mirror, old):
        mode = HistoryMode.INCREMENTAL
        negatives = tuple(f"^{head}" for head in old)
    # Every ref's commit rather than `--all`: the history source reads revisions as names, never as options.
    everything = (*state.heads, *negatives) if negatives else ()
    commits = _count(mirror, everything or ("--all",))
    if commits is None:
        raise _unreadable()
    if commits == 0:
        return Plan(tree, mode, ())
    if commits <= split_commits or not state.head_commit:
        return Plan(tree, mode, (HistoryRange(everything, commits),))
    return Plan(tree, mode, _slices(mirror, state, negatives, commits, split_commits))


def _slices(
    mirror: Path, state: MirrorState, negatives: tuple[str, ...], commits: int, split_commits: int
) -> tuple[HistoryRange, ...]:
    head = state.head_commit
    line = read_git(mirror, ["rev-list", "--first-parent", head, *negatives])
    if line is None:
        raise _unreadable()
    chain = line.decode("ascii").split()
    pieces = min(len(chain), -(-commits // split_commits))
    boundaries = [chain[(index * len(chain)) // pieces] for index in range(pieces)] if pieces else []
    slices: list[HistoryRange] = []
    for index, boundary in enumerate(boundaries):
        older = (f"^{boundaries[index + 1]}",) if index + 1 < len(boundaries) else ()
        revisions = (boundary, *older, *negatives)
        slices.append(HistoryRange(revisions, _count(mirror, revisions) or 0))
    others = (*state.heads, f"^{head}", *negatives)
    beside = _count(mirror, others)
    if beside:
        slices.append(HistoryRange(others, beside))
    return tuple(s for s in slices if s.commits)


def _still_reachable(mirror: Path, old_heads: tuple[str, ...]) -> bool:
    """Whether every commit an old ref pointed at is still reachable from a current ref (no rewrite)."""
    left = _count(mirror, (*old_heads, "--not", "--all"))
    return left == 0


def _count(mirror: Path, revisions: tuple[str, ...]) -> int | None:
    counted = read_git(mirror, ["rev-list", "--count", *revisions])
    if counted is None:
        return None
    try:
        return int(counted.strip())
    except ValueError:
        return None


def _unreadable() -> MirrorError:
    return MirrorError("git cannot walk the history: corrupt repository?")
