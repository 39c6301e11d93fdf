"""The bulk engine: threads and queues around a `ChunkSender`.

One reader thread checks, encodes and cuts the input into chunks (a bounded queue keeps memory flat
whatever the input's size); worker threads hand chunks to the sender; the caller's thread turns
settled chunks into outcomes and counts them. The threads run in copies of the caller's context, so
its trace follows the work. Every put and get that could wait forever watches the stop flag, so an
exception anywhere ends the run promptly instead of leaving it waiting.
"""

from __future__ import annotations

import contextvars
import logging
import queue
import threading
import time
import warnings
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Set

from .._clock import Clock
from .._pace import Pacer
from .._retry import Backoff
from ..errors import SynapError, SynapJournalError, SynapTimeoutError, SynapValidationError
from ..models import DocumentInput
from ._chunks import Chunk, chunk_documents, failed, replayed
from ._journal import Journal
from ._options import IngestOptions
from ._progress import Progress, make_reporter
from ._report import IngestOutcome, IngestReport
from ._sender import NOT_SETTLED, ChunkSender, Poster, StopRun

log = logging.getLogger("synap_sync")

NOT_SENT = "not sent: the run stopped before this chunk"
WITHOUT_IDS = (
    "ingest: documents without a document_id, with a journal but without derive_ids: if this run is killed, "
    "the chunks in flight (up to workers x chunk_size documents) may be stored twice when it resumes; "
    "pass derive_ids=True (or give each document an id) to make re-runs exactly once"
)
#: After a stop, how long chunks already sent may take to settle before they are reported unsettled.
STOP_PATIENCE_SECONDS = 1.5
_POLL_SECONDS = 0.05
_DONE = object()


