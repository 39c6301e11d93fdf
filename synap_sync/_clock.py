"""Time, injected: the transport, the pace and the bulk engine ask a `Clock`, so tests need not wait."""

from __future__ import annotations

import time
from typing import List


class Clock:
    """Monotonic seconds and sleeping, as the system gives them."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


SYSTEM_CLOCK = Clock()


class FakeClock(Clock):
    """A clock for tests: ``sleep`` returns at once, advancing ``now`` and recording the wait."""

    def __init__(self, start: float = 1000.0) -> None:
        self.time = start
        self.sleeps: List[float] = []

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if seconds > 0:
            self.time += seconds
