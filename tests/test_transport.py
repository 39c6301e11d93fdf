"""The send path: headers, error mapping for every status, retries only where safe, Retry-After."""

import json
import logging
import pickle
import threading
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime as http_date
from typing import Any, Dict, List, Type

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

from .conftest import API_KEY, BASE_URL
from .replies import BATCH_URL, batch_reply, echo_batch

INGESTION_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
STATUS_URL = f"{BASE_URL}/api/v1/memories/status/{INGESTION_ID}"

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
def test_an_empty_200_to_a_write_is_an_unknown_outcome_not_a_success(client: SynapClient) -> None:
    """A 200 means the service acted; with no readable body the outcome is unknown: never sent again
    blindly (only a 204, or a DELETE answered with nothing, is an empty success)."""
    responses.add(responses.POST, BATCH_URL, body=b"", status=200)
    responses.add(responses.POST, f"{BASE_URL}/api/v1/memories/create", body=b"", status=200)
    for send in (lambda: client.memories.batch_create(ONE), lambda: client.memories.create("User: hi")):
        with pytest.raises(SynapProtocolError) as caught:
            send()
        assert caught.value.outcome_unknown
    assert len(responses.calls) == 2


@responses.activate
def test_the_official_sdks_error_attributes_are_read(client: SynapClient) -> None:
    """Code ported from the official SDK reads these off a 402 and a 429."""
    credits = {"reason": "trial_exhausted", "recovery_url": "https://x/r", "redeem_url": "https://x/c"}
    responses.add(responses.POST, BATCH_URL, status=402, json={"detail": credits})
    with pytest.raises(SynapInsufficientCreditsError) as out_of_credits:
        client.memories.batch_create(ONE)
    assert (out_of_credits.value.reason, out_of_credits.value.recovery_url, out_of_credits.value.redeem_url) == (
        "trial_exhausted",
        "https://x/r",
        "https://x/c",
    )
    limited = {"reason": "burst", "retry_after_seconds": 7, "upgrade_url": "https://x/u", "manage_url": "https://x/m"}
    responses.add(responses.POST, BATCH_URL, status=429, json={"detail": limited})
    with pytest.raises(SynapRateLimitError) as throttled:
        client.with_options(max_retries=0).memories.batch_create(ONE)
    error = throttled.value
    assert (error.retry_after_seconds, error.reason, error.upgrade_url, error.manage_url) == (
        7,
        "burst",
        "https://x/u",
        "https://x/m",
    )
    quota = {"reason": "trial_limit_reached", "upgrade_url": "https://x/u"}
    responses.add(responses.POST, BATCH_URL, status=429, json={"detail": quota})
    with pytest.raises(SynapQuotaExceededError) as exhausted:
        client.memories.batch_create(ONE)
    assert (exhausted.value.reason, exhausted.value.upgrade_url) == ("trial_limit_reached", "https://x/u")


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
def test_instance_not_ready_gates_writes_only_for_at_most_300s(client: SynapClient, clock: FakeClock) -> None:
    not_ready = {"error": "instance_not_ready", "retry_after_seconds": 5000}
    responses.add(responses.POST, BATCH_URL, status=409, json=not_ready)
    responses.add(responses.GET, STATUS_URL, json={"ingestion_id": INGESTION_ID, "status": "queued"})
    with pytest.raises(SynapInstanceNotReadyError):
        client.memories.batch_create(ONE)
    client.memories.status(INGESTION_ID)  # a read still goes
    with pytest.raises(SynapInstanceNotReadyError) as caught:
        client.memories.batch_create(ONE)
    assert caught.value.from_cooldown and caught.value.retry_after == 300  # the service caps its wait at 300 s
    clock.time += 300.5
    responses.replace(responses.POST, BATCH_URL, json=batch_reply(ONE))
    assert client.memories.batch_create(ONE).succeeded == 1


@responses.activate
def test_instance_not_ready_without_a_hint_does_not_block_the_next_call(client: SynapClient) -> None:
    responses.add(responses.POST, BATCH_URL, status=409, json={"error": "instance_not_ready"})
    responses.add(responses.POST, BATCH_URL, json=batch_reply(ONE))
    with pytest.raises(SynapInstanceNotReadyError):
        client.memories.batch_create(ONE)
    assert client.memories.batch_create(ONE).succeeded == 1


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


@pytest.mark.parametrize("status", [500, 503])
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
def test_max_retries_zero_sends_once(clock: FakeClock) -> None:
    client = SynapClient(api_key=API_KEY, base_url="https://synap.test", max_retries=0, clock=clock)
    responses.add(responses.POST, BATCH_URL, status=503)
    with pytest.raises(SynapServerError):
        client.memories.batch_create(ONE)
    assert len(responses.calls) == 1 and clock.sleeps == []


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


