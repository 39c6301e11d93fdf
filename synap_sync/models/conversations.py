"""Recording a conversation: the checks on messages and transcripts, their bodies as the official SDK
lays them out, and the replies.

Checks are the official single-message ones, applied to every item of a batch too (the official batch
call checks almost nothing). Bodies keep the official key order, so the bytes match. Replies are read
leniently, as the official SDK reads them: a missing key gets its default; what this version does not
know is kept in ``extra``.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any, Dict, KeysView, List, Optional, Tuple

import attrs

from ..errors import SynapValidationError
from ._checks import (
    at_index,
    check_json,
    check_scope,
    checked_json_copy,
    conversation_uuid,
    format_datetime,
    frozen_copy,
    one_of,
    optional_text,
    parse_datetime,
    refuse,
    required_text,
    to_datetime,
    whole_number,
)
from .context import ResponseMetadata
from .documents import encode_json
from .names import LEVEL_STRATEGIES, CompactionLevel
from .replies import Reader

__all__ = [
    "MESSAGE_ROLES",
    "MAX_MESSAGES_PER_BATCH",
    "RecordedMessage",
    "RecordedBatch",
    "TranscriptIngestResponse",
    "TranscriptTurn",
    "message_body",
    "messages_body",
    "transcript_body",
]

#: Who may speak in a recorded conversation (the service's ``MESSAGE_ROLES``: no system, no tool).
MESSAGE_ROLES = ("user", "assistant")
#: Messages one ``record_messages_batch`` call sends at most (the service publishes no ceiling; the
#: official SDK sent 1,500 in one 155 KB request): more is refused before sending, split it.
MAX_MESSAGES_PER_BATCH = 500
#: The service's documented ceilings for a transcript's side fields.
MAX_CONVERSATION_TYPE_CHARS = 64
MAX_SIDE_FIELD_BYTES = 64 * 1024

#: The keys a message of a batch may have, as the official call takes them.
_MESSAGE_KEYS = frozenset(
    {
        "conversation_id",
        "role",
        "content",
        "user_id",
        "customer_id",
        "session_id",
        "metadata",
        "scope_path",
        "model",
        "context_window",
        "timestamp",
    }
)


def _conversation_id(value: Any) -> str:
    """A conversation id as the caller spelled it, once it reads as a UUID (the service's form); else a
    `SynapInvalidConversationIdError`."""
    return conversation_uuid(value)


def _metadata(value: Any, model: Any, context_window: Any) -> Dict[str, Any]:
    """The message's metadata, the agent's model and context window folded in as the official SDK does."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise refuse("metadata", f"must be a dict, not {type(value).__name__}")
    metadata = checked_json_copy(value, "metadata")
    if model:
        metadata["agent_model"] = required_text(model, "model")
    if context_window:
        if not whole_number(context_window) or context_window < 1:
            raise refuse("context_window", f"must be a whole number of tokens >= 1, got {context_window!r}")
        metadata["agent_context_window"] = int(context_window)
    return metadata


def _scope(value: Any) -> Optional[Dict[str, str]]:
    if not value:
        return None
    check_scope(value)
    return dict(value)


def message_body(
    conversation_id: Any,
    role: Any,
    content: Any,
    user_id: Any = None,
    customer_id: Any = None,
    session_id: Any = None,
    metadata: Any = None,
    scope_path: Any = None,
    model: Any = None,
    context_window: Any = None,
    *,
    user_required: bool = True,
) -> Dict[str, Any]:
    """One message's JSON object in the official key order; refuses a bad field by name. In a batch
    the ``user_id`` may be left out (``user_required=False``): the conversation knows its user."""
    body: Dict[str, Any] = {
        "conversation_id": _conversation_id(conversation_id),
        "role": one_of(role, "role", MESSAGE_ROLES),
        "content": _content(content),
        "user_id": required_text(user_id, "user_id") if user_required or user_id is not None else None,
        "customer_id": optional_text(customer_id, "customer_id"),
        "metadata": _metadata(metadata, model, context_window),
    }
    if session_id:
        body["session_id"] = required_text(session_id, "session_id")
    scope = _scope(scope_path)
    if scope:
        body["scope"] = scope
    return body


def _content(value: Any) -> str:
    if not isinstance(value, str):
        raise refuse("content", f"must be a string, not {type(value).__name__}")
    return value


def messages_body(
    messages: Any, agent: Tuple[Optional[str], Optional[int]] = (None, None)
) -> Tuple[Dict[str, Any], List[Optional[str]]]:
    """A batch's body, every message checked as a single one is (the index named in a refusal), and
    each message's ``customer_id``. Each message keeps its key order, as the official SDK sends it; one
    without a ``model`` (``context_window``) carries ``agent``'s, the client's."""
    if isinstance(messages, (str, bytes, dict)) or not hasattr(messages, "__iter__"):
        raise refuse("messages", f"must be a list of message dicts, not {type(messages).__name__}")
    items = list(messages)
    if not 1 <= len(items) <= MAX_MESSAGES_PER_BATCH:
        raise refuse("messages", f"a batch holds 1 to {MAX_MESSAGES_PER_BATCH} messages, got {len(items)}")
    bodies: List[Dict[str, Any]] = []
    customers: List[Optional[str]] = []
    for index, item in enumerate(items):
        try:
            bodies.append(_batch_item(item, agent))
        except SynapValidationError as error:
            raise at_index(error, index, "messages") from None
        customers.append(bodies[-1].get("customer_id"))
    return {"messages": bodies}, customers


def _batch_item(item: Any, agent: Tuple[Optional[str], Optional[int]]) -> Dict[str, Any]:
    if not isinstance(item, dict):
        raise refuse("messages", f"each message must be a dict, not {type(item).__name__}")
    unknown = [key for key in item if key not in _MESSAGE_KEYS]
    if unknown:
        raise refuse(str(unknown[0]), f"is not a field of a message; allowed: {', '.join(sorted(_MESSAGE_KEYS))}")
    fields = _fields(item)
    fields["model"] = fields.get("model") or agent[0]
    fields["context_window"] = fields.get("context_window") or agent[1]
    checked = message_body(**fields, user_required=False)
    body: Dict[str, Any] = {}
    for key in item:  # the caller's order, as the official SDK keeps it
        if key in ("model", "context_window", "scope_path"):
            continue
        if key == "timestamp":
            body[key] = None if item[key] is None else _timestamp(item[key], "timestamp")
        elif key in checked:
            body[key] = checked[key]
        elif key == "customer_id":
            body[key] = None
    body.setdefault("metadata", checked["metadata"])
    if "scope" in checked:
        body["scope"] = checked["scope"]
    return body


def _fields(item: Dict[str, Any]) -> Dict[str, Any]:
    """The message's fields as `message_body` takes them (``role`` and ``content`` required)."""
    for required in ("conversation_id", "role", "content"):
        if required not in item:
            raise refuse(required, "is required")
    return {key: value for key, value in item.items() if key != "timestamp"}


def _timestamp(value: Any, field: str) -> str:
    """A turn's time as the official SDK's models write it: UTC as ``Z``, another offset kept, a naive
    time as is, a date alone at midnight, a Unix number in UTC."""
    moment = to_datetime(value, field)
    assert moment is not None  # the callers pass None on themselves
    return format_datetime(moment)


def _role(value: Any) -> str:
    return one_of(value, "role", MESSAGE_ROLES)


def _turn_timestamp(value: Any) -> Optional[str]:
    return None if value is None else _timestamp(value, "timestamp")


def _speaker(value: Any) -> Optional[str]:
    return optional_text(value, "speaker")


@attrs.frozen
class TranscriptTurn:
    """One turn of a finished conversation's transcript (the official ``TranscriptTurn``)."""

    role: str = attrs.field(converter=_role)
    content: str = attrs.field(converter=_content)
    timestamp: Optional[str] = attrs.field(default=None, converter=_turn_timestamp)
    speaker: Optional[str] = attrs.field(default=None, converter=_speaker)
    metadata: Optional[Dict[str, Any]] = attrs.field(default=None)
    #: Keys beyond the five, sent as given.
    extra: Dict[str, Any] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        if self.metadata is not None:
            if not isinstance(self.metadata, dict):
                raise refuse("metadata", f"must be a dict or None, not {type(self.metadata).__name__}")
            object.__setattr__(self, "metadata", checked_json_copy(self.metadata, "metadata", freeze=True))
        check_json(self.extra, "transcript", "turn")
        object.__setattr__(self, "extra", frozen_copy(self.extra))

    @classmethod
    def from_dict(cls, data: Any) -> "TranscriptTurn":
        if isinstance(data, TranscriptTurn):
            return data
        if not isinstance(data, dict):
            raise refuse("transcript", f"each turn must be a dict or a TranscriptTurn, not {type(data).__name__}")
        known = {key: data[key] for key in ("role", "content", "timestamp", "speaker", "metadata") if key in data}
        if "role" not in known or "content" not in known:
            raise refuse("transcript", "each turn needs a role and content")
        extra = {key: value for key, value in data.items() if key not in known}
        return cls(**known, extra=extra)

    def to_dict(self) -> Dict[str, Any]:
        """The turn as sent: all five keys, then any others."""
        body = {
            "role": self.role,
            "content": self.content,
            "timestamp": self.timestamp,
            "speaker": self.speaker,
            "metadata": self.metadata,
        }
        body.update(self.extra)
        return body


def transcript_body(
    conversation_id: Any,
    user_id: Any,
    transcript: Any,
    customer_id: Any = None,
    conversation_type: Any = None,
    analysis: Any = None,
    metadata: Any = None,
    started_at: Any = None,
    ended_at: Any = None,
    scope_path: Any = None,
) -> Dict[str, Any]:
    """A transcript's body in the official key order; refuses a bad field by name, the turn's index too."""
    body: Dict[str, Any] = {
        "conversation_id": required_text(conversation_id, "conversation_id"),
        "user_id": required_text(user_id, "user_id"),
        "transcript": _transcript(transcript),
    }
    if customer_id is not None:
        body["customer_id"] = required_text(customer_id, "customer_id")
    if conversation_type is not None:
        kind = required_text(conversation_type, "conversation_type")
        if len(kind) > MAX_CONVERSATION_TYPE_CHARS:
            raise refuse("conversation_type", f"is {len(kind)} characters, over {MAX_CONVERSATION_TYPE_CHARS}")
        body["conversation_type"] = kind
    for field, value in (("analysis", analysis), ("metadata", metadata)):
        if value is not None:
            body[field] = _side_object(value, field)
    for field, value in (("started_at", started_at), ("ended_at", ended_at)):
        if value is not None:
            body[field] = _isoformat(value, field)
    scope = _scope(scope_path)
    if scope:
        body["scope"] = scope
    return body


def _transcript(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, dict)) or not hasattr(value, "__iter__"):
        raise refuse("transcript", f"must be a string or a list of turns, not {type(value).__name__}")
    turns = []
    for index, turn in enumerate(value):
        try:
            turns.append(TranscriptTurn.from_dict(turn).to_dict())
        except SynapValidationError as error:
            raise at_index(error, index, "transcript") from None
    return turns


