"""Detection over many documents: in this process for small scans, in a process pool for large trees.

Results are the same either way and in the same order: batches are handed out in document order and their
candidates collected in that order. The pool starts only once a scan has proved large (the pre-commit case
never pays for it). Workers are forks of this process when it runs no other thread: they start in
milliseconds and share the Hyperscan database this process loaded (each compiles the patterns and imports the
grammars its own documents need). When
another thread runs (the history source feeds `git cat-file` from one), a fork could inherit a lock held
mid-operation, so workers come from a fresh `forkserver` process instead and warm up on their own.
"""

from __future__ import annotations

import os
import signal
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import chain
from typing import TYPE_CHECKING

from credscope.detect.engine import Detector, DocumentStats
from credscope.model import Candidate, Document

if TYPE_CHECKING:
    from concurrent.futures import Future

# A scan goes parallel once this much has been read before the sources ran dry.
PARALLEL_AFTER_BYTES = 4 * 1024 * 1024
PARALLEL_AFTER_FILES = 2000
_BATCH_BYTES = 1024 * 1024
_BATCH_FILES = 256
_IN_FLIGHT_PER_WORKER = 3  # bounds memory: at most this many batches read ahead per worker
# ... and at most this many bytes in all: the windows of a file over the size limit are 8 MiB each.
_IN_FLIGHT_BYTES = 24 * 1024 * 1024

_worker_detector: Detector | None = None
# What detection imports lazily on its first match (heuristic filters, source-code grammars, Hyperscan).
_WORKER_PRELOAD = (
    "credscope.detect.engine",
    "credscope.detect.parallel",
    "tree_sitter",
    "tree_sitter_python",
    "tree_sitter_javascript",
    "hyperscan",
)


def default_jobs() -> int:
    """$CREDSCOPE_JOBS, else the CPUs this process may run on."""
    configured = os.environ.get("CREDSCOPE_JOBS", "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


Detected = tuple[Document, list[Candidate], DocumentStats]


def detect_all(
    detector: Detector,
    documents: Iterable[Document],
    jobs: int | None = None,
    parallel_after_bytes: int | None = None,
    parallel_after_files: int | None = None,
) -> Iterator[Detected]:
    """Each document with its candidates and what detection skipped in it, in document order."""
    jobs = default_jobs() if jobs is None else jobs
    after_bytes = PARALLEL_AFTER_BYTES if parallel_after_bytes is None else parallel_after_bytes
    after_files = PARALLEL_AFTER_FILES if parallel_after_files is None else parallel_after_files
    stream = iter(documents)
    if jobs <= 1:
        yield from _sequential(detector, stream)
        return
    head: list[Document] = []
    size = 0
    for document in stream:
        head.append(document)
        size += len(document.content)
        # A pool pays off over many documents, not for one huge file (that is one task either way); the windows
        # of a file over the size limit are many documents, not held here until 2 * jobs of them are read.
        many = len(head) >= 2 * jobs or document.window is not None
        if (size >= after_bytes and many) or len(head) >= after_files:
            yield from _parallel(detector, chain(head, stream), jobs)
            return
    yield from _sequential(detector, head)


def _sequential(detector: Detector, documents: Iterable[Document]) -> Iterator[Detected]:
    for document in documents:
        stats = DocumentStats()
        yield document, detector.detect(document, stats), stats


def _parallel(detector: Detector, documents: Iterator[Document], jobs: int) -> Iterator[Detected]:
    # Only large scans start a pool: a pre-commit run never imports multiprocessing.
    import multiprocessing  # noqa: PLC0415
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415

    method = _start_method(multiprocessing.get_all_start_methods())
    context = multiprocessing.get_context(method)
    if method == "fork":
        detector.warm()  # once here rather than once per worker
        import gc  # noqa: PLC0415

        # What exists now is shared with the workers: kept out of their garbage collector's reach, its pages
        # are not copied into each worker the first time a collection walks them.
        gc.freeze()
    elif method == "forkserver":
        # Imported once in the server rather than once per worker; a module that is missing is skipped.
        context.set_forkserver_preload(list(_WORKER_PRELOAD))
    with ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=_start_worker, initargs=(detector,)
    ) as pool:
        # The documents stay here too (bounded by the batches in flight) for the caller's per-document work.
        pending: deque[tuple[list[Document], Future[list[tuple[list[Candidate], DocumentStats]]]]] = deque()
        in_flight = 0  # bytes
        try:
            for batch in _batches(documents):
                with _interrupts_held():  # a submit may start a worker: it must not inherit Python's SIGINT handler
                    pending.append((batch, pool.submit(_detect_batch, batch)))
                in_flight += _size(batch)
                while len(pending) >= jobs * _IN_FLIGHT_PER_WORKER or (pending and in_flight >= _IN_FLIGHT_BYTES):
                    done, future = pending.popleft()
                    in_flight -= _size(done)
                    yield from _finished(done, future)
            while pending:
                yield from _finished(*pending.popleft())
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _start_method(available: list[str]) -> str:
    import threading  # noqa: PLC0415

    if "fork" in available and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in available else "spawn"


def _finished(batch: list[Document], future: Future[list[tuple[list[Candidate], DocumentStats]]]) -> Iterator[Detected]:
    for document, (found, stats) in zip(batch, future.result(), strict=True):
        yield document, found, stats


def _batches(documents: Iterator[Document]) -> Iterator[list[Document]]:
    batch: list[Document] = []
    size = 0
    for document in documents:
        batch.append(document)
        size += len(document.content)
        if size >= _BATCH_BYTES or len(batch) >= _BATCH_FILES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


@contextmanager
def _interrupts_held() -> Iterator[None]:
    """SIGINT blocked in this thread for the duration: a process started meanwhile (a worker, the forkserver)
    inherits the blocked signal, and a Ctrl-C arriving now is raised here when the block ends."""
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - not POSIX
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _size(batch: list[Document]) -> int:
    return sum(len(document.content) for document in batch)


def _start_worker(detector: Detector) -> None:
    # Ctrl-C reaches the whole process group, workers included. The main process alone handles it: it stops
    # handing out batches, shuts the pool down, says "interrupted" and exits 130. A worker ignores it (it was
    # born with SIGINT blocked, so not even its start-up can be interrupted) and never prints a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    # The detector arrives once per worker process, not once per batch.
    global _worker_detector  # noqa: PLW0603 - per-process state of a pool worker
    _worker_detector = detector


def _detect_batch(batch: list[Document]) -> list[tuple[list[Candidate], DocumentStats]]:
    assert _worker_detector is not None, "pool worker started without a detector"
    detector = _worker_detector
    results = []
    for document in batch:
        stats = DocumentStats()
        results.append((detector.detect(document, stats), stats))
    return results
