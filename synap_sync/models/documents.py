"""What a document is and how it goes on the wire: `CreateMemoryRequest`, checked on construction.

`wire_document` is the hot path of ``batch_create`` and ``ingest``: it checks a dict exactly as the
model does, without building the object; `encode_wire` encodes what it returns.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from datetime import datetime
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Type, TypeVar, Union

import attrs

from ..errors import SynapValidationError
from ._cells import plain_document
from ._checks import (
    check_document,
    check_metadata,
    check_optional_id,
    check_scope,
    checked_metadata,
    format_datetime,
    frozen_copy,
    refuse,
    to_datetime,
)
from ._enums import WireEnum
from ._json import encode_document, encode_json

__all__ = [
    "DocumentType",
    "IngestMode",
    "CreateMemoryRequest",
    "DocumentInput",
    "WireDocument",
    "wire_document",
    "derive_document_id",
    "encode_json",
    "encoded_document",
    "encode_wire",
    "batch_body",
]


class DocumentType(WireEnum):
    """What kind of source a document is; the service routes it through a matching pipeline.
    ``CONVERSATION`` is the official SDK's name for ``AI_CHAT_CONVERSATION`` (the same member)."""

    AI_CHAT_CONVERSATION = "ai-chat-conversation"
    DOCUMENT = "document"
    EMAIL = "email"
    PDF = "pdf"
    IMAGE = "image"
    AUDIO = "audio"
    MEETING_TRANSCRIPT = "meeting-transcript"
    CONVERSATION = "ai-chat-conversation"


class IngestMode(WireEnum):
    """How deeply the service processes a document: ``fast`` or the default ``long-range``."""

    FAST = "fast"
    LONG_RANGE = "long-range"


E = TypeVar("E", bound=enum.Enum)


def _members(enum_cls: Type[E]) -> Dict[Any, E]:
    """Each member of ``enum_cls``, under itself and under its string value."""
    lookup: Dict[Any, E] = {member.value: member for member in enum_cls}
    lookup.update({member: member for member in enum_cls})
    return lookup


def _not_one_of(enum_cls: Type[enum.Enum], field: str, value: Any) -> SynapValidationError:
    """The refusal of a value that is none of ``enum_cls``'s, listing the values allowed."""
    allowed = ", ".join(member.value for member in enum_cls)
    return refuse(field, f"must be one of {allowed}; got {value!r}")


#: A UTC timestamp already in the wire's form; it is sent as given once it parses.
_CANONICAL_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z")

_DOCUMENT_TYPES = _members(DocumentType)
_MODES = _members(IngestMode)


# Named functions, because mypy's attrs plugin only understands those as converters.
def _to_document_type(value: Any) -> DocumentType:
    """A `DocumentType` or its value as the member; anything else refused with the allowed values."""
    try:
        return _DOCUMENT_TYPES[value]
    except (KeyError, TypeError):
        raise _not_one_of(DocumentType, "document_type", value) from None


def _to_mode(value: Any) -> IngestMode:
    """An `IngestMode` or its value as the member; anything else refused with the allowed values."""
    try:
        return _MODES[value]
    except (KeyError, TypeError):
        raise _not_one_of(IngestMode, "mode", value) from None


def _to_created_at(value: Any) -> Optional[datetime]:
    return None if value is None else to_datetime(value, "document_created_at")


