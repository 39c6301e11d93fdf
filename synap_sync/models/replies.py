"""What the service answers, parsed field by field into typed models.

Fields and status values this version does not know are kept (``extra``, the raw status string); any
wrong shape is a `SynapProtocolError` carrying the call's correlation id, never a KeyError.
"""

from __future__ import annotations

import operator
import re
import uuid
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Tuple, Union

import attrs

from ..errors import SynapProtocolError
from ._checks import parse_datetime
from ._enums import WireEnum

__all__ = [
    "IngestStatus",
    "Status",
    "CreateMemoryResponse",
    "BatchCreateResponse",
    "MemoryStatusResponse",
    "InstanceIdentity",
    "ResultLater",
    "built",
    "says_already_stored",
]


class IngestStatus(WireEnum):
    """Where an ingestion is in the service's pipeline."""

    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    PARTIAL_SUCCESS = "partial_success"

    @property
    def is_terminal(self) -> bool:
        """True once the ingestion will not change any more."""
        return self in _TERMINAL_STATUSES


_TERMINAL_STATUSES = frozenset({IngestStatus.COMPLETED, IngestStatus.FAILED, IngestStatus.PARTIAL_SUCCESS})
_STATUS_BY_VALUE = {member.value: member for member in IngestStatus}

#: A status as parsed: the enum member when known, else the service's raw string.
Status = Union[IngestStatus, str]


class Reader:
    """Reads one reply object; any wrong shape becomes a SynapProtocolError, never a KeyError."""

    __slots__ = ("data", "what", "correlation_id")

    def __init__(self, data: Any, what: str, correlation_id: Optional[str]) -> None:
        self.what = what
        self.correlation_id = correlation_id
        if not isinstance(data, dict):
            raise self.error(f"expected a JSON object, got {type(data).__name__}")
        self.data = data

    def error(self, reason: str) -> SynapProtocolError:
        return SynapProtocolError(f"{self.what}: {reason}", correlation_id=self.correlation_id)

    def fail(self, key: str, reason: str) -> SynapProtocolError:
        return self.error(f"field {key!r} {reason}")

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

    def header_value(self, key: str) -> Optional[str]:
        """Text that goes into a request header later: visible ASCII only, at most 256 characters (a line
        break would forge a header; a non-Latin-1 or zero-width character fails every later call)."""
        value = self.text(key)
        if value is not None and (len(value) > 256 or not all("!" <= char <= "~" for char in value)):
            raise self.fail(key, f"cannot go in a header: {value[:64]!r}")
        return value

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
    #: Refused as already stored by a resend of a request whose first answer was lost: the first
    #: attempt stored it, so it counts as accepted.
    deduplicated: bool = attrs.field(default=False, repr=False)

    @property
    def ok(self) -> bool:
        """True when the service accepted the document (on this attempt, or on one whose answer was lost)."""
        return self.deduplicated or _accepted(self.status, self.error_message)

    @property
    def says_already_stored(self) -> bool:
        """Refused because the service already holds its document_id."""
        return bool(self.document_id) and says_already_stored(self.error_message)

    @classmethod
    def from_dict(cls, data: Any, correlation_id: Optional[str] = None) -> "CreateMemoryResponse":
        """Parse one result object; raises SynapProtocolError if its shape is wrong."""
        parsed = _read_result_quickly(data, correlation_id)
        if parsed is not None:
            return parsed
        reader = Reader(data, "memory result", correlation_id)
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


def _accepted(status: Status, error_message: Optional[str]) -> bool:
    """Does a result say the service took its document (a result's status, or its raw string)?"""
    return error_message is None and status != IngestStatus.FAILED


def says_already_stored(message: Optional[str]) -> bool:
    """Does a refusal say the document_id was stored already? The wording is not fixed, so any of
    "already ingested / stored / exists" or "duplicate" counts, whatever the case."""
    text = (message or "").lower()
    if "duplicate" in text:
        return True
    return "already" in text and any(word in text for word in ("ingested", "stored", "exist"))


