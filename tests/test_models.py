"""CreateMemoryRequest checks and serialisation; reply parsing."""

import json
import math
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synap_sync import (
    BatchCreateResponse,
    CreateMemoryRequest,
    CreateMemoryResponse,
    DocumentType,
    IngestMode,
    IngestStatus,
    InstanceIdentity,
    MemoryStatusResponse,
    SynapProtocolError,
    SynapValidationError,
)
from synap_sync.models import encode_wire, wire_document
from synap_sync.models._checks import check_json, checked_json_copy, json_copy
from synap_sync.models._json import json_string


def refused_field(**fields: object) -> str:
    fields.setdefault("document", "hello")
    with pytest.raises(SynapValidationError) as caught:
        CreateMemoryRequest(**fields)  # type: ignore[arg-type]
    assert caught.value.field is not None
    assert str(caught.value).startswith(caught.value.field)
    return caught.value.field


def test_defaults_are_the_contracts() -> None:
    request = CreateMemoryRequest(document="hi")
    assert request.document_type is DocumentType.AI_CHAT_CONVERSATION
    assert request.mode is IngestMode.LONG_RANGE
    assert request.metadata == {}
    assert (request.document_id, request.document_created_at, request.user_id) == (None, None, None)
    assert (request.customer_id, request.scope) == (None, None)


def test_field_order_and_names_are_the_contracts() -> None:
    assert list(CreateMemoryRequest(document="x").to_dict()) == [
        "document",
        "document_type",
        "document_id",
        "document_created_at",
        "user_id",
        "customer_id",
        "scope",
        "mode",
        "metadata",
    ]


def test_every_field_serialises_to_the_official_json() -> None:
    request = CreateMemoryRequest(
        document={"subject": "Invoice", "body": "Hi Dana"},
        document_type="email",
        document_id="mail-1",
        document_created_at=datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=timezone.utc),
        user_id="user_789",
        customer_id="cust_456",
        scope={"customer": "acme", "team": "payments", "user": "dana"},
        mode=IngestMode.FAST,
        metadata={"source": "imap", "size": 2, "ratio": 0.5, "tags": ["a", "b"], "seen": True, "x": None},
    )
    expected = (
        '{"document": {"subject": "Invoice", "body": "Hi Dana"}, "document_type": "email", '
        '"document_id": "mail-1", "document_created_at": "2024-01-02T03:04:05.123456Z", '
        '"user_id": "user_789", "customer_id": "cust_456", '
        '"scope": {"customer": "acme", "team": "payments", "user": "dana"}, "mode": "fast", '
        '"metadata": {"source": "imap", "size": 2, "ratio": 0.5, "tags": ["a", "b"], "seen": true, "x": null}}'
    )
    assert json.dumps(request.to_dict()) == expected


def test_unset_fields_serialise_as_null_and_metadata_as_empty_object() -> None:
    expected = (
        '{"document": "User: hi", "document_type": "ai-chat-conversation", "document_id": null, '
        '"document_created_at": null, "user_id": null, "customer_id": null, "scope": null, '
        '"mode": "long-range", "metadata": {}}'
    )
    assert json.dumps(CreateMemoryRequest(document="User: hi", metadata=None).to_dict()) == expected


@pytest.mark.parametrize(
    "value, encoded",
    [
        (datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc), "2024-01-02T03:04:05Z"),
        (datetime(2024, 1, 2, 3, 4, 5, 120000, tzinfo=timezone.utc), "2024-01-02T03:04:05.120000Z"),
        (datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2))), "2024-01-02T03:04:05+02:00"),
        (datetime(2024, 1, 2, 3, 4, 5), "2024-01-02T03:04:05"),
        ("2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z"),
        ("2024-01-02T03:04:05.5+02:00", "2024-01-02T03:04:05.500000+02:00"),
    ],
)
def test_document_created_at_encoding(value: object, encoded: str) -> None:
    request = CreateMemoryRequest(document="x", document_created_at=value)  # type: ignore[arg-type]
    assert request.to_dict()["document_created_at"] == encoded


