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


def test_a_conversation_compacted_and_waited_for_reads_back_as_its_summary() -> None:
    conversation = str(uuid.uuid4())
    with Emulator(completion_seconds=0.2) as emulator:
        client = SynapClient(api_key="synap_k", base_url=emulator.base_url)
        client.conversation.record_message(conversation, "user", "I prefer aisle seats", "u1", customer_id="acme")
        before = client.conversation.context.get_compacted(conversation)
        trigger = client.conversation.context.compact(conversation, strategy="balanced")
        status = client.conversation.context.wait_for_compaction(conversation, poll_interval_seconds=0.05)
        summary = client.conversation.context.get_compacted(conversation)
        client.close()
    assert before is None and trigger.status == "in_progress"
    assert status.status == "completed" and status.latest_version == 1
    assert summary is not None and summary.compacted_context == "user: I prefer aisle seats"


def test_a_profile_the_ledger_and_a_redeemed_code_from_the_emulator() -> None:
    from synap_sync import SynapInsufficientCreditsError, SynapNotFoundError

    with Emulator(completion_seconds=0.05) as emulator:
        client = SynapClient(api_key="synap_k", base_url=emulator.base_url)
        with pytest.raises(SynapNotFoundError):
            client.user.get_profile("u1", customer_id="acme")
        batch = client.memories.batch_create([{"document": "User: hi", "user_id": "u1", "customer_id": "acme"}])
        client.memories.wait_for_completion(batch.results[0].ingestion_id, poll_interval_seconds=0.05)
        profile = client.user.get_profile("u1", customer_id="acme")
        redeemed = client.credits.redeem("SYN-TEST-0001")
        with pytest.raises(SynapInsufficientCreditsError):
            client.credits.redeem("SYN-TEST-0001")
        entries = list(client.credits.ledger(page_size=1))
        client.close()
    assert profile.attributes["memories"].value == 1
    assert redeemed.credits_granted == 1000.0
    assert [entry.entry_type for entry in entries] == ["credit", "debit"]
    assert entries[0].ledger_id == redeemed.redemption_id


def test_an_instance_still_being_built_holds_recording_back_until_its_wait_has_passed() -> None:
    from synap_sync import SynapInstanceNotReadyError

    conversation = str(uuid.uuid4())
    with Emulator(build_seconds=30) as emulator:
        client = SynapClient(api_key="synap_k", base_url=emulator.base_url)
        with pytest.raises(SynapInstanceNotReadyError) as answered:
            client.conversation.record_message(conversation, "user", "hi", "u1", customer_id="acme")
        with pytest.raises(SynapInstanceNotReadyError) as held:
            client.conversation.ingest_transcript("call-1", "u1", "user: hi", customer_id="acme")
        compacting = client.conversation.context.compact(conversation)  # not held back
        sent = emulator.request_count
        client.close()
    assert answered.value.state == "building" and answered.value.instance_id == emulator.instance_id
    assert 25 <= (answered.value.retry_after_seconds or 0) <= 30
    assert held.value.from_cooldown and held.value.state == "building"
    assert compacting.status == "in_progress" and sent == 2
