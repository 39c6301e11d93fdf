"""batch_create against a hand-written requests loop, side by side, on a loopback emulator.

All sides send the same JSON: ~1 KB documents in batches of 100 with the fields the README's
Quickstart sets (a document_id, user_id, customer_id, mode and a small metadata dict, no
document_created_at):

- raw: a ``requests.Session.post`` loop sending prebuilt dicts as JSON, checking nothing, parsing the
  reply with ``.json()`` and nothing more;
- dicts: ``batch_create`` given the same dicts (checked field by field, encoded, the reply checked);
- models: the README's idiom, each document built as ``CreateMemoryRequest(...)`` (inside the timed
  call, as a caller builds them) and sent with ``batch_create``;
- official: the official async SDK's own idiom (``maximem-synap``), where it is installed.

The calls rotate batch by batch (which side goes first rotates too), so all meet the same server and
machine. The figure judged, as the issue that set the goals measures it, is each side's documents per
second in a round, the median of 5 rounds in one process, as a ratio to the raw loop's (and models to
official). The emulator runs with its collector's full passes off (see ``_common.EmulatorProcess``):
one lands on the same side in every run and would decide its figure. Printed too: the median over
each round's batches of raw time / side time (a figure no pause can swing, but also blind to a
client's own slow calls, such as its garbage collections), and each side's CPU time in this process
as a multiple of the raw loop's: what the clients themselves cost, without the wait for the server
that all sides share.

    python benchmarks/batch_create.py            # 20,000 documents each side, 5 rounds
    python benchmarks/batch_create.py --quick    # a smoke run
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

import requests
from _common import EmulatorProcess, chunks, documents

from synap_sync import CreateMemoryRequest, SynapClient

API_KEY = "synap_benchmark_key"

Side = Callable[[Sequence[Dict[str, Any]]], float]
#: What to do once the sides are done (the official SDK's background tasks must be stopped).
CLEANUPS: List[Callable[[], None]] = []


def raw_side(session: requests.Session, base_url: str) -> Side:
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    url = base_url + "/api/v1/memories/batch"

    def call(chunk: Sequence[Dict[str, Any]]) -> float:
        started = time.perf_counter()
        reply = session.post(
            url, data=json.dumps({"documents": list(chunk), "fail_fast": False}), headers=headers, timeout=(5, 30)
        )
        reply.raise_for_status()
        assert reply.json()["succeeded"] == len(chunk)
        return time.perf_counter() - started

    return call


def dicts_side(client: SynapClient) -> Side:
    def call(chunk: Sequence[Dict[str, Any]]) -> float:
        started = time.perf_counter()
        batch = client.memories.batch_create(list(chunk))
        assert batch.succeeded == len(chunk)
        return time.perf_counter() - started

    return call


def models_side(client: SynapClient) -> Side:
    def call(chunk: Sequence[Dict[str, Any]]) -> float:
        started = time.perf_counter()
        batch = client.memories.batch_create(
            [
                CreateMemoryRequest(
                    document=fields["document"],
                    document_id=fields["document_id"],
                    user_id=fields["user_id"],
                    customer_id=fields["customer_id"],
                    mode="long-range",
                    metadata={"source": "benchmark", "n": fields["metadata"]["n"]},
                )
                for fields in chunk
            ]
        )
        assert batch.succeeded == len(chunk)
        return time.perf_counter() - started

    return call


def official_side(base_url: str) -> Optional[Side]:
    """The official SDK's own idiom, run to completion batch by batch on one event loop; None when it is
    not installed (it needs Python 3.11+)."""
    try:
        import asyncio

        from maximem_synap import MaximemSynapSDK  # type: ignore[import-not-found]
        from maximem_synap.memories.models import CreateMemoryRequest as OfficialRequest  # type: ignore[import-not-found]
        from maximem_synap.models.config import SDKConfig  # type: ignore[import-not-found]
    except ImportError:
        return None
    loop = asyncio.new_event_loop()
    sdk = MaximemSynapSDK(api_key=API_KEY, config=SDKConfig(api_base_url=base_url), _force_new=True)
    loop.run_until_complete(sdk.initialize())
    CLEANUPS.append(lambda: (loop.run_until_complete(sdk.shutdown()), loop.close()))

    def call(chunk: Sequence[Dict[str, Any]]) -> float:
        started = time.perf_counter()
        requests_ = [
            OfficialRequest(
                document=fields["document"],
                document_id=fields["document_id"],
                user_id=fields["user_id"],
                customer_id=fields["customer_id"],
                mode="long-range",
                metadata={"source": "benchmark", "n": fields["metadata"]["n"]},
            )
            for fields in chunk
        ]
        batch = loop.run_until_complete(sdk.memories.batch_create(documents=requests_, fail_fast=False))
        assert batch.succeeded == len(chunk)
        return time.perf_counter() - started

    return call


def run_round(sides: Dict[str, Side], count: int, round_number: int, cpu: Dict[str, float]) -> Dict[str, List[float]]:
    """Each side's seconds per batch, the sides rotating which goes first; adds each side's CPU seconds
    (this process's, all its threads: the emulator runs in another) to ``cpu``."""
    names = list(sides)
    batches = {name: list(chunks(documents(count, f"{name}{round_number}", created_at=False), 100)) for name in names}
    seconds: Dict[str, List[float]] = {name: [] for name in names}
    for index in range(len(batches[names[0]])):
        order = names[index % len(names) :] + names[: index % len(names)]
        for name in order:
            before = time.process_time()
            seconds[name].append(sides[name](batches[name][index]))
            cpu[name] += time.process_time() - before
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="2,000 documents, 1 round")
    args = parser.parse_args()
    count, rounds = (2_000, 1) if args.quick else (args.documents, args.rounds)
    with EmulatorProcess("--completion-seconds", "1", full_collections=False) as base_url:
        session = requests.Session()
        client = SynapClient(api_key=API_KEY, base_url=base_url)
        sides: Dict[str, Side] = {"raw": raw_side(session, base_url), "dicts": dicts_side(client)}
        sides["models"] = models_side(client)
        official = official_side(base_url)
        if official is not None:
            sides["official"] = official
        rates: Dict[str, List[float]] = {name: [] for name in sides}
        cpu: Dict[str, float] = {name: 0.0 for name in sides}
        ratios: Dict[str, List[float]] = {name: [] for name in sides if name != "raw"}
        for round_number in range(rounds):
            seconds = run_round(sides, count, round_number, cpu)
            for name in sides:
                rates[name].append(count / sum(seconds[name]))
            for name in ratios:
                ratios[name].append(statistics.median(r / s for r, s in zip(seconds["raw"], seconds[name])))
            figures = ", ".join(f"{name} {values[-1]:.0f}" for name, values in rates.items())
            print(f"  round {round_number + 1}: documents/s: {figures}")
        client.close()
        session.close()
        for cleanup in CLEANUPS:
            cleanup()
    rate = {name: statistics.median(values) for name, values in rates.items()}
    print(f"batch_create: {count} documents each side a round, {rounds} rounds, in batches of 100, calls rotating")
    for name in sides:
        against = "" if name == "raw" else f"   {rate[name] / rate['raw']:.3f} of raw"
        print(f"  {name:<8}: {rate[name]:9.0f} documents/s (median of {rounds} rounds){against}")
    if official is not None:
        print(f"  models / official: {rate['models'] / rate['official']:.3f}")
    else:
        print("  (the official SDK, maximem-synap, is not installed here: no comparison with it)")
    print(f"  goals: dicts and models >= 1.0 of raw{'; models >= 1.8 of official' if official else ''}")
    batch = {name: statistics.median(values) for name, values in ratios.items()}
    figures = ", ".join(f"{name} {value:.3f}" for name, value in batch.items())
    print(f"  median batch ratio to raw (median of {rounds} rounds; blind to each side's slow calls): {figures}")
    if official is not None:
        models_over_official = statistics.median(m / o for m, o in zip(ratios["models"], ratios["official"]))
        print(f"    models / official: {models_over_official:.3f}")
    shares = ", ".join(f"{name} {cpu[name] / cpu['raw']:.2f}" for name in sides if name != "raw")
    print(f"  client CPU, as a multiple of raw's (the server's time not counted): {shares}")


if __name__ == "__main__":
    main()
