"""The example project against the emulator: a view, a management command, and get_client from settings."""

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client, override_settings

from synap_sync import SynapClient, SynapValidationError
from synap_sync.django import close_client, get_client, override_client
from synap_sync.emulator import Emulator

CHAT = {"conversation_id": "42", "user_id": "u1", "customer_id": "c1", "turns": ["User: hi", "Assistant: hello"]}


def test_the_view_stores_a_conversation(synap_django_client: SynapClient, synap_emulator: Emulator) -> None:
    response = Client().post("/conversations/", json.dumps(CHAT), content_type="application/json")
    assert response.status_code == 201 and response.json()["document_id"] == "chat-42"
    (stored,) = synap_emulator.stored_documents()
    assert stored["document"] == "User: hi\nAssistant: hello" and stored["customer_id"] == "c1"


def test_a_conversation_stored_then_read_for_a_prompt_then_forgotten(
    synap_django_client: SynapClient, synap_emulator: Emulator
) -> None:
    """The read side from a view, blocking: ingest, fetch context for a prompt, forget the user."""
    conversation = "7d444840-9dc0-11d1-b245-5ffdce74fad2"
    chat = dict(CHAT, conversation_id=conversation, turns=["User: I only drink green tea", "Assistant: noted"])
    stored = Client().post("/conversations/", json.dumps(chat), content_type="application/json")
    assert stored.status_code == 201
    synap_django_client.memories.wait_for_completion(stored.json()["ingestion_id"], poll_interval_seconds=0.05)

    context_url = f"/conversations/{conversation}/context/?user_id=u1&customer_id=c1&q=tea"
    prompt = Client().get(context_url)
    assert prompt.status_code == 200
    assert "green tea" in prompt.json()["history"] and any("green tea" in fact for fact in prompt.json()["facts"])

    forgotten = Client().post("/users/u1/forget/", json.dumps({"customer_id": "c1"}), content_type="application/json")
    assert forgotten.status_code == 200 and forgotten.json() == {"status": "complete", "fully_removed": True}
    assert Client().get(context_url).json() == {"history": "", "facts": []}


def test_posting_the_same_conversation_again_is_not_an_error(synap_django_client: SynapClient) -> None:
    first = Client().post("/conversations/", json.dumps(CHAT), content_type="application/json")
    again = Client().post("/conversations/", json.dumps(CHAT), content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 201)


def test_the_view_answers_503_with_retry_after_when_the_service_throttles() -> None:
    with Emulator(rate_limit=0.1, burst=1) as throttled:  # one request now, the next in ten seconds
        with SynapClient(api_key="synap_k", base_url=throttled.base_url) as client, override_client(client):
            first = Client().post("/conversations/", json.dumps(CHAT), content_type="application/json")
            second = Client().post(
                "/conversations/", json.dumps(dict(CHAT, conversation_id="43")), content_type="application/json"
            )
    assert first.status_code == 201
    assert second.status_code == 503 and int(second["Retry-After"]) >= 1  # at once: 10 s will not fit in 2 s


def test_a_bad_conversation_is_a_400(synap_django_client: SynapClient) -> None:
    response = Client().post("/conversations/", "not json", content_type="application/json")
    assert response.status_code == 400


def test_ingest_history_loads_a_file_and_a_rerun_sends_nothing_new(
    synap_django_client: SynapClient, synap_emulator: Emulator, tmp_path: Path
) -> None:
    history = tmp_path / "history.jsonl"
    history.write_text(
        "".join(
            json.dumps({"document": f"User: note {n}", "user_id": "u", "customer_id": "c"}) + "\n" for n in range(250)
        )
    )
    call_command("ingest_history", str(history), "--no-progress")
    call_command("ingest_history", str(history), "--no-progress")
    assert len(synap_emulator.stored_documents()) == 250
    assert (tmp_path / "history.jsonl.journal").exists()


def test_ingest_history_fails_the_command_when_documents_fail(synap_django_client: SynapClient, tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    history.write_text(json.dumps({"document": "User: hi", "user_id": "u"}) + "\n")  # B2B: user_id needs customer_id
    with pytest.raises(CommandError, match="1 documents failed"):
        call_command("ingest_history", str(history), "--no-progress")


def test_get_client_is_built_once_from_settings_then_the_environment(
    synap_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYNAP_BASE_URL", synap_emulator.base_url)
    close_client()
    with override_settings(SYNAP_SYNC={"api_key": "synap_from_settings", "deadline": 5.0}):
        client = get_client()
        assert get_client() is client
        assert client.base_url == synap_emulator.base_url and client.deadline == 5.0
        assert client.memories.batch_create([{"document": "x"}]).succeeded == 1
    close_client()


def test_an_unknown_option_in_settings_is_named() -> None:
    close_client()
    with override_settings(SYNAP_SYNC={"api_key": "k", "retries": 3}):
        with pytest.raises(SynapValidationError, match="'retries' is not a SynapClient option"):
            get_client()


def test_the_fixture_also_points_clients_built_from_the_environment_at_the_emulator(
    synap_django_client: SynapClient, synap_emulator: Emulator
) -> None:
    with SynapClient() as from_environment:  # as code elsewhere in a project might build one
        from_environment.memories.batch_create([{"document": "x", "document_id": "env-1"}])
    assert [document["document_id"] for document in synap_emulator.stored_documents()] == ["env-1"]


def test_each_message_recorded_as_it_happens_is_in_the_next_prompts_context(
    synap_django_client: SynapClient, synap_emulator: Emulator
) -> None:
    """A chat app's loop: record the user's message and the assistant's answer, then read the context
    for the next prompt."""
    conversation = "8e555951-9dc0-11d1-b245-5ffdce74fad2"
    url = f"/conversations/{conversation}/messages/"
    for role, content in (("user", "My dog is called Pixel"), ("assistant", "What a good name")):
        message = {"role": role, "content": content, "user_id": "u1", "customer_id": "c1"}
        recorded = Client().post(url, json.dumps(message), content_type="application/json")
        assert recorded.status_code == 201, recorded.json()
    assert recorded.json()["count"] == 2
    prompt = Client().get(f"/conversations/{conversation}/context/?user_id=u1&customer_id=c1")
    assert prompt.status_code == 200
    assert prompt.json()["history"] == "user: My dog is called Pixel\nassistant: What a good name"


def test_a_message_with_a_role_the_service_does_not_know_is_a_400_naming_it(synap_django_client: SynapClient) -> None:
    conversation = "8e555951-9dc0-11d1-b245-5ffdce74fad2"
    message = {"role": "system", "content": "x", "user_id": "u1", "customer_id": "c1"}
    response = Client().post(
        f"/conversations/{conversation}/messages/", json.dumps(message), content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["field"] == "role"
