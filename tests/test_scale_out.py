"""The pieces of a run over many processes, in one process: a client that pickles as its
configuration, reports that merge, the pace kept for a cluster, and DataFrame rows as documents."""

from __future__ import annotations

import pickle
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from synap_sync import IngestOutcome, IngestReport, SynapAuthError, SynapClient
from synap_sync.bulk import TimelineSecond
from synap_sync.emulator import Emulator
from synap_sync.errors import SynapServerError
from synap_sync.testing import FakeClock

if TYPE_CHECKING:
    from synap_sync.dask._worker import Settings

KEY = "synap_k3y_that_must_never_show"


# --- a client pickles as its configuration -----------------------------------------------------------


def test_a_pickled_client_carries_its_configuration_but_never_shows_the_key() -> None:
    client = SynapClient(
        api_key=KEY,
        base_url="http://127.0.0.1:9",
        timeout=(2, 7),
        max_retries=5,
        deadline=30,
        pool_maxsize=12,
        max_requests_per_second=15,
    ).with_options(deadline=9)
    data = pickle.dumps(client)
    assert KEY.encode() not in data and KEY not in repr(data)
    copy = pickle.loads(data)
    assert KEY not in repr(copy) and KEY not in repr(copy.__dict__) and KEY not in repr(copy._settings)
    assert (copy.base_url, copy.timeout, copy.max_retries, copy.deadline) == (
        "http://127.0.0.1:9",
        (2.0, 7.0),
        5,
        9.0,
    )
    assert (copy.max_requests_per_second, copy._transport.pool_maxsize) == (15, 12)
    assert copy._transport._api_key == KEY  # it does send the key, of course
    assert copy._transport is not client._transport  # never the pool, locks or pace


def test_unpickled_copies_of_one_configuration_share_one_pool_in_a_process() -> None:
    data = pickle.dumps(SynapClient(api_key=KEY, base_url="http://127.0.0.1:9"))
    first, second = pickle.loads(data), pickle.loads(data)
    assert first._transport is second._transport
    first._transport.close()
    assert pickle.loads(data)._transport is not first._transport  # a closed one is not handed out again
    other = pickle.loads(pickle.dumps(SynapClient(api_key=KEY + "2", base_url="http://127.0.0.1:9")))
    assert other._transport is not second._transport


def test_a_key_from_the_environment_is_left_to_the_unpickling_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNAP_API_KEY", KEY)
    data = pickle.dumps(SynapClient(base_url="http://127.0.0.1:9"))
    assert b"k3y" not in data
    script = "import pickle, sys; client = pickle.loads(sys.stdin.buffer.read()); print(client._transport._api_key)"
    run = subprocess.run(
        [sys.executable, "-c", script],
        input=data,
        capture_output=True,
        env={"SYNAP_API_KEY": "synap_worker_key", "PATH": ""},
    )
    assert run.stdout.decode().strip() == "synap_worker_key", run.stderr.decode()[-500:]
    monkeypatch.delenv("SYNAP_API_KEY")
    with pytest.raises(SynapAuthError, match="SYNAP_API_KEY"):
        pickle.loads(data)


def test_a_pace_url_travels_sealed_and_one_from_the_environment_is_left_to_the_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = "redis://:hunter2-redis@127.0.0.1:9/0"
    client = SynapClient(api_key=KEY, base_url="http://127.0.0.1:9", pace_url=url)
    data = pickle.dumps(client)
    copy = pickle.loads(data)
    assert b"hunter2" not in data and "hunter2" not in repr(copy._settings) + repr(client._settings)
    assert copy._transport.pace_url == url and copy.pace_url == client.pace_url == "redis://:***@127.0.0.1:9/0"
    monkeypatch.setenv("SYNAP_PACE_URL", url)
    from_environment = pickle.dumps(SynapClient(api_key=KEY, base_url="http://127.0.0.1:9"))
    monkeypatch.setenv("SYNAP_PACE_URL", "local")
    assert pickle.loads(from_environment).pace_url == "local" and b"127.0.0.1:9/0" not in from_environment


def test_a_client_with_a_test_clock_pickles_its_own_clock() -> None:
    copy = pickle.loads(pickle.dumps(SynapClient(api_key=KEY, base_url="http://127.0.0.1:9", clock=FakeClock(5.0))))
    assert isinstance(copy._transport.clock, FakeClock) and copy._transport.clock.now() == 5.0


# --- reports merge ---------------------------------------------------------------------------------


