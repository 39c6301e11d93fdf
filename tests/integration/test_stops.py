"""Every way a run really stops, as an operator meets it: SIGTERM, Ctrl-C then the failures file, a full
disk, kill -9 of id-less lines, outputs aimed at inputs, a doomed input, and a body the service finds
too large. Each ends with the service holding every line once, and the report saying what happened."""

from __future__ import annotations

import collections
import errno
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

from synap_sync import IngestInterrupted, SynapClient, SynapJournalError, SynapValidationError
from synap_sync.emulator import Emulator

from .conftest import default_signals

EXIT_USAGE, EXIT_JOURNAL, EXIT_TERMINATED, EXIT_INTERRUPTED = 2, 7, 143, 130


def idless(count: int, prefix: str = "chat") -> List[str]:
    return [json.dumps({"document": f"User: {prefix} {n}"}) for n in range(count)]


def write(path: Path, lines: List[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def command(source: Path, base_url: str, *extra: str) -> List[str]:
    return [sys.executable, "-m", "synap_sync", "ingest", str(source), "--api-key", "synap_k",
            "--base-url", base_url, "--no-progress", *extra]  # fmt: skip


def contents(emulator: Emulator) -> "collections.Counter[str]":
    return collections.Counter(document["document"] for document in emulator.stored_documents())


def wait_for_requests(emulator: Emulator, count: int) -> None:
    ends = time.monotonic() + 30
    while emulator.request_count < count and time.monotonic() < ends:
        time.sleep(0.02)  # polling a condition: the run is sending


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_stopped_run_then_the_same_command_stores_every_line_once(tmp_path: Path, stop: int) -> None:
    source = write(tmp_path / "chats.jsonl", idless(4_000))
    with Emulator(latency_ms=100) as emulator:
        process = subprocess.Popen(
            command(source, emulator.base_url),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=default_signals,
        )
        wait_for_requests(emulator, 8)
        process.send_signal(stop)
        out, err = process.communicate(timeout=30)
        again = subprocess.run(command(source, emulator.base_url), capture_output=True, text=True, timeout=120)
        stored = contents(emulator)
    assert process.returncode == (EXIT_TERMINATED if stop == signal.SIGTERM else EXIT_INTERRUPTED), err
    assert out.startswith("total ") and "not sent" in out and "failed 0" in out
    assert "run the same command again" in err
    assert again.returncode == 0, again.stderr
    assert len(stored) == 4_000 and set(stored.values()) == {1}


def test_after_ctrl_c_the_failures_file_holds_only_failures_and_resending_it_stores_nothing_twice(
    tmp_path: Path,
) -> None:
    lines = idless(3_000)
    lines[10] = json.dumps({"document": ""})  # one real failure
    source = write(tmp_path / "chats.jsonl", lines)
    with Emulator(latency_ms=100) as emulator:
        process = subprocess.Popen(
            command(source, emulator.base_url),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=default_signals,
        )
        wait_for_requests(emulator, 8)
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
        failures = (tmp_path / "chats.jsonl.failed.jsonl").read_text()
        # As the README advises: fix the lines, ingest the failures file.
        write(tmp_path / "fixed.jsonl", [json.dumps({"document": "User: fixed"})])
        subprocess.run(
            command(tmp_path / "chats.jsonl.failed.jsonl", emulator.base_url), capture_output=True, timeout=60
        )
        subprocess.run(command(source, emulator.base_url), capture_output=True, timeout=120)
        stored = contents(emulator)
    filed = [line for line in failures.splitlines() if not line.startswith("#")]
    assert filed == [json.dumps({"document": ""})]
    assert len(stored) == 2_999 and set(stored.values()) == {1}


def test_a_journal_that_hits_the_file_size_limit_stops_the_run_and_the_next_run_completes(tmp_path: Path) -> None:
    source = write(tmp_path / "chats.jsonl", idless(6_000))

    def small_files() -> None:  # the journal may grow to 12 KB: about a third of the run's records
        resource.setrlimit(resource.RLIMIT_FSIZE, (12_000, 12_000))

    with Emulator() as emulator:
        full = subprocess.run(
            command(source, emulator.base_url), capture_output=True, text=True, timeout=120, preexec_fn=small_files
        )
        again = subprocess.run(command(source, emulator.base_url), capture_output=True, text=True, timeout=120)
        stored = contents(emulator)
    assert full.returncode == EXIT_JOURNAL, full.stderr
    assert f"cannot write the journal {source}.journal" in full.stderr and "cannot read" not in full.stderr
    assert full.stdout.startswith("total ") and "failed 0" in full.stdout and "not sent 0" not in full.stdout
    assert not (tmp_path / "chats.jsonl.failed.jsonl").exists()  # what was not sent is no failure
    assert again.returncode == 0, again.stderr
    assert len(stored) == 6_000 and set(stored.values()) == {1}


def test_a_full_disk_under_the_journal_is_a_journal_error_with_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fsync = os.fsync
    calls = []

    def fsync(descriptor: int) -> None:
        calls.append(descriptor)
        if len(calls) > 12:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(descriptor)

    documents = [{"document": f"User: {n}", "document_id": f"d{n}"} for n in range(5_000)]
    with Emulator() as emulator:
        client = SynapClient(api_key="synap_k", base_url=emulator.base_url)
        monkeypatch.setattr(os, "fsync", fsync)
        with pytest.raises(SynapJournalError) as caught:
            client.memories.ingest(documents, journal=str(tmp_path / "run.journal"))
        monkeypatch.setattr(os, "fsync", real_fsync)
        resumed = client.memories.ingest(documents, journal=str(tmp_path / "run.journal"))
        stored = collections.Counter(document["document_id"] for document in emulator.stored_documents())
    report = caught.value.report
    assert caught.value.mid_run and "No space left" in caught.value.message
    assert report is not None and report.succeeded > 0 and "the run so far: total" in str(caught.value)
    assert resumed.succeeded == 5_000 and resumed.failed == 0
    assert len(stored) == 5_000 and set(stored.values()) == {1}


@pytest.mark.parametrize("option", ["--failures", "--report"])
@pytest.mark.parametrize("target", ["input", "journal", "foreign"])
def test_an_output_aimed_at_the_input_the_journal_or_a_foreign_file_is_refused(
    tmp_path: Path, option: str, target: str
) -> None:
    source = write(tmp_path / "chats.jsonl", idless(10))
    journal = write(tmp_path / "chats.jsonl.journal", [])
    foreign = write(tmp_path / "notes.txt", ["my notes"])
    aimed = {"input": source, "journal": journal, "foreign": foreign}[target]
    before = {path: path.read_bytes() for path in (source, journal, foreign)}
    with Emulator() as emulator:
        result = subprocess.run(
            command(source, emulator.base_url, option, str(aimed)), capture_output=True, text=True, timeout=60
        )
        sent = emulator.request_count
    assert result.returncode == EXIT_USAGE and sent == 0
    assert option in result.stderr
    assert {path: path.read_bytes() for path in before} == before


def test_a_failures_file_this_command_wrote_may_be_written_again(tmp_path: Path) -> None:
    source = write(tmp_path / "chats.jsonl", [json.dumps({"document": ""})])
    with Emulator() as emulator:
        first = subprocess.run(command(source, emulator.base_url), capture_output=True, text=True, timeout=60)
        again = subprocess.run(
            command(source, emulator.base_url, "--no-journal"), capture_output=True, text=True, timeout=60
        )
    assert (first.returncode, again.returncode) == (1, 1), again.stderr


def test_id_less_lines_killed_and_run_again_with_the_defaults_are_stored_once(tmp_path: Path) -> None:
    source = write(tmp_path / "chats.jsonl", idless(6_000))
    with Emulator(latency_ms=60) as emulator:
        process = subprocess.Popen(
            command(source, emulator.base_url, "--workers", "4"), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        ends = time.monotonic() + 60
        while len(emulator.stored_documents()) < 1_500 and time.monotonic() < ends:
            time.sleep(0.01)  # polling a condition: about a quarter is stored
        process.kill()
        process.wait()
        again = subprocess.run(
            command(source, emulator.base_url, "--workers", "4"), capture_output=True, text=True, timeout=120
        )
        stored = contents(emulator)
    assert again.returncode == 0, again.stderr
    assert len(stored) == 6_000 and set(stored.values()) == {1}


def test_a_doomed_input_stops_early_naming_the_field_and_the_cause(tmp_path: Path) -> None:
    lines = [json.dumps({"document": f"User: {n}", "document_created_at": "yesterday"}) for n in range(30_000)]
    source = write(tmp_path / "chats.jsonl", lines)
    with Emulator() as emulator:
        result = subprocess.run(command(source, emulator.base_url), capture_output=True, text=True, timeout=120)
        sent = emulator.request_count
    filed = (tmp_path / "chats.jsonl.failed.jsonl").read_text().count("\n# line ")
    assert result.returncode == EXIT_USAGE and sent == 0
    assert "document_created_at" in result.stderr and "ISO-8601" in result.stderr
    assert filed < 1_000


def test_ingest_of_a_doomed_input_raises_before_reading_it_all() -> None:
    read: List[int] = []

    def rows() -> Iterator[Dict[str, Any]]:
        for n in range(30_000):
            read.append(n)
            yield {"document": f"User: {n}", "document_created_at": "yesterday"}

    with Emulator() as emulator:
        client = SynapClient(api_key="synap_k", base_url=emulator.base_url)
        with pytest.raises(SynapValidationError) as caught:
            client.memories.ingest(rows())
    assert caught.value.field == "document_created_at" and "ISO-8601" in caught.value.message
    assert len(read) < 1_000 and caught.value.report.failed == len(read)


def test_mixed_good_and_bad_input_still_runs_to_the_end() -> None:
    documents = [{"document": f"User: {n}", "mode": "fastest" if n % 2 else "fast"} for n in range(1_000)]
    with Emulator() as emulator:
        report = SynapClient(api_key="synap_k", base_url=emulator.base_url).memories.ingest(documents)
    assert (report.succeeded, report.failed) == (500, 500)


def test_a_body_the_service_finds_too_large_is_split_and_only_the_giant_fails() -> None:
    """300 documents of ~40 KB and one of 4 MB against a 3.2 MiB body limit (the issue's figure, scaled
    down tenfold: 400 KB, 40 MB and 32 MiB behave the same)."""
    documents = [{"document": f"User: {n} " + "x" * 40_000, "document_id": f"d{n}"} for n in range(300)]
    documents.insert(150, {"document": "User: giant " + "y" * 4_000_000, "document_id": "giant"})
    with Emulator(max_body_bytes=3_355_443) as emulator:
        report = SynapClient(api_key="synap_k", base_url=emulator.base_url).memories.ingest(documents, workers=4)
        stored = collections.Counter(document["document_id"] for document in emulator.stored_documents())
        refused = emulator.statuses[413]
    assert (report.succeeded, report.failed) == (300, 1)
    (giant,) = report.failures
    assert (giant.document_id, giant.kind) == ("giant", "too_large") and "3355443" in giant.error_message
    assert len(stored) == 300 and set(stored.values()) == {1}
    assert refused <= 6


def test_a_resumed_night_says_it_sent_nothing() -> None:
    documents = [{"document": f"User: {n}", "document_id": f"d{n}"} for n in range(2_000)]
    with Emulator() as emulator, SynapClient(api_key="synap_k", base_url=emulator.base_url) as client:
        journal = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"synap-night-{os.getpid()}.journal")
        try:
            client.memories.ingest(documents, journal=journal)
            night = client.memories.ingest(documents, journal=journal)
        finally:
            os.remove(journal)
    assert night.summary() == (
        "total 2000, succeeded 2000, not sent 0, failed 0; new 0, already stored 0, deduplicated 0, resumed 2000"
    )
    assert night.sent == 0 and night.documents_per_second == 0.0


def test_an_interrupt_says_its_counts() -> None:
    from synap_sync.bulk import IngestReport

    report = IngestReport(total=3, succeeded=2, not_sent=1)
    assert str(IngestInterrupted(report)).startswith("ingest interrupted: total 3, succeeded 2, not sent 1")


SCRIPT = """
import sys
from synap_sync import IngestInterrupted, SynapClient, stop_on_sigterm

client = SynapClient(api_key="synap_k", base_url=sys.argv[1])
rows = ({"document": f"User: chat {n}"} for n in range(4_000))
with stop_on_sigterm():
    try:
        client.memories.ingest(rows, workers=2, journal=sys.argv[2], derive_ids=True)
    except IngestInterrupted as stopped:
        print("terminated" if stopped.terminated else "interrupted", stopped.report.summary())
"""


def test_stop_on_sigterm_winds_a_python_run_down_as_ctrl_c_does(tmp_path: Path) -> None:
    journal = str(tmp_path / "run.journal")
    with Emulator(latency_ms=100) as emulator:
        process = subprocess.Popen(
            [sys.executable, "-c", SCRIPT, emulator.base_url, journal],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        wait_for_requests(emulator, 6)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
        client = SynapClient(api_key="synap_k", base_url=emulator.base_url)
        rows = ({"document": f"User: chat {n}"} for n in range(4_000))
        resumed = client.memories.ingest(rows, workers=2, journal=journal, derive_ids=True)
        stored = contents(emulator)
    assert process.returncode == 0 and out.startswith("terminated total "), err
    assert resumed.resumed > 0 and resumed.failed == 0
    assert len(stored) == 4_000 and set(stored.values()) == {1}


def test_a_journaled_run_of_documents_without_ids_warns_once_what_a_crash_would_cost(tmp_path: Path) -> None:
    with Emulator() as emulator:
        client = SynapClient(api_key="synap_k", base_url=emulator.base_url)
        with pytest.warns(RuntimeWarning, match="may be stored twice") as caught:
            client.memories.ingest(({"document": f"User: {n}"} for n in range(500)), journal=str(tmp_path / "j"))
    assert len([warning for warning in caught if "derive_ids" in str(warning.message)]) == 1
