"""The memory lifecycle, context reads, credits and data deletion with ``responses``: each request is the
contract's byte for byte (method, path, query, body, headers), each reply parses, each error maps."""

from __future__ import annotations

import json
import uuid
from typing import Any, Callable, List, Tuple

import pytest
import requests
import responses

from synap_sync import (
    SynapAuthError,
    SynapClient,
    SynapConflictError,
    SynapCustomerIdNotAcceptedError,
    SynapError,
    SynapInsufficientCreditsError,
    SynapNetworkError,
    SynapNotFoundError,
    SynapProtocolError,
    SynapQuotaExceededError,
    SynapServerError,
    SynapValidationError,
)

from .conftest import API_KEY, BASE_URL, WHOAMI_B2C, known_b2c

MEMORY_ID = "123e4567-e89b-12d3-a456-426614174000"
CONVERSATION_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
MEMORY = {
    "memory_id": MEMORY_ID,
    "memory_type": "preference",
    "content": "likes green tea",
    "confidence": 0.8,
    "category": "drinks",
    "created_at": "2025-03-01T10:00:00Z",
    "updated_at": "",
    "source_document_id": "chat-1",
    "shiny_new_field": 1,
}
CONTEXT = {
    "context": {
        "facts": [{"id": "f1", "content": "lives in Lyon", "confidence": "explicit", "future": True}],
        "episodes": [{"id": "e1", "summary": "moved house", "significance": 0.7}],
    },
    "retrieval": {"degraded": True, "level": "partial"},
    "ttl_seconds": 120,
}

Call = Callable[[SynapClient], Any]

# (what the caller does, method, path and query, the exact body sent or None, the reply)
WIRE: List[Tuple[str, Call, str, str, Any, Any]] = [
    (
        "memories.get",
        lambda c: c.memories.get(uuid.UUID(MEMORY_ID)),
        "GET",
        f"/api/v1/memories/{MEMORY_ID}",
        None,
        MEMORY,
    ),
    (
        "memories.update (defaults)",
        lambda c: c.memories.update(MEMORY_ID, "new text"),
        "PATCH",
        f"/api/v1/memories/{MEMORY_ID}",
        b'{"document":"new text","merge_strategy":"smart-merge"}',
        MEMORY,
    ),
    (
        "memories.update (everything)",
        lambda c: c.memories.update(MEMORY_ID, {"a": 1}, merge_strategy="replace", document_type="email", metadata={}),
        "PATCH",
        f"/api/v1/memories/{MEMORY_ID}",
        b'{"document":{"a":1},"merge_strategy":"replace","document_type":"email","metadata":{}}',
        MEMORY,
    ),
    (
        "memories.delete",
        lambda c: c.memories.delete(MEMORY_ID),
        "DELETE",
        f"/api/v1/memories/{MEMORY_ID}",
        None,
        {"memory_id": MEMORY_ID, "deleted_at": "2025-03-02T00:00:00Z"},
    ),
    (
        "memories.forget",
        lambda c: c.memories.forget("my old home address", user_id="u1"),
        "POST",
        "/api/v1/memories/forget",
        b'{"description":"my old home address","user_id":"u1","customer_id":null,"scope":null,"mode":"preview"}',
        {"status": "preview", "request_id": "r1", "candidates": [{"memory_id": "m1", "content": "5 Elm St"}]},
    ),
    (
        "user.context.fetch",
        lambda c: c.user.context.fetch("u1", search_query=["tea"]),
        "POST",
        "/v1/context/user/fetch",
        b'{"user_id":"u1","customer_id":null,"conversation_id":null,"search_query":["tea"],"max_results":10,'
        b'"types":["all"],"mode":"fast"}',
        CONTEXT,
    ),
    (
        "user.context.fetch (summary mode, every option)",
        lambda c: c.user.context.fetch(
            "u1",
            customer_id="c1",
            search_query=["tea"],
            precision_level="medium",
            response_shape="ranked",
            query_date="2023-03-11",
            max_results_per_query=3,
            scope_path={"team": "t1"},
            context_mode="conversation-summary",
            last_n_conversations=2,
        ),
        "POST",
        "/v1/context/user/fetch",
        b'{"user_id":"u1","customer_id":"c1","conversation_id":null,"search_query":["tea"],"max_results":10,'
        b'"types":["all"],"mode":"fast","precision_level":"medium","response_shape":"ranked",'
        b'"query_date":"2023-03-11","max_results_per_query":3,"scope":{"team":"t1"},'
        b'"context_mode":"conversation-summary","include_profile":true,"last_n_conversations":2}',
        CONTEXT,
    ),
    (
        "customer.context.fetch",
        lambda c: c.customer.context.fetch("c1", search_query=["x"]),
        "POST",
        "/v1/context/customer/fetch",
        b'{"customer_id":"c1","conversation_id":null,"search_query":["x"],"max_results":10,"types":["all"],'
        b'"mode":"fast"}',
        CONTEXT,
    ),
    (
        "client.context.fetch",
        lambda c: c.client.context.fetch(),
        "POST",
        "/v1/context/client/fetch",
        b'{"conversation_id":null,"search_query":null,"max_results":10,"types":["all"],"mode":"fast"}',
        CONTEXT,
    ),
    (
        "conversation.context.fetch",
        lambda c: c.conversation.context.fetch(CONVERSATION_ID, search_query=["tea"], user_id="u1"),
        "POST",
        "/v1/context/conversation/fetch",
        f'{{"conversation_id":"{CONVERSATION_ID}","search_query":["tea"],"max_results":10,"types":["all"],'
        f'"mode":"fast","user_id":"u1"}}'.encode(),
        CONTEXT,
    ),
    (
        "conversation.context.get_context_for_prompt",
        lambda c: c.conversation.context.get_context_for_prompt(CONVERSATION_ID),
        "GET",
        f"/v1/conversations/{CONVERSATION_ID}/context-for-prompt?style=structured",
        None,
        {"formatted_context": "User: hi", "available": True, "recent_messages": [{"role": "user", "content": "hi"}]},
    ),
    (
        "credits.get_balance",
        lambda c: c.credits.get_balance(),
        "GET",
        "/v1/credits/balance",
        None,
        {"client_id": "cli_1", "balance_credits": "12.5", "warning_low": True},
    ),
    (
        "credits.estimate",
        lambda c: c.credits.estimate(metric_type="memories_ingested", units=1000, item_count=1000),
        "POST",
        "/v1/credits/estimate",
        b'{"metric_type":"memories_ingested","units":1000,"item_count":1000,"endpoint":null,"mode":null}',
        {"credits_estimate": 42.0},
    ),
    (
        "data.delete (dry run)",
        lambda c: c.data.delete("user", user_id="u1", dry_run=True),
        "POST",
        "/v1/data/delete",
        b'{"scope":"user","instance_id":"inst_0123456789abcdef","user_id":"u1","customer_id":null,'
        b'"conversation_id":null,"dry_run":true,"confirm":null}',
        {"status": "dry_run", "dry_run": True, "found": True, "counts": {"memories": 3}},
    ),
    (
        "data.status",
        lambda c: c.data.status(" del 1/x "),
        "GET",
        "/v1/data/delete/del%201%2Fx?instance_id=inst_0123456789abcdef",
        None,
        {"deletion_id": "del 1/x", "status": "complete", "fully_removed": True},
    ),
]


