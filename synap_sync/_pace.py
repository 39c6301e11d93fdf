"""One send schedule per API key, shared by every call of every client of that key in the process,
learned from the service's 429s.

The service limits each key to a rate it does not publish, with a burst allowance: a token bucket.
A 429 means the bucket was empty when that request arrived, and between two such moments every token
the bucket gained went to a request it accepted. So ``accepted between two 429s / time between them``
measures the limit to within one request, provided the client kept sending at least that fast (else
the bucket fills, and spills tokens the count cannot see). Times here are send times: requests reach
the service in about the order and at the spacing they leave, so differences between them are the
service's differences too.

The pacer therefore works in phases:

1. unpaced, until the first 429 (the burst allowance is there to be used); that 429 is the *mark*;
2. probing: one probe at a time, 10 ms after the mark, then at gaps that double after each refusal
   (up to the Retry-After, at most 1 s), until one is accepted: that brackets the time one token
   takes to arrive, and the pace starts at the fast end of the bracket. Other callers wait for the
   probe's answer instead of each spending a request the bucket cannot serve;
3. measuring: each later 429 sets the pace to ``(accepted since the mark + 1) / time since``, the
   limit plus the one request the count cannot see, so 429s keep coming, ever rarer, each sharpening
   the estimate. Counts of a few requests are noise: they may raise the pace, never lower it. The
   mark slides to the 16th-latest 429: while 429s are rare the span is long and the estimate
   precise; when they crowd in (the limit was lowered) it shortens and follows within a few.
4. quiet spells: pacing a shade over the limit, a 429 is due about once per measured span; none for
   8 spans (at most 18 s) means the pace is under the limit (or the limit was raised), so the pace
   rises 10%, and again every 3 s until a 429, which opens a fresh measurement (the bucket may have
   spilled meanwhile). Right after probing the first guess may be low, so the pace rises 25% every half
   second until a 429.

Retry-After is whole seconds while the bucket refills in a fraction of one, so it only caps the
first probe gap; sleeping it out would idle the whole run. With ``max_rate`` the pace never exceeds
it, and a run told the limit starts paced instead of probing.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import threading
import weakref
from typing import List, Optional, Protocol, Tuple, Union

from ._clock import SYSTEM_CLOCK, Clock

log = logging.getLogger("synap_sync")

FIRST_PROBE_GAP_SECONDS = 0.01
#: Probing never spaces sends further apart than this (nor than the service's Retry-After).
MAX_PROBE_GAP_SECONDS = 1.0
#: A probe unanswered for this long is taken as lost, and the next one may go.
PROBE_PATIENCE_SECONDS = 5.0
#: Callers waiting for a probe's answer look again at least this often (real seconds).
_WAIT_SECONDS = 0.25

#: The measurement starts at the oldest of this many latest 429s.
WINDOW_MARKS = 16
#: A count of fewer accepted requests than this may raise the pace but not lower it.
MIN_GAINED = 4
#: Pacing a shade over the limit, 429s come about one per measured span, but can be far rarer; so
#: only no 429 for this many spans (and at least QUIET_SECONDS) counts as a quiet spell.
QUIET_SPANS = 8
QUIET_SECONDS = 3.0
#: ... but never more than this: pacing exactly at the limit, no 429 ever comes to end a long span.
MAX_QUIET_SECONDS = 18.0
RAISE_FACTOR = 1.1
#: Right after probing, a quiet spell is shorter and the pace rises faster.
RAMP_SECONDS = 0.5
RAMP_FACTOR = 1.25
SLOWEST_RATE = 0.05
#: Send times of accepted requests kept one by one; past this many, the oldest half is only counted,
#: so a process that stays under the limit for weeks keeps a pace of constant size.
MAX_KEPT_SENDS = 4096


class Wait:
    """`Pacer.reserve`'s answer while a probe is out: ask again once it is answered."""


WAIT = Wait()


class Pace(Protocol):
    """What the transport asks of a pace: a `Pacer` in this process, or one kept on a cluster's scheduler."""

    #: Requests per second now paced at; None while unpaced or probing.
    rate: Optional[float]

    def acquire(self, latest: Optional[float] = None) -> Optional[float]: ...

    def next_slot_in(self) -> float: ...

    def accepted(self, sent_at: float) -> None: ...

    def throttled(self, sent_at: float, retry_after: Optional[float] = None) -> None: ...

    def unanswered(self, sent_at: float) -> None: ...


