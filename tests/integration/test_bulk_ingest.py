"""The bulk engine against the emulator over loopback: faults, accounting, dedup, memory, resume."""

from __future__ import annotations

import collections
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest

from synap_sync import SynapAuthError, SynapClient, SynapJournalError, SynapServerError, SynapValidationError
from synap_sync.bulk import IngestOutcome
from synap_sync.emulator import Emulator
from tests.conftest import docs

NoBackoff = Callable[..., SynapClient]


def stored_ids(emulator: Emulator) -> List[str]:
    return [document["document_id"] for document in emulator.stored_documents()]


def test_10000_documents_through_every_fault_none_lost_none_twice(no_backoff: NoBackoff) -> None:
    with Emulator(
        rate_limit=50, burst=5, fault_rate=0.15, fault_kinds=["503", "drop", "lost-reply"], seed=11
    ) as emulator:
        client = no_backoff(emulator.base_url)
        report = client.memories.ingest(docs(10_000), workers=4)
        ids = stored_ids(emulator)
        statuses = dict(emulator.statuses)
    assert (report.total, report.succeeded, report.failed) == (10_000, 10_000, 0)
    assert sorted(ids) == sorted(f"d{index}" for index in range(10_000))
    assert statuses.get(503, 0) > 0 and statuses.get(0, 0) > 0 and statuses.get(429, 0) > 0
    assert report.retries > 0 and report.throttled == statuses[429]


def test_without_ids_every_document_is_accounted_and_none_claimed_unstored(no_backoff: NoBackoff) -> None:
    with Emulator(fault_rate=0.2, fault_kinds=["503", "drop", "lost-reply"], seed=5) as emulator:
        client = no_backoff(emulator.base_url)
        outcomes = list(client.memories.ingest_iter(docs(3_000, ids=False), workers=4))
        stored = collections.Counter(document["document"] for document in emulator.stored_documents())
    assert sorted(outcome.index for outcome in outcomes) == list(range(3_000))
    for outcome in outcomes:
        if outcome.ok:
            assert stored[f"User: note {outcome.index}"] == 1
        else:
            assert outcome.error_message
    unknown = [outcome for outcome in outcomes if not outcome.ok and "outcome unknown" in (outcome.error_message or "")]
    assert unknown, "the seeded drops should leave some outcomes unknown"


def test_a_retry_that_finds_its_documents_stored_counts_them_deduplicated(no_backoff: NoBackoff) -> None:
    with Emulator(fault_rate=0.3, fault_kinds=["lost-reply"], seed=2) as emulator:
        client = no_backoff(emulator.base_url)
        outcomes = list(client.memories.ingest_iter(docs(1_000), workers=2))
        ids = stored_ids(emulator)
    assert all(outcome.ok for outcome in outcomes)
    deduplicated = [outcome for outcome in outcomes if outcome.deduplicated]
    assert deduplicated and all(outcome.result is not None for outcome in deduplicated)
    assert sorted(ids) == sorted(f"d{index}" for index in range(1_000))


def test_a_rerun_without_journal_counts_stored_documents_as_already_stored() -> None:
    with Emulator() as emulator:
        client = SynapClient(api_key="synap_k", base_url=emulator.base_url)
        client.memories.ingest(docs(2_000))
        report = client.memories.ingest(docs(3_000))
        stored = stored_ids(emulator)
    assert (report.succeeded, report.failed, report.already_stored, report.deduplicated) == (3_000, 0, 2_000, 0)
    assert report.new == 1_000 and sorted(stored) == sorted(f"d{index}" for index in range(3_000))


def test_strict_callers_can_count_already_stored_documents_as_failures() -> None:
    with Emulator() as emulator:
        client = SynapClient(api_key="synap_k", base_url=emulator.base_url)
        client.memories.ingest(docs(5))
        report = client.memories.ingest(docs(5), fail_already_stored=True)
    assert (report.succeeded, report.failed, report.already_stored) == (0, 5, 0)
    assert {failure.kind for failure in report.failures} == {"duplicate"}
    assert "already ingested" in report.failures[0].error_message


def test_invalid_items_mid_stream_are_reported_and_the_rest_sent() -> None:
    def mixed() -> Iterator[Dict[str, Any]]:
        for index, document in enumerate(docs(500)):
            if index in (7, 250, 499):
                document["mode"] = "slow"
            yield document

    with Emulator() as emulator:
        client = SynapClient(api_key="synap_k", base_url=emulator.base_url)
        report = client.memories.ingest(mixed(), workers=3)
        count = len(emulator.stored_documents())
    assert (report.total, report.succeeded, report.failed, count) == (500, 497, 3, 497)
    assert [(failure.index, failure.document_id) for failure in report.failures] == [
        (7, "d7"),
        (250, "d250"),
        (499, "d499"),
    ]
    assert all("mode" in failure.error_message for failure in report.failures)