def test_enum_members_and_values_are_both_accepted() -> None:
    by_value = CreateMemoryRequest(document="x", document_type="meeting-transcript", mode="fast")
    by_member = CreateMemoryRequest(document="x", document_type=DocumentType.MEETING_TRANSCRIPT, mode=IngestMode.FAST)
    assert by_value == by_member
    assert by_value.document_type is DocumentType.MEETING_TRANSCRIPT


def test_unknown_document_type_lists_the_allowed_values() -> None:
    with pytest.raises(SynapValidationError) as caught:
        CreateMemoryRequest(document="x", document_type="support-ticket")
    message = str(caught.value)
    assert message.startswith("document_type:")
    for allowed in ("ai-chat-conversation", "document", "email", "pdf", "image", "audio", "meeting-transcript"):
        assert allowed in message


def test_unknown_mode_lists_the_allowed_values() -> None:
    with pytest.raises(SynapValidationError, match="mode: must be one of fast, long-range"):
        CreateMemoryRequest(document="x", mode="slow")


@pytest.mark.parametrize("document", ["", "   ", {}, None, 42, ["a"], b"bytes"])
def test_empty_or_wrong_document_is_refused(document: object) -> None:
    assert refused_field(document=document) == "document"


@pytest.mark.parametrize("field", ["document_id", "user_id", "customer_id"])
@pytest.mark.parametrize("value", ["", " ", 7, uuid.UUID(int=1), ["id"]])
def test_ids_must_be_non_empty_strings(field: str, value: object) -> None:
    assert refused_field(**{field: value}) == field


@pytest.mark.parametrize("scope", ["acme", {"team": 1}, {1: "x"}, ["customer"]])
def test_scope_must_map_strings_to_strings(scope: object) -> None:
    assert refused_field(scope=scope) == "scope"


@pytest.mark.parametrize(
    "metadata",
    [
        "not a dict",
        [("a", 1)],
        {"x": math.nan},
        {"x": [1.0, math.inf]},
        {"nested": {"when": datetime(2024, 1, 1)}},
        {1: "int key"},
        {"x": {1, 2}},
    ],
)
def test_metadata_must_be_a_json_object(metadata: object) -> None:
    assert refused_field(metadata=metadata) == "metadata"


def test_nan_in_an_object_document_is_refused() -> None:
    assert refused_field(document={"score": math.nan}) == "document"


@pytest.mark.parametrize("value", ["yesterday", "2024-13-45", 1e300, True, datetime(2024, 1, 1).date()])
def test_document_created_at_must_be_a_datetime_iso_string_or_unix_timestamp(value: object) -> None:
    assert refused_field(document_created_at=value) == "document_created_at"


@pytest.mark.parametrize("timestamp", [1700000000, 1700000000.0])
def test_document_created_at_may_be_a_unix_timestamp_sent_as_utc_iso(timestamp: float) -> None:
    """As the official SDK takes it; both the request object and the dict path send the same string."""
    expected = "2023-11-14T22:13:20Z"
    assert CreateMemoryRequest(document="x", document_created_at=timestamp).to_dict()["document_created_at"] == expected
    assert wire_document({"document": "x", "document_created_at": timestamp})["document_created_at"] == expected


def test_validation_error_is_also_a_value_error() -> None:
    with pytest.raises(ValueError):
        CreateMemoryRequest(document="")


def test_from_dict_refuses_unknown_keys_by_name() -> None:
    with pytest.raises(SynapValidationError) as caught:
        CreateMemoryRequest.from_dict({"document": "x", "documnet_type": "email"})
    assert caught.value.field == "documnet_type"


def test_from_dict_requires_document() -> None:
    with pytest.raises(SynapValidationError, match="document: is required"):
        CreateMemoryRequest.from_dict({"user_id": "u"})


def test_requests_are_frozen() -> None:
    request = CreateMemoryRequest(document="x")
    with pytest.raises(AttributeError):
        request.document = "y"  # type: ignore[misc]


RESULT = {
    "ingestion_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
    "document_id": "d-1",
    "status": "queued",
    "queued_at": "2026-01-01T00:00:00+00:00",
    "error_message": None,
}


