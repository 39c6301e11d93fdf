"""The synap-sync command, run as a subprocess, against the emulator over loopback."""

from __future__ import annotations

import collections
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from synap_sync.emulator import Emulator

from .conftest import default_signals

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_AUTH, EXIT_UNREACHABLE = 0, 1, 2, 3, 4


def synap_sync(
    *arguments: str, stdin: Optional[str] = None, env: Optional[Dict[str, str]] = None, timeout: float = 60
) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("SYNAP_")}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "synap_sync", *arguments],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=timeout,
    )


def write_lines(path: Path, lines: List[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def good(number: int) -> str:
    return json.dumps({"document": f"User: note {number}", "document_id": f"line-{number}"})


def test_demo_runs_offline_and_reports_counts() -> None:
    result = synap_sync("demo")
    assert result.returncode == 0, result.stderr
    assert "total 300, succeeded 300, not sent 0, failed 0" in result.stdout
    assert result.stdout.count("completed") >= 3


def test_help_on_every_command() -> None:
    for command in ([], ["serve"], ["ingest"], ["status"], ["demo"], ["forget"], ["credits"]):
        result = synap_sync(*command, "--help")
        assert result.returncode == 0 and "usage: synap-sync" in result.stdout
    assert "exit codes" in synap_sync("--help").stdout


def test_ingest_reports_bad_lines_by_number_and_writes_the_failures_file(tmp_path: Path) -> None:
    lines = [good(1), '{"document": ""}', good(3), "not json", good(5), '{"document": "x", "mode": "slow"}']
    source = write_lines(tmp_path / "history.jsonl", lines)
    with Emulator() as emulator:
        result = synap_sync("ingest", str(source), "--api-key", "synap_k", "--base-url", emulator.base_url)
        stored = emulator.stored_documents()
    assert result.returncode == EXIT_PARTIAL, result.stderr
    assert "total 6, succeeded 3, not sent 0, failed 3" in result.stdout
    assert "line 2: document" in result.stderr and "line 4:" in result.stderr and "line 6: mode" in result.stderr
    assert sorted(document["document_id"] for document in stored) == ["line-1", "line-3", "line-5"]
    failures = (tmp_path / "history.jsonl.failed.jsonl").read_text().splitlines()
    assert "# line 2: document: must not be empty" in failures
    assert failures[failures.index("# line 6: mode: must be one of fast, long-range; got 'slow'") + 1] == lines[5]


def test_failures_file_can_be_fixed_and_rerun(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.jsonl", [good(1), '{"document": "", "document_id": "fixme"}'])
    with Emulator() as emulator:
        first = synap_sync("ingest", str(source), "--api-key", "k", "--base-url", emulator.base_url)
        failures = tmp_path / "in.jsonl.failed.jsonl"
        failures.write_text(failures.read_text().replace('"document": ""', '"document": "fixed"'))
        second = synap_sync("ingest", str(failures), "--api-key", "k", "--base-url", emulator.base_url)
        stored = sorted(document["document_id"] for document in emulator.stored_documents())
    assert (first.returncode, second.returncode) == (EXIT_PARTIAL, 0)
    assert stored == ["fixme", "line-1"]


def test_service_refusals_are_reported_by_line_too(tmp_path: Path) -> None:
    b2b_refusal = json.dumps({"document": "User: hi", "user_id": "u1"})  # valid locally, refused by a B2B instance
    source = write_lines(tmp_path / "in.jsonl", [good(1), b2b_refusal])
    with Emulator() as emulator:
        result = synap_sync("ingest", str(source), "--api-key", "k", "--base-url", emulator.base_url)
    assert result.returncode == EXIT_PARTIAL
    assert "line 2: customer_id" in result.stderr


def test_dry_run_sends_nothing_and_names_each_bad_line(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.jsonl", [good(1), '{"document": "x", "user_id": 7}', "", "# note", "[1]"])
    with Emulator() as emulator:
        result = synap_sync("ingest", str(source), "--dry-run", "--base-url", emulator.base_url)
        seen = emulator.request_count
    assert seen == 0
    assert result.returncode == EXIT_USAGE
    assert "line 2: user_id" in result.stderr and "line 5: document" in result.stderr
    assert "3 lines checked, 1 valid, 2 invalid" in result.stdout


def test_ingest_reads_stdin(tmp_path: Path) -> None:
    with Emulator() as emulator:
        result = synap_sync(
            "ingest",
            "-",
            "--base-url",
            emulator.base_url,
            stdin=good(1) + "\n" + good(2) + "\n",
            env={"SYNAP_API_KEY": "synap_from_env"},
        )
        count = len(emulator.stored_documents())
    assert result.returncode == 0, result.stderr
    assert count == 2


def test_refused_key_exits_with_the_auth_code(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.jsonl", [good(1)])
    with Emulator(api_keys=["synap_right"]) as emulator:
        result = synap_sync("ingest", str(source), "--api-key", "synap_wrong", "--base-url", emulator.base_url)
    assert result.returncode == EXIT_AUTH
    assert "synap_wrong" not in result.stderr


def test_missing_key_exits_with_the_auth_code(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.jsonl", [good(1)])
    assert synap_sync("ingest", str(source), "--base-url", "http://127.0.0.1:9").returncode == EXIT_AUTH


def test_unreachable_service_exits_with_its_code(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = write_lines(tmp_path / "in.jsonl", [good(1)])
    result = synap_sync(
        "ingest", str(source), "--api-key", "k", "--base-url", f"http://127.0.0.1:{port}", "--max-retries", "0"
    )
    assert result.returncode == EXIT_UNREACHABLE


def test_missing_input_file_is_a_usage_error(tmp_path: Path) -> None:
    result = synap_sync("ingest", str(tmp_path / "nope.jsonl"), "--api-key", "k")
    assert result.returncode == EXIT_USAGE and "cannot read" in result.stderr


def test_status_prints_and_waits(tmp_path: Path) -> None:
    from synap_sync import SynapClient

    with Emulator(completion_seconds=0.3) as emulator:
        created = SynapClient(api_key="k", base_url=emulator.base_url).memories.create("hello")
        arguments = ("status", str(created.ingestion_id), "--api-key", "k", "--base-url", emulator.base_url)
        waited = synap_sync(*arguments, "--wait", "--poll-interval", "0.05")
        missing = synap_sync("status", "nope", "--api-key", "k", "--base-url", emulator.base_url)
    assert waited.returncode == 0 and json.loads(waited.stdout)["status"] == "completed"
    assert missing.returncode == 5 and "not found" in missing.stderr


def test_serve_prints_its_url_first_and_serves() -> None:
    import requests

    process = subprocess.Popen(
        [sys.executable, "-m", "synap_sync", "serve", "--port", "0", "--api-key", "synap_a"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_signals,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        assert first.startswith("Synap emulator listening on http://127.0.0.1:")
        url = first.rsplit(" ", 1)[1]
        reply = requests.get(url + "/api/v1/auth/whoami", headers={"Authorization": "Bearer synap_a"}, timeout=5)
        assert reply.status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(10) == 0


def test_serve_as_a_tool_faults_by_flag_shows_what_it_holds_and_dumps_it_on_sigterm(tmp_path: Path) -> None:
    import requests

    dump = tmp_path / "held.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "synap_sync", "serve", "--api-key", "synap_a", "--fault-rate", "1"]
        + ["--fault", "504-after-store", "--completion-seconds", "0", "--dump", str(dump)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip().rsplit(" ", 1)[1]
        key = {"Authorization": "Bearer synap_a"}
        document = {"document": "hello", "document_id": "d1", "user_id": "u1", "customer_id": "c1"}
        created = requests.post(url + "/api/v1/memories/create", json=document, headers=key, timeout=5)
        assert created.status_code == 504  # the fault chosen by flag: stored, then a gateway's 504
        held = requests.get(url + "/_emulator/held", headers=key, timeout=5).json()
        assert [d["document_id"] for d in held["documents"]] == ["d1"]
        assert held["requests"] == {"POST /api/v1/memories/create": 1}  # looking is not counted
        assert requests.get(url + "/_emulator/held", timeout=5).status_code == 401
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
    written = json.loads(dump.read_text(encoding="utf-8"))
    assert [d["document"] for d in written["documents"]] == ["hello"] and written["statuses"] == {"504": 1}


@pytest.mark.parametrize("value", ["-1", "1.5"])
def test_serve_refuses_a_bad_fault_rate(value: str) -> None:
    result = synap_sync("serve", "--fault-rate", value)
    assert result.returncode == EXIT_USAGE and "fault_rate" in result.stderr


def test_rerun_resumes_from_the_journal_and_a_changed_input_is_refused(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.jsonl", [good(number) for number in range(250)])
    with Emulator() as emulator:
        arguments = ("ingest", str(source), "--api-key", "k", "--base-url", emulator.base_url)
        first = synap_sync(*arguments)
        sent = emulator.request_count
        again = synap_sync(*arguments)
        resent = emulator.request_count - sent
        write_lines(source, [good(number) for number in range(120)] + ['{"document": "edited"}'])
        changed = synap_sync(*arguments)
    assert (first.returncode, again.returncode, resent) == (0, 0, 0)
    assert "total 250, succeeded 250, not sent 0, failed 0; new 0" in again.stdout
    assert changed.returncode == EXIT_USAGE and "no longer matches" in changed.stderr


def test_no_journal_sends_everything_again(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.jsonl", [good(number) for number in range(3)])
    with Emulator() as emulator:
        arguments = ("ingest", str(source), "--api-key", "k", "--base-url", emulator.base_url, "--no-journal")
        synap_sync(*arguments)
        second = synap_sync(*arguments)
    assert second.returncode == EXIT_OK and "failed 0; new 0, already stored 3" in second.stdout
    assert not (tmp_path / "in.jsonl.journal").exists()


def assert_no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, result.stderr


def test_undecodable_lines_are_reported_by_number_and_the_good_lines_still_go(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    content = (good(1) + "\n" + good(2) + "\n").encode() + '{"document": "caf\xe9"}\n'.encode("latin-1")
    content += (good(3) + "\n").encode() + b"\x00\xff\xfe binary\n"
    source.write_bytes(content)
    with Emulator() as emulator:
        result = synap_sync("ingest", str(source), "--api-key", "k", "--base-url", emulator.base_url, "--no-journal")
        stored = len(emulator.stored_documents())
    assert_no_traceback(result)
    assert result.returncode == EXIT_PARTIAL and stored == 3
    assert "line 3: not UTF-8" in result.stderr and "line 5: not UTF-8" in result.stderr
    assert source.read_bytes() == content
    failed = (tmp_path / "in.jsonl.failed.jsonl").read_bytes()
    assert '{"document": "caf\xe9"}'.encode("latin-1") in failed  # verbatim, to be fixed and re-run


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\xef\xbb\xbf" + (good(1) + "\n" + good(2) + "\n").encode())
    with Emulator() as emulator:
        result = synap_sync("ingest", str(source), "--api-key", "k", "--base-url", emulator.base_url)
    assert result.returncode == EXIT_OK and "failed 0" in result.stdout


@pytest.mark.parametrize(
    "journal",
    [
        b'{"journal": "synap-sync journal", "version": 1, "chunk_size": 100, "max_chunk_bytes": null, '
        b'"fail_fast": false}\n{"sent": "x"}\n',
        b'{"journal": "synap-sync journal", "version": 1, "chunk_size": 100, "max_chunk_bytes": null, '
        b'"fail_fast": false}\n{"done": 0, "failed": []}\n',
        b"[1, 2, 3]\n",
        b'{"journal": "synap-sync journal", "version": 1, "chunk_size": 100, "max_chunk_bytes": null, '
        b'"fail_fast": false}\n\xff\xfe\n',
    ],
    ids=["wrong-shape", "missing-field", "list-header", "not-utf8"],
)
def test_a_damaged_journal_is_a_clear_message_and_exit_2(tmp_path: Path, journal: bytes) -> None:
    source = write_lines(tmp_path / "in.jsonl", [good(1)])
    (tmp_path / "in.jsonl.journal").write_bytes(journal)
    with Emulator() as emulator:
        result = synap_sync("ingest", str(source), "--api-key", "k", "--base-url", emulator.base_url)
        sent = emulator.request_count
    assert_no_traceback(result)
    assert result.returncode == EXIT_USAGE and sent == 0
    assert "journal" in result.stderr and "--no-journal" in result.stderr
    assert (tmp_path / "in.jsonl.journal").read_bytes() == journal


def test_a_file_that_is_not_a_journal_is_never_written_to(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.jsonl", [good(1)])
    notes = tmp_path / "notes.txt"
    original = b"my notes, line one\nand a second line with no newline at the end"
    notes.write_bytes(original)
    with Emulator() as emulator:
        result = synap_sync(
            "ingest", str(source), "--api-key", "k", "--base-url", emulator.base_url, "--journal", str(notes)
        )
    assert_no_traceback(result)
    assert result.returncode == EXIT_USAGE and "not a synap-sync journal" in result.stderr
    assert notes.read_bytes() == original


def test_a_journal_that_cannot_be_written_is_named_and_nothing_is_sent(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.jsonl", [good(1)])
    journal = tmp_path / "no-such-folder" / "run.journal"
    with Emulator() as emulator:
        result = synap_sync(
            "ingest", str(source), "--api-key", "k", "--base-url", emulator.base_url, "--journal", str(journal)
        )
        sent = emulator.request_count
    assert_no_traceback(result)
    assert result.returncode == EXIT_USAGE and sent == 0
    assert f"cannot write the journal {journal}" in result.stderr and "cannot read" not in result.stderr


def test_failed_lines_are_kept_when_the_failures_file_cannot_be_written(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.jsonl", [good(1), '{"document": ""}'])
    target = tmp_path / "no-such-folder" / "failed.jsonl"
    with Emulator() as emulator:
        result = synap_sync(
            "ingest", str(source), "--api-key", "k", "--base-url", emulator.base_url, "--failures", str(target)
        )
    assert_no_traceback(result)
    assert result.returncode == EXIT_PARTIAL and f"cannot write {target}" in result.stderr
    written_to = result.stderr.split("failed lines written to ", 1)[1].strip()
    assert '{"document": ""}' in Path(written_to).read_text()
    os.unlink(written_to)


def test_report_writes_an_html_page_with_the_timeline_chart(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.jsonl", [good(number) for number in range(300)])
    page = tmp_path / "report.html"
    with Emulator() as emulator:
        result = synap_sync(
            "ingest", str(source), "--api-key", "k", "--base-url", emulator.base_url, "--report", str(page)
        )
    assert result.returncode == EXIT_OK
    html = page.read_text()
    assert "<svg" in html and "synap-sync ingest" in html and "<td>300</td>" in html


def test_ingest_estimate_prices_the_valid_lines_and_sends_nothing(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "history.jsonl", [good(1), good(2), '{"document": ""}', good(4)])
    with Emulator() as emulator:
        result = synap_sync("ingest", str(source), "--estimate", "--base-url", emulator.base_url, "--api-key", "k1")
        assert emulator.stored_documents() == []
    assert result.returncode == EXIT_OK, result.stderr
    assert "3 of 4 lines valid; about 3 credits" in result.stdout and "balance 10000" in result.stdout


def test_forget_previews_deletes_matching_memories_and_whole_users(tmp_path: Path) -> None:
    lines = [
        json.dumps({"document": "my address is 5 Elm Street", "user_id": "u1", "customer_id": "c1"}),
        json.dumps({"document": "I like jazz", "user_id": "u1", "customer_id": "c1"}),
    ]
    source = write_lines(tmp_path / "history.jsonl", lines)
    with Emulator(completion_seconds=0) as emulator:
        connection = ("--base-url", emulator.base_url, "--api-key", "k1")
        assert synap_sync("ingest", str(source), "--no-journal", *connection).returncode == EXIT_OK
        user = ("--user-id", "u1", "--customer-id", "c1")
        preview = json.loads(synap_sync("forget", "my address", *user, *connection).stdout)
        assert preview["status"] == "preview" and preview["matched"] == ["my address is 5 Elm Street"]
        direct = json.loads(synap_sync("forget", "my address", "--direct", *user, *connection).stdout)
        assert direct["status"] == "deleted" and len(direct["deleted_ids"]) == 1
        dry = synap_sync("forget", *user, *connection)
        assert json.loads(dry.stdout)["counts"] == {"memories": 1} and "add --yes" in dry.stderr
        gone = json.loads(synap_sync("forget", "--yes", *user, *connection).stdout)
        assert gone["status"] == "complete" and gone["fully_removed"] is True
        assert json.loads(synap_sync("forget", *user, *connection).stdout)["counts"] == {"memories": 0}
        credits = json.loads(synap_sync("credits", *connection).stdout)
        assert credits == {"balance_credits": 9998.0, "warning_low": False}


def test_a_second_run_on_a_journal_in_use_refuses_at_once_and_sends_nothing(tmp_path: Path) -> None:
    from synap_sync.bulk._journal import Journal
    from synap_sync.bulk._options import IngestOptions

    source = write_lines(tmp_path / "in.jsonl", [good(number) for number in range(50)])
    held = Journal(str(tmp_path / "in.jsonl.journal"), IngestOptions().journal_settings())  # another run's
    try:
        with Emulator() as emulator:
            result = synap_sync("ingest", str(source), "--api-key", "k", "--base-url", emulator.base_url)
            sent = emulator.request_count
    finally:
        held.close()
    assert result.returncode == 6 and sent == 0
    assert f"journal {tmp_path / 'in.jsonl.journal'} is in use by another run" in result.stderr


def test_two_runs_on_one_journal_started_together_store_each_line_once(tmp_path: Path) -> None:
    """Two overlapping cron runs of the same 3,000 id-less lines with the same journal."""
    source = write_lines(tmp_path / "in.jsonl", [json.dumps({"document": f"User: line {n}"}) for n in range(3_000)])
    with Emulator(latency_ms=100) as emulator:  # the first run holds the journal for a few seconds
        command = [sys.executable, "-m", "synap_sync", "ingest", str(source), "--api-key", "k"]
        command += ["--base-url", emulator.base_url, "--no-progress"]
        runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outputs = [run.communicate(timeout=120) for run in runs]
        stored = collections.Counter(document["document"] for document in emulator.stored_documents())
    codes = sorted(run.returncode for run in runs)
    assert codes == [0, 6], outputs
    assert len(stored) == 3_000 and set(stored.values()) == {1}


def test_a_transcript_file_is_recorded_once_and_a_rerun_says_duplicate(tmp_path: Path) -> None:
    turns = [{"role": "user", "content": "my order is late"}, {"role": "assistant", "content": "checking"}]
    source = tmp_path / "call-9.json"
    source.write_text(json.dumps(turns))
    with Emulator() as emulator:
        arguments = ("transcript", str(source), "--conversation-id", "call-9", "--user-id", "u1")
        arguments += ("--customer-id", "acme", "--api-key", "k", "--base-url", emulator.base_url)
        first = synap_sync(*arguments)
        again = synap_sync(*arguments)
        bad = synap_sync("transcript", str(tmp_path / "missing.json"), "--conversation-id", "c", "--user-id", "u")
    assert first.returncode == 0 and json.loads(first.stdout)["status"] == "queued"
    assert json.loads(first.stdout)["turns_recorded"] == 2
    assert again.returncode == 0 and json.loads(again.stdout)["status"] == "duplicate"
    assert bad.returncode == EXIT_USAGE and "cannot read" in bad.stderr


def run_in_process(*arguments: str) -> "tuple[int, str, int]":
    """The command run in a fresh interpreter that reports its own peak memory (KiB) at the end (Linux)."""
    # VmHWM is this program's own peak; ru_maxrss would carry the forking pytest's over the exec.
    script = (
        "import re, sys; from synap_sync.cli import main; code = main(sys.argv[1:]); "
        "status = open('/proc/self/status').read(); "
        "print(re.search(r'VmHWM:\\s+(\\d+)', status).group(1), file=sys.stderr); sys.exit(code)"
    )
    result = subprocess.run([sys.executable, "-c", script, *arguments], capture_output=True, text=True, timeout=120)
    *lines, peak = result.stderr.strip().splitlines() or ["(nothing on stderr)", "-1"]
    assert peak.isdigit(), result.stderr
    return result.returncode, "\n".join(lines), int(peak)


def test_a_512_mib_line_is_refused_without_being_read_into_memory(tmp_path: Path) -> None:
    source = tmp_path / "huge.jsonl"
    with source.open("wb") as out:
        out.write(good(1).encode() + b"\n")
        out.truncate(out.tell() + 512 * 1024 * 1024)  # one line of 512 MiB (a sparse file: no disk is used)
        out.seek(0, 2)
        out.write(b"\n" + good(3).encode() + b"\n")
    code, err, peak_kib = run_in_process("ingest", str(source), "--dry-run")
    assert code == EXIT_USAGE and "Traceback" not in err, err
    assert "line 2: longer than 33554432 bytes" in err
    assert peak_kib < 200 * 1024  # well under the line's 512 MiB: at most the bound is ever held


def test_ingest_sends_the_other_lines_and_names_a_line_too_long_in_the_failures_file(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "lines.jsonl", [good(1), json.dumps({"document": "x" * 5_000}), good(3)])
    with Emulator() as emulator:
        result = synap_sync(
            "ingest", str(source), "--api-key", "synap_k", "--base-url", emulator.base_url, "--max-line-bytes", "1000"
        )
        stored = len(emulator.stored_documents())
    failures = (tmp_path / "lines.jsonl.failed.jsonl").read_text().splitlines()
    assert result.returncode == EXIT_PARTIAL and stored == 2
    assert failures[1:] == ["# line 2: longer than 1000 bytes, so not read (--max-line-bytes sets the bound)"]


@pytest.mark.parametrize(
    "name, content",
    [
        ("deep.json", b"[" * 100_000 + b"]" * 100_000),
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
        ("binary.json", b"\xff\xfe{\x00"),
        ("broken.json", b'[{"role": "user", "content": '),
    ],
    ids=["deep", "binary-text", "binary-json", "broken"],  # a 200 KB id would reach a child's environment (E2BIG)
)
def test_a_hostile_transcript_file_is_one_line_and_exit_2(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = synap_sync(
        "transcript", str(path), "--conversation-id", "c1", "--user-id", "u1",
        "--api-key", "synap_k", "--base-url", "http://127.0.0.1:9",
    )  # fmt: skip
    assert result.returncode == EXIT_USAGE and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and f"cannot read {path}" in result.stderr


@pytest.mark.parametrize("name", ["call.json", "call.txt"])
def test_a_transcript_saved_with_a_byte_order_mark_is_read_as_without(tmp_path: Path, name: str) -> None:
    turns = [{"role": "user", "content": "hello"}, {"role": "assistant", "content": "hi"}]
    text = json.dumps(turns) if name.endswith(".json") else "user: hello\nassistant: hi"
    path = tmp_path / name
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    with Emulator() as emulator:
        result = synap_sync(
            "transcript", str(path), "--conversation-id", "c1", "--user-id", "u1", "--customer-id", "acme",
            "--api-key", "synap_k", "--base-url", emulator.base_url,
        )  # fmt: skip
        sent = emulator.stored_documents()[0]["document"]
    assert result.returncode == EXIT_OK, result.stderr
    assert "\ufeff" not in json.dumps(sent, ensure_ascii=False) and "hello" in json.dumps(sent)


def test_cli_messages_name_the_flags_not_python_arguments(tmp_path: Path) -> None:
    missing_key = synap_sync("credits", "--base-url", "http://127.0.0.1:9")
    assert missing_key.returncode == EXIT_AUTH and "--api-key KEY" in missing_key.stderr
    plain_http = synap_sync("credits", "--api-key", "synap_k_0123456789", "--base-url", "http://synap.example")
    assert plain_http.returncode == EXIT_USAGE and "--allow-insecure-http" in plain_http.stderr
    assert "allow_insecure_http=True" not in plain_http.stderr and "api_key=" not in missing_key.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        busy = synap_sync("serve", "--port", str(taken.getsockname()[1]), timeout=20)
    assert busy.returncode == EXIT_USAGE and "--port 0" in busy.stderr and "port=0" not in busy.stderr
