"""The options of one bulk run, checked once when the run is made."""

from __future__ import annotations

import os
from typing import Any, Callable, Dict, Mapping, Optional, Union

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
    """The options of a bulk run, defined once: ``ingest``, ``ingest_iter``, ``ingest_partition`` and
    ``synap_sync.dask.ingest`` take them as keywords (``workers=8, journal="run.journal"``) and pass
    them on unchanged."""

    #: Stop the run at the first invalid document (raising `SynapValidationError` with ``.report``); by
    #: default invalid documents are reported failed and the run goes on.
    fail_fast: bool = False
    #: Documents per request, at most 100.
    chunk_size: int = MAX_BATCH_SIZE
    #: Also cap each request body at this many bytes; a document larger on its own is reported
    #: failed, not sent.
    max_chunk_bytes: Optional[int] = None
    #: Threads sending at once, sharing the client's connection pool (at most ``pool_maxsize``).
    workers: int = 4
    #: Never send faster than this in this run (the key's shared pace applies as well); without it the
    #: pace is learned from the service's 429s.
    max_requests_per_second: Optional[float] = None
    #: A file recording, durably, what the service settled; running again with the same journal skips
    #: that and resumes. One run at a time may hold it.
    journal: Optional[str] = None
    #: True for a progress bar (tqdm if installed, else a stderr line), or a callable receiving
    #: `Progress` counts.
    progress: ProgressOption = None
    #: Give each document without a ``document_id`` one derived from its content
    #: (`derive_document_id`), so resends, resumes and re-runs store it once.
    derive_ids: bool = False
    #: Count a document the service already holds (a re-run) as failed (kind ``duplicate``) instead
    #: of succeeded (``already_stored``).
    fail_already_stored: bool = False
    #: Seconds the whole run may take; then it stops (`SynapTimeoutError` with ``.report``), and the
    #: journal resumes it.
    deadline: Optional[float] = None

    @classmethod
    def from_keywords(cls, keywords: Mapping[str, Any], caller: str = "ingest") -> "IngestOptions":
        """The options a caller passed as keywords; an unknown one is a TypeError naming it, as Python
        names an unexpected keyword argument."""
        known = attrs.fields_dict(cls)
        unknown = [name for name in keywords if name not in known]
        if unknown:
            raise TypeError(f"{caller}() got an unexpected option {unknown[0]!r}; the options are {', '.join(known)}")
        return cls(**keywords)

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
