"""The contract's data: what a document is, how it goes on the wire, and what the service answers.

`CreateMemoryRequest` is where every field is checked: an invalid request object cannot exist.
Responses are parsed field by field; fields and status values the library does not know are kept.
"""

from __future__ import annotations

import enum
import math
import re
import uuid
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Type, TypeVar, Union

import attrs

from .errors import SynapProtocolError, SynapValidationError

__all__ = [
    "DocumentType",
    "IngestMode",
    "IngestStatus",
    "CreateMemoryRequest",
    "CreateMemoryResponse",
    "BatchCreateResponse",
    "MemoryStatusResponse",
    "InstanceIdentity",
    "DocumentInput",
]


class DocumentType(str, enum.Enum):
    """What kind of source a document is; the service routes it through a matching pipeline."""

    AI_CHAT_CONVERSATION = "ai-chat-conversation"
    DOCUMENT = "document"
    EMAIL = "email"
    PDF = "pdf"
    IMAGE = "image"
    AUDIO = "audio"
    MEETING_TRANSCRIPT = "meeting-transcript"

    def __str__(self) -> str:
        return self.value


class IngestMode(str, enum.Enum):
    """How deeply the service processes a document: ``fast`` or the default ``long-range``."""

    FAST = "fast"
    LONG_RANGE = "long-range"

    def __str__(self) -> str:
        return self.value


class IngestStatus(str, enum.Enum):
    """Where an ingestion is in the service's pipeline."""

    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    PARTIAL_SUCCESS = "partial_success"

    def __str__(self) -> str:
        return self.value

    @property
    def is_terminal(self) -> bool:
        """True once the ingestion will not change any more."""
        return self in _TERMINAL_STATUSES


_TERMINAL_STATUSES = frozenset({IngestStatus.COMPLETED, IngestStatus.FAILED, IngestStatus.PARTIAL_SUCCESS})
_STATUS_BY_VALUE = {member.value: member for member in IngestStatus}

#: A status as parsed: the enum member when known, else the service's raw string.
Status = Union[IngestStatus, str]

E = TypeVar("E", bound=enum.Enum)


def refuse(field: str, reason: str) -> SynapValidationError:
    """Build the error for one refused field (the caller raises it)."""
    return SynapValidationError(f"{field}: {reason}", errors=[(None, field, reason)])


def at_index(error: SynapValidationError, index: int) -> SynapValidationError:
    """The same refusal, placed at ``index`` of its batch."""
    return SynapValidationError(
        f"documents[{index}].{error.message}",
        errors=[(index, field, reason) for _, field, reason in error.errors],
    )


def item_document_id(item: Any) -> Optional[str]:
    """The document_id of an input item, if it has a usable one (the item may be invalid)."""
    value = item.get("document_id") if isinstance(item, Mapping) else getattr(item, "document_id", None)
    return value if isinstance(value, str) else None


def _enum_converter(enum_cls: Type[E], field: str) -> Callable[[Any], E]:
    """Accept an enum member or its string value; anything else is refused with the allowed values."""
    lookup: Dict[Any, E] = {member.value: member for member in enum_cls}
    lookup.update({member: member for member in enum_cls})
    allowed = ", ".join(member.value for member in enum_cls)

    def convert(value: Any) -> E:
        try:
            return lookup[value]
        except (KeyError, TypeError):
            raise refuse(field, f"must be one of {allowed}; got {value!r}") from None

    return convert


_FRACTION = re.compile(r"\.(\d+)")
#: A UTC timestamp already in the wire's form; it is sent as given once it parses.
_CANONICAL_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z")


