"""The example project's tests as a legacy Django suite writes them: ``django.test`` test cases, run by
``python manage.py test`` with nothing else installed, and by pytest-django alike, against the emulator
through the mixin: views, the read side, a management command, and get_client from settings."""

import json
import os
import tempfile
import unittest.mock
from pathlib import Path

from django.core.management import CommandError, call_command
from django.test import SimpleTestCase, override_settings

from synap_sync import SynapClient, SynapValidationError
from synap_sync.django import close_client, get_client, override_client
from synap_sync.emulator import Emulator
from synap_sync.testcase import SynapEmulatorMixin

CHAT = {"conversation_id": "42", "user_id": "u1", "customer_id": "c1", "turns": ["User: hi", "Assistant: hello"]}


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


class ConversationViewTests(SynapEmulatorMixin, SimpleTestCase):
    def test_the_view_stores_a_conversation(self) -> None:
        response = post_json(self.client, "/conversations/", CHAT)
        self.assertEqual(response.status_code, 201)
        self.assertEqual(response.json()["document_id"], "chat-42")
        (stored,) = self.synap_emulator.stored_documents()
        self.assertEqual(stored["document"], "User: hi\nAssistant: hello")
        self.assertEqual(stored["customer_id"], "c1")

    def test_each_test_starts_with_an_empty_emulator_and_get_client_reaches_it(self) -> None:
        self.assertEqual(self.synap_emulator.stored_documents(), [])
        self.assertIs(get_client(), self.synap_client)

    def test_posting_the_same_conversation_again_is_not_an_error(self) -> None:
        first = post_json(self.client, "/conversations/", CHAT)
        again = post_json(self.client, "/conversations/", CHAT)
        self.assertEqual((first.status_code, again.status_code), (201, 201))

    def test_a_bad_conversation_is_a_400(self) -> None:
        response = self.client.post("/conversations/", "not json", content_type="application/json")
        self.assertEqual(response.status_code, 400)

    def test_a_conversation_stored_then_read_for_a_prompt_then_forgotten(self) -> None:
        conversation = "7d444840-9dc0-11d1-b245-5ffdce74fad2"
        chat = dict(CHAT, conversation_id=conversation, turns=["User: I only drink green tea", "Assistant: noted"])
        stored = post_json(self.client, "/conversations/", chat)
        self.assertEqual(stored.status_code, 201)
        self.synap_client.memories.wait_for_completion(stored.json()["ingestion_id"], poll_interval_seconds=0.05)
        context_url = f"/conversations/{conversation}/context/?user_id=u1&customer_id=c1&q=tea"
        prompt = self.client.get(context_url)
        self.assertEqual(prompt.status_code, 200)
        self.assertIn("green tea", prompt.json()["history"])
        self.assertTrue(any("green tea" in fact for fact in prompt.json()["facts"]))
        forgotten = post_json(self.client, "/users/u1/forget/", {"customer_id": "c1"})
        self.assertEqual(forgotten.status_code, 200)
        self.assertEqual(forgotten.json(), {"status": "complete", "fully_removed": True})
        self.assertEqual(self.client.get(context_url).json(), {"history": "", "facts": []})

    def test_messages_recorded_one_by_one_are_the_next_prompts_context(self) -> None:
        url = "/conversations/8e555951-9dc0-11d1-b245-5ffdce74fad2/"
        for role, content in (("user", "My dog is called Pixel"), ("assistant", "What a good name")):
            message = {"role": role, "content": content, "user_id": "u1", "customer_id": "c1"}
            recorded = post_json(self.client, url + "messages/", message)
            self.assertEqual(recorded.status_code, 201, recorded.json())
        self.assertEqual(recorded.json()["count"], 2)
        prompt = self.client.get(url + "context/?user_id=u1&customer_id=c1")
        self.assertEqual(prompt.json()["history"], "user: My dog is called Pixel\nassistant: What a good name")

    def test_a_message_with_a_role_the_service_does_not_know_is_a_400_naming_it(self) -> None:
        message = {"role": "system", "content": "x", "user_id": "u1", "customer_id": "c1"}
        response = post_json(self.client, "/conversations/8e555951-9dc0-11d1-b245-5ffdce74fad2/messages/", message)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["field"], "role")

    def test_a_client_built_from_the_environment_reaches_the_emulator_too(self) -> None:
        with SynapClient() as from_environment:  # as code elsewhere in a project might build one
            from_environment.memories.batch_create([{"document": "x", "document_id": "env-1"}])
        stored = [document["document_id"] for document in self.synap_emulator.stored_documents()]
        self.assertEqual(stored, ["env-1"])


