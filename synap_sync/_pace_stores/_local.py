"""The pace kept in this process: one record under a lock (the process's pace before the pace was shared,
and still what a test's clock, a told rate for one run, or the Dask scheduler use)."""

from __future__ import annotations

import threading
from typing import Callable, TypeVar

from .._clock import Clock
from ._record import PaceRecord

Result = TypeVar("Result")


class LocalStore:
    """A record in memory; `update` runs under a lock, and a waiter is woken by every change."""

    description = "this process"

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.record = PaceRecord()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)

    def update(self, change: Callable[[PaceRecord, float], Result]) -> Result:
        with self._lock:
            result = change(self.record, self.clock.now())
            self._changed.notify_all()
            return result

    def quiet(self) -> bool:
        return self.record.quiet

    def now(self) -> float:
        return self.clock.now()

    def wait_for_change(self, seconds: float) -> None:
        """Until the record changes or ``seconds`` pass (real seconds: another thread changes it)."""
        with self._changed:
            self._changed.wait(max(seconds, 0.0))

    def close(self) -> None:
        """Nothing to release."""
