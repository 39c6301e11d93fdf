"""What a bulk run tells its caller: one outcome per document, and the report that counts them."""

from __future__ import annotations

from html import escape
from typing import Dict, Iterable, List, Optional, Tuple, Union

import attrs

from ..errors import (
    SynapAuthError,
    SynapError,
    SynapInstanceNotReadyError,
    SynapInsufficientCreditsError,
    SynapNetworkError,
    SynapProtocolError,
    SynapQuotaExceededError,
    SynapRateLimitError,
    SynapServerError,
    SynapTimeoutError,
    SynapValidationError,
)
from ..models import CreateMemoryResponse, ResultLater, built
from ._chart import TimelineSecond, timeline_svg

__all__ = [
    "IngestOutcome",
    "IngestFailure",
    "IngestReport",
    "TimelineSecond",
    "FAILURE_KINDS",
    "NOT_SENT_KINDS",
    "HTML_PAGE_START",
    "kind_of",
]

#: Why a document failed, as ``IngestFailure.kind``:
FAILURE_KINDS = (
    "invalid",  # refused before sending: a field check, or larger than max_chunk_bytes
    "rejected",  # the service refused it (a per-item error, or a 4xx for its batch)
    "duplicate",  # the service already held its document_id, and fail_already_stored was asked for
    "outcome_unknown",  # the connection failed after sending and it has no id: it may be stored
    "auth",  # the key was refused
    "out_of_credits",  # 402
    "quota",  # a 429 that waiting will not clear
    "instance_not_ready",  # the instance is still being built
    "rate_limited",  # too many 429s for one chunk
    "server",  # 5xx, retried until the chunk's attempts ran out
    "network",  # the connection failed, retried until the chunk's attempts ran out
    "protocol",  # a reply that could not be read
    "deadline",  # the run's or the call's time ran out
    "too_large",  # alone, larger than the request body the service accepts (it answered 413)
    "error",  # anything else
)
#: Documents the run did not settle, and which are no failure: the run stopped (or could not reach
#: the service) first. Running again with the journal sends them.
NOT_SENT_KINDS = (
    "not_sent",  # the run stopped, or the service could not be reached, before this document was sent
    "not_settled",  # the run stopped while this document's chunk was being retried
)


def kind_of(error: Optional[SynapError]) -> str:
    """The failure kind an error stands for."""
    for error_type, kind in _KINDS_BY_ERROR:
        if isinstance(error, error_type):
            return kind
    return "error"


_KINDS_BY_ERROR = (
    (SynapAuthError, "auth"),
    (SynapInsufficientCreditsError, "out_of_credits"),
    (SynapQuotaExceededError, "quota"),
    (SynapInstanceNotReadyError, "instance_not_ready"),
    (SynapRateLimitError, "rate_limited"),
    (SynapServerError, "server"),
    (SynapNetworkError, "network"),
    (SynapProtocolError, "protocol"),
    (SynapTimeoutError, "deadline"),
    (SynapValidationError, "rejected"),
)


@attrs.frozen
class IngestOutcome:
    """How one input document ended: acknowledged (``ok``) or failed, with the service's result or the error.

    ``already_stored``: acknowledged because the service already held its ``document_id`` from an
    earlier run. ``deduplicated``: acknowledged because a resend of a request whose outcome was unknown
    (or of a chunk a killed run had in flight) found it stored. ``resumed``: settled by an earlier run,
    as its journal records. ``kind`` says why a failed document failed (see `FAILURE_KINDS`).
    """

    index: int
    ok: bool
    document_id: Optional[str] = None
    #: The service's result, or what builds it when first read (`result`); compared and shown built.
    _result: Union[CreateMemoryResponse, ResultLater, None] = attrs.field(
        default=None, eq=built, repr=lambda value: repr(built(value))
    )
    error: Optional[SynapError] = None
    error_message: Optional[str] = None
    deduplicated: bool = False
    already_stored: bool = False
    resumed: bool = False
    kind: Optional[str] = None

    @property
    def result(self) -> Optional[CreateMemoryResponse]:
        """The service's `CreateMemoryResponse` for this document (None when it was not answered)."""
        return built(self._result)

    @property
    def not_sent(self) -> bool:
        """Neither acknowledged nor failed: the run stopped first (see `NOT_SENT_KINDS`); a resume sends it."""
        return not self.ok and self.kind in NOT_SENT_KINDS


@attrs.frozen
class IngestFailure:
    """One document that was not acknowledged: its input position, its id, why, and what kind of why.

    In a run over partitions (``synap_sync.dask.ingest``), ``partition`` is the partition's number
    and ``index`` the document's position in it.
    """

    index: int
    document_id: Optional[str]
    error_message: str
    kind: str = "error"
    #: The exception behind the failure, where there was one.
    error: Optional[SynapError] = attrs.field(default=None, eq=False, repr=False)
    partition: Optional[int] = None


