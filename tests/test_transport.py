"""The send path: headers, error mapping for every status, retries only where safe, Retry-After."""

import json
import logging
import threading
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime as http_date
from typing import List, Type

import pytest
import requests
import responses
import urllib3

import synap_sync
from synap_sync import (
    SynapAuthError,
    SynapClient,
    SynapConflictError,
    SynapError,
    SynapInstanceNotReadyError,
    SynapInsufficientCreditsError,
    SynapNetworkError,
    SynapNotFoundError,
    SynapPermanentError,
    SynapProtocolError,
    SynapQuotaExceededError,
    SynapRateLimitError,
    SynapServerError,
    SynapValidationError,
)
from synap_sync.testing import FakeClock

from .conftest import API_KEY
from .replies import BATCH_URL, batch_reply, echo_batch

ONE = [{"document": "User: hi"}]
ONE_WITH_ID = [{"document": "User: hi", "document_id": "d-1"}]


def refused_connection() -> requests.ConnectionError:
    reason = urllib3.exceptions.NewConnectionError(None, "Connection refused")
    return requests.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/", reason))


def dropped_connection() -> requests.ConnectionError:
    return requests.ConnectionError(urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError()))


@responses.activate
def test_headers_follow_the_contract(client: SynapClient) -> None:
    responses.add_callback(responses.POST, BATCH_URL, callback=echo_batch)
    client.memories.batch_create(ONE)
    headers = responses.calls[0].request.headers
    assert headers["Authorization"] == f"Bearer {API_KEY}"
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"].startswith(f"synap-sync/{synap_sync.__version__}")
    assert headers["X-Correlation-ID"].startswith("syn_")


@responses.activate
def test_each_call_gets_its_own_correlation_id(client: SynapClient) -> None:
    responses.add_callback(responses.POST, BATCH_URL, callback=echo_batch)
    client.memories.batch_create(ONE)
    client.memories.batch_create(ONE)
    first, second = (call.request.headers["X-Correlation-ID"] for call in responses.calls)
    assert first != second


@pytest.mark.parametrize(
    "status, error_type",
    [
        (400, SynapValidationError),
        (422, SynapValidationError),
        (401, SynapAuthError),
        (403, SynapAuthError),
        (402, SynapInsufficientCreditsError),
        (404, SynapNotFoundError),
        (409, SynapConflictError),
        (429, SynapRateLimitError),
        (500, SynapServerError),
        (502, SynapServerError),
        (503, SynapServerError),
        (504, SynapServerError),
        (418, SynapPermanentError),
    ],
)
@responses.activate
def test_each_status_maps_to_its_error(client: SynapClient, status: int, error_type: Type[SynapError]) -> None:
    responses.add(responses.POST, BATCH_URL, status=status, json={"error": "nope", "code": "SOME_CODE"})
    with pytest.raises(error_type) as caught:
        client.with_options(max_retries=0).memories.batch_create(ONE)
    assert type(caught.value) is error_type
    assert caught.value.status_code == status
    assert caught.value.correlation_id == responses.calls[-1].request.headers["X-Correlation-ID"]
    assert caught.value.message == "nope" and caught.value.code == "SOME_CODE"


@pytest.mark.parametrize(
    "body, message, code",
    [
        (
            {"error": "Invalid API key", "code": "CREDENTIAL_INVALID", "details": {}},
            "Invalid API key",
            "CREDENTIAL_INVALID",
        ),
        ({"detail": "Not authenticated"}, "Not authenticated", None),
        ({"detail": {"code": "UNAUTHORIZED", "message": "token expired"}}, "token expired", "UNAUTHORIZED"),
    ],
)
@responses.activate
def test_message_comes_from_either_error_shape(client: SynapClient, body: dict, message: str, code: object) -> None:
    responses.add(responses.POST, BATCH_URL, status=401, json=body)
    with pytest.raises(SynapAuthError) as caught:
        client.memories.batch_create(ONE)
    assert (caught.value.message, caught.value.code) == (message, code)


