"""Detection over many documents: in this process for small scans, in a process pool for large trees.

Results are the same either way and in the same order: batches are handed out in document order and their
candidates collected in that order. A file the tree source only listed (model.Unread) is read by whoever detects
in it, a worker in the pool: this process sends its path and gets back its candidates, never its bytes. A blob the
history source listed likewise: its object id goes, and the worker reads it from git.

The pool starts only once a scan has proved large (the pre-commit case never pays for it). Workers are forks of
this process when it runs no other thread: they start in milliseconds and share the Hyperscan database this
process loaded (each compiles the patterns and imports the grammars its own documents need). When another thread
runs (the history source feeds `git cat-file` from one), a fork could inherit a lock held mid-operation, so
workers come from a fresh `forkserver` process instead and warm up on their own.
"""

from __future__ import annotations

import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING

from credscope.detect.engine import Detector, DocumentStats
from credscope.model import Candidate, Document, Skipped, Unread, Window

if TYPE_CHECKING:
    from concurrent.futures import Future

# A scan goes parallel once this much has been read before the sources ran dry.
PARALLEL_AFTER_BYTES = 4 * 1024 * 1024
PARALLEL_AFTER_FILES = 2000
# A batch holds at most this many bytes read here (a window, a blob) ...
_BATCH_BYTES = 1024 * 1024
# ... and its listed files (read by the worker) stand for at most this many, in at most _BATCH_FILES files. Each
# batch costs this process a submit, a wakeup of the pool's two threads and a result taken back, while the workers
# use both CPUs: over the 1.7 GB corpus, 1,600 batches of a megabyte cost it 0.3-0.4 CPU-s more than batches of
# 16 MB (the scan 1-2% slower; the same peak memory).
_BATCH_LISTED = 16 * 1024 * 1024
_BATCH_FILES = 1024
# The first batches are smaller, and the first is handed out (starting the workers) once this many are listed: a
# history lists its blobs slowly, and waiting for two thousand kept the workers from starting for a second, then
# forked them from a parent grown by its listing meanwhile (the benchmark's history: 280 MB peak against 230).
_FIRST_BATCH_FILES = 256
# At most this many batches handed out per worker ahead of the one whose results are due next (results come back
# in document order). A batch of paths holds no bytes here, and its results are small; with too few, one slow batch
# (a 15 MB bundle takes over a second) stalls the other workers once they have drained the rest (measured: a
# worker idle for 0.9 s of a 4.5 s scan with 3).
_IN_FLIGHT_PER_WORKER = 16
# ... and at most this many bytes in all: the windows of a file over the size limit are 8 MiB each.
_IN_FLIGHT_BYTES = 24 * 1024 * 1024
# Listed files are looked at this far ahead of the batch being made, and one this large is handed out alone as soon
# as it is seen (`_scheduled`): a 15 MB bundle listed near the end of a tree takes over a second, and handed out in
# its turn it kept one worker busy while the other had nothing left (measured: idle 0.75 s of a 3.2 s scan).
_LOOKAHEAD_FILES = 4096
_HEAVY_BYTES = 1024 * 1024