def test_fail_fast_stops_at_the_first_invalid_item_with_a_report() -> None:
    def mixed() -> Iterator[Dict[str, Any]]:
        yield from docs(300)
        yield {"document": ""}
        yield from docs(300, prefix="late")

    with Emulator() as emulator:
        client = SynapClient(api_key="synap_k", base_url=emulator.base_url)
        with pytest.raises(SynapValidationError) as caught:
            client.memories.ingest(mixed(), fail_fast=True)
        late = [i for i in stored_ids(emulator) if i.startswith("late")]
    report = caught.value.report  # type: ignore[attr-defined]
    assert report.failed >= 1 and any(failure.index == 300 for failure in report.failures)
    assert late == []


def test_a_permanent_error_stops_the_run_and_carries_what_was_done() -> None:
    with Emulator(api_keys=["synap_right"]) as emulator:
        client = SynapClient(api_key="synap_wrong", base_url=emulator.base_url)
        started = time.monotonic()
        with pytest.raises(SynapAuthError) as caught:
            client.memories.ingest(docs(100_000), workers=4)
        requests = emulator.request_count
    report = caught.value.report  # type: ignore[attr-defined]
    assert report.succeeded == 0 and report.failed > 0 and report.failed + report.not_sent == report.total
    assert requests < 50 and time.monotonic() - started < 10


def test_ingest_iter_yields_one_outcome_per_document() -> None:
    with Emulator() as emulator:
        client = SynapClient(api_key="synap_k", base_url=emulator.base_url)
        run = client.memories.ingest_iter(docs(1_234), chunk_size=50, workers=4)
        outcomes = list(run)
    assert (run.report.total, run.report.succeeded, run.report.requests) == (1_234, 1_234, 25)
    assert sorted(outcome.index for outcome in outcomes) == list(range(1_234))
    assert all(isinstance(outcome, IngestOutcome) and outcome.ok for outcome in outcomes)
    assert all(outcome.result is not None and outcome.result.ingestion_id for outcome in outcomes)


def test_closing_the_iterator_stops_the_run() -> None:
    with Emulator(latency_ms=20) as emulator:
        client = SynapClient(api_key="synap_k", base_url=emulator.base_url)
        with client.memories.ingest_iter(docs(100_000), workers=2) as run:
            first = next(run)
        engine_threads = [thread.name for thread in threading.enumerate() if thread.name.startswith("synap-sync-")]
        sent = emulator.request_count
    assert first.ok
    assert engine_threads == []
    assert sent < 20 and run.report.total >= 100


def test_workers_share_the_clients_pooled_connections() -> None:
    with Emulator() as emulator:
        client = SynapClient(api_key="synap_k", base_url=emulator.base_url)
        report = client.memories.ingest(docs(5_000), workers=4)
        connections = emulator.connections
    assert report.requests == 50
    assert connections <= 4


def test_progress_callable_receives_counts() -> None:
    seen: List[Any] = []
    with Emulator() as emulator:
        client = SynapClient(api_key="synap_k", base_url=emulator.base_url)
        client.memories.ingest(list(docs(450)), progress=seen.append)
    assert seen and seen[-1].done == 450 and seen[-1].total == 450 and seen[-1].succeeded == 450
    assert [counts.done for counts in seen] == sorted(counts.done for counts in seen)


