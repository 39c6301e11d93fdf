"""Shared fixtures: a client aimed at a fake host (for `responses`) on a clock that never waits."""

from typing import Any, Callable, Iterator, List

import pytest

from synap_sync import SynapClient
from synap_sync.testing import FakeClock

API_KEY = "synap_secret_test_key_0123456789"
BASE_URL = "https://synap.test"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SYNAP_API_KEY", "SYNAP_BASE_URL", "SYNAP_INSTANCE_ID"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def clock() -> FakeClock:
    """The no-wait clock: every retry or pacing wait is recorded in ``clock.sleeps`` and returns at once."""
    return FakeClock()


@pytest.fixture
def sleeps(clock: FakeClock) -> List[float]:
    """Every wait the client asked its clock for."""
    return clock.sleeps


@pytest.fixture
def client(clock: FakeClock) -> Iterator[SynapClient]:
    with SynapClient(api_key=API_KEY, base_url=BASE_URL, clock=clock) as synap:
        yield synap


@pytest.fixture
def no_backoff() -> Iterator[Callable[..., SynapClient]]:
    """Makes clients for a loopback emulator that retry at once: the faults are real, only the
    sleeping between attempts is not (pacing still waits in real time)."""
    made: List[SynapClient] = []

    def make(base_url: str, api_key: str = "synap_k", **options: Any) -> SynapClient:
        made.append(SynapClient(api_key=api_key, base_url=base_url, backoff_seconds=0, **options))
        return made[-1]

    yield make
    for client in made:
        client.close()
