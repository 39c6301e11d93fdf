"""A shared store with a fallback: calls go on under a store nearer at hand (the host's file, or this
process) while the shared one cannot be used (one warning), and come back to it when it can (one line at
INFO). Nothing fails for it.

Redis keeps time by its own clock, a host store by the machine's since boot: an answer for a slot the
other one gave is decades away from this one's "now", and the pace ignores it (see `synap_sync._pace`),
so a switch never mixes them up. A host file and this process share the machine's clock."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Optional, TypeVar

from ._file import StoreUnavailable
from ._record import PaceRecord

__all__ = ["FallbackStore"]

log = logging.getLogger("synap_sync")

Result = TypeVar("Result")

#: While the shared store is down, it is tried again this often.
RETRY_SECONDS = 5.0


class FallbackStore:
    """``primary`` while it works; the store ``make_fallback()`` makes while it does not."""

    def __init__(self, primary: Any, make_fallback: Callable[[], Any]) -> None:
        self.primary = primary
        self._make_fallback = make_fallback
        self._fallback: Optional[Any] = None
        self._down_since: Optional[float] = None
        self._tried_at = 0.0
        self._lock = threading.Lock()

    @property
    def description(self) -> str:
        if self._down_since is None:
            return str(self.primary.description)
        return f"{self._backup().description} ({self.primary.description} cannot be reached)"

    @property
    def shared(self) -> bool:
        """True while the shared store is used."""
        return self._down_since is None

    def update(self, change: Callable[[PaceRecord, float], Result]) -> Result:
        if self._down_since is None or time.monotonic() - self._tried_at >= RETRY_SECONDS:
            self._tried_at = time.monotonic()
            try:
                result: Result = self.primary.update(change)
            except StoreUnavailable as error:
                self._went_down(error)
            else:
                self._came_back()
                return result
        return self._backup().update(change)  # type: ignore[no-any-return]

    def quiet(self) -> bool:
        store = self.primary if self._down_since is None else self._backup()
        return bool(store.quiet())

    def now(self) -> float:
        return float((self.primary if self._down_since is None else self._backup()).now())

    def wait_for_change(self, seconds: float) -> None:
        (self.primary if self._down_since is None else self._backup()).wait_for_change(seconds)

    def _backup(self) -> Any:
        with self._lock:
            if self._fallback is None:
                self._fallback = self._make_fallback()
            return self._fallback

    def _went_down(self, error: StoreUnavailable) -> None:
        with self._lock:
            first = self._down_since is None
            if first:
                self._down_since = time.monotonic()
        if first:
            log.warning(
                "the shared pace cannot be used (%s): pacing on %s until it is back; nothing fails for it",
                error,
                self._backup().description,
            )

    def _came_back(self) -> None:
        with self._lock:
            was_down, self._down_since = self._down_since is not None, None
        if was_down:
            log.info("the shared pace at %s is back: pacing on it again", self.primary.description)

    def close(self) -> None:
        self.primary.close()
        if self._fallback is not None:
            self._fallback.close()
