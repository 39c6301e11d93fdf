"""SynapClient configuration, whoami, create, status and wait_for_completion."""

import json
import uuid
from typing import List

import pytest
import responses

from synap_sync import (
    IngestStatus,
    SynapAuthError,
    SynapClient,
    SynapConflictError,
    SynapError,
    SynapNotFoundError,
    SynapTimeoutError,
    SynapValidationError,
)
from synap_sync._constants import DEFAULT_BASE_URL, DEFAULT_DEADLINE, DEFAULT_TIMEOUT, STATUS_PATH
from synap_sync._transport import Transport

from .conftest import API_KEY, BASE_URL

INGESTION_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
STATUS_URL = f"{BASE_URL}/api/v1/memories/status/{INGESTION_ID}"
CREATE_URL = f"{BASE_URL}/api/v1/memories/create"
WHOAMI_URL = f"{BASE_URL}/api/v1/auth/whoami"


def status_body(status: str) -> dict:
    return {"ingestion_id": INGESTION_ID, "document_id": "d", "status": status, "queued_at": "2026-01-01T00:00:00Z"}


def test_missing_api_key_is_an_auth_error_before_any_request() -> None:
    with pytest.raises(SynapAuthError, match="SYNAP_API_KEY"):
        SynapClient()


def test_configuration_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNAP_API_KEY", API_KEY)
    monkeypatch.setenv("SYNAP_BASE_URL", "https://eu.synap.test/")
    monkeypatch.setenv("SYNAP_INSTANCE_ID", "inst_0123456789abcdef")
    client = SynapClient()
    assert client.base_url == "https://eu.synap.test"
    assert client.instance_id == "inst_0123456789abcdef"


@responses.activate
def test_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNAP_API_KEY", "synap_from_env")
    monkeypatch.setenv("SYNAP_BASE_URL", "https://env.synap.test")
    client = SynapClient(api_key=API_KEY, base_url="https://arg.synap.test")
    assert client.base_url == "https://arg.synap.test"
    responses.add(responses.GET, "https://arg.synap.test" + STATUS_PATH + INGESTION_ID, json=status_body("queued"))
    client.memories.status(INGESTION_ID)
    assert responses.calls[0].request.headers["Authorization"] == f"Bearer {API_KEY}"


def test_defaults_are_the_official_ones() -> None:
    client = SynapClient(api_key=API_KEY)
    assert client.base_url == DEFAULT_BASE_URL
    assert client.timeout == DEFAULT_TIMEOUT == (5.0, 30.0)
    assert client.max_retries == 2
    assert client.deadline == DEFAULT_DEADLINE


@pytest.mark.parametrize("instance_id", ["inst_123", "instance_0123456789abcdef", "inst_0123456789abcdeg"])
def test_malformed_instance_id_is_refused(instance_id: str) -> None:
    with pytest.raises(SynapValidationError) as caught:
        SynapClient(api_key=API_KEY, instance_id=instance_id)
    assert caught.value.field == "instance_id"


@pytest.mark.parametrize("timeout", [0, -1, (1, 2, 3), "5", (None, 1)])
def test_bad_timeout_is_refused(timeout: object) -> None:
    with pytest.raises(SynapValidationError) as caught:
        SynapClient(api_key=API_KEY, timeout=timeout)  # type: ignore[arg-type]
    assert caught.value.field == "timeout"


def test_timeout_takes_a_float_or_a_connect_read_pair() -> None:
    assert SynapClient(api_key=API_KEY, timeout=3).timeout == (3.0, 3.0)
    assert SynapClient(api_key=API_KEY, timeout=(1, 9)).timeout == (1.0, 9.0)


def test_plain_http_is_refused_for_remote_hosts() -> None:
    with pytest.raises(SynapValidationError, match="unencrypted") as caught:
        SynapClient(api_key=API_KEY, base_url="http://synap.example.com")
    assert caught.value.field == "base_url"
    assert API_KEY not in str(caught.value)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost:9", "http://[::1]:80", "http://127.8.0.1"])
def test_plain_http_is_allowed_to_loopback(url: str) -> None:
    assert SynapClient(api_key=API_KEY, base_url=url).base_url == url


def test_plain_http_to_a_remote_host_needs_the_explicit_opt_in() -> None:
    client = SynapClient(api_key=API_KEY, base_url="http://synap.internal", allow_insecure_http=True)
    assert client.base_url == "http://synap.internal"