@pytest.fixture
def known(client: SynapClient) -> SynapClient:
    """A client whose instance id is known (data deletion sends it)."""
    return SynapClient(
        api_key=API_KEY, base_url=BASE_URL, instance_id="inst_0123456789abcdef", clock=client._transport.clock
    )


@pytest.mark.parametrize("name, call, method, target, body, reply", WIRE, ids=[row[0] for row in WIRE])
@responses.activate
def test_each_call_sends_the_contracts_request(
    known: SynapClient, name: str, call: Call, method: str, target: str, body: Any, reply: Any
) -> None:
    responses.add(method, BASE_URL + target.split("?")[0], json=reply)
    result = call(known)
    assert result is not None
    (sent,) = [entry.request for entry in responses.calls]
    assert (sent.method, sent.url) == (method, BASE_URL + target)
    assert sent.body == body
    headers = sent.headers
    assert headers["Authorization"] == f"Bearer {API_KEY}" and headers["Content-Type"] == "application/json"
    assert headers["X-Instance-ID"] == "inst_0123456789abcdef" and headers["X-Correlation-ID"].startswith("syn_")
    assert result.correlation_id == headers["X-Correlation-ID"]


@pytest.mark.parametrize("name, call, method, target, body, reply", WIRE, ids=[row[0] for row in WIRE])
@responses.activate
def test_each_call_maps_a_malformed_reply_to_a_protocol_error(
    known: SynapClient, name: str, call: Call, method: str, target: str, body: Any, reply: Any
) -> None:
    responses.add(method, BASE_URL + target.split("?")[0], body="<html>oops</html>", status=200)
    with pytest.raises(SynapProtocolError) as caught:
        call(known.with_options(max_retries=0))
    assert caught.value.correlation_id == responses.calls[0].request.headers["X-Correlation-ID"]


