"""Shared by the benchmarks: an emulator in its own process, and realistic ~1 KB documents."""

from __future__ import annotations

import random
import subprocess
import sys
from typing import Any, Dict, Iterator, List, Sequence

WORDS = (
    "invoice renewal meeting customer deploy staging budget offsite training schedule billing password "
    "export audit onboarding release webhook pipeline review quarter migration contract support ticket"
).split()


#: Runs ``synap-sync serve`` with the collector's full (oldest-generation) passes off; the young passes
#: run as usual. See `EmulatorProcess`.
_SERVE_WITHOUT_FULL_COLLECTIONS = (
    "import gc, runpy, sys; young, middle, _ = gc.get_threshold(); gc.set_threshold(young, middle, 2**30); "
    "sys.argv[0] = 'synap_sync'; runpy.run_module('synap_sync', run_name='__main__')"
)


class EmulatorProcess:
    """``synap-sync serve`` in a child process, so its CPU time is not the client's.

    With ``full_collections=False`` the emulator's garbage collector never makes a full pass. The
    emulator keeps every document it stores, and a full pass over hundreds of thousands of them takes
    100 to 250 ms. Which request it lands on is fixed by the order of the requests, so in a side-by-side
    benchmark it falls on the same side in every run (swapping two sides moves it with them) and
    decides that side's throughput. The young passes, which every request pays for, still run.
    """

    def __init__(self, *arguments: str, full_collections: bool = True) -> None:
        self.arguments = arguments
        self.full_collections = full_collections

    def __enter__(self) -> str:
        serve = ["-m", "synap_sync"] if self.full_collections else ["-c", _SERVE_WITHOUT_FULL_COLLECTIONS]
        command = [sys.executable, *serve, "serve", "--port", "0", *self.arguments]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith("Synap emulator listening on "):
            self.process.kill()
            raise RuntimeError(f"emulator did not start: {line!r}")
        return line.rsplit(" ", 1)[1]

    def __exit__(self, *exc: Any) -> None:
        self.process.terminate()
        self.process.wait(10)


def document(index: int, prefix: str, rng: random.Random, created_at: bool = True) -> Dict[str, Any]:
    """A ~1 KB chat transcript with every field a backfill would set (without the creation time, the
    fields the README's Quickstart sets)."""
    turns = []
    while sum(len(turn) for turn in turns) < 800:
        speaker = "User" if len(turns) % 2 == 0 else "Assistant"
        turns.append(f"{speaker}: " + " ".join(rng.choice(WORDS) for _ in range(14)) + ".")
    return {
        "document": "\n".join(turns),
        "document_type": "ai-chat-conversation",
        "document_id": f"{prefix}-{index}",
        "document_created_at": "2025-06-01T12:00:00Z" if created_at else None,
        "user_id": f"user_{index % 97}",
        "customer_id": f"cust_{index % 13}",
        "scope": None,
        "mode": "long-range",
        "metadata": {"source": "benchmark", "n": index},
    }


def documents(count: int, prefix: str, seed: int = 1, created_at: bool = True) -> List[Dict[str, Any]]:
    rng = random.Random(seed)
    return [document(index, prefix, rng, created_at) for index in range(count)]


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
