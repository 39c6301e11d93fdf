"""Bulk ingest under a rate limit the client is not told: how close to the limit's pace it gets.

The emulator allows 20 batch requests a second with a burst of 5 and answers 429 with an integer
Retry-After beyond that. 40,000 documents in chunks of 100 are 400 requests, which the limit lets
through no faster than (400 - 5) / 20 = 19.75 s. Efficiency = that forced time / measured time.
Goals: >= 0.90 with under 5% of requests answered 429 when the limit is learned; >= 0.97 when
max_requests_per_second is given. ``--naive`` adds threads that call batch_create and sleep out each
Retry-After (the client's default retry), for comparison.

    python benchmarks/bulk_rate_limit.py
    python benchmarks/bulk_rate_limit.py --quick
"""

from __future__ import annotations

import argparse
import threading
import time
from typing import Any, Dict, List

from _common import EmulatorProcess, chunks, documents

from synap_sync import SynapClient

RATE, BURST, WORKERS = 20, 5, 4


def naive(client: SynapClient, batch: List[Dict[str, Any]]) -> None:
    pending = list(chunks(batch, 100))
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                if not pending:
                    return
                chunk = pending.pop()
            client.memories.batch_create(list(chunk))

    threads = [threading.Thread(target=work) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=40_000)
    parser.add_argument("--naive", action="store_true", help="also time the sleep-Retry-After loop")
    parser.add_argument("--quick", action="store_true", help="4,000 documents")
    args = parser.parse_args()
    count = 4_000 if args.quick else args.documents
    forced = (count / 100 - BURST) / RATE
    print(f"{count} documents, {count // 100} requests, limit {RATE}/s burst {BURST}: at least {forced:.2f} s")
    runs = [("learned", None), ("told the limit", float(RATE))]
    if args.naive:
        runs.append(("naive sleep Retry-After", "naive"))
    for name, setting in runs:
        # A fresh emulator per run: a full bucket, and no documents stored by the previous run.
        arguments = ("--rate-limit", str(RATE), "--burst", str(BURST), "--completion-seconds", "1")
        with EmulatorProcess(*arguments) as base_url:
            with SynapClient(api_key="synap_benchmark", base_url=base_url, max_retries=1000) as client:
                batch = documents(count, name[:5])
                started = time.perf_counter()
                if setting == "naive":
                    naive(client, batch)
                    throttled = requests = None
                else:
                    report = client.memories.ingest(batch, workers=WORKERS, max_requests_per_second=setting)
                    assert report.succeeded == count, report
                    throttled, requests = report.throttled, report.requests
                elapsed = time.perf_counter() - started
        share = f", 429s {throttled}/{requests} = {throttled / requests:.1%}" if requests else ""
        print(f"  {name:24s}: {elapsed:6.2f} s, efficiency {forced / elapsed:.3f}{share}")


if __name__ == "__main__":
    main()
