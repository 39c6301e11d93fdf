"""The pace in Redis, for processes on several hosts (``pace_url="redis://host:6379/0"``; the ``redis``
extra). One key per pace, ``synap-sync:pace:<hash>``, holding the record's bytes; times are Redis's own
clock (``TIME``), the same for every host. Each change is a compare-and-set by one Lua script: read the
record and the time, compute the change here, write it back only if nobody changed it meanwhile (else
compute again on what is there). The algorithm stays in one place; Redis keeps the numbers atomically.

Every Redis operation is bounded (half a second to connect or answer), so a Redis that dies slows no
call: the store says it is unavailable, and the caller falls back to the host's pace.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Tuple, Type, TypeVar

from .._urls import shown
from ._file import StoreUnavailable
from ._record import PaceRecord

__all__ = ["RedisStore"]

Result = TypeVar("Result")

#: Seconds to connect to Redis or to wait for its answer: a dead Redis costs a call no more.
REDIS_TIMEOUT_SECONDS = 0.5
#: A pace nobody used for this long is dropped by Redis.
KEEP_SECONDS = 7 * 24 * 3600
#: Tries at one change when others keep changing the record under it.
MAX_TRIES = 50
#: A quiet key (never throttled) is read again at most this often.
QUIET_SECONDS = 0.1

_READ = """
local record = redis.call('GET', KEYS[1])
local now = redis.call('TIME')
return {record or '', now[1], now[2]}
"""
_SWAP = """
local record = redis.call('GET', KEYS[1]) or ''
if record == ARGV[1] then
    redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
    return {1}
end
local now = redis.call('TIME')
return {0, record, now[1], now[2]}
"""


class RedisStore:
    """One key's pace in the Redis ``url`` names."""

    def __init__(self, url: str, name: str) -> None:
        try:
            import redis
        except ImportError:
            raise StoreUnavailable(
                "pace_url names Redis, and redis-py is not installed: pip install 'synap-sync[redis]'"
            ) from None
        self.description = shown(url)
        self._errors: Tuple[Type[BaseException], ...] = (redis.exceptions.RedisError, OSError)
        try:
            self._client = redis.Redis.from_url(
                url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
            )
        except (ValueError, *self._errors) as error:
            raise StoreUnavailable(f"{self.description}: {error}") from None
        self.key = f"synap-sync:pace:{name}"
        self._read = self._client.register_script(_READ)
        self._swap = self._client.register_script(_SWAP)
        self._quiet_until = 0.0
        #: Redis's clock less this machine's monotonic one, as last read: the store's "now" between reads.
        self._offset = 0.0

    def update(self, change: Callable[[PaceRecord, float], Result]) -> Result:
        try:
            held, now = self._fetch()
            for _ in range(MAX_TRIES):
                record = PaceRecord.unpack(held)
                result = change(record, now)
                changed = record.pack()
                self._note(record)
                if changed == held:
                    return result
                answer = self._swap(keys=[self.key], args=[held, changed, KEEP_SECONDS])
                if answer[0] == 1:
                    return result
                held, now = answer[1], _seconds(answer[2], answer[3])
        except self._errors as error:
            raise StoreUnavailable(f"{self.description}: {type(error).__name__}: {error}") from None
        raise StoreUnavailable(f"{self.description}: the pace changed under {MAX_TRIES} tries in a row")

    def _fetch(self) -> Tuple[bytes, float]:
        answer = self._read(keys=[self.key])
        now = _seconds(answer[1], answer[2])
        self._offset = now - time.monotonic()
        return answer[0], now

    def _note(self, record: PaceRecord) -> None:
        self._quiet_until = time.monotonic() + QUIET_SECONDS if record.quiet else 0.0

    def quiet(self) -> bool:
        """Quiet as last read, for at most `QUIET_SECONDS` (a 429 elsewhere is seen that much later)."""
        return time.monotonic() < self._quiet_until

    def now(self) -> float:
        """Redis's time, as this machine's clock carries it on from the last read."""
        return time.monotonic() + self._offset

    def wait_for_change(self, seconds: float) -> None:
        time.sleep(min(max(seconds, 0.0), 0.02))

    def close(self) -> None:
        try:
            self._client.close()
        except self._errors:
            pass


def _seconds(whole: Any, micro: Any) -> float:
    return int(whole) + int(micro) / 1e6

