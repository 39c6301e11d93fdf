"""The options of one bulk run, checked once when the run is made."""

from __future__ import annotations

import os
from typing import Any, Callable, Dict, Optional, Union

import attrs

from .._constants import MAX_BATCH_SIZE
from ..models import positive_number, refuse, whole_number
from ._chunks import BODY_OVERHEAD
from ._progress import Progress

ProgressOption = Union[bool, Callable[[Progress], Any], None]


def _require(condition: bool, field: str, reason: str) -> None:
    if not condition:
        raise refuse(field, reason)


@attrs.frozen
class IngestOptions:
    """What ``ingest`` and ``ingest_iter`` were asked to do; see `Memories.ingest` for each option."""

    fail_fast: bool = False
    chunk_size: int = MAX_BATCH_SIZE
    max_chunk_bytes: Optional[int] = None
    workers: int = 4
    max_requests_per_second: Optional[float] = None
    journal: Optional[str] = None
    progress: ProgressOption = None
    derive_ids: bool = False
    fail_already_stored: bool = False
    deadline: Optional[float] = None

    def check(self, pool_maxsize: int) -> "IngestOptions":
        """Refuse a bad option by name, before anything is read or sent; returns self."""
        _require(isinstance(self.fail_fast, bool), "fail_fast", "must be True or False")
        _require(
            whole_number(self.chunk_size) and 1 <= self.chunk_size <= MAX_BATCH_SIZE,
            "chunk_size",
            f"must be a whole number from 1 to {MAX_BATCH_SIZE}",
        )
        _require(
            self.max_chunk_bytes is None
            or (whole_number(self.max_chunk_bytes) and self.max_chunk_bytes > BODY_OVERHEAD),
            "max_chunk_bytes",
            f"must be None or a whole number over {BODY_OVERHEAD}",
        )
        _require(whole_number(self.workers) and self.workers >= 1, "workers", "must be a whole number >= 1")
        _require(
            self.workers <= pool_maxsize,
            "workers",
            f"{self.workers} workers need at least as many pooled connections; the client has "
            f"pool_maxsize={pool_maxsize} (pass pool_maxsize= to SynapClient)",
        )
        _require(
            self.max_requests_per_second is None or positive_number(self.max_requests_per_second),
            "max_requests_per_second",
            "must be None or a number > 0",
        )
        _require(
            self.journal is None or isinstance(self.journal, (str, os.PathLike)),
            "journal",
            "must be None or a file path",
        )
        _require(
            self.progress is None or isinstance(self.progress, bool) or callable(self.progress),
            "progress",
            "must be True, False, None or a callable",
        )
        _require(isinstance(self.derive_ids, bool), "derive_ids", "must be True or False")
        _require(isinstance(self.fail_already_stored, bool), "fail_already_stored", "must be True or False")
        deadline = self.deadline
        _require(
            deadline is None
            or (isinstance(deadline, (int, float)) and not isinstance(deadline, bool) and deadline > 0),
            "deadline",
            "must be None or seconds > 0",
        )
        return self

    def journal_settings(self) -> Dict[str, Any]:
        """What decides chunk boundaries and ids: a resumed run must have the same."""
        settings: Dict[str, Any] = {
            "chunk_size": self.chunk_size,
            "max_chunk_bytes": self.max_chunk_bytes,
            "fail_fast": self.fail_fast,
        }
        if self.derive_ids:
            settings["derive_ids"] = True
        return settings