class BulkIngestion:
    """One run of ``ingest`` / ``ingest_iter``: iterate it for one `IngestOutcome` per document as its
    chunk settles; ``report`` counts everything so far (also after an exception or Ctrl-C).

    Built by `Memories.ingest_iter`; it knows the service only through ``post``.
    """

    def __init__(
        self,
        documents: Iterable[DocumentInput],
        options: IngestOptions,
        post: Poster,
        *,
        retry: Backoff,
        clock: Clock,
        client_attempts: int,
        pace_now: Callable[[], Optional[float]] = lambda: None,
    ) -> None:
        self.documents = documents
        self.options = options
        self.report = IngestReport()
        self._post = post
        self._retry = retry
        self._clock = clock
        self._client_attempts = client_attempts
        self._pace_now = pace_now
        self._outcomes: Optional[Iterator[IngestOutcome]] = None
        #: Outcomes that settled while the run wound down, after its iteration had stopped: the report
        #: counts them, and a caller mapping outcomes to its input reads them here.
        self.settled_after_stop: List[IngestOutcome] = []
        self._stopping = threading.Event()
        #: Set once the caller's thread has stopped taking settled chunks.
        self._finished = threading.Event()
        self._held: Dict[int, Chunk] = {}
        self._abandoned: Set[int] = set()
        #: Deliveries to the settled queue under way, and whether new ones may start.
        self._in_transit = 0
        self._closing = False
        self._lock = threading.Lock()
        self._sender: Optional[ChunkSender] = None

    # --- the caller's thread ---------------------------------------------------------------------

    def __iter__(self) -> "BulkIngestion":
        return self

    def __next__(self) -> IngestOutcome:
        if self._outcomes is None:
            self._outcomes = self._run()
        return next(self._outcomes)

    def close(self) -> None:
        """Stop the run early: in-flight chunks get a moment to settle, nothing more is read or sent.
        (Leaving a ``for`` loop does not stop the run by itself; dropping the iterator, or this, does.)"""
        if self._outcomes is not None:
            self._outcomes.close()  # type: ignore[attr-defined]

    def __enter__(self) -> "BulkIngestion":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def _run(self) -> Iterator[IngestOutcome]:
        options = self.options
        started = self._clock.now()
        self.report.started_at = time.time()
        total = len(self.documents) if hasattr(self.documents, "__len__") else None  # type: ignore[arg-type]
        journal = Journal(options.journal, options.journal_settings()) if options.journal is not None else None
        cap = Pacer(options.max_requests_per_second, self._clock) if options.max_requests_per_second else None
        self._sender = ChunkSender(
            self._post,
            retry=self._retry,
            clock=self._clock,
            client_attempts=self._client_attempts,
            fail_fast=options.fail_fast,
            fail_already_stored=options.fail_already_stored,
            journal=journal,
            cap=cap,
        )
        reporter = make_reporter(options.progress, total)
        log.info(
            "ingest: starting: %s, %d workers, chunks of %d, pace %s%s",
            _describe_source(self.documents, total),
            options.workers,
            options.chunk_size,
            f"at most {options.max_requests_per_second:g} requests/s" if cap else _describe(self._pace_now()),
            f", journal {options.journal}" if journal else "",
        )
        work: "queue.Queue[Any]" = queue.Queue(maxsize=options.workers * 2)
        settled: "queue.Queue[Any]" = queue.Queue(maxsize=options.workers * 4)
        # Each thread runs in a copy of the caller's context (contextvars), so what the caller's tracing set
        # (an OpenTelemetry span, Sentry's scope, ddtrace's) holds for every request the run sends.
        reader = threading.Thread(
            target=contextvars.copy_context().run,
            args=(self._read, journal, work, settled),
            name="synap-sync-reader",
            daemon=True,
        )
        workers = [
            threading.Thread(
                target=contextvars.copy_context().run,
                args=(self._work, work, settled),
                name=f"synap-sync-worker-{n}",
                daemon=True,
            )
            for n in range(options.workers)
        ]
        for thread in [reader, *workers]:
            thread.start()
        running = 1 + len(workers)
        failure: Optional[BaseException] = None
        ends = None if options.deadline is None else started + options.deadline
        try:
            while running:
                item = self._next_settled(settled, ends)
                if item is _DONE:
                    running -= 1
                elif isinstance(item, BaseException):
                    failure = item
                    break  # the wind-down settles what it can, without waiting on a blocked input
                else:
                    self._count(item, started, reporter, total)
                    yield from item
        finally:
            self._stop()
            self._wind_down(reader, workers, work, settled)
            self._finished.set()
            if journal is not None:
                try:
                    journal.close()
                except SynapJournalError as error:
                    failure = failure or error
            self._finish(started, reporter, total)
        if failure is not None:
            if isinstance(failure, SynapError):
                failure.report = self.report
            raise failure

    def _next_settled(self, settled: "queue.Queue[Any]", ends: Optional[float]) -> Any:
        """The next settled item; past the run's deadline, the error that ends it."""
        if ends is None:
            return settled.get()
        while True:
            remaining = ends - self._clock.now()
            if remaining <= 0:
                return SynapTimeoutError(
                    f"the run's deadline of {self.options.deadline:g}s passed; the journal resumes it"
                )
            try:
                return settled.get(timeout=min(remaining, _POLL_SECONDS * 4))
            except queue.Empty:
                continue

    def _stop(self) -> None:
        self._stopping.set()
        if self._sender is not None:
            self._sender.stopping.set()

    def _count(self, outcomes: List[IngestOutcome], started: float, reporter: Any, total: Optional[int]) -> None:
        for outcome in outcomes:
            self.report.record(outcome)
        self._copy_counts(started)
        if reporter:
            reporter(self._progress(total), False)

    def _copy_counts(self, started: float) -> None:
        if self._sender is not None:
            counts = self._sender.counts
            self.report.requests, self.report.retries, self.report.throttled = (
                counts.requests,
                counts.retries,
                counts.throttled,
            )
        self.report.elapsed_seconds = self._clock.now() - started
        self.report.note_time(self.report.elapsed_seconds, self._pace_now())

    def _finish(self, started: float, reporter: Any, total: Optional[int]) -> None:
        self.report.failures.sort(key=lambda failure: failure.index)
        self._copy_counts(started)
        if reporter:
            reporter(self._progress(total), True)
        log.info("ingest: finished: %s in %.1fs", self.report.summary(), self.report.elapsed_seconds)

    def _wind_down(
        self,
        reader: threading.Thread,
        workers: List[threading.Thread],
        work: "queue.Queue[Any]",
        settled: "queue.Queue[Any]",
    ) -> None:
        """After a stop: give chunks already sent a moment to settle, then account for everything left.

        Neither an input that blocks (an idle stdin) nor a request still waiting for its answer is
        waited for past `STOP_PATIENCE_SECONDS`: such chunks are reported unsettled (their journal
        entry stays "in flight", so a resumed run resends them safely).
        """
        patience = self._clock.now() + STOP_PATIENCE_SECONDS
        threads = [reader, *workers]
        while any(thread.is_alive() for thread in threads) and self._clock.now() < patience:
            try:
                item = settled.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                continue
            if isinstance(item, list):
                self._count_left(item)
        with self._lock:
            self._closing = True
            held, self._held = list(self._held.values()), {}
            self._abandoned.update(chunk.number for chunk in held)
        while True:  # what is in the queue, and what a thread is putting there right now
            for item in _left_in(settled):
                if isinstance(item, list):
                    self._count_left(item)
            with self._lock:
                if not self._in_transit:
                    break
            time.sleep(0.001)
        for item in _left_in(settled):
            if isinstance(item, list):
                self._count_left(item)
        for chunk in _left_in(work):
            if chunk is not None:
                self._count_left(failed(chunk, None, NOT_SENT, kind="not_sent"))
        for chunk in held:
            self._count_left(failed(chunk, None, NOT_SETTLED, kind="not_settled"))

    def _count_left(self, outcomes: List[IngestOutcome]) -> None:
        """Count outcomes the wind-down found, which no one will iterate."""
        for outcome in outcomes:
            self.report.record(outcome)
        self.settled_after_stop += outcomes

    def _progress(self, total: Optional[int]) -> Progress:
        report = self.report
        return Progress(report.total, report.succeeded, report.failed, total, report.elapsed_seconds)

    # --- the reader thread -----------------------------------------------------------------------

    def _read(self, journal: Optional[Journal], work: "queue.Queue[Any]", settled: "queue.Queue[Any]") -> None:
        options = self.options
        try:
            pieces = chunk_documents(self.documents, options.chunk_size, options.max_chunk_bytes, options.derive_ids)
            warned = False
            for piece in pieces:
                if self._stopping.is_set():
                    break
                if isinstance(piece, IngestOutcome):
                    self._deliver(settled, [piece])
                    if options.fail_fast:
                        raise piece.error or SynapValidationError(piece.error_message or "invalid document")
                    continue
                if journal is not None and self._replay(journal, piece, settled):
                    continue
                if journal is not None and not options.derive_ids and not warned and not all(piece.document_ids):
                    warned = True  # once a run: what a crash would cost
                    warnings.warn(WITHOUT_IDS, RuntimeWarning, stacklevel=1)
                if not self._put(work, piece, self._stopping):
                    self._deliver(settled, failed(piece, None, NOT_SENT, kind="not_sent"))
        except BaseException as error:  # the input itself failed: stop the run and say why
            self._stop()
            self._deliver(settled, error)
        finally:
            for _ in range(options.workers):
                self._put(work, None, self._stopping)
            self._deliver(settled, _DONE)

    def _replay(self, journal: Journal, chunk: Chunk, settled: "queue.Queue[Any]") -> bool:
        """Resuming: replay a chunk the journal has settled; note one it saw sent as in flight."""
        chunk.record = journal.check(chunk.number, chunk.fingerprint(), chunk.indices)
        if chunk.record is None or not chunk.record.done:
            return False
        self._deliver(settled, replayed(chunk, chunk.record))
        return True

    def _deliver(self, settled: "queue.Queue[Any]", item: Any, chunk_number: Optional[int] = None) -> None:
        """Hand ``item`` to the caller's thread, unless it has stopped taking them (or, for a chunk's
        outcomes, already reported that chunk unsettled)."""
        with self._lock:
            if self._closing or chunk_number in self._abandoned:
                return
            self._held.pop(chunk_number, None)  # type: ignore[arg-type]
            self._in_transit += 1
        try:
            self._put(settled, item, self._finished)
        finally:
            with self._lock:
                self._in_transit -= 1

    @staticmethod
    def _put(target: "queue.Queue[Any]", item: Any, unless: threading.Event) -> bool:
        """Put ``item``, unless ``unless`` is set while the queue is full (nobody will take it then)."""
        while True:
            try:
                target.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                if unless.is_set():
                    return False

    # --- the worker threads ----------------------------------------------------------------------

    def _work(self, work: "queue.Queue[Any]", settled: "queue.Queue[Any]") -> None:
        assert self._sender is not None
        try:
            while True:
                try:
                    chunk = work.get(timeout=_POLL_SECONDS)
                except queue.Empty:
                    if self._stopping.is_set():
                        return
                    continue
                if chunk is None:
                    return
                if self._stopping.is_set():
                    self._deliver(settled, failed(chunk, None, NOT_SENT, kind="not_sent"))
                    continue
                with self._lock:
                    self._held[chunk.number] = chunk
                try:
                    outcomes = self._sender.send(chunk)
                except StopRun as stop:
                    outcomes = stop.outcomes or failed(chunk, stop.error)
                    self._stop()
                    self._deliver(settled, stop.error)
                self._deliver(settled, outcomes, chunk.number)
        except BaseException as error:
            self._stop()
            self._deliver(settled, error)
        finally:
            self._deliver(settled, _DONE)


def _left_in(waiting: "queue.Queue[Any]") -> Iterator[Any]:
    """What is still in a queue, without waiting for more."""
    while True:
        try:
            yield waiting.get_nowait()
        except queue.Empty:
            return


def _describe(pace: Optional[float]) -> str:
    return f"{pace:.1f} requests/s (learned)" if pace else "learned from 429s"


def _describe_source(documents: Any, total: Optional[int]) -> str:
    kind = type(documents).__name__
    return f"{total} documents from a {kind}" if total is not None else f"documents from a {kind}"
