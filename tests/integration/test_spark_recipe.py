"""The README's Spark recipe (examples/spark_backfill.py): on a stand-in for an RDD that, like Spark,
cloudpickles the partition function into other processes; and on real Spark when pyspark is installed."""

from __future__ import annotations

import collections
import concurrent.futures
import multiprocessing
import os
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List

import cloudpickle
import pytest

from synap_sync import SynapClient
from synap_sync.emulator import Emulator

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
from spark_backfill import backfill  # noqa: E402

from tests.conftest import docs


def _run_partition(function: bytes, index: int, rows: List[Dict[str, Any]]) -> List[Any]:
    return list(cloudpickle.loads(function)(index, iter(rows)))


class ProcessRDD:
    """``mapPartitionsWithIndex(f).collect()`` as Spark does it: f cloudpickled into worker processes."""

    def __init__(self, partitions: List[List[Dict[str, Any]]]) -> None:
        self.partitions = partitions
        self.function: Callable[..., Any] = lambda index, rows: rows

    def mapPartitionsWithIndex(self, function: Callable[..., Any]) -> "ProcessRDD":  # noqa: N802 (Spark's name)
        self.function = function
        return self

    def collect(self) -> List[Any]:
        payload = cloudpickle.dumps(self.function)
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(2, mp_context=context) as pool:
            count = len(self.partitions)
            parts = pool.map(_run_partition, [payload] * count, range(count), self.partitions)
            return [item for part in parts for item in part]


def test_the_spark_recipe_ingests_every_partition_once_and_resumes(tmp_path: Path) -> None:
    items = docs(600)
    items[410] = {"document": "t410", "document_id": "t410", "user_id": 7}  # partition 2, index 110
    rdd = ProcessRDD([items[:200], items[200:300], items[300:600]])
    with Emulator() as emulator:
        client = SynapClient(api_key="synap_spark_key", base_url=emulator.base_url)
        report = backfill(rdd, client, journal_dir=str(tmp_path), run_name="tickets", limit=40, concurrent_tasks=2)
        again = backfill(rdd, client, journal_dir=str(tmp_path), run_name="tickets", limit=40, concurrent_tasks=2)
        ids = collections.Counter(document["document_id"] for document in emulator.stored_documents())
        requests = emulator.request_count
    assert (report.total, report.succeeded, report.failed) == (600, 599, 1)
    assert (report.failures[0].partition, report.failures[0].index) == (2, 110)
    assert len(ids) == 599 and set(ids.values()) == {1}
    assert (again.resumed, requests) == (599, report.requests)  # the second run sent nothing
    assert sorted(os.listdir(tmp_path)) == [f"tickets.part-0000{n}.journal" for n in range(3)]


def test_the_spark_recipe_on_spark(tmp_path: Path) -> None:
    pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed: the recipe ran on ProcessRDD above")
    spark = pyspark.sql.SparkSession.builder.master("local[2]").appName("synap-sync-test").getOrCreate()
    try:
        with Emulator() as emulator:
            client = SynapClient(api_key="synap_spark_key", base_url=emulator.base_url)
            rdd = spark.sparkContext.parallelize(docs(300), 3)
            report = backfill(rdd, client, journal_dir=str(tmp_path), run_name="spark", limit=40, concurrent_tasks=2)
            assert (report.succeeded, len(emulator.stored_documents())) == (300, 300)
    finally:
        spark.stop()