def parse_datetime(text: str) -> datetime:
    """Parse ISO-8601 on every supported Python: ``Z`` suffix and any number of fraction digits."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass  # before 3.11, fromisoformat refuses "Z" and fractions of other than 3 or 6 digits
    value = text.strip()
    if value[-1:] in ("Z", "z"):
        value = value[:-1] + "+00:00"
    match = _FRACTION.search(value)
    if match and len(match.group(1)) != 6:
        digits = match.group(1)[:6].ljust(6, "0")
        value = value[: match.start(1)] + digits + value[match.end(1) :]
    return datetime.fromisoformat(value)


def format_datetime(value: datetime) -> str:
    """Encode as the official SDK does: UTC as ``...Z``, other offsets kept, naive left as is."""
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


#: Enum member to its JSON string, without the cost of ``.value`` on the hot path.
_WIRE_VALUES: Dict[enum.Enum, str] = {member: member.value for member in (*DocumentType, *IngestMode)}

_document_type = _enum_converter(DocumentType, "document_type")
_mode = _enum_converter(IngestMode, "mode")


# Named functions, because mypy's attrs plugin only understands those as converters.
def _to_document_type(value: Any) -> DocumentType:
    return _document_type(value)


def _to_mode(value: Any) -> IngestMode:
    return _mode(value)


def _to_created_at(value: Any) -> Optional[datetime]:
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return parse_datetime(value)
        except ValueError:
            raise refuse("document_created_at", f"is not an ISO-8601 datetime: {value!r}") from None
    raise refuse("document_created_at", f"must be a datetime or an ISO-8601 string, not {type(value).__name__}")


def _to_metadata(value: Any) -> Any:
    return {} if value is None else value


_JSON_SCALARS = frozenset({str, int, bool, type(None)})


def _check_json(value: Any, field: str, path: str) -> None:
    """Refuse what json.dumps would refuse or silently change: NaN, infinity, non-string keys."""
    if type(value) in _JSON_SCALARS:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if type(key) is not str and not isinstance(key, str):
                raise refuse(field, f"{path} has a non-string key {key!r}")
            if type(item) not in _JSON_SCALARS:
                _check_json(item, field, f"{path}[{key!r}]")
        return
    if isinstance(value, (list, tuple)):
        for position, item in enumerate(value):
            _check_json(item, field, f"{path}[{position}]")
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise refuse(field, f"{path} is {value!r}; NaN and infinity are not valid JSON")
        return
    if isinstance(value, (str, int)):
        return
    raise refuse(field, f"{path} is a {type(value).__name__}, which is not JSON-serialisable")


def _check_optional_id(value: Any, field: str) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise refuse(field, f"must be a non-empty string or None, not {type(value).__name__}")
    if not value.strip():
        raise refuse(field, "must not be empty")


def _check_document(value: Any) -> None:
    if isinstance(value, str):
        if not value.strip():
            raise refuse("document", "must not be empty")
        return
    if isinstance(value, dict):
        if not value:
            raise refuse("document", "must not be an empty object")
        _check_json(value, "document", "document")
        return
    raise refuse("document", f"must be a string or a dict, not {type(value).__name__}")


def _check_scope(value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        raise refuse("scope", f"must be a dict of str to str or None, not {type(value).__name__}")
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise refuse("scope", f"must map str to str; got {key!r}: {item!r}")


@attrs.frozen(eq=True, hash=False)
class CreateMemoryRequest:
    """One document to ingest, exactly the contract's fields; every field is checked on construction.

    :param document: the content, a non-empty string or a non-empty JSON object (dict).
    :param document_type: a `DocumentType` or its string value.
    :param document_id: your id for the document; the service refuses a second one with the same id.
    :param document_created_at: when the source was created (datetime, or an ISO-8601 string).
    :param user_id: external user id.
    :param customer_id: external customer (tenant) id.
    :param scope: the full scope path, str to str, for accounts with nested scopes.
    :param mode: an `IngestMode` or its string value.
    :param metadata: a JSON object stored with the memory, not indexed.
    :raises SynapValidationError: naming the first field that is wrong.
    """

    document: Union[str, Dict[str, Any]]
    document_type: DocumentType = attrs.field(default=DocumentType.AI_CHAT_CONVERSATION, converter=_to_document_type)
    document_id: Optional[str] = None
    document_created_at: Optional[datetime] = attrs.field(default=None, converter=_to_created_at)
    user_id: Optional[str] = None
    customer_id: Optional[str] = None
    scope: Optional[Dict[str, str]] = None
    mode: IngestMode = attrs.field(default=IngestMode.LONG_RANGE, converter=_to_mode)
    metadata: Dict[str, Any] = attrs.field(factory=dict, converter=_to_metadata)

    def __attrs_post_init__(self) -> None:
        _check_fields(self.document, self.document_id, self.user_id, self.customer_id, self.scope, self.metadata)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "CreateMemoryRequest":
        """Build from a plain dict of the contract's fields; unknown keys are refused by name."""
        return cls(**_known_fields(data))

    def to_dict(self) -> Dict[str, Any]:
        """The exact JSON object the official SDK sends: every field, nulls included."""
        return _wire(
            self.document,
            self.document_type,
            self.document_id,
            self.document_created_at,
            self.user_id,
            self.customer_id,
            self.scope,
            self.mode,
            self.metadata,
        )