_worker_detector: Detector | None = None
_worker_read: Reader | None = None
_worker_trim: Callable[[int], object] | None = None
_worker_floor = 0  # a worker's resident bytes when it started
_TRIM_ABOVE = 48 * 1024 * 1024
_MMAP_THRESHOLD = 4 * 1024 * 1024  # see _map_large_buffers
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number (glibc's malloc.h)
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


@dataclass(frozen=True)
class Listed:
    """A listed file as detection read it: one document made of it (the file, or one of its windows when it is
    over the size limit), or, with `read` False, why nothing (more) was read of it."""

    file: Unread
    size: int  # bytes of this document (0 when `read` is False)
    window: Window | None = None
    read: bool = True
    skipped: tuple[Skipped, ...] = ()  # what reading it recorded: binary, vanished, unreadable ...

    @property
    def path(self) -> str:
        return self.file.path


# Reads a listed file as its source would, in whichever process detects in it: its documents, then what it skipped.
Reader = Callable[[Unread], Iterable[Document | Skipped]]
Item = Document | Unread
Detected = tuple[Document | Listed, list[Candidate], DocumentStats]
_Result = tuple[Listed | None, list[Candidate], DocumentStats]  # None: the item was a Document, sent whole
# A result as a worker sends it back: what the read came to without the listed file (this process holds it), and
# None for stats with nothing in them. Tens of thousands of files found nothing: each sent back as its listed file,
# a Listed and a DocumentStats, unpickling them took this process 0.3 s of the 525 MB corpus.
_Read = tuple[int, Window | None, bool, tuple[Skipped, ...]]
_Sent = tuple[_Read | None, list[Candidate], DocumentStats | None]
_NOTHING = DocumentStats()


def detect_all(
    detector: Detector,
    documents: Iterable[Item],
    jobs: int | None = None,
    parallel_after_bytes: int | None = None,
    parallel_after_files: int | None = None,
    read: Reader | None = None,
) -> Iterator[Detected]:
    """Each document with its candidates and what detection skipped in it, in document order; a listed file
    (read by `read` where it is detected) as what its read came to."""
    jobs = default_jobs() if jobs is None else jobs
    after_bytes = PARALLEL_AFTER_BYTES if parallel_after_bytes is None else parallel_after_bytes
    after_files = PARALLEL_AFTER_FILES if parallel_after_files is None else parallel_after_files
    stream = iter(documents)
    if jobs <= 1:
        yield from _sequential(detector, stream, read)
        return
    head: list[Item] = []
    size = 0
    for document in stream:
        head.append(document)
        size += _weight(document)
        # A pool pays off over many documents, not for one huge file (that is one task either way); the windows
        # of a file over the size limit are many documents, not held here until 2 * jobs of them are read.
        many = len(head) >= 2 * jobs or (isinstance(document, Document) and document.window is not None)
        if (size >= after_bytes and many) or len(head) >= after_files:
            yield from _parallel(detector, chain(head, stream), jobs, read)
            return
    yield from _sequential(detector, head, read)


def _sequential(detector: Detector, documents: Iterable[Item], read: Reader | None) -> Iterator[Detected]:
    for document in documents:
        for listed, found, stats in _detect_item(detector, read, document):
            yield _subject(document, listed), found, stats


def _detect_item(detector: Detector, read: Reader | None, item: Item) -> Iterator[_Result]:
    if isinstance(item, Document):
        stats = DocumentStats()
        yield None, detector.detect(item, stats), stats
        return
    assert read is not None, f"{item.path}: a listed file to detect in, and no reader"
    skipped: list[Skipped] = []
    documents = 0
    for got in read(item):
        if isinstance(got, Skipped):
            skipped.append(got)
            continue
        documents += 1
        stats = DocumentStats()
        # Only the candidates go on: the bytes are dropped here, before the next window is read.
        yield Listed(item, len(got.content), got.window), detector.detect(got, stats), stats
    if skipped or not documents:
        yield Listed(item, 0, read=False, skipped=tuple(skipped)), [], DocumentStats()


def _subject(item: Item, listed: Listed | None) -> Document | Listed:
    """What a result is about: the listed file as read, or the document sent whole (not sent back)."""
    if listed is not None:
        return listed
    assert isinstance(item, Document), f"{item.path}: a listed file came back without what its read came to"
    return item


def _weight(item: Item) -> int:
    """Bytes an item stands for: what a batch is weighed by."""
    return len(item.content) if isinstance(item, Document) else item.size


def _parallel(detector: Detector, documents: Iterator[Item], jobs: int, read: Reader | None) -> Iterator[Detected]:
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
        max_workers=jobs, mp_context=context, initializer=_start_worker, initargs=(detector, read)
    ) as pool:
        # The items stay here too (bounded by the batches in flight) for the caller's per-document work: a listed
        # file as its path, a document read here (a window of a file over the size limit) with its bytes.
        pending: deque[tuple[list[Item], Future[list[list[_Sent]]]]] = deque()
        in_flight = 0  # bytes held here
        trim, owed = _malloc_trim(), False

        def submit(batch: list[Item]) -> Future[list[list[_Sent]]]:
            with _interrupts_held():  # a submit may start a worker: it must not inherit Python's SIGINT handler
                return pool.submit(_detect_batch, batch)

        try:
            for batch, future in _scheduled(documents, submit):
                if owed and not in_flight and trim is not None:
                    trim(0)  # the windows read here are done with: their buffers and pickles go back to the OS
                    owed = False
                pending.append((batch, future))
                in_flight += _held(batch)
                owed = owed or in_flight > 0
                while len(pending) >= jobs * _IN_FLIGHT_PER_WORKER or (pending and in_flight >= _IN_FLIGHT_BYTES):
                    in_flight -= _held(pending[0][0])
                    yield from _finished(*pending.popleft())  # no reference to the batch is left here after it
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


def _finished(batch: list[Item], future: Future[list[list[_Sent]]]) -> Iterator[Detected]:
    for document, results in zip(batch, future.result(), strict=True):
        for read, found, stats in results:
            listed = None
            if read is not None:
                assert isinstance(document, Unread), f"{document.path}: a document sent whole came back as read here"
                listed = Listed(document, *read)
            yield _subject(document, listed), found, stats if stats is not None else DocumentStats()


