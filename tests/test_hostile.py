"""Property tests: whatever a server answers and whatever a caller passes, only SynapError comes out,
and nothing is sent for input that is refused."""

from __future__ import annotations

import json
import math
from typing import Any, Dict

import pytest
import responses
from hypothesis import given, settings
from hypothesis import strategies as st

from synap_sync import (
    BatchCreateResponse,
    CreateMemoryRequest,
    CreateMemoryResponse,
    InstanceIdentity,
    MemoryStatusResponse,
    SynapClient,
    SynapError,
    SynapValidationError,
)
from synap_sync._replies import error_from_reply
from synap_sync.testing import FakeClock

from .conftest import API_KEY, BASE_URL
from .replies import BATCH_URL

SETTINGS = settings()  # the profile conftest.py loads: 300 examples, or 25 with HYPOTHESIS_PROFILE=quick

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
result_like = st.fixed_dictionaries(
    {},
    optional={
        "ingestion_id": st.none() | st.uuids().map(str) | st.text(max_size=40) | st.integers(),
        "document_id": st.none() | st.text(max_size=10) | st.integers(),
        "status": st.sampled_from(["queued", "failed", "deferred"]) | st.none() | st.integers(),
        "queued_at": st.none() | st.text(max_size=30) | st.just("2026-01-01T00:00:00Z"),
        "error_message": st.none() | st.text(max_size=30) | st.lists(st.integers()),
    },
)
batch_like = st.fixed_dictionaries(
    {},
    optional={
        "batch_id": st.none() | st.uuids().map(str) | st.text(max_size=10),
        "total": st.integers() | st.text(max_size=3),
        "succeeded": st.integers(),
        "failed": st.integers() | st.none(),
        "results": st.lists(result_like | json_values, max_size=3) | json_values,
    },
)
header_values = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30)


@SETTINGS
@given(reply=batch_like | json_values)
def test_any_batch_reply_parses_or_is_a_protocol_error(reply: Any) -> None:
    try:
        BatchCreateResponse.from_dict(reply, "cid")
    except SynapError as error:
        assert error.correlation_id == "cid"


@SETTINGS
@given(
    reply=result_like | json_values,
    parse=st.sampled_from([CreateMemoryResponse.from_dict, MemoryStatusResponse.from_dict, InstanceIdentity.from_dict]),
)
def test_any_other_reply_parses_or_is_a_protocol_error(reply: Any, parse: Any) -> None:
    try:
        parse(reply, "cid")
    except SynapError as error:
        assert error.correlation_id == "cid"


@SETTINGS
@given(
    status=st.integers(min_value=100, max_value=599).filter(lambda status: not 200 <= status < 300),
    body=json_values.map(lambda value: json.dumps(value).encode()) | st.binary(max_size=50),
    retry_after=header_values | st.sampled_from(["nan", "inf", "-1", "1e400", "Wed, 21 Oct 2015 07:28:00 GMT"]),
    location=header_values,
)
def test_any_error_reply_maps_to_a_synap_error(status: int, body: bytes, retry_after: str, location: str) -> None:
    error = error_from_reply(status, "Reason", {"Retry-After": retry_after, "Location": location}, body, "cid", API_KEY)
    assert isinstance(error, SynapError) and error.correlation_id == "cid"
    assert error.retry_after is None or (math.isfinite(error.retry_after) and error.retry_after >= 0)


@SETTINGS
@given(
    status=st.integers(min_value=200, max_value=599),
    body=(batch_like | json_values).map(lambda value: json.dumps(value).encode()) | st.binary(max_size=50),
    retry_after=header_values,
)
def test_whatever_the_server_answers_batch_create_raises_only_synap_errors(
    status: int, body: bytes, retry_after: str
) -> None:
    client = SynapClient(api_key=API_KEY, base_url=BASE_URL, max_retries=1, clock=FakeClock())
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, BATCH_URL, status=status, body=body, headers={"Retry-After": retry_after})
        try:
            client.memories.batch_create([{"document": "x", "document_id": "d"}])
        except SynapError:
            pass


field_values = st.one_of(json_values, st.just(float("nan")), st.sets(st.integers(), max_size=2), st.binary(max_size=3))
request_fields = st.fixed_dictionaries(
    {"document": field_values | st.text(max_size=10)},
    optional={
        name: field_values | st.text(max_size=12)
        for name in (
            "document_type",
            "document_id",
            "document_created_at",
            "user_id",
            "customer_id",
            "scope",
            "mode",
            "metadata",
        )
    },
)