def _side_object(value: Any, field: str) -> Dict[str, Any]:
    if not isinstance(value, dict):
        raise refuse(field, f"must be a dict, not {type(value).__name__}")
    copied = checked_json_copy(value, field)
    size = len(encode_json(copied))  # the size the service measures: the encoded JSON
    if size > MAX_SIDE_FIELD_BYTES:
        raise refuse(field, f"is {size} bytes encoded, over the service's {MAX_SIDE_FIELD_BYTES}")
    return copied


def _isoformat(value: Any, field: str) -> str:
    """``started_at``/``ended_at`` as the official SDK writes them: ``datetime.isoformat()``."""
    if isinstance(value, str):
        try:
            value = parse_datetime(value)
        except ValueError:
            raise refuse(field, f"is not an ISO-8601 datetime: {value!r}") from None
    if not isinstance(value, datetime):
        raise refuse(field, f"must be a datetime or an ISO-8601 string, not {type(value).__name__}")
    return value.isoformat()


# --- replies -------------------------------------------------------------------------------------


def _str_or_none(value: Any) -> Optional[str]:
    return value if isinstance(value, str) else None


def _int_or_none(value: Any) -> Optional[int]:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _moment(value: Any) -> Optional[datetime]:
    if not isinstance(value, str):
        return None
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