def _to_metadata(value: Any) -> Any:
    return {} if value is None else value


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
    #: The JSON it sends, encoded once when it was built and checked.
    _encoded: bytes = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        _check_fields(self.document, self.document_id, self.user_id, self.customer_id, self.scope)
        # What it sends is encoded now, so sending needs neither a copy nor a second check.
        # Read-only copies (`FrozenDict`): what it shows is what it sends, whatever happens to the caller's.
        document, scope = self.document, self.scope
        if isinstance(document, dict):
            document = frozen_copy(document)
            object.__setattr__(self, "document", document)
        if scope is not None:
            scope = frozen_copy(scope)
            object.__setattr__(self, "scope", scope)
        metadata = checked_metadata(self.metadata, True)  # a dict, even when empty
        object.__setattr__(self, "metadata", metadata)
        created_at = self.document_created_at
        encoded = encode_document(
            document,
            _WIRE_JSON[self.document_type],
            self.document_id,
            None if created_at is None else format_datetime(created_at),
            self.user_id,
            self.customer_id,
            scope,
            _WIRE_JSON[self.mode],
            metadata,
        )
        object.__setattr__(self, "_encoded", encoded)

    @property
    def encoded(self) -> bytes:
        """The JSON object this request sends, as the bytes that go in a request body."""
        return self._encoded

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "CreateMemoryRequest":
        """Build from a plain dict of the contract's fields; unknown keys are refused by name."""
        return cls(**_known_fields(data))

    def __dask_tokenize__(self) -> str:
        """Dask's token for it (it names a cluster run's journals): the same in every process."""
        return self._encoded.decode("utf-8")

    def to_dict(self) -> Dict[str, Any]:
        """The exact JSON object it sends, as the official SDK sends it: every field, nulls included; a
        fresh dict each time, as checked and encoded when the request was built."""
        wire: Dict[str, Any] = json.loads(self._encoded)
        return wire


def _check_fields(document: Any, document_id: Any, user_id: Any, customer_id: Any, scope: Any) -> None:
    """The checks no converter makes but the metadata's, shared by `CreateMemoryRequest` and `wire_document`
    (the request checks its metadata as it copies it).

    The common valid shapes are accepted inline; anything else goes to the check that names the field.
    """
    if type(document) is not str or not document.strip():
        check_document(document)
    if document_id is not None and (type(document_id) is not str or not document_id.strip()):
        check_optional_id(document_id, "document_id")
    if user_id is not None and (type(user_id) is not str or not user_id.strip()):
        check_optional_id(user_id, "user_id")
    if customer_id is not None and (type(customer_id) is not str or not customer_id.strip()):
        check_optional_id(customer_id, "customer_id")
    if scope is not None:
        check_scope(scope)


def _known_fields(data: Any) -> Mapping[str, Any]:
    """``data`` itself, once it is known to be a mapping of the contract's fields with a document."""
    if type(data) is not dict and not isinstance(data, Mapping):
        raise refuse("document", f"each item must be a CreateMemoryRequest or a dict, not {type(data).__name__}")
    if not _REQUEST_FIELD_SET.issuperset(data):
        unknown = [key for key in data if key not in _REQUEST_FIELD_SET]
        raise refuse(str(unknown[0]), f"is not a field of CreateMemoryRequest; allowed: {', '.join(REQUEST_FIELDS)}")
    if "document" not in data:
        raise refuse("document", "is required")
    return data


#: `CreateMemoryRequest`'s fields in order: the keys a document dict (or a DataFrame's columns) may have.
REQUEST_FIELDS = tuple(field.name for field in attrs.fields(CreateMemoryRequest) if field.init)
_REQUEST_FIELD_SET = frozenset(REQUEST_FIELDS)

#: What ``batch_create`` and ``ingest`` take per item.
DocumentInput = Union[CreateMemoryRequest, Mapping[str, Any]]
#: One document as it goes on the wire: the JSON object of `CreateMemoryRequest.to_dict`.
WireDocument = Dict[str, Any]


def encoded_document(item: DocumentInput, derive_ids: bool = False) -> Tuple[bytes, Optional[str]]:
    """One item as the bytes it is sent as, and its document_id: a request's own encoding, or a dict
    checked and encoded. With ``derive_ids``, one without an id gets `derive_document_id`'s."""
    if isinstance(item, CreateMemoryRequest) and (item.document_id is not None or not derive_ids):
        return item.encoded, item.document_id
    wire = wire_document(item)
    if derive_ids and wire["document_id"] is None:
        wire["document_id"] = _derived_id(wire)
    return encode_wire(wire), wire["document_id"]


def encode_wire(wire: WireDocument) -> bytes:
    """A document's JSON object as `wire_document` made it, as the bytes that go in a request body."""
    return encode_document(
        wire["document"],
        _WIRE_JSON[wire["document_type"]],
        wire["document_id"],
        wire["document_created_at"],
        wire["user_id"],
        wire["customer_id"],
        wire["scope"],
        _WIRE_JSON[wire["mode"]],
        wire["metadata"],
    )


