"""Replies of the memory lifecycle and the account: a memory, a forget, a data deletion, credits.

Parsed as `replies` parses: a missing required field or a wrong type is a `SynapProtocolError` with the
call's correlation id; fields this version does not know are kept in ``extra``; statuses stay strings.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Dict, List, Optional

import attrs

from .replies import Reader

__all__ = [
    "Memory",
    "DeletedMemory",
    "ForgetCandidate",
    "ForgetResponse",
    "DeleteDataResult",
    "CreditBucket",
    "CreditBalance",
    "CreditEstimate",
    "LedgerEntry",
    "LedgerPage",
    "RedeemResult",
]


def _number(reader: Reader, key: str, default: Optional[float] = None, required: bool = False) -> Optional[float]:
    value = reader.require(key) if required else reader.data.get(key)
    if value is None:
        if required:
            raise reader.fail(key, "is null")
        return default
    if isinstance(value, bool):
        raise reader.fail(key, f"is not a number: {value!r}")
    try:
        return float(value)  # the service may send a numeric string
    except (TypeError, ValueError):
        raise reader.fail(key, f"is not a number: {value!r}") from None


def _flag(reader: Reader, key: str) -> bool:
    value = reader.data.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise reader.fail(key, f"is not true or false: {value!r}")
    return value


def _texts(reader: Reader, key: str) -> List[str]:
    value = reader.data.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise reader.fail(key, f"is not a list of strings: {value!r}")
    return list(value)


def _object(reader: Reader, key: str) -> Dict[str, Any]:
    value = reader.data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise reader.fail(key, f"is not an object: {value!r}")
    return value


def _required_text(reader: Reader, key: str) -> str:
    value = reader.require(key)
    if not isinstance(value, str):
        raise reader.fail(key, f"is not a string: {value!r}")
    return value


@attrs.frozen
class Memory:
    """One memory the service learned (``memories.get`` and ``update``)."""

    memory_id: uuid.UUID
    memory_type: str
    content: str
    confidence: float
    created_at: datetime
    category: Optional[str] = None
    subcategory: Optional[str] = None
    updated_at: Optional[datetime] = None
    source_document_id: Optional[str] = None
    extra: Dict[str, Any] = attrs.field(factory=dict, repr=False)
    correlation_id: Optional[str] = attrs.field(default=None, repr=False)

    @classmethod
    def from_dict(cls, data: Any, correlation_id: Optional[str] = None) -> "Memory":
        reader = Reader(data, "memory reply", correlation_id)
        created_at = reader.timestamp("created_at")
        if created_at is None:
            raise reader.fail("created_at", "is missing")
        return cls(
            memory_id=reader.uuid("memory_id", required=True),  # type: ignore[arg-type]
            memory_type=_required_text(reader, "memory_type"),
            content=_required_text(reader, "content"),
            confidence=_number(reader, "confidence", required=True),  # type: ignore[arg-type]
            created_at=created_at,
            category=reader.text("category"),
            subcategory=reader.text("subcategory"),
            updated_at=reader.timestamp("updated_at") if reader.data.get("updated_at") else None,
            source_document_id=reader.text("source_document_id"),
            extra=reader.extra(_MEMORY_FIELDS),
            correlation_id=correlation_id,
        )


_MEMORY_FIELDS = tuple(field.name for field in attrs.fields(Memory))


@attrs.frozen
class DeletedMemory:
    """``memories.delete``'s answer. ``deleted_at`` is None when the service said nothing (a 204)."""

    memory_id: uuid.UUID
    deleted_at: Optional[datetime] = None
    correlation_id: Optional[str] = attrs.field(default=None, repr=False)

    def __getitem__(self, key: str) -> Any:
        """``result["memory_id"]``, as the official SDK's plain dict is read."""
        if key not in ("memory_id", "deleted_at"):
            raise KeyError(key)
        return getattr(self, key)

    @classmethod
    def from_dict(cls, data: Any, memory_id: uuid.UUID, correlation_id: Optional[str] = None) -> "DeletedMemory":
        reader = Reader(data, "delete reply", correlation_id)
        answered = reader.uuid("memory_id")
        return cls(answered or memory_id, reader.timestamp("deleted_at"), correlation_id)