@pytest.mark.parametrize("name, call, method, target, body, reply", WIRE, ids=[row[0] for row in WIRE])
@pytest.mark.parametrize("status, error_type", [(404, SynapNotFoundError), (422, SynapValidationError)])
@responses.activate
def test_each_call_maps_the_documented_errors(
    known: SynapClient,
    name: str,
    call: Call,
    method: str,
    target: str,
    body: Any,
    reply: Any,
    status: int,
    error_type: type,
) -> None:
    responses.add(method, BASE_URL + target.split("?")[0], json={"detail": "no"}, status=status)
    with pytest.raises(error_type) as caught:
        call(known)
    assert caught.value.correlation_id is not None and len(responses.calls) == 1


@pytest.mark.parametrize("name, call, method, target, body, reply", WIRE, ids=[row[0] for row in WIRE])
@pytest.mark.parametrize(
    "status, body_sent, error_type",
    [
        (401, {"detail": "Invalid API key"}, SynapAuthError),
        (403, {"detail": "not allowed"}, SynapAuthError),
        (402, {"detail": {"balance_credits": 0, "reason": "trial_exhausted"}}, SynapInsufficientCreditsError),
        (409, {"detail": "a delete of this target is already running"}, SynapConflictError),
        (429, {"detail": {"reason": "trial_limit_reached"}}, SynapQuotaExceededError),
        (503, {"detail": "unavailable"}, SynapServerError),
    ],
)
@responses.activate
def test_each_call_maps_every_status_to_its_error(
    known: SynapClient,
    name: str,
    call: Call,
    method: str,
    target: str,
    body: Any,
    reply: Any,
    status: int,
    body_sent: Any,
    error_type: type,
) -> None:
    responses.add(method, BASE_URL + target.split("?")[0], json=body_sent, status=status)
    with pytest.raises(error_type) as caught:
        call(known.with_options(max_retries=0))
    assert caught.value.status_code == status and caught.value.correlation_id is not None


def test_replies_parse_forward_compatibly() -> None:
    from synap_sync.models import ContextForPromptResponse, ContextResponse, DeleteDataResult, Memory

    memory = Memory.from_dict(MEMORY)
    assert (memory.memory_id, memory.updated_at, memory.extra) == (uuid.UUID(MEMORY_ID), None, {"shiny_new_field": 1})
    context = ContextResponse.from_dict(CONTEXT)
    assert context.facts[0].confidence == 1.0 and context.facts[0].extra == {"future": True}
    assert context.episodes[0].content == "moved house" and context.episodes[0].summary == "moved house"
    assert context.retrieval is not None and (context.retrieval.degraded, context.retrieval.level) == (True, "partial")
    assert context.facts[0].future is True  # a key this version does not know reads as an attribute too
    assert context.ttl_seconds == 120 and [item.id for item in context.all_items] == ["f1", "e1"]
    assert ContextResponse.from_dict({}).facts == []  # lenient: nothing known is an empty answer
    prompt = ContextForPromptResponse.from_dict({"formatted_context": "", "recent_messages": [{"role": "user"}]})
    assert prompt.formatted_context is None and prompt.recent_messages[0].content == ""
    deletion = DeleteDataResult.from_dict({"status": "partial", "continue": True, "kept": ["traces"], "new": 1})
    assert (deletion.continue_, deletion.kept, deletion.extra) == (True, ["traces"], {"new": 1})


@pytest.mark.parametrize(
    "reply",
    [
        {"memory_id": "not-a-uuid", "memory_type": "fact", "content": "x", "confidence": 1, "created_at": "2025-01-01"},
        {"memory_type": "fact", "content": "x", "confidence": 1, "created_at": "2025-01-01"},
        dict(MEMORY, confidence="high"),
        [MEMORY],
    ],
)
def test_a_memory_reply_of_the_wrong_shape_is_a_protocol_error(reply: Any) -> None:
    from synap_sync.models import Memory

    with pytest.raises(SynapProtocolError):
        Memory.from_dict(reply, "cid")


@responses.activate
def test_a_204_delete_is_success_and_returns_the_id_sent(client: SynapClient) -> None:
    responses.add(responses.DELETE, f"{BASE_URL}/api/v1/memories/{MEMORY_ID}", status=204)
    deleted = client.memories.delete(MEMORY_ID)
    assert (deleted.memory_id, deleted.deleted_at, deleted["memory_id"]) == (
        uuid.UUID(MEMORY_ID),
        None,
        deleted.memory_id,
    )


