"""A web process that lives for weeks: kept-alive connections the server closed while idle, close()
with calls in flight, clients unpickled per tenant, and an emulator under slow clients."""

from __future__ import annotations

import collections
import pickle
import socket
import threading
import time
from typing import Dict, List

import pytest

from synap_sync import SynapClient, SynapNetworkError, SynapProtocolError
from synap_sync import client as client_module
from synap_sync._watchdog import STALE_IDLE_SECONDS
from synap_sync.emulator import Emulator

from .fake_server import FakeServer, reply

OK_BATCH = (
    b'{"batch_id":"00000000-0000-0000-0000-000000000001","total":1,"succeeded":1,"failed":0,"results":'
    b'[{"ingestion_id":"00000000-0000-0000-0000-000000000002","document_id":"d","status":"queued",'
    b'"queued_at":"2026-01-01T00:00:00+00:00","error_message":null}]}'
)
ONE = [{"document": "User: hi"}]


class ClosesTheSecondRequest:
    """Answers the first request on each connection; on the second, ``then`` decides (by default the
    server closes without a byte, as one that let the connection go idle does)."""

    def __init__(self, partial: bytes = b"") -> None:
        self.partial = partial
        self.per_connection: Dict[int, int] = collections.Counter()
        self.answered = 0
        self.cut = 0

    def __call__(self, connection: socket.socket, body: bytes) -> None:
        self.per_connection[id(connection)] += 1
        if self.per_connection[id(connection)] == 1:
            self.answered += 1
            connection.sendall(reply(200, OK_BATCH))
            return
        self.cut += 1
        if self.partial:
            connection.sendall(self.partial)
        connection.shutdown(socket.SHUT_RDWR)


def idle_past_the_stale_threshold() -> None:
    """The scenario itself, not a race fix: the kept-alive connection must sit idle as a web view's does."""
    time.sleep(STALE_IDLE_SECONDS + 0.05)


def test_a_request_on_an_idle_connection_the_server_closed_goes_again_on_a_fresh_one() -> None:
    script = ClosesTheSecondRequest()
    with FakeServer(script) as server:
        client = SynapClient(api_key="synap_k", base_url=server.base_url, max_retries=0)
        client.memories.batch_create(ONE)
        idle_past_the_stale_threshold()
        batch = client.memories.batch_create(ONE)
        client.close()
    assert batch.succeeded == 1
    assert (script.answered, script.cut) == (2, 1)


def test_a_first_request_on_a_fresh_connection_that_meets_a_close_is_not_resent() -> None:
    cut = []

    def close_at_once(connection: socket.socket, body: bytes) -> None:
        cut.append(body)
        connection.shutdown(socket.SHUT_RDWR)

    with FakeServer(close_at_once) as server:
        client = SynapClient(api_key="synap_k", base_url=server.base_url, max_retries=0)
        with pytest.raises(SynapNetworkError, match="closed the connection without a reply") as caught:
            client.memories.batch_create(ONE)
        client.close()
    assert len(cut) == 1 and caught.value.outcome_unknown


def test_a_close_after_part_of_a_reply_is_not_resent() -> None:
    script = ClosesTheSecondRequest(partial=b"HTTP/1.1 200 OK\r\nContent-Le")
    with FakeServer(script) as server:
        client = SynapClient(api_key="synap_k", base_url=server.base_url, max_retries=0)
        client.memories.batch_create(ONE)
        idle_past_the_stale_threshold()
        with pytest.raises((SynapNetworkError, SynapProtocolError)) as caught:
            client.memories.batch_create(ONE)
        client.close()
    assert (script.answered, script.cut) == (1, 1) and caught.value.outcome_unknown


def test_a_close_on_a_connection_in_steady_use_is_not_resent() -> None:
    script = ClosesTheSecondRequest()
    with FakeServer(script) as server:
        client = SynapClient(api_key="synap_k", base_url=server.base_url, max_retries=0)
        client.memories.batch_create(ONE)
        with pytest.raises(SynapNetworkError):
            client.memories.batch_create(ONE)  # right away: a server that acted and died, not an idle close
        client.close()
    assert (script.answered, script.cut) == (1, 1)


