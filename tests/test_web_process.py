"""What a web process meets over weeks, without sockets: the tools around requests see every call,
the service's values are checked before they go into headers or paths, special files are refused,
messages stay plain, and a throttle is catchable as one."""

from __future__ import annotations

import os
import tempfile
import time
from typing import Any, List

import pytest
import requests
import requests_mock
import responses
from requests.adapters import HTTPAdapter

from synap_sync import (
    SynapAuthError,
    SynapClient,
    SynapError,
    SynapNetworkError,
    SynapPaceTimeoutError,
    SynapProtocolError,
    SynapRateLimitError,
    SynapTimeoutError,
    SynapValidationError,
)

from .conftest import API_KEY, BASE_URL

BATCH_URL = BASE_URL + "/api/v1/memories/batch"
WHOAMI_URL = BASE_URL + "/api/v1/auth/whoami"
BATCH_REPLY = {
    "batch_id": "00000000-0000-0000-0000-000000000001",
    "total": 1,
    "succeeded": 1,
    "failed": 0,
    "results": [
        {
            "ingestion_id": "00000000-0000-0000-0000-000000000002",
            "document_id": "d-1",
            "status": "queued",
            "queued_at": "2026-01-01T00:00:00+00:00",
            "error_message": None,
        }
    ],
}
ONE = [{"document": "User: hi", "document_id": "d-1"}]


def test_requests_mock_intercepts_the_clients_calls(client: SynapClient) -> None:
    with requests_mock.Mocker() as mocker:
        mocker.post(BATCH_URL, json=BATCH_REPLY)
        batch = client.memories.batch_create(ONE)
    assert batch.succeeded == 1
    assert mocker.call_count == 1 and mocker.last_request.headers["Authorization"] == f"Bearer {API_KEY}"


class CountingAdapter(HTTPAdapter):
    """A caller's own adapter (an mTLS one, say): it must carry every call."""

    def __init__(self) -> None:
        super().__init__(max_retries=0)
        self.sent: List[str] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.sent.append(request.url or "")
        return super().send(request, **kwargs)


@responses.activate
def test_a_callers_session_carries_every_call_through_its_own_adapter() -> None:
    responses.add(responses.POST, BATCH_URL, json=BATCH_REPLY)
    session = requests.Session()
    adapter = CountingAdapter()
    session.mount("https://", adapter)
    with SynapClient(api_key=API_KEY, base_url=BASE_URL, session=session) as client:
        client.memories.batch_create(ONE)
        client.memories.batch_create(ONE)
    assert adapter.sent == [BATCH_URL, BATCH_URL]


@responses.activate
def test_closing_the_client_leaves_a_callers_session_usable() -> None:
    responses.add(responses.POST, BATCH_URL, json=BATCH_REPLY)
    session = requests.Session()
    SynapClient(api_key=API_KEY, base_url=BASE_URL, session=session).close()
    assert session.post(BATCH_URL, json={}).status_code == 200