def test_result_parses_uuid_and_aware_datetime() -> None:
    result = CreateMemoryResponse.from_dict(RESULT, "cid")
    assert result.ingestion_id == uuid.UUID("0f8fad5b-d9cb-469f-a165-70867728950e")
    assert result.queued_at == datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert result.status is IngestStatus.QUEUED
    assert result.ok and result.correlation_id == "cid"


def test_unknown_fields_and_status_are_kept_raw() -> None:
    result = CreateMemoryResponse.from_dict(dict(RESULT, status="deferred", priority=3))
    assert result.status == "deferred" and not isinstance(result.status, IngestStatus)
    assert result.extra == {"priority": 3}


def test_naive_timestamps_from_the_service_are_read_as_utc() -> None:
    result = CreateMemoryResponse.from_dict(dict(RESULT, queued_at="2026-01-01T00:00:00.123"))
    assert result.queued_at == datetime(2026, 1, 1, 0, 0, 0, 123000, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "reply",
    [
        [],
        "ok",
        {"batch_id": None, "total": 1, "succeeded": 1, "failed": 0},
        {"batch_id": None, "total": "1", "succeeded": 1, "failed": 0, "results": []},
        {"batch_id": "nope", "total": 1, "succeeded": 1, "failed": 0, "results": []},
        {"batch_id": None, "total": 1, "succeeded": 1, "failed": 0, "results": [{"status": 3}]},
        {"batch_id": None, "total": 1, "succeeded": 1, "failed": 0, "results": [dict(RESULT, queued_at="soon")]},
        {"batch_id": None, "total": 1, "succeeded": 1, "failed": 0, "results": [{"ingestion_id": None}]},
    ],
)
def test_wrong_reply_shape_is_a_protocol_error(reply: object) -> None:
    with pytest.raises(SynapProtocolError) as caught:
        BatchCreateResponse.from_dict(reply, "cid-9")
    assert caught.value.correlation_id == "cid-9"


@pytest.mark.parametrize(
    "parse, reply",
    [
        (MemoryStatusResponse.from_dict, []),
        (MemoryStatusResponse.from_dict, {"status": "queued", "memory_ids": "m1"}),
        (MemoryStatusResponse.from_dict, {"status": "queued", "memories_created": "3"}),
        (CreateMemoryResponse.from_dict, {"status": None}),
        (InstanceIdentity.from_dict, {"client_id": 7}),
        (InstanceIdentity.from_dict, "whoami"),
    ],
)
def test_every_reply_parser_puts_the_correlation_id_on_its_error(parse: Any, reply: object) -> None:
    with pytest.raises(SynapProtocolError) as caught:
        parse(reply, "cid-7")
    assert caught.value.correlation_id == "cid-7"


def test_status_reply_parses_every_field() -> None:
    status = MemoryStatusResponse.from_dict(
        {
            "ingestion_id": RESULT["ingestion_id"],
            "document_id": "d-1",
            "status": "completed",
            "queued_at": "2026-01-01T00:00:00Z",
            "started_at": "2026-01-01T00:00:01Z",
            "completed_at": "2026-01-01T00:00:02Z",
            "memories_created": 3,
            "memory_ids": ["m1", "m2", "m3"],
            "error_message": None,
            "shard": "eu-1",
        }
    )
    assert status.is_terminal and status.memories_created == 3
    assert status.completed_at == datetime(2026, 1, 1, 0, 0, 2, tzinfo=timezone.utc)
    assert status.extra == {"shard": "eu-1"}


def test_status_defaults_when_optional_fields_are_absent() -> None:
    status = MemoryStatusResponse.from_dict({"ingestion_id": RESULT["ingestion_id"], "status": "processing"})
    assert (status.memories_created, status.memory_ids, status.completed_at) == (0, [], None)
    assert not status.is_terminal


def test_unknown_status_is_not_terminal() -> None:
    assert not MemoryStatusResponse.from_dict({"status": "archived"}).is_terminal


@pytest.mark.parametrize("status", ["completed", "failed", "partial_success"])
def test_terminal_statuses(status: str) -> None:
    assert MemoryStatusResponse.from_dict({"status": status}).is_terminal


