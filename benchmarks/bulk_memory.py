"""Peak resident memory of a client streaming 300,000 ~1 KB documents (300 MB) from a generator.

The client runs in a child process of its own so that its peak RSS (ru_maxrss) is its alone; the
emulator runs in another. Goal: under 50 MB.

    python benchmarks/bulk_memory.py
    python benchmarks/bulk_memory.py --quick
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from _common import EmulatorProcess

CLIENT = r"""
import random, resource, sys, time
sys.path.insert(0, sys.argv[3])
from _common import document
from synap_sync import SynapClient

count, base_url = int(sys.argv[1]), sys.argv[2]
baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
rng = random.Random(1)
started = time.perf_counter()
with SynapClient(api_key="synap_benchmark", base_url=base_url) as client:
    report = client.memories.ingest((document(index, "mem", rng) for index in range(count)), workers=4)
elapsed = time.perf_counter() - started
assert report.succeeded == count, report
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"{count} documents in {elapsed:.1f} s ({count / elapsed:.0f}/s): peak RSS {peak / 1024:.1f} MB "
      f"(after imports: {baseline / 1024:.1f} MB)  (goal < 50 MB)")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=300_000)
    parser.add_argument("--quick", action="store_true", help="20,000 documents")
    args = parser.parse_args()
    count = 20_000 if args.quick else args.documents
    benchmarks = sys.path[0]
    with EmulatorProcess() as base_url:
        subprocess.run([sys.executable, "-c", CLIENT, str(count), base_url, benchmarks], check=True)


if __name__ == "__main__":
    main()