@attrs.define
class IngestReport:
    """What a bulk run did. ``failures`` are in input order once the run has finished.

    Every document read is in ``total``, as exactly one of: ``succeeded`` (acknowledged: new ones,
    ``already_stored`` ones and ``deduplicated`` ones; ``resumed`` of them were settled by an earlier
    run, as its journal says), ``not_sent`` (the run stopped, or could not reach the service, first:
    no failure, a resume sends them) or ``failed`` (refused, or failed for good; each in ``failures``
    with its kind and reason). Reports of parts of one run add up: `merge`, or ``+``.
    """

    total: int = 0
    succeeded: int = 0
    failed: int = 0
    already_stored: int = 0
    deduplicated: int = 0
    resumed: int = 0
    not_sent: int = 0
    failures: List[IngestFailure] = attrs.field(factory=list)
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    elapsed_seconds: float = 0.0
    #: Second by second: documents settled, requests sent and answered 429, and the pace.
    timeline: List[TimelineSecond] = attrs.field(factory=list, repr=False)
    #: When the run started (Unix time), so that the reports of parts run elsewhere line up.
    started_at: Optional[float] = attrs.field(default=None, repr=False, eq=False)
    _noted: Tuple[int, int, int, int] = attrs.field(default=(0, 0, 0, 0), init=False, repr=False, eq=False)
    #: Of ``resumed``, those an earlier run acknowledged (they are in ``succeeded``, and not new tonight).
    _resumed_succeeded: int = attrs.field(default=0, init=False, repr=False)

    @property
    def sent(self) -> int:
        """Documents this run settled itself (not those an earlier run's journal settled, nor those not sent)."""
        return self.total - self.resumed - self.not_sent

    @property
    def documents_per_second(self) -> float:
        """Documents this run settled, per second (resumed ones cost nothing and are not counted)."""
        return self.sent / self.elapsed_seconds if self.elapsed_seconds else 0.0

    @property
    def new(self) -> int:
        """Documents this run stored that the service had not held before (not those an earlier run's
        journal settled)."""
        return self.succeeded - self.already_stored - self.deduplicated - self._resumed_succeeded

    @classmethod
    def merge(cls, reports: Iterable["IngestReport"]) -> "IngestReport":
        """One report for the parts of one run (the partitions of a cluster run): counts add, failures
        keep their ``partition`` and ``index`` (in that order), timelines add second by second, lined
        up by ``started_at``; ``elapsed_seconds`` runs from the first start to the last finish."""
        parts = list(reports)
        merged = cls()
        starts = [part.started_at for part in parts if part.started_at is not None]
        first = min(starts) if len(starts) == len(parts) and parts else None
        merged.started_at = first
        for part in parts:
            for name in _COUNTS:
                setattr(merged, name, getattr(merged, name) + getattr(part, name))
            merged.failures.extend(part.failures)
            offset = 0 if first is None else int(part.started_at - first)  # type: ignore[operator]
            for second in part.timeline:
                while len(merged.timeline) <= offset + second.second:
                    merged.timeline.append(TimelineSecond(len(merged.timeline)))
                bucket = merged.timeline[offset + second.second]
                bucket.succeeded += second.succeeded
                bucket.failed += second.failed
                bucket.requests += second.requests
                bucket.throttled += second.throttled
                if second.pace is not None:
                    bucket.pace = max(bucket.pace or 0.0, second.pace)
        merged.failures.sort(key=lambda failure: (failure.partition or 0, failure.index))
        if first is not None:
            ends = [part.started_at + part.elapsed_seconds for part in parts]  # type: ignore[operator]
            merged.elapsed_seconds = max(ends) - first
        else:
            merged.elapsed_seconds = max((part.elapsed_seconds for part in parts), default=0.0)
        merged._noted = (merged.succeeded, merged.failed, merged.requests, merged.throttled)
        return merged

    def __add__(self, other: "IngestReport") -> "IngestReport":
        if not isinstance(other, IngestReport):
            return NotImplemented
        return IngestReport.merge([self, other])

    def record(self, outcome: IngestOutcome) -> None:
        """Count one settled document (the engine calls this once per document)."""
        self.total += 1
        self.resumed += outcome.resumed
        if outcome.not_sent:
            self.not_sent += 1
        elif outcome.ok:
            self.succeeded += 1
            self._resumed_succeeded += outcome.resumed
            self.already_stored += outcome.already_stored
            self.deduplicated += outcome.deduplicated
        else:
            self.failed += 1
            self.failures.append(
                IngestFailure(
                    outcome.index,
                    outcome.document_id,
                    outcome.error_message or "",
                    outcome.kind or "error",
                    outcome.error,
                )
            )

    def note_time(self, elapsed: float, pace: Optional[float]) -> None:
        """Put what was counted since the last note into second ``elapsed`` of the timeline."""
        second = int(elapsed)
        while len(self.timeline) <= second:
            self.timeline.append(TimelineSecond(len(self.timeline)))
        now = (self.succeeded, self.failed, self.requests, self.throttled)
        bucket = self.timeline[second]
        bucket.succeeded += now[0] - self._noted[0]
        bucket.failed += now[1] - self._noted[1]
        bucket.requests += now[2] - self._noted[2]
        bucket.throttled += now[3] - self._noted[3]
        bucket.pace = pace
        self._noted = now

    def to_html(self) -> str:
        """A whole HTML page of the report, chart included (``synap-sync ingest --report FILE.html``)."""
        return f"{HTML_PAGE_START}</head><body>{self._repr_html_()}</body></html>"

    def failure_records(self) -> List[Dict[str, Union[int, str, None]]]:
        """The failures as plain dicts, in input order: ``index`` (a DataFrame's row position: ``df.iloc``),
        ``partition``, ``document_id``, ``kind`` and ``error_message``; ``pandas.DataFrame(...)`` of it is
        a table of what failed and why."""
        return [
            {
                "index": failure.index,
                "partition": failure.partition,
                "document_id": failure.document_id,
                "kind": failure.kind,
                "error_message": failure.error_message,
            }
            for failure in self.failures
        ]

    def summary(self) -> str:
        """One line: the counts a person reads first."""
        return (
            f"total {self.total}, succeeded {self.succeeded}, not sent {self.not_sent}, failed {self.failed}; "
            f"new {self.new}, already stored {self.already_stored}, deduplicated {self.deduplicated}, "
            f"resumed {self.resumed}"
        )

    def __repr__(self) -> str:
        return (
            f"<IngestReport total={self.total} succeeded={self.succeeded} not_sent={self.not_sent} "
            f"failed={self.failed} already_stored={self.already_stored} deduplicated={self.deduplicated} "
            f"resumed={self.resumed} in {self.elapsed_seconds:.1f}s ({self.documents_per_second:.0f} docs/s sent), "
            f"requests={self.requests} retries={self.retries} throttled={self.throttled}>"
        )

    def _repr_html_(self) -> str:
        rows = [
            ("documents", self.total),
            ("succeeded", self.succeeded),
            ("&nbsp;&nbsp;new", self.new),
            ("&nbsp;&nbsp;already stored", self.already_stored),
            ("&nbsp;&nbsp;deduplicated on retry", self.deduplicated),
            ("failed", self.failed),
            *((f"&nbsp;&nbsp;{escape(kind)}", count) for kind, count in self._failures_by_kind()),
            ("not sent (a resume sends them)", self.not_sent),
            ("settled by an earlier run", self.resumed),
            ("elapsed", f"{self.elapsed_seconds:.1f} s ({self.documents_per_second:.0f} documents/s sent)"),
            ("requests", self.requests),
            ("retries", self.retries),
            ("answered 429", self.throttled),
        ]
        table = "".join(f"<tr><th style='text-align:left'>{name}</th><td>{value}</td></tr>" for name, value in rows)
        shown = self.failures[:10]
        failures = "".join(
            f"<tr><td>{failure.index}</td><td>{escape(str(failure.document_id))}</td>"
            f"<td>{escape(failure.kind)}</td><td>{escape(failure.error_message)}</td></tr>"
            for failure in shown
        )
        more = f"<p>and {len(self.failures) - len(shown)} more failures</p>" if len(self.failures) > len(shown) else ""
        failure_table = (
            f"<table><tr><th>index</th><th>document_id</th><th>kind</th><th>error</th></tr>{failures}</table>{more}"
            if shown
            else ""
        )
        chart = timeline_svg(self.timeline)
        return f"<div><strong>synap-sync ingest</strong><table>{table}</table>{chart}{failure_table}</div>"

    def _failures_by_kind(self) -> List[Tuple[str, int]]:
        counts: Dict[str, int] = {}
        for failure in self.failures:
            counts[failure.kind] = counts.get(failure.kind, 0) + 1
        return sorted(counts.items())


#: How `IngestReport.to_html`'s page begins (the command line recognises a report it wrote by it).
HTML_PAGE_START = '<!doctype html><html><head><meta charset="utf-8"><title>synap-sync ingest report</title>'

#: What `IngestReport.merge` adds up.
_COUNTS = (
    "total",
    "succeeded",
    "failed",
    "already_stored",
    "deduplicated",
    "resumed",
    "not_sent",
    "_resumed_succeeded",
    "requests",
    "retries",
    "throttled",
)
