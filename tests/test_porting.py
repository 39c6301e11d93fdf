"""Code written for the official async SDK keeps its meaning here: every name it imports, every ``except``
clause catching exactly what it caught, enums printing as theirs, values of the same types, its
configuration carried over. The facts about the official SDK (maximem-synap 0.6.9) are written down
below; ``tests/integration/test_official_parity.py`` checks them against the SDK itself where it is
installed."""

from __future__ import annotations

import itertools
import json
import warnings
from datetime import datetime
from typing import Any, Dict, List

import pytest
import responses

import synap_sync
from synap_sync import SynapClient

from .conftest import API_KEY, BASE_URL

#: The official package's ``__all__`` (0.6.9).
OFFICIAL_NAMES = [
    "__version__", "MaximemSynapSDK", "SDKConfig", "TimeoutConfig", "RetryPolicy", "CacheConfig",
    "ContextResponse", "UnifiedContextResponse", "RankedItem", "CompactionResponse", "CompactionTriggerResponse",
    "CompactionStatusResponse", "ContextForPromptResponse", "RecentMessage", "Fact", "Preference", "Episode",
    "Emotion", "ResponseMetadata", "UserProfileModel", "ProfileAttributeModel", "ConversationSummaryModel",
    "TranscriptTurn", "TranscriptIngestResponse", "ContextBundle", "ContextItem", "ContextScope", "ContextType",
    "CompactionLevel", "LogLevel", "DocumentType", "IngestMode", "IngestStatus", "MergeStrategy", "SynapError",
    "SynapTransientError", "SynapPermanentError", "NetworkTimeoutError", "RateLimitError",
    "ServiceUnavailableError", "AgentUnavailableError", "InsufficientCreditsError", "InvalidInputError",
    "InvalidInstanceIdError", "InvalidConversationIdError", "CustomerIdNotAcceptedError", "AuthenticationError",
    "ContextNotFoundError", "ConflictError", "TranscriptConflictError", "InstanceBuildFailedError",
    "InstanceNotReadyError", "SessionExpiredError", "ListeningAlreadyActiveError", "ListeningNotActiveError",
    "SDKError", "TransientError", "PermanentError", "ConnectionError", "Memory", "CreateMemoryRequest",
    "CreateMemoryResponse", "BatchCreateRequest", "BatchCreateResponse", "MemoryStatusResponse", "ForgetMode",
    "ForgetStatus", "ForgetCandidate", "ForgetResponse", "DeleteDataResult", "UpdateMemoryRequest",
]  # fmt: skip
#: The names that do not import, each with its reason on the porting page (docs/howto/porting.rst).
NOT_PROVIDED = {
    "CacheConfig": "deprecated in the official SDK; this client keeps no cache",
    "UnifiedContextResponse": "sdk.fetch() has no endpoint; call the scope fetches",
    "ContextBundle": "deprecated in the official SDK and never returned by it",
    "SessionExpiredError": "the gRPC listening stream",
    "ListeningAlreadyActiveError": "the gRPC listening stream",
    "ListeningNotActiveError": "the gRPC listening stream",
}
#: Each official exception class and the official classes it is a subclass of (0.6.9; aliases included).
OFFICIAL_PARENTS: Dict[str, List[str]] = {
    "AgentUnavailableError": ["SDKError", "SynapError", "SynapTransientError", "TransientError"],
    "AuthenticationError": ["PermanentError", "SDKError", "SynapError", "SynapPermanentError"],
    "ConflictError": ["PermanentError", "SDKError", "SynapError", "SynapPermanentError"],
    "ConnectionError": ["NetworkTimeoutError", "SDKError", "SynapError", "SynapTransientError", "TransientError"],
    "ContextNotFoundError": ["PermanentError", "SDKError", "SynapError", "SynapPermanentError"],
    "CustomerIdNotAcceptedError": ["InvalidInputError", "PermanentError", "SDKError", "SynapError",
                                   "SynapPermanentError"],
    "InstanceBuildFailedError": ["ConflictError", "PermanentError", "SDKError", "SynapError", "SynapPermanentError"],
    "InstanceNotReadyError": ["ConflictError", "PermanentError", "SDKError", "SynapError", "SynapPermanentError"],
    "InsufficientCreditsError": ["PermanentError", "SDKError", "SynapError", "SynapPermanentError"],
    "InvalidConversationIdError": ["InvalidInputError", "PermanentError", "SDKError", "SynapError",
                                   "SynapPermanentError"],
    "InvalidInputError": ["PermanentError", "SDKError", "SynapError", "SynapPermanentError"],
    "InvalidInstanceIdError": ["InvalidInputError", "PermanentError", "SDKError", "SynapError", "SynapPermanentError"],
    "NetworkTimeoutError": ["ConnectionError", "SDKError", "SynapError", "SynapTransientError", "TransientError"],
    "PermanentError": ["SDKError", "SynapError", "SynapPermanentError"],
    "RateLimitError": ["SDKError", "SynapError", "SynapTransientError", "TransientError"],
    "SDKError": ["SynapError"],
    "ServiceUnavailableError": ["SDKError", "SynapError", "SynapTransientError", "TransientError"],
    "SynapError": ["SDKError"],
    "SynapPermanentError": ["PermanentError", "SDKError", "SynapError"],
    "SynapTransientError": ["SDKError", "SynapError", "TransientError"],
    "TranscriptConflictError": ["ConflictError", "PermanentError", "SDKError", "SynapError", "SynapPermanentError"],
    "TransientError": ["SDKError", "SynapError", "SynapTransientError"],
}  # fmt: skip
#: The one decided difference: an instance not ready is transient here too (it clears by waiting).
DECIDED = {("InstanceNotReadyError", "SynapTransientError"), ("InstanceNotReadyError", "TransientError")}
#: Every member of every official enum, and the value it prints as (0.6.9).
OFFICIAL_ENUMS = {
    "ContextScope": {"CLIENT": "client", "CUSTOMER": "customer", "USER": "user", "CONVERSATION": "conversation"},
    "ContextType": {"FACTS": "facts", "PREFERENCES": "preferences", "EPISODES": "episodes", "EMOTIONS": "emotions",
                    "TEMPORAL": "temporal_events", "ALL": "all"},
    "CompactionLevel": {"LOW": "low", "MEDIUM": "medium", "HIGH": "high", "ADAPTIVE": "adaptive",
                        "AGGRESSIVE": "aggressive", "BALANCED": "balanced", "CONSERVATIVE": "conservative"},
    "LogLevel": {"DEBUG": "debug", "INFO": "info", "WARN": "warn", "ERROR": "error"},
    "DocumentType": {"CONVERSATION": "ai-chat-conversation", "DOCUMENT": "document", "EMAIL": "email", "PDF": "pdf",
                     "IMAGE": "image", "AUDIO": "audio", "MEETING_TRANSCRIPT": "meeting-transcript"},
    "IngestMode": {"FAST": "fast", "LONG_RANGE": "long-range"},
    "IngestStatus": {"QUEUED": "queued", "PROCESSING": "processing", "COMPLETED": "completed", "FAILED": "failed",
                     "PARTIAL_SUCCESS": "partial_success"},
    "MergeStrategy": {"REPLACE": "replace", "APPEND": "append", "SMART_MERGE": "smart-merge"},
    "ForgetMode": {"PREVIEW": "preview", "DIRECT": "direct"},
    "ForgetStatus": {"NOTHING_MATCHES": "nothing_matches", "PREVIEW": "preview", "DELETED": "deleted",
                     "PARTIAL": "partial"},
}  # fmt: skip