def _check_fields(document: Any, document_id: Any, user_id: Any, customer_id: Any, scope: Any, metadata: Any) -> None:
    """The checks no converter makes, shared by `CreateMemoryRequest` and `wire_document`."""
    _check_document(document)
    _check_optional_id(document_id, "document_id")
    _check_optional_id(user_id, "user_id")
    _check_optional_id(customer_id, "customer_id")
    _check_scope(scope)
    if type(metadata) is not dict:
        raise refuse("metadata", f"must be a dict, not {type(metadata).__name__}")
    if metadata:
        _check_json(metadata, "metadata", "metadata")


def _known_fields(data: Any) -> Mapping[str, Any]:
    """``data`` itself, once it is known to be a mapping of the contract's fields with a document."""
    if type(data) is not dict and not isinstance(data, Mapping):
        raise refuse("document", f"each item must be a CreateMemoryRequest or a dict, not {type(data).__name__}")
    if not _REQUEST_FIELD_SET.issuperset(data):
        unknown = [key for key in data if key not in _REQUEST_FIELD_SET]
        raise refuse(str(unknown[0]), f"is not a field of CreateMemoryRequest; allowed: {', '.join(_REQUEST_FIELDS)}")
    if "document" not in data:
        raise refuse("document", "is required")
    return data


def _wire(
    document: Any,
    document_type: DocumentType,
    document_id: Optional[str],
    created_at: Optional[datetime],
    user_id: Optional[str],
    customer_id: Optional[str],
    scope: Optional[Dict[str, str]],
    mode: IngestMode,
    metadata: Dict[str, Any],
) -> Dict[str, Any]:
    return {
        "document": document,
        "document_type": _WIRE_VALUES[document_type],
        "document_id": document_id,
        "document_created_at": None if created_at is None else format_datetime(created_at),
        "user_id": user_id,
        "customer_id": customer_id,
        "scope": scope,
        "mode": _WIRE_VALUES[mode],
        "metadata": metadata,
    }


_REQUEST_FIELDS = tuple(field.name for field in attrs.fields(CreateMemoryRequest))
_REQUEST_FIELD_SET = frozenset(_REQUEST_FIELDS)

#: What ``batch_create`` and ``ingest`` take per item.
DocumentInput = Union[CreateMemoryRequest, Mapping[str, Any]]
#: One document as it goes on the wire: the JSON object of `CreateMemoryRequest.to_dict`.
WireDocument = Dict[str, Any]


def wire_document(item: DocumentInput) -> Dict[str, Any]:
    """One item's JSON object, checked exactly as `CreateMemoryRequest` checks it.

    The hot path of ``batch_create`` and ``ingest``: a dict is checked and encoded in one pass,
    without building the request object (the benchmark showed that costing more than the call).
    """
    if isinstance(item, CreateMemoryRequest):
        return item.to_dict()
    get = _known_fields(item).get
    document_type = _document_type(get("document_type", DocumentType.AI_CHAT_CONVERSATION))
    created_at = get("document_created_at")
    wire_created_at = created_at if type(created_at) is str and _CANONICAL_UTC.fullmatch(created_at) else None
    created_at = _to_created_at(created_at)
    mode = _mode(get("mode", IngestMode.LONG_RANGE))
    metadata = _to_metadata(get("metadata"))
    document, document_id, user_id, customer_id, scope = (
        item["document"],
        get("document_id"),
        get("user_id"),
        get("customer_id"),
        get("scope"),
    )
    _check_fields(document, document_id, user_id, customer_id, scope, metadata)
    wire = _wire(document, document_type, document_id, None, user_id, customer_id, scope, mode, metadata)
    if created_at is not None:
        wire["document_created_at"] = wire_created_at or format_datetime(created_at)
    return wire


# --- responses -----------------------------------------------------------------------------------


