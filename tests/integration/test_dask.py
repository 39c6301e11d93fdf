"""synap_sync.dask.ingest on a real LocalCluster of worker processes, against the emulator."""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator, List

import dask
import dask.bag as dask_bag
import dask.dataframe
import distributed
import numpy
import pandas
import pytest

import synap_sync.dask
from synap_sync import (
    IngestInterrupted,
    IngestReport,
    Progress,
    SynapAuthError,
    SynapClient,
    SynapError,
    SynapValidationError,
)
from synap_sync.emulator import Emulator
from tests.conftest import docs
from tests.redis_server import RedisServer

from .conftest import default_signals

KEY = "synap_dask_test_key"


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """Two worker processes, one thread each: partitions really run in other processes."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
    ) as local_cluster:
        yield local_cluster


@pytest.fixture
def dask_client(cluster: Any) -> Iterator[Any]:
    with distributed.Client(cluster) as client:
        yield client


def stored_ids(emulator: Emulator) -> "collections.Counter[str]":
    return collections.Counter(str(document["document_id"]) for document in emulator.stored_documents())


def test_a_bag_is_ingested_once_as_one_run_with_one_report(
    dask_client: Any, synap_emulator: Emulator, tmp_path: Path
) -> None:
    items = docs(1200)
    items[650] = {"document": "", "document_id": "empty"}  # partition 2 (of 300 each), index 50 in it
    bag = dask_bag.from_sequence(items, npartitions=4)
    client = SynapClient(api_key=KEY, base_url=synap_emulator.base_url)

    report = synap_sync.dask.ingest(bag, client=client, journal_dir=str(tmp_path), chunk_size=50)

    assert (report.total, report.succeeded, report.new, report.failed) == (1200, 1199, 1199, 1), report.failures[:3]
    failure = report.failures[0]
    assert (failure.partition, failure.index, failure.kind, failure.document_id) == (2, 50, "invalid", "empty")
    ids = stored_ids(synap_emulator)
    assert len(ids) == 1199 and set(ids.values()) == {1}
    assert report.requests == 24  # 4 partitions of 300 in chunks of 50, one partition a document short
    journals = sorted(os.listdir(tmp_path))
    run_name = journals[0].split(".part-")[0]
    assert run_name.startswith("bag-") and journals == [f"{run_name}.part-0000{n}.journal" for n in range(4)]

    before = synap_emulator.request_count
    again = synap_sync.dask.ingest(bag, client=client, journal_dir=str(tmp_path), chunk_size=50)
    assert synap_emulator.request_count == before  # the same call again sends nothing
    assert (again.total, again.resumed, again.succeeded, again.failed) == (1200, 1199, 1199, 1)  # checked again


def test_another_collection_does_not_pick_up_the_journals(
    dask_client: Any, synap_emulator: Emulator, tmp_path: Path
) -> None:
    client = SynapClient(api_key=KEY, base_url=synap_emulator.base_url)
    synap_sync.dask.ingest(dask_bag.from_sequence(docs(200, "a"), npartitions=2), client=client, journal_dir=tmp_path)
    other = synap_sync.dask.ingest(
        dask_bag.from_sequence(docs(200, "b"), npartitions=2), client=client, journal_dir=tmp_path
    )
    assert (other.new, other.resumed) == (200, 0)
    assert len(os.listdir(tmp_path)) == 4


def test_the_cluster_as_a_whole_keeps_to_a_given_rate(dask_client: Any, tmp_path: Path) -> None:
    """Two worker processes: without one pace on the scheduler each would send at the full rate."""
    rate = 8.0
    with Emulator() as emulator:
        client = SynapClient(api_key=KEY, base_url=emulator.base_url)
        bag = dask_bag.from_sequence(docs(400), npartitions=2)
        started = time.monotonic()
        report = synap_sync.dask.ingest(bag, client=client, chunk_size=20, max_requests_per_second=rate)
        elapsed = time.monotonic() - started
    assert report.succeeded == 400 and report.requests == 20
    assert elapsed >= (report.requests - 1) / rate * 0.95


def test_with_the_pace_in_redis_the_workers_pace_on_it_as_bulk_work_beside_everyone_else(
    dask_client: Any, synap_emulator: Emulator
) -> None:
    with RedisServer() as server:
        client = SynapClient(api_key=KEY, base_url=synap_emulator.base_url, pace_url=server.url)
        report = synap_sync.dask.ingest(dask_bag.from_sequence(docs(400), npartitions=4), client=client, chunk_size=50)
        status = client.pace()  # this process sent nothing: what it reads, the workers wrote in Redis
        keys = server.client().keys("synap-sync:pace:*")
    assert report.succeeded == 400 and len(keys) == 1
    assert status.store == server.url and status.bulk_per_second > 0 and status.interactive_per_second == 0


def kill_a_busy_worker(dask_client: Any, after: int, killed: List[int]) -> Callable[[Progress], None]:
    """A progress callback that SIGKILLs one busy worker process once ``after`` documents are done,
    noting its pid in ``killed``."""

    def progress(counts: Progress) -> None:
        if killed or counts.done < after:
            return
        busy = [address for address, keys in dask_client.processing().items() if keys]
        if busy:
            pid = dask_client.run(os.getpid, workers=[busy[0]])[busy[0]]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    return progress


def test_a_killed_worker_loses_nothing_and_stores_nothing_twice(dask_client: Any, cluster: Any, tmp_path: Path) -> None:
    killed: List[int] = []
    with Emulator(rate_limit=40, burst=5) as emulator:
        client = SynapClient(api_key=KEY, base_url=emulator.base_url, max_retries=50)
        bag = dask_bag.from_sequence(docs(2000), npartitions=4)
        report = synap_sync.dask.ingest(
            bag, client=client, journal_dir=tmp_path, chunk_size=20,
            progress=kill_a_busy_worker(dask_client, 200, killed),
        )  # fmt: skip
        ids = stored_ids(emulator)
    assert killed, "no worker was busy to kill"
    assert (report.total, report.succeeded, report.failed) == (2000, 2000, 0)
    assert len(ids) == 2000 and set(ids.values()) == {1}


def test_a_partition_the_cluster_gives_up_on_is_counted_from_its_journal(tmp_path: Path) -> None:
    """A worker killed where the cluster allows no retry: its partition's task fails with KilledWorker and
    returns no report. The run's error still accounts for what that partition settled."""
    killed: List[int] = []
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=50
    ) as strict, distributed.Client(strict) as dask_client:
        with Emulator(rate_limit=40, burst=5) as emulator:
            client = SynapClient(api_key=KEY, base_url=emulator.base_url)
            bag = dask_bag.from_sequence(docs(2000), npartitions=2)
            with pytest.raises(SynapError, match="partition . failed on the cluster") as caught:
                synap_sync.dask.ingest(
                    bag, client=client, journal_dir=tmp_path, chunk_size=20,
                    progress=kill_a_busy_worker(dask_client, 600, killed),
                )  # fmt: skip
            stored = len(stored_ids(emulator))
    report = caught.value.report
    assert killed and isinstance(report, IngestReport)
    # The killed partition's acknowledged chunks are in the report: nothing stored is left uncounted.
    assert report.succeeded <= stored <= report.succeeded + report.not_sent
    assert report.succeeded > stored - 2 * 4 * 20  # unknown: at most the chunks in flight (4 per partition)