VALID_DICTS = [
    {"document": "x"},
    {"document": {"a": [1, 2.5, None]}, "document_type": "pdf", "mode": "fast"},
    {"document": "x", "document_created_at": "2024-01-02T03:04:05Z", "metadata": None},
    {"document": "x", "document_created_at": "2024-01-02T03:04:05.1+00:00", "user_id": "u", "customer_id": "c"},
    {"document": "x", "document_created_at": datetime(2024, 1, 2, tzinfo=timezone(timedelta(hours=-5)))},
    {"document": "x", "scope": {"team": "a"}, "metadata": {"k": {"n": [True]}}, "document_id": "d"},
    {"document": "x", "document_type": DocumentType.EMAIL, "mode": IngestMode.LONG_RANGE},
]


@pytest.mark.parametrize("item", VALID_DICTS)
def test_batch_hot_path_encodes_like_the_model(item: dict) -> None:
    from synap_sync.models import wire_document

    assert json.dumps(wire_document(item)) == json.dumps(CreateMemoryRequest.from_dict(item).to_dict())


def compact_utf8(value: Any) -> bytes:
    """The json module's own encoding of the bodies: compact, no ASCII escapes."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


@given(st.text())
def test_a_string_is_encoded_byte_for_byte_as_the_json_module_encodes_it(text: str) -> None:
    try:
        expected = compact_utf8(text)
    except UnicodeEncodeError:  # a lone surrogate: refused by both
        with pytest.raises(UnicodeEncodeError):
            json_string(text)
        return
    assert json_string(text) == expected


@pytest.mark.parametrize(
    "text", ['say "hi"\\n', "\x00\x1f\b\f\x7f", "tab\there\r\n", "\u2028 \u00e9 \U0001f600 \\u0041"]
)
def test_escapes_and_text_in_any_script_are_encoded_as_the_json_module_does(text: str) -> None:
    assert json_string(text) == compact_utf8(text)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
IDS = st.none() | st.text(min_size=1).filter(str.strip)


@given(
    st.fixed_dictionaries(
        {"document": st.text(min_size=1).filter(str.strip) | st.dictionaries(st.text(), JSON_VALUES, min_size=1)},
        optional={
            "document_type": st.sampled_from(list(DocumentType)),
            "document_id": IDS,
            "document_created_at": st.none() | st.datetimes(timezones=st.just(timezone.utc)),
            "user_id": IDS,
            "customer_id": IDS,
            "scope": st.none()
            | st.dictionaries(st.text(min_size=1).filter(str.strip), st.text(min_size=1).filter(str.strip), max_size=2),
            "mode": st.sampled_from(["fast", "long-range"]),
            "metadata": st.dictionaries(st.text(max_size=5), JSON_VALUES, max_size=3),
        },
    )
)
def test_a_document_is_encoded_byte_for_byte_as_the_json_module_encodes_its_wire_object(item: Dict[str, Any]) -> None:
    try:
        wire = wire_document(item)
    except SynapValidationError:
        return  # refused on its checks (a scope the contract does not allow): nothing to encode
    try:
        expected = compact_utf8(wire)
    except UnicodeEncodeError:
        with pytest.raises(SynapValidationError):
            encode_wire(wire)
        with pytest.raises(SynapValidationError):
            CreateMemoryRequest.from_dict(item)
        return
    assert encode_wire(wire) == expected
    assert CreateMemoryRequest.from_dict(item).encoded == expected


class Key(str):
    """A str subclass as a key: not the plain dict the one-pass copy takes."""


#: Values checked and copied in one pass, or not: flat and nested, valid and each way invalid.
METADATA_VALUES = st.dictionaries(
    st.text(max_size=5) | st.builds(Key, st.text(max_size=3)) | st.integers(0, 3) | st.none(),
    JSON_VALUES | st.integers() | st.sampled_from([math.nan, math.inf, -math.inf]),
    max_size=4,
)


@given(METADATA_VALUES)
def test_metadata_is_checked_and_copied_in_one_pass_exactly_as_in_two(value: Dict[Any, Any]) -> None:
    try:
        check_json(value, "metadata", "metadata")
    except SynapValidationError as two_passes:
        with pytest.raises(SynapValidationError) as one_pass:
            checked_json_copy(value, "metadata")
        assert one_pass.value.errors == two_passes.errors
        return
    copied = checked_json_copy(value, "metadata")
    assert copied == json_copy(value) and type(copied) is dict
    assert copied is not value
    for key, item in value.items():  # scalars shared, containers not
        assert (copied[key] is item) == (type(item) not in (dict, list))


@pytest.mark.parametrize("metadata", [{1: "x"}, {"n": 2**64}, {"x": [math.nan]}, {"k": {"deep": {1: 2}}}])
def test_the_request_and_the_hot_path_refuse_the_same_metadata(metadata: Dict[Any, Any]) -> None:
    with pytest.raises(SynapValidationError) as by_model:
        CreateMemoryRequest(document="x", metadata=metadata)
    with pytest.raises(SynapValidationError) as by_hot_path:
        wire_document({"document": "x", "metadata": metadata})
    assert by_model.value.field == "metadata"
    assert by_hot_path.value.errors == by_model.value.errors


@pytest.mark.parametrize("field", ["document", "document_id", "user_id", "customer_id", "metadata"])
def test_a_lone_surrogate_is_refused_naming_its_field(field: str) -> None:
    fields: Dict[str, Any] = {"document": "hello", "user_id": "u", "metadata": {"k": "v"}}
    fields[field] = {"note": "half of \ud83d"} if field == "metadata" else "half of \ud83d"
    named = "metadata.note" if field == "metadata" else field  # inside metadata: where in it
    assert refused_field(**fields) == named
    with pytest.raises(SynapValidationError) as caught:
        encode_wire(wire_document(fields))
    assert caught.value.field == named


INVALID_DICTS = [
    {"document": ""},
    {"document": "x", "document_type": "fax"},
    {"document": "x", "document_created_at": "2024-02-30T00:00:00Z"},
    {"document": "x", "user_id": ""},
    {"document": "x", "scope": {"a": 1}},
    {"document": "x", "metadata": {"x": math.inf}},
    {"document": "x", "extra": 1},
    {"user_id": "u"},
    "not a dict",
]


def test_in_a_dict_none_or_nan_is_the_field_left_out_as_in_a_dataframe() -> None:
    assert wire_document({"document": "x", "mode": None, "user_id": math.nan}) == wire_document({"document": "x"})
    with pytest.raises(SynapValidationError):  # a request names what it was given: None is no mode
        CreateMemoryRequest(document="x", mode=None)


@pytest.mark.parametrize("item", INVALID_DICTS)
def test_batch_hot_path_refuses_the_same_field_as_the_model(item: object) -> None:
    from synap_sync.models import wire_document

    with pytest.raises(SynapValidationError) as by_model:
        CreateMemoryRequest.from_dict(item)  # type: ignore[arg-type]
    with pytest.raises(SynapValidationError) as by_hot_path:
        wire_document(item)  # type: ignore[arg-type]
    assert by_hot_path.value.errors == by_model.value.errors


def batch_reply(results: List[Any]) -> Dict[str, Any]:
    return {"batch_id": None, "total": len(results), "succeeded": len(results), "failed": 0, "results": results}


@pytest.mark.parametrize("queued_at", ["2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "yesterday", 5])
def test_a_result_that_cannot_be_read_is_refused_when_the_reply_arrives_not_when_read(queued_at: Any) -> None:
    with pytest.raises(SynapProtocolError):
        BatchCreateResponse.from_dict(batch_reply([RESULT, dict(RESULT, queued_at=queued_at)]), "cid")


def test_results_are_built_on_first_read_and_equal_what_reading_each_gives() -> None:
    items = [dict(RESULT, document_id=f"d-{n}", error_message=None if n % 3 else "refused") for n in range(100)]
    batch = BatchCreateResponse.from_dict(batch_reply(items), "cid")
    assert batch.result_count == 100 and batch.succeeded == 100
    assert batch.results == [CreateMemoryResponse.from_dict(item, "cid") for item in items]
    assert batch.results is batch.results  # built once


@given(
    st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "ingestion_id": st.one_of(st.none(), st.uuids().map(str), st.text(max_size=40), st.integers()),
                "document_id": st.one_of(st.none(), st.text(max_size=5), st.integers()),
                "status": st.one_of(st.sampled_from(["queued", "failed", "later"]), st.none(), st.integers()),
                "queued_at": st.one_of(
                    st.none(), st.datetimes().map(lambda moment: moment.isoformat()), st.text(max_size=30)
                ),
                "error_message": st.one_of(st.none(), st.text(max_size=10), st.integers()),
                "extra": st.integers(),
            },
        ),
        max_size=5,
    )
)
def test_a_lazy_reply_refuses_at_once_exactly_what_reading_each_result_refuses(items: List[Dict[str, Any]]) -> None:
    try:
        eager = [CreateMemoryResponse.from_dict(item, "cid") for item in items]
    except SynapProtocolError:
        with pytest.raises(SynapProtocolError):
            BatchCreateResponse.from_dict(batch_reply(items), "cid")
        return
    assert BatchCreateResponse.from_dict(batch_reply(items), "cid").results == eager


def service_results(queued_at: Any, error_message: Any, max_size: int) -> Any:
    """Lists of results as the service writes them: a status, and any of the other fields."""
    return st.lists(
        st.fixed_dictionaries(
            {"status": st.sampled_from(["queued", "failed", "completed", "later"])},
            optional={
                "ingestion_id": st.one_of(st.none(), st.uuids().map(str)),
                "document_id": st.one_of(st.none(), st.text(max_size=5)),
                "queued_at": st.one_of(st.none(), queued_at),
                "error_message": st.one_of(st.none(), error_message),
            },
        ),
        max_size=max_size,
    )


@given(
    service_results(
        st.datetimes(timezones=st.just(timezone.utc)).map(lambda moment: moment.isoformat()), st.text(max_size=10), 100
    )
)
def test_every_result_the_service_writes_is_checked_on_arrival_and_built_later(items: List[Dict[str, Any]]) -> None:
    from synap_sync.models.replies import _all_well_formed

    assert _all_well_formed(items)
    assert not _all_well_formed([*items, dict(RESULT, extra=1)])


@given(
    service_results(
        st.just("2026-01-01T00:00:00Z"), st.sampled_from(["refused", "document_id 'd' was already ingested", ""]), 5
    )
)
def test_results_left_for_later_say_ok_and_build_exactly_as_the_results(items: List[Dict[str, Any]]) -> None:
    from synap_sync.models import built

    later = BatchCreateResponse.from_dict(batch_reply(items), "cid").results_later()
    eager = [CreateMemoryResponse.from_dict(item, "cid") for item in items]
    assert [answer.ok for answer in later] == [result.ok for result in eager]
    assert [built(answer) for answer in later] == eager


@pytest.mark.parametrize(
    "changes, ok",
    [({}, True), ({"status": "failed"}, False), ({"error_message": "refused"}, False), ({"status": "later"}, True)],
)
def test_a_result_is_ok_only_without_an_error_and_not_failed_built_or_not(changes: Dict[str, Any], ok: bool) -> None:
    item = dict(RESULT, **changes)
    later = BatchCreateResponse.from_dict(batch_reply([item]), "cid").results_later()[0]
    assert CreateMemoryResponse.from_dict(item, "cid").ok is ok and later.ok is ok


def test_an_outcome_compares_and_shows_its_result_the_same_built_or_not() -> None:
    from synap_sync import IngestOutcome

    later = BatchCreateResponse.from_dict(batch_reply([RESULT]), "cid").results_later()[0]
    result = CreateMemoryResponse.from_dict(RESULT, "cid")
    lazy, eager = IngestOutcome(0, True, "d-1", later), IngestOutcome(0, True, "d-1", result)
    assert repr(lazy) == repr(eager) and lazy == eager
    assert lazy.result == result and lazy.result is lazy.result  # built once
    assert lazy != IngestOutcome(0, True, "d-1", CreateMemoryResponse.from_dict(dict(RESULT, document_id="d-2")))


def test_an_ingestion_id_that_hides_two_uuids_is_refused_at_once() -> None:
    one = "0f8fad5b-d9cb-469f-a165-70867728950e"
    with pytest.raises(SynapProtocolError, match="ingestion_id"):
        BatchCreateResponse.from_dict(batch_reply([RESULT, dict(RESULT, ingestion_id=f"{one},{one}")]), "cid")
