"""One probe rate limit per provider for the whole Dask cluster, not per worker process.

Each provider has a `distributed.Semaphore` on the scheduler with `concurrency` leases. A request holds a
lease while it is in flight, and at least `concurrency / rate_per_second` seconds from when it got it: at most
`concurrency` requests of a provider are in flight anywhere in the cluster, and in any window of W seconds at
most `rate_per_second × W + concurrency` start (a token bucket whose burst is the concurrency). Leases of a
worker that dies are returned by the scheduler after its lease timeout. The probe client's own per-process
throttle still applies on top.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from credscope.probes.settings import ProbeSettings


@dataclass(frozen=True)
class ClusterLimit:
    """Per-provider limits shared by every worker of a run; only names and numbers cross the wire."""

    name: str  # unique to the run: semaphores of two runs on one cluster never mix
    concurrency: int
    rate_per_second: float


@dataclass
class BoundLimit:
    """A `ClusterLimit` bound, in a task, to its worker's connection to the scheduler (usable from any thread)."""

    limit: ClusterLimit
    scheduler: Any
    loop: Any
    _semaphores: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def slot(self, provider_id: str, deadline: float) -> Iterator[None]:
        from credscope.probes.base import ProbeFailure  # noqa: PLC0415

        semaphore = self._semaphore(provider_id)
        acquired_at = time.monotonic()
        if not semaphore.acquire(timeout=max(0.001, deadline - acquired_at)):
            raise ProbeFailure("timeout: no cluster-wide request slot free for this provider within the time budget")
        acquired_at = time.monotonic()
        try:
            yield
        finally:
            hold = self.limit.concurrency / self.limit.rate_per_second if self.limit.rate_per_second > 0 else 0.0
            rest = hold - (time.monotonic() - acquired_at)
            if rest > 0:
                time.sleep(rest)
            semaphore.release()

    def _semaphore(self, provider_id: str) -> Any:
        from credscope.org.schedule import distributed  # noqa: PLC0415

        with self._lock:
            if provider_id not in self._semaphores:
                self._semaphores[provider_id] = distributed().Semaphore(
                    max_leases=max(1, self.limit.concurrency),
                    name=f"{self.limit.name}-{provider_id}",
                    scheduler_rpc=self.scheduler,
                    loop=self.loop,
                )
            return self._semaphores[provider_id]


def bound(settings: ProbeSettings, limit: ClusterLimit | None) -> ProbeSettings:
    """The settings with the cluster limit bound to this worker; unchanged outside a Dask task."""
    if limit is None:
        return settings
    from credscope.org.schedule import distributed  # noqa: PLC0415

    try:
        worker = distributed().get_worker()
    except ValueError:  # not in a task: the per-process throttle is all there is
        return settings
    return replace(settings, shared_limit=BoundLimit(limit, worker.scheduler, worker.loop))