@attrs.frozen
class ForgetCandidate:
    """Something a forget matched: a memory, or a piece of another store (``store``)."""

    memory_id: str
    content: str
    memory_type: Optional[str] = None
    store: str = "memory"


@attrs.frozen
class ForgetResponse:
    """What ``memories.forget`` did. Only ``status == "deleted"`` means removed; ``partial`` means hidden,
    though a store in ``still_present_in`` may still hold the text; ``preview`` deleted nothing."""

    status: str
    request_id: Optional[str] = None
    candidates: List[ForgetCandidate] = attrs.field(factory=list)
    deleted_ids: List[str] = attrs.field(factory=list)
    failed_ids: List[str] = attrs.field(factory=list)
    still_present_in: List[str] = attrs.field(factory=list)
    may_be_incomplete: bool = False
    extra: Dict[str, Any] = attrs.field(factory=dict, repr=False)
    correlation_id: Optional[str] = attrs.field(default=None, repr=False)

    @classmethod
    def from_dict(cls, data: Any, correlation_id: Optional[str] = None) -> "ForgetResponse":
        reader = Reader(data, "forget reply", correlation_id)
        raw = reader.data.get("candidates") or []
        if not isinstance(raw, list):
            raise reader.fail("candidates", "is not a list")
        candidates = []
        for item in raw:
            entry = Reader(item, "forget candidate", correlation_id)
            candidates.append(
                ForgetCandidate(
                    memory_id=_required_text(entry, "memory_id"),
                    content=entry.text("content") or "",
                    memory_type=entry.text("memory_type"),
                    store=entry.text("store") or "memory",
                )
            )
        return cls(
            status=_required_text(reader, "status"),
            request_id=reader.text("request_id"),
            candidates=candidates,
            deleted_ids=_texts(reader, "deleted_ids"),
            failed_ids=_texts(reader, "failed_ids"),
            still_present_in=_texts(reader, "still_present_in"),
            may_be_incomplete=_flag(reader, "may_be_incomplete"),
            extra=reader.extra(_FORGET_FIELDS),
            correlation_id=correlation_id,
        )


_FORGET_FIELDS = tuple(field.name for field in attrs.fields(ForgetResponse))


@attrs.frozen
class DeleteDataResult:
    """A data deletion (``data.delete`` and ``data.status``). ``partial`` is a result, not an error:
    check ``fully_removed``. ``continue_`` is the wire's ``continue``."""

    status: str = "unknown"
    deletion_id: Optional[str] = None
    scope: Optional[str] = None
    dry_run: bool = False
    found: bool = False
    counts: Dict[str, Any] = attrs.field(factory=dict)
    stores: Dict[str, Any] = attrs.field(factory=dict)
    still_present_in: List[str] = attrs.field(factory=list)
    fully_removed: bool = False
    continue_: bool = False
    kept: List[str] = attrs.field(factory=list)
    note: Optional[str] = None
    memories_kept: bool = False
    audit: Optional[str] = None
    extra: Dict[str, Any] = attrs.field(factory=dict, repr=False)
    correlation_id: Optional[str] = attrs.field(default=None, repr=False)

    @classmethod
    def from_dict(cls, data: Any, correlation_id: Optional[str] = None) -> "DeleteDataResult":
        reader = Reader(data, "data deletion reply", correlation_id)
        return cls(
            status=reader.text("status") or "unknown",
            deletion_id=reader.text("deletion_id"),
            scope=reader.text("scope"),
            dry_run=_flag(reader, "dry_run"),
            found=_flag(reader, "found"),
            counts=_object(reader, "counts"),
            stores=_object(reader, "stores"),
            still_present_in=_texts(reader, "still_present_in"),
            fully_removed=_flag(reader, "fully_removed"),
            continue_=_flag(reader, "continue"),
            kept=_texts(reader, "kept"),
            note=reader.text("note"),
            memories_kept=_flag(reader, "memories_kept"),
            audit=reader.text("audit"),
            extra=reader.extra(_DELETE_FIELDS),
            correlation_id=correlation_id,
        )


_DELETE_FIELDS = (*(field.name for field in attrs.fields(DeleteDataResult)), "continue")


@attrs.frozen
class CreditBucket:
    source_type: str
    balance: float
    expires_at: Optional[datetime] = None