def _part(partition: int, succeeded: int, failed_at: list, started_at: float, elapsed: float) -> IngestReport:
    report = IngestReport()
    for _ in range(succeeded):
        report.record(IngestOutcome(0, True, already_stored=partition == 1))
    for index in failed_at:
        report.record(IngestOutcome(index, False, f"d{index}", error=SynapServerError("x"), error_message="x"))
    report.failures[:] = [
        type(failure)(failure.index, failure.document_id, failure.error_message, "server", failure.error, partition)
        for failure in report.failures
    ]
    report.requests, report.throttled = 10 + partition, partition
    report.started_at, report.elapsed_seconds = started_at, elapsed
    report.timeline = [TimelineSecond(second, succeeded=1, requests=1, pace=2.0 + partition) for second in range(3)]
    return report


def test_merged_reports_add_counts_keep_failure_positions_and_span_the_wall_time() -> None:
    parts = [_part(1, 3, [7, 2], 1000.0, 3.0), _part(0, 5, [4], 1002.0, 2.5)]
    merged = IngestReport.merge(parts)
    assert (merged.total, merged.succeeded, merged.failed, merged.already_stored, merged.new) == (11, 8, 3, 3, 5)
    assert (merged.requests, merged.throttled) == (21, 1)
    assert [(failure.partition, failure.index) for failure in merged.failures] == [(0, 4), (1, 2), (1, 7)]
    assert merged.elapsed_seconds == pytest.approx(4.5)  # from the first start to the last finish
    assert [second.requests for second in merged.timeline] == [1, 1, 2, 1, 1]  # the second part began 2 s later
    assert merged.timeline[2].pace == 3.0
    assert (parts[0] + parts[1]).failures == merged.failures
    assert IngestReport.merge([]).total == 0


def test_adding_something_that_is_not_a_report_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        IngestReport() + 3  # type: ignore[operator]


# --- the pace a cluster keeps on its scheduler -------------------------------------------------------


def test_a_cluster_pace_hands_out_the_scheduler_paces_slots() -> None:
    from synap_sync.dask import _state
    from synap_sync.dask._worker import ClusterPace, _local_call

    pace_id = _state.pace_id_for(f"test-{time.monotonic()}", 10.0)
    _state.pace_setup(pace_id)
    clock = FakeClock()
    pace = ClusterPace(_local_call, pace_id, clock)
    slots = [pace.acquire() for _ in range(3)]
    assert [round(later - earlier, 6) for earlier, later in zip(slots, slots[1:])] == [0.1, 0.1]
    assert pace.rate == 10.0 and len(clock.sleeps) == 3
    late = pace.acquire(latest=clock.now() + 0.01)  # the next slot is ~0.3 s away: too late for this caller
    assert late is None and pace.next_slot_in() > 0.25
    # Nothing is booked more than a quarter of a second ahead: the worker is told when to ask again.
    answer = _state.pace_call(pace_id, "reserve", (None,))
    assert answer[0] == "wait" and answer[1] == pytest.approx(0.05, abs=0.02) and answer[2] == 10.0


def test_a_429_on_one_worker_paces_every_other() -> None:
    from synap_sync.dask import _state
    from synap_sync.dask._worker import ClusterPace, _local_call

    pace_id = _state.pace_id_for(f"test-{time.monotonic()}", None)
    _state.pace_setup(pace_id)
    one, other = (ClusterPace(_local_call, pace_id, FakeClock()) for _ in range(2))
    sent = one.acquire()
    assert sent is not None
    one.throttled(sent, 1.0)
    assert other.acquire(latest=other.clock.now() + 0.001) is None  # probing now: the other worker waits


# --- a run without a cluster -----------------------------------------------------------------------------


def test_without_a_distributed_cluster_the_partitions_run_on_threads_here(synap_emulator: Emulator) -> None:
    import dask.bag as dask_bag
    import distributed

    import synap_sync.dask

    with pytest.raises(ValueError):
        distributed.default_client()  # no cluster: the default scheduler is used
    items = [{"document": f"n{n}", "document_id": f"n{n}", "user_id": "u", "customer_id": "c"} for n in range(250)]
    client = SynapClient(api_key=KEY, base_url=synap_emulator.base_url)
    report = synap_sync.dask.ingest(dask_bag.from_sequence(items, npartitions=5), client=client, chunk_size=25)
    assert (report.total, report.succeeded, report.requests) == (250, 250, 10)
    assert len(synap_emulator.stored_documents()) == 250


def test_without_a_cluster_a_given_rate_holds_for_all_the_partitions_together(synap_emulator: Emulator) -> None:
    import dask.bag as dask_bag

    import synap_sync.dask

    rate = 10.0
    items = [{"document": f"n{n}", "document_id": f"n{n}", "user_id": "u", "customer_id": "c"} for n in range(200)]
    client = SynapClient(api_key=KEY + "-rated", base_url=synap_emulator.base_url)
    started = time.monotonic()
    report = synap_sync.dask.ingest(
        dask_bag.from_sequence(items, npartitions=4), client=client, chunk_size=10, max_requests_per_second=rate
    )
    elapsed = time.monotonic() - started
    assert report.succeeded == 200 and report.requests == 20
    # Each partition thread sends at its share; together never faster than the rate (a lower bound only).
    assert elapsed >= (report.requests / 4 - 1) / (rate / 2) * 0.95


