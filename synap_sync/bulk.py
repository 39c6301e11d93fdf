"""Bulk ingestion: stream any iterable into Synap in chunks, from parallel workers, at the pace the
service allows, accounting for every document.

One reader thread checks and encodes documents and cuts them into chunks (bounded queue: memory stays
flat whatever the input's size). Worker threads send chunks through the client's connection pool on
one shared schedule (`Pacer`), retry what the contract lets them retry, and settle every document as
acknowledged or failed with a reason. The caller's thread turns settled chunks into outcomes.
"""

from __future__ import annotations

import hashlib
import queue
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, Iterator, List, Optional, Union

import attrs

from . import _transport
from ._journal import ChunkRecord, Journal, JournaledFailure
from ._pacer import Pacer
from ._progress import Progress, make_reporter
from ._transport import encode_json
from .errors import (
    SynapAuthError,
    SynapConflictError,
    SynapError,
    SynapInstanceNotReadyError,
    SynapInsufficientCreditsError,
    SynapNetworkError,
    SynapNotFoundError,
    SynapQuotaExceededError,
    SynapRateLimitError,
    SynapTransientError,
    SynapValidationError,
)
from .models import CreateMemoryResponse, DocumentInput, at_index, item_document_id, refuse, wire_document

if TYPE_CHECKING:
    from .memories import Memories

__all__ = ["IngestOutcome", "IngestFailure", "IngestReport", "Progress", "BulkIngestion"]

#: Attempts per chunk after failures that are not 429s (5xx, connection trouble).
MAX_ATTEMPTS = 10
#: 429s one chunk may meet before it is reported failed (the pacer keeps them rare).
MAX_THROTTLES = 100
#: Errors about the key, the account or the instance: every other chunk would meet them too.
RUN_STOPPING = (
    SynapAuthError,
    SynapInsufficientCreditsError,
    SynapQuotaExceededError,
    SynapInstanceNotReadyError,
    SynapNotFoundError,
)
NOT_SENT = "not sent: the run stopped before this chunk"
NOT_SETTLED = "not settled: the run stopped while this chunk was being retried"
UNKNOWN_OUTCOME = "outcome unknown (it may have been stored); not resent, as not every document has a document_id: "
_BODY_OVERHEAD = len(b'{"documents":[],"fail_fast":false}')


@attrs.frozen
class IngestOutcome:
    """How one input document ended: acknowledged (``ok``) or failed, with the service's result or the error.

    ``deduplicated``: acknowledged because a retry of an unknown-outcome send (or a resumed run) found
    the service already holding its ``document_id``. ``resumed``: settled by an earlier run, as its
    journal records.
    """

    index: int
    ok: bool
    document_id: Optional[str] = None
    result: Optional[CreateMemoryResponse] = None
    error: Optional[SynapError] = None
    error_message: Optional[str] = None
    deduplicated: bool = False
    resumed: bool = False


@attrs.frozen
class IngestFailure:
    """One document that was not acknowledged: its input position, its id, and why."""

    index: int
    document_id: Optional[str]
    error_message: str


@attrs.define
class IngestReport:
    """What a bulk run did. ``failures`` are in input order once the run has finished."""

    total: int = 0
    succeeded: int = 0
    failed: int = 0
    deduplicated: int = 0
    resumed: int = 0
    failures: List[IngestFailure] = attrs.field(factory=list)
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    elapsed_seconds: float = 0.0

    @property
    def documents_per_second(self) -> float:
        return self.total / self.elapsed_seconds if self.elapsed_seconds else 0.0

    def __repr__(self) -> str:
        return (
            f"<IngestReport total={self.total} succeeded={self.succeeded} failed={self.failed} "
            f"deduplicated={self.deduplicated} resumed={self.resumed} in {self.elapsed_seconds:.1f}s "
            f"({self.documents_per_second:.0f} docs/s), requests={self.requests} retries={self.retries} "
            f"throttled={self.throttled}>"
        )

    def _repr_html_(self) -> str:
        from html import escape

        rows = [
            ("documents", self.total),
            ("acknowledged", self.succeeded),
            ("failed", self.failed),
            ("of which deduplicated", self.deduplicated),
            ("settled by an earlier run", self.resumed),
            ("elapsed", f"{self.elapsed_seconds:.1f} s ({self.documents_per_second:.0f} documents/s)"),
            ("requests", self.requests),
            ("retries", self.retries),
            ("answered 429", self.throttled),
        ]
        table = "".join(f"<tr><th style='text-align:left'>{name}</th><td>{value}</td></tr>" for name, value in rows)
        shown = self.failures[:10]
        failures = "".join(
            f"<tr><td>{failure.index}</td><td>{escape(str(failure.document_id))}</td>"
            f"<td>{escape(failure.error_message)}</td></tr>"
            for failure in shown
        )
        more = f"<p>and {len(self.failures) - len(shown)} more failures</p>" if len(self.failures) > len(shown) else ""
        failure_table = (
            f"<table><tr><th>index</th><th>document_id</th><th>error</th></tr>{failures}</table>{more}" if shown else ""
        )
        return f"<div><strong>synap-sync ingest</strong><table>{table}</table>{failure_table}</div>"

    def _count(self, outcome: IngestOutcome) -> None:
        self.total += 1
        self.resumed += outcome.resumed
        if outcome.ok:
            self.succeeded += 1
            self.deduplicated += outcome.deduplicated
        else:
            self.failed += 1
            self.failures.append(IngestFailure(outcome.index, outcome.document_id, outcome.error_message or ""))


