"""One send schedule per API key, learned from the service's 429s and shared by every call of every
client of the key: in the process, on the host (the default), or across hosts (Redis). Interactive calls
go first; bulk work takes what they leave.

The service limits each key to a rate it does not publish, with a burst allowance: a token bucket.
A 429 means the bucket was empty when that request arrived, and between two such moments every token
the bucket gained went to a request it accepted. So ``accepted between two 429s / time between them``
measures the limit to within one request, provided the callers kept sending at least that fast (else
the bucket fills, and spills tokens the count cannot see).

The pace therefore works in phases:

0. the opening, while the key is new to the store: two sends at most on their way at once, so a
   fleet that starts together (32 workers' first calls in the same instant) meets the limit with a
   request or two too many, not with all but the burst allowance of 32 refused. It ends at the first
   429, after 16 accepted sends (a limit that far off needs no care: 8 round trips spent once per key
   and host), or when nothing was heard for 5 s (a slow service); a send then needs no slot until a 429;
1. unpaced, until the first 429 (the burst allowance is there to be used); that 429 is the *mark*;
2. probing: one probe at a time, 10 ms after the mark, then at gaps that double after each refusal
   (up to the Retry-After, at most 1 s), until one is accepted: that brackets the time one token
   takes to arrive, and the pace starts at the fast end of the bracket. Other callers wait for the
   probe's answer instead of each spending a request the bucket cannot serve;
3. measuring: each later 429 sets the pace to ``(accepted since the mark + 1) / time since``, the
   limit plus the one request the count cannot see, so 429s keep coming, ever rarer, each sharpening
   the estimate. Counts of a few requests are noise: they may raise the pace, and lower it by half
   at most (the fast end of the bracket can be far above the limit: the token a probe met may have
   been due just then). The mark slides to the 16th-latest 429: while 429s are rare the span is
   long and the estimate precise; when they crowd in (the limit was lowered) it shortens and follows
   within a few.
4. quiet spells: pacing a shade over the limit, a 429 is due about once per measured span; none for
   8 spans (at most 18 s) means the pace is under the limit (or the limit was raised), so the pace
   rises 10%, and again every 3 s until a 429, which opens a fresh measurement. Right after probing the
   first guess may be low, so the pace rises 25% every half second until a 429.

Two lanes share the schedule. An interactive call (a view's ``batch_create``, a context read) books the
next slot, however far ahead. A bulk call (``ingest``, the command line, Dask) takes a slot only when it
is free now, and otherwise waits for it and asks again: so an interactive call waits at most about one
slot behind bulk traffic. After a 429, bulk holds off for a slot (it gives way first; interactive calls
do not back off). With ``share`` (``interactive_share``), while interactive calls are being made, bulk
also keeps to ``(1 - share)`` of the pace; when none are, it borrows the whole.

Everything the pace knows is a `PaceRecord` in a store (`synap_sync._pace_stores`): a few numbers, so
that every process of a host (a file) or of a fleet (Redis) shares one. Times are the store's; a caller
sleeps the wait it is told on its own clock.
"""

from __future__ import annotations

import logging
import threading
import weakref
from typing import Any, Optional, Protocol, Tuple, Union

import attrs

from ._clock import SYSTEM_CLOCK, Clock
from ._pace_stores import LocalStore, PaceRecord, PaceStore, open_store, pace_name
from ._pace_stores._record import WINDOW_MARKS

log = logging.getLogger("synap_sync")

INTERACTIVE = "interactive"
BULK = "bulk"
LANES = (INTERACTIVE, BULK)

