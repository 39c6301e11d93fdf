"""Names code ported from the official SDK imports: its enums (members equal their strings, so they
go wherever the string does) and its two request models."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import attrs

from ._checks import checked_metadata, one_of, refuse
from ._enums import WireEnum
from .documents import CreateMemoryRequest, DocumentInput, document_type_value

__all__ = [
    "ContextScope",
    "LogLevel",
    "ContextType",
    "MergeStrategy",
    "ForgetMode",
    "ForgetStatus",
    "CompactionLevel",
    "UpdateMemoryRequest",
    "BatchCreateRequest",
]


class ContextScope(WireEnum):
    """The levels context is kept at: a client (your organisation), a customer, a user, a conversation."""

    CLIENT = "client"
    CUSTOMER = "customer"
    USER = "user"
    CONVERSATION = "conversation"


class LogLevel(WireEnum):
    """The official SDK's logging levels, for ported code that names them (this library logs through
    ``logging.getLogger("synap_sync")``, which your logging configuration sets)."""

    DEBUG = "debug"
    INFO = "info"
    WARN = "warn"
    ERROR = "error"


class ContextType(WireEnum):
    """What a context fetch's ``types`` asks for."""

    FACTS = "facts"
    PREFERENCES = "preferences"
    EPISODES = "episodes"
    EMOTIONS = "emotions"
    TEMPORAL = "temporal_events"
    ALL = "all"


class MergeStrategy(WireEnum):
    """How ``memories.update`` merges the new document into the memory."""

    REPLACE = "replace"
    APPEND = "append"
    SMART_MERGE = "smart-merge"


class ForgetMode(WireEnum):
    """``memories.forget``: ask for approval in the dashboard first, or delete at once."""

    PREVIEW = "preview"
    DIRECT = "direct"


class ForgetStatus(WireEnum):
    """What ``memories.forget`` did; only ``deleted`` means the memories are gone."""

    NOTHING_MATCHES = "nothing_matches"
    PREVIEW = "preview"
    DELETED = "deleted"
    PARTIAL = "partial"


class CompactionLevel(WireEnum):
    """A compaction's level, as the official SDK names it; ``compact(compaction_level=...)`` takes it."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    ADAPTIVE = "adaptive"
    AGGRESSIVE = "aggressive"
    BALANCED = "balanced"
    CONSERVATIVE = "conservative"


#: The official SDK's levels as the strategies the service takes.
LEVEL_STRATEGIES = {"low": "conservative", "medium": "balanced", "high": "aggressive"}


def _merge_strategy(value: Any) -> str:
    return one_of(value, "merge_strategy", tuple(member.value for member in MergeStrategy))


def _update_document(value: Any) -> Any:
    """Checked as a created document is (a non-empty string or JSON object), and copied."""
    return CreateMemoryRequest(document=value).document


def _optional_document_type(value: Any) -> Optional[str]:
    return document_type_value(value) if value else None


def _optional_metadata(value: Any) -> Optional[Dict[str, Any]]:
    """Checked and copied (read-only) as a created document's metadata is; None stays None (nothing to merge)."""
    return None if value is None else checked_metadata(value, freeze=True)


@attrs.frozen
class UpdateMemoryRequest:
    """``memories.update``'s body, checked when built; unset fields are left out of it."""

    document: Any = attrs.field(converter=_update_document)
    merge_strategy: str = attrs.field(default="smart-merge", converter=_merge_strategy)
    document_type: Optional[str] = attrs.field(default=None, converter=_optional_document_type)
    metadata: Optional[Dict[str, Any]] = attrs.field(default=None, converter=_optional_metadata)

    def to_dict(self) -> Dict[str, Any]:
        body: Dict[str, Any] = {"document": self.document, "merge_strategy": self.merge_strategy}
        if self.document_type is not None:
            body["document_type"] = self.document_type
        if self.metadata is not None:
            body["metadata"] = self.metadata
        return body


@attrs.frozen
class BatchCreateRequest:
    """A ``batch_create`` call's arguments as one object: ``client.memories.batch_create(**vars-like)``
    is ``batch_create(request.documents, request.fail_fast)``; the 1-to-100 rule is checked when sent."""

    documents: List[DocumentInput] = attrs.field(factory=list)
    fail_fast: bool = False

    def __attrs_post_init__(self) -> None:
        for index, document in enumerate(self.documents):
            if not isinstance(document, (CreateMemoryRequest, dict)):
                raise refuse("documents", f"item {index} is a {type(document).__name__}, not a document")