class _Reader:
    """Reads one reply object; any wrong shape becomes a SynapProtocolError, never a KeyError."""

    __slots__ = ("data", "what")

    def __init__(self, data: Any, what: str) -> None:
        if not isinstance(data, dict):
            raise SynapProtocolError(f"{what}: expected a JSON object, got {type(data).__name__}")
        self.data = data
        self.what = what

    def fail(self, key: str, reason: str) -> SynapProtocolError:
        return SynapProtocolError(f"{self.what}: field {key!r} {reason}")

    def require(self, key: str) -> Any:
        if key not in self.data:
            raise self.fail(key, "is missing")
        return self.data[key]

    def uuid(self, key: str, required: bool = False) -> Optional[uuid.UUID]:
        value = self.require(key) if required else self.data.get(key)
        if value is None:
            if required:
                raise self.fail(key, "is null")
            return None
        try:
            return uuid.UUID(value)
        except (TypeError, ValueError, AttributeError):
            raise self.fail(key, f"is not a UUID: {value!r}") from None

    def text(self, key: str) -> Optional[str]:
        value = self.data.get(key)
        if value is None or isinstance(value, str):
            return value
        raise self.fail(key, f"is not a string: {value!r}")

    def integer(self, key: str, default: Optional[int] = None) -> int:
        value = self.data.get(key)
        if value is None and default is not None:
            return default
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise self.fail(key, f"is not an integer: {value!r}")

    def timestamp(self, key: str) -> Optional[datetime]:
        value = self.data.get(key)
        if value is None:
            return None
        try:
            return _aware(parse_datetime(value))
        except (TypeError, ValueError, AttributeError, IndexError):
            raise self.fail(key, f"is not an ISO-8601 timestamp: {value!r}") from None

    def status(self, key: str = "status") -> Status:
        value = self.require(key)
        if not isinstance(value, str):
            raise self.fail(key, f"is not a string: {value!r}")
        return _STATUS_BY_VALUE.get(value, value)

    def extra(self, known: Tuple[str, ...]) -> Dict[str, Any]:
        return {key: value for key, value in self.data.items() if key not in known}


_RESULT_FIELDS = ("ingestion_id", "document_id", "status", "queued_at", "error_message")
_RESULT_FIELD_SET = frozenset(_RESULT_FIELDS)


def _aware(moment: datetime) -> datetime:
    """The service's timestamps are UTC; one without an offset is read as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


@attrs.define
class CreateMemoryResponse:
    """The service's answer for one document: queued (with an ingestion id) or refused."""

    ingestion_id: Optional[uuid.UUID]
    document_id: Optional[str]
    status: Status
    queued_at: Optional[datetime] = None
    error_message: Optional[str] = None
    #: Reply fields this library does not know yet, kept as sent.
    extra: Dict[str, Any] = attrs.field(factory=dict, repr=False)
    correlation_id: Optional[str] = attrs.field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """True when the service accepted the document."""
        return self.error_message is None and self.status != IngestStatus.FAILED

    @classmethod
    def from_dict(cls, data: Any, correlation_id: Optional[str] = None) -> "CreateMemoryResponse":
        """Parse one result object; raises SynapProtocolError if its shape is wrong."""
        parsed = _read_result_quickly(data, correlation_id)
        if parsed is not None:
            return parsed
        reader = _Reader(data, "memory result")
        return cls(
            ingestion_id=reader.uuid("ingestion_id"),
            document_id=reader.text("document_id"),
            status=reader.status(),
            queued_at=reader.timestamp("queued_at"),
            error_message=reader.text("error_message"),
            extra=reader.extra(_RESULT_FIELDS),
            correlation_id=correlation_id,
        )

    @classmethod
    def refused(cls, document_id: Optional[str], error_message: str) -> "CreateMemoryResponse":
        """A per-item result for a document refused before it was sent."""
        return cls(ingestion_id=None, document_id=document_id, status=IngestStatus.FAILED, error_message=error_message)


def _read_result_quickly(data: Any, correlation_id: Optional[str]) -> Optional[CreateMemoryResponse]:
    """The hot path for the common, well-formed result; None sends it to the careful `_Reader`."""
    if type(data) is not dict:
        return None
    get = data.get
    ingestion_id, document_id, status = get("ingestion_id"), get("document_id"), get("status")
    queued_at, error_message = get("queued_at"), get("error_message")
    if type(status) is not str or (
        (ingestion_id is not None and type(ingestion_id) is not str)
        or (document_id is not None and type(document_id) is not str)
        or (queued_at is not None and type(queued_at) is not str)
        or (error_message is not None and type(error_message) is not str)
    ):
        return None
    try:
        return CreateMemoryResponse(
            None if ingestion_id is None else uuid.UUID(ingestion_id),
            document_id,
            _STATUS_BY_VALUE.get(status, status),
            None if queued_at is None else _aware(parse_datetime(queued_at)),
            error_message,
            {} if _RESULT_FIELD_SET.issuperset(data) else {k: v for k, v in data.items() if k not in _RESULT_FIELD_SET},
            correlation_id,
        )
    except ValueError:
        return None


