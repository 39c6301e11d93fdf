"""Replies a broken proxy or a hostile host could send, over real sockets, to a client in its own process
(so its peak memory is its own): each ends in a SynapProtocolError, memory stays flat."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import zlib
from typing import Any, Callable, Dict

import pytest

from synap_sync import SynapClient, SynapProtocolError
from tests.conftest import docs

from .fake_server import FakeServer, reply

# VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a child would report its parent's peak.
CLIENT = """
import json, sys
from synap_sync import SynapClient, SynapError
client = SynapClient(api_key="synap_k", base_url=sys.argv[1], max_retries=0)
try:
    client.memories.batch_create([{"document": "x", "document_id": "d"}])
    outcome = "returned"
except SynapError as error:
    outcome = type(error).__name__
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"outcome": outcome, "peak_mb": peak_kb / 1024}))
"""


def endless_chunked(connection: socket.socket, request: bytes) -> None:
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    piece = b"[" * 65536
    chunk = b"%x\r\n" % len(piece) + piece + b"\r\n"
    try:
        for _ in range(100_000):  # 6.5 GB at most: bounded, but far past any sane reply
            connection.sendall(chunk)
    except OSError:
        return  # the client hung up: what the test is waiting for


def huge(connection: socket.socket, request: bytes) -> None:
    size = 200 * 1024 * 1024
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % size)
    piece = b" " * (1024 * 1024)
    try:
        for _ in range(200):
            connection.sendall(piece)
    except OSError:
        return


def _bomb() -> bytes:
    """1 GiB of JSON whitespace, gzipped to about a megabyte, made a megabyte at a time."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    megabyte = b" " * (1024 * 1024)
    return (
        packer.compress(b"[")
        + b"".join(packer.compress(megabyte) for _ in range(1024))
        + packer.compress(b"]")
        + packer.flush()
    )


BOMB = _bomb()


def gzip_bomb(connection: socket.socket, request: bytes) -> None:
    connection.sendall(reply(200, BOMB, ["Content-Encoding: gzip"]))


@pytest.mark.parametrize("answer", [endless_chunked, huge, gzip_bomb], ids=["endless", "200MB", "gzip-bomb"])
def test_an_oversized_reply_is_a_protocol_error_and_memory_stays_flat(answer: Callable[..., None]) -> None:
    assert len(BOMB) < 2 * 1024 * 1024  # small on the wire, 1 GiB unpacked
    with FakeServer(answer) as server:
        result = subprocess.run(
            [sys.executable, "-c", CLIENT, server.base_url], capture_output=True, text=True, timeout=120
        )
    measured: Dict[str, Any] = json.loads(result.stdout)
    assert measured["outcome"] == "SynapProtocolError", result.stderr
    assert measured["peak_mb"] < 100


def nested(connection: socket.socket, request: bytes) -> None:
    connection.sendall(reply(200, b"[" * 50_000 + b"]" * 50_000))


@pytest.mark.parametrize("answer", [nested, endless_chunked], ids=["nested-json", "endless"])
def test_ingest_against_a_server_answering_garbage_ends_within_seconds_and_accounts_for_what_it_read(
    answer: Callable[..., None],
) -> None:
    with FakeServer(answer, max_requests=1_000) as server:
        client = SynapClient(
            api_key="synap_k", base_url=server.base_url, backoff_seconds=0, max_reply_bytes=1024 * 1024
        )
        run = client.memories.ingest_iter(docs(2_000), workers=4)
        with pytest.raises(SynapProtocolError) as caught:
            list(run)
    report = caught.value.report
    assert report is run.report and report.failed > 0 and report.failed + report.not_sent == report.total
    assert {failure.kind for failure in report.failures} == {"protocol"}
