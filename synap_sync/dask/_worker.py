"""What runs in a task on a worker: one partition ingested (a DataFrame partition's rows read as
``ingest`` reads any DataFrame's), with the key's pace and the run's progress kept on the scheduler
(see `_state`)."""

from __future__ import annotations

import time
from typing import Any, Callable, Dict, Optional, Tuple

import attrs

from .._clock import Clock
from ..bulk import IngestReport, Progress
from ..client import SynapClient, private_copy
from ..partitions import ingest_partition, journaled_report
from . import _state

#: While a probe is out, a worker asks the scheduler's pace again this often (seconds).
_WAIT_SECONDS = 0.02
#: Progress goes to the scheduler at most this often (seconds), and once more at the end.
_PROGRESS_SECONDS = 0.25

Call = Callable[..., Any]


class ClusterPace:
    """The transport's `Pace` during a cluster run: every slot comes from the key's pace on the
    scheduler, and every answer goes back to it, so all partitions on all workers learn together.

    Slots are the scheduler's clock readings; the worker only sleeps the wait it is told.
    """

    def __init__(self, call: Call, pace_id: str, clock: Clock) -> None:
        self._call = call
        self._pace_id = pace_id
        self.clock = clock
        self.rate: Optional[float] = None

    def _ask(self, operation: str, *arguments: Any) -> Tuple[Any, ...]:
        answer: Tuple[Any, ...] = self._call(_state.pace_call, self._pace_id, operation, arguments)
        return answer

    def acquire(self, latest: Optional[float] = None, lane: str = "interactive", share: float = 0.0) -> Optional[float]:
        """A slot from the scheduler's pace (a cluster run is one caller there: its lane is not told)."""
        while True:
            now = self.clock.now()
            answer = self._ask("reserve", None if latest is None else latest - now)
            self.rate = answer[-1]
            if answer[0] == "slot":
                self.clock.sleep(answer[2])
                return float(answer[1])
            if answer[0] == "late" or (latest is not None and self.clock.now() >= latest):
                return None
            wait = _WAIT_SECONDS if answer[1] is None else answer[1]  # None: a probe is out, look again soon
            if latest is not None:
                wait = min(wait, latest - self.clock.now())
            self.clock.sleep(max(wait, 0.0))

    def next_slot_in(self) -> float:
        return float(self._ask("next_slot_in")[0])

    def accepted(self, sent_at: float) -> None:
        self._ask("accepted", sent_at)

    def throttled(self, sent_at: float, retry_after: Optional[float] = None) -> None:
        self._ask("throttled", sent_at, retry_after)

    def unanswered(self, sent_at: float) -> None:
        self._ask("unanswered", sent_at)


@attrs.frozen(eq=False)  # compared and hashed as itself: it holds a dict of options
class Settings:
    """A run as every partition task receives it."""

    run_id: str
    run_name: str
    journal_dir: Optional[str]
    #: The key's pace on the scheduler, or None to use the process's own (no distributed cluster).
    pace_id: Optional[str]
    #: The `IngestOptions` each partition runs with, as keywords (checked by the driver).
    options: Dict[str, Any]


def run_partition(part: Any, client: SynapClient, partition: int, settings: Settings, local: bool) -> IngestReport:
    """The task of one partition: a list of documents (a bag) or a pandas DataFrame (its rows)."""
    call = _local_call if local else _scheduler_call()
    if settings.pace_id is None:
        return _run(part, client, partition, settings, call)
    # A client of the task's own, paced from the scheduler: the process's shared client keeps its pace.
    pace_id = settings.pace_id
    with private_copy(client, pace=lambda clock: ClusterPace(call, pace_id, clock)) as paced:
        return _run(part, paced, partition, settings, call)


def _run(part: Any, client: SynapClient, partition: int, settings: Settings, call: Call) -> IngestReport:
    last = 0.0

    def watch(counts: Progress) -> bool:
        nonlocal last
        now = time.monotonic()
        if now - last < _PROGRESS_SECONDS:
            return False
        last = now
        stopping: bool = call(_state.run_progress, settings.run_id, partition, _counts(counts))
        return stopping

    told = call(_state.run_begin, settings.run_id, partition)
    if told is not None:  # the run stopped before this task began: what the partition settled before
        return settled_report(settings, partition, told)
    report = ingest_partition(
        client,
        part,  # a bag's list, or a pandas DataFrame: ingest reads its rows (synap_sync._frames)
        partition=partition,
        run_name=settings.run_name,
        journal_dir=settings.journal_dir,
        watch=watch,
        **settings.options,
    )
    call(_state.run_progress, settings.run_id, partition, (report.total, report.succeeded, report.failed))
    return report


def settled_report(settings: Settings, partition: int, told: Tuple[int, int, int]) -> IngestReport:
    """What a partition that did not finish settled: its journal's account (with a ``journal_dir``;
    chunks in flight are failed ``not_settled``), else its counts as its task last told them (its
    failures not listed)."""
    if settings.journal_dir is not None:
        return journaled_report(settings.journal_dir, settings.run_name, partition)
    done, succeeded, failed = told
    return IngestReport(total=done, succeeded=succeeded, failed=failed)


def _counts(progress: Progress) -> Tuple[int, int, int]:
    return (progress.done, progress.succeeded, progress.failed)


def _local_call(function: Call, *arguments: Any) -> Any:
    return function(*arguments)


def _scheduler_call() -> Call:
    from distributed import get_client

    dask_client = get_client()  # in the task's own thread: the engine's threads are not tasks

    def call(function: Call, *arguments: Any) -> Any:
        return dask_client.run_on_scheduler(function, *arguments)

    return call