_BATCH_FIELDS = ("batch_id", "total", "succeeded", "failed", "results")


@attrs.define
class BatchCreateResponse:
    """Counts and per-document results of one ``batch_create``; ``results`` are in input order."""

    batch_id: Optional[uuid.UUID]
    total: int
    succeeded: int
    failed: int
    results: List[CreateMemoryResponse]
    extra: Dict[str, Any] = attrs.field(factory=dict, repr=False)
    correlation_id: Optional[str] = None

    @property
    def failures(self) -> List[Tuple[int, CreateMemoryResponse]]:
        """``(index, result)`` for every document that was not accepted, in input order."""
        return [(index, result) for index, result in enumerate(self.results) if not result.ok]

    @classmethod
    def from_dict(cls, data: Any, correlation_id: Optional[str] = None) -> "BatchCreateResponse":
        """Parse a batch reply; raises SynapProtocolError if its shape is wrong."""
        reader = _Reader(data, "batch reply")
        results = reader.require("results")
        if not isinstance(results, list):
            raise reader.fail("results", "is not a list")
        return cls(
            batch_id=reader.uuid("batch_id"),
            total=reader.integer("total"),
            succeeded=reader.integer("succeeded"),
            failed=reader.integer("failed"),
            results=[CreateMemoryResponse.from_dict(item, correlation_id) for item in results],
            extra=reader.extra(_BATCH_FIELDS),
            correlation_id=correlation_id,
        )


_STATUS_FIELDS = (
    "ingestion_id",
    "document_id",
    "status",
    "queued_at",
    "started_at",
    "completed_at",
    "memories_created",
    "memory_ids",
    "error_message",
)


@attrs.define
class MemoryStatusResponse:
    """Where one ingestion stands; ``is_terminal`` says whether it can still change."""

    ingestion_id: Optional[uuid.UUID]
    document_id: Optional[str]
    status: Status
    queued_at: Optional[datetime] = None
    started_at: Optional[datetime] = None
    completed_at: Optional[datetime] = None
    memories_created: int = 0
    memory_ids: List[Any] = attrs.field(factory=list)
    error_message: Optional[str] = None
    extra: Dict[str, Any] = attrs.field(factory=dict, repr=False)
    correlation_id: Optional[str] = attrs.field(default=None, repr=False)

    @property
    def is_terminal(self) -> bool:
        """True for completed, failed and partial_success; an unknown status is not terminal."""
        return isinstance(self.status, IngestStatus) and self.status.is_terminal

    @classmethod
    def from_dict(cls, data: Any, correlation_id: Optional[str] = None) -> "MemoryStatusResponse":
        """Parse a status reply; raises SynapProtocolError if its shape is wrong."""
        reader = _Reader(data, "status reply")
        memory_ids = data.get("memory_ids") or []
        if not isinstance(memory_ids, list):
            raise reader.fail("memory_ids", "is not a list")
        return cls(
            ingestion_id=reader.uuid("ingestion_id"),
            document_id=reader.text("document_id"),
            status=reader.status(),
            queued_at=reader.timestamp("queued_at"),
            started_at=reader.timestamp("started_at"),
            completed_at=reader.timestamp("completed_at"),
            memories_created=reader.integer("memories_created", default=0),
            memory_ids=memory_ids,
            error_message=reader.text("error_message"),
            extra=reader.extra(_STATUS_FIELDS),
            correlation_id=correlation_id,
        )


@attrs.define
class InstanceIdentity:
    """What ``GET /auth/whoami`` says about the key: its client, its instance, its user isolation."""

    client_id: Optional[str]
    instance_id: Optional[str]
    user_context_isolation: Optional[str]

    @property
    def is_b2c(self) -> Optional[bool]:
        """True on a B2C instance, False on B2B, None when the server did not say."""
        if self.user_context_isolation is None:
            return None
        return self.user_context_isolation == "equals_customer"

    @classmethod
    def from_dict(cls, data: Any) -> "InstanceIdentity":
        reader = _Reader(data, "whoami reply")
        return cls(
            client_id=reader.text("client_id"),
            instance_id=reader.text("instance_id"),
            user_context_isolation=reader.text("user_context_isolation"),
        )
