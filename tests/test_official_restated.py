"""The official SDK's own tests (maximem-synap 0.6.9's ``tests/``), restated against this client: each
behaviour they pin, asserted here in this client's terms, without its code. They hold, but for the
deliberate differences the porting guide lists: messages are worded differently (so a refusal is checked
by its class and the field it names, not by the official sentence); a 413 is a validation error (a
permanent one); a 429's wait is the key's pace, not Retry-After capped at backoff_max; ``configure()``,
the gRPC stream and the local caches are not here.
"""

from __future__ import annotations

import json
import warnings
from typing import Any, Dict

import pytest
import responses

import synap_sync
from synap_sync import SynapClient
from synap_sync.testing import FakeClock

from .conftest import API_KEY, BASE_URL, known_b2c

CONV = "3f6b1a2c-4d5e-6f7a-8b9c-0d1e2f3a4b5c"
MESSAGES_URL = BASE_URL + "/v1/conversations/messages"
TRANSCRIPT_URL = BASE_URL + "/v1/conversations/ingest"
PROMPT_URL = f"{BASE_URL}/v1/conversations/{CONV}/context-for-prompt"
UPLOAD_URL = BASE_URL + "/api/v1/memories/upload"
CREATE_URL = BASE_URL + "/api/v1/memories/create"
STATUS_URL = BASE_URL + "/api/v1/memories/status/6c4a1f9e-2b7d-4e0a-9c1f-1a2b3c4d5e6f"
RESULT = {"ingestion_id": "6c4a1f9e-2b7d-4e0a-9c1f-1a2b3c4d5e6f", "document_id": "d", "status": "queued",
          "queued_at": "2026-07-15T10:06:00+00:00"}  # fmt: skip
TRANSCRIPT_REPLY = {
    "conversation_id": CONV,
    "external_conversation_id": "call_1",
    "ingestion_id": "6c4a1f9e-2b7d-4e0a-9c1f-1a2b3c4d5e6f",
    "status": "queued",
    "turns_recorded": 1,
    "summary_status": "in_progress",
    "queued_at": "2026-07-15T10:06:00+00:00",
}


