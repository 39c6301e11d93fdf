"""The base of every enum of the contract's strings: a member is its string (equal to it, sent as it),
and prints and formats as it, on every Python (3.11 changed how a ``str`` enum formats), as the
official SDK's ``StrEnum`` members do: ``f"{IngestStatus.QUEUED}"`` is ``queued``."""

from __future__ import annotations

import enum

__all__ = ["WireEnum"]


class WireEnum(str, enum.Enum):
    """A ``str`` enum that prints and formats as its value."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)