@responses.activate
def test_a_delete_repeated_after_an_unknown_outcome_takes_its_404_as_done(client: SynapClient) -> None:
    url = f"{BASE_URL}/api/v1/memories/{MEMORY_ID}"
    responses.add(responses.DELETE, url, body=requests.ConnectionError("Connection aborted."))
    responses.add(responses.DELETE, url, status=404, json={"detail": "not found"})
    assert client.memories.delete(MEMORY_ID).memory_id == uuid.UUID(MEMORY_ID)
    assert len(responses.calls) == 2


@responses.activate
def test_update_and_forget_are_not_repeated_when_their_outcome_is_unknown(client: SynapClient) -> None:
    responses.add(responses.PATCH, f"{BASE_URL}/api/v1/memories/{MEMORY_ID}", body=requests.ReadTimeout("slow"))
    responses.add(responses.POST, f"{BASE_URL}/api/v1/memories/forget", body=requests.ReadTimeout("slow"))
    with pytest.raises(SynapNetworkError):
        client.memories.update(MEMORY_ID, "x")
    with pytest.raises(SynapNetworkError):
        client.memories.forget("abc def", user_id="u1")
    assert len(responses.calls) == 2


@responses.activate
def test_a_forget_answered_503_is_retried_since_nothing_was_deleted(client: SynapClient) -> None:
    url = f"{BASE_URL}/api/v1/memories/forget"
    responses.add(responses.POST, url, status=503, json={"detail": "matcher unavailable"})
    responses.add(responses.POST, url, json={"status": "nothing_matches"})
    assert client.memories.forget("abc def", user_id="u1").status == "nothing_matches"
    responses.add(responses.POST, url, status=503, json={"detail": "matcher unavailable"})
    with pytest.raises(SynapServerError):
        client.with_options(max_retries=0).memories.forget("abc def", user_id="u1")


@responses.activate
def test_reads_and_quotes_are_repeated_after_an_unknown_outcome(client: SynapClient) -> None:
    url = f"{BASE_URL}/v1/context/user/fetch"
    responses.add(responses.POST, url, body=requests.ReadTimeout("slow"))
    responses.add(responses.POST, url, json=CONTEXT)
    assert client.context.user("u1").facts[0].id == "f1"
    estimate = f"{BASE_URL}/v1/credits/estimate"
    responses.add(responses.POST, estimate, body=requests.ReadTimeout("slow"))
    responses.add(responses.POST, estimate, json={"credits_estimate": 1})
    assert client.credits.estimate(metric_type="retrievals", units=1).credits_estimate == 1.0


@responses.activate
def test_data_delete_sends_the_same_request_again_while_the_service_says_continue(client: SynapClient) -> None:
    known = SynapClient(api_key=API_KEY, base_url=BASE_URL, instance_id="inst_0123456789abcdef")
    url = f"{BASE_URL}/v1/data/delete"
    for reply in ({"status": "in_progress", "continue": True},) * 2 + ({"status": "complete", "fully_removed": True},):
        responses.add(responses.POST, url, json=reply, status=202)
    result = known.data.delete("conversation", conversation_id="conv-1", confirm="conv-1")
    assert result.status == "complete" and result.fully_removed
    bodies = {call.request.body for call in responses.calls}
    correlation_ids = {call.request.headers["X-Correlation-ID"] for call in responses.calls}
    assert len(responses.calls) == 3 and len(bodies) == 1 and len(correlation_ids) == 3


@responses.activate
def test_data_delete_learns_the_instance_from_whoami_when_not_given(client: SynapClient) -> None:
    responses.add(responses.GET, f"{BASE_URL}/api/v1/auth/whoami", json=dict(WHOAMI_B2C, user_context_isolation="x"))
    responses.add(responses.POST, f"{BASE_URL}/v1/data/delete", json={"status": "dry_run"})
    client.data.delete("user", user_id="u1", dry_run=True)
    assert json.loads(responses.calls[1].request.body)["instance_id"] == "inst_0123456789abcdef"


