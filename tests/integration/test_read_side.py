"""The read side and the memory lifecycle against the emulator over loopback: what a view or a notebook
does after a backfill."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import List

import pytest

from synap_sync import SynapClient, SynapNotFoundError, SynapValidationError
from synap_sync.emulator import Emulator

CONVERSATION = str(uuid.uuid4())


def _ingest(client: SynapClient, texts: List[str], user: str = "u1", customer: str = "c1") -> List[str]:
    """Ingest ``texts`` as one conversation's turns; the memory ids once they are completed."""
    batch = client.memories.batch_create(
        [
            {"document": text, "user_id": user, "customer_id": customer, "metadata": {"conversation_id": CONVERSATION}}
            for text in texts
        ]
    )
    ids: List[str] = []
    for result in batch.results:
        status = client.memories.wait_for_completion(result.ingestion_id, poll_interval_seconds=0.05)
        ids.extend(status.memory_ids)
    return ids


def test_memories_are_read_changed_and_deleted(synap_client: SynapClient) -> None:
    (memory_id,) = _ingest(synap_client, ["I drink green tea every morning"])
    memory = synap_client.memories.get(memory_id)
    assert memory.content == "I drink green tea every morning" and str(memory.memory_id) == memory_id
    changed = synap_client.memories.update(memory_id, "and oolong at night", merge_strategy="append")
    assert changed.content.endswith("and oolong at night") and changed.updated_at is not None
    assert synap_client.memories.delete(memory_id).memory_id == memory.memory_id
    with pytest.raises(SynapNotFoundError):
        synap_client.memories.get(memory_id)
    assert synap_client.context.user("u1", customer_id="c1").facts == []  # gone from the read side too


def test_context_is_fetched_for_each_scope_and_for_a_prompt(synap_client: SynapClient) -> None:
    _ingest(synap_client, ["I drink green tea every morning", "My sister lives in Lyon"])
    _ingest(synap_client, ["Someone else likes coffee"], user="u2")
    tea = synap_client.user.context.fetch("u1", customer_id="c1", search_query=["tea"])
    assert [fact.content for fact in tea.facts] == ["I drink green tea every morning"]
    assert len(synap_client.customer.context.fetch("c1").facts) == 3
    assert len(synap_client.client.context.fetch(search_query=["coffee"]).facts) == 1
    within = synap_client.conversation.context.fetch(CONVERSATION, search_query=["lyon"])
    assert [fact.content for fact in within.facts] == ["My sister lives in Lyon"]
    prompt = synap_client.conversation.context.get_context_for_prompt(CONVERSATION, style="bullet_points")
    assert prompt.available and prompt.recent_message_count == 3 and "green tea" in (prompt.formatted_context or "")


def test_forget_previews_then_deletes_one_users_matching_memories(synap_client: SynapClient) -> None:
    _ingest(synap_client, ["My address is 5 Elm Street", "I like jazz"])
    _ingest(synap_client, ["My address is 9 Oak Road"], user="u2")
    preview = synap_client.memories.forget("my address", user_id="u1", customer_id="c1")
    assert preview.status == "preview" and len(preview.candidates) == 1
    assert len(synap_client.context.user("u1", customer_id="c1").facts) == 2  # a preview deletes nothing
    done = synap_client.memories.forget("my address", user_id="u1", customer_id="c1", mode="direct")
    assert done.status == "deleted" and done.deleted_ids == [preview.candidates[0].memory_id]
    assert [fact.content for fact in synap_client.context.user("u1", customer_id="c1").facts] == ["I like jazz"]
    assert len(synap_client.context.user("u2", customer_id="c1").facts) == 1  # another user's stays
    with pytest.raises(SynapValidationError):  # the service wants exactly one user
        synap_client.memories.forget("my address", customer_id="c1")


def test_credits_are_priced_before_and_spent_by_a_backfill(synap_client: SynapClient) -> None:
    before = synap_client.credits.get_balance().balance_credits
    quote = synap_client.credits.estimate(metric_type="memories_ingested", units=2, item_count=2)
    _ingest(synap_client, ["one", "two"])
    assert synap_client.credits.balance().balance_credits == before - quote.credits_estimate


def test_a_users_data_is_deleted_after_a_dry_run_says_what_would_go(synap_client: SynapClient) -> None:
    _ingest(synap_client, ["first", "second"])
    dry = synap_client.data.delete("user", user_id="u1", customer_id="c1", dry_run=True)
    assert (dry.status, dry.found, dry.counts) == ("dry_run", True, {"memories": 2})
    assert len(synap_client.context.user("u1", customer_id="c1").facts) == 2
    done = synap_client.data.delete("user", user_id="u1", customer_id="c1", confirm="u1")
    assert done.status == "complete" and done.fully_removed and done.deletion_id
    assert synap_client.data.status(done.deletion_id).status == "complete"
    assert synap_client.context.user("u1", customer_id="c1").facts == []


def test_the_emulator_counts_every_new_route(synap_client: SynapClient, synap_emulator: Emulator) -> None:
    (memory_id,) = _ingest(synap_client, ["counted"])
    synap_client.memories.get(memory_id)
    synap_client.context.user("u1", customer_id="c1")
    assert synap_emulator.requests["GET /api/v1/memories/{id}"] == 1
    assert synap_emulator.requests["POST /v1/context/user/fetch"] == 1


def test_a_file_and_a_text_upload_become_ingestions_with_a_status(synap_client: SynapClient, tmp_path: Path) -> None:
    notes = tmp_path / "meeting notes.txt"
    notes.write_text("We agreed to move the offsite to Lisbon.")
    from_file = synap_client.memories.create_from_file("u1", customer_id="c1", file_path=str(notes), metadata={"k": 1})
    from_text = synap_client.memories.create_from_file("u1", customer_id="c1", text="Budget approved", mode="fast")
    for upload in (from_file, from_text):
        assert synap_client.memories.wait_for_completion(upload.ingestion_id, poll_interval_seconds=0.05).is_terminal
    found = synap_client.context.user("u1", customer_id="c1", search_query=["lisbon offsite"])
    assert [fact.content for fact in found.facts] == ["We agreed to move the offsite to Lisbon."]
    assert found.facts[0].metadata == {"k": 1}
