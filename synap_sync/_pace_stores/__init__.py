"""Where a key's pace lives, behind one small interface the pace's algorithm uses without knowing which
store it is (as ``limits`` keeps its storage apart from its strategies):

- ``update(change)``: run ``change(record, now)`` on the key's `PaceRecord` atomically, with ``now`` on
  the store's clock, and keep what it changed; returns what ``change`` returns;
- ``quiet()``: whether the key has never been paced or throttled (read without a lock where the store
  can, so an unthrottled send costs nothing), and ``now()``, the store's time, for such a send's slot;
- ``wait_for_change(seconds)``: wait a little for another caller's change (a probe's answer);
- ``close()``.

Three stores: this process (`LocalStore`), a file every process of the user on the host shares (the
default: `FileStore`), and Redis for several hosts (`RedisStore`). A store holds a few numbers per key,
never the key: it is named by a hash of the key and the base URL. `open_store` picks one from a pace
URL (``local``, ``file://DIR``, ``redis://...``); a shared store that cannot be used falls back to the
host's (`FallbackStore`), with one warning, and returns to the shared one when it can.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Callable, Optional, Protocol, Set, TypeVar

from .._clock import SYSTEM_CLOCK, Clock
from .._urls import shown
from ..models import refuse
from ._fallback import FallbackStore
from ._file import FileStore, StoreUnavailable, runtime_directory
from ._local import LocalStore
from ._record import PaceRecord

__all__ = [
    "PaceStore",
    "PaceRecord",
    "LocalStore",
    "FileStore",
    "FallbackStore",
    "StoreUnavailable",
    "open_store",
    "pace_name",
    "check_pace_url",
]

log = logging.getLogger("synap_sync")

Result = TypeVar("Result")


class PaceStore(Protocol):
    @property
    def description(self) -> str:
        """Where the pace lives, for logs and status (never a password)."""


    def update(self, change: Callable[[PaceRecord, float], Result]) -> Result: ...

    def quiet(self) -> bool: ...

    def now(self) -> float: ...

    def wait_for_change(self, seconds: float) -> None: ...

    def close(self) -> None: ...


def pace_name(base_url: str, api_key: str, ceiling: Optional[float]) -> str:
    """The name a key's pace is kept under: a hash of the key, the base URL and the ceiling it is paced
    under (clients told another ceiling keep a pace of their own), never the key."""
    text = f"synap-sync pace\n{base_url}\n{api_key}\n{ceiling!r}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def check_pace_url(pace_url: str) -> str:
    """``local``, ``file://DIRECTORY`` or a Redis URL; anything else refused, naming ``pace_url``."""
    if not isinstance(pace_url, str) or not pace_url.strip():
        raise refuse("pace_url", f"must be 'local', 'file://DIRECTORY' or a redis:// URL, got {pace_url!r}")
    url = pace_url.strip()
    if url == "local" or url.startswith(("file://", "redis://", "rediss://", "unix://")):
        return url
    raise refuse(
        "pace_url", f"must be 'local', 'file://DIRECTORY' or a redis:// URL, got {shown(url)!r}"
    )


def open_store(pace_url: Optional[str], name: str, clock: Clock = SYSTEM_CLOCK) -> PaceStore:
    """The store ``pace_url`` names for the pace called ``name``: None for this host's file (the default),
    ``local`` for this process, ``file://DIR`` for a file in DIR, ``redis://...`` for Redis (the host's
    file when Redis cannot be reached). A test's clock always gets this process's store."""
    if clock is not SYSTEM_CLOCK or pace_url == "local":
        return LocalStore(clock)
    if pace_url is not None and pace_url.startswith(("redis://", "rediss://", "unix://")):
        from ._redis import RedisStore  # only where Redis is asked for: redis-py is an extra

        return FallbackStore(RedisStore(pace_url, name), lambda: _host_store(None, name, clock))
    return _host_store(pace_url, name, clock)


def _host_store(pace_url: Optional[str], name: str, clock: Clock) -> PaceStore:
    """This host's file for the pace, or this process's pace (with one warning) where no file can be kept."""
    directory = pace_url[len("file://") :] if pace_url else None
    try:
        # A file that stops working (a forked child cannot open it again) leaves the process its own pace.
        return FallbackStore(FileStore(directory or runtime_directory(), name), lambda: LocalStore(clock))
    except StoreUnavailable as error:
        _warn_once(f"the pace cannot be shared between this host's processes ({error}); each process keeps its own")
        return LocalStore(clock)


_WARNED: Set[str] = set()


def _warn_once(message: str) -> None:
    """One warning a process, however many clients meet the same trouble."""
    if message not in _WARNED:
        _WARNED.add(message)
        log.warning(message)