def test_repr_hides_the_key() -> None:
    client = SynapClient(api_key=API_KEY, base_url=BASE_URL)
    assert API_KEY not in repr(client) and "***" in repr(client)


@responses.activate
def test_a_closed_client_refuses_to_send() -> None:
    responses.add(responses.GET, STATUS_URL, json=status_body("queued"))
    with SynapClient(api_key=API_KEY, base_url=BASE_URL) as client:
        client.memories.status(INGESTION_ID)
    with pytest.raises(SynapError, match="closed"):
        client.memories.status(INGESTION_ID)
    assert len(responses.calls) == 1


@responses.activate
def test_initialize_learns_ids_and_sends_them(client: SynapClient) -> None:
    responses.add(
        responses.GET,
        WHOAMI_URL,
        json={
            "client_id": "cli_1",
            "instance_id": "inst_0123456789abcdef",
            "user_context_isolation": "equals_customer",
        },
    )
    responses.add(responses.GET, STATUS_URL, json=status_body("queued"))
    identity = client.initialize()
    assert identity is not None and identity.is_b2c
    client.memories.status(INGESTION_ID)
    headers = responses.calls[1].request.headers
    assert headers["X-Instance-ID"] == "inst_0123456789abcdef" and headers["X-Client-ID"] == "cli_1"
    from synap_sync import SynapCustomerIdNotAcceptedError

    with pytest.raises(SynapCustomerIdNotAcceptedError, match="customer_id"):  # B2C: refused before sending
        client.memories.create("hello", user_id="u1", customer_id="c1")
    assert len(responses.calls) == 2


@responses.activate
def test_initialize_raises_on_a_bad_key(client: SynapClient) -> None:
    responses.add(responses.GET, WHOAMI_URL, status=401, json={"detail": "Invalid API key"})
    with pytest.raises(SynapAuthError, match="Invalid API key"):
        client.initialize()


@responses.activate
def test_initialize_survives_a_transient_failure(client: SynapClient, sleeps: List[float]) -> None:
    responses.add(responses.GET, WHOAMI_URL, status=503)
    assert client.initialize() is None
    assert client.identity is None


@responses.activate
def test_create_sends_one_document_object(client: SynapClient) -> None:
    responses.add(
        responses.POST,
        CREATE_URL,
        json={
            "ingestion_id": INGESTION_ID,
            "document_id": "d-1",
            "status": "queued",
            "queued_at": "2026-01-01T00:00:00Z",
        },
    )
    result = client.memories.create("User: hi", user_id="u1", customer_id="c1", document_id="d-1", mode="fast")
    sent = json.loads(responses.calls[0].request.body)
    assert sent == {
        "document": "User: hi",
        "document_type": "ai-chat-conversation",
        "document_id": "d-1",
        "document_created_at": None,
        "user_id": "u1",
        "customer_id": "c1",
        "scope": None,
        "mode": "fast",
        "metadata": {},
    }
    assert result.ingestion_id == uuid.UUID(INGESTION_ID) and result.status is IngestStatus.QUEUED


@responses.activate
def test_create_refuses_customer_id_on_a_b2c_instance(client: SynapClient) -> None:
    responses.add(
        responses.GET,
        WHOAMI_URL,
        json={"client_id": "c", "instance_id": None, "user_context_isolation": "equals_customer"},
    )
    client.initialize()
    with pytest.raises(SynapValidationError) as caught:
        client.memories.create("x", customer_id="cust")
    assert caught.value.field == "customer_id"
    assert len(responses.calls) == 1


@responses.activate
def test_create_of_a_duplicate_document_id_is_a_conflict(client: SynapClient) -> None:
    responses.add(
        responses.POST, CREATE_URL, status=409, json={"error": "document_id already exists", "code": "CONFLICT"}
    )
    with pytest.raises(SynapConflictError):
        client.memories.create("x", document_id="d-1")


def test_create_checks_its_fields() -> None:
    client = SynapClient(api_key=API_KEY, base_url=BASE_URL)
    with pytest.raises(SynapValidationError) as caught:
        client.memories.create("x", document_type="fax")
    assert caught.value.field == "document_type"


@responses.activate
def test_status_of_an_unknown_id_is_not_found(client: SynapClient) -> None:
    responses.add(responses.GET, STATUS_URL, status=404, json={"detail": "ingestion not found"})
    with pytest.raises(SynapNotFoundError, match="ingestion not found"):
        client.memories.status(uuid.UUID(INGESTION_ID))


