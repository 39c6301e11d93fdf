"""Where a run meets the edges of its world: its client closed under it, a proxy that refuses or is down,
a base URL holding secrets. Each loses nothing and says what happened, over real loopback sockets."""

from __future__ import annotations

import collections
import logging
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from synap_sync import (
    SynapClient,
    SynapClientClosedError,
    SynapProxyError,
    SynapTimeoutError,
    SynapValidationError,
)
from synap_sync.emulator import Emulator

from ..conftest import docs
from .fake_server import FakeServer

PROXY_PASSWORD = "pr0xy-s3cret"


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def proxy_refusing_everyone(connection: socket.socket, request: bytes) -> None:
    head = b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=corp\r\n"
    connection.sendall(head + b"Content-Length: 0\r\n\r\n")


@pytest.fixture
def refusing_proxy() -> Iterator[FakeServer]:
    with FakeServer(proxy_refusing_everyone) as proxy:
        yield proxy


def test_a_client_closed_mid_ingest_leaves_the_rest_not_sent_and_the_resume_stores_every_document_once(
    tmp_path: Path,
) -> None:
    journal = str(tmp_path / "run.journal")
    with Emulator(latency_ms=40) as emulator:
        client = SynapClient(api_key="synap_k", base_url=emulator.base_url)
        outcome = {}

        def backfill() -> None:
            try:
                client.memories.ingest(docs(500), workers=2, chunk_size=10, journal=journal)
            except SynapClientClosedError as error:
                outcome["error"] = error

        worker = threading.Thread(target=backfill)
        worker.start()
        while emulator.request_count < 5:  # the run is under way
            threading.Event().wait(0.01)
        client.close()  # an exit hook, or a with-block ending while the thread still ingests
        worker.join(30)
        report = outcome["error"].report
        with SynapClient(api_key="synap_k", base_url=emulator.base_url) as again:
            resumed = again.memories.ingest(docs(500), workers=2, chunk_size=10, journal=journal)
        stored = collections.Counter(document["document_id"] for document in emulator.stored_documents())
    assert report.failed == 0 and report.not_sent > 0 and report.succeeded + report.not_sent == report.total
    assert "not sent" in str(outcome["error"])
    assert resumed.failed == 0 and resumed.succeeded == 500 and resumed.resumed == report.succeeded
    assert len(stored) == 500 and set(stored.values()) == {1}


def test_a_closed_client_refuses_every_call_at_once(tmp_path: Path) -> None:
    with Emulator() as emulator:
        client = SynapClient(api_key="synap_k", base_url=emulator.base_url)
        client.close()
        calls = [
            client.initialize,
            lambda: client.memories.batch_create(docs(2)),
            lambda: client.memories.ingest(docs(2)),
            lambda: client.memories.status("8a4b7e0e-8d8e-4f8e-9d6e-1c2b3a4d5e6f"),
            lambda: client.data.delete("user", user_id="u1", dry_run=True),
            lambda: client.credits.get_balance(),
        ]
        for call in calls:
            with pytest.raises(SynapClientClosedError, match="closed"):
                call()
        assert emulator.request_count == 0


def test_closing_a_view_leaves_the_client_it_came_from_open() -> None:
    with Emulator() as emulator, SynapClient(api_key="synap_k", base_url=emulator.base_url) as client:
        with client.with_options(deadline=5.0) as view:
            view.memories.batch_create(docs(1))
        assert client.memories.batch_create(docs(1, prefix="e")).succeeded == 1
        client.close()
        with pytest.raises(SynapClientClosedError):
            view.memories.batch_create(docs(1, prefix="f"))


