"""What a store keeps of one key's pace: a few numbers, never the key. The pace's algorithm reads and
changes them (`synap_sync._pace`); the stores keep them, in a process, a file or Redis, as the fixed-size
bytes of `PaceRecord.pack`."""

from __future__ import annotations

import struct
from typing import List, Optional, Tuple

__all__ = ["PaceRecord", "WINDOW_MARKS", "RECORD_SIZE", "MAGIC"]

#: The measurement starts at the oldest of this many latest 429s (what the record keeps of them).
WINDOW_MARKS = 16
MAGIC = b"SYP2"
_FIELDS = (
    "rate",  # requests per second paced at; 0: unpaced
    "opened",  # the opening is over (1): with no rate and no 429 yet, sends then need no slot
    "opening_out",  # sends of the opening on their way
    "opening_accepted",  # sends of the opening accepted
    "opening_heard",  # the opening's latest send or answer (the store's time)
    "next_slot",  # the schedule's next free slot (a theoretical arrival time)
    "bulk_next",  # the bulk lane's own next slot, when a share is kept for interactive calls
    "hold_bulk_until",  # bulk waits until then after a 429: it gives way first
    "accepted",  # answers accepted since the record was made (the measurement counts their difference)
    "probe_gap",  # while probing: the gap after a refused probe; 0 when not probing
    "probe_cap",
    "probe_out",  # the probe awaiting its answer (its slot); 0 when none
    "probe_sent",  # when that probe went (the store's time), to give up waiting for its answer
    "probe_refused",  # the last probe refused: the fast end of the bracket a token's time is in
    "raised",  # the pace was raised after a quiet spell (1) or not (0)
    "ramping",  # no 429 since probing ended: the first guess may be low (1)
    "last_throttle",
    "last_raise",
    "last_interactive",  # the last interactive call's slot: interactive calls are being made
    "window_start",  # counts of the current ten seconds, and of the ten before
    "interactive_now",
    "bulk_now",
    "throttled_now",
    "interactive_before",
    "bulk_before",
    "throttled_before",
    "throttled_total",
    "boot",  # which boot of the machine the times belong to (a host file's times are since boot)
)
_HEAD = struct.Struct("<4s" + "d" * len(_FIELDS) + "B")
_MARK = struct.Struct("<dd")
RECORD_SIZE = _HEAD.size + WINDOW_MARKS * _MARK.size
#: A quiet record: the offsets of its ``rate``, ``opened`` and number of marks, read without a lock.
RATE_OFFSET = 4
OPENED_OFFSET = RATE_OFFSET + 8 * _FIELDS.index("opened")
MARKS_OFFSET = _HEAD.size - 1


class PaceRecord:
    """One key's pace, as numbers: the schedule, the learned rate, the latest 429s, recent use by lane."""

    __slots__ = (*_FIELDS, "marks")

    rate: float
    opened: float
    opening_out: float
    opening_accepted: float
    opening_heard: float
    next_slot: float
    bulk_next: float
    hold_bulk_until: float
    accepted: float
    probe_gap: float
    probe_cap: float
    probe_out: float
    probe_sent: float
    probe_refused: float
    raised: float
    ramping: float
    last_throttle: float
    last_raise: float
    last_interactive: float
    window_start: float
    interactive_now: float
    bulk_now: float
    throttled_now: float
    interactive_before: float
    bulk_before: float
    throttled_before: float
    throttled_total: float
    boot: float
    marks: List[Tuple[float, float]]

    def __init__(self, boot: float = 0.0) -> None:
        for name in _FIELDS:
            setattr(self, name, 0.0)
        self.last_throttle = self.last_raise = self.last_interactive = float("-inf")
        self.boot = boot
        #: The latest 429s, oldest first: (when sent, ``accepted`` when its answer came).
        self.marks: List[Tuple[float, float]] = []

    @property
    def quiet(self) -> bool:
        """Past the opening, never paced nor throttled: a send needs no slot (read often, without a lock,
        by stores that can)."""
        return bool(self.opened) and not self.rate and not self.marks

    def pack(self) -> bytes:
        head = _HEAD.pack(MAGIC, *(getattr(self, name) for name in _FIELDS), len(self.marks))
        marks = b"".join(_MARK.pack(*mark) for mark in self.marks)
        return (head + marks).ljust(RECORD_SIZE, b"\0")

    @classmethod
    def unpack(cls, data: Optional[bytes], boot: float = 0.0) -> "PaceRecord":
        """The record ``data`` holds; a new one for none, a damaged one, or one of another boot."""
        record = cls(boot)
        if not data or len(data) < RECORD_SIZE or data[:4] != MAGIC:
            return record
        values = _HEAD.unpack_from(data)
        if values[len(_FIELDS)] != boot:  # the times are since another boot: they mean nothing now
            return record
        for name, value in zip(_FIELDS, values[1:-1]):
            setattr(record, name, value)
        count = min(values[-1], WINDOW_MARKS)
        record.marks = [_MARK.unpack_from(data, _HEAD.size + n * _MARK.size) for n in range(count)]
        return record
