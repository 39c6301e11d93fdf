"""`ingest` for Dask collections: one task per partition, watched from the caller's process."""

from __future__ import annotations

import concurrent.futures
import contextvars
import logging
import os
import time
import uuid
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from .._frames import check_columns, mapped_rows
from .._version import __version__
from ..bulk import IngestReport, Progress
from ..bulk._options import IngestOptions, ProgressOption
from ..bulk._progress import make_reporter
from ..client import SynapClient
from ..errors import IngestInterrupted, SynapError
from ..models import refuse
from . import _state
from ._worker import Settings, run_partition, settled_report

log = logging.getLogger("synap_sync")

#: Pace URLs of stores every host reaches: with one of them, the workers pace on it.
SHARED_STORES = ("redis://", "rediss://", "unix://")
#: The caller looks at the partitions' progress this often (seconds).
_WATCH_SECONDS = 0.25
#: After Ctrl-C, partitions get this long to stop and return their reports; then the caller stops
#: waiting (their workers may have died of the same Ctrl-C) and counts them as they last told.
STOP_GRACE_SECONDS = 4.0


def ingest(
    collection: Any,
    *,
    client: SynapClient,
    journal_dir: Optional[str] = None,
    run_name: Optional[str] = None,
    progress: ProgressOption = None,
    columns: Optional[Mapping[str, str]] = None,
    metadata_columns: Sequence[str] = (),
    **options: Any,
) -> IngestReport:
    """Ingest a Dask collection, one task per partition, as one run: one pace for the key across the
    cluster, one merged report, and (with ``journal_dir``) one journal per partition to resume from.

    It runs on the current ``dask.distributed`` client; without one, on threads in this process.

    :param collection: a ``dask.bag.Bag`` of dicts or `CreateMemoryRequest`, or a
        ``dask.dataframe.DataFrame`` whose rows are documents, read as ``ingest`` reads a pandas
        DataFrame (a missing value is a field left out; ``metadata`` may be a column of dicts or of
        JSON text).
    :param columns: the fields some columns (or a bag's dict keys) go to, as for ``ingest``.
    :param metadata_columns: columns whose values go into each document's ``metadata``.
    :param client: pickled into every task as its configuration (see the README on the key).
    :param journal_dir: a directory every worker can write to (shared storage on a real cluster).
    :param run_name: names the journals; by default a token of the collection (Dask's ``tokenize``),
        so a different collection cannot pick them up. Name nightly jobs yourself: a graph with a
        lambda in it tokenizes differently in every process.
    :param progress: a bar for the whole run, or a callable receiving its `Progress`.
    :param options: `IngestOptions` but ``journal`` (``journal_dir`` names them). ``workers`` is per
        partition task; ``max_requests_per_second`` is the key's limit for the whole cluster (the
        client's own when None); without either, the cluster learns it from the service's 429s. The
        cluster keeps one pace for the key on its scheduler, or, when the client's pace is in Redis
        (``pace_url``) and no rate is given for the run, paces on that: beside every other process of
        the key, as bulk work.
    :returns: the merged `IngestReport`: failures carry their ``partition`` and their ``index`` in it.
    :raises SynapError: the first error that stopped a partition (the others are stopped too), with
        ``.report`` holding everything the run did.
    :raises IngestInterrupted: Ctrl-C, with the report of what was done.
    """
    if "journal" in options:
        raise TypeError("dask.ingest() keeps one journal per partition: give journal_dir instead of journal")
    IngestOptions.from_keywords(dict(options, progress=progress), "ingest").check(client.pool_maxsize)
    kind = _check_collection(collection, columns, metadata_columns)
    if journal_dir is not None and not isinstance(journal_dir, (str, os.PathLike)):
        raise refuse("journal_dir", f"must be None or a directory path, got {journal_dir!r}")
    if run_name is None:
        from dask.base import tokenize

        run_name = f"{kind}-{tokenize(collection)[:20]}"
    distributed = _distributed_client()
    ceiling = options.get("max_requests_per_second") or client.max_requests_per_second
    # A pace kept in Redis is the key's for every host: the workers pace on it (beside the web fleet
    # sharing it) rather than on the scheduler's, which knows only this cluster's requests. A rate given
    # for this run alone is kept on the scheduler, as the run's own.
    on_shared_store = (client.pace_url or "").startswith(SHARED_STORES) and not options.get("max_requests_per_second")
    concurrent = _ThreadRun.concurrency(collection.npartitions)
    settings = Settings(
        run_id=uuid.uuid4().hex,
        run_name=run_name,
        journal_dir=None if journal_dir is None else os.fspath(journal_dir),
        pace_id=None if distributed is None or on_shared_store else _state.pace_id_for(client.pace_id, ceiling),
        # Partitions on threads here share the process's pace, so a ceiling is split between them; on a
        # cluster, the scheduler's pace (or the shared store's) keeps it.
        options=dict(
            options,
            max_requests_per_second=None if distributed is not None or ceiling is None else ceiling / concurrent,
            columns=None if columns is None else dict(columns),
            metadata_columns=tuple(metadata_columns),
        ),
    )
    from dask import delayed

    parts = collection.to_delayed()
    tasks = [
        delayed(run_partition, pure=False)(part, client, index, settings, distributed is None)
        for index, part in enumerate(parts)
    ]
    log.info("dask ingest: %d partitions of a %s, run %s", len(tasks), kind, run_name)
    if distributed is not None:
        _prepare_scheduler(distributed, settings)
        return _watch(settings, _DistributedRun(distributed, tasks), progress)
    return _watch(settings, _ThreadRun(tasks), progress)


