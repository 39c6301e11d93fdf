"""Interactive calls first: a bulk caller takes a slot only when it is free, gives way first after a 429,
and leaves interactive calls their share while they are being made; on a simulated clock."""

from __future__ import annotations

import pytest

from synap_sync._pace import BULK, INTERACTIVE, Pacer, Wait
from synap_sync._pace_stores._record import PaceRecord
from synap_sync.testing import FakeClock


def told(rate: float = 20.0) -> Pacer:
    return Pacer(max_rate=rate, clock=FakeClock(100.0))


def test_bulk_books_nothing_ahead_so_an_interactive_call_waits_at_most_one_slot() -> None:
    pacer = told(20.0)
    first = pacer.reserve(lane=BULK)
    assert first == pytest.approx(100.0)
    waiting = pacer.reserve(lane=BULK)  # the next slot is not free yet: bulk comes back for it
    assert isinstance(waiting, Wait) and waiting.until == pytest.approx(100.05)
    assert pacer.reserve(lane=INTERACTIVE) == pytest.approx(100.05)  # one slot behind bulk's, no more
    assert pacer.reserve(lane=INTERACTIVE) == pytest.approx(100.10)  # interactive calls queue, in order


def test_after_a_429_bulk_gives_way_and_interactive_calls_do_not_back_off() -> None:
    pacer = told(20.0)
    clock = pacer.clock
    sent = pacer.reserve(lane=BULK)
    clock.time += 0.01  # type: ignore[attr-defined]
    pacer.throttled(sent)  # type: ignore[arg-type]
    interactive = pacer.reserve(lane=INTERACTIVE)
    bulk = pacer.reserve(lane=BULK)
    assert isinstance(bulk, Wait) and isinstance(interactive, float) and bulk.until > interactive  # type: ignore[operator]


def test_with_a_share_bulk_leaves_it_to_interactive_calls_while_they_are_made_and_borrows_it_when_not() -> None:
    pacer = told(10.0)
    clock = pacer.clock
    pacer.reserve(lane=INTERACTIVE)  # interactive calls are being made
    slots = []
    for _ in range(6):
        answer = pacer.reserve(lane=BULK, share=0.5)
        if isinstance(answer, Wait):
            clock.time = answer.until  # type: ignore[attr-defined]
            continue
        slots.append(answer)
    gaps = [later - earlier for earlier, later in zip(slots, slots[1:])]
    assert gaps and min(gaps) == pytest.approx(0.2)  # half of 10/s: one slot in two is kept free
    clock.time += 5.0  # type: ignore[attr-defined]  # no interactive call for a while: the whole pace is bulk's
    idle = []
    while len(idle) < 4:
        answer = pacer.reserve(lane=BULK, share=0.5)
        if isinstance(answer, Wait):
            clock.time = answer.until  # type: ignore[attr-defined]
            continue
        idle.append(answer)
    assert min(later - earlier for earlier, later in zip(idle, idle[1:])) == pytest.approx(0.1)


def test_an_interactive_call_books_ahead_and_a_bulk_call_never_does() -> None:
    pacer = told(20.0)
    booked = [pacer.reserve(lane=INTERACTIVE) for _ in range(5)]
    assert booked[-1] == pytest.approx(100.2)
    late = pacer.reserve(lane=BULK)
    assert isinstance(late, Wait) and late.until == pytest.approx(100.25)


def test_an_interactive_call_books_at_most_a_quarter_second_ahead_and_comes_back_for_a_later_slot() -> None:
    """Slots booked far ahead would all go at the pace they were booked at, whatever a 429 taught since."""
    pacer = told(20.0)
    booked = [pacer.reserve(lane=INTERACTIVE) for _ in range(6)]
    assert booked[-1] == pytest.approx(100.25)
    later = pacer.reserve(lane=INTERACTIVE)
    assert isinstance(later, Wait) and later.until == pytest.approx(100.05)
    pacer.clock.time = 100.05  # type: ignore[attr-defined]
    assert pacer.reserve(lane=INTERACTIVE) == pytest.approx(100.30)


def test_a_bulk_caller_waits_on_its_own_clock_and_takes_the_slot_when_it_is_free() -> None:
    pacer = told(20.0)
    pacer.reserve(lane=INTERACTIVE)
    slot = pacer.acquire(lane=BULK)
    assert slot == pytest.approx(100.05) and pacer.clock.sleeps == [pytest.approx(0.05)]  # type: ignore[attr-defined]


def test_a_bulk_caller_past_its_deadline_gets_no_slot() -> None:
    pacer = told(1.0)
    pacer.reserve(lane=INTERACTIVE)
    assert pacer.acquire(latest=100.5, lane=BULK) is None  # the next free slot is at 101


def test_a_record_of_another_boot_or_damaged_is_read_as_new() -> None:
    record = PaceRecord(boot=7.0)
    record.rate, record.marks = 20.0, [(1.0, 2.0)]
    data = record.pack()
    assert PaceRecord.unpack(data, boot=7.0).rate == 20.0 and PaceRecord.unpack(data, boot=7.0).marks == [(1.0, 2.0)]
    fresh = PaceRecord(boot=8.0).pack()
    assert PaceRecord.unpack(data, boot=8.0).pack() == fresh
    assert PaceRecord.unpack(b"garbage" + data, boot=8.0).pack() == fresh
    assert PaceRecord.unpack(None, boot=8.0).pack() == fresh


def test_the_status_counts_each_lanes_recent_use_and_the_429s() -> None:
    pacer = told(20.0)
    pacer.reserve(lane=BULK)  # the slot is free: bulk takes it
    for _ in range(3):
        pacer.reserve(lane=INTERACTIVE)
    pacer.throttled(100.0)
    status = pacer.status()
    assert status.rate == 20.0 and status.throttled_total == 1 and status.ceiling == 20.0
    assert status.interactive_per_second > status.bulk_per_second > 0 and status.store == "this process"