@attrs.define
class _Chunk:
    """Encoded documents that go in one request, with their input positions."""

    number: int
    indices: List[int]
    document_ids: List[Optional[str]]
    encoded: List[bytes]
    record: Optional[ChunkRecord] = None
    digest: Optional[str] = None

    def body(self, fail_fast: bool) -> bytes:
        flag = b"true" if fail_fast else b"false"
        return b'{"documents":[' + b",".join(self.encoded) + b'],"fail_fast":' + flag + b"}"

    def fingerprint(self) -> str:
        """A digest of the chunk's documents, computed once (the journal needs it twice)."""
        if self.digest is None:
            digest = hashlib.blake2b(digest_size=16)
            for encoded in self.encoded:
                digest.update(encoded)
                digest.update(b"\n")
            self.digest = digest.hexdigest()
        return self.digest


def chunk_documents(
    documents: Iterable[DocumentInput], chunk_size: int, max_chunk_bytes: Optional[int]
) -> Iterator[Union[_Chunk, IngestOutcome]]:
    """Check, encode and cut the input into chunks; an invalid or oversized document comes out as a
    failed outcome in its place."""
    number = 0
    chunk = _Chunk(0, [], [], [])
    size = _BODY_OVERHEAD
    for index, item in enumerate(documents):
        try:
            wire = wire_document(item)
        except SynapValidationError as error:
            refusal = at_index(error, index)
            yield IngestOutcome(index, False, item_document_id(item), error=refusal, error_message=refusal.message)
            continue
        encoded = encode_json(wire)
        if max_chunk_bytes is not None and _BODY_OVERHEAD + len(encoded) > max_chunk_bytes:
            message = f"documents[{index}]: {len(encoded)} bytes encoded, over max_chunk_bytes={max_chunk_bytes}"
            yield IngestOutcome(index, False, wire["document_id"], error_message=message)
            continue
        too_big = max_chunk_bytes is not None and size + 1 + len(encoded) > max_chunk_bytes
        if chunk.indices and (len(chunk.indices) >= chunk_size or too_big):
            yield chunk
            number += 1
            chunk = _Chunk(number, [], [], [])
            size = _BODY_OVERHEAD
        chunk.indices.append(index)
        chunk.document_ids.append(wire["document_id"])
        chunk.encoded.append(encoded)
        size += len(encoded) + 1
    if chunk.indices:
        yield chunk


def looks_like_duplicate(message: Optional[str]) -> bool:
    """Does a per-item refusal say the document_id was ingested already?"""
    text = (message or "").lower()
    return "already" in text or "duplicate" in text or "exists" in text


class _StopRun(Exception):
    """A worker met an error that ends the whole run."""

    def __init__(self, error: SynapError) -> None:
        super().__init__(str(error))
        self.error = error


_DONE = object()


