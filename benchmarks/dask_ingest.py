"""A backfill over a Dask cluster under a rate limit no one told the client: one pace for the key.

40,000 documents with ids in a bag of 16 partitions, on a LocalCluster of 4 worker processes with one
thread each; the emulator (in this process; the load is light) allows 20 batch requests a second with a burst of 5.
400 requests cannot go faster than (400 - 5) / 20 = 19.75 s. Efficiency = that forced time / the
measured wall time of ``synap_sync.dask.ingest`` (the cluster is started before the clock starts).
Goals: every document stored once, <= 10% of requests answered 429, efficiency >= 0.85, and the same
call again with the same journal_dir sends no request.

    python benchmarks/dask_ingest.py
    python benchmarks/dask_ingest.py --quick
"""

from __future__ import annotations

import argparse
import collections
import tempfile
import time
from typing import Any, Dict, List

from _common import documents

RATE, BURST = 20, 5


def partition_documents(numbers: List[int], size: int) -> List[Dict[str, Any]]:
    return documents(size, f"dask{numbers[0]}", seed=numbers[0])


def main() -> None:
    import dask.bag
    from distributed import Client, LocalCluster

    import synap_sync.dask
    from synap_sync import SynapClient
    from synap_sync.emulator import Emulator

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=40_000)
    parser.add_argument("--quick", action="store_true", help="4,000 documents")
    args = parser.parse_args()
    count = 4_000 if args.quick else args.documents
    forced = (count / 100 - BURST) / RATE
    print(f"{count} documents, 16 partitions, 4 workers; limit {RATE}/s burst {BURST}: at least {forced:.2f} s")
    with LocalCluster(n_workers=4, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        emulator = Emulator(rate_limit=RATE, burst=BURST, completion_seconds=1)
        with Client(cluster), emulator, tempfile.TemporaryDirectory() as journals:
            client = SynapClient(api_key="synap_benchmark", base_url=emulator.base_url, max_retries=1000)
            # Each partition's documents are made on its worker, before the clock starts.
            bag = dask.bag.from_sequence(range(16), npartitions=16).map_partitions(partition_documents, count // 16)
            bag = bag.persist()
            started = time.perf_counter()
            report = synap_sync.dask.ingest(bag, client=client, journal_dir=journals)
            elapsed = time.perf_counter() - started
            assert report.succeeded == count and report.new == count, report
            ids = collections.Counter(document["document_id"] for document in emulator.stored_documents())
            held = len(ids)
            assert held == count and max(ids.values()) == 1, f"{held} distinct documents stored for {count} sent"
            print(
                f"  first run : {elapsed:6.2f} s, efficiency {forced / elapsed:.3f}, "
                f"429s {report.throttled}/{report.requests} = {report.throttled / report.requests:.1%}, "
                f"{held} stored"
            )
            before = emulator.request_count
            again = synap_sync.dask.ingest(bag, client=client, journal_dir=journals)
            sent = emulator.request_count - before
            assert again.resumed == count and sent == 0, (again, sent)
            print(f"  same call again: {sent} requests, {again.resumed} documents settled by the first run")


if __name__ == "__main__":
    main()
