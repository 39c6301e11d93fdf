"""Memory of ``ingest(df)`` on a 1,000,000-row pandas DataFrame: rows are read as they are sent, so the
client's resident memory above the frame itself stays within the chunks in flight.

The client runs in a child process of its own: it builds the frame (text, ids, a date with NaT, an
optional customer with NaN, an int64 column into metadata), notes its resident memory, then ingests the
frame while a thread samples the resident memory every 20 ms. Printed: the peak above the frame, and the
same for ``ingest(df.to_dict("records"))`` (``--records``), which turns every row into a dict first.
Goal: the peak above the frame within the chunks in flight (a few MB), far under the frame's own size.

    python benchmarks/frame_memory.py              # 1,000,000 rows
    python benchmarks/frame_memory.py --records    # the same, through df.to_dict("records")
    python benchmarks/frame_memory.py --quick      # 50,000 rows
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from _common import EmulatorProcess

CLIENT = r"""
import sys, threading, time
import numpy, pandas
from synap_sync import SynapClient

rows, base_url, records = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "records"

def resident_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024

before_frame = resident_mb()
numbers = numpy.arange(rows)
frame = pandas.DataFrame({
    "body": pandas.Series(numbers).map(lambda n: f"User: ticket {n} about the invoice export and the renewal date."),
    "ticket": pandas.Series(numbers).map(lambda n: f"t-{n}"),
    "customer_id": numpy.where(numbers % 5 == 0, None, "acme"),
    "opened": pandas.to_datetime(numpy.where(numbers % 7 == 0, None, "2025-01-02T03:04:05Z"), utc=True),
    "priority": numbers.astype("int64") % 4,
})
with_frame = resident_mb()
peak = [with_frame]
done = threading.Event()

def sample():
    while not done.is_set():
        peak[0] = max(peak[0], resident_mb())
        time.sleep(0.02)

sampler = threading.Thread(target=sample, daemon=True)
sampler.start()
started = time.perf_counter()
columns = {"body": "document", "ticket": "document_id", "opened": "document_created_at"}
with SynapClient(api_key="synap_benchmark", base_url=base_url) as client:
    documents = frame.to_dict("records") if records else frame
    report = client.memories.ingest(documents, columns=columns, metadata_columns=["priority"], workers=4)
elapsed = time.perf_counter() - started
done.set()
sampler.join()
assert report.succeeded == rows, report.summary()
frame_mb = with_frame - before_frame
print(f"{'records' if records else 'frame':8s}: {rows} rows in {elapsed:.1f} s ({rows / elapsed:.0f}/s); the frame "
      f"{frame_mb:.0f} MB; peak above it {peak[0] - with_frame:.1f} MB = {(peak[0] - with_frame) / frame_mb:.3f} "
      f"of the frame's size")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--records", action="store_true", help="also through df.to_dict('records'), for comparison")
    parser.add_argument("--quick", action="store_true", help="50,000 rows")
    args = parser.parse_args()
    rows = 50_000 if args.quick else args.rows
    for way in ("frame", "records") if args.records else ("frame",):
        with EmulatorProcess(full_collections=False) as base_url:
            subprocess.run([sys.executable, "-c", CLIENT, str(rows), base_url, way], check=True)


if __name__ == "__main__":
    main()
