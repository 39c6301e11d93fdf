"""The shared send schedule, on a simulated clock: deterministic, no real waiting."""

from __future__ import annotations

import threading
import time
from typing import List, Optional

import pytest

from synap_sync._pace import OPENING_ACCEPTED, OPENING_IN_FLIGHT, OPENING_PATIENCE_SECONDS, WAIT, Pacer
from synap_sync.testing import FakeClock

from .pacer_simulation import simulate


def test_unpaced_until_the_first_429() -> None:
    clock = FakeClock(100.0)
    pacer = Pacer(clock=clock)
    for _ in range(50):
        pacer.accepted(pacer.acquire())
    assert clock.sleeps == [] and pacer.rate is None


def test_a_new_key_opens_with_two_sends_at_a_time_until_sixteen_are_accepted() -> None:
    clock = FakeClock(100.0)
    pacer = Pacer(clock=clock)
    first = [pacer.reserve() for _ in range(OPENING_IN_FLIGHT)]
    assert first == [100.0] * OPENING_IN_FLIGHT and pacer.reserve() is WAIT  # a third waits for an answer
    for answered in range(OPENING_ACCEPTED - 1):
        pacer.accepted(100.0)
        assert pacer.reserve() == 100.0 and pacer.reserve() is WAIT, answered
    assert not pacer.store.quiet()
    pacer.accepted(100.0)  # the 16th: the limit, if any, is far off
    assert pacer.store.quiet() and [pacer.reserve() for _ in range(40)] == [100.0] * 40


def test_a_429_in_the_opening_ends_it_and_one_probe_goes() -> None:
    clock = FakeClock(100.0)
    pacer = Pacer(clock=clock)
    sent = [pacer.reserve() for _ in range(OPENING_IN_FLIGHT)]
    pacer.accepted(sent[0])
    pacer.throttled(sent[1], retry_after=1)
    assert pacer.probing and pacer.reserve() == pytest.approx(100.01) and pacer.reserve() is WAIT


def test_a_send_lost_in_the_opening_frees_its_place() -> None:
    clock = FakeClock(100.0)
    pacer = Pacer(clock=clock)
    sent = [pacer.reserve() for _ in range(OPENING_IN_FLIGHT)]
    assert pacer.reserve() is WAIT
    pacer.unanswered(sent[0])  # a network failure: it is no longer on its way
    assert pacer.reserve() == 100.0 and pacer.reserve() is WAIT


def test_an_opening_that_hears_nothing_for_a_while_ends() -> None:
    clock = FakeClock(100.0)
    pacer = Pacer(clock=clock)
    [pacer.reserve() for _ in range(OPENING_IN_FLIGHT)]  # their process killed: no answer will come
    clock.time += OPENING_PATIENCE_SECONDS - 0.1
    assert pacer.reserve() is WAIT
    clock.time += 0.2
    assert pacer.reserve() == clock.time and pacer.store.quiet()  # unpaced, as before there was an opening


def test_told_the_limit_there_is_no_opening() -> None:
    clock = FakeClock(100.0)
    pacer = Pacer(max_rate=1000, clock=clock)
    assert [pacer.reserve() for _ in range(3)] == pytest.approx([100.0, 100.001, 100.002])


def test_a_hint_spaces_every_send_and_is_never_exceeded() -> None:
    clock = FakeClock(100.0)
    pacer = Pacer(max_rate=10, clock=clock)
    slots = [pacer.acquire() for _ in range(30)]
    gaps = [later - earlier for earlier, later in zip(slots, slots[1:])]
    assert min(gaps) == pytest.approx(0.1)
    clock.time += 60  # a long quiet spell must not lift the pace over the hint
    later = [pacer.acquire() for _ in range(5)]
    assert min(b - a for a, b in zip(later, later[1:])) == pytest.approx(0.1)


def test_a_429_stops_the_stampede_one_probe_goes_and_the_others_wait_for_its_answer() -> None:
    clock = FakeClock(100.0)
    pacer = Pacer(clock=clock)
    for _ in range(5):
        pacer.accepted(pacer.acquire())
    pacer.throttled(clock.time, retry_after=1)
    probe = pacer.reserve()
    assert probe == pytest.approx(100.01)
    assert [pacer.reserve() for _ in range(3)] == [WAIT, WAIT, WAIT]
    clock.time = 100.02
    pacer.throttled(probe)  # refused: the next probe goes twice as far from it
    assert pacer.reserve() == pytest.approx(100.03)


def test_callers_blocked_on_a_probe_go_as_soon_as_it_is_answered() -> None:
    clock = FakeClock(100.0)
    pacer = Pacer(clock=clock)
    pacer.throttled(clock.time)
    probe = pacer.acquire()
    assert probe is not None
    slots: List[Optional[float]] = []
    waiting = threading.Thread(target=lambda: slots.append(pacer.acquire()))
    waiting.start()
    waiting.join(0.1)
    assert waiting.is_alive() and slots == []  # no send while the probe is out
    clock.time = probe + 0.005
    pacer.accepted(probe)  # through: probing ends, the pace is set, the waiting caller gets a slot
    waiting.join(5)
    assert not waiting.is_alive() and slots[0] is not None and slots[0] > probe


