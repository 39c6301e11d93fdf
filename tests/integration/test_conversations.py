"""Recording conversations against the emulator over loopback: messages read back as a prompt's
context, a transcript followed to its memories, sent again, and conflicting."""

from __future__ import annotations

import uuid

import pytest

from synap_sync import SynapClient, SynapConflictError
from synap_sync.emulator import Emulator


def test_recorded_messages_are_the_next_prompts_context() -> None:
    conversation = str(uuid.uuid4())
    with Emulator() as emulator, SynapClient(api_key="synap_k", base_url=emulator.base_url) as client:
        first = client.conversation.record_message(conversation, "user", "I moved to Porto", "u1", customer_id="acme")
        batch = client.conversation.record_messages_batch(
            [
                {"conversation_id": conversation, "role": "assistant", "content": "Welcome!", "customer_id": "acme"},
                {"conversation_id": conversation, "role": "user", "content": "Thanks", "user_id": "u1"},
            ]
        )
        context = client.conversation.context.get_context_for_prompt(conversation)
    assert first.conversation_message_count == 1 and first.session_id
    assert (batch.succeeded, batch.failed) == (1, 1) and batch.errors[0]["index"] == 1  # B2B: user without customer
    assert context.formatted_context == "user: I moved to Porto\nassistant: Welcome!"
    assert [message.role for message in context.recent_messages] == ["user", "assistant"]


def test_a_transcript_is_ingested_once_and_a_different_one_under_its_id_conflicts() -> None:
    turns = [{"role": "user", "content": "my flight is on Friday"}, {"role": "assistant", "content": "booked"}]
    with Emulator(completion_seconds=0.1) as emulator:
        client = SynapClient(api_key="synap_k", base_url=emulator.base_url)
        first = client.conversation.ingest_transcript("call-7", "u1", turns, customer_id="acme")
        status = client.memories.wait_for_completion(first.ingestion_id, poll_interval_seconds=0.05)
        again = client.conversation.ingest_transcript("call-7", "u1", turns, customer_id="acme")
        with pytest.raises(SynapConflictError) as caught:
            client.conversation.ingest_transcript("call-7", "u1", "something else", customer_id="acme")
        client.close()
    assert (first.status, first.turns_recorded, status.status) == ("queued", 2, "completed")
    assert again.status == "duplicate" and again.ingestion_id == first.ingestion_id
    assert caught.value.code == "transcript_conflict"