@pytest.mark.parametrize(
    "status, body, error_type",
    [
        (200, b"not json", SynapProtocolError),
        (200, b"[1, 2]", SynapProtocolError),
        (200, b'{"batch_id": null, "total": 1, "succeeded": 1, "failed": 0, "results": []}', SynapProtocolError),
        (200, b"[" * 100_000 + b"]" * 100_000, SynapProtocolError),
        (200, b" " * (2 * 1024 * 1024), SynapProtocolError),
        (422, b"[" * 100_000, SynapValidationError),
        (503, b'{"detail": 7}', SynapServerError),
    ],
)
@responses.activate
def test_every_reply_error_carries_the_calls_correlation_id(
    clock: FakeClock, status: int, body: bytes, error_type: Type[SynapError]
) -> None:
    client = SynapClient(api_key=API_KEY, base_url=BASE_URL, max_retries=0, max_reply_bytes=1024 * 1024, clock=clock)
    responses.add(responses.POST, BATCH_URL, status=status, body=body)
    with pytest.raises(error_type) as caught:
        client.memories.batch_create(ONE)
    assert caught.value.correlation_id == responses.calls[0].request.headers["X-Correlation-ID"]


@responses.activate
def test_a_reply_over_max_reply_bytes_is_refused(clock: FakeClock) -> None:
    client = SynapClient(api_key=API_KEY, base_url=BASE_URL, max_reply_bytes=4096, max_retries=0, clock=clock)
    responses.add(responses.POST, BATCH_URL, body=b'{"pad": "' + b"x" * 10_000 + b'"}')
    with pytest.raises(SynapProtocolError, match="max_reply_bytes=4096") as caught:
        client.memories.batch_create([{"document": "no id"}])
    assert caught.value.outcome_unknown  # a write whose reply could not be read may have been stored


@responses.activate
def test_a_key_echoed_by_the_service_is_removed_from_the_reply_and_the_error(client: SynapClient) -> None:
    responses.add(responses.POST, BATCH_URL, status=400, json={"error": f"key {API_KEY} is odd", "echo": API_KEY})
    with pytest.raises(SynapValidationError) as caught:
        client.memories.batch_create(ONE)
    assert API_KEY not in repr(caught.value.body) and API_KEY not in caught.value.message
    assert API_KEY not in repr(pickle.loads(pickle.dumps(caught.value)).__dict__)


def test_clients_of_one_key_share_one_pace_and_other_keys_do_not() -> None:
    first = SynapClient(api_key=API_KEY, base_url=BASE_URL)
    second = SynapClient(api_key=API_KEY, base_url=BASE_URL + "/")
    other_key = SynapClient(api_key=API_KEY + "x", base_url=BASE_URL)
    other_url = SynapClient(api_key=API_KEY, base_url="https://eu.synap.test")
    assert first._transport.pace is second._transport.pace
    assert first._transport.pace is not other_key._transport.pace
    assert first._transport.pace is not other_url._transport.pace


def test_a_known_rate_is_a_ceiling_for_every_client_told_it_and_they_share_one_pace() -> None:
    learning = SynapClient(api_key=API_KEY, base_url=BASE_URL)
    told = SynapClient(api_key=API_KEY, base_url=BASE_URL, max_requests_per_second=5)
    also_told = SynapClient(api_key=API_KEY, base_url=BASE_URL, max_requests_per_second=5)
    assert told._transport.pace is also_told._transport.pace and told._transport.pace.max_rate == 5
    assert learning._transport.pace is not told._transport.pace and learning._transport.pace.max_rate is None


@responses.activate
def test_with_options_shares_the_pool_and_changes_only_the_limits(client: SynapClient, clock: FakeClock) -> None:
    view = client.with_options(max_retries=0, deadline=2.0)
    assert view._transport is client._transport
    assert (view.max_retries, view.deadline, view.timeout) == (0, 2.0, client.timeout)
    assert (client.max_retries, client.deadline) == (2, 120.0)
    responses.add(responses.POST, BATCH_URL, status=503)
    with pytest.raises(SynapServerError):
        view.memories.batch_create(ONE)
    assert len(responses.calls) == 1 and clock.sleeps == []


@pytest.mark.parametrize("options", [{"deadline": 0}, {"deadline": -1}, {"max_retries": -1}, {"timeout": "5"}])
def test_with_options_refuses_bad_limits(client: SynapClient, options: Dict[str, Any]) -> None:
    with pytest.raises(SynapValidationError) as caught:
        client.with_options(**options)
    assert caught.value.field == next(iter(options))


@pytest.mark.parametrize("key", ["synap_abc\n", "  synap_abc  "])
@responses.activate
def test_surrounding_whitespace_in_a_key_is_dropped(key: str) -> None:
    responses.add(responses.GET, STATUS_URL, json={"ingestion_id": INGESTION_ID, "status": "queued"})
    SynapClient(api_key=key, base_url=BASE_URL).memories.status(INGESTION_ID)
    assert responses.calls[0].request.headers["Authorization"] == "Bearer synap_abc"