@responses.activate
def test_framework_validation_list_is_readable(client: SynapClient) -> None:
    detail = [{"loc": ["body", "documents", 0, "document"], "msg": "field required", "type": "missing"}]
    responses.add(responses.POST, BATCH_URL, status=422, json={"detail": detail})
    with pytest.raises(SynapValidationError, match="documents.0.document: field required"):
        client.memories.batch_create(ONE)


@pytest.mark.parametrize("body", ["", "<html><body><h1>502 Bad Gateway</h1></body></html>", "{not json"])
@responses.activate
def test_html_or_empty_error_bodies_use_the_status_line(client: SynapClient, body: str) -> None:
    responses.add(responses.POST, BATCH_URL, status=404, body=body, content_type="text/html")
    with pytest.raises(SynapNotFoundError, match="HTTP 404 Not Found"):
        client.memories.batch_create(ONE)


@responses.activate
def test_out_of_credits_details_are_read_from_detail(client: SynapClient) -> None:
    detail = {
        "balance_credits": 0,
        "minimum_required_credits": 5,
        "reason": "insufficient",
        "manage_url": "https://x/b",
    }
    responses.add(responses.POST, BATCH_URL, status=402, json={"detail": detail})
    with pytest.raises(SynapInsufficientCreditsError) as caught:
        client.memories.batch_create(ONE)
    assert (caught.value.balance_credits, caught.value.minimum_required_credits) == (0, 5)
    assert caught.value.manage_url == "https://x/b"


@responses.activate
def test_instance_not_ready_is_refused_locally_until_the_wait_passes(client: SynapClient) -> None:
    responses.add(
        responses.POST, BATCH_URL, status=409, json={"error": "instance_not_ready", "retry_after_seconds": 120}
    )
    with pytest.raises(SynapInstanceNotReadyError) as caught:
        client.memories.batch_create(ONE)
    assert caught.value.retry_after == 120
    with pytest.raises(SynapInstanceNotReadyError):
        client.memories.batch_create(ONE)
    assert len(responses.calls) == 1


@responses.activate
def test_instance_not_ready_under_detail(client: SynapClient) -> None:
    responses.add(
        responses.POST,
        BATCH_URL,
        status=409,
        json={"detail": {"code": "instance_not_ready"}},
        headers={"Retry-After": "30"},
    )
    with pytest.raises(SynapInstanceNotReadyError) as caught:
        client.memories.batch_create(ONE)
    assert caught.value.retry_after == 30


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@responses.activate
def test_5xx_is_retried_then_raised(client: SynapClient, sleeps: List[float], status: int) -> None:
    responses.add(responses.POST, BATCH_URL, status=status, json={"error": "busy"})
    with pytest.raises(SynapServerError):
        client.memories.batch_create(ONE)
    assert len(responses.calls) == 3
    assert len(sleeps) == 2


@responses.activate
def test_a_429_waits_for_the_pace_without_using_up_retries(client: SynapClient, sleeps: List[float]) -> None:
    for _ in range(5):
        responses.add(responses.POST, BATCH_URL, status=429, headers={"Retry-After": "1"})
    responses.add(responses.POST, BATCH_URL, json=batch_reply(ONE))
    batch = client.memories.batch_create(ONE)
    assert batch.succeeded == 1 and len(responses.calls) == 6  # five 429s, more than max_retries=2
    # The pace probes at doubling gaps from 10 ms instead of sleeping out the whole-second Retry-After.
    assert sleeps == pytest.approx([0.01, 0.02, 0.04, 0.08, 0.16])


@responses.activate
def test_backoff_doubles_with_at_most_25_percent_jitter_and_never_over_10s(clock: FakeClock) -> None:
    client = SynapClient(api_key=API_KEY, base_url="https://synap.test", max_retries=6, clock=clock)
    responses.add(responses.POST, BATCH_URL, status=503)
    with pytest.raises(SynapServerError):
        client.memories.batch_create(ONE)
    assert len(clock.sleeps) == 6
    for wait, base in zip(clock.sleeps, [1, 2, 4, 8, 10, 10]):
        assert base <= wait <= min(base * 1.25, 10.0)


