"""One send schedule shared by every bulk worker, learned from the service's 429s.

The service limits each key to a rate it does not publish, with a burst allowance: a token bucket.
A 429 means the bucket was empty when that request arrived, and between two such moments every token
the bucket gained went to a request it accepted. So ``accepted between two 429s / time between them``
measures the limit to within one request, provided the client kept sending at least that fast (else
the bucket fills, and spills tokens the count cannot see). Times here are send times: requests reach
the service in the order and at the spacing they leave, so differences between them are the
service's differences too.

The pacer therefore works in three phases:

1. unpaced, until the first 429 (the burst allowance is there to be used);
2. probing: sends at a gap that doubles with each refused probe (10, 20, 40 ms ...) until one is
   accepted, which bounds the time one token takes to arrive; the pace starts at that bound's fast
   end, at or above the limit;
3. measuring: each later 429 sets the pace to ``(accepted since the first 429 + 1) / time since``:
   the limit plus the one request the count cannot see. That stays just above the limit, so 429s
   keep arriving, ever rarer (about one per ``time since`` seconds), each sharpening the estimate.
   No 429 for twice as long as expected means the pace fell under the limit (the limit was raised,
   or the workers idled): the pace creeps up and the next 429 starts a fresh measurement.

Retry-After is whole seconds while the bucket refills in a fraction of one, so it only caps the
first probe gap; sleeping it out would idle the whole run. With ``max_rate`` the pace never exceeds
it, and a run told the limit starts paced instead of probing.
"""

from __future__ import annotations

import bisect
import threading
import time
from typing import Callable, List, Optional

FIRST_PROBE_GAP_SECONDS = 0.01
#: A quiet spell is at least this long, whatever the measurement predicts.
QUIET_SECONDS = 3.0
PROBE_FACTOR = 1.2
SLOWEST_RATE = 0.05


class Pacer:
    """Hands each send a slot on one shared schedule; thread-safe."""

    def __init__(
        self,
        max_rate: Optional[float] = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.max_rate = max_rate
        #: Requests per second now paced at; None while unpaced or probing.
        self.rate: Optional[float] = max_rate
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot = 0.0
        #: Send time of the 429 that opened the current measurement, and the send times of the
        #: requests accepted since (sorted: they are few, and only ever appended near the end).
        self._mark: Optional[float] = None
        self._accepted_since: List[float] = []
        self._probe_gap: Optional[float] = None
        self._probe_changed = 0.0
        self._probe_slots: List[float] = []
        self._last_throttle = float("-inf")
        self._last_raise = float("-inf")

    @property
    def probing(self) -> bool:
        return self._probe_gap is not None

    def acquire(self) -> float:
        """Wait for this send's slot; returns the slot's time, to be passed back with the answer."""
        with self._lock:
            now = self._clock()
            if self._probe_gap is not None:
                slot = max(now, self._next_slot)
                self._next_slot = slot + self._probe_gap
                self._probe_slots.append(slot)
            elif self.rate is None:
                slot = now
            else:
                self._raise_after_quiet(now)
                slot = max(now, self._next_slot)
                self._next_slot = slot + 1.0 / self.rate
        if slot > now:
            self._sleep(slot - now)
        return slot

    def accepted(self, sent_at: float) -> None:
        """The service accepted the request sent at ``sent_at`` (it took one of its tokens)."""
        with self._lock:
            if self._mark is None or sent_at <= self._mark:
                return
            bisect.insort(self._accepted_since, sent_at)
            if self._probe_gap is not None:
                self._end_probing(sent_at)

    def throttled(self, sent_at: float, retry_after: Optional[float] = None) -> None:
        """The service answered 429 to the request sent at ``sent_at``."""
        with self._lock:
            now = self._clock()
            quiet = self._quiet(now)
            self._last_throttle = now
            if self._mark is None:
                self._start_probing(sent_at, now, retry_after)
            elif self._probe_gap is not None:
                if sent_at >= self._probe_changed:  # one doubling per probe, not per answer in flight
                    self._probe_gap *= 2
                    self._probe_changed = now
                    self._next_slot = max(self._next_slot, now + self._probe_gap)
                return
            elif quiet:
                self._mark, self._accepted_since = sent_at, []
            elif sent_at > self._mark:
                gained = bisect.bisect_right(self._accepted_since, sent_at)
                self.rate = self._bounded((gained + 1) / (sent_at - self._mark))
            if self.rate is not None:
                self._next_slot = max(self._next_slot, now + 1.0 / self.rate)

    def _start_probing(self, sent_at: float, now: float, retry_after: Optional[float]) -> None:
        self._mark = sent_at
        if self.rate is not None:  # told the limit: no need to probe for it
            return
        self._probe_gap = min(FIRST_PROBE_GAP_SECONDS, retry_after or FIRST_PROBE_GAP_SECONDS)
        self._probe_changed = now
        self._next_slot = now + self._probe_gap

    def _end_probing(self, sent_at: float) -> None:
        """A probe got through: the bucket gained a token since the last probe before it was refused,
        so a token takes at most ``sent_at - mark`` and at least ``that probe - mark``; start at the
        fast end."""
        assert self._mark is not None
        earlier = [slot for slot in self._probe_slots if slot < sent_at]
        # The first probe got through: the bound is (0, sent_at - mark]; take its middle.
        fast_end = earlier[-1] if earlier else (self._mark + sent_at) / 2
        token_seconds = max(fast_end - self._mark, 1e-3)
        self._probe_gap = None
        self._probe_slots = []
        self.rate = self._bounded(1.0 / token_seconds)
        self._next_slot = max(self._next_slot, sent_at + 1.0 / self.rate)

    def _quiet(self, now: float) -> bool:
        """No 429 for twice as long as the measurement predicts: the pace is under the limit."""
        expected_gap = now - self._mark if self._mark is not None else 0.0
        return now - self._last_throttle > max(QUIET_SECONDS, 2 * min(expected_gap, 60.0))

    def _raise_after_quiet(self, now: float) -> None:
        if self.rate is None or (self.max_rate is not None and self.rate >= self.max_rate):
            return
        if self._mark is not None and self._quiet(now) and now - self._last_raise >= QUIET_SECONDS:
            self._last_raise = now
            self.rate = self._bounded(self.rate * PROBE_FACTOR)

    def _bounded(self, rate: float) -> float:
        rate = max(rate, SLOWEST_RATE)
        return min(rate, self.max_rate) if self.max_rate is not None else rate
