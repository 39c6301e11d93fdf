"""One key, one pace, across the processes of a host: real processes against the emulator's rate limit,
sharing the host file the tests' ``SYNAP_PACE_URL`` names (the fleet's figures are in benchmarks/fleet.py)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

from synap_sync import SynapClient, SynapValidationError
from synap_sync.emulator import Emulator

ROOT = Path(__file__).resolve().parents[2]


def fleet(base_url: str, processes: int, threads: int, calls: int, wave: str = "a") -> List[Dict[str, Any]]:
    """Run ``processes`` fleet workers at once; what each printed."""
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.integration.fleet_worker", base_url, str(threads), str(calls), f"{wave}{n}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for n in range(processes)
    ]
    outputs = [process.communicate(timeout=300) for process in started]
    for process, (_, stderr) in zip(started, outputs):
        assert process.returncode == 0, stderr
    return [json.loads(stdout) for stdout, _ in outputs]


def test_the_processes_of_a_host_keep_one_pace_and_a_new_one_starts_at_what_they_learned() -> None:
    with Emulator(rate_limit=20, burst=5) as emulator:
        first = fleet(emulator.base_url, processes=4, threads=4, calls=5)
        refused = emulator.statuses[429]
        with SynapClient(api_key="synap_k", base_url=emulator.base_url) as client:
            shared = client.pace()  # this process has sent nothing: all it knows, the others told it
        later = fleet(emulator.base_url, processes=1, threads=2, calls=2, wave="b")
        stored = len(emulator.stored_documents())
    assert [report["errors"] for report in first] == [[]] * 4 and stored == 4 * 4 * 5 + 2 * 2
    assert refused > 0  # the limit was met, and learned from its 429s
    assert shared.throttled_total == refused and shared.rate is not None and 0 < shared.rate < 30  # near 20/s
    assert shared.store.startswith(f"the host file {os.environ['SYNAP_PACE_URL'][len('file://'):]}{os.sep}pace-")
    assert later[0]["before"]["rate"] is not None  # a new process (a reload, a cron run) starts at the pace


def test_synap_sync_pace_prints_what_the_processes_of_the_key_share() -> None:
    with Emulator(rate_limit=20, burst=5, api_keys={"synap_live_secret"}) as emulator:
        with SynapClient(api_key="synap_live_secret", base_url=emulator.base_url) as client:
            for _ in range(12):
                client.memories.batch_create([{"document": "User: hi"}])
            shown = client.pace()
        command = [sys.executable, "-m", "synap_sync", "pace", "--api-key", "synap_live_secret",
                   "--base-url", emulator.base_url]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed["store"] == shown.store and printed["rate"] == pytest.approx(shown.rate)
    assert printed["throttled_total"] == shown.throttled_total > 0 and printed["interactive_per_second"] > 0
    assert set(printed) == {
        "store", "rate", "probing", "ceiling", "interactive_per_second", "bulk_per_second",
        "throttled_per_second", "throttled_total", "last_throttled_seconds_ago",
    }  # fmt: skip
    assert "synap_live_secret" not in done.stdout + done.stderr


def test_ingest_is_bulk_and_direct_calls_interactive_unless_a_view_says_otherwise() -> None:
    with Emulator() as emulator:
        with SynapClient(api_key="synap_k", base_url=emulator.base_url, max_requests_per_second=1000) as client:
            client.memories.batch_create([{"document": "User: hi"}])
            client.with_options(priority="bulk").memories.batch_create([{"document": "User: replayed"}])
            client.memories.ingest([{"document": f"User: {n}"} for n in range(300)], chunk_size=100)
            status = client.pace()
    assert status.interactive_per_second > 0  # one direct call; the view's and the run's three chunks are bulk
    assert status.bulk_per_second == pytest.approx(4 * status.interactive_per_second)


def test_a_priority_or_share_the_pace_does_not_know_is_refused_naming_it() -> None:
    key = "synap_" + "k" * 40
    with SynapClient(api_key=key, base_url="https://synap.example") as client:
        with pytest.raises(SynapValidationError) as caught:
            client.with_options(priority="urgent")
        assert caught.value.field == "priority"
    for share in (0.95, -0.1, "half", True):
        with pytest.raises(SynapValidationError) as refused:
            SynapClient(api_key=key, base_url="https://synap.example", interactive_share=share)
        assert refused.value.field == "interactive_share"
    with pytest.raises(SynapValidationError) as wrong_url:
        SynapClient(api_key=key, base_url="https://synap.example", pace_url="memcached://cache:11211")
    assert wrong_url.value.field == "pace_url"


def test_each_client_says_once_at_info_where_the_keys_pace_is_kept(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="synap_sync")
    with Emulator() as emulator:
        base_url = emulator.base_url
        for _ in range(3):
            with SynapClient(api_key="synap_k", base_url=base_url) as client:
                client.memories.batch_create([{"document": "User: hi"}])
        with SynapClient(api_key="synap_k", base_url=base_url, pace_url="local") as local:
            local.memories.batch_create([{"document": "User: hi"}])
    said = [record.getMessage() for record in caplog.records if "is kept in" in record.getMessage()]
    assert said[0].startswith(f"the pace for {base_url} is kept in the host file ")
    assert said[-1] == f"the pace for {base_url} is kept in this process"