def test_calls_spaced_at_the_servers_idle_timeout_all_succeed_and_store_once() -> None:
    """150 calls, 30 from each of 5 threads, each call about the server's 0.3 s idle timeout after the last."""
    errors: List[BaseException] = []
    with Emulator(idle_seconds=0.3) as emulator:

        def view(worker: int) -> None:
            with SynapClient(api_key="synap_k", base_url=emulator.base_url, max_retries=0) as client:
                for call in range(30):
                    try:
                        client.memories.batch_create([{"document": f"User: {worker}-{call}"}])
                    except BaseException as error:  # noqa: B036 - counted, then asserted on
                        errors.append(error)
                    time.sleep(0.3 + (call % 5 - 2) * 0.004)  # the spacing is the scenario

        threads = [threading.Thread(target=view, args=(worker,)) for worker in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stored = collections.Counter(document["document"] for document in emulator.stored_documents())
    assert errors == []
    assert len(stored) == 150 and set(stored.values()) == {1}


def established_to(port: int) -> int:
    """This machine's TCP connections to ``port`` that are still open on the client's side."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as lines:
                next(lines)
                for line in lines:
                    fields = line.split()
                    remote_port = int(fields[2].rsplit(":", 1)[1], 16)
                    if remote_port == port and fields[3] == "01":  # 01: ESTABLISHED
                        count += 1
        except FileNotFoundError:
            continue
    return count


def test_close_with_calls_in_flight_refuses_new_sends_and_leaves_no_socket_open() -> None:
    with Emulator(latency_ms=300) as emulator:
        port = int(emulator.base_url.rsplit(":", 1)[1])
        client = SynapClient(api_key="synap_k", base_url=emulator.base_url)
        outcomes: List[object] = []

        def call(number: int) -> None:
            try:
                outcomes.append(
                    client.memories.batch_create([{"document": f"User: {number}", "document_id": f"d{number}"}])
                )
            except BaseException as error:  # noqa: B036
                outcomes.append(error)

        threads = [threading.Thread(target=call, args=(number,)) for number in range(5)]
        for thread in threads:
            thread.start()
        waited_until = time.monotonic() + 10
        while emulator.connections < 2 and time.monotonic() < waited_until:
            time.sleep(0.01)  # polling a condition: the two a new key's pace lets go at once are in flight
        client.close()  # the other three wait for the pace: refused when it lets them go
        for thread in threads:
            thread.join()
        left = established_to(port)
        requests_before = emulator.request_count
        with pytest.raises(Exception, match="closed"):
            client.memories.batch_create(ONE)
        assert emulator.request_count == requests_before
    assert left == 0
    assert len(outcomes) == 5


def test_unpickled_tenant_clients_hold_sockets_bounded_by_the_pools_not_the_tenants() -> None:
    with Emulator() as emulator:
        port = int(emulator.base_url.rsplit(":", 1)[1])
        for tenant in range(1_200):
            pickled = pickle.dumps(SynapClient(api_key=f"synap_tenant_{tenant:05d}", base_url=emulator.base_url))
            tenant_client = pickle.loads(pickled)
            tenant_client.memories.batch_create([{"document": f"User: {tenant}"}])
        open_connections = established_to(port)
        kept = len(client_module._REBUILT)
    assert kept <= client_module.MAX_REBUILT
    assert open_connections <= client_module.MAX_REBUILT * 2


def test_the_readmes_503_pattern_catches_every_throttle_of_a_busy_key() -> None:
    """Eight view threads, each with the README's 2 s deadline, on a key allowed one request a second:
    every failure is a SynapRateLimitError the view turns into a 503, never another error (a 500)."""
    from synap_sync import SynapRateLimitError

    answers: List[str] = []
    with Emulator(rate_limit=1, burst=1) as emulator:
        client = SynapClient(api_key="synap_k", base_url=emulator.base_url)

        def view(worker: int) -> None:
            fast = client.with_options(deadline=2.0, max_retries=1)
            for call in range(2):
                try:
                    fast.memories.batch_create([{"document": "User: hi", "document_id": f"v{worker}-{call}"}])
                    answers.append("201")
                except SynapRateLimitError:
                    answers.append("503")
                except Exception as error:  # noqa: BLE001 - what the view would turn into a 500
                    answers.append(f"500 {type(error).__name__}: {error}")

        threads = [threading.Thread(target=view, args=(worker,)) for worker in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        client.close()
    assert sorted(set(answers)) == ["201", "503"], [answer for answer in answers if answer.startswith("500")][:3]
