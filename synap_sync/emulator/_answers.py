"""How the emulator's read side and conversations write an answer: a refusal, and a moment in time."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, Tuple

#: (status, JSON payload, extra headers)
Reply = Tuple[int, Any, Dict[str, str]]


def refusal(status: int, message: str, code: str) -> Reply:
    """The service's documented error shape."""
    return status, {"error": message, "code": code}, {}


def iso_z(moment: float) -> str:
    """A Unix time as ISO-8601 in UTC, ``Z``-suffixed."""
    return datetime.fromtimestamp(moment, timezone.utc).isoformat().replace("+00:00", "Z")
