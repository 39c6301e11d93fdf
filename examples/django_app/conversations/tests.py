"""The example project's tests as a legacy Django suite writes them: ``django.test`` test cases, run by
``python manage.py test`` (and by pytest-django as well), against the emulator through the mixin."""

import json
import tempfile
from pathlib import Path

from django.core.management import call_command
from django.test import SimpleTestCase

from synap_sync.django import get_client
from synap_sync.testcase import SynapEmulatorMixin

CHAT = {"conversation_id": "42", "user_id": "u1", "customer_id": "c1", "turns": ["User: hi", "Assistant: hello"]}


class ConversationViewTests(SynapEmulatorMixin, SimpleTestCase):
    def test_the_view_stores_a_conversation(self) -> None:
        response = self.client.post("/conversations/", json.dumps(CHAT), content_type="application/json")
        self.assertEqual(response.status_code, 201)
        (stored,) = self.synap_emulator.stored_documents()
        self.assertEqual(stored["document"], "User: hi\nAssistant: hello")

    def test_each_test_starts_with_an_empty_emulator_and_get_client_reaches_it(self) -> None:
        self.assertEqual(self.synap_emulator.stored_documents(), [])
        self.assertIs(get_client(), self.synap_client)

    def test_messages_recorded_one_by_one_are_the_next_prompts_context(self) -> None:
        url = "/conversations/8e555951-9dc0-11d1-b245-5ffdce74fad2/"
        for role, content in (("user", "My dog is called Pixel"), ("assistant", "What a good name")):
            message = {"role": role, "content": content, "user_id": "u1", "customer_id": "c1"}
            recorded = self.client.post(url + "messages/", json.dumps(message), content_type="application/json")
            self.assertEqual(recorded.status_code, 201, recorded.json())
        prompt = self.client.get(url + "context/?user_id=u1&customer_id=c1")
        self.assertEqual(prompt.json()["history"], "user: My dog is called Pixel\nassistant: What a good name")


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
        self.assertEqual(len(self.synap_emulator.stored_documents()), 250)