BAD_INPUT: List[Tuple[str, Call]] = [
    ("memory_id", lambda c: c.memories.get("abc")),
    ("merge_strategy", lambda c: c.memories.update(MEMORY_ID, "x", merge_strategy="overwrite")),
    ("document_type", lambda c: c.memories.update(MEMORY_ID, "x", document_type="memo")),
    ("document", lambda c: c.memories.update(MEMORY_ID, "")),
    ("description", lambda c: c.memories.forget("hi", user_id="u1")),
    ("description", lambda c: c.memories.forget("x" * 501, user_id="u1")),
    ("mode", lambda c: c.memories.forget("abc", user_id="u1", mode="now")),
    ("user_id", lambda c: c.user.context.fetch("")),
    ("search_query", lambda c: c.user.context.fetch("u1", search_query="tea")),
    ("search_query", lambda c: c.customer.context.fetch("c1", search_query="tea")),
    ("max_results", lambda c: c.client.context.fetch(max_results=51)),
    ("mode", lambda c: c.client.context.fetch(mode="slow")),
    ("precision_level", lambda c: c.client.context.fetch(precision_level="low")),
    ("response_shape", lambda c: c.client.context.fetch(response_shape="flat")),
    ("context_mode", lambda c: c.user.context.fetch("u1", context_mode="summary")),
    (
        "last_n_conversations",
        lambda c: c.user.context.fetch("u1", context_mode="conversation-summary", last_n_conversations=21),
    ),
    ("conversation_id", lambda c: c.conversation.context.fetch("conv-1")),
    ("conversation_id", lambda c: c.conversation.context.get_context_for_prompt("conv-1")),
    ("style", lambda c: c.conversation.context.get_context_for_prompt(CONVERSATION_ID, style="poem")),
    ("metric_type", lambda c: c.credits.estimate(metric_type="", units=1)),
    ("units", lambda c: c.credits.estimate(metric_type="retrievals", units=-1)),
    ("scope", lambda c: c.data.delete("client")),
    ("user_id", lambda c: c.data.delete("user", dry_run=True)),
    ("confirm", lambda c: c.data.delete("user", user_id="u1", confirm="u2")),
    ("dry_run", lambda c: c.data.delete("user", user_id="u1", dry_run="yes")),
    ("deletion_id", lambda c: c.data.status("  ")),
]


@pytest.mark.parametrize("field, call", BAD_INPUT, ids=[f"{n}-{row[0]}" for n, row in enumerate(BAD_INPUT)])
@responses.activate
def test_bad_input_is_refused_by_name_before_anything_is_sent(known: SynapClient, field: str, call: Call) -> None:
    with pytest.raises(SynapValidationError) as caught:
        call(known)
    assert caught.value.field == field and isinstance(caught.value, ValueError)
    assert len(responses.calls) == 0


@responses.activate
def test_a_refused_data_deletion_does_not_first_ask_whoami(client: SynapClient) -> None:
    for call in (
        lambda: client.data.delete("user", dry_run=True),
        lambda: client.data.delete("user", user_id="u1", confirm="u2"),
        lambda: client.data.delete("user", user_id="u1", dry_run=True, confirm="  "),
    ):
        with pytest.raises(SynapValidationError):
            call()
    assert client.instance_id is None and len(responses.calls) == 0


@responses.activate
def test_a_customer_id_on_a_b2c_instance_is_refused_before_sending(client: SynapClient) -> None:
    known_b2c(client)
    for call in (
        lambda: client.user.context.fetch("u1", customer_id="c1"),
        lambda: client.customer.context.fetch("c1"),
        lambda: client.memories.forget("abc", user_id="u1", customer_id="c1"),
    ):
        with pytest.raises(SynapCustomerIdNotAcceptedError):
            call()
    assert len(responses.calls) == 1


@responses.activate
def test_instance_not_ready_holds_back_context_fetches_but_not_the_lifecycle(client: SynapClient) -> None:
    fetch = f"{BASE_URL}/v1/context/user/fetch"
    responses.add(responses.POST, fetch, status=409, json={"error": "instance_not_ready", "retry_after_seconds": 30})
    responses.add(responses.GET, f"{BASE_URL}/api/v1/memories/{MEMORY_ID}", json=MEMORY)
    with pytest.raises(SynapError):
        client.context.user("u1")
    with pytest.raises(SynapError) as caught:
        client.context.user("u1")
    assert getattr(caught.value, "from_cooldown", False) is True  # refused here, not sent
    assert client.memories.get(MEMORY_ID).content == "likes green tea"  # not gated
    assert len(responses.calls) == 2


def test_the_new_namespaces_load_only_when_used() -> None:
    import subprocess
    import sys

    script = (
        "import sys, synap_sync; c = synap_sync.SynapClient(api_key='k', base_url='http://127.0.0.1:9');"
        "before = {'synap_sync.context', 'synap_sync.account'} & set(sys.modules); c.credits; c.context;"
        "print(sorted(before), sorted({'synap_sync.context', 'synap_sync.account'} & set(sys.modules)))"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[] ['synap_sync.account', 'synap_sync.context']"
