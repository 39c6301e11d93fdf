"""For test suites on ``unittest`` (Django's ``manage.py test`` among them): a mixin that gives each
test class one emulator, emptied before each test, and points the project's clients at it.

::

    from django.test import SimpleTestCase
    from synap_sync.testcase import SynapEmulatorMixin

    class ChatTests(SynapEmulatorMixin, SimpleTestCase):
        def test_stores(self):
            self.client.post("/conversations/", ...)
            self.assertEqual(len(self.synap_emulator.stored_documents()), 1)

Neither pytest nor Django is needed to import it (the pytest fixtures live in `synap_sync.testing`);
`FakeClock` is here too.
"""

from __future__ import annotations

import os
import unittest.mock
from typing import Any, ClassVar, Dict

from ._clock import FakeClock
from .client import SynapClient
from .django import override_client
from .emulator import Emulator

__all__ = ["EMULATOR_API_KEY", "FakeClock", "SynapEmulatorMixin"]

#: The key the test clients present; the emulator accepts any non-empty key unless told otherwise.
EMULATOR_API_KEY = "synap_emulator_test_key"


class SynapEmulatorMixin:
    """Mix into any ``unittest.TestCase`` (``django.test.SimpleTestCase``, ``TestCase``, ...), before it.

    For each class, one `Emulator` on a free loopback port (``self.synap_emulator``), started once
    (ingestions complete in 0.3 s; change ``synap_emulator_options`` for other knobs). For each test,
    it is emptied, ``self.synap_client`` is a client connected to it (closed after the test),
    ``synap_sync.django.get_client()`` returns that client, and ``SYNAP_BASE_URL``/``SYNAP_API_KEY``
    point any client built from the environment at the emulator too.
    """

    synap_emulator_options: ClassVar[Dict[str, Any]] = {"completion_seconds": 0.3}
    synap_emulator: ClassVar[Emulator]
    synap_client: SynapClient

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()  # type: ignore[misc]
        cls.synap_emulator = Emulator(**cls.synap_emulator_options).start()
        cls.addClassCleanup(cls.synap_emulator.stop)  # type: ignore[attr-defined]

    def setUp(self) -> None:
        super().setUp()  # type: ignore[misc]
        self.synap_emulator.reset()
        self.synap_client = SynapClient(api_key=EMULATOR_API_KEY, base_url=self.synap_emulator.base_url)
        self.addCleanup(self.synap_client.close)  # type: ignore[attr-defined]
        environment = {"SYNAP_BASE_URL": self.synap_emulator.base_url, "SYNAP_API_KEY": EMULATOR_API_KEY}
        self._synap_enter(unittest.mock.patch.dict(os.environ, environment))
        self._synap_enter(override_client(self.synap_client))

    def _synap_enter(self, context: Any) -> None:
        context.__enter__()
        self.addCleanup(context.__exit__, None, None, None)  # type: ignore[attr-defined]