def official(name: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return getattr(synap_sync, name)


# --- test_record_message_checks.py -----------------------------------------------------------------------

BASE_MESSAGE = {"conversation_id": CONV, "role": "user", "content": "hi", "user_id": "u1", "customer_id": "acme"}


@pytest.mark.parametrize(
    "override, field",
    [({"role": "system"}, "role"), ({"role": ""}, "role"), ({"conversation_id": ""}, "conversation_id"),
     ({"user_id": ""}, "user_id"), ({"content": None}, "content")],
)  # fmt: skip
@responses.activate
def test_record_message_refuses_with_invalid_input_before_any_request(
    override: Dict[str, Any], field: str, client: SynapClient
) -> None:
    with pytest.raises(official("InvalidInputError")) as caught:
        client.conversation.record_message(**{**BASE_MESSAGE, **override})
    assert caught.value.field == field and len(responses.calls) == 0


@pytest.mark.parametrize("role", ["user", "assistant"])
@responses.activate
def test_each_accepted_role_is_sent(role: str, client: SynapClient) -> None:
    responses.add(responses.POST, MESSAGES_URL, json={"message_id": "m1", "recorded_at": "2026-10-23T00:00:00Z"})
    client.conversation.record_message(**{**BASE_MESSAGE, "role": role})
    assert [call.request.url for call in responses.calls] == [MESSAGES_URL]


# --- test_ingest_transcript_checks.py --------------------------------------------------------------------


@pytest.mark.parametrize(
    "override, field",
    [({"conversation_id": ""}, "conversation_id"), ({"user_id": ""}, "user_id"), ({"transcript": None}, "transcript")],
)
@responses.activate
def test_a_transcript_missing_a_field_is_refused_before_posting(
    override: Dict[str, Any], field: str, client: SynapClient
) -> None:
    arguments = {"conversation_id": "call_1", "user_id": "u1", "customer_id": "acme", "transcript": "user: hi"}
    with pytest.raises(official("InvalidInputError")) as caught:
        client.conversation.ingest_transcript(**{**arguments, **override})
    assert caught.value.field == field and len(responses.calls) == 0


@pytest.mark.parametrize("warnings_sent, expected", [(["no event time"], ["no event time"]), (None, [])])
@responses.activate
def test_a_transcripts_warnings_are_a_typed_list(warnings_sent: Any, expected: Any, client: SynapClient) -> None:
    reply = dict(TRANSCRIPT_REPLY, **({"warnings": warnings_sent} if warnings_sent else {}))
    responses.add(responses.POST, TRANSCRIPT_URL, json=reply)
    answer = client.conversation.ingest_transcript("call_1", "u1", "user: hi", customer_id="acme")
    assert answer.warnings == expected


# --- test_compaction_v3_block.py (the agent model, and the block alone) ----------------------------------


@responses.activate
def test_agent_model_precedence_the_call_then_the_config_then_the_callers_metadata() -> None:
    responses.add(responses.POST, MESSAGES_URL, json={"message_id": "m1"})
    with SynapClient(api_key=API_KEY, base_url=BASE_URL, config=synap_sync.SDKConfig()) as plain:
        plain.conversation.record_message(**BASE_MESSAGE)
    config = synap_sync.SDKConfig(agent_model="gpt-4o", agent_context_window=128000)
    with SynapClient(api_key=API_KEY, base_url=BASE_URL, config=config) as configured:
        configured.conversation.record_message(**BASE_MESSAGE, metadata={"a": 1})
        configured.conversation.record_message(**BASE_MESSAGE, model="gpt-5")
    sent = [json.loads(call.request.body)["metadata"] for call in responses.calls]
    assert sent[0] == {}
    assert sent[1] == {"a": 1, "agent_model": "gpt-4o", "agent_context_window": 128000}
    assert sent[2]["agent_model"] == "gpt-5"


@responses.activate
def test_the_prompt_response_carries_the_block_alone_for_history_stores(client: SynapClient) -> None:
    block = "## Conversation so far (compacted)\n[CONTEXT COMPACTION, REFERENCE ONLY] ..."
    responses.add(responses.GET, PROMPT_URL, json={"context_block": block, "compaction_id": "k2", "available": True})
    response = client.conversation.context.get_context_for_prompt(CONV)
    assert (response.context_block, response.compaction_id) == (block, "k2")


# --- test_status_mapping_and_prompt_checks.py ----------------------------------------------------------


@responses.activate
def test_a_403_is_an_authentication_error_and_not_retried(client: SynapClient) -> None:
    responses.add(responses.GET, PROMPT_URL, status=403, json={"detail": "Conversation not found or access denied"})
    with pytest.raises(official("AuthenticationError")) as caught:
        client.conversation.context.get_context_for_prompt(CONV)
    assert not isinstance(caught.value, official("SynapTransientError")) and len(responses.calls) == 1


@pytest.mark.parametrize("status", [405, 410, 415, 418, 413])
@responses.activate
def test_any_other_4xx_is_permanent_and_not_retried(status: int, client: SynapClient) -> None:
    responses.add(responses.GET, PROMPT_URL, status=status, json={"detail": "no"})
    with pytest.raises(official("SynapPermanentError")) as caught:
        client.conversation.context.get_context_for_prompt(CONV)
    assert not isinstance(caught.value, official("SynapTransientError")) and len(responses.calls) == 1
    # 413 (a body too large) is the one refinement: a validation error here, itself permanent
    assert type(caught.value) is (synap_sync.SynapValidationError if status == 413 else official("SynapPermanentError"))


@pytest.mark.parametrize("method", ["get_context_for_prompt", "get_compacted", "get_compaction_status"])
@responses.activate
def test_an_empty_conversation_id_is_refused_before_any_request(method: str, client: SynapClient) -> None:
    with pytest.raises(official("InvalidInputError")) as caught:
        getattr(client.conversation.context, method)(conversation_id="")
    assert caught.value.field == "conversation_id" and len(responses.calls) == 0


@pytest.mark.parametrize("style", ["fancy", "STRUCTURED", ""])
@responses.activate
def test_an_unknown_style_is_refused_before_any_request(style: str, client: SynapClient) -> None:
    with pytest.raises(official("InvalidInputError")) as caught:
        client.conversation.context.get_context_for_prompt(conversation_id=CONV, style=style)
    assert caught.value.field == "style" and len(responses.calls) == 0


@pytest.mark.parametrize("style", ["structured", "narrative", "bullet_points"])
@responses.activate
def test_each_server_style_is_sent(style: str, client: SynapClient) -> None:
    responses.add(responses.GET, PROMPT_URL, json={})
    client.conversation.context.get_context_for_prompt(conversation_id=CONV, style=style, search_history=False)
    assert responses.calls[0].request.url == f"{PROMPT_URL}?style={style}"


# --- test_http_status_retry.py -------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 503])
@pytest.mark.parametrize(
    "method, url, call",
    [
        ("GET", STATUS_URL, lambda c: c.memories.status("6c4a1f9e-2b7d-4e0a-9c1f-1a2b3c4d5e6f")),
        ("POST", CREATE_URL, lambda c: c.memories.create("User: hi")),
        ("DELETE", BASE_URL + "/api/v1/memories/0f8fad5b-d9cb-469f-a165-70867728950e",
         lambda c: c.memories.delete("0f8fad5b-d9cb-469f-a165-70867728950e")),
    ],
)  # fmt: skip
@responses.activate
def test_a_transient_status_is_retried_then_succeeds(
    status: int, method: str, url: str, call: Any, client: SynapClient
) -> None:
    responses.add(method, url, status=status, json={"detail": "busy"})
    answer = dict(RESULT, memory_id="0f8fad5b-d9cb-469f-a165-70867728950e", deleted_at="2026-01-01T00:00:00Z")
    responses.add(method, url, json=answer)
    call(client)
    assert len(responses.calls) == 2


@responses.activate
def test_it_gives_up_after_max_attempts(client: SynapClient) -> None:
    responses.add(responses.POST, CREATE_URL, status=503, json={"detail": "busy"})
    with pytest.raises(official("SynapTransientError")):
        client.memories.create("User: hi")
    assert len(responses.calls) == 3  # RetryPolicy(max_attempts=3), the official default


@pytest.mark.parametrize("status, error", [(400, "InvalidInputError"), (401, "AuthenticationError")])
@responses.activate
def test_a_permanent_status_is_not_retried(status: int, error: str, client: SynapClient) -> None:
    responses.add(responses.POST, CREATE_URL, status=status, json={"detail": "no"})
    with pytest.raises(official(error)):
        client.memories.create("User: hi")
    assert len(responses.calls) == 1


@pytest.mark.parametrize("reason", ["trial_limit_reached", "subscription_inactive"])
@responses.activate
def test_a_credit_stop_is_not_retried(reason: str, client: SynapClient) -> None:
    forget_url = BASE_URL + "/api/v1/memories/forget"
    responses.add(responses.POST, forget_url, status=429, json={"detail": {"error": reason, "reason": reason}})
    with pytest.raises(official("RateLimitError")) as caught:
        client.memories.forget("my old address", user_id="u1", customer_id="c1")
    assert caught.value.reason == reason and len(responses.calls) == 1


@responses.activate
def test_a_multipart_upload_retries_a_503_too(client: SynapClient) -> None:
    responses.add(responses.POST, UPLOAD_URL, status=503, json={"detail": "busy"})
    responses.add(responses.POST, UPLOAD_URL, json=RESULT)
    client.memories.create_from_file(user_id="u1", text="x")
    assert len(responses.calls) == 2


# --- test_fetch_summary_mode_and_ids.py (the ids) -------------------------------------------------------


@pytest.mark.parametrize("empty", ["", None])
@pytest.mark.parametrize(
    "call, field",
    [
        (lambda c, e: c.user.context.fetch(user_id=e), "user_id"),
        (lambda c, e: c.customer.context.fetch(customer_id=e), "customer_id"),
        (lambda c, e: c.conversation.context.fetch(conversation_id=e), "conversation_id"),
    ],
)
@responses.activate
def test_an_empty_id_is_refused_before_any_request(empty: Any, call: Any, field: str, client: SynapClient) -> None:
    with pytest.raises(official("InvalidInputError")) as caught:
        call(client, empty)
    assert caught.value.field == field and len(responses.calls) == 0


# --- test_create_from_file_checks.py and test_upload_scope_and_temporal.py ------------------------------


@pytest.mark.parametrize(
    "arguments, field",
    [({"user_id": "u1"}, "file_path"), ({"user_id": "u1", "text": "a", "file_path": "/x"}, "text"),
     ({"user_id": "", "text": "a"}, "user_id")],
)  # fmt: skip
@responses.activate
def test_an_upload_without_one_source_or_a_user_is_refused_before_uploading(
    arguments: Dict[str, Any], field: str, client: SynapClient
) -> None:
    with pytest.raises(official("InvalidInputError")) as caught:
        client.memories.create_from_file(**arguments)
    assert caught.value.field == field and len(responses.calls) == 0


def test_temporal_is_the_servers_type_name() -> None:
    assert synap_sync.ContextType.TEMPORAL == "temporal_events"


@responses.activate
def test_a_temporal_filter_goes_out_as_temporal_events(client: SynapClient) -> None:
    responses.add(responses.POST, BASE_URL + "/v1/context/user/fetch", json={})
    client.user.context.fetch("u1", customer_id="c1", types=[synap_sync.ContextType.TEMPORAL])
    assert json.loads(responses.calls[0].request.body)["types"] == ["temporal_events"]


@pytest.mark.parametrize(
    "scope, customer_id, has_scope, has_customer",
    [({"tenant": "t1", "user": "u1"}, "c1", True, True), (None, None, False, False), ({}, "", False, False)],
)
@responses.activate
def test_an_uploads_scope_and_customer_go_only_when_given(
    scope: Any, customer_id: Any, has_scope: bool, has_customer: bool, client: SynapClient
) -> None:
    responses.add(responses.POST, UPLOAD_URL, json=RESULT)
    client.memories.create_from_file(user_id="u1", customer_id=customer_id, text="x", scope=scope)
    body = responses.calls[0].request.body
    body = body.read() if hasattr(body, "read") else body  # responses before 0.22 keeps the stream unread
    form = body.decode() if isinstance(body, bytes) else body
    assert ("scope=" in form) == has_scope and ("customer_id=" in form) == has_customer


@responses.activate
def test_a_malformed_upload_scope_is_refused_before_any_request(client: SynapClient) -> None:
    with pytest.raises(official("InvalidInputError")) as caught:
        client.memories.create_from_file(user_id="u1", text="x", scope={"tenant": 1})  # type: ignore[dict-item]
    assert caught.value.field == "scope" and len(responses.calls) == 0


# --- test_b2c_contract.py -------------------------------------------------------------------------------


@responses.activate
def test_on_b2c_a_customer_id_is_refused_as_a_value_error_and_invalid_input(client: SynapClient) -> None:
    known_b2c(client)
    for call in (
        lambda: client.memories.create("User: hi", user_id="u1", customer_id="c1"),
        lambda: client.conversation.record_message(**BASE_MESSAGE),
        lambda: client.user.get_profile("u1", customer_id="c1"),
        lambda: client.memories.forget("my old address", user_id="u1", customer_id="c1"),
    ):
        with pytest.raises(official("CustomerIdNotAcceptedError")) as caught:
            call()
        assert isinstance(caught.value, ValueError) and isinstance(caught.value, official("InvalidInputError"))
    assert len(responses.calls) == 1  # whoami only


@pytest.mark.parametrize("isolation", ["per_customer", None, "something_new"])
@responses.activate
def test_b2b_an_unknown_mode_or_none_never_refuses_a_customer_id(isolation: Any, client: SynapClient) -> None:
    whoami = {"client_id": "cli", "instance_id": "inst_0123456789abcdef"}
    if isolation is not None:
        whoami["user_context_isolation"] = isolation
    responses.add(responses.GET, BASE_URL + "/api/v1/auth/whoami", json=whoami)
    responses.add(responses.POST, CREATE_URL, json=RESULT)
    client.initialize()
    client.memories.create("User: hi", user_id="u1", customer_id="c1")
    assert len(responses.calls) == 2


# --- test_instance_not_ready.py and test_instance_cooldown.py -------------------------------------------

NOT_READY = {"detail": {"code": "instance_not_ready", "retry_after_seconds": 120, "instance_id": "inst_1"}}


@responses.activate
def test_not_ready_is_typed_a_conflict_never_retried_and_held_locally_then_released(
    client: SynapClient, clock: FakeClock
) -> None:
    responses.add(responses.POST, CREATE_URL, status=409, json=NOT_READY)
    with pytest.raises(official("ConflictError")) as caught:  # existing handlers keep working
        client.memories.create("User: hi")
    error = caught.value
    assert isinstance(error, official("InstanceNotReadyError")) and error.retry_after_seconds == 120
    assert len(responses.calls) == 1  # never retried
    clock.time += 30
    with pytest.raises(official("InstanceNotReadyError")) as local:
        client.memories.create("User: hi")
    assert local.value.from_cooldown and local.value.retry_after == 90 and len(responses.calls) == 1
    clock.time += 91
    responses.replace(responses.POST, CREATE_URL, json=RESULT)
    client.memories.create("User: hi")  # after the wait, a real request
    assert len(responses.calls) == 2


@responses.activate
def test_a_real_conflict_stays_a_plain_conflict_and_no_hint_means_no_cooldown(client: SynapClient) -> None:
    responses.add(responses.POST, CREATE_URL, status=409, json={"detail": "document id already exists"})
    responses.add(responses.POST, CREATE_URL, status=409, json={"error": "instance_not_ready"})
    responses.add(responses.POST, CREATE_URL, json=RESULT)
    with pytest.raises(official("ConflictError")) as caught:
        client.memories.create("User: hi", document_id="d")
    assert not isinstance(caught.value, official("InstanceNotReadyError"))
    with pytest.raises(official("InstanceNotReadyError")):
        client.memories.create("User: hi")
    client.memories.create("User: hi")  # no hint: the next call goes out
    assert len(responses.calls) == 3


# --- test_config_small_fixes.py -------------------------------------------------------------------------


@responses.activate
def test_zero_attempts_means_one_attempt_and_the_real_error() -> None:
    responses.add(responses.POST, CREATE_URL, status=503, json={"detail": "busy"})
    config = synap_sync.SDKConfig(retry_policy=synap_sync.RetryPolicy(max_attempts=0))
    with SynapClient(api_key=API_KEY, base_url=BASE_URL, config=config) as client:
        with pytest.raises(official("ServiceUnavailableError")):
            client.memories.create("User: hi")
    assert len(responses.calls) == 1


def test_jitter_never_goes_past_backoff_max() -> None:
    from synap_sync._retry import Backoff
    from synap_sync.errors import SynapServerError

    backoff = Backoff(backoff_seconds=8.0, max_backoff_seconds=10.0, jitter=0.25, uniform=lambda low, high: high)
    assert backoff.delay(SynapServerError("busy"), 2) == 10.0


def test_the_constructor_does_not_change_the_config_you_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNAP_BASE_URL", "https://from-the-environment.example")
    config = synap_sync.SDKConfig()
    with SynapClient(api_key=API_KEY, config=config) as client:
        assert client.base_url == "https://from-the-environment.example"
    assert config == synap_sync.SDKConfig() and config.api_base_url is None