#: The opening: sends that may be on their way at once; after this many accepted, the opening is over;
#: nothing heard for this long ends it too. (Simulated fleets of 2 to 32 workers: two in flight paid the
#: fewest 429s; four or a number doubling each round trip met the limit with more in flight.)
OPENING_IN_FLIGHT = 2
OPENING_ACCEPTED = 16
OPENING_PATIENCE_SECONDS = 5.0
FIRST_PROBE_GAP_SECONDS = 0.01
#: Probing never spaces sends further apart than this (nor than the service's Retry-After).
MAX_PROBE_GAP_SECONDS = 1.0
#: A probe unanswered for this long is taken as lost, and the next one may go.
PROBE_PATIENCE_SECONDS = 5.0
#: Callers waiting for a probe's answer look again at least this often (real seconds).
_WAIT_SECONDS = 0.25
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
#: Interactive calls within this long mean "being made": bulk then leaves them their share.
ACTIVE_SECONDS = 2.0
#: A bulk caller takes a slot this close ahead (its sleep may wake it a little early).
BULK_LOOKAHEAD_SECONDS = 0.002
#: An interactive caller books a slot at most this far ahead, and comes back for a later one: slots
#: handed out far ahead would all go at the pace they were booked at, however the 429s changed it since.
BOOK_AHEAD_SECONDS = 0.25
#: An answer for a slot further than this from the store's "now" belongs to another store's clock.
ANSWER_HORIZON_SECONDS = 3600.0
#: Recent use is counted in windows of this many seconds.
WINDOW_SECONDS = 10.0
#: A process that never meets a 429 tells the store its recent use at most this often.
FLUSH_SECONDS = 1.0


class Wait:
    """`Pacer.reserve`'s answer when no slot may be taken yet: ask again ``until`` then (the store's
    time), or, while a probe is out, as soon as it is answered (``until`` None)."""

    __slots__ = ("until",)

    def __init__(self, until: Optional[float] = None) -> None:
        self.until = until


WAIT = Wait()

Slot = Union[float, None, Wait]


class Pace(Protocol):
    """What the transport asks of a pace: a `Pacer`, or one kept on a cluster's scheduler."""

    #: Requests per second now paced at; None while unpaced or probing.
    rate: Optional[float]

    def acquire(self, latest: Optional[float] = None, lane: str = INTERACTIVE, share: float = 0.0) -> Optional[float]:
        ...

    def next_slot_in(self) -> float: ...

    def accepted(self, sent_at: float) -> None: ...

    def throttled(self, sent_at: float, retry_after: Optional[float] = None) -> None: ...

    def unanswered(self, sent_at: float) -> None: ...


@attrs.frozen
class PaceStatus:
    """What a key's pace knows now (``client.pace()``, ``synap-sync pace``): where it is kept, the rate it
    paces at (None: unpaced, the service never answered 429), whether it is probing for the limit, and
    the recent use: requests per second by lane, and 429s, over the last ten seconds or so."""

    #: Where the pace is kept: ``"this process"``, ``"the host file /run/user/1000/synap-sync/pace-…"``
    #: or the Redis URL (a password shown as ``***``).
    store: str
    #: Requests per second the key is paced at; None: unpaced (no 429 yet) or probing.
    rate: Optional[float]
    #: Looking for the limit after the first 429: one request at a time.
    probing: bool
    #: The ``max_requests_per_second`` this client was told (it names a pace of its own), or None.
    ceiling: Optional[float]
    #: Requests per second of calls made directly, of every process sharing the pace.
    interactive_per_second: float
    #: Requests per second of ``ingest`` and other bulk work, of every process sharing the pace.
    bulk_per_second: float
    #: 429s per second, over the same window.
    throttled_per_second: float
    #: 429s since the pace was made (reset by a reboot for a host file, after a week unused in Redis).
    throttled_total: int
    #: Seconds since the last 429, None if none came.
    last_throttled_seconds_ago: Optional[float]