@responses.activate
def test_a_retry_that_succeeds_returns_the_reply(client: SynapClient, sleeps: List[float]) -> None:
    responses.add(responses.POST, BATCH_URL, status=503)
    responses.add_callback(responses.POST, BATCH_URL, callback=echo_batch)
    batch = client.memories.batch_create(ONE)
    assert batch.succeeded == 1 and len(responses.calls) == 2


@responses.activate
def test_retry_after_seconds_is_honoured_after_a_5xx(client: SynapClient, sleeps: List[float]) -> None:
    responses.add(responses.POST, BATCH_URL, status=503, headers={"Retry-After": "7"})
    responses.add(responses.POST, BATCH_URL, json=batch_reply(ONE))
    client.memories.batch_create(ONE)
    assert sleeps == [7.0]


@responses.activate
def test_retry_after_http_date_is_honoured(client: SynapClient, sleeps: List[float]) -> None:
    when = datetime.now(timezone.utc) + timedelta(seconds=30)
    responses.add(responses.POST, BATCH_URL, status=503, headers={"Retry-After": http_date(when, usegmt=True)})
    responses.add(responses.POST, BATCH_URL, json=batch_reply(ONE))
    client.memories.batch_create(ONE)
    assert len(sleeps) == 1 and 25 <= sleeps[0] <= 30


@responses.activate
def test_rate_limit_error_carries_retry_after(client: SynapClient) -> None:
    responses.add(responses.POST, BATCH_URL, status=429, headers={"Retry-After": "3"})
    with pytest.raises(SynapRateLimitError) as caught:
        client.with_options(max_retries=0).memories.batch_create(ONE)
    assert caught.value.retry_after == 3 and len(responses.calls) == 1


@responses.activate
def test_a_retry_after_past_the_deadline_fails_at_once(client: SynapClient, sleeps: List[float]) -> None:
    responses.add(responses.POST, BATCH_URL, status=429, headers={"Retry-After": "30"})
    with pytest.raises(SynapRateLimitError) as caught:
        client.with_options(deadline=1.0).memories.batch_create(ONE)
    assert caught.value.retry_after == 30 and len(responses.calls) == 1 and sleeps == []


@pytest.mark.parametrize("reason", ["trial_limit_reached", "subscription_inactive"])
@responses.activate
def test_429_that_waiting_cannot_clear_is_not_retried(client: SynapClient, reason: str) -> None:
    responses.add(
        responses.POST, BATCH_URL, status=429, json={"detail": {"reason": reason}}, headers={"Retry-After": "1"}
    )
    with pytest.raises(SynapQuotaExceededError):
        client.memories.batch_create(ONE)
    assert len(responses.calls) == 1


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 409, 422])
@responses.activate
def test_permanent_errors_are_never_retried(client: SynapClient, status: int) -> None:
    responses.add(responses.POST, BATCH_URL, status=status)
    with pytest.raises(SynapPermanentError):
        client.memories.batch_create(ONE_WITH_ID)
    assert len(responses.calls) == 1


@responses.activate
def test_refused_connection_is_retried_it_never_reached_the_service(client: SynapClient) -> None:
    responses.add(responses.POST, BATCH_URL, body=refused_connection())
    responses.add(responses.POST, BATCH_URL, json=batch_reply(ONE))
    assert client.memories.batch_create(ONE).succeeded == 1
    assert len(responses.calls) == 2


@responses.activate
def test_connect_timeout_is_retried(client: SynapClient) -> None:
    responses.add(responses.POST, BATCH_URL, body=requests.ConnectTimeout("connect timed out"))
    responses.add(responses.POST, BATCH_URL, json=batch_reply(ONE))
    assert client.memories.batch_create(ONE).succeeded == 1


