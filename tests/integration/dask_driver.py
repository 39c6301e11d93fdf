"""A Dask driver as a user runs one in a terminal, for the Ctrl-C test: ``python -m
tests.integration.dask_driver BASE_URL JOURNAL_DIR`` starts a LocalCluster of worker processes (in its
process group, as a terminal's Ctrl-C reaches them all), ingests 8,000 documents with a journal, and
prints one JSON line: the report, finished or interrupted."""

import json
import sys
import time

import dask.bag as dask_bag
import distributed

import synap_sync.dask
from synap_sync import IngestInterrupted, SynapClient


def main(base_url: str, journal_dir: str) -> int:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50
    ) as cluster, distributed.Client(cluster):
        client = SynapClient(api_key="synap_dask_test_key", base_url=base_url)
        documents = [{"document": f"User: note {n}", "document_id": f"d-{n}"} for n in range(8000)]
        bag = dask_bag.from_sequence(documents, npartitions=4)
        print("ready", flush=True)
        started = time.monotonic()
        try:
            report = synap_sync.dask.ingest(
                bag, client=client, journal_dir=journal_dir, run_name="nightly", chunk_size=50
            )
            interrupted = False
        except IngestInterrupted as stopped:
            report, interrupted = stopped.report, True
        seconds = time.monotonic() - started
        print(json.dumps({"interrupted": interrupted, "seconds": seconds, "total": report.total,
                          "succeeded": report.succeeded, "not_sent": report.not_sent, "failed": report.failed,
                          "resumed": report.resumed}), flush=True)  # fmt: skip
        return 130 if interrupted else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