def _check_collection(
    collection: Any, columns: Optional[Mapping[str, str]], metadata_columns: Sequence[str]
) -> str:
    """``bag`` or ``dataframe``; anything else, or columns that would fail every row, refused before
    anything runs, as ``ingest`` refuses a pandas DataFrame's."""
    import dask.bag

    if isinstance(collection, dask.bag.Bag):
        mapped_rows((), columns, metadata_columns)  # the mapping itself is checked now
        return "bag"
    module = type(collection).__module__
    if module.startswith("dask") and hasattr(collection, "columns") and hasattr(collection, "to_delayed"):
        if not hasattr(collection, "dtypes"):  # a Series
            raise refuse("collection", "must be a DataFrame whose columns are CreateMemoryRequest fields, not a Series")
        check_columns([str(name) for name in collection.columns], columns, metadata_columns)
        return "dataframe"
    raise refuse("collection", f"must be a dask.bag.Bag or a dask.dataframe.DataFrame, not {type(collection).__name__}")


def _distributed_client() -> Any:
    try:
        from distributed import default_client
    except ImportError:
        return None
    try:
        return default_client()
    except ValueError:
        return None


def _prepare_scheduler(distributed: Any, settings: Settings) -> None:
    try:
        distributed.run_on_scheduler(_state.hello)
    except Exception as error:
        raise SynapError(
            f"the Dask scheduler cannot run synap_sync ({type(error).__name__}: {error}); install "
            f"synap-sync {__version__} where the scheduler runs, as on the workers"
        ) from None
    if settings.pace_id is not None:  # None: the workers pace on the shared store
        distributed.run_on_scheduler(_state.pace_setup, settings.pace_id)


class _DistributedRun:
    """The partition tasks as futures of the distributed cluster; the run's state on its scheduler."""

    def __init__(self, distributed: Any, tasks: List[Any]) -> None:
        self.distributed = distributed
        self.futures = distributed.compute(tasks)

    def call(self, function: Any, *arguments: Any) -> Any:
        return self.distributed.run_on_scheduler(function, *arguments)

    def cancel(self, futures: List[Any]) -> None:
        self.distributed.cancel(futures)

    def wait(self, pending: List[Any], timeout: float) -> Tuple[List[Any], List[Any]]:
        from distributed import wait

        try:
            done, not_done = wait(pending, timeout=timeout, return_when="FIRST_COMPLETED")
        except Exception as error:  # its TimeoutError differs between versions
            if "Timeout" not in type(error).__name__:
                raise
            return [], pending
        return list(done), list(not_done)


class _ThreadRun:
    """The partition tasks on threads of this process (no distributed cluster); the run's state here."""

    @staticmethod
    def concurrency(partitions: int) -> int:
        """Partitions run at once: one per CPU, as Dask's own threaded scheduler."""
        return max(1, min(partitions, os.cpu_count() or 4))

    def __init__(self, tasks: List[Any]) -> None:
        self.executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=self.concurrency(len(tasks)), thread_name_prefix="synap-sync-partition"
        )
        # Each partition in a copy of the caller's context: its trace follows the work, as for ingest.
        self.futures = [
            self.executor.submit(contextvars.copy_context().run, task.compute, scheduler="sync") for task in tasks
        ]
        self.executor.shutdown(wait=False)

    def call(self, function: Any, *arguments: Any) -> Any:
        return function(*arguments)

    def cancel(self, futures: List[Any]) -> None:
        for future in futures:
            future.cancel()  # a partition already running stops at its next look at the stop flag

    def wait(self, pending: List[Any], timeout: float) -> Tuple[List[Any], List[Any]]:
        done, not_done = concurrent.futures.wait(pending, timeout=timeout, return_when="FIRST_COMPLETED")
        return list(done), list(not_done)