@attrs.frozen
class CreditBalance:
    """``credits.balance()``: credits left, and where they come from."""

    client_id: str
    balance_credits: float
    warning_low: bool = False
    buckets: List[CreditBucket] = attrs.field(factory=list)
    correlation_id: Optional[str] = attrs.field(default=None, repr=False)

    @classmethod
    def from_dict(cls, data: Any, correlation_id: Optional[str] = None) -> "CreditBalance":
        reader = Reader(data, "credit balance reply", correlation_id)
        raw = reader.data.get("buckets") or []
        if not isinstance(raw, list):
            raise reader.fail("buckets", "is not a list")
        buckets = []
        for item in raw:
            entry = Reader(item, "credit bucket", correlation_id)
            buckets.append(
                CreditBucket(
                    _required_text(entry, "source_type"),
                    _number(entry, "balance", required=True),  # type: ignore[arg-type]
                    entry.timestamp("expires_at"),
                )
            )
        return cls(
            client_id=_required_text(reader, "client_id"),
            balance_credits=_number(reader, "balance_credits", required=True),  # type: ignore[arg-type]
            warning_low=_flag(reader, "warning_low"),
            buckets=buckets,
            correlation_id=correlation_id,
        )


@attrs.frozen
class CreditEstimate:
    """``credits.estimate(...)``: a quote; it never debits."""

    credits_estimate: float
    correlation_id: Optional[str] = attrs.field(default=None, repr=False)

    @classmethod
    def from_dict(cls, data: Any, correlation_id: Optional[str] = None) -> "CreditEstimate":
        reader = Reader(data, "credit estimate reply", correlation_id)
        return cls(_number(reader, "credits_estimate", required=True), correlation_id)  # type: ignore[arg-type]


@attrs.frozen
class LedgerEntry:
    """One movement of credits: ``delta`` is signed (+ added, - used); ``ledger_id`` matches a
    redemption's ``redemption_id``."""

    ledger_id: str
    entry_type: str
    delta: float
    created_at: datetime
    metric_type: Optional[str] = None
    category: Optional[str] = None
    extra: Dict[str, Any] = attrs.field(factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Any, correlation_id: Optional[str] = None) -> "LedgerEntry":
        reader = Reader(data, "ledger entry", correlation_id)
        created_at = reader.timestamp("created_at")
        if created_at is None:
            raise reader.fail("created_at", "is missing")
        known = ("ledger_id", "entry_type", "delta", "created_at", "metric_type", "category")
        return cls(
            ledger_id=_required_text(reader, "ledger_id"),
            entry_type=_required_text(reader, "entry_type"),
            delta=_number(reader, "delta", required=True),  # type: ignore[arg-type]
            created_at=created_at,
            metric_type=reader.text("metric_type"),
            category=reader.text("category"),
            extra=reader.extra(known),
        )


@attrs.frozen
class LedgerPage:
    """One page of the credits ledger: its ``entries`` and how many match in ``total``."""

    entries: List[LedgerEntry]
    total: int
    limit: int
    offset: int

    @classmethod
    def from_dict(cls, data: Any, limit: int, offset: int, correlation_id: Optional[str] = None) -> "LedgerPage":
        reader = Reader(data, "ledger reply", correlation_id)
        raw = reader.data.get("entries") or []
        if not isinstance(raw, list):
            raise reader.fail("entries", "is not a list")
        return cls(
            entries=[LedgerEntry.from_dict(item, correlation_id) for item in raw],
            total=reader.integer("total", 0),
            limit=reader.integer("limit", limit),
            offset=reader.integer("offset", offset),
        )


@attrs.frozen
class RedeemResult:
    """A redeemed credit code: what it granted, the balance after, and when the credits expire (None: never)."""

    redemption_id: str
    credits_granted: float
    new_balance_credits: float
    expires_at: Optional[datetime] = None

    @classmethod
    def from_dict(cls, data: Any, correlation_id: Optional[str] = None) -> "RedeemResult":
        reader = Reader(data, "redeem reply", correlation_id)
        return cls(
            redemption_id=_required_text(reader, "redemption_id"),
            credits_granted=_number(reader, "credits_granted", required=True),  # type: ignore[arg-type]
            new_balance_credits=_number(reader, "new_balance_credits", required=True),  # type: ignore[arg-type]
            expires_at=reader.timestamp("expires_at"),
        )
