"""A backfill from Spark with synap_sync: each Spark partition is one `ingest_partition` run.

Spark has no shared actor to hold one pace for the key, so the key's known limit is split between the
tasks that run at once. Every task gets the client pickled (its configuration; see the README on the
key), writes its own journal, and returns its report; the driver merges them.

    from examples.spark_backfill import backfill
    report = backfill(spark.read.parquet("tickets/").rdd, client, journal_dir="/dbfs/synap/journals",
                      run_name="tickets-2026-11", limit=20, concurrent_tasks=8)
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from synap_sync import IngestReport, SynapClient
from synap_sync.partitions import ingest_partition


def backfill(
    rdd: Any, client: SynapClient, *, journal_dir: str, run_name: str, limit: float, concurrent_tasks: int
) -> IngestReport:
    """Ingest every row of ``rdd`` (dicts, or Spark Rows with request fields as columns); one report."""
    share = limit / concurrent_tasks

    def load(index: int, rows: Iterable[Any]) -> Iterator[IngestReport]:
        documents = (row if isinstance(row, dict) else row.asDict(recursive=True) for row in rows)
        yield ingest_partition(
            client,
            documents,
            partition=index,
            run_name=run_name,
            journal_dir=journal_dir,
            max_requests_per_second=share,
        )

    return IngestReport.merge(rdd.mapPartitionsWithIndex(load).collect())