def test_a_dataframe_row_by_row_with_missing_values_and_metadata(dask_client: Any, synap_emulator: Emulator) -> None:
    frame = pandas.DataFrame(
        {
            "document": [f"ticket {n}" for n in range(6)],
            "document_id": [f"t-{n}" for n in range(6)],
            "user_id": ["u1", "u2", None, "u4", 5, "u6"],  # a missing one, and a number where text belongs
            "customer_id": ["c1", "c1", None, "c1", "c1", "c1"],
            "document_created_at": pandas.to_datetime(["2025-01-02T03:04:05Z"] * 5 + [None], utc=True),
            "metadata": [{"n": n} for n in range(6)],
        }
    )
    with dask.config.set({"dataframe.convert-string": False}):  # else Dask turns the dicts into text
        collection = dask.dataframe.from_pandas(frame, npartitions=2)
    client = SynapClient(api_key=KEY, base_url=synap_emulator.base_url)
    report = synap_sync.dask.ingest(collection, client=client)

    assert (report.total, report.succeeded, report.failed) == (6, 5, 1), report.failures
    failure = report.failures[0]
    assert (failure.partition, failure.index, failure.kind) == (1, 1, "invalid")
    assert "user_id" in failure.error_message
    stored = {document["document_id"]: document for document in synap_emulator.stored_documents()}
    assert stored["t-2"]["user_id"] is None
    assert stored["t-0"]["document_created_at"] == "2025-01-02T03:04:05Z"
    assert stored["t-5"]["document_created_at"] is None
    assert stored["t-3"]["metadata"] == {"n": 3}


