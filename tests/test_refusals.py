"""Every refusal names where the fault is: the field, and in a list of items (documents, messages, turns)
the item's index; a lone surrogate, which UTF-8 cannot carry, included. A journal of another format
version says so, instead of blaming the settings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Optional

import pytest
import responses

from synap_sync import SynapClient, SynapJournalError, SynapValidationError

CONVERSATION = "123e4567-e89b-12d3-a456-426614174000"
BAD = "bad \ud800 text"


def message(content: str = "fine") -> Any:
    return {"conversation_id": CONVERSATION, "role": "user", "content": content}


CASES = {
    "a message's content": (
        lambda client: client.conversation.record_message(CONVERSATION, "user", BAD, "u1"),
        None,
        "content",
    ),
    "a batch item's content": (
        lambda client: client.conversation.record_messages_batch([message(), message(), message(BAD)]),
        2,
        "content",
    ),
    "a transcript turn's content": (
        lambda client: client.conversation.ingest_transcript("call-1", "u1", [message(), message(BAD)]),
        1,
        "content",
    ),
    "a transcript given as text": (
        lambda client: client.conversation.ingest_transcript("call-1", "u1", BAD),
        None,
        "transcript",
    ),
    "a message's metadata value": (
        lambda client: client.conversation.record_message(CONVERSATION, "user", "hi", "u1", metadata={"k": [1, BAD]}),
        None,
        "metadata.k[1]",
    ),
    "a document in a batch": (
        lambda client: client.memories.batch_create([{"document": "fine"}, {"document": BAD}], fail_fast=True),
        1,
        "document",
    ),
}


@pytest.mark.parametrize("call, index, field", CASES.values(), ids=CASES.keys())
@responses.activate
def test_a_lone_surrogate_is_refused_at_its_index_and_field_before_sending(
    call: Callable[[SynapClient], Any], index: Optional[int], field: str, client: SynapClient
) -> None:
    with pytest.raises(SynapValidationError) as caught:
        call(client)
    refused = caught.value
    assert refused.errors[0][:2] == (index, field)
    assert "lone surrogate" in refused.errors[0][2] and "at position 4" in refused.errors[0][2]
    str(refused).encode("utf-8")  # the message itself can be printed and logged
    assert len(responses.calls) == 0


@responses.activate
def test_a_key_that_cannot_be_encoded_is_named_printably(client: SynapClient) -> None:
    with pytest.raises(SynapValidationError) as caught:
        client.conversation.record_message(CONVERSATION, "user", "hi", "u1", metadata={"\udcff": 1})
    assert caught.value.field == "metadata['\\udcff']"
    str(caught.value).encode("utf-8")


def test_a_journal_of_another_format_version_says_so(tmp_path: Path, client: SynapClient) -> None:
    journal = tmp_path / "run.journal"
    journal.write_text(json.dumps({"journal": "synap-sync journal", "version": 99, "chunk_size": 100}) + "\n")
    with pytest.raises(SynapJournalError, match="format version 99.*reads version 1") as caught:
        client.memories.ingest([{"document": "x"}], journal=str(journal))
    assert "other settings" not in str(caught.value)


def test_a_built_request_cannot_change_so_what_it_shows_is_what_it_sends() -> None:
    import copy
    import pickle

    import attrs

    from synap_sync import CreateMemoryRequest

    given = {"source": "crm", "tags": ["a", {"deep": 1}]}
    request = CreateMemoryRequest(document={"subject": "hi", "body": ["x"]}, metadata=given, scope={"team": "t"})
    given["source"] = "changed after the check"  # the caller's own dict stays theirs
    mutations = [
        lambda: request.metadata.__setitem__("source", "other"),
        lambda: request.metadata.update(source="other"),
        lambda: request.metadata.pop("source"),
        lambda: request.metadata["tags"].append("b"),
        lambda: request.metadata["tags"][1].__setitem__("deep", 2),
        lambda: request.document["body"].append("y"),
        lambda: request.scope.clear(),  # type: ignore[union-attr]
    ]
    for mutate in mutations:
        with pytest.raises(TypeError, match="cannot change"):
            mutate()
    sent = json.loads(request.encoded)
    assert sent["metadata"] == request.metadata == {"source": "crm", "tags": ["a", {"deep": 1}]}
    assert sent["document"] == request.document and "crm" in repr(request)
    assert json.loads(json.dumps(request.metadata)) == sent["metadata"]
    for copied in (pickle.loads(pickle.dumps(request)), copy.deepcopy(request)):
        assert copied == request and copied.encoded == request.encoded
    changed = attrs.evolve(request, metadata={**request.metadata, "source": "new"})
    assert json.loads(changed.encoded)["metadata"]["source"] == "new"