def test_a_waiting_caller_gives_up_at_its_deadline() -> None:
    pacer = Pacer()  # the real clock: the wait is real, and short
    pacer.throttled(time.monotonic())
    assert pacer.acquire() is not None  # the probe, never answered
    assert pacer.acquire(latest=time.monotonic() + 0.05) is None


def test_the_limit_is_measured_between_429s() -> None:
    clock = FakeClock(100.0)
    pacer = Pacer(clock=clock)
    pacer.throttled(clock.time)  # the bucket is empty now
    first = pacer.acquire()
    clock.time += 0.05
    pacer.accepted(first)  # a probe got through: measuring starts
    for _ in range(40):  # 40 accepted in the next 2 seconds, then a 429
        clock.time += 0.05
        pacer.accepted(clock.time)
    pacer.throttled(clock.time)
    span = clock.time - 100.0
    assert pacer.rate == pytest.approx((41 + 1) / span)


@pytest.mark.parametrize(
    "rate, burst, workers",
    [(20, 5, 4), (20, 5, 1), (20, 5, 8), (20, 5, 32), (100, 10, 4), (100, 50, 32), (10, 50, 4)],
)
def test_learned_pace_is_near_the_limit_with_few_429s(rate: float, burst: int, workers: int) -> None:
    run = simulate(rate=rate, burst=burst, workers=workers, batches=int(rate * 40) + burst)
    assert run.efficiency >= 0.9
    assert run.throttled / run.requests < 0.05


def test_a_pace_far_too_high_comes_down_by_half_at_each_429_however_few_got_through() -> None:
    clock = FakeClock(100.0)
    pacer = Pacer(clock=clock)
    pacer.throttled(100.0)
    probe = pacer.reserve()
    pacer.accepted(probe)  # through at once: the token may have been due just then
    assert pacer.rate == pytest.approx(100.0)
    clock.time = 100.1
    pacer.accepted(pacer.reserve())
    pacer.throttled(100.2)  # 2 through in 0.2 s: too few to measure by, enough to say 100/s is too fast
    assert pacer.rate == pytest.approx(50.0)
    pacer.throttled(100.3)
    assert pacer.rate == pytest.approx(25.0)
    pacer.throttled(100.31)
    assert pacer.rate == pytest.approx(12.5)
    pacer.throttled(100.32)  # half would be 6.25: never lower than what was counted, (2 + 1) / 0.32 s
    assert pacer.rate == pytest.approx(3 / 0.32)


def test_told_the_limit_it_gets_within_3_percent_and_never_goes_over() -> None:
    run = simulate(rate=20, burst=5, hint=20)
    assert run.efficiency >= 0.97
    assert run.throttled == 0
    assert all(later - earlier >= 0.05 - 1e-9 for earlier, later in zip(run.send_times, run.send_times[1:]))


@pytest.mark.parametrize("seed", range(5))
def test_network_jitter_does_not_fool_the_measurement(seed: int) -> None:
    run = simulate(rate=20, burst=5, jitter=0.003, seed=seed)
    assert run.efficiency >= 0.9 and run.throttled / run.requests < 0.05


@pytest.mark.parametrize("seed", range(3))
def test_a_fast_limit_with_jitter_is_still_reached(seed: int) -> None:
    run = simulate(rate=100, burst=10, batches=4_000, jitter=0.005, seed=seed)
    assert run.efficiency >= 0.9 and run.throttled / run.requests < 0.05


def test_a_raised_limit_is_found_again() -> None:
    # 20/s for 10 s, then 40/s: 200 + 1,200 requests take 10 + 30 s at best.
    run = simulate(rate=20, burst=5, batches=1_400, new_rate_at=(10.0, 40.0))
    assert run.seconds < 40 / 0.75


def test_a_lowered_limit_is_followed_down_without_a_storm_of_429s() -> None:
    # 40/s for 10 s, then 20/s: 400 + 600 requests take 10 + 30 s at best.
    run = simulate(rate=40, burst=5, batches=1_000, new_rate_at=(10.0, 20.0))
    assert run.seconds < 40 / 0.9
    assert run.throttled / run.requests < 0.05


def test_a_slow_round_trip_does_not_fool_the_measurement() -> None:
    run = simulate(rate=20, burst=5, round_trip=0.05)
    assert run.efficiency >= 0.9 and run.throttled / run.requests < 0.05


def test_what_is_kept_of_a_pace_stays_the_same_size_over_weeks_of_answers() -> None:
    from synap_sync._pace_stores._record import RECORD_SIZE

    clock = FakeClock(100.0)
    pacer = Pacer(max_rate=1000.0, clock=clock)
    sizes = set()
    for call in range(50_000):
        clock.time += 0.001
        if call % 997 == 0:
            pacer.throttled(clock.time)
        else:
            pacer.accepted(clock.time)
        if call % 5_000 == 0:
            sizes.add(len(pacer.store.update(lambda record, now: record.pack())))
    assert sizes == {RECORD_SIZE}


def test_the_measurement_counts_every_request_accepted_since_the_mark() -> None:
    clock = FakeClock(100.0)
    pacer = Pacer(clock=clock)
    pacer.throttled(clock.time)
    first = pacer.acquire()
    clock.time += 0.001
    pacer.accepted(first)
    accepted = 3 * 4096
    for _ in range(accepted):
        clock.time += 0.001
        pacer.accepted(clock.time)
    pacer.throttled(clock.time)
    assert pacer.rate == pytest.approx((accepted + 2) / (clock.time - 100.0))
