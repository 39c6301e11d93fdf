"""What a cluster's synap_sync runs share, kept where every worker can reach it and no worker's death
loses it: on the Dask scheduler. One pace per key (the `Pacer` every process uses, fed by every
partition's answers), and each run's progress counts and stop flag.

Workers and the caller reach these functions through ``Client.run_on_scheduler``, which runs them on
the scheduler's event loop: each is quick and never waits. Without a distributed cluster the same
functions run in the caller's process.
"""

from __future__ import annotations

import threading
from typing import Any, Dict, Optional, Tuple

from .._pace import Pacer, Wait

#: Paces by (scheduler id, pace id); a pace id names a key at a URL without holding the key.
_PACES: Dict[Tuple[str, str], Pacer] = {}
#: Runs by id: each partition's latest counts (done, succeeded, failed), and whether to stop.
_RUNS: Dict[str, "_Run"] = {}
_LOCK = threading.Lock()


class _Run:
    __slots__ = ("counts", "stopped")

    def __init__(self) -> None:
        self.counts: Dict[int, Tuple[int, int, int]] = {}
        self.stopped = False


def _where(dask_scheduler: Any) -> str:
    return str(getattr(dask_scheduler, "id", "local")) if dask_scheduler is not None else "local"


def hello(dask_scheduler: Any = None) -> str:
    """Proof that this module imports where the state is kept."""
    return "synap_sync"


def pace_id_for(key_pace_id: str, max_rate: Optional[float]) -> str:
    """The cluster pace of a key, under a ceiling when one is known (runs with another ceiling, or none,
    keep their own pace rather than changing this one's)."""
    return key_pace_id if max_rate is None else f"{key_pace_id}@{max_rate!r}"


def _pace(key: Tuple[str, str]) -> Pacer:
    """The pace for ``key``, made on first use (also after a scheduler restart), with its ceiling."""
    with _LOCK:
        pace = _PACES.get(key)
        if pace is None:
            _, _, ceiling = key[1].partition("@")
            pace = _PACES[key] = Pacer(float(ceiling) if ceiling else None)
        return pace


def pace_setup(pace_id: str, dask_scheduler: Any = None) -> None:
    """Make the key's pace before the run's first task asks for it."""
    _pace((_where(dask_scheduler), pace_id))


def pace_call(pace_id: str, operation: str, arguments: Tuple[Any, ...], dask_scheduler: Any = None) -> Tuple[Any, ...]:
    """One call on the key's pace, answered at once.

    ``reserve (within,)`` answers ``("slot", slot, seconds to wait, rate)``, ``("wait", seconds, rate)``
    when no slot may be booked yet (ask again in that many seconds; None while a probe is out: soon), or
    ``("late", seconds to the next slot, rate)``; ``accepted (slot,)``,
    ``throttled (slot, retry_after)`` and ``unanswered (slot,)`` report a request's answer.
    """
    pace = _pace((_where(dask_scheduler), pace_id))
    if operation == "reserve":
        slot, now = pace.reserve_within(arguments[0])
        if isinstance(slot, Wait):
            return ("wait", None if slot.until is None else max(slot.until - now, 0.0), pace.rate)
        if slot is None:
            return ("late", pace.next_slot_in(), pace.rate)
        return ("slot", slot, slot - now, pace.rate)
    if operation == "accepted":
        pace.accepted(arguments[0])
    elif operation == "throttled":
        pace.throttled(arguments[0], arguments[1])
    elif operation == "unanswered":
        pace.unanswered(arguments[0])
    elif operation == "next_slot_in":
        return (pace.next_slot_in(),)
    else:
        raise ValueError(f"no pace operation {operation!r}")
    return ()


def run_progress(run_id: str, partition: int, counts: Tuple[int, int, int], dask_scheduler: Any = None) -> bool:
    """A partition's counts so far; answers whether the run is stopping."""
    with _LOCK:
        run = _RUNS.setdefault(run_id, _Run())
        run.counts[partition] = counts
        return run.stopped


def run_begin(run_id: str, partition: int, dask_scheduler: Any = None) -> Optional[Tuple[int, int, int]]:
    """A partition's task begins: None when the run goes on (its counts start again), or, when the run
    is stopping, the partition's counts as last told, left as they are. A task begins after the stop
    when its worker died of the Ctrl-C and the cluster gave it to a new one: it must report what the
    partition settled before, not nothing."""
    with _LOCK:
        run = _RUNS.setdefault(run_id, _Run())
        if run.stopped:
            return run.counts.get(partition, (0, 0, 0))
        run.counts[partition] = (0, 0, 0)
        return None


def run_totals(run_id: str, dask_scheduler: Any = None) -> Tuple[int, int, int]:
    """The run's counts over every partition: (done, succeeded, failed)."""
    with _LOCK:
        run = _RUNS.get(run_id)
        counts = list(run.counts.values()) if run is not None else []
    return (sum(c[0] for c in counts), sum(c[1] for c in counts), sum(c[2] for c in counts))


def run_counts(run_id: str, dask_scheduler: Any = None) -> Dict[int, Tuple[int, int, int]]:
    """Each partition's latest counts (done, succeeded, failed), as its task last told them."""
    with _LOCK:
        run = _RUNS.get(run_id)
        return dict(run.counts) if run is not None else {}


def run_stop(run_id: str, dask_scheduler: Any = None) -> None:
    """Ask every partition of the run to stop after its current chunk."""
    with _LOCK:
        _RUNS.setdefault(run_id, _Run()).stopped = True


def run_forget(run_id: str, dask_scheduler: Any = None) -> None:
    with _LOCK:
        _RUNS.pop(run_id, None)
