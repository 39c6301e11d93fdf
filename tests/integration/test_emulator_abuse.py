"""The emulator as a server on a shared host: malformed requests, huge bodies, crowds of idle connections."""

from __future__ import annotations

import json
import resource
import socket
import subprocess
import sys
import threading
import time
from typing import Any, List

import pytest

from synap_sync import SynapClient
from synap_sync.emulator import Emulator
from synap_sync.emulator._http import MAX_BODY_BYTES, MAX_CONNECTIONS

#: A thousand idle connections, or as many as this process may open (with room for the server's side).
CROWD = min(1_000, (resource.getrlimit(resource.RLIMIT_NOFILE)[0] - 100) // 2)


def exchange(emulator: Emulator, raw: bytes, timeout: float = 1.0) -> bytes:
    """Send raw bytes and read the answer until the server closes or ``timeout`` passes."""
    host, port = emulator.base_url.rsplit("/", 1)[1].split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as connection:
        connection.sendall(raw)
        answer = b""
        try:
            while b"\r\n\r\n" not in answer or len(answer) < answer.find(b"\r\n\r\n") + 20:
                piece = connection.recv(65536)
                if not piece:
                    break
                answer += piece
        except socket.timeout:
            pass
    return answer


@pytest.mark.parametrize(
    "raw, status",
    [
        (b"GARBAGE\r\n\r\n", b"400"),
        (b"\x00\xff\xfe\r\n\r\n", b"400"),
        (b"POST /api/v1/memories/batch HTTP/1.1\r\nContent-Length: abc\r\n\r\n", b"400"),
        (b"POST /api/v1/memories/batch HTTP/1.1\r\nContent-Length: -1\r\n\r\n", b"400"),
        (
            b"POST /api/v1/memories/batch HTTP/1.1\r\nAuthorization: Bearer k\r\nContent-Length: 200000\r\n\r\n"
            + b"[" * 100_000
            + b"]" * 100_000,
            b"400",
        ),
        (
            f"POST /api/v1/memories/batch HTTP/1.1\r\nContent-Length: {300 * 1024 * 1024}\r\n\r\n".encode()
            + b"x" * 65536,
            b"413",
        ),
    ],
    ids=["garbage-line", "binary-line", "length-abc", "length-negative", "deep-json", "300MB-body"],
)
def test_every_malformed_request_is_answered_promptly(raw: bytes, status: bytes) -> None:
    with Emulator() as emulator:
        started = time.monotonic()
        answer = exchange(emulator, raw)
        elapsed = time.monotonic() - started
    assert answer.split(b" ", 2)[1] == status, answer[:200]
    assert elapsed < 1.0


def test_a_crowd_of_idle_connections_is_bounded_and_a_real_client_still_gets_through() -> None:
    with Emulator() as emulator:
        host, port = emulator.base_url.rsplit("/", 1)[1].split(":")
        idle: List[socket.socket] = []
        try:
            for _ in range(CROWD):
                idle.append(socket.create_connection((host, int(port)), timeout=5))
            waited_until = time.monotonic() + 10
            while emulator.connections < len(idle) and time.monotonic() < waited_until:
                time.sleep(0.05)  # polling a condition: the server has accepted every connection
            threads = threading.active_count()
            client = SynapClient(api_key="synap_k", base_url=emulator.base_url, deadline=5.0)
            started = time.monotonic()
            batch = client.memories.batch_create([{"document": "User: hi", "document_id": "real"}])
            elapsed = time.monotonic() - started
        finally:
            for connection in idle:
                connection.close()
    assert emulator.connections >= CROWD  # all were accepted...
    assert threads <= MAX_CONNECTIONS + 20  # ...but never more than MAX_CONNECTIONS served at once
    assert batch.succeeded == 1 and elapsed < 2.0


def test_serving_beyond_loopback_with_any_key_warns() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "synap_sync", "serve", "--host", "0.0.0.0", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.readline().startswith("Synap emulator listening on")
        warning = process.stderr.readline()
    finally:
        process.terminate()
        process.wait(10)
    assert "warning" in warning and "--api-key" in warning


def test_the_body_bound_is_far_above_any_real_batch() -> None:
    batch = {"documents": [{"document": "x" * 100_000} for _ in range(100)], "fail_fast": False}
    assert len(json.dumps(batch)) < MAX_BODY_BYTES


def test_slow_clients_dripping_their_headers_do_not_lock_a_real_client_out() -> None:
    """Slowloris: MAX_CONNECTIONS connections each send a request line, then a header byte every 2 s."""
    with Emulator() as emulator:
        host, port = emulator.base_url.rsplit("/", 1)[1].split(":")
        slow: List[socket.socket] = []
        try:
            for _ in range(MAX_CONNECTIONS):
                connection = socket.create_connection((host, int(port)), timeout=5)
                connection.sendall(b"POST /api/v1/memories/batch HTTP/1.1\r\nX")
                slow.append(connection)
            waited_until = time.monotonic() + 10
            while emulator.connections < len(slow) and time.monotonic() < waited_until:
                time.sleep(0.05)  # polling a condition: the server has accepted every connection
            for connection in slow:
                connection.sendall(b"a")  # one more byte each: half-sent heads, not idle connections
            client = SynapClient(api_key="synap_k", base_url=emulator.base_url, deadline=1.0, max_retries=0)
            batches = [
                client.memories.batch_create([{"document": "User: hi", "document_id": f"real-{n}"}]) for n in range(3)
            ]
        finally:
            for connection in slow:
                connection.close()
    assert [batch.succeeded for batch in batches] == [1, 1, 1]


def test_a_head_that_never_ends_is_cut_off_at_the_head_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    from synap_sync.emulator import _http

    monkeypatch.setattr(_http, "HEAD_SECONDS", 0.3)
    with Emulator() as emulator:
        host, port = emulator.base_url.rsplit("/", 1)[1].split(":")
        with socket.create_connection((host, int(port)), timeout=5) as connection:
            connection.sendall(b"GET /api/v1/auth/whoami HTTP/1.1\r\nX-Slow: ")
            started = time.monotonic()
            closed = connection.recv(1024) == b""  # the server's close ends the wait
            elapsed = time.monotonic() - started
    assert closed and elapsed < 3.0


def test_a_client_that_resets_its_connection_prints_no_traceback(capfd: pytest.CaptureFixture[str]) -> None:
    import struct

    with Emulator(latency_ms=100) as emulator:
        host, port = emulator.base_url.rsplit("/", 1)[1].split(":")
        for _ in range(5):
            connection = socket.create_connection((host, int(port)), timeout=5)
            connection.sendall(
                b"POST /api/v1/memories/batch HTTP/1.1\r\nAuthorization: Bearer k\r\nContent-Length: 60\r\n\r\n"
                b'{"documents":[{"document":"User: hi"}],"fail_fast":false}  '
            )
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            connection.close()  # a reset while the server is still answering
        SynapClient(api_key="synap_k", base_url=emulator.base_url).memories.batch_create(ONE_DOC)
    assert "Traceback" not in capfd.readouterr().err


ONE_DOC = [{"document": "User: hi"}]


def test_on_loopback_a_request_addressed_to_another_name_is_refused() -> None:
    with Emulator() as emulator:
        port = emulator.base_url.rsplit(":", 1)[1]
        rebound = exchange(emulator, b"GET /_emulator/held HTTP/1.1\r\nHost: attacker.example:%s\r\n"
                           b"Authorization: Bearer synap_k\r\n\r\n" % port.encode())  # fmt: skip
        body = b'{"document": "x"}'
        written = exchange(emulator, b"POST /api/v1/memories/create HTTP/1.1\r\nHost: evil.test\r\n"
                           b"Authorization: Bearer synap_k\r\nContent-Length: 17\r\n\r\n" + body)  # fmt: skip
        for host in (b"localhost:" + port.encode(), b"127.0.0.1:" + port.encode(), b"app.localhost"):
            fine = exchange(emulator, b"GET /_emulator/held HTTP/1.1\r\nHost: " + host + b"\r\n"
                            b"Authorization: Bearer synap_k\r\n\r\n")  # fmt: skip
            assert fine.startswith(b"HTTP/1.1 200"), host
        stored = emulator.stored_documents()
    assert rebound.startswith(b"HTTP/1.1 403") and written.startswith(b"HTTP/1.1 403") and stored == []


def test_bound_beyond_loopback_any_host_name_is_served() -> None:
    with Emulator(host="0.0.0.0", api_keys=["synap_k"]) as emulator:
        port = int(emulator.base_url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=2) as connection:
            request = b"GET /api/v1/auth/whoami HTTP/1.1\r\nHost: synap.lan\r\nAuthorization: Bearer synap_k\r\n\r\n"
            connection.sendall(request)
            answer = connection.recv(65536)
    assert answer.startswith(b"HTTP/1.1 200")


def test_requests_with_a_wrong_key_are_counted_under_one_name_whatever_their_path() -> None:
    with Emulator(api_keys=["synap_right_key"]) as emulator, SynapClient(
        api_key="synap_wrong_key", base_url=emulator.base_url
    ) as client:
        for number in range(300):
            try:
                client.memories.get(f"00000000-0000-0000-0000-{number:012d}")
            except Exception:  # noqa: BLE001 - refused, as meant
                pass
        counted = dict(emulator.requests)
    assert counted == {"(refused key)": 300} and emulator.request_count == 300


def test_the_request_counts_keep_a_bounded_number_of_names() -> None:
    with Emulator() as emulator, SynapClient(api_key="synap_k", base_url=emulator.base_url) as client:
        for number in range(600):
            try:
                client.context.profile(f"user-{number}")
            except Exception:  # noqa: BLE001 - no profile yet: 404, as meant
                pass
        names = len(emulator.requests)
        total = emulator.request_count
    assert names <= 257 and total == 600


@pytest.mark.parametrize("transcript", ["", "   \n\t", []])
def test_an_empty_transcript_is_refused_as_the_service_refuses_it(transcript: Any) -> None:
    with Emulator() as emulator:
        host, port = emulator.base_url.rsplit("/", 1)[1].split(":")
        body = json.dumps({"conversation_id": "c1", "user_id": "u1", "customer_id": "c", "transcript": transcript})
        answer = exchange(
            emulator,
            f"POST /v1/conversations/ingest HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer synap_k\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n{body}".encode(),
        )
        stored = emulator.stored_documents()
    assert answer.split(b" ", 2)[1] in (b"400", b"422") and stored == []


def test_the_emulator_binds_ipv6_loopback_and_serves_a_client_there() -> None:
    with Emulator(host="::1") as emulator, SynapClient(api_key="synap_k", base_url=emulator.base_url) as client:
        batch = client.memories.batch_create([{"document": "User: over IPv6"}])
        base_url = emulator.base_url
    assert base_url.startswith("http://[::1]:") and batch.succeeded == 1


def test_serve_closes_kept_alive_connections_after_its_idle_seconds() -> None:
    serve = subprocess.Popen(
        [sys.executable, "-m", "synap_sync", "serve", "--idle-seconds", "0.3"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert serve.stdout is not None
        base_url = serve.stdout.readline().strip().rsplit(" ", 1)[1]
        host, port = base_url.rsplit("/", 1)[1].split(":")
        with socket.create_connection((host, int(port)), timeout=5) as connection:
            request = f"GET /api/v1/auth/whoami HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer k\r\n\r\n"
            connection.sendall(request.encode())
            connection.recv(65536)
            started = time.monotonic()
            closed = connection.recv(1024) == b""  # the server closes the idle connection
            idle = time.monotonic() - started
    finally:
        serve.terminate()
        serve.wait(10)
    assert closed and idle < 2.0
