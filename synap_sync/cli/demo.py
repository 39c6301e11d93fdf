"""``synap-sync demo``: sample conversations into an emulator in this process: no account, no network."""

from __future__ import annotations

import argparse
import os

from ..client import SynapClient
from ..emulator import Emulator
from ._common import EXIT_OK, EXIT_PARTIAL
from .ingest import IngestRun

NAME = "demo"
SUMMARY = "ingest sample conversations into an in-process emulator"
DESCRIPTION = None
EXIT_CODES = {EXIT_OK: "every sample conversation was stored", EXIT_PARTIAL: "some were not"}
SAMPLE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "sample_conversations.jsonl")


def add_arguments(demo: argparse.ArgumentParser) -> None:
    """The demo takes no options."""


def run(args: argparse.Namespace) -> int:
    with Emulator(completion_seconds=1.0) as emulator:
        print(f"started a local Synap emulator at {emulator.base_url} (nothing leaves this machine)")
        with SynapClient(api_key="synap_demo_key", base_url=emulator.base_url) as client, open(SAMPLE, "rb") as stream:
            ingestion = IngestRun(client, stream, {"workers": 4})
            ingestion.ingest()
            total, failures = ingestion.total, ingestion.failures
            print(f"ingested {total} sample conversations: {total - len(failures)} queued, {len(failures)} failed")
            ingestion_ids = emulator.ingestion_ids()
            print(f"the emulator holds {len(ingestion_ids)} documents; waiting for the first three ingestions:")
            for ingestion_id in ingestion_ids[:3]:
                status = client.memories.wait_for_completion(ingestion_id, poll_interval_seconds=0.2)
                print(f"  {status.ingestion_id}  {status.status}  memories_created={status.memories_created}")
    print(ingestion.summary())
    return EXIT_OK if not failures else EXIT_PARTIAL