ResultFields = Tuple[Optional[str], Optional[str], str, Optional[str], Optional[str]]


def _result_fields(data: Any) -> Optional[ResultFields]:
    """A result object's ingestion_id, document_id, status, queued_at and error_message when each has
    the type it should (a string, or null but for status); None otherwise."""
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
    return ingestion_id, document_id, status, queued_at, error_message


def _read_result_quickly(data: Any, correlation_id: Optional[str]) -> Optional[CreateMemoryResponse]:
    """The hot path for the common, well-formed result; None sends it to the careful `Reader`."""
    fields = _result_fields(data)
    if fields is None:
        return None
    ingestion_id, document_id, status, queued_at, error_message = fields
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


@attrs.define(eq=False)
class BatchCreateResponse:
    """Counts and per-document results of one ``batch_create``; ``results`` are in input order.

    The counts are read at once. The typed ``results`` are built when first read (most callers only
    look at ``succeeded``): results that are well formed are checked when the reply arrives and built
    later; a reply with any that are not is parsed, and refused, at once.
    """

    batch_id: Optional[uuid.UUID]
    total: int
    succeeded: int
    failed: int
    _results: Any = attrs.field(repr=lambda value: repr(value.build() if isinstance(value, _Pending) else value))
    extra: Dict[str, Any] = attrs.field(factory=dict, repr=False)
    correlation_id: Optional[str] = None

    @property
    def results(self) -> List[CreateMemoryResponse]:
        """One `CreateMemoryResponse` per document, in input order."""
        if isinstance(self._results, _Pending):
            self._results = self._results.build()
        results: List[CreateMemoryResponse] = self._results
        return results

    @property
    def result_count(self) -> int:
        """How many results the reply holds, without building them."""
        return len(self._results)

    def results_later(self) -> List[Union[CreateMemoryResponse, "ResultLater"]]:
        """The results, in order, each built only when asked for (those already built as they are)."""
        if isinstance(self._results, _Pending):
            correlation_id = self._results.correlation_id
            return [ResultLater(item, correlation_id) for item in self._results.items]
        return list(self._results)

    @property
    def failures(self) -> List[Tuple[int, CreateMemoryResponse]]:
        """``(index, result)`` for every document that was not accepted, in input order."""
        return [(index, result) for index, result in enumerate(self.results) if not result.ok]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BatchCreateResponse):
            return NotImplemented
        mine = (self.batch_id, self.total, self.succeeded, self.failed, self.extra, self.correlation_id)
        theirs = (other.batch_id, other.total, other.succeeded, other.failed, other.extra, other.correlation_id)
        return mine == theirs and self.results == other.results

    @classmethod
    def from_dict(cls, data: Any, correlation_id: Optional[str] = None) -> "BatchCreateResponse":
        """Parse a batch reply; raises SynapProtocolError if its shape is wrong."""
        reader = Reader(data, "batch reply", correlation_id)
        results = reader.require("results")
        if not isinstance(results, list):
            raise reader.fail("results", "is not a list")
        if _all_well_formed(results):
            parsed: Any = _Pending(results, correlation_id)
        else:
            parsed = [CreateMemoryResponse.from_dict(item, correlation_id) for item in results]
        return cls(
            batch_id=reader.uuid("batch_id"),
            total=reader.integer("total"),
            succeeded=reader.integer("succeeded"),
            failed=reader.integer("failed"),
            results=parsed,
            extra=reader.extra(_BATCH_FIELDS),
            correlation_id=correlation_id,
        )


class _Pending:
    """Result objects checked well formed on arrival, built into `CreateMemoryResponse` on first read."""

    __slots__ = ("items", "correlation_id")

    def __init__(self, items: List[Dict[str, Any]], correlation_id: Optional[str]) -> None:
        self.items = items
        self.correlation_id = correlation_id

    def __len__(self) -> int:
        return len(self.items)

    def build(self) -> List[CreateMemoryResponse]:
        return [CreateMemoryResponse.from_dict(item, self.correlation_id) for item in self.items]


