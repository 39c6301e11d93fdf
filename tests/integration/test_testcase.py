"""`synap_sync.testcase.SynapEmulatorMixin` under unittest's own runner, as ``manage.py test`` runs it."""

import os
import unittest

import pytest

from synap_sync import SynapClient, SynapError
from synap_sync.django import get_client
from synap_sync.testcase import SynapEmulatorMixin


def test_one_emulator_per_class_emptied_per_test_clients_closed_and_pointed_at_it() -> None:
    seen = []

    class Chat(SynapEmulatorMixin, unittest.TestCase):
        def test_1_stores(self) -> None:
            self.synap_client.memories.batch_create([{"document": "x", "document_id": "one"}])
            seen.append((self.synap_emulator, self.synap_client, len(self.synap_emulator.stored_documents())))

        def test_2_starts_empty_and_every_way_of_getting_a_client_reaches_it(self) -> None:
            with SynapClient() as from_environment:
                from_environment.memories.batch_create([{"document": "y", "document_id": "two"}])
            self.assertIs(get_client(), self.synap_client)
            ids = [document["document_id"] for document in self.synap_emulator.stored_documents()]
            seen.append((self.synap_emulator, self.synap_client, ids))

    before = os.environ.get("SYNAP_BASE_URL")
    with open(os.devnull, "w") as quiet:
        result = unittest.TextTestRunner(stream=quiet, verbosity=0).run(
            unittest.defaultTestLoader.loadTestsFromTestCase(Chat)
        )
    assert result.wasSuccessful(), result.errors + result.failures
    (emulator, first_client, count), (same_emulator, second_client, ids) = seen
    assert emulator is same_emulator and count == 1 and ids == ["two"]
    assert first_client is not second_client
    for client in (first_client, second_client):  # closed after their test: a call is refused
        with pytest.raises(SynapError, match="closed"):
            client.memories.status("ing")
    assert os.environ.get("SYNAP_BASE_URL") == before  # the environment is given back
    with pytest.raises(RuntimeError, match="not running"):  # stopped with the class
        getattr(emulator, "base_url")  # noqa: B009 - the property raises once stopped