def test_a_cluster_pace_under_a_ceiling_is_its_own_and_survives_a_scheduler_restart() -> None:
    from synap_sync.dask import _state

    key = f"test-{time.monotonic()}"
    capped, free = _state.pace_id_for(key, 5.0), _state.pace_id_for(key, None)
    assert capped != free
    assert _state._pace(("elsewhere", capped)).max_rate == 5.0  # made afresh, ceiling and all
    assert _state._pace(("elsewhere", free)).max_rate is None


def test_a_collection_that_is_not_a_bag_or_dataframe_is_refused_by_name() -> None:
    import synap_sync.dask
    from synap_sync import SynapValidationError

    with pytest.raises(SynapValidationError, match="collection.*list"):
        synap_sync.dask.ingest([{"document": "x"}], client=SynapClient(api_key=KEY, base_url="http://127.0.0.1:9"))


def test_importing_synap_sync_never_imports_dask() -> None:
    script = (
        "import sys, synap_sync, synap_sync.cli, synap_sync.partitions;"
        "print(sorted({'dask', 'distributed', 'pandas'} & set(sys.modules)))"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


def test_a_partitions_journal_says_what_it_settled_and_what_was_on_its_way(tmp_path: Path) -> None:
    from synap_sync.bulk._journal import Journal
    from synap_sync.partitions import journal_path, journaled_report

    journal = Journal(journal_path(str(tmp_path), "nightly", 3), {"chunk_size": 3})
    journal.sent(0, "f0", [0, 1, 2])
    journal.done(0, [(1, "d-1", "document: must not be empty", "invalid")], deduplicated=0, already_stored=1)
    journal.sent(1, "f1", [3, 4, 5])  # on its way when the worker died: no "done"
    journal.close()
    report = journaled_report(str(tmp_path), "nightly", 3)
    assert (report.total, report.succeeded, report.failed, report.not_sent, report.already_stored) == (6, 2, 1, 3, 1)
    assert [(failure.index, failure.partition, failure.kind) for failure in report.failures] == [(1, 3, "invalid")]
    assert journaled_report(str(tmp_path), "other", 3).total == 0  # no journal: nothing known


def _stopped_run(tmp_path: Path, journal: bool) -> Settings:
    from synap_sync.dask import _state
    from synap_sync.dask._worker import Settings

    settings = Settings(
        run_id=f"run-{time.monotonic()}", run_name="nightly", journal_dir=str(tmp_path) if journal else None,
        pace_id=None, options={"chunk_size": 3},
    )  # fmt: skip
    _state.run_progress(settings.run_id, 3, (6, 5, 1))  # what the partition's first task last told
    _state.run_stop(settings.run_id)
    return settings


def test_a_partition_given_to_a_new_worker_after_the_stop_reports_what_its_journal_holds(tmp_path: Path) -> None:
    """Ctrl-C killed the partition's worker and the cluster gave its task to a new one: the new task sends
    nothing, and reports what the partition settled before, not an empty report."""
    from synap_sync.bulk._journal import Journal
    from synap_sync.dask._worker import run_partition
    from synap_sync.partitions import journal_path

    settings = _stopped_run(tmp_path, journal=True)
    journal = Journal(journal_path(str(tmp_path), "nightly", 3), {"chunk_size": 3})
    journal.sent(0, "f0", [0, 1, 2])
    journal.done(0, [], deduplicated=0, already_stored=0)
    journal.sent(1, "f1", [3, 4, 5])  # on its way when the worker died
    journal.close()
    client = SynapClient(api_key=KEY, base_url="http://127.0.0.1:9")  # nothing listens: nothing may be sent
    report = run_partition([{"document": f"n{n}"} for n in range(9)], client, 3, settings, True)
    assert (report.total, report.succeeded, report.not_sent, report.requests) == (6, 3, 3, 0)


def test_without_a_journal_a_late_task_reports_the_counts_its_partition_last_told(tmp_path: Path) -> None:
    from synap_sync.dask import _state
    from synap_sync.dask._worker import run_partition

    settings = _stopped_run(tmp_path, journal=False)
    client = SynapClient(api_key=KEY, base_url="http://127.0.0.1:9")
    report = run_partition([{"document": f"n{n}"} for n in range(9)], client, 3, settings, True)
    assert (report.total, report.succeeded, report.failed) == (6, 5, 1)
    assert _state.run_counts(settings.run_id) == {3: (6, 5, 1)}  # left as told, for the driver to count
