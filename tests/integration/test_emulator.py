"""The client against the emulator over real loopback sockets: no mocks between them."""

from __future__ import annotations

import socket
import time
import uuid
from typing import Callable

import pytest
import requests

from synap_sync import (
    IngestStatus,
    SynapAuthError,
    SynapClient,
    SynapConflictError,
    SynapNetworkError,
    SynapNotFoundError,
    SynapRateLimitError,
    SynapValidationError,
)
from synap_sync.emulator import Emulator
from tests.conftest import docs


def test_batch_of_100_is_stored_in_order(synap_client: SynapClient, synap_emulator: Emulator) -> None:
    batch = synap_client.memories.batch_create(docs(100))
    assert (batch.total, batch.succeeded, batch.failed) == (100, 100, 0)
    assert [result.document_id for result in batch.results] == [f"d{index}" for index in range(100)]
    assert len(synap_emulator.stored_documents()) == 100
    assert all(isinstance(result.ingestion_id, uuid.UUID) for result in batch.results)


def test_101_documents_never_reach_the_emulator(synap_client: SynapClient, synap_emulator: Emulator) -> None:
    with pytest.raises(SynapValidationError):
        synap_client.memories.batch_create(docs(101))
    assert synap_emulator.request_count == 0


def test_emulator_refuses_an_oversized_batch_naming_the_limit(synap_emulator: Emulator) -> None:
    body = {"documents": docs(101), "fail_fast": False}
    reply = requests.post(
        synap_emulator.base_url + "/api/v1/memories/batch", json=body, headers={"Authorization": "Bearer k"}, timeout=5
    )
    assert reply.status_code == 422 and "100" in reply.json()["error"]


def test_emulator_checks_fields_on_its_own(synap_emulator: Emulator) -> None:
    body = {"documents": [{"document": "ok"}, {"document": "x", "mode": "slow"}, {"document_type": "email"}]}
    reply = requests.post(
        synap_emulator.base_url + "/api/v1/memories/batch", json=body, headers={"Authorization": "Bearer k"}, timeout=5
    ).json()
    messages = [result["error_message"] for result in reply["results"]]
    assert messages[0] is None and messages[1].startswith("mode:") and messages[2].startswith("document:")
    assert (reply["succeeded"], reply["failed"]) == (1, 2)


def test_emulator_with_fail_fast_stores_nothing(synap_emulator: Emulator) -> None:
    body = {"documents": [{"document": "ok"}, {"document": ""}], "fail_fast": True}
    reply = requests.post(
        synap_emulator.base_url + "/api/v1/memories/batch", json=body, headers={"Authorization": "Bearer k"}, timeout=5
    )
    assert reply.status_code == 422
    assert synap_emulator.stored_documents() == []


def test_fail_fast_false_mixes_valid_and_refused(synap_client: SynapClient, synap_emulator: Emulator) -> None:
    batch = synap_client.memories.batch_create([{"document": "a"}, {"document": "b", "user_id": "u"}, {"document": ""}])
    assert [result.ok for result in batch.results] == [True, False, False]
    assert "customer_id" in (batch.results[1].error_message or "")  # the service's B2B rule
    assert len(synap_emulator.stored_documents()) == 1


def test_duplicate_document_id_is_a_failed_item_in_a_batch(synap_client: SynapClient) -> None:
    synap_client.memories.batch_create(docs(2))
    again = synap_client.memories.batch_create(docs(3))
    assert [index for index, _ in again.failures] == [0, 1]
    assert "already ingested" in (again.results[0].error_message or "")


def test_duplicate_document_id_on_create_is_a_conflict(synap_client: SynapClient) -> None:
    synap_client.memories.create("first", document_id="same")
    with pytest.raises(SynapConflictError) as caught:
        synap_client.memories.create("second", document_id="same")
    assert caught.value.status_code == 409 and caught.value.correlation_id


def test_status_moves_to_completed(synap_client: SynapClient) -> None:
    result = synap_client.memories.create("User: I like tea", document_id="tea")
    assert result.ingestion_id is not None
    seen = {synap_client.memories.status(result.ingestion_id).status}
    final = synap_client.memories.wait_for_completion(
        result.ingestion_id, timeout_seconds=10, poll_interval_seconds=0.05
    )
    seen.add(final.status)
    assert IngestStatus.QUEUED in seen and final.status is IngestStatus.COMPLETED
    assert final.memories_created >= 1 and final.completed_at is not None


def test_unknown_ingestion_is_not_found(synap_client: SynapClient) -> None:
    with pytest.raises(SynapNotFoundError):
        synap_client.memories.status(uuid.uuid4())


def test_wrong_key_is_401() -> None:
    with Emulator(api_keys=["synap_right"]) as emulator:
        with pytest.raises(SynapAuthError) as caught:
            SynapClient(api_key="synap_wrong", base_url=emulator.base_url).memories.batch_create(docs(1))
    assert caught.value.status_code == 401


def test_missing_bearer_is_401(synap_emulator: Emulator) -> None:
    reply = requests.get(synap_emulator.base_url + "/api/v1/auth/whoami", timeout=5)
    assert reply.status_code == 401 and reply.json()["code"] == "UNAUTHORIZED"


