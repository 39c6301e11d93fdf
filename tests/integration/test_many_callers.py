"""One client, many callers: threads sharing a client, Ctrl-C in the middle of a run, what a run logs."""

from __future__ import annotations

import _thread
import collections
import json
import logging
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, List

import pytest

from synap_sync import IngestInterrupted, SynapClient, SynapError
from synap_sync.emulator import Emulator
from tests.conftest import docs

from .conftest import default_signals


def test_threads_sharing_a_default_client_wait_their_turn_instead_of_failing() -> None:
    with Emulator(rate_limit=20, burst=5) as emulator:
        client = SynapClient(api_key="synap_k", base_url=emulator.base_url)
        errors: List[SynapError] = []

        def caller(number: int) -> None:
            for call in range(4):
                try:
                    client.memories.batch_create(list(docs(10, f"t{number}-{call}-")))
                except SynapError as error:
                    errors.append(error)

        threads = [threading.Thread(target=caller, args=(number,)) for number in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stored = len(emulator.stored_documents())
        throttled = emulator.statuses[429]
    assert errors == [] and stored == 8 * 4 * 10
    assert throttled > 0  # the limit was really met: 32 calls at 20/s with a burst of 5


@pytest.mark.usefixtures("ctrl_c_reaches_python")
def test_ctrl_c_stops_ingest_within_seconds_and_keeps_the_partial_report(tmp_path: Path) -> None:
    journal = str(tmp_path / "run.journal")
    with Emulator(latency_ms=100) as emulator:
        client = SynapClient(api_key="synap_k", base_url=emulator.base_url)
        interrupt = threading.Timer(0.6, _thread.interrupt_main)
        interrupt.start()
        started = time.monotonic()
        try:
            with pytest.raises(IngestInterrupted) as caught:
                client.memories.ingest(docs(8_000), workers=2, journal=journal)
        finally:
            interrupt.cancel()
        elapsed = time.monotonic() - started
        partial = caught.value.report
        resumed = client.memories.ingest(docs(8_000), workers=4, journal=journal)
        ids = collections.Counter(document["document_id"] for document in emulator.stored_documents())
    assert elapsed < 0.6 + 2.5  # the run would take 4 s; it stops within about 2 s of Ctrl-C
    assert 0 < partial.succeeded < 8_000 and partial.not_sent + partial.succeeded == partial.total
    assert partial.failed == 0  # what the stop left unsent is not a failure
    assert resumed.failed == 0 and resumed.resumed > 0 and resumed.total == 8_000
    assert len(ids) == 8_000 and set(ids.values()) == {1}


def test_ctrl_c_in_the_cli_prints_the_partial_summary_and_exits_130(tmp_path: Path) -> None:
    source = tmp_path / "history.jsonl"
    source.write_text("".join(json.dumps(document) + "\n" for document in docs(4_000)))
    with Emulator(latency_ms=100) as emulator:
        command = [sys.executable, "-m", "synap_sync", "ingest", str(source), "--workers", "2",
                   "--api-key", "synap_k", "--base-url", emulator.base_url, "--no-progress"]  # fmt: skip
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=default_signals
        )
        while emulator.request_count < 3:  # running and sending
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
        again = subprocess.run(command, capture_output=True, text=True, timeout=120)
        stored = len(emulator.stored_documents())
    assert process.returncode == 130, err
    assert "interrupted" in err and out.startswith("total ")
    assert again.returncode == 0 and "failed 0" in again.stdout and stored == 4_000


def test_a_run_says_what_it_does_at_info_and_why_it_retries_at_warning(
    caplog: pytest.LogCaptureFixture, no_backoff: Callable[..., SynapClient]
) -> None:
    caplog.set_level(logging.INFO, logger="synap_sync")
    with Emulator(fault_rate=0.3, fault_kinds=["503"], seed=3) as emulator:
        report = no_backoff(emulator.base_url).memories.ingest((document for document in docs(1_000)), workers=2)
    assert report.failed == 0 and report.retries > 0
    infos = [record.getMessage() for record in caplog.records if record.levelno == logging.INFO]
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert any(message.startswith("ingest: starting: documents from a generator, 2 workers") for message in infos)
    finished = "ingest: finished: total 1000, succeeded 1000, not sent 0, failed 0"
    assert any(message.startswith(finished) for message in infos)
    retried = [message for message in warnings if "retrying" in message]
    assert len(retried) == report.retries
    assert all("status=503" in message and "correlation_id=syn_" in message for message in retried)
