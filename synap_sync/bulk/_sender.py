"""One chunk, sent until every document in it is settled: the bulk engine's retry state machine.

No threads here: the engine's workers each call `ChunkSender.send`. What it needs comes in — a
"post one batch" callable, the retry policy, a clock, the journal — so it is tested with fakes.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable, List, Optional, Tuple

from .._clock import Clock
from .._pace import Pacer
from .._retry import Backoff, Verdict, classify
from ..errors import (
    SynapAuthError,
    SynapClientClosedError,
    SynapConflictError,
    SynapError,
    SynapInstanceBuildFailedError,
    SynapInstanceNotReadyError,
    SynapInsufficientCreditsError,
    SynapJournalError,
    SynapNetworkError,
    SynapNotFoundError,
    SynapProxyError,
    SynapQuotaExceededError,
    SynapValidationError,
)
from ..models import BatchCreateResponse, says_already_stored
from ._chunks import Chunk, acknowledged, failed
from ._journal import Journal, JournaledFailure
from ._report import IngestOutcome

log = logging.getLogger("synap_sync")

#: Sends one encoded batch of ``count`` documents once (``repeatable``: every one has an id) and
#: returns the parsed reply holding ``count`` results, or raises the attempt's `SynapError`.
Poster = Callable[[bytes, int, bool], BatchCreateResponse]

#: Attempts per chunk after failures that are not 429s (5xx, connection trouble): about a minute of backoff.
MAX_ATTEMPTS = 10
#: 429s one chunk may meet before it is reported failed (the pace keeps them rare).
MAX_THROTTLES = 100
#: Chunks given up on one after another (no chunk settling between them) before the run stops: the
#: service is failing for everyone, and an unattended run should say so, not burn hours.
MAX_CHUNKS_GIVEN_UP = 3
#: Errors about the key, the account or the instance: every other chunk would meet them too.
RUN_STOPPING = (
    SynapAuthError,
    SynapInsufficientCreditsError,
    SynapQuotaExceededError,
    SynapInstanceNotReadyError,
    SynapInstanceBuildFailedError,
    SynapNotFoundError,
)
NOT_SETTLED = "not settled: the run stopped while this chunk was being retried"
UNREACHABLE = "not sent: the service could not be reached: "
JOURNAL_UNWRITABLE = "not sent: the journal could not be written before sending it"
UNKNOWN_OUTCOME = "outcome unknown (it may have been stored); not resent, as not every document has a document_id: "


class StopRun(Exception):
    """A chunk met an error that ends the whole run; ``outcomes`` are its own, when it had settled."""

    def __init__(self, error: SynapError, outcomes: Optional[List[IngestOutcome]] = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.outcomes = outcomes


class SendCounts:
    """Requests, retries and 429s of a run, counted from every worker."""

    def __init__(self) -> None:
        self.requests = self.retries = self.throttled = 0
        self._lock = threading.Lock()

    def add(self, requests: int = 0, retries: int = 0, throttled: int = 0) -> None:
        with self._lock:
            self.requests += requests
            self.retries += retries
            self.throttled += throttled


class ChunkSender:
    """Settles chunks through ``post``; one instance serves every worker of a run (thread-safe).

    :param cap: a fixed pace the run was told (``max_requests_per_second``), on top of the key's.
    :param client_attempts: attempts before a service never reached is declared unreachable.
    """

    def __init__(
        self,
        post: Poster,
        *,
        retry: Backoff,
        clock: Clock,
        client_attempts: int,
        fail_fast: bool = False,
        fail_already_stored: bool = False,
        journal: Optional[Journal] = None,
        cap: Optional[Pacer] = None,
    ) -> None:
        self.post = post
        self.retry = retry
        self.clock = clock
        self.client_attempts = client_attempts
        self.fail_fast = fail_fast
        self.fail_already_stored = fail_already_stored
        self.journal = journal
        self.cap = cap
        self.counts = SendCounts()
        #: The largest request body the service is known to take, learned from its 413s as the pace
        #: learns the rate from 429s (None until one came; ``max_chunk_bytes`` bounds chunks before this).
        self.max_body: Optional[int] = None
        #: Set by the engine to stop: a chunk being retried gives up, unsettled.
        self.stopping = threading.Event()
        #: Set once the service has answered anything: from then on it gets MAX_ATTEMPTS to come back.
        self.reached = threading.Event()
        self._given_up_in_a_row = 0
        self._lock = threading.Lock()

    def send(self, chunk: Chunk) -> List[IngestOutcome]:
        """Send ``chunk`` until every document in it is settled; raises `StopRun` for a run-ending error."""
        try:
            if self.journal is not None and chunk.record is None:
                self.journal.sent(chunk.number, chunk.fingerprint(), chunk.indices)
        except SynapJournalError as error:  # the chunk was not sent: a resume sends it
            raise StopRun(error, failed(chunk, None, JOURNAL_UNWRITABLE, kind="not_sent")) from error
        # A chunk the journal saw sent by a run that died may already be stored.
        outcomes, final = self._send(chunk, maybe_stored=chunk.record is not None)
        if final:
            try:
                self.settle(chunk, outcomes)
            except SynapJournalError as error:  # the service's answers stand; the run cannot go on
                raise StopRun(error, outcomes) from error
        return outcomes

    def _send(self, chunk: Chunk, maybe_stored: bool) -> Tuple[List[IngestOutcome], bool]:
        """The chunk's outcomes, and whether they are final (a resend would not change them)."""
        body = chunk.body(self.fail_fast)
        max_body = self.max_body
        if max_body is not None and len(body) > max_body:
            return self._too_large(chunk, maybe_stored, None)
        repeatable = all(chunk.document_ids)
        attempts = throttles = 0
        while True:
            if self.stopping.is_set():  # not final: a resumed run sends it again
                return failed(chunk, None, NOT_SETTLED, kind="not_settled"), False
            if self.cap is not None:
                self.cap.acquire()
            self.counts.add(requests=1)
            try:
                reply = self.post(body, len(chunk.indices), repeatable)
            except SynapError as error:
                if _never_left(error):  # this attempt reached nothing: the chunk is as unsent as before
                    kind = "not_settled" if maybe_stored else "not_sent"
                    raise StopRun(error, failed(chunk, error, "not sent: ", kind=kind)) from error
                if error.status_code is not None:
                    self.reached.set()
                verdict = classify(error, repeatable)
                if verdict is Verdict.THROTTLED:
                    self.counts.add(throttled=1)
                    throttles += 1
                    if throttles >= MAX_THROTTLES:
                        return failed(chunk, error, f"gave up after {throttles} answers of 429: "), False
                    continue
                if error.status_code == 413:
                    self._learn_max_body(len(body) - 1)
                    return self._too_large(chunk, maybe_stored, error)
                if self._ends_run(error):
                    raise StopRun(error) from error
                if verdict is Verdict.STOP:
                    return self._refused(chunk, error, repeatable)
                maybe_stored = maybe_stored or error.outcome_unknown
                attempts += 1
                if attempts >= self._attempt_limit():
                    if _unreachable(error):  # nothing reached the service: not sent, not failed
                        raise StopRun(error, failed(chunk, error, UNREACHABLE, kind="not_sent")) from error
                    given_up = failed(chunk, error, f"gave up after {attempts} attempts: ")
                    if self._one_more_given_up():
                        raise StopRun(error, given_up) from error
                    return given_up, False
                delay = self.retry.delay(error, attempts)
                self.counts.add(retries=1)
                log.warning(
                    "%s: retrying in %.1fs (attempt %d) after: %s", chunk.describe(), delay, attempts + 1, error
                )
                self.clock.sleep(delay)
                continue
            self.reached.set()
            with self._lock:
                self._given_up_in_a_row = 0
            return acknowledged(chunk, reply.results_later(), maybe_stored, self.fail_already_stored), True

    def _learn_max_body(self, size: int) -> None:
        with self._lock:
            if self.max_body is None or size < self.max_body:
                self.max_body = size
                log.warning(
                    "the service refused a request body of %d bytes (413): bodies stay under it from now on", size + 1
                )

    def _too_large(
        self, chunk: Chunk, maybe_stored: bool, error: Optional[SynapError]
    ) -> Tuple[List[IngestOutcome], bool]:
        """A body over what the service takes: its halves go instead (and so on down); a document
        that is too large on its own fails, with the service's reason."""
        if len(chunk.indices) == 1:
            said = error.message if error is not None else f"it answered 413 to bodies over {self.max_body} bytes"
            message = f"too large: the service takes no request body this size, even with this document alone ({said})"
            outcome = IngestOutcome(
                chunk.indices[0], False, chunk.document_ids[0], error=error, error_message=message, kind="too_large"
            )
            return [outcome], True
        middle = len(chunk.indices) // 2
        return self._send_parts(chunk, [slice(0, middle), slice(middle, None)], maybe_stored)

    def _one_more_given_up(self) -> bool:
        """Count a chunk given up on; True when that makes MAX_CHUNKS_GIVEN_UP in a row."""
        with self._lock:
            self._given_up_in_a_row += 1
            if self._given_up_in_a_row < MAX_CHUNKS_GIVEN_UP:
                return False
        log.error("ingest: stopping: %d chunks in a row failed after every attempt", MAX_CHUNKS_GIVEN_UP)
        return True

    def _ends_run(self, error: SynapError) -> bool:
        return isinstance(error, RUN_STOPPING) or (self.fail_fast and isinstance(error, SynapValidationError))

    def _refused(self, chunk: Chunk, error: SynapError, repeatable: bool) -> Tuple[List[IngestOutcome], bool]:
        """The chunk as a whole was refused, or its outcome is unknown and it cannot be resent."""
        if error.outcome_unknown and not repeatable:
            return failed(chunk, error, UNKNOWN_OUTCOME, kind="outcome_unknown"), True
        if isinstance(error, SynapConflictError) and says_already_stored(error.message) and repeatable:
            return self._one_by_one(chunk)
        return failed(chunk, error, kind="rejected"), True

    def _one_by_one(self, chunk: Chunk) -> Tuple[List[IngestOutcome], bool]:
        """A 409 for a whole batch says some id is stored already, not which: settle each document alone."""
        if len(chunk.indices) == 1:
            document_id = chunk.document_ids[0]
            if self.fail_already_stored:
                message = "already stored: the service answered 409 for its document_id"
                return [
                    IngestOutcome(chunk.indices[0], False, document_id, error_message=message, kind="duplicate")
                ], True
            return [IngestOutcome(chunk.indices[0], True, document_id, already_stored=True)], True
        singles = [slice(position, position + 1) for position in range(len(chunk.indices))]
        return self._send_parts(chunk, singles, maybe_stored=False)

    def _send_parts(self, chunk: Chunk, parts: List[slice], maybe_stored: bool) -> Tuple[List[IngestOutcome], bool]:
        """Send ``parts`` of ``chunk`` (slices of its documents) one after another, as chunks of their
        own under its number; their outcomes together, final when each part's are."""
        outcomes: List[IngestOutcome] = []
        final = True
        for part in parts:
            piece = Chunk(chunk.number, chunk.indices[part], chunk.document_ids[part], chunk.encoded[part])
            piece_outcomes, piece_final = self._send(piece, maybe_stored)
            outcomes += piece_outcomes
            final = final and piece_final
        return outcomes, final

    def _attempt_limit(self) -> int:
        """A service not reached yet (a wrong URL?) gets the client's attempts; one that answered
        before gets MAX_ATTEMPTS to come back."""
        return MAX_ATTEMPTS if self.reached.is_set() else self.client_attempts

    def settle(self, chunk: Chunk, outcomes: List[IngestOutcome]) -> None:
        """Journal the chunk as settled for good: acknowledged, or refused in a way a resend would not
        change. (A chunk given up on after transient failures is not: a resumed run retries it.)"""
        if self.journal is not None:
            refusals: List[JournaledFailure] = [
                (outcome.index, outcome.document_id, outcome.error_message or "", outcome.kind or "error")
                for outcome in outcomes
                if not outcome.ok
            ]
            self.journal.done(
                chunk.number,
                refusals,
                sum(outcome.deduplicated for outcome in outcomes),
                sum(outcome.already_stored for outcome in outcomes),
            )


def _never_left(error: SynapError) -> bool:
    """The client was closed, or a proxy refused to carry the request: nothing reached the service, and
    every other chunk would meet the same, so the run stops with this chunk not sent."""
    return isinstance(error, SynapClientClosedError) or (
        isinstance(error, SynapProxyError) and error.code == "proxy_refused"
    )


def _unreachable(error: SynapError) -> bool:
    """No connection could be made at all: every other chunk would fail the same way."""
    return isinstance(error, SynapNetworkError) and not error.outcome_unknown
