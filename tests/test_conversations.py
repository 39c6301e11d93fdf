"""Recording a conversation, blocking: the official SDK's bytes, the single-message checks applied to
every item of a batch, and no resend after an unknown outcome."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Dict

import pytest
import requests
import responses

from synap_sync import (
    SynapClient,
    SynapCustomerIdNotAcceptedError,
    SynapInstanceNotReadyError,
    SynapNetworkError,
    SynapNotFoundError,
    SynapValidationError,
    TranscriptTurn,
)
from synap_sync.models import MAX_MESSAGES_PER_BATCH

from .conftest import BASE_URL, known_b2c

MESSAGES_URL = BASE_URL + "/v1/conversations/messages"
BATCH_URL = BASE_URL + "/v1/conversations/messages/batch"
TRANSCRIPT_URL = BASE_URL + "/v1/conversations/ingest"
CONVERSATION = "123e4567-e89b-12d3-a456-426614174000"
RECORDED = {
    "message_id": "m1",
    "conversation_id": CONVERSATION,
    "session_id": "sess-1",
    "recorded_at": "2026-01-01T00:00:00Z",
    "conversation_message_count": 3,
}
TRANSCRIPT_REPLY = {
    "conversation_id": "9b2f0a10-0000-4000-8000-000000000001",
    "external_conversation_id": "call-43",
    "ingestion_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
    "status": "queued",
    "turns_recorded": 1,
    "summary_status": "in_progress",
    "queued_at": "2026-01-02T03:05:00Z",
    "warnings": [],
}


@responses.activate
def test_a_message_goes_out_as_the_official_sdk_sends_it(client: SynapClient) -> None:
    responses.add(responses.POST, MESSAGES_URL, json=RECORDED)
    recorded = client.conversation.record_message(
        CONVERSATION,
        "assistant",
        "",
        "u1",
        session_id="sess-1",
        metadata={"k": 1},
        scope_path={"tenant": "t1", "user": "u1"},
        model="gpt-4o",
        context_window=128000,
    )
    assert responses.calls[0].request.body == (
        b'{"conversation_id":"123e4567-e89b-12d3-a456-426614174000","role":"assistant","content":"","user_id":"u1",'
        b'"customer_id":null,"metadata":{"k":1,"agent_model":"gpt-4o","agent_context_window":128000},'
        b'"session_id":"sess-1","scope":{"tenant":"t1","user":"u1"}}'
    )
    assert recorded.message_id == "m1" and recorded.conversation_message_count == 3
    assert recorded.recorded_at == datetime(2026, 1, 1, tzinfo=timezone.utc)


@responses.activate
def test_a_batch_keeps_each_messages_key_order_as_the_official_sdk_does(client: SynapClient) -> None:
    responses.add(responses.POST, BATCH_URL, json={"total": 1, "succeeded": 1, "failed": 0, "results": [RECORDED]})
    batch = client.conversation.record_messages_batch(
        [
            {
                "conversation_id": "223e4567-e89b-12d3-a456-426614174000",
                "role": "user",
                "content": "c",
                "customer_id": "c9",
                "timestamp": "2026-01-01T00:00:00Z",
                "scope_path": {"tenant": "t"},
            }
        ]
    )
    assert responses.calls[0].request.body == (
        b'{"messages":[{"conversation_id":"223e4567-e89b-12d3-a456-426614174000","role":"user","content":"c",'
        b'"customer_id":"c9","timestamp":"2026-01-01T00:00:00Z","metadata":{},"scope":{"tenant":"t"}}]}'
    )
    assert (batch.total, batch.succeeded, batch.failed) == (1, 1, 0) and batch.results[0].message_id == "m1"


@responses.activate
def test_a_transcript_goes_out_as_the_official_sdk_sends_it(client: SynapClient) -> None:
    responses.add(responses.POST, TRANSCRIPT_URL, json=TRANSCRIPT_REPLY)
    reply = client.conversation.ingest_transcript(
        "call-43",
        "u1",
        [TranscriptTurn(role="user", content="hi", timestamp="2026-01-02T03:04:05Z", speaker="caller")],
        metadata={},
        started_at=datetime(2026, 1, 2, 3, 0, tzinfo=timezone.utc),
        scope_path={"tenant": "t"},
    )
    assert responses.calls[0].request.body == (
        b'{"conversation_id":"call-43","user_id":"u1","transcript":[{"role":"user","content":"hi",'
        b'"timestamp":"2026-01-02T03:04:05Z","speaker":"caller","metadata":null}],"metadata":{},'
        b'"started_at":"2026-01-02T03:00:00+00:00","scope":{"tenant":"t"}}'
    )
    assert reply.external_conversation_id == "call-43" and reply.status == "queued"
    assert str(reply.ingestion_id) == TRANSCRIPT_REPLY["ingestion_id"]


@responses.activate
def test_an_upper_case_conversation_id_is_sent_as_spelled(client: SynapClient) -> None:
    responses.add(responses.POST, MESSAGES_URL, json=RECORDED)
    client.conversation.record_message(CONVERSATION.upper(), "user", "hi", "u1")
    assert json.loads(responses.calls[0].request.body)["conversation_id"] == CONVERSATION.upper()


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"conversation_id": ""}, "conversation_id"),
        ({"conversation_id": "not-a-uuid"}, "conversation_id"),
        ({"role": "system"}, "role"),
        ({"role": None}, "role"),
        ({"content": None}, "content"),
        ({"content": 5}, "content"),
        ({"user_id": ""}, "user_id"),
        ({"metadata": {"x": float("nan")}}, "metadata"),
        ({"metadata": "{}"}, "metadata"),
        ({"scope_path": {"a": 1}}, "scope"),
        ({"context_window": -5}, "context_window"),
        ({"context_window": "big"}, "context_window"),
    ],
)
def test_a_bad_message_is_refused_by_field_before_anything_is_sent(
    client: SynapClient, changes: Dict[str, Any], field: str
) -> None:
    message: Dict[str, Any] = {"conversation_id": CONVERSATION, "role": "user", "content": "hi", "user_id": "u1"}
    message.update(changes)
    with responses.RequestsMock():
        with pytest.raises(SynapValidationError) as single:
            client.conversation.record_message(**message)
        with pytest.raises(SynapValidationError) as batch:
            client.conversation.record_messages_batch([{**message, "role": "user"} if field != "role" else {}, message])
    assert single.value.field == field
    assert batch.value.message.startswith("messages[") and batch.value.field in (field, "role", "conversation_id")


def test_a_batch_names_the_index_of_its_bad_message() -> None:
    good = {"conversation_id": CONVERSATION, "role": "user", "content": "hi"}
    with SynapClient(api_key="synap_secret_test_key_0123456789", base_url=BASE_URL) as client, responses.RequestsMock():
        with pytest.raises(SynapValidationError) as caught:
            client.conversation.record_messages_batch([good, good, dict(good, role="tool")])
    assert caught.value.message.startswith("messages[2].role") and caught.value.errors[0][:2] == (2, "role")


@pytest.mark.parametrize("size", [0, MAX_MESSAGES_PER_BATCH + 1])
def test_a_batch_of_no_or_too_many_messages_is_refused(client: SynapClient, size: int) -> None:
    message = {"conversation_id": CONVERSATION, "role": "user", "content": "hi"}
    with responses.RequestsMock(), pytest.raises(SynapValidationError, match="messages"):
        client.conversation.record_messages_batch([message] * size)


def test_an_unknown_key_in_a_batch_message_is_refused_by_name(client: SynapClient) -> None:
    message = {"conversation_id": CONVERSATION, "role": "user", "content": "hi", "conten": "typo"}
    with responses.RequestsMock(), pytest.raises(SynapValidationError) as caught:
        client.conversation.record_messages_batch([message])
    assert caught.value.field == "conten"


@responses.activate
def test_a_customer_id_on_a_b2c_instance_is_refused_for_every_recording_call(client: SynapClient) -> None:
    known_b2c(client)
    message = {"conversation_id": CONVERSATION, "role": "user", "content": "hi", "user_id": "u1", "customer_id": "c1"}
    with pytest.raises(SynapCustomerIdNotAcceptedError):
        client.conversation.record_message(**message)
    with pytest.raises(SynapCustomerIdNotAcceptedError):
        client.conversation.record_messages_batch([message])
    with pytest.raises(SynapCustomerIdNotAcceptedError):
        client.conversation.ingest_transcript("call-1", "u1", "hi", customer_id="c1")
    assert len(responses.calls) == 1  # whoami only


@responses.activate
def test_a_message_whose_outcome_is_unknown_is_never_sent_again(client: SynapClient) -> None:
    responses.add(responses.POST, MESSAGES_URL, body=requests.ConnectionError("reset after sending"))
    with pytest.raises(SynapNetworkError) as caught:
        client.conversation.record_message(CONVERSATION, "user", "hi", "u1")
    assert caught.value.outcome_unknown and len(responses.calls) == 1


@responses.activate
def test_any_2xx_is_a_recorded_message_sent_once(client: SynapClient) -> None:
    responses.add(responses.POST, MESSAGES_URL, status=201, json=RECORDED)
    client.conversation.record_message(CONVERSATION, "user", "hi", "u1")
    assert len(responses.calls) == 1


@responses.activate
def test_a_transcript_whose_outcome_is_unknown_is_sent_again_identical(client: SynapClient) -> None:
    responses.add(responses.POST, TRANSCRIPT_URL, body=requests.ConnectionError("reset after sending"))
    responses.add(responses.POST, TRANSCRIPT_URL, json=dict(TRANSCRIPT_REPLY, status="duplicate"))
    reply = client.conversation.ingest_transcript("call-43", "u1", "user: hi")
    assert reply.status == "duplicate" and responses.calls[0].request.body == responses.calls[1].request.body


@responses.activate
def test_recording_waits_out_the_instance_build_as_the_official_sdk_does(client: SynapClient) -> None:
    responses.add(
        responses.POST,
        MESSAGES_URL,
        status=409,
        json={"detail": {"code": "instance_not_ready", "retry_after_seconds": 120, "instance_id": "inst_1"}},
    )
    with pytest.raises(SynapInstanceNotReadyError):
        client.conversation.record_message(CONVERSATION, "user", "hi", "u1")
    with pytest.raises(SynapInstanceNotReadyError) as held:  # refused here, for every recording path
        client.conversation.ingest_transcript("call-1", "u1", "hi")
    assert held.value.from_cooldown and len(responses.calls) == 1


@responses.activate
def test_a_batch_reply_keeps_the_refused_messages_with_their_index(client: SynapClient) -> None:
    reply = {"total": 2, "succeeded": 1, "failed": 1, "results": [RECORDED], "errors": [{"index": 1, "error": "no"}]}
    responses.add(responses.POST, BATCH_URL, json=reply)
    message = {"conversation_id": CONVERSATION, "role": "user", "content": "hi"}
    batch = client.conversation.record_messages_batch([message, message])
    assert batch.failed == 1 and batch.errors == [{"index": 1, "error": "no"}]


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"conversation_id": ""}, "conversation_id"),
        ({"user_id": None}, "user_id"),
        ({"transcript": None}, "transcript"),
        ({"transcript": [{"role": "system", "content": "x"}]}, "role"),
        ({"transcript": [{"role": "user"}]}, "transcript"),
        ({"conversation_type": "x" * 65}, "conversation_type"),
        ({"analysis": {"blob": "x" * 70_000}}, "analysis"),
        ({"started_at": "yesterday"}, "started_at"),
    ],
)
def test_a_bad_transcript_is_refused_by_field_before_anything_is_sent(
    client: SynapClient, changes: Dict[str, Any], field: str
) -> None:
    arguments: Dict[str, Any] = {"conversation_id": "call-1", "user_id": "u1", "transcript": "user: hi"}
    arguments.update(changes)
    with responses.RequestsMock(), pytest.raises(SynapValidationError) as caught:
        client.conversation.ingest_transcript(**arguments)
    assert caught.value.field == field


COMPACT_URL = BASE_URL + "/v1/conversations/compact"
STATUS_URL = f"{BASE_URL}/v1/conversations/{CONVERSATION}/compaction/status"
COMPACTED_URL = f"{BASE_URL}/v1/conversations/{CONVERSATION}/compacted"


@responses.activate
def test_a_compaction_is_triggered_with_the_official_body(client: SynapClient) -> None:
    responses.add(responses.POST, COMPACT_URL, json={"compaction_id": "cmp_1", "status": "in_progress"})
    trigger = client.conversation.context.compact(CONVERSATION)
    assert responses.calls[0].request.body == (
        b'{"conversation_id":"123e4567-e89b-12d3-a456-426614174000","strategy":null,"target_tokens":null,"force":false}'
    )
    assert (trigger.compaction_id, trigger.status, trigger.estimated_completion_seconds) == (
        "cmp_1",
        "in_progress",
        None,
    )


@responses.activate
def test_a_compaction_level_of_the_official_sdk_is_sent_as_its_strategy(client: SynapClient) -> None:
    from synap_sync import CompactionLevel

    responses.add(responses.POST, COMPACT_URL, json={})
    client.conversation.context.compact(CONVERSATION, compaction_level=CompactionLevel.HIGH, target_tokens=500)
    assert json.loads(responses.calls[0].request.body)["strategy"] == "aggressive"
    with responses.RequestsMock(), pytest.raises(SynapValidationError, match="strategy"):
        client.conversation.context.compact(CONVERSATION, strategy="nonsense")


@responses.activate
def test_waiting_for_a_compaction_polls_at_the_services_estimate_then_reads_the_summary(client: SynapClient) -> None:
    responses.add(responses.GET, STATUS_URL, json={"conversation_id": CONVERSATION, "status": "none"})
    responses.add(responses.GET, STATUS_URL, json={"status": "in_progress", "estimated_completion_seconds": 4})
    responses.add(responses.GET, STATUS_URL, json={"status": "completed", "latest_version": 3})
    responses.add(
        responses.GET, COMPACTED_URL, json={"formatted_context": "user likes tea", "strategy_used": "balanced"}
    )
    status = client.conversation.context.wait_for_compaction(CONVERSATION)
    summary = client.conversation.context.get_compacted(CONVERSATION, format="narrative")
    assert status.done and status.latest_version == 3
    assert client._transport.clock.sleeps == [2.0, 4.0]  # type: ignore[attr-defined]
    assert summary is not None and summary.compacted_context == "user likes tea"
    assert responses.calls[-1].request.url.endswith("/compacted?format=narrative")


@responses.activate
def test_waiting_for_a_compaction_ends_at_its_timeout_with_the_last_status(client: SynapClient) -> None:
    from synap_sync import SynapTimeoutError

    responses.add(responses.GET, STATUS_URL, json={"status": "in_progress", "estimated_completion_seconds": 30})
    with pytest.raises(SynapTimeoutError) as caught:
        client.conversation.context.wait_for_compaction(CONVERSATION, timeout_seconds=25)
    assert caught.value.last_status.status == "in_progress"


@responses.activate
def test_no_summary_yet_is_none(client: SynapClient) -> None:
    responses.add(responses.GET, COMPACTED_URL, status=404, json={"detail": "no summary"})
    assert client.conversation.context.get_compacted(CONVERSATION) is None


@responses.activate
def test_a_profile_is_read_with_its_attributes(client: SynapClient) -> None:
    profile = {
        "profile": {
            "attributes": {"city": {"value": "Porto", "confidence": 0.9}, "tier": "gold"},
            "overview": "a tea drinker",
            "_meta": {"v": 1},
        }
    }
    responses.add(responses.GET, BASE_URL + "/v1/users/u%201/profile", json=profile)
    read = client.user.get_profile("u 1", customer_id="c 1&x")
    assert read.attributes["city"].value == "Porto" and read.attributes["tier"].value == "gold"
    assert read.overview == "a tea drinker" and read.meta == {"v": 1}
    assert responses.calls[0].request.url.endswith("/v1/users/u%201/profile?customer_id=c+1%26x")  # form-encoded


@responses.activate
def test_the_ledger_is_read_page_after_page(client: SynapClient) -> None:
    def entry(number: int) -> Dict[str, Any]:
        return {"ledger_id": f"l{number}", "entry_type": "debit", "delta": -1, "created_at": "2026-01-01T00:00:00Z"}

    ledger_url = BASE_URL + "/v1/credits/ledger"
    responses.add(responses.GET, ledger_url, json={"entries": [entry(0), entry(1)], "total": 3})
    responses.add(responses.GET, ledger_url, json={"entries": [entry(2)], "total": 3})
    since = datetime(2026, 1, 1, tzinfo=timezone.utc)
    entries = list(client.credits.ledger(entry_type="debit", from_time=since, page_size=2))
    assert [item.ledger_id for item in entries] == ["l0", "l1", "l2"]
    assert responses.calls[0].request.url.endswith(
        "/v1/credits/ledger?limit=2&offset=0&entry_type=debit&from=2026-01-01T00%3A00%3A00%2B00%3A00"
    )
    assert "offset=2" in responses.calls[1].request.url


@responses.activate
def test_a_code_is_redeemed_once_and_a_second_try_is_the_services_402(client: SynapClient) -> None:
    from synap_sync import SynapInsufficientCreditsError

    redeem_url = BASE_URL + "/v1/credits/redeem"
    responses.add(
        responses.POST,
        redeem_url,
        json={"redemption_id": "r1", "credits_granted": 100, "new_balance_credits": 150.5, "expires_at": None},
    )
    responses.add(responses.POST, redeem_url, status=402, json={"detail": {"message": "already redeemed"}})
    result = client.credits.redeem("SYN-AAAA-BBBB-CCCC-D")
    with pytest.raises(SynapInsufficientCreditsError):
        client.credits.redeem("SYN-AAAA-BBBB-CCCC-D")
    assert responses.calls[0].request.body == b'{"code":"SYN-AAAA-BBBB-CCCC-D"}'
    assert (result.credits_granted, result.new_balance_credits, result.expires_at) == (100.0, 150.5, None)


def test_the_names_ported_code_imports_exist_and_mean_the_same() -> None:
    import warnings

    import synap_sync
    from synap_sync import ContextType, ForgetMode, ForgetStatus, MergeStrategy, SynapError, UpdateMemoryRequest

    assert ContextType.TEMPORAL == "temporal_events" and MergeStrategy.SMART_MERGE == "smart-merge"
    assert ForgetMode.DIRECT == "direct" and ForgetStatus.NOTHING_MATCHES == "nothing_matches"
    assert UpdateMemoryRequest(document="x", merge_strategy=MergeStrategy.APPEND).to_dict() == {
        "document": "x",
        "merge_strategy": "append",
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert synap_sync.SDKError is SynapError
        assert synap_sync.InvalidInstanceIdError("inst_x").instance_id == "inst_x"
    assert all(issubclass(warning.category, DeprecationWarning) for warning in caught) and len(caught) == 2


@responses.activate
def test_non_ascii_text_goes_out_as_utf_8_not_escapes(client: SynapClient) -> None:
    responses.add(responses.POST, MESSAGES_URL, json=RECORDED)
    responses.add(
        responses.POST,
        BASE_URL + "/api/v1/memories/batch",
        json={"batch_id": None, "total": 1, "succeeded": 1, "failed": 0, "results": [{"status": "queued"}]},
    )
    client.conversation.record_message(CONVERSATION, "user", "naïve 中文 😀", "u1")
    client.memories.batch_create([{"document": "Olá, 世界"}])
    assert b'"content":"na\xc3\xafve \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80"' in responses.calls[0].request.body
    assert responses.calls[1].request.body.startswith('{"documents":[{"document":"Olá, 世界"'.encode("utf-8"))


@responses.activate
def test_ids_go_out_as_the_caller_spelled_them_in_paths_and_bodies(client: SynapClient) -> None:
    memory = "0F8FAD5B-D9CB-469F-A165-70867728950E"
    responses.add(responses.GET, f"{BASE_URL}/api/v1/memories/{memory}", status=404, json={"detail": "gone"})
    responses.add(responses.POST, BASE_URL + "/v1/context/conversation/fetch", json={})
    with pytest.raises(SynapNotFoundError):
        client.memories.get(memory)
    client.conversation.context.fetch(CONVERSATION.upper())
    assert responses.calls[0].request.url.endswith(memory)
    assert json.loads(responses.calls[1].request.body)["conversation_id"] == CONVERSATION.upper()


@responses.activate
def test_a_local_refusal_during_the_build_says_what_the_service_said_of_the_instance(client: SynapClient) -> None:
    detail = {"code": "instance_not_ready", "retry_after_seconds": 90, "instance_id": "inst_abc", "state": "building"}
    responses.add(responses.POST, MESSAGES_URL, status=409, json={"detail": detail})
    with pytest.raises(SynapInstanceNotReadyError) as answered:
        client.conversation.record_message(CONVERSATION, "user", "hi", "u1")
    with pytest.raises(SynapInstanceNotReadyError) as held:
        client.conversation.record_message(CONVERSATION, "user", "hi", "u1")
    assert (answered.value.retry_after_seconds, answered.value.instance_id, answered.value.state) == (
        90,
        "inst_abc",
        "building",
    )
    assert held.value.from_cooldown and (held.value.instance_id, held.value.state) == ("inst_abc", "building")
    assert held.value.retry_after_seconds == 90


@responses.activate
def test_a_failed_build_names_its_instance(client: SynapClient) -> None:
    from synap_sync import SynapInstanceBuildFailedError

    detail = {"code": "instance_build_failed", "attempts": 3, "hint": "contact support", "instance_id": "inst_abc"}
    responses.add(responses.POST, MESSAGES_URL, status=409, json={"detail": detail})
    with pytest.raises(SynapInstanceBuildFailedError) as caught:
        client.conversation.record_message(CONVERSATION, "user", "hi", "u1")
    assert (caught.value.instance_id, caught.value.attempts, caught.value.hint) == ("inst_abc", 3, "contact support")


@responses.activate
def test_the_b2c_refusal_says_what_to_send_instead_and_names_the_ids(client: SynapClient) -> None:
    known_b2c(client)
    with pytest.raises(SynapCustomerIdNotAcceptedError) as caught:
        client.conversation.record_message(CONVERSATION, "user", "hi", "u1", customer_id="acme")
    assert "'acme'" in caught.value.message and "inst_0123456789abcdef" in caught.value.message
    assert "send the user_id alone" in caught.value.message


# What the official SDK's own tests (0.6.9: test_record_message_checks, test_ingest_transcript_checks)
# pin down, asked of this client in its own terms.

OFFICIAL_BASE = {
    "conversation_id": CONVERSATION,
    "role": "user",
    "content": "hi",
    "user_id": "u1",
    "customer_id": "acme",
}


@pytest.mark.parametrize(
    "override, field",
    [
        ({"role": "system"}, "role"),
        ({"role": ""}, "role"),
        ({"conversation_id": ""}, "conversation_id"),
        ({"user_id": ""}, "user_id"),
        ({"content": None}, "content"),
    ],
)
def test_official_a_bad_message_is_refused_before_any_request(
    client: SynapClient, override: Dict[str, Any], field: str
) -> None:
    with responses.RequestsMock(), pytest.raises(SynapValidationError) as caught:
        client.conversation.record_message(**{**OFFICIAL_BASE, **override})
    assert caught.value.field == field


@pytest.mark.parametrize("role", ["user", "assistant"])
@responses.activate
def test_official_each_accepted_role_is_sent(client: SynapClient, role: str) -> None:
    responses.add(responses.POST, MESSAGES_URL, json=RECORDED)
    client.conversation.record_message(**{**OFFICIAL_BASE, "role": role})
    assert [call.request.url for call in responses.calls] == [MESSAGES_URL]


@pytest.mark.parametrize(
    "override, field",
    [({"conversation_id": ""}, "conversation_id"), ({"user_id": ""}, "user_id"), ({"transcript": None}, "transcript")],
)
def test_official_a_transcript_missing_a_field_is_refused_before_posting(
    client: SynapClient, override: Dict[str, Any], field: str
) -> None:
    arguments = {"conversation_id": "call_1", "user_id": "u1", "customer_id": "acme", "transcript": "user: hi"}
    with responses.RequestsMock(), pytest.raises(SynapValidationError) as caught:
        client.conversation.ingest_transcript(**{**arguments, **override})
    assert caught.value.field == field


@pytest.mark.parametrize("warnings, expected", [(["no event time supplied"], ["no event time supplied"]), (None, [])])
@responses.activate
def test_official_a_transcripts_warnings_are_a_list_of_strings(
    client: SynapClient, warnings: Any, expected: Any
) -> None:
    reply = dict(TRANSCRIPT_REPLY)
    reply.pop("warnings")
    if warnings is not None:
        reply["warnings"] = warnings
    responses.add(responses.POST, TRANSCRIPT_URL, json=reply)
    answer = client.conversation.ingest_transcript("call_1", "u1", "user: hi", customer_id="acme")
    assert answer.warnings == expected
