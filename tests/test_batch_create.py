"""memories.batch_create: limits, local checks both ways, exact wire body, result order."""

import json
from typing import Any, Dict, List

import pytest
import responses

from synap_sync import BatchCreateResponse, CreateMemoryRequest, IngestStatus, SynapClient, SynapValidationError
from tests.conftest import docs

from .replies import BATCH_URL, echo_batch


def sent_bodies(mocked: responses.RequestsMock) -> List[Dict[str, Any]]:
    return [json.loads(call.request.body) for call in mocked.calls]


@responses.activate
def test_batch_of_100_is_sent_in_one_request(client: SynapClient) -> None:
    responses.add_callback(responses.POST, BATCH_URL, callback=echo_batch)
    batch = client.memories.batch_create(docs(100))
    assert len(responses.calls) == 1
    assert (batch.total, batch.succeeded, batch.failed) == (100, 100, 0)
    assert [result.document_id for result in batch.results] == [f"d{index}" for index in range(100)]


@pytest.mark.parametrize("count", [0, 101])
@responses.activate
def test_batch_outside_1_to_100_is_refused_before_sending(client: SynapClient, count: int) -> None:
    with pytest.raises(SynapValidationError, match="1 to 100 documents") as caught:
        client.memories.batch_create(docs(count))
    assert caught.value.field == "documents"
    assert caught.value.correlation_id
    assert len(responses.calls) == 0


@responses.activate
def test_exact_wire_body(client: SynapClient) -> None:
    responses.add_callback(responses.POST, BATCH_URL, callback=echo_batch)
    client.memories.batch_create(
        [
            CreateMemoryRequest(
                document="User: My favorite color is blue.\nAssistant: Noted!",
                user_id="user_789",
                customer_id="cust_456",
                mode="fast",
            ),
            {
                "document": {"subject": "Hello"},
                "document_type": "email",
                "document_id": "mail-7",
                "document_created_at": "2024-01-02T03:04:05+00:00",
                "scope": {"customer": "acme"},
                "metadata": {"folder": "inbox"},
            },
        ]
    )
    expected = (
        '{"documents": ['
        '{"document": "User: My favorite color is blue.\\nAssistant: Noted!", "document_type": "ai-chat-conversation", '
        '"document_id": null, "document_created_at": null, "user_id": "user_789", "customer_id": "cust_456", '
        '"scope": null, "mode": "fast", "metadata": {}}, '
        '{"document": {"subject": "Hello"}, "document_type": "email", "document_id": "mail-7", '
        '"document_created_at": "2024-01-02T03:04:05Z", "user_id": null, "customer_id": null, '
        '"scope": {"customer": "acme"}, "mode": "long-range", "metadata": {"folder": "inbox"}}'
        '], "fail_fast": false}'
    )
    assert json.loads(responses.calls[0].request.body) == json.loads(expected)
    assert list(json.loads(responses.calls[0].request.body)["documents"][1]) == list(
        json.loads(expected)["documents"][1]
    )


MIXED = [
    {"document": "ok zero", "document_id": "a"},
    {"document": "", "document_id": "b"},
    {"document": "ok two"},
    {"document": "bad mode", "mode": "slow", "document_id": "d"},
    {"document": "ok four", "user_id": 5},
]


@responses.activate
def test_fail_fast_lists_every_bad_item_and_sends_nothing(client: SynapClient) -> None:
    with pytest.raises(SynapValidationError) as caught:
        client.memories.batch_create(MIXED, fail_fast=True)
    assert [(index, field) for index, field, _ in caught.value.errors] == [(1, "document"), (3, "mode"), (4, "user_id")]
    assert "documents[1].document" in str(caught.value) and "documents[3].mode" in str(caught.value)
    assert len(responses.calls) == 0


@responses.activate
def test_without_fail_fast_valid_items_are_sent_and_invalid_ones_reported_in_place(client: SynapClient) -> None:
    responses.add_callback(responses.POST, BATCH_URL, callback=echo_batch)
    batch = client.memories.batch_create(MIXED, fail_fast=False)
    assert [document["document"] for document in sent_bodies(responses.mock)[0]["documents"]] == ["ok zero", "ok two"]
    assert (batch.total, batch.succeeded, batch.failed) == (5, 2, 3)
    assert [result.ok for result in batch.results] == [True, False, True, False, False]
    assert [index for index, _ in batch.failures] == [1, 3, 4]
    refused = batch.results[3]
    assert refused.status is IngestStatus.FAILED and refused.document_id == "d" and refused.ingestion_id is None
    assert (
        refused.error_message is not None
        and "mode" in refused.error_message
        and "documents[3]" in refused.error_message
    )
    assert batch.results[0].document_id == "a"


@responses.activate
def test_all_invalid_without_fail_fast_sends_nothing_and_reports_all(client: SynapClient) -> None:
    batch = client.memories.batch_create([{"document": ""}, {"nope": 1}])
    assert len(responses.calls) == 0
    assert (batch.total, batch.succeeded, batch.failed) == (2, 0, 2)
    assert batch.correlation_id


@responses.activate
def test_service_per_item_failures_keep_their_place(client: SynapClient) -> None:
    reply = {
        "batch_id": "6f1e7a52-43b6-4bb1-8a0b-1c0d5a2b9a11",
        "total": 2,
        "succeeded": 1,
        "failed": 1,
        "results": [
            {
                "ingestion_id": None,
                "document_id": "dup",
                "status": "failed",
                "queued_at": None,
                "error_message": "document_id already ingested",
            },
            {
                "ingestion_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
                "document_id": "new",
                "status": "queued",
                "queued_at": "2026-01-01T00:00:00+00:00",
                "error_message": None,
            },
        ],
    }
    responses.add(responses.POST, BATCH_URL, json=reply)
    batch = client.memories.batch_create(
        [{"document": "x", "document_id": "dup"}, {"document": "y", "document_id": "new"}]
    )
    assert [(index, result.document_id) for index, result in batch.failures] == [(0, "dup")]


@responses.activate
def test_any_iterable_is_accepted(client: SynapClient) -> None:
    responses.add_callback(responses.POST, BATCH_URL, callback=echo_batch)
    batch = client.memories.batch_create(item for item in docs(3))
    assert isinstance(batch, BatchCreateResponse) and batch.total == 3


@responses.activate
def test_reply_with_a_wrong_result_count_is_a_protocol_error(client: SynapClient) -> None:
    from synap_sync import SynapProtocolError

    responses.add(
        responses.POST, BATCH_URL, json={"batch_id": None, "total": 0, "succeeded": 0, "failed": 0, "results": []}
    )
    with pytest.raises(SynapProtocolError, match="0 results for 2 documents"):
        client.memories.batch_create(docs(2))


@responses.activate
def test_response_carries_the_calls_correlation_id(client: SynapClient) -> None:
    responses.add_callback(responses.POST, BATCH_URL, callback=echo_batch)
    batch = client.memories.batch_create(docs(1))
    assert batch.correlation_id == responses.calls[0].request.headers["X-Correlation-ID"]
    assert batch.results[0].correlation_id == batch.correlation_id
