"""The bulk engine's threads and queues, driven through a mocked transport or a fake poster: it stops,
it never hangs, and it says what it did."""

from __future__ import annotations

import collections
import json
import threading
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
import requests
import responses

from synap_sync import SynapClient, SynapNetworkError, SynapServerError, SynapTimeoutError
from synap_sync._retry import Backoff
from synap_sync.bulk import BulkIngestion, IngestOptions
from synap_sync.bulk._sender import MAX_ATTEMPTS, MAX_CHUNKS_GIVEN_UP
from synap_sync.testing import FakeClock
from tests.conftest import docs

from .conftest import API_KEY, BASE_URL
from .replies import BATCH_URL, echo_batch


class ThreadClock(FakeClock):
    """A fake clock that also adds up each thread's waits: the run's length is its busiest worker's."""

    def __init__(self) -> None:
        super().__init__()
        self.by_thread: Dict[int, float] = collections.defaultdict(float)

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        self.by_thread[threading.get_ident()] += seconds


#: The backoff one chunk spends before it is given up: 1, 2, 4, 8, then 10 s, each with up to 25% more.
CHUNK_BUDGET = sum(min(10.0, 2.0**attempt * 1.25) for attempt in range(MAX_ATTEMPTS - 1))


@responses.activate
def test_a_service_failing_for_every_chunk_stops_the_run_with_its_report(tmp_path: Path) -> None:
    journal = str(tmp_path / "run.journal")
    clock = ThreadClock()
    client = SynapClient(api_key=API_KEY, base_url=BASE_URL, clock=clock)
    responses.add(responses.POST, BATCH_URL, status=500, json={"error": "down"})
    with pytest.raises(SynapServerError) as caught:
        client.memories.ingest(docs(10_000), workers=4, journal=journal)  # 100 chunks
    report = caught.value.report
    sent = len(responses.calls)
    # At most the chunks in flight when the third one in a row was given up, each with its attempts.
    assert sent <= (MAX_CHUNKS_GIVEN_UP + 4) * MAX_ATTEMPTS
    assert report is not None and 0 < report.total < 10_000
    # the chunks given up on failed; the others were not sent (no failure: the resume sends them)
    assert report.succeeded == 0 and report.failed > 0 and report.failed + report.not_sent == report.total
    # No worker waits through more chunks than the run gives up before it stops (the sleeps are instant, so
    # one worker may give up all of them while the others are still on their first); unstopped, ~25 each.
    assert max(clock.by_thread.values()) <= MAX_CHUNKS_GIVEN_UP * CHUNK_BUDGET

    responses.reset()
    responses.add_callback(responses.POST, BATCH_URL, callback=echo_batch)
    resumed = client.memories.ingest(docs(10_000), workers=4, journal=journal)
    assert (resumed.total, resumed.succeeded, resumed.failed) == (10_000, 10_000, 0)


def test_the_run_deadline_stops_it_and_keeps_the_report() -> None:
    clock = FakeClock()

    def slow_post(body: bytes, count: int, repeatable: bool) -> Any:
        clock.time += 1.0  # every post takes a second of the run's time
        from synap_sync.models import BatchCreateResponse, CreateMemoryResponse

        ids = [document["document_id"] for document in json.loads(body)["documents"]]
        results = [CreateMemoryResponse(None, document_id, "queued") for document_id in ids]
        return BatchCreateResponse(None, count, count, 0, results)

    run = BulkIngestion(
        docs(100_000),
        IngestOptions(workers=1, deadline=5.0),
        slow_post,
        retry=Backoff(),
        clock=clock,
        client_attempts=3,
    )
    with pytest.raises(SynapTimeoutError, match="deadline of 5s") as caught:
        list(run)
    assert caught.value.report is run.report and 0 < run.report.succeeded < 100_000


def test_an_unexpected_exception_in_a_worker_ends_the_run_at_once() -> None:
    def broken_post(body: bytes, count: int, repeatable: bool) -> Any:
        raise RuntimeError("a bug")

    run = BulkIngestion(
        docs(50_000), IngestOptions(workers=4), broken_post, retry=Backoff(), clock=FakeClock(), client_attempts=3
    )
    with pytest.raises(RuntimeError, match="a bug"):
        list(run)
    assert run.report.total < 50_000  # it did not read on to the end


def test_an_input_that_fails_ends_the_run_with_its_own_exception_and_accounts_what_was_read() -> None:
    def rows() -> Iterator[Dict[str, Any]]:
        yield from docs(250)
        raise ValueError("line 251 is garbage")

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.POST, BATCH_URL, callback=echo_batch)
        client = SynapClient(api_key=API_KEY, base_url=BASE_URL, clock=FakeClock())
        run = client.memories.ingest_iter(rows(), workers=2)
        with pytest.raises(ValueError, match="line 251"):
            list(run)
    assert run.report.total == 250  # acknowledged, or reported not sent: none unaccounted
    assert {failure.kind for failure in run.report.failures} <= {"not_sent", "not_settled"}


@responses.activate
def test_a_connection_that_keeps_failing_stops_the_run_after_three_chunks() -> None:
    client = SynapClient(api_key=API_KEY, base_url=BASE_URL, clock=FakeClock())
    responses.add(responses.POST, BATCH_URL, body=requests.ConnectionError("reset by peer"))
    with pytest.raises(SynapNetworkError) as caught:
        client.memories.ingest(docs(5_000), workers=2)
    report = caught.value.report
    assert report is not None and report.failed > 0 and report.failed + report.not_sent == report.total
    assert len(responses.calls) <= (MAX_CHUNKS_GIVEN_UP + 2) * 3
