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


def parse_datetime(text: str) -> datetime:
    """Parse ISO-8601 on every supported Python: ``Z`` suffix and any number of fraction digits."""
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
    offset = value.utcoffset()
    if offset is None or offset:
        return value.isoformat()
    return value.replace(tzinfo=None).isoformat() + "Z"


_document_type = _enum_converter(DocumentType, "document_type")
_mode = _enum_converter(IngestMode, "mode")


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


def _check_json(value: Any, field: str, path: str) -> None:
    """Refuse what json.dumps would refuse or silently change: NaN, infinity, non-string keys."""
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise refuse(field, f"{path} is {value!r}; NaN and infinity are not valid JSON")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise refuse(field, f"{path} has a non-string key {key!r}")
            _check_json(item, field, f"{path}[{key!r}]")
        return
    if isinstance(value, (list, tuple)):
        for position, item in enumerate(value):
            _check_json(item, field, f"{path}[{position}]")
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
    document_type: DocumentType = attrs.field(
        default=DocumentType.AI_CHAT_CONVERSATION, converter=_to_document_type
    )
    document_id: Optional[str] = None
    document_created_at: Optional[datetime] = attrs.field(default=None, converter=_to_created_at)
    user_id: Optional[str] = None
    customer_id: Optional[str] = None
    scope: Optional[Dict[str, str]] = None
    mode: IngestMode = attrs.field(default=IngestMode.LONG_RANGE, converter=_to_mode)
    metadata: Dict[str, Any] = attrs.field(factory=dict, converter=_to_metadata)

    def __attrs_post_init__(self) -> None:
        _check_document(self.document)
        _check_optional_id(self.document_id, "document_id")
        _check_optional_id(self.user_id, "user_id")
        _check_optional_id(self.customer_id, "customer_id")
        _check_scope(self.scope)
        if type(self.metadata) is not dict:
            raise refuse("metadata", f"must be a dict, not {type(self.metadata).__name__}")
        if self.metadata:
            _check_json(self.metadata, "metadata", "metadata")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "CreateMemoryRequest":
        """Build from a plain dict of the contract's fields; unknown keys are refused by name."""
        if not isinstance(data, Mapping):
            raise refuse("document", f"each item must be a CreateMemoryRequest or a dict, not {type(data).__name__}")
        unknown = [key for key in data if key not in _REQUEST_FIELDS]
        if unknown:
            raise refuse(
                str(unknown[0]), f"is not a field of CreateMemoryRequest; allowed: {', '.join(_REQUEST_FIELDS)}"
            )
        if "document" not in data:
            raise refuse("document", "is required")
        return cls(**data)

    def to_dict(self) -> Dict[str, Any]:
        """The exact JSON object the official SDK sends: every field, nulls included."""
        created_at = self.document_created_at
        return {
            "document": self.document,
            "document_type": self.document_type.value,
            "document_id": self.document_id,
            "document_created_at": None if created_at is None else format_datetime(created_at),
            "user_id": self.user_id,
            "customer_id": self.customer_id,
            "scope": self.scope,
            "mode": self.mode.value,
            "metadata": self.metadata,
        }


_REQUEST_FIELDS = tuple(field.name for field in attrs.fields(CreateMemoryRequest))

#: What ``batch_create`` and ``ingest`` take per item.
DocumentInput = Union[CreateMemoryRequest, Mapping[str, Any]]


def as_request(item: DocumentInput) -> CreateMemoryRequest:
    """Turn one user item into a checked request (a request passes through untouched)."""
    if type(item) is CreateMemoryRequest:
        return item
    return CreateMemoryRequest.from_dict(item)  # type: ignore[arg-type]


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
            parsed = parse_datetime(value)
        except (TypeError, ValueError, AttributeError, IndexError):
            raise self.fail(key, f"is not an ISO-8601 timestamp: {value!r}") from None
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)

    def status(self, key: str = "status") -> Status:
        value = self.require(key)
        if not isinstance(value, str):
            raise self.fail(key, f"is not a string: {value!r}")
        return _STATUS_BY_VALUE.get(value, value)

    def extra(self, known: Tuple[str, ...]) -> Dict[str, Any]:
        return {key: value for key, value in self.data.items() if key not in known}


_RESULT_FIELDS = ("ingestion_id", "document_id", "status", "queued_at", "error_message")


@attrs.frozen
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


_BATCH_FIELDS = ("batch_id", "total", "succeeded", "failed", "results")


@attrs.frozen
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


@attrs.frozen
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


@attrs.frozen
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