@pytest.mark.parametrize("key", ["synap_a\nb", "synap_\u200bab", "synap_\u20acab", "synap a"])
def test_a_key_a_header_cannot_carry_is_an_auth_error_that_does_not_show_it(key: str) -> None:
    with pytest.raises(SynapAuthError) as caught:
        SynapClient(api_key=key, base_url=BASE_URL)
    assert key.strip() not in str(caught.value)


@pytest.mark.parametrize("status", [502, 504])
@responses.activate
def test_a_gateway_error_leaves_a_write_without_ids_unknown_and_unrepeated(client: SynapClient, status: int) -> None:
    responses.add(responses.POST, BATCH_URL, status=status)
    with pytest.raises(SynapServerError) as caught:
        client.memories.batch_create(ONE)
    assert caught.value.outcome_unknown and len(responses.calls) == 1


@pytest.mark.parametrize("status", [502, 504])
@responses.activate
def test_a_gateway_error_is_retried_when_every_document_has_an_id(client: SynapClient, status: int) -> None:
    responses.add(responses.POST, BATCH_URL, status=status)
    responses.add_callback(responses.POST, BATCH_URL, callback=echo_batch)
    assert client.memories.batch_create(ONE_WITH_ID).succeeded == 1 and len(responses.calls) == 2


@responses.activate
def test_a_redirect_is_not_followed_and_says_where_it_pointed(client: SynapClient) -> None:
    responses.add(
        responses.POST, BATCH_URL, status=301, headers={"Location": "https://eu.synap.test/api/v1/memories/batch"}
    )
    with pytest.raises(SynapPermanentError, match="redirect to https://eu.synap.test.*set base_url") as caught:
        client.memories.batch_create(ONE)
    assert caught.value.code == "redirect" and len(responses.calls) == 1


@responses.activate
def test_a_gzip_reply_is_read_and_a_gzip_bomb_is_refused(clock: FakeClock) -> None:
    import gzip

    client = SynapClient(api_key=API_KEY, base_url=BASE_URL, max_reply_bytes=1024 * 1024, max_retries=0, clock=clock)
    good = gzip.compress(json.dumps(batch_reply(ONE)).encode())
    bomb = gzip.compress(b"[" + b" " * (50 * 1024 * 1024) + b"]")
    responses.add(responses.POST, BATCH_URL, body=good, headers={"Content-Encoding": "gzip"})
    responses.add(responses.POST, BATCH_URL, body=bomb, headers={"Content-Encoding": "gzip"})
    assert client.memories.batch_create(ONE).succeeded == 1
    assert len(bomb) < 100_000
    with pytest.raises(SynapProtocolError, match="max_reply_bytes"):
        client.memories.batch_create(ONE)


#: The API key with every character written as a JSON ``\\u`` escape.
ESCAPED_KEY = "".join(f"\\u{ord(char):04x}" for char in API_KEY)


@responses.activate
def test_a_key_spelled_with_json_escapes_is_removed_too(client: SynapClient) -> None:
    body = '{"error": "key ' + ESCAPED_KEY + ' refused", "code": "UNAUTHORIZED"}'
    responses.add(responses.POST, BATCH_URL, status=401, body=body, content_type="application/json")
    with pytest.raises(SynapAuthError) as caught:
        client.memories.batch_create(ONE)
    assert API_KEY not in caught.value.message and API_KEY not in repr(caught.value.body)


@responses.activate
def test_a_key_spelled_with_json_escapes_is_removed_from_a_success_too(client: SynapClient) -> None:
    result = (
        '{"ingestion_id": null, "document_id": "d-1", "status": "failed", "error_message": "key ' + ESCAPED_KEY + '"}'
    )
    body = '{"batch_id": null, "total": 1, "succeeded": 0, "failed": 1, "results": [' + result + "]}"
    responses.add(responses.POST, BATCH_URL, status=200, body=body, content_type="application/json")
    batch = client.memories.batch_create(ONE)
    assert batch.results[0].error_message == "key ***"


def refused_as_stored(message: str) -> Dict[str, Any]:
    failed = {"ingestion_id": None, "document_id": "d-1", "status": "failed", "error_message": message}
    return {"batch_id": None, "total": 1, "succeeded": 0, "failed": 1, "results": [failed]}


@responses.activate
def test_a_resend_after_a_lost_reply_reads_already_ingested_as_stored(client: SynapClient) -> None:
    responses.add(responses.POST, BATCH_URL, body=dropped_connection())
    responses.add(responses.POST, BATCH_URL, json=refused_as_stored("document_id 'd-1' was already ingested"))
    batch = client.memories.batch_create(ONE_WITH_ID)
    assert (batch.succeeded, batch.failed, batch.failures) == (1, 0, [])
    assert batch.results[0].ok and batch.results[0].deduplicated


@responses.activate
def test_already_ingested_on_a_first_send_stays_a_refusal_for_batch_create(client: SynapClient) -> None:
    responses.add(responses.POST, BATCH_URL, json=refused_as_stored("already ingested"))
    batch = client.memories.batch_create(ONE_WITH_ID)
    assert (batch.succeeded, batch.failed) == (0, 1) and not batch.results[0].deduplicated
