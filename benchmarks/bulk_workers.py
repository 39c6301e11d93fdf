"""Bulk ingest throughput against workers, on an emulator that adds 50 ms to every answer.

With a latency L per request, W workers can at best complete W requests every L seconds, i.e.
W x 100 / L documents per second. The figure is the measured rate as a fraction of that ideal
(goal >= 0.90 for 1, 2, 4 and 8 workers).

    python benchmarks/bulk_workers.py            # 5 s of ideal sending per setting
    python benchmarks/bulk_workers.py --quick
"""

from __future__ import annotations

import argparse
import time

from _common import EmulatorProcess, documents

from synap_sync import SynapClient

LATENCY_SECONDS = 0.05


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="ideal sending time per setting")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    seconds = 0.5 if args.quick else args.seconds
    print(f"bulk ingest, emulator latency {LATENCY_SECONDS * 1000:.0f} ms, ~1 KB documents, chunks of 100")
    with EmulatorProcess("--latency-ms", str(LATENCY_SECONDS * 1000)) as base_url:
        with SynapClient(api_key="synap_benchmark", base_url=base_url, pool_maxsize=8) as client:
            for workers in (1, 2, 4, 8):
                ideal = workers * 100 / LATENCY_SECONDS
                count = int(ideal * seconds) // 100 * 100
                batch = documents(count, f"w{workers}")
                started = time.perf_counter()
                report = client.memories.ingest(batch, workers=workers)
                elapsed = time.perf_counter() - started
                assert report.succeeded == count, report
                rate = count / elapsed
                fraction = rate / ideal
                print(f"  workers={workers}: {rate:8.0f} docs/s of ideal {ideal:6.0f} = {fraction:.3f}  (goal >= 0.90)")


if __name__ == "__main__":
    main()
