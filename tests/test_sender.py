"""The chunk sender's state machine, with a scripted poster and a clock that never waits: no sockets,
no threads."""

from __future__ import annotations

import uuid
from typing import Any, Dict, List, Optional, Sequence, Union

import pytest

from synap_sync import (
    SynapAuthError,
    SynapConflictError,
    SynapNetworkError,
    SynapRateLimitError,
    SynapServerError,
    SynapValidationError,
)
from synap_sync._retry import Backoff
from synap_sync.bulk._chunks import Chunk, chunk_documents
from synap_sync.bulk._journal import Journal
from synap_sync.bulk._sender import MAX_ATTEMPTS, ChunkSender, StopRun
from synap_sync.errors import SynapError
from synap_sync.models import BatchCreateResponse, CreateMemoryResponse
from synap_sync.testing import FakeClock

Answer = Union[SynapError, Sequence[Optional[str]]]  # an error to raise, or one error_message per document


class ScriptedPoster:
    """Answers each post with the next scripted answer; remembers what it was sent."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.posts: List[Dict[str, Any]] = []

    def __call__(self, body: bytes, count: int, repeatable: bool) -> BatchCreateResponse:
        self.posts.append({"count": count, "repeatable": repeatable})
        answer = self.answers.pop(0)
        if isinstance(answer, SynapError):
            raise answer
        results = [
            CreateMemoryResponse(
                ingestion_id=None if message else uuid.uuid4(),
                document_id=f"d{index}",
                status="failed" if message else "queued",
                error_message=message,
            )
            for index, message in enumerate(answer)
        ]
        return BatchCreateResponse(None, count, count, 0, results)


def chunk_of(count: int, with_ids: bool = True) -> Chunk:
    items = [{"document": f"n{index}", **({"document_id": f"d{index}"} if with_ids else {})} for index in range(count)]
    pieces = list(chunk_documents(items, 100, None))
    assert len(pieces) == 1 and isinstance(pieces[0], Chunk)
    return pieces[0]


def sender(poster: ScriptedPoster, clock: FakeClock, **options: Any) -> ChunkSender:
    return ChunkSender(
        poster, retry=Backoff(uniform=lambda low, high: 0.0), clock=clock, client_attempts=3, **options
    )


def reopened(journal: Journal) -> Journal:
    """The journal as the next run reads it."""
    journal.close()
    return Journal(journal.path, SETTINGS)


SETTINGS = {"chunk_size": 100}
OK = [None, None]
DOWN = SynapServerError("busy", status_code=503)


def test_a_chunk_accepted_at_once_is_settled_in_one_post(clock: FakeClock) -> None:
    poster = ScriptedPoster(OK)
    outcomes = sender(poster, clock).send(chunk_of(2))
    assert [outcome.ok for outcome in outcomes] == [True, True] and len(poster.posts) == 1 and clock.sleeps == []


def test_5xx_is_retried_with_backoff_then_succeeds(clock: FakeClock) -> None:
    poster = ScriptedPoster(DOWN, DOWN, OK)
    run = sender(poster, clock)
    outcomes = run.send(chunk_of(2))
    assert all(outcome.ok for outcome in outcomes)
    assert clock.sleeps == [1.0, 2.0] and run.counts.retries == 2 and run.counts.requests == 3


def test_429s_are_resent_at_once_without_backoff_the_pace_does_the_waiting(clock: FakeClock) -> None:
    poster = ScriptedPoster(SynapRateLimitError("slow", status_code=429, retry_after=1), OK)
    run = sender(poster, clock)
    assert all(outcome.ok for outcome in run.send(chunk_of(2)))
    assert clock.sleeps == [] and run.counts.throttled == 1 and run.counts.retries == 0


def test_a_chunk_given_up_on_is_failed_with_the_kind_of_its_last_error(clock: FakeClock) -> None:
    poster = ScriptedPoster(SynapServerError("busy", status_code=503), *([DOWN] * MAX_ATTEMPTS))
    run = sender(poster, clock)
    run.reached.set()  # the service answered before: it gets MAX_ATTEMPTS to come back
    outcomes = run.send(chunk_of(2))
    assert len(poster.posts) == MAX_ATTEMPTS
    assert {(outcome.ok, outcome.kind) for outcome in outcomes} == {(False, "server")}
    assert outcomes[0].error_message is not None and outcomes[0].error_message.startswith("gave up after 10 attempts")


def test_a_service_never_reached_stops_the_run_after_the_clients_attempts(clock: FakeClock) -> None:
    refused = SynapNetworkError("refused", outcome_unknown=False)
    poster = ScriptedPoster(refused, refused, refused)
    with pytest.raises(StopRun):
        sender(poster, clock).send(chunk_of(1))
    assert len(poster.posts) == 3


def test_unknown_outcome_without_ids_is_settled_failed_not_resent(clock: FakeClock, tmp_path: Any) -> None:
    journal = Journal(str(tmp_path / "j"), SETTINGS)
    poster = ScriptedPoster(SynapNetworkError("dropped", outcome_unknown=True))
    outcomes = sender(poster, clock, journal=journal).send(chunk_of(2, with_ids=False))
    assert len(poster.posts) == 1 and {outcome.kind for outcome in outcomes} == {"outcome_unknown"}
    assert reopened(journal).chunks[0].done  # settled: a resumed run must not resend it behind the user's back


def test_unknown_outcome_with_ids_is_resent_and_a_refusal_as_duplicate_counts_deduplicated(clock: FakeClock) -> None:
    poster = ScriptedPoster(
        SynapNetworkError("dropped", outcome_unknown=True), ["document_id 'd0' was already ingested", None]
    )
    outcomes = sender(poster, clock).send(chunk_of(2))
    assert [(outcome.ok, outcome.deduplicated, outcome.already_stored) for outcome in outcomes] == [
        (True, True, False),
        (True, False, False),
    ]


@pytest.mark.parametrize(
    "message", ["document_id 'd0' was already ingested", "Duplicate document", "a document with this id already exists"]
)
def test_a_first_send_refused_as_already_stored_is_a_success(clock: FakeClock, message: str) -> None:
    outcomes = sender(ScriptedPoster([message, None]), clock).send(chunk_of(2))
    assert [(outcome.ok, outcome.already_stored) for outcome in outcomes] == [(True, True), (True, False)]


def test_strict_callers_get_already_stored_documents_as_duplicate_failures(clock: FakeClock) -> None:
    outcomes = sender(ScriptedPoster(["already ingested", None]), clock, fail_already_stored=True).send(chunk_of(2))
    assert [(outcome.ok, outcome.kind) for outcome in outcomes] == [(False, "duplicate"), (True, None)]


def test_other_per_item_refusals_are_rejected_failures(clock: FakeClock) -> None:
    outcomes = sender(ScriptedPoster(["customer_id: required", None]), clock).send(chunk_of(2))
    assert (outcomes[0].ok, outcomes[0].kind, outcomes[0].error_message) == (False, "rejected", "customer_id: required")


def test_a_409_for_a_whole_batch_is_settled_document_by_document(clock: FakeClock) -> None:
    conflict = SynapConflictError("document_id already exists", status_code=409)
    poster = ScriptedPoster(conflict, conflict, [None])  # the batch, then d0 alone (409), then d1 alone
    outcomes = sender(poster, clock).send(chunk_of(2))
    assert [post["count"] for post in poster.posts] == [2, 1, 1]
    assert [(outcome.ok, outcome.already_stored) for outcome in outcomes] == [(True, True), (True, False)]


def test_an_auth_error_stops_the_run(clock: FakeClock) -> None:
    with pytest.raises(StopRun) as caught:
        sender(ScriptedPoster(SynapAuthError("bad key", status_code=401)), clock).send(chunk_of(1))
    assert isinstance(caught.value.error, SynapAuthError)


def test_a_422_for_the_batch_fails_its_documents_and_the_run_goes_on(clock: FakeClock) -> None:
    outcomes = sender(ScriptedPoster(SynapValidationError("bad", status_code=422)), clock).send(chunk_of(2))
    assert {(outcome.ok, outcome.kind) for outcome in outcomes} == {(False, "rejected")}


def test_a_stopping_run_gives_up_a_chunk_being_retried_unsettled(clock: FakeClock, tmp_path: Any) -> None:
    journal = Journal(str(tmp_path / "j"), SETTINGS)
    run = sender(ScriptedPoster(DOWN, OK), clock, journal=journal)
    original_sleep = clock.sleep

    def stop_while_waiting(seconds: float) -> None:
        original_sleep(seconds)
        run.stopping.set()

    clock.sleep = stop_while_waiting  # type: ignore[method-assign]
    outcomes = run.send(chunk_of(2))
    assert {outcome.kind for outcome in outcomes} == {"not_settled"}
    assert not reopened(journal).chunks[0].done  # a resumed run sends it again
