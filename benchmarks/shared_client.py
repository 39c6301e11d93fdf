"""Many callers, one key: threads sharing one default client, and separate clients of one key, against
a service allowing 20 requests a second with a burst of 5 (the emulator, in process, on loopback).

Each thread makes batch_create calls of 10 documents. The limit forces (requests - burst) / rate
seconds; the figure judged is that ceiling / wall time, with every call succeeding and at most 10% of
requests answered 429. Goals: 0 calls raise, all stored, <= 10% answered 429, >= 0.80 of the ceiling.

    python benchmarks/shared_client.py            # 16 threads x 25 calls on one client; 4 clients x 100
    python benchmarks/shared_client.py --quick    # a smoke run
"""

from __future__ import annotations

import argparse
import threading
import time
from typing import Callable, List

from synap_sync import SynapClient, SynapError
from synap_sync.emulator import Emulator

RATE, BURST, DOCUMENTS_PER_CALL = 20.0, 5, 10


def run(label: str, threads: int, calls: int, client_for: Callable[[str, int], SynapClient]) -> None:
    with Emulator(rate_limit=RATE, burst=BURST, completion_seconds=60) as emulator:
        clients = [client_for(emulator.base_url, number) for number in range(threads)]
        url = emulator.base_url
        failures: List[SynapError] = []
        stored = [0]
        lock = threading.Lock()

        def caller(number: int) -> None:
            client = clients[number]
            for call in range(calls):
                batch = [
                    {"document": f"User: note {call}.{item}", "document_id": f"{label}-{number}-{call}-{item}"}
                    for item in range(DOCUMENTS_PER_CALL)
                ]
                try:
                    reply = client.memories.batch_create(batch)
                except SynapError as error:
                    with lock:
                        failures.append(error)
                    continue
                with lock:
                    stored[0] += reply.succeeded

        workers = [threading.Thread(target=caller, args=(number,)) for number in range(threads)]
        started = time.monotonic()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        elapsed = time.monotonic() - started
        requests = emulator.request_count
        throttled = emulator.statuses[429]
        kept = len(emulator.stored_documents())
        for client in set(clients):
            client.close()
    expected = threads * calls
    ceiling = (expected - BURST) / RATE
    print(f"{label}: {threads} threads x {calls} calls against {url} (20 req/s, burst 5)")
    print(f"  calls raised      : {len(failures)} of {expected}" + (f" ({failures[0]})" if failures else ""))
    print(f"  documents stored  : {kept} of {expected * DOCUMENTS_PER_CALL} (acknowledged {stored[0]})")
    print(f"  answered 429      : {throttled} of {requests} requests = {throttled / requests:.1%}  (goal <= 10%)")
    print(f"  wall / ceiling    : {elapsed:.1f} s / {ceiling:.2f} s = {ceiling / elapsed:.3f}  (goal >= 0.80)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls: checks it works, figures are rough")
    args = parser.parse_args()
    shared_calls, separate_calls = (3, 12) if args.quick else (25, 100)
    shared: List[SynapClient] = []

    def one_default_client(url: str, number: int) -> SynapClient:
        if not shared:
            shared.append(SynapClient(api_key="synap_shared_key", base_url=url))
        return shared[0]

    def own_client(url: str, number: int) -> SynapClient:
        return SynapClient(api_key="synap_separate_key", base_url=url)

    run("one default client shared", 16, shared_calls, one_default_client)
    run("four clients of one key", 4, separate_calls, own_client)


if __name__ == "__main__":
    main()
