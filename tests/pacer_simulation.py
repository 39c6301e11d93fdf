"""A token-bucket service and workers on a simulated clock, to drive the Pacer without real time."""

from __future__ import annotations

import heapq
import math
import random
from typing import List, NamedTuple, Optional, Tuple

from synap_sync._clock import Clock
from synap_sync._pace import Pacer, Wait


class SimulatedClock(Clock):
    """Time as the simulation sets it; the simulation does the waiting by scheduling events."""

    def __init__(self) -> None:
        self.time = 0.0

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        pass


class Run(NamedTuple):
    seconds: float
    forced_seconds: float
    throttled: int
    requests: int
    send_times: List[float]

    @property
    def efficiency(self) -> float:
        return self.forced_seconds / self.seconds


def simulate(
    rate: float = 20.0,
    burst: int = 5,
    workers: int = 4,
    batches: int = 400,
    round_trip: float = 0.004,
    hint: Optional[float] = None,
    jitter: float = 0.0,
    seed: int = 0,
    new_rate_at: Optional[Tuple[float, float]] = None,
) -> Run:
    """Send ``batches`` accepted requests through a service allowing ``rate``/s with ``burst``;
    each leg of a round trip takes up to ``jitter`` seconds more, drawn from ``seed``; the limit
    changes to ``new_rate_at[1]`` at time ``new_rate_at[0]``."""
    delay = random.Random(seed).uniform
    clock = SimulatedClock()
    pacer = Pacer(max_rate=hint, clock=clock)
    tokens, refilled = float(burst), 0.0
    events: List[Tuple[float, int, str, object]] = []
    order = [0]

    def at(time: float, kind: str, data: object = None) -> None:
        order[0] += 1
        heapq.heappush(events, (time, order[0], kind, data))

    for _ in range(workers):
        at(0.0, "ready")
    remaining, throttled, sent = batches, 0, []
    parked = 0  # workers waiting for a probe's answer
    while events:
        time, _, kind, data = heapq.heappop(events)
        clock.time = time
        if kind == "ready" and remaining > 0:
            slot = pacer.reserve()
            if isinstance(slot, Wait):
                parked += 1
                continue
            assert slot is not None
            remaining -= 1
            at(slot + round_trip / 2 + delay(0, jitter), "arrive", slot)
        elif kind == "arrive":
            if new_rate_at is not None and time >= new_rate_at[0]:
                rate = new_rate_at[1]
            sent.append(time)
            tokens, refilled = min(burst, tokens + (time - refilled) * rate), time
            accepted = tokens >= 1
            tokens -= accepted
            retry_after = None if accepted else max(1, math.ceil((1 - tokens) / rate))
            at(time + round_trip / 2 + delay(0, jitter), "reply", (accepted, data, retry_after))
        elif kind == "reply":
            accepted, sent_at, retry_after = data  # type: ignore[misc]
            if accepted:
                pacer.accepted(sent_at)
            else:
                pacer.throttled(sent_at, retry_after)
                throttled += 1
                remaining += 1
            at(time, "ready")
            for _ in range(parked):  # an answer came: the waiting workers ask again
                at(time, "ready")
            parked = 0
    return Run(clock.time, (batches - burst) / rate, throttled, len(sent), sent)