class ThrottledViewTests(SimpleTestCase):
    def test_the_view_answers_503_with_retry_after_when_the_service_throttles(self) -> None:
        with Emulator(rate_limit=0.1, burst=1) as throttled:  # one request now, the next in ten seconds
            with SynapClient(api_key="synap_k", base_url=throttled.base_url) as client, override_client(client):
                first = post_json(self.client, "/conversations/", CHAT)
                second = post_json(self.client, "/conversations/", dict(CHAT, conversation_id="43"))
        self.assertEqual(first.status_code, 201)
        self.assertEqual(second.status_code, 503)  # at once: ten seconds will not fit in the view's two
        self.assertGreaterEqual(int(second["Retry-After"]), 1)


class IngestHistoryCommandTests(SynapEmulatorMixin, SimpleTestCase):
    def test_a_rerun_of_the_command_sends_nothing_new(self) -> None:
        with tempfile.TemporaryDirectory() as directory:
            history = Path(directory) / "history.jsonl"
            lines = (
                json.dumps({"document": f"User: note {n}", "user_id": "u", "customer_id": "c"}) for n in range(250)
            )
            history.write_text("".join(line + "\n" for line in lines))
            call_command("ingest_history", str(history), "--no-progress")
            call_command("ingest_history", str(history), "--no-progress")
            self.assertTrue((Path(directory) / "history.jsonl.journal").exists())
        self.assertEqual(len(self.synap_emulator.stored_documents()), 250)

    def test_the_command_fails_when_documents_fail(self) -> None:
        with tempfile.TemporaryDirectory() as directory:
            history = Path(directory) / "history.jsonl"
            history.write_text(json.dumps({"document": "User: hi", "user_id": "u"}) + "\n")  # B2B: needs customer_id
            with self.assertRaisesRegex(CommandError, "1 documents failed"):
                call_command("ingest_history", str(history), "--no-progress")


class SettingsTests(SimpleTestCase):
    def tearDown(self) -> None:
        close_client()

    def test_get_client_is_built_once_from_settings_then_the_environment(self) -> None:
        with Emulator() as emulator, unittest.mock.patch.dict(os.environ, {"SYNAP_BASE_URL": emulator.base_url}):
            close_client()
            with override_settings(SYNAP_SYNC={"api_key": "synap_from_settings", "deadline": 5.0}):
                client = get_client()
                self.assertIs(get_client(), client)
                self.assertEqual((client.base_url, client.deadline), (emulator.base_url, 5.0))
                self.assertEqual(client.memories.batch_create([{"document": "x"}]).succeeded, 1)

    def test_the_keys_pace_is_kept_where_settings_say_for_every_process_of_the_site(self) -> None:
        with tempfile.TemporaryDirectory() as directory, Emulator() as emulator:
            close_client()
            pace_url = f"file://{directory}"  # or redis://host:6379/0 for the processes of several hosts
            synap_sync = {"api_key": "synap_k", "base_url": emulator.base_url, "pace_url": pace_url}
            with override_settings(SYNAP_SYNC=dict(synap_sync, interactive_share=0.3)):
                client = get_client()
                client.memories.batch_create([{"document": "x"}])
                self.assertEqual(client.pace_url, pace_url)
                self.assertTrue(client.pace().store.startswith(f"the host file {directory}{os.sep}pace-"))
            close_client()

    def test_an_unknown_option_in_settings_is_named(self) -> None:
        close_client()
        with override_settings(SYNAP_SYNC={"api_key": "k", "retries": 3}):
            with self.assertRaisesRegex(SynapValidationError, "'retries' is not a SynapClient option"):
                get_client()