def ours(name: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return getattr(synap_sync, name)


def test_every_official_name_imports_or_the_porting_page_says_why() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the official names warn: tested on their own
        missing = [name for name in OFFICIAL_NAMES if not hasattr(synap_sync, name) and name not in NOT_PROVIDED]
    assert missing == []
    with open("docs/howto/porting.rst", encoding="utf-8") as page:
        porting = page.read()
    assert [name for name in NOT_PROVIDED if f"``{name}``" not in porting] == []


def test_for_every_ordered_pair_of_official_exceptions_the_subclass_relation_is_the_same() -> None:
    different = [
        (a, b)
        for a, b in itertools.permutations(OFFICIAL_PARENTS, 2)
        if issubclass(ours(a), ours(b)) != (b in OFFICIAL_PARENTS[a])
    ]
    assert len(OFFICIAL_PARENTS) * (len(OFFICIAL_PARENTS) - 1) == 462
    assert set(different) == DECIDED


def test_a_name_we_have_our_own_for_warns_once_imported_by_the_official_name() -> None:
    with pytest.warns(DeprecationWarning, match="use synap_sync.SynapClient"):
        assert issubclass(synap_sync.MaximemSynapSDK, SynapClient)
    with pytest.warns(DeprecationWarning, match="use synap_sync.SynapTranscriptConflictError"):
        assert synap_sync.TranscriptConflictError is synap_sync.SynapTranscriptConflictError


@pytest.mark.parametrize("enum_name", OFFICIAL_ENUMS)
def test_every_official_enum_member_exists_and_prints_as_its_value(enum_name: str) -> None:
    enum = ours(enum_name)
    for member, value in OFFICIAL_ENUMS[enum_name].items():
        assert str(enum[member]) == f"{enum[member]}" == value and enum[member] == value


@responses.activate
def test_an_official_except_clause_for_a_transcript_conflict_catches_only_that_conflict(client: SynapClient) -> None:
    transcript_url = BASE_URL + "/v1/conversations/ingest"
    responses.add(responses.POST, transcript_url, status=409, json={"detail": {"code": "transcript_conflict"}})
    responses.add(responses.POST, BASE_URL + "/api/v1/memories/create", status=409, json={"detail": "duplicate id"})
    with pytest.raises(ours("TranscriptConflictError")):
        client.conversation.ingest_transcript("call-1", "u1", "user: hi", customer_id="c1")
    with pytest.raises(ours("ConflictError")) as caught:
        client.memories.create("User: hi", document_id="d1")
    assert not isinstance(caught.value, ours("TranscriptConflictError"))


def test_an_official_except_clause_for_a_bad_conversation_id_misses_a_bad_role(client: SynapClient) -> None:
    invalid_id = ours("InvalidConversationIdError")
    with pytest.raises(invalid_id) as caught:
        client.conversation.record_message("not-a-uuid", "user", "hi", "u1")
    assert caught.value.conversation_id == "not-a-uuid"
    with pytest.raises(ours("InvalidInputError")) as role:
        client.conversation.record_message("3f6b1a2c-4d5e-6f7a-8b9c-0d1e2f3a4b5c", "system", "hi", "u1")
    assert not isinstance(role.value, invalid_id)
    with pytest.raises(invalid_id):  # in a batch too, at its index
        client.conversation.record_messages_batch([{"conversation_id": "x", "role": "user", "content": "hi"}])


@responses.activate
def test_quota_429s_are_rate_limit_errors_never_retried_and_not_ready_is_a_conflict(client: SynapClient) -> None:
    quota = {"reason": "trial_limit_reached"}
    responses.add(responses.POST, BASE_URL + "/api/v1/memories/create", status=429, json=quota)
    with pytest.raises(ours("RateLimitError")) as caught:
        client.memories.create("User: hi")
    assert isinstance(caught.value, synap_sync.SynapQuotaExceededError) and len(responses.calls) == 1
    assert issubclass(synap_sync.SynapInstanceNotReadyError, ours("ConflictError"))


def test_the_official_configuration_carries_over() -> None:
    config = synap_sync.SDKConfig(
        api_base_url="https://gateway.example",
        timeouts=synap_sync.TimeoutConfig(connect=2.0, read=7.0),
        retry_policy=synap_sync.RetryPolicy(max_attempts=5, backoff_base=0.5, backoff_max=4.0),
        agent_model="gpt-4o",
        grpc_host="ignored.example",
    )
    with ours("MaximemSynapSDK")("", API_KEY, config) as sdk:
        assert (sdk.base_url, sdk.timeout, sdk.max_retries) == ("https://gateway.example", (2.0, 7.0), 4)
        assert sdk._transport.retry.max_backoff_seconds == 4.0 and sdk._transport.retry.backoff_seconds == 0.5
    no_retries = synap_sync.SDKConfig(retry_policy=None)
    with SynapClient(api_key=API_KEY, base_url=BASE_URL, config=no_retries) as client:
        assert client.max_retries == 0
    with SynapClient(api_key=API_KEY, base_url=BASE_URL, config=synap_sync.SDKConfig(
        retry_policy=synap_sync.RetryPolicy(max_attempts=0))) as client:  # fmt: skip
        assert client.max_retries == 0  # zero attempts is one attempt, as the official SDK fixed it
    with pytest.raises(synap_sync.SynapValidationError, match="TimeoutConfig.read"):
        synap_sync.TimeoutConfig(read=0)


@responses.activate
def test_a_client_wide_agent_model_goes_with_every_message_unless_the_call_gives_one() -> None:
    url = BASE_URL + "/v1/conversations/messages"
    responses.add(responses.POST, url, json={"message_id": "m1", "recorded_at": "2026-01-02T03:04:05Z"})
    responses.add(responses.POST, url + "/batch", json={"total": 1, "succeeded": 1, "failed": 0, "results": []})
    conversation = "3f6b1a2c-4d5e-6f7a-8b9c-0d1e2f3a4b5c"
    config = synap_sync.SDKConfig(agent_model="gpt-4o", agent_context_window=128000)
    with SynapClient(api_key=API_KEY, base_url=BASE_URL, config=config) as client:
        recorded = client.conversation.record_message(
            conversation, "user", "hi", "u1", metadata={"agent_model": "mine", "k": 1}
        )
        client.conversation.record_message(conversation, "user", "hi", "u1", model="claude", context_window=9)
        client.conversation.record_messages_batch([{"conversation_id": conversation, "role": "user", "content": "x"}])
    sent = [json.loads(call.request.body) for call in responses.calls]
    assert sent[0]["metadata"] == {"agent_model": "gpt-4o", "k": 1, "agent_context_window": 128000}
    assert sent[1]["metadata"] == {"agent_model": "claude", "agent_context_window": 9}
    assert sent[2]["messages"][0]["metadata"] == {"agent_model": "gpt-4o", "agent_context_window": 128000}
    assert recorded["message_id"] == "m1" and recorded.get("recorded_at") == "2026-01-02T03:04:05Z"
    assert "message_id" in recorded and recorded.message_id == "m1"


def test_replies_keep_the_official_types_and_fields() -> None:
    from synap_sync.models import CompactionResponse, ContextForPromptResponse, ContextResponse

    prompt = ContextForPromptResponse.from_dict(
        {"recent_messages": [{"role": "user", "content": "hi", "timestamp": "2026-01-02T03:04:05Z", "message_id": "m"}]}
    )
    assert isinstance(prompt.recent_messages[0].timestamp, datetime) and prompt.history_excerpts == []
    fact = {"id": "f", "content": "likes tea", "extracted_at": "2026-01-01T00:00:00Z", "event_date": "2025-05-01"}
    episode = {"id": "e", "summary": "moved", "occurred_at": "2026-01-01T00:00:00Z", "significance": 0.7}
    context = ContextResponse.from_dict({"context": {"facts": [fact], "episodes": [episode]}, "ttl_seconds": 60}, "cid")
    assert isinstance(context.facts[0], synap_sync.Fact) and context.facts[0].extracted_at.year == 2026
    assert context.facts[0].event_date is not None and context.episodes[0].significance == 0.7
    metadata = context.metadata
    assert (metadata.correlation_id, metadata.ttl_seconds, metadata.source) == ("cid", 60, "cloud")
    reply = {"formatted_context": "x", "strategy_used": "balanced", "current_state": {}}
    compacted = CompactionResponse.from_dict(reply)
    assert compacted.level_applied is synap_sync.CompactionLevel.BALANCED and compacted.current_state == {}
    assert compacted.metadata.compaction_applied is synap_sync.CompactionLevel.BALANCED
