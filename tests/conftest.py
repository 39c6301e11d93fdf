"""Shared fixtures: a client aimed at a fake host (for `responses`) whose retry waits are recorded."""

from typing import Iterator, List

import pytest

from synap_sync import SynapClient, _transport

API_KEY = "synap_secret_test_key_0123456789"
BASE_URL = "https://synap.test"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SYNAP_API_KEY", "SYNAP_BASE_URL", "SYNAP_INSTANCE_ID"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> List[float]:
    """Every retry wait the transport asks for, without waiting."""
    waited: List[float] = []
    monkeypatch.setattr(_transport, "_sleep", waited.append)
    return waited


@pytest.fixture
def client(sleeps: List[float]) -> Iterator[SynapClient]:
    with SynapClient(api_key=API_KEY, base_url=BASE_URL) as synap:
        yield synap


pytest_plugins = ["synap_sync.testing"]