def test_a_frame_its_records_and_its_dask_partitions_store_the_same_documents(dask_client: Any) -> None:
    frame = pandas.DataFrame(
        {
            "body": [f"User: note {n}" for n in range(40)],
            "ticket": [f"t-{n}" for n in range(40)],
            "customer_id": ["acme" if n % 3 else numpy.nan for n in range(40)],
            "opened": pandas.to_datetime(["2025-01-02T03:04:05.000000009Z" if n % 4 else None for n in range(40)]),
            "priority": numpy.arange(40, dtype="int64"),
        }
    )
    options: Any = {"columns": {"body": "document", "ticket": "document_id", "opened": "document_created_at"},
                    "metadata_columns": ["priority"]}  # fmt: skip
    kept = []
    for run in ("frame", "records", "dask"):
        with Emulator() as emulator:
            client = SynapClient(api_key=KEY, base_url=emulator.base_url)
            if run == "dask":
                synap_sync.dask.ingest(dask.dataframe.from_pandas(frame, npartitions=3), client=client, **options)
            else:
                client.memories.ingest(frame if run == "frame" else frame.to_dict("records"), **options)
            kept.append(sorted(emulator.stored_documents(), key=lambda document: document["document_id"]))
    assert kept[0] == kept[1] == kept[2] and len(kept[0]) == 40
    assert kept[0][1]["metadata"] == {"priority": 1} and kept[0][1]["document_created_at"] == "2025-01-02T03:04:05Z"


def test_a_metadata_column_may_hold_json_text(dask_client: Any, synap_emulator: Emulator) -> None:
    frame = pandas.DataFrame(
        {"document": ["a", "b"], "document_id": ["a", "b"], "metadata": ['{"source": "crm"}', "{'source': 'crm'}"]}
    )
    client = SynapClient(api_key=KEY, base_url=synap_emulator.base_url)
    report = synap_sync.dask.ingest(dask.dataframe.from_pandas(frame, npartitions=1), client=client)
    assert (report.succeeded, report.failed) == (1, 1)
    assert "metadata" in report.failures[0].error_message  # a Python repr is not JSON: refused by name
    assert synap_emulator.stored_documents()[0]["metadata"] == {"source": "crm"}


def test_an_unknown_column_is_refused_by_name_before_anything_is_sent(
    dask_client: Any, synap_emulator: Emulator
) -> None:
    frame = pandas.DataFrame({"document": ["a"], "document_id": ["a"], "body_html": ["<p>a</p>"]})
    client = SynapClient(api_key=KEY, base_url=synap_emulator.base_url)
    with pytest.raises(SynapValidationError, match="body_html"):
        synap_sync.dask.ingest(dask.dataframe.from_pandas(frame, npartitions=1), client=client)
    assert synap_emulator.request_count == 0


def test_an_error_every_partition_meets_stops_the_run_with_the_report(dask_client: Any) -> None:
    with Emulator(api_keys={"synap_good"}) as emulator:
        client = SynapClient(api_key="synap_wrong", base_url=emulator.base_url)
        with pytest.raises(SynapAuthError) as caught:
            synap_sync.dask.ingest(dask_bag.from_sequence(docs(400), npartitions=4), client=client)
        assert emulator.stored_documents() == []
    assert caught.value.report is not None and caught.value.report.succeeded == 0
    assert "synap_wrong" not in repr(caught.value.report) and "synap_wrong" not in str(caught.value)


