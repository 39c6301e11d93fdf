"""pytest fixtures for testing code that uses synap_sync, against the local emulator.

Enable them in your ``conftest.py``::

    pytest_plugins = ["synap_sync.testing"]

then ask for ``synap_emulator`` (a running `Emulator`) or ``synap_client`` (a client connected to it).
`FakeClock` makes a client's retries and pacing return at once: ``SynapClient(..., clock=FakeClock())``.
"""

from __future__ import annotations

from typing import Iterator

import pytest

from ._clock import FakeClock
from .client import SynapClient
from .emulator import Emulator

__all__ = ["synap_emulator", "synap_client", "EMULATOR_API_KEY", "FakeClock"]

#: The key ``synap_client`` presents; the emulator accepts any non-empty key unless told otherwise.
EMULATOR_API_KEY = "synap_emulator_test_key"


@pytest.fixture
def synap_emulator() -> Iterator[Emulator]:
    """A fresh emulator on a free loopback port; ingestions complete in 0.3 s."""
    with Emulator(completion_seconds=0.3) as emulator:
        yield emulator


@pytest.fixture
def synap_client(synap_emulator: Emulator) -> Iterator[SynapClient]:
    """A client pointed at ``synap_emulator``, closed after the test."""
    with SynapClient(api_key=EMULATOR_API_KEY, base_url=synap_emulator.base_url) as client:
        yield client
