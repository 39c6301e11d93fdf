"""Shared fixtures: a client aimed at a fake host (for `responses`) on a clock that never waits."""

import functools
import os
from typing import Any, Callable, Dict, Iterator, List

import pytest
import responses
from hypothesis import HealthCheck, settings

from synap_sync import SynapClient
from synap_sync.testing import FakeClock

# The property tests try 300 examples each; HYPOTHESIS_PROFILE=quick tries 25, for a run on every save.
settings.register_profile("thorough", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("quick", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "thorough"))

API_KEY = "synap_secret_test_key_0123456789"
BASE_URL = "https://synap.test"


#: What whoami says on a B2C instance (each user is their own customer).
WHOAMI_B2C = {"client_id": "cli_1", "instance_id": "inst_0123456789abcdef", "user_context_isolation": "equals_customer"}


def known_b2c(client: SynapClient) -> None:
    """Initialize ``client`` against a B2C instance (under an active `responses` mock)."""
    responses.add(responses.GET, BASE_URL + "/api/v1/auth/whoami", json=WHOAMI_B2C)
    client.initialize()


def docs(
    count: int, prefix: str = "d", *, ids: bool = True, text: str = "User: note {}", **fields: Any
) -> List[Dict[str, Any]]:
    """``count`` documents numbered from 0: ``text`` with the number in it, ``document_id`` ``prefix``
    and the number (none with ``ids=False``), and any other fields as given."""
    made = []
    for number in range(count):
        document: Dict[str, Any] = {"document": text.format(number), **fields}
        if ids:
            document["document_id"] = f"{prefix}{number}"
        made.append(document)
    return made


@pytest.fixture(scope="session", autouse=True)
def session_pace_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Processes started for a whole module (a Dask cluster's workers) keep their paces in a folder of the
    session's, never in the user's runtime directory; each test then gets a folder of its own."""
    before = os.environ.get("SYNAP_PACE_URL")
    os.environ["SYNAP_PACE_URL"] = f"file://{tmp_path_factory.mktemp('session-pace')}"
    yield
    if before is None:
        del os.environ["SYNAP_PACE_URL"]
    else:
        os.environ["SYNAP_PACE_URL"] = before


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No SYNAP_ variable from the shell; and the key's pace shared through a host file, as by default, but
    in a folder of the test's own, so that no test (and no earlier run) leaves a learned pace to the next.
    The processes a test starts inherit it, and share that pace with it."""
    for name in ("SYNAP_API_KEY", "SYNAP_BASE_URL", "SYNAP_INSTANCE_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SYNAP_PACE_URL", f"file://{tmp_path_factory.mktemp('pace')}")


@pytest.fixture(autouse=True)
def every_client_closed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every `SynapClient` a test makes in this process is closed when the test ends, however it ended:
    no test leaves pooled sockets behind for the next (a test about closing closes its own first)."""
    made: List[SynapClient] = []
    build = SynapClient.__init__

    @functools.wraps(build)  # its signature stays SynapClient's: synap_sync.django reads it
    def init_and_keep(self: SynapClient, *args: Any, **kwargs: Any) -> None:
        build(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(SynapClient, "__init__", init_and_keep)
    yield
    for client in made:
        client.close()


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


@pytest.fixture
def ctrl_c_reaches_python() -> Iterator[None]:
    """Ctrl-C (SIGINT) raises KeyboardInterrupt in this process for the test, as in a terminal: a shell
    running the suite in the background (``cmd &``) starts it with SIGINT ignored."""
    import signal

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.fixture
def tracing() -> Iterator[Any]:
    """OpenTelemetry's SDK with the requests instrumentation on, as an APM agent sets it up: the tracer
    provider, and the exporter holding every finished span."""
    from opentelemetry.instrumentation.requests import RequestsInstrumentor
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrumentor = RequestsInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        yield provider, exporter
    finally:
        instrumentor.uninstrument()