_MESSAGE_FIELDS = ("message_id", "conversation_id", "session_id", "recorded_at", "conversation_message_count")


class AsReplied:
    """Also read as the JSON object the service answered (``reply["message_id"]``, ``.get``, ``in``,
    ``keys()``): code ported from the official SDK, which returns that object as a dict, keeps working."""

    raw: Dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.raw[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.raw.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.raw

    def keys(self) -> KeysView[str]:
        return self.raw.keys()


@attrs.frozen
class RecordedMessage(AsReplied):
    """What the service said of one recorded message; every field may be missing (None). Reads as the
    reply's JSON object too (``recorded["message_id"]``), as the official SDK's dict is read."""

    message_id: Optional[str] = None
    conversation_id: Optional[str] = None
    session_id: Optional[str] = None
    recorded_at: Optional[datetime] = None
    conversation_message_count: Optional[int] = None
    extra: Dict[str, Any] = attrs.field(factory=dict, repr=False)
    raw: Dict[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_dict(cls, data: Any, correlation_id: Optional[str] = None) -> "RecordedMessage":
        get = Reader(data, "recorded message", correlation_id).data.get
        return cls(
            message_id=_str_or_none(get("message_id")),
            conversation_id=_str_or_none(get("conversation_id")),
            session_id=_str_or_none(get("session_id")),
            recorded_at=_moment(get("recorded_at")),
            conversation_message_count=_int_or_none(get("conversation_message_count")),
            extra={key: value for key, value in data.items() if key not in _MESSAGE_FIELDS},
            raw=data,
        )


@attrs.frozen
class RecordedBatch(AsReplied):
    """What the service said of a batch of messages: counts, the stored ones, and the refused ones.

    ``results`` are the stored messages in input order; ``errors`` the refused ones as the service
    described them (each with its input ``index`` where it said). A partial success is no error. Reads as
    the reply's JSON object too (``batch["succeeded"]``), as the official SDK's dict is read.
    """

    total: int = 0
    succeeded: int = 0
    failed: int = 0
    results: List[RecordedMessage] = attrs.field(factory=list)
    errors: List[Dict[str, Any]] = attrs.field(factory=list)
    extra: Dict[str, Any] = attrs.field(factory=dict, repr=False)
    raw: Dict[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_dict(cls, data: Any, correlation_id: Optional[str] = None) -> "RecordedBatch":
        reader = Reader(data, "message batch reply", correlation_id)
        get = reader.data.get
        results, errors = get("results") or [], get("errors") or []
        if not isinstance(results, list):
            raise reader.fail("results", "is not a list")
        if not isinstance(errors, list):
            raise reader.fail("errors", "is not a list")
        return cls(
            total=_int_or_none(get("total")) or 0,
            succeeded=_int_or_none(get("succeeded")) or 0,
            failed=_int_or_none(get("failed")) or 0,
            results=[RecordedMessage.from_dict(item, correlation_id) for item in results if isinstance(item, dict)],
            errors=[item for item in errors if isinstance(item, dict)],
            extra=reader.extra(("total", "succeeded", "failed", "results", "errors")),
            raw=reader.data,
        )


_TRANSCRIPT_FIELDS = (
    "conversation_id",
    "external_conversation_id",
    "ingestion_id",
    "status",
    "turns_recorded",
    "summary_status",
    "queued_at",
    "warnings",
)


@attrs.frozen
class TranscriptIngestResponse:
    """What the service said of an ingested transcript. ``status`` is ``queued`` or ``duplicate`` (the
    same transcript sent before), ``summary_status`` ``in_progress``, ``already_compacted`` or
    ``skipped``; a value this version does not know is kept as it came."""

    conversation_id: str
    ingestion_id: uuid.UUID
    external_conversation_id: Optional[str] = None
    status: Optional[str] = None
    turns_recorded: int = 0
    summary_status: Optional[str] = None
    queued_at: Optional[datetime] = None
    warnings: List[str] = attrs.field(factory=list)
    extra: Dict[str, Any] = attrs.field(factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Any, correlation_id: Optional[str] = None) -> "TranscriptIngestResponse":
        reader = Reader(data, "transcript reply", correlation_id)
        conversation_id = reader.text("conversation_id")
        if conversation_id is None:
            raise reader.fail("conversation_id", "is missing")
        ingestion_id = reader.uuid("ingestion_id", required=True)
        assert ingestion_id is not None
        get = reader.data.get
        warnings = get("warnings")
        return cls(
            conversation_id=conversation_id,
            ingestion_id=ingestion_id,
            external_conversation_id=_str_or_none(get("external_conversation_id")) or conversation_id,
            status=_str_or_none(get("status")),
            turns_recorded=_int_or_none(get("turns_recorded")) or 0,
            summary_status=_str_or_none(get("summary_status")),
            queued_at=_moment(get("queued_at")),
            warnings=[item for item in warnings if isinstance(item, str)] if isinstance(warnings, list) else [],
            extra=reader.extra(_TRANSCRIPT_FIELDS),
        )


# --- compaction ----------------------------------------------------------------------------------

#: How a compaction trades length for detail (the service's strategies).
COMPACTION_STRATEGIES = ("aggressive", "balanced", "conservative", "adaptive")
#: The shapes ``get_compacted`` returns a summary in.
COMPACTED_FORMATS = ("structured", "narrative", "injection")
#: A compaction's states; ``none`` just after a trigger means it has not started yet.
COMPACTION_DONE = ("completed", "failed")


def compact_body(
    conversation_id: Any, strategy: Any, compaction_level: Any, target_tokens: Any, force: Any
) -> Dict[str, Any]:
    """A compaction trigger's body: all four keys, null when unset, as the official SDK sends it."""
    level = getattr(compaction_level, "value", compaction_level)
    chosen = getattr(strategy, "value", strategy) or LEVEL_STRATEGIES.get(level, level)
    if target_tokens is not None and (not whole_number(target_tokens) or target_tokens < 1):
        raise refuse("target_tokens", f"must be a whole number of tokens >= 1 or None, got {target_tokens!r}")
    if not isinstance(force, bool):
        raise refuse("force", f"must be True or False, not {force!r}")
    return {
        "conversation_id": _conversation_id(conversation_id),
        "strategy": None if not chosen else one_of(chosen, "strategy", COMPACTION_STRATEGIES),
        "target_tokens": target_tokens,
        "force": force,
    }


def conversation_segment(conversation_id: Any) -> str:
    """A conversation id checked as a UUID, as it goes in a path (spelled as given)."""
    return _conversation_id(conversation_id)


def _float_or_none(value: Any) -> Optional[float]:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


@attrs.frozen
class CompactionTriggerResponse:
    """``compact``'s answer: the run started (``status`` ``in_progress``), and the last summary, which
    stays usable while the new one is made."""

    compaction_id: Optional[str] = None
    conversation_id: Optional[str] = None
    status: str = "in_progress"
    trigger_type: Optional[str] = None
    initiated_at: Optional[datetime] = None
    estimated_completion_seconds: Optional[int] = None
    previous_context: Optional[Dict[str, Any]] = None
    previous_context_age_seconds: Optional[int] = None
    previous_compaction_id: Optional[str] = None
    extra: Dict[str, Any] = attrs.field(factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Any, correlation_id: Optional[str] = None) -> "CompactionTriggerResponse":
        reader = Reader(data, "compaction reply", correlation_id)
        get = reader.data.get
        previous = get("previous_context")
        known = (
            "compaction_id",
            "conversation_id",
            "status",
            "trigger_type",
            "initiated_at",
            "estimated_completion_seconds",
            "previous_context",
            "previous_context_age_seconds",
            "previous_compaction_id",
        )
        return cls(
            compaction_id=_str_or_none(get("compaction_id")),
            conversation_id=_str_or_none(get("conversation_id")),
            status=_str_or_none(get("status")) or "in_progress",
            trigger_type=_str_or_none(get("trigger_type")),
            initiated_at=_moment(get("initiated_at")),
            estimated_completion_seconds=_int_or_none(get("estimated_completion_seconds")),
            previous_context=previous if isinstance(previous, dict) else None,
            previous_context_age_seconds=_int_or_none(get("previous_context_age_seconds")),
            previous_compaction_id=_str_or_none(get("previous_compaction_id")),
            extra=reader.extra(known),
        )


@attrs.frozen
class CompactionResponse:
    """A conversation's compacted summary (``get_compacted``), ready to put in a prompt.

    ``level_applied`` is ``strategy_used`` as a `CompactionLevel` (None for a strategy this version does
    not know: the official SDK raises ValueError there, after the read); ``metadata`` says where it came
    from (``metadata.ttl_seconds`` is the service's cache hint).
    """

    compacted_context: str = ""
    original_token_count: int = 0
    compacted_token_count: int = 0
    compression_ratio: float = 0.0
    strategy_used: Optional[str] = None
    level_applied: Optional[CompactionLevel] = None
    compaction_id: Optional[str] = None
    conversation_id: Optional[str] = None
    version: Optional[int] = None
    created_at: Optional[datetime] = None
    validation_score: Optional[float] = None
    validation_passed: Optional[bool] = None
    quality_warning: Optional[bool] = None
    current_state: Optional[Dict[str, Any]] = None
    facts: List[Dict[str, Any]] = attrs.field(factory=list)
    decisions: List[Dict[str, Any]] = attrs.field(factory=list)
    preferences: List[Dict[str, Any]] = attrs.field(factory=list)
    warnings: List[str] = attrs.field(factory=list)
    metadata: ResponseMetadata = attrs.field(factory=lambda: ResponseMetadata(None))
    raw: Dict[str, Any] = attrs.field(factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Any, correlation_id: Optional[str] = None) -> "CompactionResponse":
        get = Reader(data, "compacted reply", correlation_id).data.get

        def objects(key: str) -> List[Dict[str, Any]]:
            value = get(key)
            return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []

        passed, warning, state = get("validation_passed"), get("quality_warning"), get("current_state")
        strategy = _str_or_none(get("strategy_used")) or "adaptive"
        level = _LEVELS.get(strategy)
        ttl = _int_or_none(get("ttl_seconds"))
        warnings = get("warnings")
        return cls(
            compacted_context=_str_or_none(get("formatted_context")) or "",
            original_token_count=_int_or_none(get("original_token_count")) or 0,
            compacted_token_count=_int_or_none(get("compacted_token_count")) or 0,
            compression_ratio=_float_or_none(get("compression_ratio")) or 0.0,
            strategy_used=strategy,
            level_applied=level,
            compaction_id=_str_or_none(get("compaction_id")),
            conversation_id=_str_or_none(get("conversation_id")),
            version=_int_or_none(get("version")),
            created_at=_moment(get("created_at")),
            validation_score=_float_or_none(get("validation_score")),
            validation_passed=passed if isinstance(passed, bool) else None,
            quality_warning=warning if isinstance(warning, bool) else None,
            current_state=state if isinstance(state, dict) else None,
            facts=objects("facts"),
            decisions=objects("decisions"),
            preferences=objects("preferences"),
            warnings=[item for item in warnings if isinstance(item, str)] if isinstance(warnings, list) else [],
            metadata=ResponseMetadata(
                correlation_id, 300 if ttl is None else ttl, retrieved_at=datetime.now(timezone.utc),
                compaction_applied=level,
            ),
            raw=dict(data),
        )


#: A strategy's name as the `CompactionLevel` the official SDK reads it as.
_LEVELS = {member.value: member for member in CompactionLevel}


@attrs.frozen
class CompactionStatusResponse:
    """Where a conversation's compaction stands: ``none``, ``in_progress``, ``completed`` or ``failed``
    (kept as sent when the service says something else)."""

    conversation_id: Optional[str]
    status: str
    compaction_id: Optional[str] = None
    error_message: Optional[str] = None
    completed_at: Optional[datetime] = None
    latest_created_at: Optional[datetime] = None
    compression_ratio: Optional[float] = None
    validation_score: Optional[float] = None
    estimated_completion_seconds: Optional[int] = None
    latest_version: Optional[int] = None

    @property
    def done(self) -> bool:
        """Completed or failed: waiting longer changes nothing."""
        return self.status in COMPACTION_DONE

    @classmethod
    def from_dict(cls, data: Any, correlation_id: Optional[str] = None) -> "CompactionStatusResponse":
        reader = Reader(data, "compaction status reply", correlation_id)
        status = reader.text("status")
        if status is None:
            raise reader.fail("status", "is missing")
        get = reader.data.get
        return cls(
            conversation_id=_str_or_none(get("conversation_id")),
            status=status,
            compaction_id=_str_or_none(get("compaction_id")),
            error_message=_str_or_none(get("error_message")),
            completed_at=_moment(get("completed_at")),
            latest_created_at=_moment(get("latest_created_at")),
            compression_ratio=_float_or_none(get("compression_ratio")),
            validation_score=_float_or_none(get("validation_score")),
            estimated_completion_seconds=_int_or_none(get("estimated_completion_seconds")),
            latest_version=_int_or_none(get("latest_version")),
        )