class BulkIngestion:
    """One run of ``ingest`` / ``ingest_iter`` over ``documents``: iterate it for one outcome per
    document as its chunk settles; ``report`` counts everything so far. See `Memories.ingest` for the
    parameters."""

    def __init__(
        self,
        memories: "Memories",
        documents: Iterable[DocumentInput],
        *,
        fail_fast: bool = False,
        chunk_size: int = 100,
        max_chunk_bytes: Optional[int] = None,
        workers: int = 4,
        max_requests_per_second: Optional[float] = None,
        journal: Optional[str] = None,
        progress: Union[bool, Callable[[Progress], Any], None] = None,
    ) -> None:
        from .memories import MAX_BATCH_SIZE

        transport = memories._transport
        _require(
            isinstance(chunk_size, int) and 1 <= chunk_size <= MAX_BATCH_SIZE,
            "chunk_size",
            f"must be a whole number from 1 to {MAX_BATCH_SIZE}",
        )
        _require(
            max_chunk_bytes is None or (isinstance(max_chunk_bytes, int) and max_chunk_bytes > _BODY_OVERHEAD),
            "max_chunk_bytes",
            f"must be None or a whole number over {_BODY_OVERHEAD}",
        )
        _require(isinstance(workers, int) and workers >= 1, "workers", "must be a whole number >= 1")
        _require(
            workers <= transport.pool_maxsize,
            "workers",
            f"{workers} workers need at least as many pooled connections; the client has "
            f"pool_maxsize={transport.pool_maxsize} (pass pool_maxsize= to SynapClient)",
        )
        _require(
            max_requests_per_second is None or max_requests_per_second > 0,
            "max_requests_per_second",
            "must be None or > 0",
        )
        self.memories = memories
        self.documents = documents
        self.fail_fast = fail_fast
        self.chunk_size = chunk_size
        self.max_chunk_bytes = max_chunk_bytes
        self.workers = workers
        self.pacer = Pacer(max_requests_per_second)
        self.retry_policy = transport.retry
        self.journal_path = journal
        self.progress = progress
        self.report = IngestReport()
        self._stats_lock = threading.Lock()
        self._stopping = threading.Event()
        self._reached = threading.Event()
        self._journal: Optional[Journal] = None
        self._outcomes: Optional[Iterator[IngestOutcome]] = None

    # --- the caller's thread ---------------------------------------------------------------------

    def __iter__(self) -> "BulkIngestion":
        return self

    def __next__(self) -> IngestOutcome:
        if self._outcomes is None:
            self._outcomes = self._run(self.documents)
        return next(self._outcomes)

    def close(self) -> None:
        """Stop the run early: in-flight chunks finish, nothing more is read or sent. (Leaving a
        ``for`` loop does not stop the run by itself; dropping the iterator, or this, does.)"""
        if self._outcomes is not None:
            self._outcomes.close()  # type: ignore[attr-defined]

    def __enter__(self) -> "BulkIngestion":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def _run(self, documents: Iterable[DocumentInput]) -> Iterator[IngestOutcome]:
        started = time.monotonic()
        total = len(documents) if hasattr(documents, "__len__") else None  # type: ignore[arg-type]
        reporter = make_reporter(self.progress, total)
        if self.journal_path is not None:
            self._journal = Journal(self.journal_path, self._journal_settings())
        work: "queue.Queue[Any]" = queue.Queue(maxsize=self.workers * 2)
        settled: "queue.Queue[Any]" = queue.Queue(maxsize=self.workers * 4)
        reader = threading.Thread(target=self._read, args=(documents, work, settled), name="synap-sync-reader")
        workers = [
            threading.Thread(target=self._work, args=(work, settled), name=f"synap-sync-worker-{number}")
            for number in range(self.workers)
        ]
        for thread in [reader, *workers]:
            thread.daemon = True
            thread.start()
        running = 1 + len(workers)
        failure: Optional[BaseException] = None
        try:
            while running:
                item = settled.get()
                if item is _DONE:
                    running -= 1
                elif isinstance(item, BaseException):
                    failure = failure or item
                    self._stopping.set()
                else:
                    self._count(item)
                    self.report.elapsed_seconds = time.monotonic() - started
                    if reporter:
                        reporter(self._progress(total), False)
                    if failure is None:
                        yield from item
        finally:
            self._stopping.set()
            self._wind_down(reader, workers, work, settled)
            if self._journal is not None:
                self._journal.close()
            self.report.failures.sort(key=lambda failure: failure.index)
            self.report.elapsed_seconds = time.monotonic() - started
            if reporter:
                reporter(self._progress(total), True)
        if failure is not None:
            failure.report = self.report  # type: ignore[attr-defined]
            raise failure

    def _count(self, outcomes: List[IngestOutcome]) -> None:
        for outcome in outcomes:
            self.report._count(outcome)

    def _wind_down(
        self,
        reader: threading.Thread,
        workers: List[threading.Thread],
        work: "queue.Queue[Any]",
        settled: "queue.Queue[Any]",
    ) -> None:
        """After a stop: let the workers finish what they hold, and account for what they leave.

        The reader gets a moment to notice the stop; an input that blocks (an idle stdin) is not
        waited for, so a stop never hangs.
        """
        patience = time.monotonic() + 1.0
        while any(thread.is_alive() for thread in workers) or (reader.is_alive() and time.monotonic() < patience):
            try:
                item = settled.get(timeout=0.05)
            except queue.Empty:
                continue
            if isinstance(item, list):
                self._count(item)
        for item in _left_in(settled):
            if isinstance(item, list):
                self._count(item)
        for chunk in _left_in(work):
            if chunk is not None:
                self._count(_failed(chunk, None, NOT_SENT))

    def _progress(self, total: Optional[int]) -> Progress:
        report = self.report
        return Progress(report.total, report.succeeded, report.failed, total, report.elapsed_seconds)

    def _journal_settings(self) -> Dict[str, Any]:
        return {"chunk_size": self.chunk_size, "max_chunk_bytes": self.max_chunk_bytes, "fail_fast": self.fail_fast}

    # --- the reader thread -----------------------------------------------------------------------

    def _read(self, documents: Iterable[DocumentInput], work: "queue.Queue[Any]", settled: "queue.Queue[Any]") -> None:
        try:
            for piece in chunk_documents(documents, self.chunk_size, self.max_chunk_bytes):
                if self._stopping.is_set():
                    break
                if isinstance(piece, IngestOutcome):
                    settled.put([piece])
                    if self.fail_fast:
                        raise piece.error or SynapValidationError(piece.error_message or "invalid document")
                elif self._settled_before(piece, settled):
                    continue
                else:
                    work.put(piece)
        except BaseException as error:  # the input itself failed: stop the run and say why
            settled.put(error)
        finally:
            if not self._stopping.is_set():  # when stopping, idle workers leave by themselves
                for _ in range(self.workers):
                    work.put(None)
            settled.put(_DONE)

    def _settled_before(self, chunk: _Chunk, settled: "queue.Queue[Any]") -> bool:
        """Resuming: replay a chunk the journal has settled; note one it saw sent as in flight."""
        if self._journal is None:
            return False
        chunk.record = self._journal.check(chunk.number, chunk.fingerprint(), chunk.indices)
        if chunk.record is None or not chunk.record.done:
            return False
        settled.put(_replayed(chunk, chunk.record))
        return True

    # --- the worker threads ----------------------------------------------------------------------

    def _work(self, work: "queue.Queue[Any]", settled: "queue.Queue[Any]") -> None:
        try:
            while True:
                try:
                    chunk = work.get(timeout=0.1)
                except queue.Empty:
                    if self._stopping.is_set():
                        return
                    continue
                if chunk is None:
                    return
                if self._stopping.is_set():
                    settled.put(_failed(chunk, None, NOT_SENT))
                    continue
                try:
                    settled.put(self._send(chunk))
                except _StopRun as stop:
                    settled.put(_failed(chunk, stop.error))
                    settled.put(stop.error)
        except BaseException as error:
            settled.put(error)
        finally:
            settled.put(_DONE)

    def _send(self, chunk: _Chunk) -> List[IngestOutcome]:
        """Send one chunk until every document in it is settled."""
        body = chunk.body(self.fail_fast)
        repeatable = all(chunk.document_ids)
        # A chunk the journal saw sent by a run that died may already be stored.
        maybe_stored = chunk.record is not None
        if self._journal is not None and chunk.record is None:
            self._journal.sent(chunk.number, chunk.fingerprint(), chunk.indices)
        attempts = throttles = 0
        while True:
            if self._stopping.is_set():  # not journaled as settled: a resumed run sends it again
                return _failed(chunk, None, NOT_SETTLED)
            sent_at = self.pacer.acquire()
            self._add(requests=1)
            try:
                reply = self.memories.post_batch(body, len(chunk.indices), repeatable, max_retries=0)
            except SynapRateLimitError as error:
                self._reached.set()
                self.pacer.throttled(sent_at, error.retry_after)
                self._add(throttled=1)
                throttles += 1
                if throttles >= MAX_THROTTLES:
                    return _failed(chunk, error, f"gave up after {throttles} answers of 429: ")
                continue
            except SynapError as error:
                if error.status_code is not None:
                    self._reached.set()
                if (
                    isinstance(error, RUN_STOPPING)
                    or _build_failed(error)
                    or (self.fail_fast and isinstance(error, SynapValidationError))
                ):
                    raise _StopRun(error) from error
                if not isinstance(error, SynapTransientError):
                    return self._settle(chunk, _failed(chunk, error))
                if getattr(error, "outcome_unknown", False):
                    if not repeatable:
                        return self._settle(chunk, _failed(chunk, error, UNKNOWN_OUTCOME))
                    maybe_stored = True
                attempts += 1
                if attempts >= self._attempt_limit():
                    if _unreachable(error):
                        raise _StopRun(error) from error
                    return _failed(chunk, error, f"gave up after {attempts} attempts: ")
                self._add(retries=1)
                _transport._sleep(self.retry_policy.delay(error, attempts))
                continue
            self.pacer.accepted(sent_at)
            self._reached.set()
            return self._settle(chunk, _acknowledged(chunk, reply.results, maybe_stored))

    def _attempt_limit(self) -> int:
        """A service not reached yet (a wrong URL?) gets the client's retries; one that answered
        before gets MAX_ATTEMPTS, about a minute of backoff, to come back."""
        return MAX_ATTEMPTS if self._reached.is_set() else self.retry_policy.max_retries + 1

    def _settle(self, chunk: _Chunk, outcomes: List[IngestOutcome]) -> List[IngestOutcome]:
        """Journal the chunk as settled for good: acknowledged, or refused in a way a resend would
        not change. (A chunk given up on after transient failures is not: a resumed run retries it.)"""
        if self._journal is not None:
            failed: List[JournaledFailure] = [
                (outcome.index, outcome.document_id, outcome.error_message or "")
                for outcome in outcomes
                if not outcome.ok
            ]
            self._journal.done(chunk.number, failed, sum(outcome.deduplicated for outcome in outcomes))
        return outcomes

    def _add(self, requests: int = 0, retries: int = 0, throttled: int = 0) -> None:
        with self._stats_lock:
            self.report.requests += requests
            self.report.retries += retries
            self.report.throttled += throttled


