"""pytest fixtures for testing code that uses synap_sync, against the local emulator.

Enable them in your ``conftest.py``::

    pytest_plugins = ["synap_sync.testing"]

then ask for ``synap_emulator`` (a running `Emulator`, emptied before each test) or ``synap_client``
(a client connected to it). One emulator serves the whole session (``synap_emulator_session``), so a
test pays no start-up. In a Django project, ``synap_django_client`` points ``synap_sync.django.get_client()``
at it for the test. `FakeClock` makes a client's retries and pacing return at once:
``SynapClient(..., clock=FakeClock())``. For ``unittest`` and Django's ``manage.py test``, see
`synap_sync.testcase`.

`FakeClock` and `EMULATOR_API_KEY` import without pytest; the fixtures are defined only where pytest is.
"""

from __future__ import annotations

from typing import Iterator

from ._clock import FakeClock
from .client import SynapClient
from .emulator import Emulator
from .testcase import EMULATOR_API_KEY

__all__ = ["EMULATOR_API_KEY", "FakeClock"]


try:
    import pytest
except ImportError:  # FakeClock without pytest: a script, a notebook, Django's own test runner
    pytest = None  # type: ignore[assignment]

if pytest is not None:
    __all__ += ["synap_emulator_session", "synap_emulator", "synap_client", "synap_django_client"]

    @pytest.fixture(scope="session")
    def synap_emulator_session() -> Iterator[Emulator]:
        """One emulator on a free loopback port for the whole test session; ingestions complete in 0.3 s."""
        with Emulator(completion_seconds=0.3) as emulator:
            yield emulator

    @pytest.fixture
    def synap_emulator(synap_emulator_session: Emulator) -> Emulator:
        """The session's emulator, emptied for this test: as fresh as a new one, without the start-up."""
        synap_emulator_session.reset()
        return synap_emulator_session

    @pytest.fixture
    def synap_client(synap_emulator: Emulator) -> Iterator[SynapClient]:
        """A client pointed at ``synap_emulator``, closed after the test."""
        with SynapClient(api_key=EMULATOR_API_KEY, base_url=synap_emulator.base_url) as client:
            yield client

    @pytest.fixture
    def synap_django_client(
        synap_client: SynapClient, synap_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
    ) -> Iterator[SynapClient]:
        """For the test, ``synap_sync.django.get_client()`` returns ``synap_client`` (connected to the
        emulator), whatever the settings say, and any client built from the environment reaches the emulator
        too (``SYNAP_BASE_URL``, ``SYNAP_API_KEY``). Django must be installed."""
        from .django import override_client

        monkeypatch.setenv("SYNAP_BASE_URL", synap_emulator.base_url)
        monkeypatch.setenv("SYNAP_API_KEY", EMULATOR_API_KEY)
        with override_client(synap_client):
            yield synap_client