def _scheduled(
    documents: Iterator[Item], submit: Callable[[list[Item]], Future[list[list[_Sent]]]]
) -> Iterator[tuple[list[Item], Future[list[list[_Sent]]]]]:
    """The documents in batches, each with its future, in document order; each batch is submitted when it is made,
    except a listed file of `_HEAVY_BYTES` or more: that one is a batch of its own, submitted as soon as it is seen
    up to `_LOOKAHEAD_FILES` items ahead. A listed file holds no bytes here; documents read here (windows, blobs)
    are not read further ahead than one batch's bytes."""
    ahead: deque[tuple[Item, Future[list[list[_Sent]]] | None]] = deque()
    held = 0  # bytes of the documents in `ahead`
    batch: list[Item] = []
    size = held_in_batch = 0  # what the batch's items weigh; bytes of its documents
    exhausted = False
    handed = 0  # items taken from `ahead`
    while True:
        # The lookahead grows as items are handed out: the first batch is not held back until all of it is listed.
        looked = min(_LOOKAHEAD_FILES, 2 * _FIRST_BATCH_FILES + handed)
        while not exhausted and len(ahead) < looked and held < _BATCH_BYTES:
            item = next(documents, None)
            if item is None:
                exhausted = True
                break
            heavy = isinstance(item, Unread) and item.size >= _HEAVY_BYTES
            ahead.append((item, submit([item]) if heavy else None))
            held += _bytes_here(item)
        if not ahead:
            if batch:
                yield batch, submit(batch)
            return
        item, early = ahead.popleft()
        handed += 1
        held -= _bytes_here(item)
        if early is not None:
            if batch:
                yield batch, submit(batch)
                batch, size, held_in_batch = [], 0, 0
            yield [item], early
            continue
        batch.append(item)
        size += _weight(item)
        held_in_batch += _bytes_here(item)
        most = _BATCH_FILES if handed > _BATCH_FILES else _FIRST_BATCH_FILES
        if held_in_batch >= _BATCH_BYTES or size >= _BATCH_LISTED or len(batch) >= most:
            yield batch, submit(batch)
            batch, size, held_in_batch = [], 0, 0


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


def _held(batch: list[Item]) -> int:
    return sum(map(_bytes_here, batch))


def _bytes_here(item: Item) -> int:
    """The bytes this process holds for an item: a document's, none for a listed file."""
    return len(item.content) if isinstance(item, Document) else 0


def _start_worker(detector: Detector, read: Reader | None = None) -> None:
    # Ctrl-C reaches the whole process group, workers included. The main process alone handles it: it stops
    # handing out batches, shuts the pool down, says "interrupted" and exits 130. A worker ignores it (it was
    # born with SIGINT blocked, so not even its start-up can be interrupted) and never prints a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    # The detector and the reader arrive once per worker process, not once per batch.
    global _worker_detector, _worker_read, _worker_trim, _worker_floor  # per-process state of a pool worker
    _worker_detector, _worker_read, _worker_trim, _worker_floor = detector, read, _malloc_trim(), _resident()
    _map_large_buffers()


def _detect_batch(batch: list[Item]) -> list[list[_Sent]]:
    assert _worker_detector is not None, "pool worker started without a detector"
    ahead = getattr(_worker_read, "ahead", None)  # a reader told what it reads next may start on it (tree.Reading)
    if ahead is not None:
        ahead(batch)
    results = [[_sent(result) for result in _detect_item(_worker_detector, _worker_read, item)] for item in batch]
    if _worker_trim is not None and _resident() > _worker_floor + _TRIM_ABOVE:
        # A large document's parse takes a hundred megabytes or more for a moment; once freed, glibc keeps most of
        # it in the heap, so each worker would stay at the largest it ever was. Given back after such a batch, a
        # worker's memory between batches stays within _TRIM_ABOVE of what it started with. Not after every
        # batch: the pages given back are faulted in again by the next large document (measured: +1 s of system
        # time over the 525 MB corpus when trimming every batch).
        _worker_trim(0)
    return results


def _sent(result: _Result) -> _Sent:
    listed, found, stats = result
    read = None if listed is None else (listed.size, listed.window, listed.read, listed.skipped)
    return read, found, None if stats == _NOTHING else stats


def _resident() -> int:
    """This process's resident set in bytes (0 where /proc is not there: then nothing is ever trimmed)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):  # pragma: no cover - not Linux
        return 0


def _map_large_buffers() -> None:
    """Have glibc map every buffer of `_MMAP_THRESHOLD` or more on its own, and unmap it when freed.

    By default glibc raises that threshold to the largest buffer freed so far (up to 32 MiB): after one 15 MB
    bundle, the buffers of the next large documents (their bytes, decoded text, parses) come from the heap, whose
    freed pages stay with the worker until a trim, and the two workers of a 2-CPU pool peaked together (measured
    on the benchmark's 1.6 GB corpus: the pool's peak 260-266 MB by default, 240-243 MB with 4 MiB, no more
    system time; 235-238 MB with 256 KiB, but a second more of system time)."""
    mallopt = _glibc("mallopt")
    if mallopt is not None:
        mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)


def _malloc_trim() -> Callable[[int], object] | None:
    """glibc's malloc_trim, or None where the C library has none."""
    return _glibc("malloc_trim")


def _glibc(name: str) -> Callable[..., object] | None:
    """The C library's function `name` (glibc's malloc tuning), or None where it has none."""
    import ctypes  # noqa: PLC0415 - only a pool needs it

    try:
        function: Callable[..., object] = getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        return None
    return function