def _watch(settings: Settings, run: Any, progress: ProgressOption) -> IngestReport:
    """Wait for the partitions, showing their counts; on an error or Ctrl-C, stop them all and report."""
    started = time.monotonic()
    reporter = make_reporter(progress, None)
    index_of = {id(future): index for index, future in enumerate(run.futures)}
    reports: Dict[int, IngestReport] = {}
    failure: Optional[BaseException] = None
    pending = list(run.futures)
    stopping = False
    give_up_at = float("inf")  # after Ctrl-C: when to stop waiting for partitions that do not return
    try:
        while pending:
            try:
                done, pending = run.wait(pending, _WATCH_SECONDS)
                for future in done:
                    error = _collect(future, index_of[id(future)], reports)
                    failure = failure or error  # the first error is the one raised
                if failure is not None and not stopping:
                    stopping = True
                    run.call(_state.run_stop, settings.run_id)
                if pending and time.monotonic() >= give_up_at:
                    break
                if reporter and not stopping:
                    done_count, succeeded, failed = run.call(_state.run_totals, settings.run_id)
                    reporter(Progress(done_count, succeeded, failed, None, time.monotonic() - started), False)
            except KeyboardInterrupt as interrupt:
                failure = interrupt
                if stopping and give_up_at < float("inf"):
                    break  # a second Ctrl-C: stop waiting now
                stopping = True
                give_up_at = time.monotonic() + STOP_GRACE_SECONDS
                run.call(_state.run_stop, settings.run_id)
        # Partitions without a report (their workers died of the Ctrl-C or were killed, or they have not
        # stopped yet): cancelled, and counted as they settled.
        _count_unreported(run, settings, reports)
    finally:
        run.call(_state.run_forget, settings.run_id)
    report = _merged(reports, started)
    if reporter and not isinstance(failure, KeyboardInterrupt):
        reporter(Progress(report.total, report.succeeded, report.failed, None, report.elapsed_seconds), True)
    log.info("dask ingest: finished: %s in %.1fs", report.summary(), report.elapsed_seconds)
    if isinstance(failure, KeyboardInterrupt):
        raise IngestInterrupted(report) from failure
    if failure is not None:
        if isinstance(failure, SynapError):
            failure.report = report
        raise failure
    return report


def _count_unreported(run: Any, settings: Settings, reports: Dict[int, IngestReport]) -> None:
    """Partitions that returned no report: cancelled, and counted from their journals (with a
    ``journal_dir``), else as their tasks last told the scheduler (a quarter of a second old at most)."""
    unreported = [(index, future) for index, future in enumerate(run.futures) if index not in reports]
    if not unreported:
        return
    run.cancel([future for _, future in unreported])
    counts = run.call(_state.run_counts, settings.run_id)
    source = "as it last told (its failures not listed)" if settings.journal_dir is None else "as its journal holds it"
    for index, _ in unreported:
        reports[index] = settled_report(settings, index, counts.get(index, (0, 0, 0)))
        log.warning(
            "dask ingest: partition %d returned no report (stopped before it could, or its worker died): "
            "counted %s, %d succeeded, %d failed",
            index,
            source,
            reports[index].succeeded,
            reports[index].failed,
        )


def _collect(future: Any, index: int, reports: Dict[int, IngestReport]) -> Optional[BaseException]:
    """Keep a finished partition's report; return the error that ended it, if one did."""
    try:
        reports[index] = future.result()
        return None
    except SynapError as error:
        if isinstance(error.report, IngestReport):
            reports[index] = error.report
        return error
    except Exception as error:  # the cluster failed the task (a worker killed too often, ...)
        wrapped = SynapError(f"partition {index} failed on the cluster: {type(error).__name__}: {error}")
        wrapped.__cause__ = error
        return wrapped


def _merged(reports: Dict[int, IngestReport], started: float) -> IngestReport:
    report = IngestReport.merge(reports[index] for index in sorted(reports))
    report.elapsed_seconds = time.monotonic() - started
    return report
