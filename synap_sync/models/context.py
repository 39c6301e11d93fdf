"""The read side's replies: context fetched for a user, customer, client or conversation, and the
context a prompt is built from.

Lenient on purpose, as the official SDK is: a missing key gets its default and never fails the read;
only a reply that is not a JSON object, or a list that is not a list, is a `SynapProtocolError`.
Items carry the official SDK's typed fields (a `Fact`'s ``extracted_at``, an `Episode`'s ``summary``,
...); what this version does not know is kept in ``extra`` and reads as an attribute too; ``raw``
holds the whole reply.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Type, TypeVar

import attrs

from ._checks import parse_datetime
from .names import CompactionLevel
from .replies import Reader

__all__ = [
    "ContextItem",
    "Fact",
    "Preference",
    "Episode",
    "Emotion",
    "TemporalEvent",
    "RankedItem",
    "ResponseMetadata",
    "RetrievalHealth",
    "ConversationContextModel",
    "ConversationSummaryModel",
    "ContextResponse",
    "RecentMessage",
    "ContextForPromptResponse",
    "CONTEXT_TYPES",
    "ProfileAttribute",
    "UserProfile",
    "moment",
]

#: The typed lists of a context reply, as the official SDK's ``ContextType`` names them.
CONTEXT_TYPES = ("facts", "preferences", "episodes", "emotions", "temporal_events")
_CONFIDENCE_WORDS = {"explicit": 1.0, "inferred": 0.75, "assumed": 0.5}
#: A ranked item whose source is this is a quote from a source document: an excerpt.
EXCERPT_SOURCE = "chunks"


def _float(value: Any, default: float = 0.0) -> float:
    if isinstance(value, str) and value in _CONFIDENCE_WORDS:
        return _CONFIDENCE_WORDS[value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return default


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _optional_string(value: Any) -> Optional[str]:
    return value if isinstance(value, str) else None


def _strings(value: Any) -> List[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def moment(value: Any) -> Optional[datetime]:
    """An ISO-8601 time as an aware datetime (a time without an offset is UTC); None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def _dict(value: Any) -> Dict[str, Any]:
    return value if isinstance(value, dict) else {}


#: The keys a context item's fields are read from; any other key of an item is kept in ``extra``.
_ITEM_KEYS = frozenset(
    {
        "id", "item_id", "content", "summary", "context", "category", "context_type", "emotion_type",
        "confidence", "strength", "significance", "intensity", "source", "metadata", "extracted_at",
        "occurred_at", "detected_at", "event_date", "event_end", "event_precision", "said_at", "valid_until",
        "temporal_category", "temporal_confidence", "source_evidence", "matched_queries", "participants",
        "rank", "rank_score",
    }
)  # fmt: skip

Item = TypeVar("Item", bound="ContextItem")