@SETTINGS
@given(fields=request_fields)
def test_any_request_fields_build_a_request_or_are_refused_by_name(fields: Dict[str, Any]) -> None:
    try:
        request = CreateMemoryRequest(**fields)
    except SynapValidationError as error:
        assert error.field is not None
    else:
        json.dumps(request.to_dict(), allow_nan=False)  # what was accepted can go on the wire


@SETTINGS
@given(
    documents=st.none()
    | st.integers()
    | st.text(max_size=5)
    | st.dictionaries(st.text(max_size=3), st.text(max_size=3))
    | st.lists(request_fields | json_values, max_size=4),
    fail_fast=st.booleans() | st.none() | st.integers() | st.text(max_size=3) | st.floats(),
)
def test_batch_create_takes_any_arguments_without_sending_what_it_refuses(documents: Any, fail_fast: Any) -> None:
    client = SynapClient(api_key=API_KEY, base_url=BASE_URL, clock=FakeClock())
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, BATCH_URL, json={"not": "a reply"})
        try:
            client.memories.batch_create(documents, fail_fast=fail_fast)
        except SynapValidationError:
            assert len(mock.calls) == 0
        except SynapError:
            assert len(mock.calls) >= 1  # sent (valid input), then the odd reply was refused


@SETTINGS
@given(
    options=st.fixed_dictionaries(
        {},
        optional={
            "fail_fast": json_values,
            "chunk_size": json_values,
            "max_chunk_bytes": json_values,
            "workers": json_values,
            "max_requests_per_second": json_values,
            "derive_ids": json_values,
            "fail_already_stored": json_values,
            "progress": st.booleans() | st.none() | st.integers(),
        },
    )
)
def test_ingest_options_are_checked_before_anything_runs(options: Dict[str, Any]) -> None:
    client = SynapClient(api_key=API_KEY, base_url=BASE_URL, clock=FakeClock())
    try:
        run = client.memories.ingest_iter([], **options)
    except SynapValidationError as error:
        assert error.field in options
    else:
        assert list(run) == []


@pytest.mark.parametrize(
    "metadata, reason",
    [({"n": 10**5000}, "beyond 64 bits"), ({"n": 2**64}, "beyond 64 bits"), ({"deep": []}, "nested deeper")],
)
def test_values_json_cannot_carry_are_refused_naming_the_field(metadata: Dict[str, Any], reason: str) -> None:
    if "deep" in metadata:
        value: Any = []
        for _ in range(20_000):
            value = [value]
        metadata = {"deep": value}
    with pytest.raises(SynapValidationError, match=reason) as caught:
        CreateMemoryRequest(document="x", metadata=metadata)
    assert caught.value.field == "metadata"


def test_a_dict_that_holds_itself_is_refused() -> None:
    cyclic: Dict[str, Any] = {}
    cyclic["self"] = cyclic
    with pytest.raises(SynapValidationError) as caught:
        CreateMemoryRequest(document=cyclic)
    assert caught.value.field == "document"


def test_a_request_sends_what_was_checked_whatever_changes_in_place_afterwards() -> None:
    metadata: Dict[str, Any] = {"source": "export", "tags": ["a"]}
    request = CreateMemoryRequest(document="x", metadata=metadata)
    metadata["bad"] = float("nan")  # the caller's dict: the request does not see it
    metadata["tags"].append("b")
    assert request.metadata == {"source": "export", "tags": ["a"]}
    with pytest.raises(TypeError):  # the request's own dict cannot change: what it shows is what it sends
        request.metadata["bad"] = float("nan")
    sent = json.loads(request.encoded)
    assert sent["metadata"] == {"source": "export", "tags": ["a"]} and request.to_dict() == sent


@pytest.mark.parametrize("documents", [None, 5, "abc", {"document": "x"}, b"xy", CreateMemoryRequest(document="x")])
def test_batch_create_refuses_what_is_not_a_list_of_documents(client: SynapClient, documents: Any) -> None:
    with pytest.raises(SynapValidationError) as caught:
        client.memories.batch_create(documents)
    assert caught.value.field == "documents"


@pytest.mark.parametrize("fail_fast", ["yes", None, 1, float("nan"), object()])
def test_fail_fast_must_be_a_bool(client: SynapClient, fail_fast: Any) -> None:
    with pytest.raises(SynapValidationError) as caught:
        client.memories.batch_create([{"document": "x"}], fail_fast=fail_fast)
    assert caught.value.field == "fail_fast"


@pytest.mark.parametrize("documents", [None, 5, "abc", {"document": "x"}, CreateMemoryRequest(document="x")])
def test_ingest_refuses_what_is_not_a_collection_of_documents(client: SynapClient, documents: Any) -> None:
    with pytest.raises(SynapValidationError) as caught:
        client.memories.ingest(documents)
    assert caught.value.field == "documents"