class Pacer:
    """Hands each send a slot on one shared schedule; thread-safe."""

    def __init__(self, max_rate: Optional[float] = None, clock: Clock = SYSTEM_CLOCK) -> None:
        self.max_rate = max_rate
        #: Requests per second now paced at; None while unpaced or probing.
        self.rate: Optional[float] = max_rate
        self.clock = clock
        self._lock = threading.Lock()
        self._answered = threading.Condition(self._lock)
        self._next_slot = 0.0
        #: Send times of the latest 429s (at most WINDOW_MARKS), the first opening the measurement,
        #: and of the requests accepted since it (sorted; only ever appended near the end).
        self._marks: List[float] = []
        self._accepted_since = _Sends()
        self._probe_gap: Optional[float] = None
        self._probe_cap = MAX_PROBE_GAP_SECONDS
        #: Send times of the probes so far, and of the one awaiting its answer.
        self._probe_slots: List[float] = []
        self._probe_out: Optional[float] = None
        self._raised = False
        #: Set when probing ends, until the next 429: the pace is a first guess, maybe low.
        self._ramping = False
        self._last_throttle = float("-inf")
        self._last_raise = float("-inf")

    @property
    def _mark(self) -> Optional[float]:
        return self._marks[0] if self._marks else None

    @property
    def probing(self) -> bool:
        return self._probe_gap is not None

    def limit(self, max_rate: float) -> None:
        """Never pace faster than ``max_rate`` (a client sharing this pace was told the limit)."""
        with self._lock:
            self.max_rate = max_rate if self.max_rate is None else min(self.max_rate, max_rate)
            self.rate = self.max_rate if self.rate is None else self._bounded(self.rate)

    def acquire(self, latest: Optional[float] = None) -> Optional[float]:
        """Wait for this send's slot; returns the slot's time, to be passed back with the answer.

        :param latest: a slot after this clock time is no use to the caller (its deadline): then
            nothing is reserved and None is returned as soon as that is known.
        """
        with self._answered:
            while True:
                now = self.clock.now()
                slot = self.reserve(latest, now)
                if not isinstance(slot, Wait):
                    break
                if latest is not None and now >= latest:
                    return None
                self._answered.wait(_WAIT_SECONDS if latest is None else min(_WAIT_SECONDS, latest - now))
        if slot is not None and slot > now:
            self.clock.sleep(slot - now)
        return slot

    def reserve(self, latest: Optional[float] = None, now: Optional[float] = None) -> Union[float, None, Wait]:
        """The decision behind `acquire`, without waiting (call with the lock held, or alone): a slot,
        None if it would fall after ``latest``, or `WAIT` while a probe awaits its answer.

        :param now: the caller's reading of the clock, so that "now" is one moment for both of them (two
            readings would put an unpaced slot a microsecond in the future, and the caller would sleep).
        """
        now = self.clock.now() if now is None else now
        if self._probe_gap is not None:
            if self._probe_out is not None and now - self._probe_out < PROBE_PATIENCE_SECONDS:
                return WAIT
            slot = max(now, self._next_slot)
            if latest is not None and slot > latest:
                return None
            self._probe_slots.append(slot)
            self._probe_out = slot
            return slot
        if self.rate is None:
            return now
        self._raise_after_quiet(now)
        slot = max(now, self._next_slot)
        if latest is not None and slot > latest:
            return None
        self._next_slot = slot + 1.0 / self.rate
        return slot

    def reserve_within(self, seconds: Optional[float]) -> Tuple[Union[float, None, Wait], float]:
        """`reserve` for a caller that waits elsewhere (a worker of a cluster, which sleeps on its own):
        a slot no later than ``seconds`` from now (None: any), and the clock reading it was made at."""
        with self._lock:
            now = self.clock.now()
            return self.reserve(None if seconds is None else now + seconds, now), now

    def next_slot_in(self) -> float:
        """Seconds until the schedule has a free slot (0 when unpaced)."""
        with self._lock:
            if self._probe_gap is None and self.rate is None:
                return 0.0
            return max(0.0, self._next_slot - self.clock.now())

    def accepted(self, sent_at: float) -> None:
        """The service accepted the request sent at ``sent_at`` (it took one of its tokens)."""
        with self._lock:
            if self._mark is None or sent_at <= self._mark:
                return
            self._accepted_since.add(sent_at)
            if self._probe_gap is not None and sent_at in self._probe_slots:
                self._end_probing(sent_at)
                self._answered.notify_all()

    def unanswered(self, sent_at: float) -> None:
        """The request sent at ``sent_at`` got no answer (a network failure): if it was the probe,
        the next one may go."""
        with self._lock:
            if self._probe_out == sent_at:
                self._probe_out = None
                self._next_slot = max(self._next_slot, sent_at + (self._probe_gap or 0.0))
                self._answered.notify_all()

    def throttled(self, sent_at: float, retry_after: Optional[float] = None) -> None:
        """The service answered 429 to the request sent at ``sent_at``."""
        with self._lock:
            now = self.clock.now()
            self._last_throttle = now
            before = self.rate
            if self._mark is None:
                self._start_probing(sent_at, retry_after)
            elif self._probe_gap is not None:
                if sent_at == self._probe_out:  # the probe was refused: the next goes a longer gap later
                    self._probe_gap = min(self._probe_gap * 2, self._probe_cap)
                    self._next_slot = sent_at + self._probe_gap
                    self._probe_out = None
                    self._answered.notify_all()
                return
            elif self._raised:
                # The pace was raised after a quiet spell, in which the bucket may have filled and
                # spilled tokens the count cannot see: measure afresh from this empty-bucket moment.
                self._marks, self._accepted_since, self._raised = [sent_at], _Sends(), False
            elif sent_at > self._marks[0]:
                gained = self._accepted_since.count_until(sent_at)
                estimate = (gained + 1) / (sent_at - self._marks[0])
                # Over a handful of requests the count is noise: let it raise the pace, not lower it
                # (a low pace is slow to recover from, a high one only costs a few more 429s).
                if gained >= MIN_GAINED or estimate > (self.rate or 0.0):
                    self.rate = self._bounded(estimate)
                self._slide(sent_at)
            self._ramping = False
            if self.rate is not None:
                self._next_slot = max(self._next_slot, now + 1.0 / self.rate)
            after = self.rate
        if self._probe_gap is not None and before is None and self._mark == sent_at:
            log.warning("the service answered 429: probing for its rate limit")
        elif before is not None and after is not None and after < before * 0.95:
            log.warning("pace lowered from %.1f to %.1f requests/s after a 429", before, after)

    def _slide(self, sent_at: float) -> None:
        """Measure from the last WINDOW_MARKS 429s: long while they are rare (precise), short when
        they crowd in (a lowered limit is followed within a few of them)."""
        self._marks.append(sent_at)
        if len(self._marks) > WINDOW_MARKS:
            del self._marks[0]
            self._accepted_since.drop_until(self._marks[0])

    def _start_probing(self, sent_at: float, retry_after: Optional[float]) -> None:
        self._marks = [sent_at]
        if self.rate is not None:  # told the limit: no need to probe for it
            return
        self._probe_gap = min(FIRST_PROBE_GAP_SECONDS, retry_after or FIRST_PROBE_GAP_SECONDS)
        self._probe_cap = max(self._probe_gap, min(retry_after or MAX_PROBE_GAP_SECONDS, MAX_PROBE_GAP_SECONDS))
        self._next_slot = sent_at + self._probe_gap

    def _end_probing(self, sent_at: float) -> None:
        """A probe got through: the bucket gained a token since the last probe before it was refused,
        so a token takes at most ``sent_at - mark`` and at least ``that probe - mark``; start at the
        fast end."""
        assert self._mark is not None
        earlier = [slot for slot in self._probe_slots if slot < sent_at]
        # If the very first probe got through, the bracket has no fast end: start from the slow one.
        token_seconds = max((earlier[-1] if earlier else sent_at) - self._mark, 1e-3)
        self._probe_gap = None
        self._probe_slots = []
        self._probe_out = None
        self.rate = self._bounded(1.0 / token_seconds)
        self._next_slot = sent_at + 1.0 / self.rate  # not later probe slots: they were for probing
        self._ramping = True

    def _raise_after_quiet(self, now: float) -> None:
        """No 429 for a long while: the pace may be under the limit (or the limit was raised)."""
        if self.rate is None or self._mark is None or (self.max_rate is not None and self.rate >= self.max_rate):
            return
        if self._ramping:  # no 429 since probing: the first guess may be low, so rise quickly
            quiet, factor = RAMP_SECONDS, RAMP_FACTOR
        else:  # once raised, rise again every QUIET_SECONDS until a 429
            span = 0.0 if self._raised else self._last_throttle - self._marks[0]
            quiet, factor = min(max(QUIET_SECONDS, QUIET_SPANS * span), MAX_QUIET_SECONDS), RAISE_FACTOR
        if now - self._last_throttle > quiet and now - self._last_raise > quiet:
            self._last_raise = now
            self._raised = True
            self.rate = self._bounded(self.rate * factor)

    def _bounded(self, rate: float) -> float:
        rate = max(rate, SLOWEST_RATE)
        return min(rate, self.max_rate) if self.max_rate is not None else rate


