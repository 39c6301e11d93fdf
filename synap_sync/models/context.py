"""The read side's replies: context fetched for a user, customer, client or conversation, and the
context a prompt is built from.

Lenient on purpose, as the official SDK is: a missing key gets its default and never fails the read;
only a reply that is not a JSON object, or a list that is not a list, is a `SynapProtocolError`.
Every item keeps what this version does not know in ``extra``; ``raw`` holds the whole reply.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import attrs

from .replies import Reader

__all__ = [
    "ContextItem",
    "ContextResponse",
    "RecentMessage",
    "ContextForPromptResponse",
    "CONTEXT_TYPES",
    "ProfileAttribute",
    "UserProfile",
]

#: The typed lists of a context reply, as the official SDK's ``ContextType`` names them.
CONTEXT_TYPES = ("facts", "preferences", "episodes", "emotions", "temporal_events")
_CONFIDENCE_WORDS = {"explicit": 1.0, "inferred": 0.75, "assumed": 0.5}


def _float(value: Any, default: float = 0.0) -> float:
    if isinstance(value, str) and value in _CONFIDENCE_WORDS:
        return _CONFIDENCE_WORDS[value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return default


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""


@attrs.frozen
class ContextItem:
    """One fact, preference, episode, emotion, temporal event or ranked item.

    ``content`` is the text whatever the type (an episode's ``summary``, an emotion's ``context``);
    ``confidence`` reads the service's words (``explicit`` 1.0, ``inferred`` 0.75, ``assumed`` 0.5).
    """

    id: str
    content: str
    category: str = ""
    confidence: float = 0.0
    source: str = ""
    metadata: Dict[str, Any] = attrs.field(factory=dict)
    extra: Dict[str, Any] = attrs.field(factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Any) -> "ContextItem":
        if not isinstance(data, dict):
            return cls(id="", content=_string(data))
        content = data.get("content")
        if not isinstance(content, str):
            content = data.get("summary") if isinstance(data.get("summary"), str) else data.get("context")
        metadata = data.get("metadata")
        return cls(
            id=_string(data.get("id") or data.get("item_id")),
            content=_string(content),
            category=_string(data.get("category") or data.get("context_type")),
            confidence=_float(data.get("confidence")),
            source=_string(data.get("source")),
            metadata=metadata if isinstance(metadata, dict) else {},
            extra={key: value for key, value in data.items() if key not in _ITEM_FIELDS},
        )


_ITEM_FIELDS = ("id", "item_id", "content", "category", "confidence", "source", "metadata")


@attrs.frozen
class ContextResponse:
    """What a context fetch found. ``retrieval`` is None when retrieval was healthy: a reply with no
    items *and* a ``retrieval`` object means retrieval broke, not that nothing is known."""

    facts: List[ContextItem] = attrs.field(factory=list)
    preferences: List[ContextItem] = attrs.field(factory=list)
    episodes: List[ContextItem] = attrs.field(factory=list)
    emotions: List[ContextItem] = attrs.field(factory=list)
    temporal_events: List[ContextItem] = attrs.field(factory=list)
    #: The ranked shape's items, best first (``response_shape="ranked"``).
    items: List[ContextItem] = attrs.field(factory=list)
    conversation_context: Optional[Dict[str, Any]] = None
    profile: Optional[Dict[str, Any]] = None
    conversations: List[Dict[str, Any]] = attrs.field(factory=list)
    retrieval: Optional[Dict[str, Any]] = None
    ttl_seconds: int = 300
    raw: Dict[str, Any] = attrs.field(factory=dict, repr=False)
    correlation_id: Optional[str] = attrs.field(default=None, repr=False)

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
        lists = {}
        for name in (*CONTEXT_TYPES, "items"):
            raw = context.get(name) or []
            if not isinstance(raw, list):
                raise reader.fail(f"context.{name}", "is not a list")
            lists[name] = [ContextItem.from_dict(item) for item in raw]
        conversations = reader.data.get("conversations") or []
        if not isinstance(conversations, list):
            raise reader.fail("conversations", "is not a list")
        ttl = reader.data.get("ttl_seconds")
        return cls(
            **lists,
            conversation_context=_dict_or_none(reader.data.get("conversation_context")),
            profile=_dict_or_none(reader.data.get("profile")),
            conversations=[item for item in conversations if isinstance(item, dict)],
            retrieval=_dict_or_none(reader.data.get("retrieval")),
            ttl_seconds=ttl if isinstance(ttl, int) and not isinstance(ttl, bool) else default_ttl,
            raw=reader.data,
            correlation_id=correlation_id,
        )


def _dict_or_none(value: Any) -> Optional[Dict[str, Any]]:
    return value if isinstance(value, dict) else None


@attrs.frozen
class RecentMessage:
    role: str
    content: str
    timestamp: Optional[str] = None
    message_id: Optional[str] = None


@attrs.frozen
class ContextForPromptResponse:
    """``context.for_prompt(conversation_id)``: a conversation's history ready for a prompt.

    ``formatted_context`` is the compacted history plus the turns after it; or put ``context_block``
    in a system message ahead of ``recent_messages``. Before the first compaction every message is in
    ``recent_messages``.
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
                item.get("timestamp") if isinstance(item.get("timestamp"), str) else None,
                item.get("message_id") if isinstance(item.get("message_id"), str) else None,
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
            formatted_context=get("formatted_context") or None if isinstance(get("formatted_context"), str) else None,
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
            context_block=get("context_block") if isinstance(get("context_block"), str) else None,
            compaction_id=get("compaction_id") if isinstance(get("compaction_id"), str) else None,
            raw=reader.data,
            correlation_id=correlation_id,
        )


@attrs.frozen
class ProfileAttribute:
    """One thing known about a user: its ``value``, how sure the service is, and where it learned it."""

    value: Any
    confidence: Optional[float] = None
    updated_at: Optional[str] = None
    source_conversation_id: Optional[str] = None


@attrs.frozen
class UserProfile:
    """``client.user.get_profile(user_id)``: what the service has gathered about a user."""

    attributes: Dict[str, ProfileAttribute] = attrs.field(factory=dict)
    overview: Optional[str] = None
    extras: Dict[str, Any] = attrs.field(factory=dict)
    meta: Dict[str, Any] = attrs.field(factory=dict)
    raw: Dict[str, Any] = attrs.field(factory=dict, repr=False)
    correlation_id: Optional[str] = attrs.field(default=None, repr=False)

    @classmethod
    def from_dict(cls, data: Any, correlation_id: Optional[str] = None) -> "UserProfile":
        reader = Reader(data, "profile reply", correlation_id)
        profile = reader.data.get("profile") or {}
        if isinstance(profile, dict) and isinstance(profile.get("profile"), dict):  # wrapped once more
            profile = profile["profile"]
        if not isinstance(profile, dict):
            raise reader.fail("profile", "is not an object")
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