@pytest.mark.parametrize("failure", [dropped_connection, lambda: requests.ReadTimeout("read timed out")])
@responses.activate
def test_unknown_outcome_post_without_document_ids_is_not_retried(client: SynapClient, failure) -> None:  # type: ignore[no-untyped-def]
    responses.add(responses.POST, BATCH_URL, body=failure())
    with pytest.raises(SynapNetworkError) as caught:
        client.memories.batch_create(ONE)
    assert caught.value.outcome_unknown
    assert caught.value.correlation_id
    assert len(responses.calls) == 1


@responses.activate
def test_unknown_outcome_post_with_every_document_id_is_retried(client: SynapClient) -> None:
    responses.add(responses.POST, BATCH_URL, body=requests.ReadTimeout("read timed out"))
    responses.add(responses.POST, BATCH_URL, json=batch_reply(ONE_WITH_ID))
    assert client.memories.batch_create(ONE_WITH_ID).succeeded == 1
    assert len(responses.calls) == 2


@responses.activate
def test_one_missing_document_id_makes_the_batch_unsafe_to_repeat(client: SynapClient) -> None:
    responses.add(responses.POST, BATCH_URL, body=dropped_connection())
    with pytest.raises(SynapNetworkError):
        client.memories.batch_create(ONE_WITH_ID + ONE)
    assert len(responses.calls) == 1


@responses.activate
def test_unreadable_success_body_is_a_protocol_error_not_repeated(client: SynapClient) -> None:
    responses.add(responses.POST, BATCH_URL, body="<html>ok</html>", status=200)
    with pytest.raises(SynapProtocolError) as caught:
        client.memories.batch_create(ONE)
    assert caught.value.outcome_unknown and caught.value.correlation_id
    assert len(responses.calls) == 1


@responses.activate
def test_read_timeout_on_get_is_retried(client: SynapClient) -> None:
    url = "https://synap.test/api/v1/memories/status/abc"
    responses.add(responses.GET, url, body=requests.ReadTimeout("slow"))
    responses.add(responses.GET, url, json={"ingestion_id": None, "status": "queued"})
    assert client.memories.status("abc").status == "queued"


@responses.activate
def test_max_retries_zero_sends_once(sleeps: List[float]) -> None:
    client = SynapClient(api_key=API_KEY, base_url="https://synap.test", max_retries=0)
    responses.add(responses.POST, BATCH_URL, status=503)
    with pytest.raises(SynapServerError):
        client.memories.batch_create(ONE)
    assert len(responses.calls) == 1 and sleeps == []


@responses.activate
def test_api_key_never_appears_in_repr_errors_or_debug_logs(
    client: SynapClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    responses.add(responses.POST, BATCH_URL, status=401, json={"error": f"bad key {API_KEY}"})
    responses.add(responses.POST, BATCH_URL, body=requests.ReadTimeout(f"timeout for {API_KEY}"))
    responses.add(responses.POST, BATCH_URL, status=503)
    seen = [repr(client), str(client), repr(client._transport)]
    for _ in range(3):
        try:
            client.memories.batch_create(ONE)
        except SynapError as error:
            seen += [str(error), repr(error), error.message]
    seen.append(caplog.text)
    assert caplog.records, "expected DEBUG log lines"
    assert all(API_KEY not in text for text in seen)


@responses.activate
def test_thread_shared_client_keeps_every_call_apart(client: SynapClient) -> None:
    responses.add_callback(responses.POST, BATCH_URL, callback=echo_batch)
    outcomes: List[object] = []

    def ingest(worker: int) -> None:
        for round_number in range(10):
            document_id = f"w{worker}-{round_number}"
            batch = client.memories.batch_create([{"document": "x", "document_id": document_id}])
            outcomes.append(batch.results[0].document_id == document_id)

    threads = [threading.Thread(target=ingest, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == [True] * 80
    correlation_ids = {call.request.headers["X-Correlation-ID"] for call in responses.calls}
    assert len(correlation_ids) == 80
    assert {json.loads(call.request.body)["documents"][0]["document_id"] for call in responses.calls} == {
        f"w{worker}-{round_number}" for worker in range(8) for round_number in range(10)
    }