class _Sends:
    """Send times, counted up to any moment: the latest MAX_KEPT_SENDS one by one, older ones as a
    count spread evenly over the span they covered."""

    __slots__ = ("_times", "_folded", "_folded_from", "_folded_until")

    def __init__(self) -> None:
        self._times: List[float] = []  # sorted; only ever appended near the end
        self._folded = 0
        self._folded_from = self._folded_until = float("-inf")

    def add(self, sent_at: float) -> None:
        bisect.insort(self._times, sent_at)
        if len(self._times) > MAX_KEPT_SENDS:
            half = MAX_KEPT_SENDS // 2
            if not self._folded:
                self._folded_from = self._times[0]
            self._folded += half
            self._folded_until = self._times[half - 1]
            del self._times[:half]

    def count_until(self, moment: float) -> int:
        """How many were sent at or before ``moment``."""
        return self._folded_part(moment) + bisect.bisect_right(self._times, moment)

    def drop_until(self, moment: float) -> None:
        """Forget those sent at or before ``moment``."""
        if self._folded:
            self._folded -= self._folded_part(moment)
            self._folded_from = max(self._folded_from, moment)
        del self._times[: bisect.bisect_right(self._times, moment)]

    def _folded_part(self, moment: float) -> int:
        if not self._folded or moment >= self._folded_until:
            return self._folded
        if moment < self._folded_from:
            return 0
        span = self._folded_until - self._folded_from
        return round(self._folded * (moment - self._folded_from) / span) if span > 0 else self._folded

    def __len__(self) -> int:
        return len(self._times)


#: Paces by (base URL, SHA-256 of the key, clock): the service limits the key, not the client object.
_SHARED: "weakref.WeakValueDictionary[Tuple[str, str, int], Pacer]" = weakref.WeakValueDictionary()
_SHARED_LOCK = threading.Lock()


def shared_pace(base_url: str, api_key: str, max_rate: Optional[float] = None, clock: Clock = SYSTEM_CLOCK) -> Pacer:
    """The process's one pace for this key at this URL, made on first use; never holds the key itself.

    It lives while a client uses it. A ``max_rate`` lowers the ceiling for every client of the key.
    """
    digest = hashlib.sha256(api_key.encode("utf-8")).hexdigest()
    key = (base_url, digest, id(clock))
    with _SHARED_LOCK:
        pace = _SHARED.get(key)
        if pace is None or pace.clock is not clock:
            pace = Pacer(max_rate, clock)
            _SHARED[key] = pace
            return pace
    if max_rate is not None:
        pace.limit(max_rate)
    return pace


def forget_shared_paces() -> None:
    """In a child just forked: the parent's paces (and a lock another thread may have held) are not
    this process's; each client of the child learns its own."""
    global _SHARED_LOCK
    _SHARED_LOCK = threading.Lock()
    _SHARED.clear()
