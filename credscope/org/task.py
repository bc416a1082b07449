"""The work of one Dask task, on a worker: mirror one repository, decide what changed, scan it with the
single-repository engine (`credscope.api.run`), and return only redacted findings.

Idempotent: running a task twice (a worker lost mid-run, its tasks rescheduled) fetches nothing new and
returns the same answer. Any failure becomes an outcome with a one-line reason that names no secret.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from credscope.baseline import Suppressions
from credscope.errors import CredscopeError
from credscope.org.mirror import MirrorError, locked, mirror_path, mirror_state, mirrors_root, read_git, update_mirror
from credscope.org.plan import Plan, plan_scan
from credscope.org.wire import Finding, HistoryMode, HistoryRange, Previous, RepoOutcome, RepoSpec, ScanPart, Status
from credscope.policy import Policy
from credscope.sources.tree import TreeOptions

if TYPE_CHECKING:
    from credscope.catalogue import Catalogue, ProviderDir
    from credscope.org.limits import ClusterLimit
    from credscope.probes.settings import ProbeSettings
    from credscope.sources import Source

DEFAULT_SPLIT_COMMITS = 5000


@dataclass(frozen=True)
class Job:
    """Everything a worker needs for any repository of one run: picklable, and holding no secret."""

    tree: TreeOptions = field(default_factory=TreeOptions)
    policy: Policy = field(default_factory=Policy)
    provider_dirs: tuple[Path | ProviderDir, ...] = ()  # a remote worker must see the same directories
    suppress: Suppressions = field(default_factory=Suppressions)
    disabled_providers: frozenset[str] = frozenset()
    history: bool = True
    full: bool = False  # rescan everything, whatever the last run saw
    mirrors: str | None = None  # the mirror cache (default: each worker's credscope cache directory)
    split_commits: int = DEFAULT_SPLIT_COMMITS  # history slices of about this many commits run as their own tasks
    git_timeout: float = 3600.0
    verify: ProbeSettings | None = None
    probe_limit: ClusterLimit | None = None  # --verify: each provider's limits, shared by the whole cluster


def scan_repository(job: Job, spec: RepoSpec, previous: Previous | None) -> RepoOutcome:
    """The task for one repository: its tree and (the first slice of) its history."""
    started = time.monotonic()
    _one_process_per_task()
    try:
        root = mirrors_root(job.mirrors)
        mirror = update_mirror(spec, root, job.git_timeout)
        with locked(mirror, exclusive=False):
            state = mirror_state(mirror)
            plan = plan_scan(mirror, state, None if job.full else previous, job.history, job.split_commits)
            outcome = RepoOutcome(
                repo=spec,
                status=Status.UNCHANGED if plan.unchanged else Status.SCANNED,
                head_commit=state.head_commit,
                tree_id=state.tree_id,
                heads=state.heads,
                tree_scanned=plan.tree,
                history=plan.history,
                pending=plan.ranges[1:],
            )
            if plan.unchanged:
                return replace(outcome, worker=_worker(), seconds=time.monotonic() - started)
            part = _scan(job, mirror, spec, state.head_commit, plan)
    except (CredscopeError, OSError) as error:
        return _failed(spec, _reason(error), started)
    except Exception as error:  # noqa: BLE001 - one repository's failure must not end the run
        return _failed(spec, f"internal error ({type(error).__name__})", started)
    return replace(outcome, part=part, worker=_worker(), seconds=time.monotonic() - started)


def scan_history_slice(job: Job, spec: RepoSpec, history: HistoryRange) -> ScanPart:
    """The task for one further slice of a large repository's history. A failure is the part's `error`: the
    client then reports the whole repository as failed, never as scanned with a slice missing."""
    _one_process_per_task()
    try:
        root = mirrors_root(job.mirrors)
        mirror = mirror_path(root, spec)
        wanted = [revision.lstrip("^") for revision in history.revisions if not revision.startswith("-")]
        if not _has_commits(mirror, wanted):
            mirror = update_mirror(spec, root, job.git_timeout)  # mirrored by a task on another machine
        with locked(mirror, exclusive=False):
            part = _run(job, [history_source(mirror, history.revisions, job.tree.max_file_size)], spec)
    except (CredscopeError, OSError) as error:
        return ScanPart(error=_reason(error))
    except Exception as error:  # noqa: BLE001 - reported as the repository's error
        return ScanPart(error=f"internal error ({type(error).__name__})")
    return replace(part, commits=history.commits)


def _scan(job: Job, mirror: Path, spec: RepoSpec, head_commit: str, plan: Plan) -> ScanPart:
    sources: list[Source] = []
    if plan.tree and head_commit:
        from credscope.org.tree import MirrorTreeSource  # noqa: PLC0415
        from credscope.sources.home import AgentConfigSource  # noqa: PLC0415

        sources.append(AgentConfigSource(MirrorTreeSource(mirror, head_commit, job.tree)))
    commits = 0
    if plan.ranges:
        sources.append(history_source(mirror, plan.ranges[0].revisions, job.tree.max_file_size))
        commits = plan.ranges[0].commits
    return replace(_run(job, sources, spec), commits=commits) if sources else ScanPart()


def history_source(mirror: Path, revisions: tuple[str, ...], max_blob_size: int) -> Source:
    """The single-repository history source on the bare mirror, limited to `revisions` (all refs when empty)."""
    from credscope.sources.git import Repository  # noqa: PLC0415
    from credscope.sources.history import HistorySource  # noqa: PLC0415

    return HistorySource(mirror, max_blob_size, revisions=revisions, repository=Repository(mirror, mirror, mirror))


def _run(job: Job, sources: list[Source], spec: RepoSpec) -> ScanPart:
    from credscope.api import run  # noqa: PLC0415

    verify = job.verify
    if verify is not None:
        from credscope.org.limits import bound  # noqa: PLC0415

        verify = bound(verify, job.probe_limit)
    result = run(
        sources,
        _catalogue(job.provider_dirs, job.disabled_providers),
        job.policy,
        (spec.name,),
        suppress=job.suppress,
        verify=verify,
    )
    stats = result.stats
    skipped = stats.skipped_by_reason()
    notes = (*result.notes, *([_skipped_note(skipped)] if skipped else []))
    return ScanPart(
        findings=tuple(Finding.of(credential) for credential in result.credentials),
        files=stats.files_scanned,
        bytes=stats.bytes_scanned,
        skipped=len(stats.skipped),
        notes=notes,
    )


@lru_cache(maxsize=4)
def _catalogue(provider_dirs: tuple[Path | ProviderDir, ...], disabled: frozenset[str]) -> Catalogue:
    """Loaded once per worker process and configuration, not once per repository."""
    from credscope.catalogue import Catalogue, load_catalogue  # noqa: PLC0415

    catalogue = load_catalogue(provider_dirs)
    if disabled:
        catalogue = Catalogue({k: v for k, v in catalogue.providers.items() if k not in disabled})
    return catalogue


def _has_commits(mirror: Path, commits: list[str]) -> bool:
    if not (mirror / "HEAD").is_file():
        return False
    stdin = "".join(f"{commit}^{{commit}}\n" for commit in commits).encode("ascii")
    listed = read_git(mirror, ["cat-file", "--batch-check"], stdin=stdin)
    return listed is not None and b" missing" not in listed


def _one_process_per_task() -> None:
    # A Dask worker is already one process per core (and daemonic: it may not start a pool of its own).
    os.environ["CREDSCOPE_JOBS"] = "1"


def _failed(spec: RepoSpec, reason: str, started: float) -> RepoOutcome:
    seconds = time.monotonic() - started
    return RepoOutcome(spec, Status.ERROR, error=reason, history=HistoryMode.NONE, worker=_worker(), seconds=seconds)


def _reason(error: BaseException) -> str:
    if isinstance(error, MirrorError | CredscopeError):
        return str(error)
    return f"{type(error).__name__}: {getattr(error, 'strerror', None) or 'operating system error'}"


def _skipped_note(skipped: dict[str, int]) -> str:
    return "skipped: " + ", ".join(f"{reason} {count}" for reason, count in skipped.items())


def _worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"
