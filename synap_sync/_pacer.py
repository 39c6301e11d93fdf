"""One send schedule shared by every bulk worker, learned from the service's 429s.

The service limits each key to a rate it does not publish, with a burst allowance: a token bucket.
A 429 means the bucket was empty when that request arrived, and between two such moments every token
the bucket gained went to a request it accepted. So ``accepted between two 429s / time between them``
measures the limit to within one request, provided the client kept sending at least that fast (else
the bucket fills, and spills tokens the count cannot see).

The pacer therefore works in three phases:

1. unpaced, until the first 429 (the burst allowance is there to be used);
2. probing: single sends at doubling gaps until one is accepted, which brackets the time one token
   takes to arrive; the pace is set at the fast end of that bracket, which is at or above the limit;
3. measuring: each 429 sets the pace to ``(accepted since the first 429 + 1) / time since``: the
   limit plus the one request the count cannot see. That stays just above the limit, so 429s keep
   arriving, ever rarer (about one per ``1 / time since`` seconds), and each sharpens the estimate.
   After a quiet spell the pace creeps up a little, in case the limit was raised.

Retry-After is used only as a floor for the first pace; honouring it literally (whole seconds, when
the bucket refills in a fraction of one) would idle the whole run. With ``max_rate`` the pace never
exceeds it, and a run that is told the limit starts paced instead of probing.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Optional, Tuple

#: First gap between probe sends; it doubles after each 429.
FIRST_PROBE_GAP_SECONDS = 0.01
#: Measuring paces about one request per ``span`` over the limit, so a 429 is due every ``span``
#: seconds; none for twice that (and at least this long) means the pace is under the limit.
QUIET_SECONDS = 3.0
PROBE_FACTOR = 1.05
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
        #: Requests per second now paced at; None while unpaced.
        self.rate: Optional[float] = max_rate
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot = 0.0
        self._accepted = 0
        #: (time, accepted) at the 429 that opened the current measurement; None before any.
        self._mark: Optional[Tuple[float, int]] = None
        #: While probing: the gap between probes, and when it last doubled.
        self._probe_gap: Optional[float] = None
        self._probe_changed = 0.0
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
        """The service accepted the request sent at ``sent_at`` (took one of its tokens)."""
        with self._lock:
            self._accepted += 1
            if self._probe_gap is not None and self._mark is not None and sent_at > self._mark[0]:
                self._end_probing(sent_at)

    def throttled(self, sent_at: float, retry_after: Optional[float] = None) -> None:
        """The service answered 429 to the request sent at ``sent_at``."""
        with self._lock:
            now = self._clock()
            quiet = self._quiet(now)
            self._last_throttle = now
            if self._mark is None or (quiet and self._probe_gap is None and self.rate is not None):
                self._open_measurement(now, retry_after)
            elif self._probe_gap is not None:
                if sent_at >= self._probe_changed:  # one doubling per probe, not per reply in flight
                    self._probe_gap *= 2
                    self._probe_changed = now
                    self._next_slot = max(self._next_slot, now + self._probe_gap)
                return
            elif sent_at > self._mark[0]:
                span = now - self._mark[0]
                self.rate = self._bounded((self._accepted - self._mark[1] + 1) / span)
            if self.rate is not None:
                self._next_slot = max(self._next_slot, now + 1.0 / self.rate)

    def _open_measurement(self, now: float, retry_after: Optional[float]) -> None:
        self._mark = (now, self._accepted)
        if self.rate is None:
            self._probe_gap = FIRST_PROBE_GAP_SECONDS
            if retry_after:
                self._probe_gap = min(self._probe_gap, retry_after)
            self._probe_changed = now
            self._next_slot = now + self._probe_gap

    def _end_probing(self, accepted_sent_at: float) -> None:
        """A probe got through: one token took at most this long since the bucket was empty."""
        assert self._mark is not None and self._probe_gap is not None
        previous_probe = accepted_sent_at - self._probe_gap / 2
        token_time = max(previous_probe - self._mark[0], (accepted_sent_at - self._mark[0]) / 2, 1e-3)
        self._probe_gap = None
        self.rate = self._bounded(1.0 / token_time)
        self._next_slot = max(self._next_slot, accepted_sent_at + 1.0 / self.rate)

    def _quiet(self, now: float) -> bool:
        """No 429 for longer than the current measurement predicts: the pace is under the limit."""
        expected_gap = now - self._mark[0] if self._mark is not None else 0.0
        return now - self._last_throttle > max(QUIET_SECONDS, 2 * min(expected_gap, 60.0))

    def _raise_after_quiet(self, now: float) -> None:
        if self.rate is None or (self.max_rate is not None and self.rate >= self.max_rate):
            return
        if self._quiet(now) and now - self._last_raise >= QUIET_SECONDS:
            self._last_raise = now
            self.rate = self._bounded(self.rate * PROBE_FACTOR)

    def _bounded(self, rate: float) -> float:
        rate = max(rate, SLOWEST_RATE)
        return min(rate, self.max_rate) if self.max_rate is not None else rate