class Pacer:
    """Hands each send a slot on its key's schedule, kept in ``store``; thread-safe.

    :param max_rate: a ceiling (the key's known limit): the pace never goes over it, and starts at it.
    :param clock: what the caller sleeps on; the store keeps its own time.
    :param store: where the pace is kept; this process only when None.
    """

    def __init__(
        self, max_rate: Optional[float] = None, clock: Clock = SYSTEM_CLOCK, store: Optional[PaceStore] = None
    ) -> None:
        self.max_rate = max_rate
        self.clock = clock
        self.store: PaceStore = store if store is not None else LocalStore(clock)
        #: Requests per second last seen paced at; None while unpaced or probing.
        self.rate: Optional[float] = max_rate
        self._lock = threading.Lock()
        #: Sends made while the key was quiet, by lane, not yet told to the store.
        self._unflushed = [0, 0]
        self._flushed_at = float("-inf")
        if max_rate is not None:
            self.store.update(self._start_paced)

    @property
    def probing(self) -> bool:
        return bool(self.store.update(lambda record, now: record.probe_gap))

    # --- taking slots -------------------------------------------------------------------------------

    def acquire(self, latest: Optional[float] = None, lane: str = INTERACTIVE, share: float = 0.0) -> Optional[float]:
        """Wait for this send's slot; returns the slot's time (the store's), to be passed back with the answer.

        :param latest: a slot after this clock time is no use to the caller (its deadline): then
            nothing is reserved and None is returned as soon as that is known.
        :param lane: ``interactive`` (books the next slot) or ``bulk`` (takes a slot only when it is free).
        :param share: the part of the pace bulk leaves to interactive calls while they are being made.
        """
        if self.max_rate is None and self.store.quiet():
            return self._unpaced(lane)
        while True:
            local = self.clock.now()
            answer = self.store.update(lambda record, now: (self._reserve(record, now, lane, share), now))
            slot, store_now = answer
            within = None if latest is None else latest - local  # seconds the caller can still wait
            if isinstance(slot, Wait):
                if slot.until is None:  # a probe is out: its answer decides
                    if within is not None and within <= 0:
                        return None
                    self.store.wait_for_change(_WAIT_SECONDS if within is None else min(_WAIT_SECONDS, within))
                    continue
                wait = slot.until - store_now
                if within is not None and wait > within:
                    return None
                self.clock.sleep(wait)
                continue
            if slot is None:
                return None
            wait = slot - store_now
            if within is not None and wait > within:
                self.store.update(_giving_back(slot))
                return None
            if wait > 0:
                self.clock.sleep(wait)
            return slot

    def reserve(
        self, latest: Optional[float] = None, now: Optional[float] = None, lane: str = INTERACTIVE, share: float = 0.0
    ) -> Slot:
        """The decision behind `acquire`, without waiting: a slot, None if it would fall after ``latest``,
        or a `Wait`. ``now`` is ignored when the store keeps its own time (it is the caller's reading
        of the same clock for a store of this process)."""
        return self.store.update(lambda record, store_now: self._decide(record, store_now, latest, lane, share))

    def reserve_within(self, seconds: Optional[float]) -> Tuple[Slot, float]:
        """`reserve` for a caller that waits elsewhere (a worker of a cluster, which sleeps on its own): a
        slot no later than ``seconds`` from now (None: any), and the store's time it was made at."""

        def decide(record: PaceRecord, now: float) -> Tuple[Slot, float]:
            return self._decide(record, now, None if seconds is None else now + seconds, INTERACTIVE, 0.0), now

        return self.store.update(decide)

    def _unpaced(self, lane: str) -> float:
        """A send while the key is quiet: no slot to book, only counted, and told to the store now and then."""
        now = self.store.now()
        with self._lock:
            self._unflushed[lane == BULK] += 1
            due = now - self._flushed_at >= FLUSH_SECONDS
            if due:
                counts, self._unflushed, self._flushed_at = self._unflushed, [0, 0], now
        if due:
            self.store.update(lambda record, store_now: _count(record, store_now, counts))
        return now

    def _reserve(self, record: PaceRecord, now: float, lane: str, share: float) -> Slot:
        return self._decide(record, now, None, lane, share)

    def _decide(self, record: PaceRecord, now: float, latest: Optional[float], lane: str, share: float) -> Slot:
        _roll(record, now)
        if not record.opened:
            return _opening(record, now, lane)
        if record.probe_gap:
            if record.probe_out and now - record.probe_sent < PROBE_PATIENCE_SECONDS:
                return WAIT
            slot = max(now, record.next_slot)
            if latest is not None and slot > latest:
                return None
            record.probe_out, record.probe_sent = slot, now
            _note_send(record, lane, slot)
            return slot
        if not record.rate:
            _note_send(record, lane, now)
            return now
        self._raise_after_quiet(record, now)
        slot = max(now, record.next_slot)
        if lane == BULK:
            slot = max(slot, record.hold_bulk_until)
            kept = share > 0 and now - record.last_interactive < ACTIVE_SECONDS
            if kept:
                slot = max(slot, record.bulk_next)
            if slot > now + BULK_LOOKAHEAD_SECONDS:  # bulk books nothing ahead: it comes back when it is free
                return Wait(slot)
        if latest is not None and slot > latest:
            return None
        if slot > now + BOOK_AHEAD_SECONDS:  # a slot booked further ahead would keep a pace the 429s since changed
            return Wait(slot - BOOK_AHEAD_SECONDS)
        record.next_slot = slot + 1.0 / record.rate
        if lane == BULK and share > 0:
            record.bulk_next = slot + 1.0 / (record.rate * max(1.0 - share, 0.05))
        _note_send(record, lane, slot)
        return slot

    def next_slot_in(self) -> float:
        """Seconds until the schedule has a free slot (0 when unpaced)."""

        def wait(record: PaceRecord, now: float) -> float:
            if not record.probe_gap and not record.rate:
                return 0.0
            return max(0.0, record.next_slot - now)

        return float(self.store.update(wait))

    # --- answers ------------------------------------------------------------------------------------

    def accepted(self, sent_at: float) -> None:
        """The service accepted the request sent at ``sent_at`` (it took one of its tokens)."""
        if self.max_rate is None and self.store.quiet():
            return  # no 429 yet: nothing is measured
        self.store.update(lambda record, now: self._accepted(record, now, sent_at))

    def _accepted(self, record: PaceRecord, now: float, sent_at: float) -> None:
        if not record.opened:
            record.opening_out = max(record.opening_out - 1.0, 0.0)
            record.opening_accepted += 1
            record.opening_heard = now
            record.opened = float(record.opening_accepted >= OPENING_ACCEPTED)
            return
        if not record.marks or sent_at <= record.marks[0][0] or abs(now - sent_at) > ANSWER_HORIZON_SECONDS:
            return
        record.accepted += 1
        if record.probe_gap and sent_at == record.probe_out:  # the probe got through (not a send that was
            self._end_probing(record, sent_at)  # already on its way, unpaced, when the 429 came)
        self._seen(record)

    def unanswered(self, sent_at: float) -> None:
        """The request sent at ``sent_at`` got no answer (a network failure): if it was the probe,
        the next one may go."""
        if self.max_rate is None and self.store.quiet():
            return

        def forget(record: PaceRecord, now: float) -> None:
            if not record.opened:  # lost on its way: it no longer counts as in flight
                record.opening_out = max(record.opening_out - 1.0, 0.0)
                record.opening_heard = now
            elif record.probe_gap and record.probe_out == sent_at:
                record.probe_out = 0.0
                record.next_slot = max(record.next_slot, sent_at + record.probe_gap)

        self.store.update(forget)

    def throttled(self, sent_at: float, retry_after: Optional[float] = None) -> None:
        """The service answered 429 to the request sent at ``sent_at``."""
        change = self._throttled
        before, after, started = self.store.update(lambda record, now: change(record, now, sent_at, retry_after))
        if started:
            log.warning("the service answered 429: probing for its rate limit")
        elif before and after and after < before * 0.95:
            log.warning("pace lowered from %.1f to %.1f requests/s after a 429", before, after)

    def _throttled(
        self, record: PaceRecord, now: float, sent_at: float, retry_after: Optional[float]
    ) -> Tuple[float, float, bool]:
        if abs(now - sent_at) > ANSWER_HORIZON_SECONDS:
            return record.rate, record.rate, False
        _roll(record, now)
        record.last_throttle = now
        record.throttled_now += 1
        record.throttled_total += 1
        before = record.rate
        record.opened = 1.0
        if not record.marks:
            self._start_probing(record, sent_at, retry_after)
            self._after_throttle(record, now)
            return before, record.rate, bool(record.probe_gap)
        if record.probe_gap:
            if sent_at == record.probe_out:  # the probe was refused: the next goes a longer gap later
                record.probe_gap = min(record.probe_gap * 2, record.probe_cap)
                record.next_slot = sent_at + record.probe_gap
                record.probe_out = 0.0
                record.probe_refused = sent_at
            return before, record.rate, False
        if record.raised:
            # The pace was raised after a quiet spell, in which the bucket may have filled and
            # spilled tokens the count cannot see: measure afresh from this empty-bucket moment.
            record.marks, record.raised = [(sent_at, record.accepted)], 0.0
        elif sent_at > record.marks[0][0]:
            gained = record.accepted - record.marks[0][1]
            estimate = (gained + 1) / (sent_at - record.marks[0][0])
            # Over a handful of requests the count is noise: let it raise the pace, and lower it by
            # half at most (a low pace is slow to recover from; a pace far too high, as the fast end of
            # probing's bracket can be, costs a 429 for most requests until it comes down).
            if gained >= MIN_GAINED or estimate > record.rate:
                record.rate = self._bounded(estimate)
            else:
                record.rate = self._bounded(max(estimate, record.rate / 2))
            record.marks = [*record.marks, (sent_at, record.accepted)][-WINDOW_MARKS:]
        self._after_throttle(record, now)
        return before, record.rate, False

    def _after_throttle(self, record: PaceRecord, now: float) -> None:
        record.ramping = 0.0
        if record.rate:
            record.next_slot = max(record.next_slot, now + 1.0 / record.rate)
            record.hold_bulk_until = max(record.hold_bulk_until, now + 1.0 / record.rate)  # bulk gives way first
        self._seen(record)

    def _start_paced(self, record: PaceRecord, now: float) -> None:
        """Told the limit: the pace starts at it (when nothing has been learned yet), with no opening."""
        record.opened = 1.0
        if not record.rate and not record.probe_gap:
            record.rate = float(self.max_rate)  # type: ignore[arg-type]
        elif record.rate:
            record.rate = self._bounded(record.rate)
        self._seen(record)

    def _start_probing(self, record: PaceRecord, sent_at: float, retry_after: Optional[float]) -> None:
        record.marks = [(sent_at, record.accepted)]
        if record.rate:  # told the limit (or learned it before): no need to probe for it
            return
        record.probe_gap = min(FIRST_PROBE_GAP_SECONDS, retry_after or FIRST_PROBE_GAP_SECONDS)
        record.probe_cap = max(record.probe_gap, min(retry_after or MAX_PROBE_GAP_SECONDS, MAX_PROBE_GAP_SECONDS))
        record.next_slot = sent_at + record.probe_gap
        record.probe_out = record.probe_refused = 0.0

    def _end_probing(self, record: PaceRecord, sent_at: float) -> None:
        """A probe got through: the bucket gained a token since the last probe before it was refused,
        so a token takes at most ``sent_at - mark`` and at least ``that probe - mark``; start at the
        fast end."""
        mark = record.marks[0][0]
        refused = record.probe_refused if mark < record.probe_refused < sent_at else sent_at
        # If the very first probe got through, the bracket has no fast end: start from the slow one.
        token_seconds = max(refused - mark, 1e-3)
        record.probe_gap = record.probe_out = record.probe_refused = 0.0
        record.rate = self._bounded(1.0 / token_seconds)
        record.next_slot = sent_at + 1.0 / record.rate  # not later probe slots: they were for probing
        record.ramping = 1.0

    def _raise_after_quiet(self, record: PaceRecord, now: float) -> None:
        """No 429 for a long while: the pace may be under the limit (or the limit was raised)."""
        if not record.rate or not record.marks or (self.max_rate is not None and record.rate >= self.max_rate):
            return
        if record.ramping:  # no 429 since probing: the first guess may be low, so rise quickly
            quiet, factor = RAMP_SECONDS, RAMP_FACTOR
        else:  # once raised, rise again every QUIET_SECONDS until a 429
            span = 0.0 if record.raised else record.last_throttle - record.marks[0][0]
            quiet, factor = min(max(QUIET_SECONDS, QUIET_SPANS * span), MAX_QUIET_SECONDS), RAISE_FACTOR
        if now - record.last_throttle > quiet and now - record.last_raise > quiet:
            record.last_raise = now
            record.raised = 1.0
            record.rate = self._bounded(record.rate * factor)

    def _bounded(self, rate: float) -> float:
        rate = max(rate, SLOWEST_RATE)
        return min(rate, self.max_rate) if self.max_rate is not None else rate

    def _seen(self, record: PaceRecord) -> None:
        """Keep the rate just read for the callers that show it (no store round trip for them)."""
        self.rate = record.rate if record.rate and not record.probe_gap else None

    # --- status -------------------------------------------------------------------------------------

    def status(self) -> PaceStatus:
        """What the pace knows now, as every process sharing it sees it."""
        with self._lock:
            counts, self._unflushed, self._flushed_at = self._unflushed, [0, 0], self.store.now()
        return self.store.update(lambda record, now: self._status(record, now, counts))

    def _status(self, record: PaceRecord, now: float, counts: Any) -> PaceStatus:
        _count(record, now, counts)
        seconds = max(now - record.window_start, 0.0) + (WINDOW_SECONDS if record.window_start else 0.0)
        seconds = max(seconds, 1.0)
        last = record.last_throttle
        return PaceStatus(
            store=self.store.description,
            rate=record.rate if record.rate and not record.probe_gap else None,
            probing=bool(record.probe_gap),
            ceiling=self.max_rate,
            interactive_per_second=(record.interactive_now + record.interactive_before) / seconds,
            bulk_per_second=(record.bulk_now + record.bulk_before) / seconds,
            throttled_per_second=(record.throttled_now + record.throttled_before) / seconds,
            throttled_total=int(record.throttled_total),
            last_throttled_seconds_ago=None if last == float("-inf") else max(now - last, 0.0),
        )


