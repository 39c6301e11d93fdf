"""How every part of the emulator writes an answer: a refusal, and a moment in time."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, Tuple

#: (status, JSON payload, extra headers)
Reply = Tuple[int, Any, Dict[str, str]]


def refusal(status: int, message: str, code: str, **details: Any) -> Reply:
    """The service's documented error shape; ``details`` (a fail_fast batch's ``errors``) when given."""
    body: Dict[str, Any] = {"error": message, "code": code}
    if details:
        body["details"] = details
    return status, body, {}


def iso_z(moment: float) -> str:
    """A Unix time as ISO-8601 in UTC, ``Z``-suffixed."""
    return datetime.fromtimestamp(moment, timezone.utc).isoformat().replace("+00:00", "Z")
