"""Bulk ingest throughput against workers, on an emulator that adds 50 ms to every answer.

With a latency L per request, W workers can at best complete W requests every L seconds, i.e.
W x 100 / L documents per second. Each setting prints the measured rate as a fraction of that ideal,
and as a ratio to a raw threaded loop (W threads, each with its own ``requests.Session``, posting the
same JSON and reading ``.json()``), run beside it on the same server, which goes first alternating;
the figure judged is the median of 3 such pairs (goal >= 0.95 of raw for 1, 2, 4 and 8 workers).

    python benchmarks/bulk_workers.py            # 5 s of ideal sending per side, 3 pairs per setting
    python benchmarks/bulk_workers.py --quick
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from typing import Any, Dict, Iterator, List, Sequence

import requests
from _common import EmulatorProcess, chunks, documents

from synap_sync import SynapClient

LATENCY_SECONDS = 0.05
API_KEY = "synap_benchmark"


def raw_threaded(base_url: str, batch: List[Dict[str, Any]], workers: int) -> float:
    """Seconds for ``workers`` threads to post ``batch`` in chunks of 100 with plain requests."""
    pending: Iterator[Sequence[Dict[str, Any]]] = chunks(batch, 100)
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}

    def work() -> None:
        with requests.Session() as session:
            while True:
                with lock:
                    chunk = next(pending, None)
                if chunk is None:
                    return
                body = json.dumps({"documents": list(chunk), "fail_fast": False})
                reply = session.post(base_url + "/api/v1/memories/batch", data=body, headers=headers, timeout=30)
                assert reply.json()["succeeded"] == len(chunk)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="ideal sending time per setting")
    parser.add_argument("--rounds", type=int, default=3, help="raw/ingest pairs per setting (median judged)")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    seconds, rounds = (0.5, 1) if args.quick else (args.seconds, args.rounds)
    print(f"bulk ingest, emulator latency {LATENCY_SECONDS * 1000:.0f} ms, ~1 KB documents, chunks of 100")
    with EmulatorProcess("--latency-ms", str(LATENCY_SECONDS * 1000)) as base_url:
        with SynapClient(api_key=API_KEY, base_url=base_url, pool_maxsize=8) as client:
            for workers in (1, 2, 4, 8):
                ideal = workers * 100 / LATENCY_SECONDS
                count = int(ideal * seconds) // 100 * 100
                ratios, rates = [], []
                for round_number in range(rounds):
                    # Which side goes first alternates, so neither always meets a fresher server.
                    order = ("raw", "ingest") if round_number % 2 == 0 else ("ingest", "raw")
                    elapsed: Dict[str, float] = {}
                    for side in order:
                        batch = documents(count, f"{side}{workers}-{round_number}")
                        if side == "raw":
                            elapsed["raw"] = raw_threaded(base_url, batch, workers)
                            continue
                        started = time.perf_counter()
                        report = client.memories.ingest(batch, workers=workers)
                        elapsed["ingest"] = time.perf_counter() - started
                        assert report.succeeded == count, report
                    ratios.append(elapsed["raw"] / elapsed["ingest"])
                    rates.append(count / elapsed["ingest"])
                rate = statistics.median(rates)
                each = ", ".join(f"{ratio:.3f}" for ratio in ratios)
                print(
                    f"  workers={workers}: {rate:8.0f} docs/s, {rate / ideal:.3f} of ideal {ideal:6.0f}; "
                    f"{statistics.median(ratios):.3f} of the raw threaded loop, median of {rounds} ({each}; "
                    "goal >= 0.95)"
                )


if __name__ == "__main__":
    main()