@pytest.mark.parametrize("ingestion_id", ["", "  ", None, 5])
def test_status_refuses_an_empty_id(ingestion_id: object) -> None:
    client = SynapClient(api_key=API_KEY, base_url=BASE_URL)
    with pytest.raises(SynapValidationError):
        client.memories.status(ingestion_id)  # type: ignore[arg-type]


@responses.activate
def test_wait_for_completion_polls_until_terminal(client: SynapClient) -> None:
    for status in ("queued", "processing", "completed"):
        responses.add(responses.GET, STATUS_URL, json=status_body(status))
    final = client.memories.wait_for_completion(INGESTION_ID, timeout_seconds=5, poll_interval_seconds=0.01)
    assert final.status is IngestStatus.COMPLETED
    assert len(responses.calls) == 3


@responses.activate
def test_wait_for_completion_returns_a_failed_ingestion(client: SynapClient) -> None:
    responses.add(responses.GET, STATUS_URL, json=dict(status_body("failed"), error_message="unreadable"))
    assert client.memories.wait_for_completion(INGESTION_ID).error_message == "unreadable"


@responses.activate
def test_wait_for_completion_times_out_with_the_last_status(client: SynapClient) -> None:
    responses.add(responses.GET, STATUS_URL, json=status_body("processing"))
    with pytest.raises(SynapTimeoutError) as caught:
        client.memories.wait_for_completion(INGESTION_ID, timeout_seconds=0)
    assert caught.value.last_status.status is IngestStatus.PROCESSING
    assert isinstance(caught.value, TimeoutError)


@responses.activate
def test_unknown_status_while_waiting_is_tolerated(client: SynapClient) -> None:
    responses.add(responses.GET, STATUS_URL, json=status_body("reindexing"))
    responses.add(responses.GET, STATUS_URL, json=status_body("completed"))
    final = client.memories.wait_for_completion(INGESTION_ID, poll_interval_seconds=0.01)
    assert final.status is IngestStatus.COMPLETED


def test_errors_pickle_with_their_fields() -> None:
    import pickle

    from synap_sync import SynapRateLimitError

    error = SynapRateLimitError("slow down", retry_after=2.0, correlation_id="cid", status_code=429)
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), copy.retry_after, copy.correlation_id, str(copy)) == (type(error), 2.0, "cid", str(error))


def test_every_error_type_survives_pickling() -> None:
    """A worker of a cluster raises them, the caller unpickles them: SynapTimeoutError is also an OSError,
    which Exception.__new__ cannot build."""
    import pickle

    from synap_sync import errors

    for name in errors.__all__:
        error_type = getattr(errors, name)
        if not isinstance(error_type, type) or not issubclass(error_type, errors.SynapError):
            continue
        error = error_type.__new__(error_type)
        errors.SynapError.__init__(error, f"{name} happened", correlation_id="cid")
        copy = pickle.loads(pickle.dumps(error))
        assert (type(copy), copy.correlation_id, str(copy)) == (error_type, "cid", str(error)), name


def test_official_error_names_still_import_with_a_deprecation_warning() -> None:
    import synap_sync
    from synap_sync import errors

    with pytest.warns(DeprecationWarning, match="RateLimitError"):
        from synap_sync import RateLimitError  # noqa: F401
    with pytest.warns(DeprecationWarning):
        assert synap_sync.AuthenticationError is synap_sync.SynapAuthError
    with pytest.warns(DeprecationWarning):
        assert errors.InvalidInputError is synap_sync.SynapValidationError
    assert "RateLimitError" not in synap_sync.__all__
    with pytest.raises(AttributeError):
        synap_sync.NoSuchName  # type: ignore[attr-defined]  # noqa: B018


def test_proxy_settings_are_read_from_the_environment_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "")
    transport = Transport(API_KEY, BASE_URL)
    monkeypatch.delenv("HTTPS_PROXY")
    assert transport.proxies.get("https") == "http://proxy.internal:3128"


def test_no_proxy_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "synap.test")
    assert Transport(API_KEY, BASE_URL).proxies == {}


@responses.activate
def test_a_netrc_entry_cannot_replace_the_api_key(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine synap.test login someone password other-secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    responses.add(responses.GET, STATUS_URL, json=status_body("queued"))
    SynapClient(api_key=API_KEY, base_url=BASE_URL).memories.status(INGESTION_ID)
    assert responses.calls[0].request.headers["Authorization"] == f"Bearer {API_KEY}"