@attrs.frozen
class ContextItem:
    """One fact, preference, episode, emotion, temporal event or ranked item, with every field the
    service gives an item; `Fact`, `Preference`, `Episode`, `Emotion`, `TemporalEvent` and `RankedItem`
    add the official SDK's names for them.

    ``content`` is the text whatever the type (an episode's ``summary``, an emotion's ``context``);
    ``confidence`` reads the service's words (``explicit`` 1.0, ``inferred`` 0.75, ``assumed`` 0.5);
    ``extracted_at`` is when it was learned (None when the service did not say: the official SDK puts
    "now" there instead); ``said_at`` is when it was said, ``event_date`` to ``event_end`` when it
    happened. A key this version does not know is kept in ``extra`` and reads as an attribute.
    """

    id: str
    content: str
    category: str = ""
    confidence: float = 0.0
    source: str = ""
    metadata: Dict[str, Any] = attrs.field(factory=dict)
    extracted_at: Optional[datetime] = None
    event_date: Optional[datetime] = None
    event_end: Optional[datetime] = None
    event_precision: Optional[str] = None
    said_at: Optional[datetime] = None
    valid_until: Optional[datetime] = None
    temporal_category: Optional[str] = None
    temporal_confidence: float = 0.0
    source_evidence: Optional[List[str]] = None
    #: Which of the fetch's ``search_query`` strings found it.
    matched_queries: List[str] = attrs.field(factory=list)
    participants: List[str] = attrs.field(factory=list)
    extra: Dict[str, Any] = attrs.field(factory=dict, repr=False)

    def __getattr__(self, name: str) -> Any:
        """A key the service sent that this version has no field for, as the official SDK's models show it."""
        extra = object.__getattribute__(self, "extra")
        if name in extra:
            return extra[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @classmethod
    def from_dict(cls: Type[Item], data: Any) -> Item:
        if not isinstance(data, dict):
            return cls(id="", content=_string(data))
        return cls(**cls._fields(data))

    @classmethod
    def _fields(cls, data: Dict[str, Any]) -> Dict[str, Any]:
        """The item's fields from its JSON object; a subclass adds its own."""
        get = data.get
        content = get("content")
        if not isinstance(content, str):
            content = get("summary") if isinstance(get("summary"), str) else get("context")
        evidence = get("source_evidence")
        return dict(
            id=_string(get("id") or get("item_id")),
            content=_string(content),
            category=_string(get("category") or get("emotion_type") or get("context_type")),
            confidence=_float(cls._confidence_of(data)),
            source=_string(get("source")),
            metadata=_dict(get("metadata")),
            extracted_at=moment(get("extracted_at") or get("occurred_at") or get("detected_at")),
            event_date=moment(get("event_date")),
            event_end=moment(get("event_end")),
            event_precision=_optional_string(get("event_precision")),
            said_at=moment(get("said_at")),
            valid_until=moment(get("valid_until")),
            temporal_category=_optional_string(get("temporal_category")),
            temporal_confidence=_float(get("temporal_confidence")),
            source_evidence=_strings(evidence) if isinstance(evidence, list) else None,
            matched_queries=_strings(get("matched_queries")),
            participants=_strings(get("participants")),
            extra={key: value for key, value in data.items() if key not in _ITEM_KEYS},
        )

    @staticmethod
    def _confidence_of(data: Dict[str, Any]) -> Any:
        for key in ("confidence", "strength", "significance", "intensity"):
            if data.get(key) is not None:
                return data[key]
        return None


@attrs.frozen
class Fact(ContextItem):
    """Something known about the scope (``client.user.context.fetch(...).facts``)."""


@attrs.frozen
class Preference(ContextItem):
    """A preference; ``strength`` is the official SDK's name for its ``confidence``."""

    @property
    def strength(self) -> float:
        return self.confidence


@attrs.frozen
class Episode(ContextItem):
    """Something that happened; the official SDK's names: ``summary`` (the ``content``), ``occurred_at``
    (``extracted_at``), ``significance`` (``confidence``)."""

    @property
    def summary(self) -> str:
        return self.content

    @property
    def occurred_at(self) -> Optional[datetime]:
        return self.extracted_at

    @property
    def significance(self) -> float:
        return self.confidence


@attrs.frozen
class Emotion(ContextItem):
    """How the user felt; the official SDK's names: ``emotion_type`` (the ``category``), ``intensity``
    (``confidence``), ``detected_at`` (``extracted_at``), ``context`` (what triggered it: the ``content``)."""

    @property
    def emotion_type(self) -> str:
        return self.category

    @property
    def intensity(self) -> float:
        return self.confidence

    @property
    def detected_at(self) -> Optional[datetime]:
        return self.extracted_at

    @property
    def context(self) -> str:
        return self.content


@attrs.frozen
class TemporalEvent(ContextItem):
    """Something dated: ``event_date`` to ``event_end``, with its ``temporal_category``."""


@attrs.frozen
class RankedItem(ContextItem):
    """One item of a ranked fetch (``response_shape="ranked"``), best first: its ``rank`` (from 1) and
    ``rank_score``; ``category`` is its type (``facts``, ..., or ``excerpts`` for a quote)."""

    rank: int = 0
    rank_score: Optional[float] = None

    @classmethod
    def _fields(cls, data: Dict[str, Any]) -> Dict[str, Any]:
        fields = super()._fields(data)
        score = data.get("rank_score")
        if score is None:
            score = fields["metadata"].get("rank_score")
        rank = data.get("rank")
        fields["rank"] = rank if isinstance(rank, int) and not isinstance(rank, bool) else 0
        scored = isinstance(score, (int, float)) and not isinstance(score, bool)
        fields["rank_score"] = _float(score) if scored else None
        if fields["source"] == EXCERPT_SOURCE:
            fields["category"] = "excerpts"
        return fields


_TYPED: Dict[str, Type[ContextItem]] = {
    "facts": Fact,
    "preferences": Preference,
    "episodes": Episode,
    "emotions": Emotion,
    "temporal_events": TemporalEvent,
}


@attrs.frozen
class ResponseMetadata:
    """Where a context answer came from: the call's ``correlation_id``, the service's cache hint
    ``ttl_seconds``, ``source`` (always ``cloud``: this client keeps no cache) and when it came."""

    correlation_id: Optional[str]
    ttl_seconds: int = 300
    source: str = "cloud"
    retrieved_at: Optional[datetime] = None
    compaction_applied: Optional[CompactionLevel] = None


@attrs.frozen
class RetrievalHealth:
    """Why an answer may be thinner than what the service holds (``ContextResponse.retrieval``): a reply
    with no items *and* this means retrieval broke, not that nothing is known."""

    degraded: bool = True
    level: Optional[str] = None
    code: Optional[str] = None
    warnings: List[str] = attrs.field(factory=list)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "RetrievalHealth":
        degraded = data.get("degraded", True)
        return cls(
            degraded=degraded if isinstance(degraded, bool) else True,
            level=_optional_string(data.get("level")),
            code=_optional_string(data.get("code")),
            warnings=_strings(data.get("warnings")),
        )


@attrs.frozen
class ConversationContextModel:
    """A conversation's own context in a fetch: its compacted ``summary``, the ``recent_turns`` since,
    and what was extracted from it."""

    summary: Optional[str] = None
    current_state: Dict[str, Any] = attrs.field(factory=dict)
    key_extractions: Dict[str, Any] = attrs.field(factory=dict)
    recent_turns: List[Dict[str, Any]] = attrs.field(factory=list)
    compaction_id: Optional[str] = None
    compacted_at: Optional[str] = None
    conversation_id: Optional[str] = None
    formatted_context: Optional[str] = None
    raw: Dict[str, Any] = attrs.field(factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "ConversationContextModel":
        turns = data.get("recent_turns")
        return cls(
            summary=_optional_string(data.get("summary")),
            current_state=_dict(data.get("current_state")),
            key_extractions=_dict(data.get("key_extractions")),
            recent_turns=[turn for turn in turns if isinstance(turn, dict)] if isinstance(turns, list) else [],
            compaction_id=_optional_string(data.get("compaction_id")),
            compacted_at=_optional_string(data.get("compacted_at")),
            conversation_id=_optional_string(data.get("conversation_id")),
            formatted_context=_optional_string(data.get("formatted_context")),
            raw=data,
        )


@attrs.frozen
class ConversationSummaryModel:
    """One of a user's past conversations, summarised (a summary-mode user fetch's ``conversations``)."""

    conversation_id: str
    external_conversation_id: Optional[str] = None
    conversation_type: Optional[str] = None
    started_at: Optional[datetime] = None
    ended_at: Optional[datetime] = None
    last_message_at: Optional[datetime] = None
    message_count: int = 0
    #: ``available``, ``pending`` or ``failed``.
    summary_status: str = "pending"
    summary: Optional[Dict[str, Any]] = None
    classification: Optional[Dict[str, Any]] = None
    analysis: Optional[Dict[str, Any]] = None
    compaction_version: Optional[int] = None
    compacted_at: Optional[datetime] = None
    raw: Dict[str, Any] = attrs.field(factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "ConversationSummaryModel":
        count, version = data.get("message_count"), data.get("compaction_version")
        return cls(
            conversation_id=str(data.get("conversation_id", "")),
            external_conversation_id=_optional_string(data.get("external_conversation_id")),
            conversation_type=_optional_string(data.get("conversation_type")),
            started_at=moment(data.get("started_at")),
            ended_at=moment(data.get("ended_at")),
            last_message_at=moment(data.get("last_message_at")),
            message_count=count if isinstance(count, int) and not isinstance(count, bool) else 0,
            summary_status=_string(data.get("summary_status")) or "pending",
            summary=data.get("summary") if isinstance(data.get("summary"), dict) else None,
            classification=data.get("classification") if isinstance(data.get("classification"), dict) else None,
            analysis=data.get("analysis") if isinstance(data.get("analysis"), dict) else None,
            compaction_version=version if isinstance(version, int) and not isinstance(version, bool) else None,
            compacted_at=moment(data.get("compacted_at")),
            raw=data,
        )


@attrs.frozen
class ProfileAttribute:
    """One thing known about a user: its ``value``, how sure the service is, and where it learned it
    (the official SDK's ``ProfileAttributeModel``)."""

    value: Any
    confidence: Optional[float] = None
    updated_at: Optional[str] = None
    source_conversation_id: Optional[str] = None


@attrs.frozen
class UserProfile:
    """What the service has gathered about a user (``client.user.get_profile(user_id)``, and a summary-mode
    fetch's ``profile``; the official SDK's ``UserProfileModel``)."""

    attributes: Dict[str, ProfileAttribute] = attrs.field(factory=dict)
    overview: Optional[str] = None
    extras: Dict[str, Any] = attrs.field(factory=dict)
    meta: Dict[str, Any] = attrs.field(factory=dict)
    raw: Dict[str, Any] = attrs.field(factory=dict, repr=False)
    correlation_id: Optional[str] = attrs.field(default=None, repr=False)

    @classmethod
    def from_dict(cls, data: Any, correlation_id: Optional[str] = None) -> "UserProfile":
        """From a profile reply (``{"profile": {...}}``, wrapped once more or not) or the profile document."""
        reader = Reader(data, "profile reply", correlation_id)
        profile = reader.data  # the document itself (a fetch's profile), or a reply holding it
        if "profile" in profile:
            profile = profile["profile"] if profile["profile"] is not None else {}
            if not isinstance(profile, dict):
                raise reader.fail("profile", "is not an object")
            if "attributes" not in profile and isinstance(profile.get("profile"), dict):  # wrapped once more
                profile = profile["profile"]
        raw_attributes = profile.get("attributes") or {}
        attributes = {}
        if isinstance(raw_attributes, dict):
            for name, item in raw_attributes.items():
                if not isinstance(item, dict):
                    item = {"value": item}
                attributes[str(name)] = ProfileAttribute(
                    value=item.get("value"),
                    confidence=_float(item.get("confidence"), 0.0) if item.get("confidence") is not None else None,
                    updated_at=item.get("updated_at") if isinstance(item.get("updated_at"), str) else None,
                    source_conversation_id=_string(item.get("source_conversation_id")) or None,
                )
        meta = profile.get("_meta", profile.get("meta")) or {}
        extras = profile.get("extras") or {}
        return cls(
            attributes=attributes,
            overview=_string(profile.get("overview")) or None,
            extras=extras if isinstance(extras, dict) else {},
            meta=meta if isinstance(meta, dict) else {},
            raw=reader.data,
            correlation_id=correlation_id,
        )


@attrs.frozen
class ContextResponse:
    """What a context fetch found. ``retrieval`` is None when retrieval was healthy: a reply with no
    items *and* a ``retrieval`` means retrieval broke, not that nothing is known. ``metadata`` says
    where it came from (``metadata.correlation_id``, ``metadata.ttl_seconds``)."""

    facts: List[Fact] = attrs.field(factory=list)
    preferences: List[Preference] = attrs.field(factory=list)
    episodes: List[Episode] = attrs.field(factory=list)
    emotions: List[Emotion] = attrs.field(factory=list)
    temporal_events: List[TemporalEvent] = attrs.field(factory=list)
    #: The ranked shape's items, best first (``response_shape="ranked"``).
    items: List[RankedItem] = attrs.field(factory=list)
    #: The ranked shape's quotes from source documents.
    excerpts: List[Fact] = attrs.field(factory=list)
    conversation_context: Optional[ConversationContextModel] = None
    profile: Optional[UserProfile] = None
    conversations: List[ConversationSummaryModel] = attrs.field(factory=list)
    retrieval: Optional[RetrievalHealth] = None
    metadata: ResponseMetadata = attrs.field(factory=lambda: ResponseMetadata(None))
    raw: Dict[str, Any] = attrs.field(factory=dict, repr=False)

    @property
    def ttl_seconds(self) -> int:
        """The service's cache hint, in seconds (``metadata.ttl_seconds``)."""
        return self.metadata.ttl_seconds

    @property
    def correlation_id(self) -> Optional[str]:
        return self.metadata.correlation_id

    @property
    def all_items(self) -> List[ContextItem]:
        """Every typed item, facts first."""
        return [item for name in CONTEXT_TYPES for item in getattr(self, name)]

    @classmethod
    def from_dict(cls, data: Any, correlation_id: Optional[str] = None, default_ttl: int = 300) -> "ContextResponse":
        reader = Reader(data, "context reply", correlation_id)
        context = reader.data.get("context")
        if context is None:
            context = {}
        if not isinstance(context, dict):
            raise reader.fail("context", "is not an object")
        lists: Dict[str, List[Any]] = {}
        for name in (*CONTEXT_TYPES, "items"):
            raw = context.get(name) or []
            if not isinstance(raw, list):
                raise reader.fail(f"context.{name}", "is not a list")
            lists[name] = [(_TYPED.get(name) or RankedItem).from_dict(item) for item in raw]
        excerpts = [
            Fact.from_dict(item)
            for item in context.get("items") or []
            if isinstance(item, dict) and item.get("source") == EXCERPT_SOURCE
        ]
        conversations = reader.data.get("conversations") or []
        if not isinstance(conversations, list):
            raise reader.fail("conversations", "is not a list")
        ttl = reader.data.get("ttl_seconds")
        conversation_context = reader.data.get("conversation_context")
        profile = reader.data.get("profile")
        retrieval = reader.data.get("retrieval")
        return cls(
            **lists,
            excerpts=excerpts,
            conversation_context=(
                ConversationContextModel.from_dict(conversation_context)
                if isinstance(conversation_context, dict)
                else None
            ),
            profile=UserProfile.from_dict(profile, correlation_id) if isinstance(profile, dict) else None,
            conversations=[ConversationSummaryModel.from_dict(one) for one in conversations if isinstance(one, dict)],
            retrieval=RetrievalHealth.from_dict(retrieval) if isinstance(retrieval, dict) else None,
            metadata=ResponseMetadata(
                correlation_id,
                ttl if isinstance(ttl, int) and not isinstance(ttl, bool) else default_ttl,
                retrieved_at=datetime.now(timezone.utc),
            ),
            raw=reader.data,
        )


@attrs.frozen
class RecentMessage:
    """A message since the last compaction (``ContextForPromptResponse.recent_messages``); ``timestamp``
    is an aware datetime (None when the service did not say)."""

    role: str
    content: str
    timestamp: Optional[datetime] = None
    message_id: Optional[str] = None


@attrs.frozen
class ContextForPromptResponse:
    """``context.for_prompt(conversation_id)``: a conversation's history ready for a prompt.

    ``formatted_context`` is the compacted history plus the turns after it; or put ``context_block``
    in a system message ahead of ``recent_messages``. Before the first compaction every message is in
    ``recent_messages``. ``history_excerpts`` and ``history_block`` are always empty here: the official
    SDK fills them from a search of its own on-disk archive, which this client does not keep.
    """

    formatted_context: Optional[str] = None
    available: bool = False
    is_stale: bool = False
    compression_ratio: Optional[float] = None
    validation_score: Optional[float] = None
    compaction_age_seconds: Optional[int] = None
    quality_warning: bool = False
    recent_messages: List[RecentMessage] = attrs.field(factory=list)
    recent_message_count: int = 0
    compacted_message_count: int = 0
    total_message_count: int = 0
    context_block: Optional[str] = None
    compaction_id: Optional[str] = None
    history_excerpts: List[Dict[str, Any]] = attrs.field(factory=list)
    history_block: Optional[str] = None
    raw: Dict[str, Any] = attrs.field(factory=dict, repr=False)
    correlation_id: Optional[str] = attrs.field(default=None, repr=False)

    @classmethod
    def from_dict(cls, data: Any, correlation_id: Optional[str] = None) -> "ContextForPromptResponse":
        reader = Reader(data, "context-for-prompt reply", correlation_id)
        get = reader.data.get
        raw_messages = get("recent_messages") or []
        if not isinstance(raw_messages, list):
            raise reader.fail("recent_messages", "is not a list")
        messages = [
            RecentMessage(
                _string(item.get("role")),
                _string(item.get("content")),
                moment(item.get("timestamp")),
                _optional_string(item.get("message_id")),
            )
            for item in raw_messages
            if isinstance(item, dict)
        ]

        def count(key: str) -> int:
            value = get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else 0

        def optional_number(key: str) -> Optional[float]:
            value = get(key)
            return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

        age = get("compaction_age_seconds")
        return cls(
            formatted_context=_optional_string(get("formatted_context")) or None,
            available=get("available") is True,
            is_stale=get("is_stale") is True,
            compression_ratio=optional_number("compression_ratio"),
            validation_score=optional_number("validation_score"),
            compaction_age_seconds=age if isinstance(age, int) and not isinstance(age, bool) else None,
            quality_warning=get("quality_warning") is True,
            recent_messages=messages,
            recent_message_count=count("recent_message_count"),
            compacted_message_count=count("compacted_message_count"),
            total_message_count=count("total_message_count"),
            context_block=_optional_string(get("context_block")),
            compaction_id=_optional_string(get("compaction_id")),
            raw=reader.data,
            correlation_id=correlation_id,
        )
