"""What production does to a client, reproduced: a per-key token bucket, and faults drawn from a seed."""

from __future__ import annotations

import random
import threading
import time
from typing import Collection, Optional

#: ``503``: answered 503 without acting; ``drop``: connection closed before acting;
#: ``lost-reply``: the request is acted on, then the connection closes with no answer;
#: ``504-after-store``: the request is acted on, then a gateway answers 504 (its upstream timed out).
FAULT_KINDS = ("503", "drop", "lost-reply", "504-after-store")


class TokenBucket:
    """``rate`` requests a second with bursts of ``burst``; tells how long until the next token."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.capacity = float(burst)
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> float:
        """Take a token; returns 0 on success, else the seconds until one is available."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class Faults:
    """Draws a fault for a share ``rate`` of requests, from ``kinds``, reproducibly from ``seed``."""

    def __init__(self, rate: float, kinds: Collection[str], seed: int) -> None:
        unknown = set(kinds) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"fault_kinds: unknown {sorted(unknown)}; choose from {', '.join(FAULT_KINDS)}")
        if not 0.0 <= rate <= 1.0:
            raise ValueError("fault_rate: must be between 0 and 1")
        self.rate = rate
        self.kinds = tuple(kinds)
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def draw(self) -> Optional[str]:
        if not self.rate:
            return None
        with self._lock:
            if self._random.random() >= self.rate:
                return None
            return self._random.choice(self.kinds)