def batch_body(documents: List[bytes], fail_fast: bool) -> bytes:
    """A batch request's body from its documents' encoded JSON."""
    flag = b"true" if fail_fast else b"false"
    return b'{"documents":[' + b",".join(documents) + b'],"fail_fast":' + flag + b"}"


def wire_document(item: DocumentInput) -> Dict[str, Any]:
    """One item's JSON object, checked exactly as `CreateMemoryRequest` checks it.

    The hot path of ``batch_create`` and ``ingest``: a dict is checked without building the request
    object (the benchmark showed that costing more than the call); `encode_wire` encodes the result.
    A dict refused as it is is checked again with its values made plain, as a table row holds them
    (`plain_document`: NaN, NaT and NA missing, numpy scalars as numbers, Timestamps as datetimes), so
    ``df.to_dict("records")`` sends what the DataFrame itself would; a valid dict pays nothing for it.
    """
    if isinstance(item, CreateMemoryRequest):
        return item.to_dict()
    try:
        return _wire_dict(item)
    except SynapValidationError:
        if not isinstance(item, Mapping):
            raise
        plain = plain_document(item)
        if plain == item:
            raise
    return _wire_dict(plain)


def _wire_dict(item: Any) -> Dict[str, Any]:
    get = _known_fields(item).get
    document_type = _wire_enum(_TYPE_WIRE, _to_document_type, get("document_type", "ai-chat-conversation"))
    mode = _wire_enum(_MODE_WIRE, _to_mode, get("mode", "long-range"))
    created_at = get("document_created_at")
    if created_at is not None:
        parsed = _to_created_at(created_at)
        if type(created_at) is not str or not _CANONICAL_UTC.fullmatch(created_at):
            created_at = format_datetime(parsed)  # type: ignore[arg-type]
    metadata = get("metadata")
    if metadata is None:
        metadata = {}
    document, document_id, user_id, customer_id, scope = (
        item["document"],
        get("document_id"),
        get("user_id"),
        get("customer_id"),
        get("scope"),
    )
    _check_fields(document, document_id, user_id, customer_id, scope)
    check_metadata(metadata)
    return {
        "document": document,
        "document_type": document_type,
        "document_id": document_id,
        "document_created_at": created_at,
        "user_id": user_id,
        "customer_id": customer_id,
        "scope": scope,
        "mode": mode,
        "metadata": metadata,
    }


#: Each accepted input (an enum member or its value) to its wire string, in one lookup.
_TYPE_WIRE: Dict[Any, str] = {key: member.value for key, member in _DOCUMENT_TYPES.items()}
_MODE_WIRE: Dict[Any, str] = {key: member.value for key, member in _MODES.items()}
#: The same keys to the wire string as JSON, written once.
_WIRE_JSON: Dict[Any, str] = {key: json.dumps(value) for key, value in {**_TYPE_WIRE, **_MODE_WIRE}.items()}


def _wire_enum(wire_values: Dict[Any, str], convert: Callable[[Any], Any], value: Any) -> str:
    try:
        return wire_values[value]
    except (KeyError, TypeError):
        return str(convert(value).value)  # convert refuses the value, naming the field


def document_type_value(value: Any) -> str:
    """A `DocumentType` or its value as the wire string; anything else refused, naming document_type."""
    return _wire_enum(_TYPE_WIRE, _to_document_type, value)


#: What `derive_document_id` hashes: the content and who and when it belongs to, not how it is processed.
DERIVED_ID_FIELDS = ("document", "document_type", "document_created_at", "user_id", "customer_id", "scope")
DERIVED_ID_PREFIX = "sha256-"


def derive_document_id(document: DocumentInput) -> str:
    """A stable id for a document (a `CreateMemoryRequest` or a dict of its fields): ``sha256-`` and the
    first 32 hex digits of the SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) of its
    `DERIVED_ID_FIELDS` as sent, defaults included; what ``derive_ids=True`` gives a document without one.

    Two documents with the same content, type, creation time, user, customer and scope get the same id,
    so the service stores one of them; ``mode`` and ``metadata`` do not count.

    :raises SynapValidationError: the document would be refused, naming the field.
    """
    return _derived_id(wire_document(document))


def _derived_id(wire: WireDocument) -> str:
    canonical = json.dumps(
        [wire[name] for name in DERIVED_ID_FIELDS], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return DERIVED_ID_PREFIX + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]