def test_a_proxy_answering_407_to_connect_is_named_and_nothing_is_unknown(
    refusing_proxy: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", refusing_proxy.base_url.replace("://", f"://corp:{PROXY_PASSWORD}@"))
    with SynapClient(api_key="synap_k_0123456789", base_url="https://synap.test") as client:
        with pytest.raises(SynapProxyError) as caught:
            client.memories.batch_create([{"document": "User: hi"}])
    error = caught.value
    assert "407 Proxy Authentication Required" in str(error) and refusing_proxy.base_url.split("//")[1] in str(error)
    assert error.outcome_unknown is False and PROXY_PASSWORD not in str(error)
    assert refusing_proxy.requests == 1  # refused once: credentials missing, trying again cannot help


def test_ingest_through_a_refusing_proxy_reports_every_document_not_sent(
    refusing_proxy: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", refusing_proxy.base_url)
    with SynapClient(api_key="synap_k_0123456789", base_url="https://synap.test") as client:
        with pytest.raises(SynapProxyError) as caught:
            client.memories.ingest(docs(300, ids=False), workers=2)
    report = caught.value.report
    assert report.failed == 0 and report.not_sent == 300 and report.succeeded == 0


def test_a_proxy_that_is_down_is_named_and_ingest_reports_not_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{closed_port()}")
    with SynapClient(api_key="synap_k_0123456789", base_url="https://synap.test", backoff_seconds=0) as client:
        with pytest.raises(SynapProxyError, match="cannot reach the proxy at http://127.0.0.1") as caught:
            client.memories.create("User: hi")
        assert caught.value.outcome_unknown is False
        with pytest.raises(SynapProxyError) as stopped:
            client.memories.ingest(docs(150, ids=False))
    assert stopped.value.report.not_sent == 150 and stopped.value.report.failed == 0


def test_a_407_to_a_plain_http_request_is_the_proxys_too(
    refusing_proxy: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", refusing_proxy.base_url)
    base_url = "http://synap.internal"
    with SynapClient(api_key="synap_k_0123456789", base_url=base_url, allow_insecure_http=True) as client:
        with pytest.raises(SynapProxyError, match="proxy at .* refused") as caught:
            client.memories.status("8a4b7e0e-8d8e-4f8e-9d6e-1c2b3a4d5e6f")
    assert caught.value.outcome_unknown is False


@pytest.mark.parametrize(
    "base_url, named",
    [
        (f"https://gateway:{PROXY_PASSWORD}@synap.example/", "user name or password"),
        ("https://synap.example/synap/?tenant=acme", "query or fragment"),
        ("https://synap.example/#prod", "query or fragment"),
    ],
)
def test_a_base_url_with_credentials_a_query_or_a_fragment_is_refused_without_showing_the_password(
    base_url: str, named: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(SynapValidationError, match=named) as caught:
        SynapClient(api_key="synap_k_0123456789", base_url=base_url)
    assert PROXY_PASSWORD not in str(caught.value) and PROXY_PASSWORD not in caplog.text
    monkeypatch.setenv("SYNAP_BASE_URL", base_url)
    with pytest.raises(SynapValidationError):
        SynapClient(api_key="synap_k_0123456789")
    cli = subprocess.run(
        [sys.executable, "-m", "synap_sync", "credits", "--api-key", "synap_k_0123456789"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"SYNAP_BASE_URL": base_url, "PATH": ""},
    )
    assert cli.returncode == 2 and named in cli.stderr
    assert PROXY_PASSWORD not in cli.stdout + cli.stderr


def test_a_requests_cache_session_serves_repeated_reads_from_its_sqlite_cache(tmp_path: Path) -> None:
    import requests_cache
    session = requests_cache.CachedSession(str(tmp_path / "synap-cache"), allowable_methods=("GET",))
    with Emulator() as emulator, SynapClient(api_key="synap_k", base_url=emulator.base_url, session=session) as client:
        batch = client.memories.batch_create(docs(1))
        first = client.memories.status(batch.results[0].ingestion_id)
        sent = emulator.request_count
        again = client.memories.status(batch.results[0].ingestion_id)
        assert emulator.request_count == sent  # answered from the cache, not the service
    assert again.ingestion_id == first.ingestion_id and again.status == first.status
    session.close()


def hanging(connection: socket.socket, request: bytes) -> None:
    time.sleep(12)  # a status look the service never answers in time


@pytest.mark.parametrize(
    "wait",
    [
        lambda client: client.memories.wait_for_completion("8a4b7e0e-8d8e-4f8e-9d6e-1c2b3a4d5e6f", timeout_seconds=2),
        lambda client: client.conversation.context.wait_for_compaction(
            "123e4567-e89b-12d3-a456-426614174000", timeout_seconds=2
        ),
    ],
    ids=["completion", "compaction"],
)
def test_a_wait_over_a_status_that_hangs_ends_at_its_timeout(wait: Any) -> None:
    with FakeServer(hanging) as server, SynapClient(api_key="synap_k", base_url=server.base_url) as client:
        started = time.monotonic()
        with pytest.raises(SynapTimeoutError, match="after 2s"):
            wait(client)
        elapsed = time.monotonic() - started
    assert elapsed < 3.0