def _giving_back(slot: float) -> Any:
    """The change that frees a slot booked for a caller that will not use it (its deadline comes first),
    when it is still the last one booked."""

    def give_back(record: PaceRecord, now: float) -> None:
        if record.rate and abs(record.next_slot - (slot + 1.0 / record.rate)) < 1e-9:
            record.next_slot = slot

    return give_back


def _opening(record: PaceRecord, now: float, lane: str) -> Slot:
    """A send in the opening: now, if fewer than `OPENING_IN_FLIGHT` are on their way (else wait for an
    answer); the opening ends when nothing was heard for a while."""
    if record.opening_out and now - record.opening_heard > OPENING_PATIENCE_SECONDS:
        record.opened = 1.0  # the answers are slow (or lost with a killed process): stop waiting for them
    elif record.opening_out >= OPENING_IN_FLIGHT:
        return WAIT
    record.opening_out += 1
    record.opening_heard = now
    _note_send(record, lane, now)
    return now


def _note_send(record: PaceRecord, lane: str, slot: float) -> None:
    if lane == BULK:
        record.bulk_now += 1
    else:
        record.interactive_now += 1
        record.last_interactive = slot


def _count(record: PaceRecord, now: float, counts: Any) -> None:
    _roll(record, now)
    record.interactive_now += counts[0]
    record.bulk_now += counts[1]
    if counts[0]:
        record.last_interactive = max(record.last_interactive, now)


