"""batch_create against a hand-written requests loop, side by side, on a loopback emulator.

Both send the same kind of ~1 KB documents in batches of 100. synap_sync's time includes checking
every document given as a plain dict and parsing every reply into typed models. The calls alternate
batch by batch (and which side goes first alternates too), so both meet the same server and machine;
each round's figure is the median over its batch pairs of raw time / synap_sync time, which a pause of
the shared machine or of the server's garbage collector cannot swing; the figure judged is the median
of 5 such rounds in one process. Goal: >= 1.0 (the raw loop checks nothing and parses nothing).

    python benchmarks/batch_create.py            # 20,000 documents each side, 5 rounds
    python benchmarks/batch_create.py --quick    # a smoke run
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import List, Tuple

import requests
from _common import EmulatorProcess, chunks, documents

from synap_sync import SynapClient

API_KEY = "synap_benchmark_key"


def run_round(base_url: str, count: int, round_number: int) -> List[Tuple[float, float]]:
    """(raw seconds, synap_sync seconds) for each pair of batches."""
    raw_documents = documents(count, f"raw{round_number}")
    synap_documents = documents(count, f"sync{round_number}")
    session = requests.Session()
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    url = base_url + "/api/v1/memories/batch"

    def raw_call(chunk: List[dict]) -> float:
        started = time.perf_counter()
        reply = session.post(
            url, data=json.dumps({"documents": chunk, "fail_fast": False}), headers=headers, timeout=(5, 30)
        )
        reply.raise_for_status()
        assert reply.json()["succeeded"] == len(chunk)
        return time.perf_counter() - started

    def synap_call(chunk: List[dict]) -> float:
        started = time.perf_counter()
        batch = client.memories.batch_create(chunk)
        assert batch.succeeded == len(chunk)
        return time.perf_counter() - started

    pairs = []
    with SynapClient(api_key=API_KEY, base_url=base_url) as client:
        for index, (raw_chunk, synap_chunk) in enumerate(zip(chunks(raw_documents, 100), chunks(synap_documents, 100))):
            if index % 2:
                synap_seconds = synap_call(list(synap_chunk))
                raw_seconds = raw_call(list(raw_chunk))
            else:
                raw_seconds = raw_call(list(raw_chunk))
                synap_seconds = synap_call(list(synap_chunk))
            pairs.append((raw_seconds, synap_seconds))
    session.close()
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="2,000 documents, 1 round")
    args = parser.parse_args()
    count, rounds = (2_000, 1) if args.quick else (args.documents, args.rounds)
    pairs: List[Tuple[float, float]] = []
    round_ratios: List[float] = []
    with EmulatorProcess("--completion-seconds", "1") as base_url:
        for round_number in range(rounds):
            round_pairs = run_round(base_url, count, round_number)
            round_ratios.append(statistics.median(raw / synap for raw, synap in round_pairs))
            print(f"  round {round_number + 1}: median batch-pair ratio {round_ratios[-1]:.3f}")
            pairs += round_pairs
    raw_total = sum(raw for raw, _ in pairs)
    synap_total = sum(synap for _, synap in pairs)
    documents_sent = count * rounds
    print(f"batch_create: {documents_sent} documents each side in batches of 100, calls interleaved")
    print(f"  raw requests loop : {documents_sent / raw_total:9.0f} documents/s")
    print(f"  synap_sync        : {documents_sent / synap_total:9.0f} documents/s")
    print(f"  throughput ratio          = {raw_total / synap_total:.3f}")
    print(f"  median batch-pair ratio   = {statistics.median(raw / synap for raw, synap in pairs):.3f}")
    print(f"  median of {rounds} rounds      = {statistics.median(round_ratios):.3f}  (goal >= 1.0)")


if __name__ == "__main__":
    main()