@responses.activate
def test_a_callers_session_prepares_each_request_its_hooks_see_every_reply_and_its_headers_join(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    responses.add(responses.POST, BATCH_URL, json=BATCH_REPLY)
    netrc = tmp_path / "netrc"
    netrc.write_text("machine synap.test login someone password netrc-password\n")
    monkeypatch.setenv("NETRC", str(netrc))
    session = requests.Session()
    session.auth = ("someone", "session-password")
    session.headers["X-Tenant"] = "acme"
    session.headers["Authorization"] = "Bearer the-sessions-own"
    seen: List[int] = []
    session.hooks["response"].append(lambda response, **_: seen.append(response.status_code))
    with SynapClient(api_key=API_KEY, base_url=BASE_URL, session=session) as client:
        client.memories.batch_create(ONE)
    sent = responses.calls[0].request
    assert seen == [200]
    assert sent.headers["Authorization"] == f"Bearer {API_KEY}"  # neither session.auth, ~/.netrc nor its header
    assert sent.headers["X-Tenant"] == "acme"


@responses.activate
def test_a_callers_session_follows_no_redirect_with_the_key() -> None:
    responses.add(responses.POST, BATCH_URL, status=307, headers={"Location": "https://elsewhere.test/batch"})
    responses.add(responses.POST, "https://elsewhere.test/batch", json=BATCH_REPLY)
    with SynapClient(api_key=API_KEY, base_url=BASE_URL, session=requests.Session()) as client:
        with pytest.raises(SynapError, match="redirect to https://elsewhere.test/batch"):
            client.memories.batch_create(ONE)
    assert [call.request.url for call in responses.calls] == [BATCH_URL]


def test_a_session_must_be_a_requests_session() -> None:
    with pytest.raises(SynapValidationError, match="session"):
        SynapClient(api_key=API_KEY, base_url=BASE_URL, session="not a session")  # type: ignore[arg-type]


@responses.activate
def test_a_servers_cookies_are_neither_kept_nor_sent_back(client: SynapClient) -> None:
    responses.add(responses.POST, BATCH_URL, json=BATCH_REPLY, headers={"Set-Cookie": "tracker=1; Path=/"})
    client.memories.batch_create(ONE)
    client.memories.batch_create(ONE)
    assert "Cookie" not in responses.calls[1].request.headers
    assert len(client._transport.session.cookies) == 0


@pytest.fixture
def spans(tracing: Any) -> Any:
    """Finished client spans, with OpenTelemetry's requests instrumentation on (as an APM agent sets it up)."""
    _, exporter = tracing
    return exporter.get_finished_spans


@responses.activate
def test_opentelemetry_sees_one_client_span_per_http_request(spans: Any, client: SynapClient) -> None:
    responses.add(responses.POST, BATCH_URL, status=503, json={"error": "busy"})
    responses.add(responses.POST, BATCH_URL, json=BATCH_REPLY)
    client.memories.batch_create(ONE)  # a 503, then the retry
    client.memories.batch_create(ONE)
    sent = spans()
    assert len(sent) == 3 == len(responses.calls)
    assert [
        span.attributes.get("http.status_code", span.attributes.get("http.response.status_code")) for span in sent
    ] == [
        503,
        200,
        200,
    ]


@pytest.mark.parametrize(
    "field, value",
    [
        ("client_id", "client\r\nX-Evil: 1"),
        ("instance_id", "inst_caf\u00e9"),
        ("client_id", "zero\u200bwidth"),
        ("instance_id", "\u4e2d\u6587"),
    ],
    ids=["crlf", "latin1", "zero-width", "cjk"],
)
@responses.activate
def test_a_whoami_value_a_header_cannot_carry_is_refused_at_whoami(field: str, value: str, client: SynapClient) -> None:
    identity = {"client_id": "client_1", "instance_id": "inst_0123456789abcdef", field: value}
    responses.add(responses.GET, WHOAMI_URL, json=dict(identity, user_context_isolation="b2b"))
    responses.add(responses.POST, BATCH_URL, json=BATCH_REPLY)
    with pytest.raises(SynapProtocolError, match=field):
        client.initialize()
    assert client.memories.batch_create(ONE).succeeded == 1  # later calls still work


@pytest.mark.parametrize("ingestion_id", [".", "..", " .. ", ""])
def test_an_id_that_is_not_one_path_segment_is_refused_before_sending(ingestion_id: str, client: SynapClient) -> None:
    with responses.RequestsMock():  # nothing may be sent
        with pytest.raises(SynapValidationError, match="ingestion_id"):
            client.memories.status(ingestion_id)
        with pytest.raises(SynapValidationError, match="deletion_id"):
            client.data.status(ingestion_id)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
@pytest.mark.parametrize("kind", ["fifo", "/dev/zero", "/dev/urandom", "directory"])
def test_an_upload_of_anything_but_a_regular_file_is_refused_at_once(kind: str, client: SynapClient) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = kind
        if kind == "fifo":
            path = os.path.join(folder, "pipe")
            os.mkfifo(path)  # opening it for reading would block until a writer came
        elif kind == "directory":
            path = folder
        with responses.RequestsMock(), pytest.raises(SynapValidationError, match="regular file"):
            client.memories.create_from_file(file_path=path, user_id="u", customer_id="c")


def test_an_upload_of_an_open_device_is_refused(client: SynapClient) -> None:
    with open("/dev/zero", "rb") as device, responses.RequestsMock():
        with pytest.raises(SynapValidationError, match="regular file"):
            client.memories.create_from_file(file=device, filename="zero.bin", user_id="u", customer_id="c")


def test_an_unreachable_service_is_said_plainly() -> None:
    with SynapClient(api_key="k", base_url="http://127.0.0.1:9", max_retries=0) as client:
        with pytest.raises(SynapNetworkError) as caught:
            client.memories.batch_create(ONE)
    assert caught.value.message == "cannot connect to http://127.0.0.1:9: connection refused"
    assert not caught.value.outcome_unknown


def test_a_key_too_short_to_be_a_secret_is_refused_beyond_loopback() -> None:
    with pytest.raises(SynapAuthError, match="too short"):
        SynapClient(api_key="k", base_url="https://synap.example")


@responses.activate
def test_a_short_key_does_not_mangle_the_words_of_a_message() -> None:
    responses.add(
        responses.POST,
        "http://127.0.0.1:8000/api/v1/memories/batch",
        status=400,
        json={"detail": "Max retries exceeded"},
    )
    with SynapClient(api_key="x", base_url="http://127.0.0.1:8000") as client:
        with pytest.raises(SynapValidationError) as caught:
            client.memories.batch_create(ONE)
    assert caught.value.message == "Max retries exceeded"


def test_running_out_of_deadline_on_the_pace_is_caught_as_a_rate_limit_and_a_timeout() -> None:
    with SynapClient(api_key=API_KEY, base_url=BASE_URL, deadline=2.0) as client:
        pace = client._transport.pace
        pace.throttled(time.monotonic())  # probing: the next send is the probe, and it is never answered
        assert pace.acquire() is not None
        with responses.RequestsMock():  # nothing is sent: the call waits for the probe's answer, in vain
            with pytest.raises(SynapRateLimitError) as caught:
                client.with_options(deadline=0.2).memories.batch_create(ONE)
    assert isinstance(caught.value, SynapTimeoutError) and isinstance(caught.value, SynapPaceTimeoutError)
    assert caught.value.retry_after is not None