def test_body_that_is_not_json_is_400_and_the_server_keeps_serving(synap_emulator: Emulator) -> None:
    url = synap_emulator.base_url + "/api/v1/memories/batch"
    reply = requests.post(url, data=b"{not json", headers={"Authorization": "Bearer k"}, timeout=5)
    assert reply.status_code == 400
    after = requests.post(url, json={"documents": docs(1)}, headers={"Authorization": "Bearer k"}, timeout=5)
    assert after.status_code == 200


def test_whoami_tells_the_isolation(synap_client: SynapClient) -> None:
    identity = synap_client.initialize()
    assert identity is not None and identity.is_b2c is False and (identity.instance_id or "").startswith("inst_")


def test_429_carries_an_integer_retry_after_and_the_client_waits_for_a_token() -> None:
    with Emulator(rate_limit=2, burst=1) as emulator:
        raw = [
            requests.get(emulator.base_url + "/api/v1/auth/whoami", headers={"Authorization": "Bearer k"}, timeout=5)
            for _ in range(2)
        ]
        assert raw[1].status_code == 429 and raw[1].headers["Retry-After"] == "1"
        client = SynapClient(api_key="synap_k2", base_url=emulator.base_url)
        client.memories.batch_create(docs(1, "a"))
        started = time.monotonic()
        batch = client.memories.batch_create(docs(1, "b"))
        waited = time.monotonic() - started
    assert batch.succeeded == 1
    assert waited >= 0.4  # the bucket gains a token every 0.5 s: the pace found it, not the whole-second hint
    assert emulator.statuses[429] >= 2


def test_429_without_retries_is_a_rate_limit_error() -> None:
    with Emulator(rate_limit=1, burst=1) as emulator:
        client = SynapClient(api_key="synap_k", base_url=emulator.base_url, max_retries=0)
        client.memories.batch_create(docs(1, "a"))
        with pytest.raises(SynapRateLimitError) as caught:
            client.memories.batch_create(docs(1, "b"))
    assert caught.value.retry_after == 1


def test_503_faults_are_survived_by_retries(no_backoff: Callable[..., SynapClient]) -> None:
    with Emulator(fault_rate=0.3, fault_kinds=["503"], seed=4) as emulator:
        client = no_backoff(emulator.base_url, max_retries=6)
        for number in range(30):
            assert client.memories.batch_create(docs(1, f"n{number}")).succeeded == 1
    assert emulator.statuses[503] > 0
    assert len(emulator.stored_documents()) == 30


def test_dropped_connections_are_retried_when_every_document_has_an_id(no_backoff: Callable[..., SynapClient]) -> None:
    with Emulator(fault_rate=0.3, fault_kinds=["drop"], seed=2) as emulator:
        client = no_backoff(emulator.base_url, max_retries=8)
        for number in range(30):
            assert client.memories.batch_create(docs(2, f"n{number}")).succeeded == 2
    assert emulator.statuses[0] > 0
    assert len(emulator.stored_documents()) == 60


def test_dropped_connection_without_ids_is_reported_not_repeated() -> None:
    with Emulator(fault_rate=1.0, fault_kinds=["drop"]) as emulator:
        client = SynapClient(api_key="synap_k", base_url=emulator.base_url)
        with pytest.raises(SynapNetworkError) as caught:
            client.memories.batch_create([{"document": "no id"}])
    assert caught.value.outcome_unknown
    assert emulator.requests["POST /api/v1/memories/batch"] == 1


def test_lost_reply_after_storing_is_deduplicated_on_retry(no_backoff: Callable[..., SynapClient]) -> None:
    with Emulator(fault_rate=1.0, fault_kinds=["lost-reply"]) as emulator:
        client = no_backoff(emulator.base_url, max_retries=1)
        with pytest.raises(SynapNetworkError):
            client.memories.batch_create(docs(1))
        stored = emulator.stored_documents()
    assert [document["document_id"] for document in stored] == ["d0"]


def test_unreachable_service_is_a_network_error_that_says_so() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = SynapClient(api_key="synap_k", base_url=f"http://127.0.0.1:{port}", max_retries=0)
    with pytest.raises(SynapNetworkError) as caught:
        client.memories.batch_create(docs(1))
    assert caught.value.outcome_unknown is False


def test_200_sequential_single_document_batches_do_not_stall(synap_client: SynapClient) -> None:
    # Not a timing test: 200 calls with a 40 ms Nagle stall each would take 8 s, so a 4 s ceiling
    # only catches the stall, never ordinary noise.
    started = time.monotonic()
    for number in range(200):
        synap_client.memories.batch_create([{"document": f"n{number}"}])
    assert time.monotonic() - started < 4.0


def test_the_same_port_can_be_started_again_right_after_stop_and_a_taken_port_is_named() -> None:
    first = Emulator().start()
    port = int(first.base_url.rsplit(":", 1)[1])
    first.stop()
    with Emulator(port=port) as again:  # a notebook cell run a second time
        assert again.base_url.endswith(f":{port}")
        with pytest.raises(OSError, match=f"port {port} on 127.0.0.1 is already in use"):
            Emulator(port=port).start()


def test_each_commands_help_shows_only_its_own_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    from synap_sync.cli import build_parser

    helps = {}
    for command in ("serve", "ingest", "status", "demo"):
        with pytest.raises(SystemExit):
            build_parser().parse_args([command, "--help"])
        helps[command] = capsys.readouterr().out
    assert "130" in helps["ingest"] and "130" not in helps["serve"] and "130" not in helps["demo"]
    assert "failures file" not in helps["serve"] and "failures file" not in helps["status"]
    assert "port cannot be bound" in helps["serve"]
