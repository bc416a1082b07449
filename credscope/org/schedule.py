"""The run on Dask distributed: one task per repository (plus one per further history slice of a large one),
results taken as they finish, recorded in the store, and shown on the progress bar.

By default an embedded `LocalCluster` (one single-threaded worker process per core, on 127.0.0.1, nothing to
set up); `--scheduler tcp://HOST:PORT` runs the same tasks on an existing cluster. Dask reschedules the tasks
of a worker that is lost; a task is idempotent and its result is recorded by (run, repository), so nothing is
lost or counted twice. A task that fails, or keeps killing its workers, becomes that repository's error.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from credscope.errors import UsageError
from credscope.org.compose import compose
from credscope.org.enumerate import Refused
from credscope.org.progress import RunProgress
from credscope.org.store import RepoRecord, Store
from credscope.org.task import Job, scan_history_slice, scan_repository
from credscope.org.wire import Previous, RepoOutcome, RepoSpec, ScanPart, Status

RepoTask = Callable[[Job, RepoSpec, Previous | None], RepoOutcome]
SliceTask = Callable[..., ScanPart]


def distributed() -> Any:
    """The `distributed` package, imported on first use: `credscope --help` and `scan` never load Dask."""
    import importlib  # noqa: PLC0415

    try:
        return importlib.import_module("distributed")
    except ModuleNotFoundError:
        raise UsageError("credscope org needs Dask distributed: pip install 'credscope[org]'") from None


@contextmanager
def connect(scheduler: str | None, workers: int | None) -> Iterator[Any]:
    """A Dask client: of the cluster at `scheduler`, else of an embedded local cluster of `workers` processes."""
    dask = distributed()
    if scheduler is not None:
        if "://" not in scheduler:
            raise UsageError(f"--scheduler: {scheduler!r} is not an address like tcp://HOST:PORT")
        try:
            client = dask.Client(scheduler, timeout="30s")
        except (OSError, TimeoutError, ValueError) as error:
            raise UsageError(f"--scheduler {scheduler}: cannot connect ({type(error).__name__})") from None
        with client:
            yield client
        return
    if workers is not None and workers < 1:
        raise UsageError("--workers must be at least 1")
    from credscope.detect.parallel import default_jobs  # noqa: PLC0415

    with (
        dask.LocalCluster(
            n_workers=workers or default_jobs(),
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        dask.Client(cluster) as client,
    ):
        yield client


@dataclass
class _Waiting:
    """A repository whose further history slices are still running."""

    outcome: RepoOutcome
    expected: int
    parts: list[ScanPart] = field(default_factory=list)


@dataclass
class Run:
    """One organisation run on a client: submits, collects, composes and records."""

    client: Any
    store: Store
    run_id: int
    job: Job
    progress: RunProgress | None = None
    on_record: Callable[[RepoRecord], None] | None = None
    on_result: Callable[[object], None] | None = None  # every value a task returned, as received (for audits)
    repo_task: RepoTask = scan_repository
    slice_task: SliceTask = scan_history_slice
    records: list[RepoRecord] = field(default_factory=list)
    _previous: dict[str, Previous] = field(default_factory=dict, init=False)
    _total: int = field(default=0, init=False)
    _errors: int = field(default=0, init=False)
    _credentials: int = field(default=0, init=False)

    def scan(self, repos: Sequence[RepoSpec], refused: Sequence[Refused] = ()) -> list[RepoRecord]:
        self._total = len(repos) + len(refused)
        self._errors = 0
        self._credentials = 0
        for refusal in refused:
            self._finish(RepoRecord(RepoSpec(refusal.name, ""), Status.ERROR, error=refusal.reason))
        self._previous = previous = self.store.previous_states(self.run_id)
        token = uuid.uuid4().hex[:12]
        tasks: dict[Any, tuple[RepoSpec, bool]] = {}
        for index, spec in enumerate(repos):
            known = None if self.job.full else previous.get(spec.name)
            future = self.client.submit(
                self.repo_task, self.job, spec, known, key=f"credscope-{token}-repo-{index}", pure=False
            )
            tasks[future] = (spec, False)
        waiting: dict[str, _Waiting] = {}
        finished = distributed().as_completed(list(tasks))
        try:
            for future in finished:
                spec, is_slice = tasks.pop(future)
                value, failure = _result(future)
                if self.on_result is not None:
                    self.on_result(value)
                if not is_slice:
                    outcome = (
                        value if isinstance(value, RepoOutcome) else RepoOutcome(spec, Status.ERROR, error=failure)
                    )
                    if outcome.status is Status.SCANNED and outcome.pending:
                        waiting[spec.name] = _Waiting(outcome, len(outcome.pending))
                        for number, history in enumerate(outcome.pending):
                            key = f"credscope-{token}-slice-{spec.name}-{number}"
                            more = self.client.submit(self.slice_task, self.job, spec, history, key=key, pure=False)
                            tasks[more] = (spec, True)
                            finished.add(more)
                    else:
                        self._compose(outcome, [])
                    continue
                entry = waiting[spec.name]
                entry.parts.append(value if isinstance(value, ScanPart) else ScanPart(error=failure))
                if len(entry.parts) == entry.expected:
                    del waiting[spec.name]
                    self._compose(entry.outcome, entry.parts)
        except BaseException:
            self.client.cancel(list(tasks))
            raise
        finally:
            if self.progress is not None:
                self.progress.finish()
        return self.records

    def _compose(self, outcome: RepoOutcome, slices: list[ScanPart]) -> None:
        name = outcome.repo.name
        earlier = self.store.previous_findings(self.run_id, name) if name in self._previous else []
        record = compose(
            outcome,
            slices,
            self._previous.get(name),
            earlier,
            carry=not self.job.full,
            history_enabled=self.job.history,
            suppress=self.job.suppress,
        )
        self._finish(record)

    def _finish(self, record: RepoRecord) -> None:
        self.store.record(self.run_id, record)
        self.records.append(record)
        self._errors += record.status is Status.ERROR
        self._credentials += len(record.findings)
        if self.progress is not None:
            self.progress.update(len(self.records), self._total, self._errors, self._credentials, record.repo.name)
        if self.on_record is not None:
            self.on_record(record)


def _result(future: Any) -> tuple[Any, str]:
    """The task's value, or why there is none (without the exception's text: it may quote scanned content)."""
    try:
        return future.result(), ""
    except Exception as error:  # noqa: BLE001 - any task failure is that repository's error
        if isinstance(error, distributed().KilledWorker):
            return None, "the task's worker died every time it ran it (out of memory?)"
        return None, f"the task failed ({type(error).__name__})"
    finally:
        future.release()