def test_ctrl_c_in_the_caller_stops_every_partition_and_raises_the_report(dask_client: Any, tmp_path: Path) -> None:
    with Emulator(rate_limit=20, burst=2) as emulator:
        client = SynapClient(api_key=KEY, base_url=emulator.base_url)

        def interrupt(progress: Progress) -> None:
            if progress.done:
                raise KeyboardInterrupt

        bag = dask_bag.from_sequence(docs(4000), npartitions=4)
        with pytest.raises(IngestInterrupted) as caught:
            synap_sync.dask.ingest(bag, client=client, journal_dir=tmp_path, progress=interrupt)
        report = caught.value.report
        assert 0 < report.succeeded < 4000
        assert report.succeeded == len(stored_ids(emulator))
        resumed = synap_sync.dask.ingest(bag, client=client, journal_dir=tmp_path)
        ids = stored_ids(emulator)
    assert resumed.succeeded == 4000 and len(ids) == 4000 and set(ids.values()) == {1}


def test_ctrl_c_to_the_whole_process_group_stops_the_driver_and_its_report_matches_the_service(
    tmp_path: Path,
) -> None:
    """A terminal's Ctrl-C reaches the driver and LocalCluster's workers alike: the workers die of it,
    and the driver must not wait for partitions nobody will finish."""
    root = Path(__file__).resolve().parents[2]
    with Emulator(rate_limit=20, burst=5, latency_ms=100) as emulator:  # 160 requests: about 8 s
        driver = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.dask_driver", emulator.base_url, str(tmp_path)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=root, start_new_session=True,
            preexec_fn=default_signals,
        )  # fmt: skip
        assert driver.stdout is not None and driver.stdout.readline().strip() == "ready"
        while len(emulator.stored_documents()) < 1000:  # under way on every worker
            time.sleep(0.05)
        os.killpg(driver.pid, signal.SIGINT)
        try:
            stdout, stderr = driver.communicate(timeout=60)
        finally:
            if driver.poll() is None:
                os.killpg(driver.pid, signal.SIGKILL)
        stored = len(stored_ids(emulator))
        report = json.loads(stdout.strip().splitlines()[-1])
        assert driver.returncode == 130 and report["interrupted"], stderr[-2000:]
        # What it acknowledged is stored; what it had on its way may be: the report counts it not sent.
        assert 0 < report["succeeded"] <= stored <= report["succeeded"] + report["not_sent"] < 8000
        client = SynapClient(api_key=KEY, base_url=emulator.base_url)
        accepted_before = emulator.statuses[200]
        documents = [{"document": f"User: note {n}", "document_id": f"d-{n}"} for n in range(8000)]
        resumed = synap_sync.dask.ingest(
            dask_bag.from_sequence(documents, npartitions=4), client=client, journal_dir=tmp_path,
            run_name="nightly", chunk_size=50,
        )  # fmt: skip
        ids = stored_ids(emulator)
        accepted = emulator.statuses[200]
    assert report["seconds"] < 30  # the driver stopped waiting (its goal, 10 s, is timed in the benchmark)
    assert resumed.succeeded == 8000 and resumed.resumed >= report["succeeded"]
    assert len(ids) == 8000 and set(ids.values()) == {1}
    assert accepted - accepted_before == (8000 - report["succeeded"]) // 50  # only the rest was sent again


def test_progress_is_one_count_over_all_partitions(dask_client: Any, synap_emulator: Emulator) -> None:
    seen: List[Progress] = []
    lock = threading.Lock()

    def note(progress: Progress) -> None:
        with lock:
            seen.append(progress)

    client = SynapClient(api_key=KEY, base_url=synap_emulator.base_url)
    synap_sync.dask.ingest(dask_bag.from_sequence(docs(600), npartitions=3), client=client, progress=note)
    assert seen[-1].done == 600 and seen[-1].succeeded == 600
    assert [progress.done for progress in seen] == sorted(progress.done for progress in seen)


def _paces_of_shared_clients() -> List[str]:
    """On a worker: the pace type of every client this process rebuilt from a pickle."""
    from synap_sync.client import _REBUILT

    return [type(client._transport.pace).__name__ for client in _REBUILT.values()]


def test_a_workers_shared_client_keeps_its_own_pace_after_a_run(dask_client: Any, synap_emulator: Emulator) -> None:
    bag = dask_bag.from_sequence(docs(40), npartitions=4)
    client = SynapClient(api_key=KEY, base_url=synap_emulator.base_url)

    synap_sync.dask.ingest(bag, client=client, chunk_size=10)

    paces = [pace for per_worker in dask_client.run(_paces_of_shared_clients).values() for pace in per_worker]
    assert paces and set(paces) == {"Pacer"}  # the scheduler paced the run's own clients, now closed