def _roll(record: PaceRecord, now: float) -> None:
    """Move the use counts on to a new ten-second window when the current one is over."""
    elapsed = now - record.window_start
    if 0 <= elapsed < WINDOW_SECONDS and record.window_start:
        return
    if record.window_start and 0 <= elapsed < 2 * WINDOW_SECONDS:
        record.interactive_before, record.bulk_before = record.interactive_now, record.bulk_now
        record.throttled_before = record.throttled_now
    else:
        record.interactive_before = record.bulk_before = record.throttled_before = 0.0
    record.interactive_now = record.bulk_now = record.throttled_now = 0.0
    record.window_start = now


#: Paces by (pace name, store URL, clock), for the clients of this process: the service limits the key,
#: not the client object.
_SHARED: "weakref.WeakValueDictionary[Tuple[str, Optional[str], int], Pacer]" = weakref.WeakValueDictionary()
_SHARED_LOCK = threading.Lock()


def shared_pace(
    base_url: str,
    api_key: str,
    max_rate: Optional[float] = None,
    clock: Clock = SYSTEM_CLOCK,
    pace_url: Optional[str] = None,
) -> Pacer:
    """This process's pace for the key at the URL, kept where ``pace_url`` says (this host's file by
    default), made on first use; never holds the key itself. Clients told a ceiling share the pace of
    that ceiling (another ceiling, or none, keeps its own)."""
    name = pace_name(base_url, api_key, max_rate)
    key = (name, pace_url, id(clock))
    with _SHARED_LOCK:
        pace = _SHARED.get(key)
        if pace is None or pace.clock is not clock:
            store = open_store(pace_url, name, clock)
            pace = Pacer(max_rate, clock, store)
            _SHARED[key] = pace
            log.info("the pace for %s is kept in %s", base_url, store.description)
    return pace


def forget_shared_paces() -> None:
    """In a child just forked: the parent's paces (their files opened by the parent, a lock another thread
    may have held) are not this process's; each client of the child opens its own."""
    global _SHARED_LOCK
    _SHARED_LOCK = threading.Lock()
    _SHARED.clear()