class ResultLater:
    """One well-formed result of a batch reply, built into its `CreateMemoryResponse` when first asked
    for; whether it is ``ok`` is read without building it."""

    __slots__ = ("_data", "_correlation_id", "_built")

    def __init__(self, data: Dict[str, Any], correlation_id: Optional[str]) -> None:
        self._data = data
        self._correlation_id = correlation_id
        self._built: Optional[CreateMemoryResponse] = None

    @property
    def ok(self) -> bool:
        """As `CreateMemoryResponse.ok` (a result not yet built was not deduplicated)."""
        if self._built is not None:
            return self._built.ok
        return _accepted(self._data["status"], self._data.get("error_message"))

    def build(self) -> CreateMemoryResponse:
        if self._built is None:
            self._built = CreateMemoryResponse.from_dict(self._data, self._correlation_id)
        return self._built


def built(result: Union[CreateMemoryResponse, ResultLater, None]) -> Optional[CreateMemoryResponse]:
    """``result`` as a `CreateMemoryResponse`, built now if it was left for later."""
    return result.build() if isinstance(result, ResultLater) else result


_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
#: Canonical UUIDs joined by commas: the ingestion ids of a reply, checked in one match.
_CANONICAL_UUIDS = re.compile(f"{_UUID}(?:,{_UUID})*")


def _all_well_formed(items: List[Any]) -> bool:
    """Whether every one of ``items`` is a result `CreateMemoryResponse.from_dict` reads without fault
    and without extra fields: the same checks, made column by column, no objects made."""
    rows = _result_rows(items)
    if rows is None:
        return False
    if not rows:
        return True
    columns = list(zip(*rows))
    if any(not set(map(type, column)) <= types for column, types in zip(columns, _RESULT_TYPES)):
        return False
    ingestion_ids, _, _, queued_ats, _ = columns
    try:
        for queued_at in set(queued_ats) - {None}:  # a batch's results are mostly queued at one moment
            parse_datetime(queued_at)
    except ValueError:
        return False
    present = [ingestion_id for ingestion_id in ingestion_ids if ingestion_id is not None]
    if not present:
        return True
    joined = ",".join(present)
    # Each exactly 36 characters, so no id can hide a comma (and so two UUIDs) inside itself.
    return len(joined) == 37 * len(present) - 1 and _CANONICAL_UUIDS.fullmatch(joined) is not None


_RESULT_VALUES = operator.itemgetter(*_RESULT_FIELDS)
_STRINGS, _STRINGS_OR_NULL = frozenset({str}), frozenset({str, type(None)})
#: The types each of `_RESULT_FIELDS` may have, as `_result_fields` checks them: status a string, the
#: rest a string or null.
_RESULT_TYPES = tuple(_STRINGS if name == "status" else _STRINGS_OR_NULL for name in _RESULT_FIELDS)


def _result_rows(items: List[Any]) -> Optional[List[Tuple[Any, ...]]]:
    """Each item's five result fields (None where one is absent); None if an item is not a JSON object
    or has a field besides them."""
    try:
        rows = list(map(_RESULT_VALUES, items))
        if all(type(item) is dict and len(item) == len(_RESULT_FIELDS) for item in items):
            return rows  # the usual reply: every field given, no other
    except (KeyError, TypeError):
        pass
    if not all(type(item) is dict and _RESULT_FIELD_SET.issuperset(item) for item in items):
        return None
    return [tuple(map(item.get, _RESULT_FIELDS)) for item in items]


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
        reader = Reader(data, "status reply", correlation_id)
        memory_ids = reader.data.get("memory_ids") or []
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
    def from_dict(cls, data: Any, correlation_id: Optional[str] = None) -> "InstanceIdentity":
        """Parse a whoami reply; raises SynapProtocolError if its shape is wrong."""
        reader = Reader(data, "whoami reply", correlation_id)
        return cls(
            client_id=reader.header_value("client_id"),
            instance_id=reader.header_value("instance_id"),
            user_context_isolation=reader.text("user_context_isolation"),
        )