def test_progress_line_without_tqdm(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tqdm.std", None)  # as if tqdm were not installed
    with Emulator() as emulator:
        client = SynapClient(api_key="synap_k", base_url=emulator.base_url)
        client.memories.ingest(docs(300), progress=True)
    assert "300 documents, 300 ok, 0 failed" in capsys.readouterr().err


def test_memory_stays_bounded_by_the_chunks_in_flight() -> None:
    """20,000 documents of 10 KB (200 MB if materialised) through an emulator in its own process."""
    process = subprocess.Popen(
        [sys.executable, "-m", "synap_sync", "serve", "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[-1]
        client = SynapClient(api_key="synap_k", base_url=url)
        filler = "lorem ipsum " * 850

        def big() -> Iterator[Dict[str, Any]]:
            for index in range(20_000):
                yield {"document": f"{index} {filler}", "document_id": f"big{index}"}

        tracemalloc.start()
        report = client.memories.ingest(big(), workers=4)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        process.terminate()
        process.wait(10)
    assert report.succeeded == 20_000
    assert peak < 30 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def write_jsonl(path: Path, count: int) -> Path:
    path.write_text("".join(json.dumps({"document": f"line {n}", "document_id": f"j{n}"}) + "\n" for n in range(count)))
    return path


def test_journal_resume_skips_what_was_settled(tmp_path: Path) -> None:
    journal = str(tmp_path / "run.journal")
    with Emulator() as emulator:
        client = SynapClient(api_key="synap_k", base_url=emulator.base_url)
        first = client.memories.ingest(docs(1_000), journal=journal)
        sent = emulator.request_count
        second = client.memories.ingest(docs(1_000), journal=journal)
        assert emulator.request_count == sent
    assert first.succeeded == 1_000 and first.resumed == 0
    assert (second.total, second.succeeded, second.resumed, second.requests) == (1_000, 1_000, 1_000, 0)


def test_chunks_given_up_on_are_retried_by_a_resumed_run(tmp_path: Path, no_backoff: NoBackoff) -> None:
    journal = str(tmp_path / "run.journal")
    with Emulator(fault_rate=1.0, fault_kinds=["503"]) as failing:
        client = no_backoff(failing.base_url)
        with pytest.raises(SynapServerError) as caught:  # three chunks in a row given up: the run stops
            client.memories.ingest(docs(250), journal=journal)
        attempts = failing.requests["POST /api/v1/memories/batch"]
    with Emulator() as healthy:
        client = no_backoff(healthy.base_url)
        second = client.memories.ingest(docs(250), journal=journal)
    first = caught.value.report
    assert (first.failed, attempts) == (250, 3 * 10)
    assert "gave up after 10 attempts" in first.failures[0].error_message
    assert {failure.kind for failure in first.failures} == {"server"}
    assert (second.succeeded, second.resumed) == (250, 0)


def test_journal_refuses_input_that_changed(tmp_path: Path) -> None:
    journal = str(tmp_path / "run.journal")
    with Emulator() as emulator:
        client = SynapClient(api_key="synap_k", base_url=emulator.base_url)
        client.memories.ingest(docs(300), journal=journal)
        changed = list(docs(300))
        changed[150]["document"] = "edited since"
        with pytest.raises(SynapJournalError, match="chunk 1"):
            client.memories.ingest(changed, journal=journal)


def test_journal_refuses_other_chunk_settings(tmp_path: Path) -> None:
    journal = str(tmp_path / "run.journal")
    with Emulator() as emulator:
        client = SynapClient(api_key="synap_k", base_url=emulator.base_url)
        client.memories.ingest(docs(10), journal=journal)
        with pytest.raises(SynapJournalError, match="chunk_size"):
            client.memories.ingest(docs(10), journal=journal, chunk_size=50)


Finished = "subprocess.CompletedProcess[str]"


def kill_and_resume(
    command: List[str], rng: random.Random, patience: float, times: int = 30, shortest: float = 0.25
) -> Tuple[int, Finished]:
    """Run ``command`` and SIGKILL it at a random moment, up to ``times`` times or until it finishes
    first, then run it to the end."""
    kills = 0
    for _ in range(times):
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            process.wait(timeout=rng.uniform(shortest, patience))
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            kills += 1
        else:
            break
    return kills, subprocess.run(command, capture_output=True, text=True, timeout=120)


def ingest_command(source: Path, base_url: str, *extra: str, workers: int = 2) -> List[str]:
    return [sys.executable, "-m", "synap_sync", "ingest", str(source), "--workers", str(workers),
            "--api-key", "synap_k", "--base-url", base_url, "--no-progress", *extra]  # fmt: skip


def test_killed_runs_resume_until_done_and_store_everything_exactly_once(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "history.jsonl", 10_000)
    with Emulator(latency_ms=40) as emulator:
        kills, final = kill_and_resume(ingest_command(source, emulator.base_url), random.Random(20261124), 0.9)
        ids = collections.Counter(stored_ids(emulator))
    assert kills >= 3, "the run should have been killed mid-way several times"
    assert final.returncode == 0, final.stderr
    assert "failed 0" in final.stdout
    assert len(ids) == 10_000 and set(ids.values()) == {1}
    assert (tmp_path / "history.jsonl.journal").exists()


def test_documents_without_ids_are_stored_exactly_once_through_kills_with_derived_ids(tmp_path: Path) -> None:
    source = tmp_path / "chats.jsonl"
    source.write_text("".join(json.dumps({"document": f"User: chat {n}"}) + "\n" for n in range(20_000)))
    with Emulator(latency_ms=80) as emulator:
        command = ingest_command(source, emulator.base_url, "--derive-ids", workers=4)
        # Each killed run has under a second, about 3,000 documents at most: six kills cannot finish it.
        kills, final = kill_and_resume(command, random.Random(6), 1.0, times=6, shortest=0.5)
        contents = collections.Counter(document["document"] for document in emulator.stored_documents())
        ids = {document["document_id"] for document in emulator.stored_documents()}
    assert kills == 6, "the run should have been killed mid-way six times"
    assert final.returncode == 0 and "failed 0" in final.stdout, final.stderr
    assert len(contents) == 20_000 and set(contents.values()) == {1}
    assert len(ids) == 20_000 and all(document_id.startswith("sha256-") for document_id in ids)


def test_progress_bar_uses_tqdm_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    bars: List[Any] = []

    class FakeTqdm:
        def __init__(self, total: Any = None, **options: Any) -> None:
            self.total, self.count, self.closed = total, 0, False
            bars.append(self)

        def update(self, count: int) -> None:
            self.count += count

        def set_postfix_str(self, text: str, refresh: bool = True) -> None:
            self.postfix = text

        def close(self) -> None:
            self.closed = True

    monkeypatch.setitem(sys.modules, "tqdm.std", types.SimpleNamespace(tqdm=FakeTqdm))
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)  # a terminal: the bar's place
    with Emulator() as emulator:
        client = SynapClient(api_key="synap_k", base_url=emulator.base_url)
        client.memories.ingest(list(docs(250)), progress=True)
    (bar,) = bars
    assert (bar.total, bar.count, bar.closed) == (250, 250, True)
    assert bar.postfix == "ok=250, failed=0"  # whole numbers, exact at the end


def test_a_504_after_the_service_stored_hides_no_duplicate_without_ids(no_backoff: NoBackoff) -> None:
    with Emulator(fault_rate=0.3, fault_kinds=["504-after-store"], seed=8) as emulator:
        report = no_backoff(emulator.base_url).memories.ingest(docs(2_000, ids=False), workers=2)
        stored = collections.Counter(document["document"] for document in emulator.stored_documents())
        gateway_errors = emulator.statuses[504]
    unknown = [failure for failure in report.failures if failure.kind == "outcome_unknown"]
    assert gateway_errors > 0 and len(unknown) == report.failed > 0
    assert set(stored.values()) == {1}  # nothing stored twice behind the caller's back
    for failure in unknown:
        assert "may have been stored" in failure.error_message


@pytest.mark.parametrize("with_ids", [True, False], ids=["given-ids", "derived-ids"])
def test_a_504_after_the_service_stored_is_resent_and_stored_once_with_ids(
    no_backoff: NoBackoff, with_ids: bool
) -> None:
    with Emulator(fault_rate=0.3, fault_kinds=["504-after-store"], seed=8) as emulator:
        report = no_backoff(emulator.base_url).memories.ingest(
            docs(2_000, ids=with_ids), workers=2, derive_ids=not with_ids
        )
        stored = collections.Counter(document["document"] for document in emulator.stored_documents())
    assert (report.succeeded, report.failed) == (2_000, 0) and report.deduplicated > 0
    assert len(stored) == 2_000 and set(stored.values()) == {1}


PROGRESS_IN_A_KERNEL = """
import sys, types
sys.modules["ipykernel"] = types.ModuleType("ipykernel")  # as inside a Jupyter kernel
from synap_sync import SynapClient
client = SynapClient(api_key="synap_k", base_url=sys.argv[1])
documents = [{"document": f"n{index}", "document_id": f"k{index}"} for index in range(10_500)]
print(client.memories.ingest(documents, progress=True).succeeded)
"""


def test_progress_in_a_kernel_without_ipywidgets_is_a_plain_bar_with_no_warning() -> None:
    import importlib.util

    assert importlib.util.find_spec("tqdm") is not None  # the test extra installs it
    assert importlib.util.find_spec("ipywidgets") is None  # the case at hand: a kernel without widgets
    with Emulator() as emulator:
        result = subprocess.run(
            [sys.executable, "-W", "error::Warning", "-c", PROGRESS_IN_A_KERNEL, emulator.base_url],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 0 and result.stdout.strip() == "10500", result.stderr
    assert "Warning" not in result.stderr
    final = result.stderr.strip().splitlines()[-1].split("\r")[-1]
    assert "10500/10500" in final and "ok=10500, failed=0" in final  # exact, and not 1e+4


def test_progress_to_a_file_is_a_plain_line_not_a_carriage_returned_one(capsys: pytest.CaptureFixture[str]) -> None:
    with Emulator() as emulator:
        client = SynapClient(api_key="synap_k", base_url=emulator.base_url)
        client.memories.ingest(list(docs(250)), progress=True)  # stderr is captured: not a terminal
    written = capsys.readouterr().err
    assert "\r" not in written
    assert written.splitlines()[-1].startswith("synap-sync: 250/250 documents, 250 ok, 0 failed")