def _left_in(waiting: "queue.Queue[Any]") -> Iterator[Any]:
    """What is still in a queue, without waiting for more."""
    while True:
        try:
            yield waiting.get_nowait()
        except queue.Empty:
            return


def _require(condition: bool, field: str, reason: str) -> None:
    if not condition:
        raise refuse(field, reason)


def _unreachable(error: SynapError) -> bool:
    """No connection could be made at all: every other chunk would fail the same way."""
    return isinstance(error, SynapNetworkError) and not error.outcome_unknown


def _build_failed(error: SynapError) -> bool:
    return isinstance(error, SynapConflictError) and (error.code or "").lower() == "instance_build_failed"


def _acknowledged(chunk: _Chunk, results: List[CreateMemoryResponse], maybe_stored: bool) -> List[IngestOutcome]:
    outcomes = []
    for index, document_id, result in zip(chunk.indices, chunk.document_ids, results):
        if result.ok:
            outcomes.append(IngestOutcome(index, True, document_id, result))
        elif maybe_stored and document_id and looks_like_duplicate(result.error_message):
            outcomes.append(IngestOutcome(index, True, document_id, result, deduplicated=True))
        else:
            message = result.error_message or f"status {result.status}"
            outcomes.append(IngestOutcome(index, False, document_id, result, error_message=message))
    return outcomes


def _failed(chunk: _Chunk, error: Optional[SynapError], message: str = "") -> List[IngestOutcome]:
    """Every document of ``chunk`` failed: ``message``, then the error's own words."""
    message += str(error) if error is not None else ""
    return [
        IngestOutcome(index, False, document_id, error=error, error_message=message)
        for index, document_id in zip(chunk.indices, chunk.document_ids)
    ]


def _replayed(chunk: _Chunk, record: ChunkRecord) -> List[IngestOutcome]:
    refused = {index: reason for index, _, reason in record.failed}
    return [
        IngestOutcome(index, index not in refused, document_id, error_message=refused.get(index), resumed=True)
        for index, document_id in zip(chunk.indices, chunk.document_ids)
    ]
