"""One process of a fleet, for the fleet tests: ``python -m tests.integration.fleet_worker BASE_URL THREADS
CALLS NAME`` makes THREADS threads share a default client, each making CALLS one-document ``batch_create``
calls, and prints one JSON line: the pace the process saw before its first call, the errors, and the pace
after (the key is ``synap_k``; ``SYNAP_PACE_URL`` says where the pace is kept, as for any process)."""

import json
import sys
import threading
from typing import List

import attrs

from synap_sync import SynapClient, SynapError


def main(base_url: str, threads: int, calls: int, name: str) -> None:
    client = SynapClient(api_key="synap_k", base_url=base_url)
    before = attrs.asdict(client.pace())
    errors: List[str] = []

    def caller(number: int) -> None:
        for call in range(calls):
            try:
                client.memories.batch_create([{"document": "User: hi", "document_id": f"{name}-{number}-{call}"}])
            except SynapError as error:
                errors.append(f"{type(error).__name__}: {error}")

    callers = [threading.Thread(target=caller, args=(number,)) for number in range(threads)]
    for thread in callers:
        thread.start()
    for thread in callers:
        thread.join()
    print(json.dumps({"before": before, "errors": errors, "after": attrs.asdict(client.pace())}))
    client.close()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
