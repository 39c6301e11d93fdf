"""One partition of a backfill spread over many processes: the building block of
``synap_sync.dask.ingest``, and of a Spark ``mapPartitionsWithIndex`` (see the README's "Scaling out").

Each partition is an ordinary ``ingest`` run with its own journal, named after the run and the
partition, and its failures say which partition they belong to, so that the reports merge into one.
"""

from __future__ import annotations

import os
import re
from typing import Any, Callable, Iterable, Optional

import attrs

from .bulk import IngestReport, Progress
from .bulk._chunks import journaled_report as _journaled_report
from .client import SynapClient
from .errors import IngestInterrupted, SynapError
from .models import DocumentInput, refuse, whole_number

__all__ = ["ingest_partition", "journal_path", "journaled_report"]

#: What a run name may hold: it becomes part of file names.
_RUN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")

#: Told the counts after each chunk settles; returning True stops the partition (what settled is kept).
ProgressWatcher = Callable[[Progress], Optional[bool]]


class _Stopped(Exception):
    """Raised inside the run when the watcher asks to stop."""


def journal_path(journal_dir: str, run_name: str, partition: int) -> str:
    """The journal of one partition of a run: ``<journal_dir>/<run_name>.part-00007.journal``."""
    if not isinstance(run_name, str) or not _RUN_NAME.fullmatch(run_name):
        raise refuse("run_name", f"must be 1 to 100 letters, digits, '.', '_' or '-', got {run_name!r}")
    if not whole_number(partition) or partition < 0:
        raise refuse("partition", f"must be a whole number >= 0, got {partition!r}")
    return os.path.join(os.fspath(journal_dir), f"{run_name}.part-{partition:05d}.journal")


def journaled_report(journal_dir: str, run_name: str, partition: int) -> IngestReport:
    """What one partition's journal says it settled, read without taking the journal: for a task that
    did not return its report (its worker died, or was stopped). Chunks in flight when it stopped are
    failed ``not_settled`` (the service may hold them); running the partition again finds out. Each
    failure carries the partition."""
    return _labelled(_journaled_report(journal_path(journal_dir, run_name, partition)), partition)


def ingest_partition(
    client: SynapClient,
    documents: Iterable[DocumentInput],
    *,
    partition: int,
    run_name: Optional[str] = None,
    journal_dir: Optional[str] = None,
    watch: Optional[ProgressWatcher] = None,
    **options: Any,
) -> IngestReport:
    """Ingest one partition, as ``client.memories.ingest`` does, and return its report with each
    failure's ``partition`` set; `IngestReport.merge` adds the partitions' reports up.

    :param partition: the partition's number (Spark's ``mapPartitionsWithIndex`` index).
    :param run_name: names the run's journals; required with ``journal_dir``. Give each backfill its own
        (a different input under the same name is refused by the journal's fingerprints, not mixed in).
    :param journal_dir: a directory every task can write to; with it, running the partition again
        sends only what was not acknowledged.
    :param watch: told the counts after each chunk; returning True stops the partition early.
    :param options: `IngestOptions` but ``journal`` (``journal_dir`` names it) and ``progress`` (``watch``
        replaces it). ``max_requests_per_second`` is this task's share of the key's limit (Spark has no
        shared pace: divide the limit by the tasks that run at once).
    :raises SynapError: what ``ingest`` raises, its ``.report`` labelled with the partition.
    """
    for taken in ("journal", "progress"):
        if taken in options:
            raise TypeError(f"ingest_partition() sets {taken!r} itself: give journal_dir and watch instead")
    if journal_dir is not None and run_name is None:
        raise refuse("run_name", "is required with journal_dir: it names the journals, so that runs do not share them")
    journal = journal_path(journal_dir, run_name, partition) if journal_dir is not None else None  # type: ignore[arg-type]
    if journal_dir is not None:
        os.makedirs(journal_dir, exist_ok=True)
    progress = None if watch is None else _stopping_when(watch)
    run = client.memories.ingest_iter(documents, journal=journal, progress=progress, **options)
    try:
        for _ in run:
            pass
    except _Stopped:
        pass
    except SynapError as error:
        error.report = _labelled(run.report, partition)
        raise
    except KeyboardInterrupt as interrupt:
        raise IngestInterrupted(_labelled(run.report, partition)) from interrupt
    return _labelled(run.report, partition)


def _stopping_when(watch: ProgressWatcher) -> Callable[[Progress], Any]:
    stopped = False

    def progress(counts: Progress) -> None:
        nonlocal stopped
        if watch(counts) and not stopped:
            stopped = True
            raise _Stopped()

    return progress


def _labelled(report: IngestReport, partition: int) -> IngestReport:
    report.failures[:] = [attrs.evolve(failure, partition=partition) for failure in report.failures]
    return report
