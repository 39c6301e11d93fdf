"""A call's deadline covers pacing, retries and every byte of the reply, against real sockets."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pytest

from synap_sync import SynapClient, SynapRateLimitError, SynapTimeoutError

from .fake_server import FakeServer, dripping, reply

BATCH = [{"document": "User: hi", "document_id": "d1"}]
STATUS_BODY = json.dumps(
    {"ingestion_id": "0f8fad5b-d9cb-469f-a165-70867728950e", "document_id": "d", "status": "queued"}
).encode()


def test_a_reply_dripped_a_byte_a_second_ends_at_the_deadline() -> None:
    with FakeServer(dripping(reply(200, STATUS_BODY), seconds_per_byte=1.0)) as server:
        client = SynapClient(api_key="synap_k", base_url=server.base_url, deadline=1.0)
        started = time.monotonic()
        with pytest.raises(SynapTimeoutError) as caught:
            client.memories.status("0f8fad5b-d9cb-469f-a165-70867728950e")
        elapsed = time.monotonic() - started
    # The whole body would take over 100 s; the bound is the deadline plus one byte's wait.
    assert elapsed < 2.5
    assert caught.value.correlation_id and not caught.value.outcome_unknown


def drip_everything(connection: socket.socket, request: bytes) -> None:
    """Status line, headers and body one byte every 50 ms: each well within any read timeout."""
    for byte in reply(200, STATUS_BODY, ["X-Padding: " + "p" * 400]):
        time.sleep(0.05)
        connection.sendall(bytes([byte]))


def test_a_status_line_and_headers_dripped_within_the_read_timeout_end_at_the_deadline() -> None:
    with FakeServer(drip_everything) as server:
        client = SynapClient(api_key="synap_k", base_url=server.base_url, deadline=1.0, max_retries=0)
        started = time.monotonic()
        with pytest.raises(SynapTimeoutError) as caught:
            client.memories.status("0f8fad5b-d9cb-469f-a165-70867728950e")
        elapsed = time.monotonic() - started
        with pytest.raises(SynapTimeoutError) as write:
            client.memories.batch_create(BATCH)
    # The head alone would take over 25 s; the bound is the deadline.
    assert elapsed < 2.5
    assert caught.value.correlation_id and not caught.value.outcome_unknown
    assert write.value.outcome_unknown  # the batch was sent: it may have been stored


def test_a_proxy_that_drips_the_head_is_cut_off_at_the_deadline_too(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeServer(drip_everything) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.base_url)
        monkeypatch.setenv("NO_PROXY", "")
        client = SynapClient(
            api_key="synap_kp", base_url="http://synap.invalid", allow_insecure_http=True, deadline=1.0, max_retries=0
        )
        started = time.monotonic()
        with pytest.raises(SynapTimeoutError):
            client.memories.status("0f8fad5b-d9cb-469f-a165-70867728950e")
        elapsed = time.monotonic() - started
        asked = proxy.requests
    assert asked == 1 and elapsed < 2.5


def test_a_write_cut_short_by_its_deadline_may_have_been_stored() -> None:
    body = json.dumps({"batch_id": None, "total": 1, "succeeded": 1, "failed": 0, "results": []}).encode()
    with FakeServer(dripping(reply(200, body), seconds_per_byte=0.5)) as server:
        client = SynapClient(api_key="synap_k", base_url=server.base_url, deadline=1.0, max_retries=0)
        with pytest.raises(SynapTimeoutError) as caught:
            client.memories.batch_create([{"document": "no id"}])
    assert caught.value.outcome_unknown


def test_a_429_asking_for_more_than_the_deadline_fails_at_once_over_sockets() -> None:
    throttled = reply(429, b'{"error": "slow down", "code": "RATE_LIMITED"}', ["Retry-After: 30"])
    with FakeServer(lambda connection, request: connection.sendall(throttled)) as server:
        client = SynapClient(api_key="synap_k", base_url=server.base_url)
        started = time.monotonic()
        with pytest.raises(SynapRateLimitError) as caught:
            client.with_options(deadline=1.0).memories.batch_create(BATCH)
        elapsed = time.monotonic() - started
        requests = server.requests
    assert caught.value.retry_after == 30 and requests == 1
    assert elapsed < 1.1  # no wait at all: the service's 30 s cannot fit in the call's 1 s


def test_an_upload_to_a_server_that_reads_slowly_ends_at_the_deadline(tmp_path: Path) -> None:
    """A server that takes the body 4 KB at a time would keep a 30 MB upload going for minutes."""
    big = tmp_path / "big.bin"
    with open(big, "wb") as stream:
        stream.truncate(30 * 1024 * 1024)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    stop = threading.Event()

    def read_slowly() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.settimeout(0.5)
            while not stop.is_set():
                try:
                    if not connection.recv(4096):
                        return
                except OSError:
                    return
                stop.wait(0.02)

    reader = threading.Thread(target=read_slowly, daemon=True)
    reader.start()
    client = SynapClient(
        api_key="synap_k", base_url=f"http://127.0.0.1:{listener.getsockname()[1]}", deadline=1.0, max_retries=0
    )
    started = time.monotonic()
    try:
        with pytest.raises(SynapTimeoutError) as caught:
            client.memories.create_from_file("u1", file_path=str(big))
    finally:
        stop.set()
        reader.join(5)
        listener.close()
    assert time.monotonic() - started < 4
    assert caught.value.outcome_unknown and caught.value.correlation_id
