"""Holds the wait for a reply's status line and headers to the call's deadline.

A socket's timeout bounds each read, not their sum: a server that drips its headers a byte at a time,
each within the read timeout, would hold a call for as long as it liked. While a call waits for its
reply's head, its socket is watched; one thread shuts down any socket whose call's deadline has
passed, and the read fails at once. (The body is bounded by the transport as it reads it.)
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from typing import Any, Dict, Iterator, Optional, Tuple

from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

__all__ = ["WatchedAdapter", "reply_deadline"]


class _Watchdog:
    """One thread per process, shutting down the watched sockets whose time is up."""

    def __init__(self) -> None:
        self._condition = threading.Condition(threading.Lock())
        self._watched: Dict[int, Tuple[float, Any]] = {}
        self._next_token = 0
        self._wakes_at = float("inf")
        self._thread: Optional[threading.Thread] = None

    def watch(self, sock: Any, until: float) -> int:
        """Shut ``sock`` down at ``until`` (``time.monotonic`` seconds) unless `unwatch` comes first."""
        with self._condition:
            self._next_token += 1
            token = self._next_token
            self._watched[token] = (until, sock)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="synap-deadline-watchdog", daemon=True)
                self._thread.start()
            elif until < self._wakes_at:
                self._condition.notify()
            return token

    def unwatch(self, token: int) -> None:
        with self._condition:
            self._watched.pop(token, None)

    def _run(self) -> None:
        with self._condition:
            while True:
                now = time.monotonic()
                for token, (until, sock) in list(self._watched.items()):
                    if until <= now:
                        del self._watched[token]
                        with contextlib.suppress(OSError):
                            sock.shutdown(socket.SHUT_RDWR)
                self._wakes_at = min((until for until, _ in self._watched.values()), default=now + 3600.0)
                self._condition.wait(self._wakes_at - now)


_WATCHDOG = _Watchdog()
_reply = threading.local()


def _start_over_in_child() -> None:
    """A forked child has no watchdog thread, and its lock may have been held at the fork."""
    global _WATCHDOG
    _WATCHDOG = _Watchdog()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_start_over_in_child)


@contextlib.contextmanager
def reply_deadline(seconds: Optional[float]) -> Iterator[None]:
    """The calling thread's next reply head must arrive within ``seconds`` (None: no bound)."""
    _reply.until = None if seconds is None else time.monotonic() + max(seconds, 0.0)
    try:
        yield
    finally:
        _reply.until = None


def _watched_pool(pool_class: Any) -> Any:
    """``pool_class`` whose connections are watched while they wait for a reply's head."""
    plain = pool_class.ConnectionCls

    class Connection(plain):  # type: ignore[misc,valid-type]
        def getresponse(self, *args: Any, **kwargs: Any) -> Any:
            until = getattr(_reply, "until", None)
            if until is None or self.sock is None:
                return plain.getresponse(self, *args, **kwargs)
            watchdog = _WATCHDOG
            token = watchdog.watch(self.sock, until)
            try:
                return plain.getresponse(self, *args, **kwargs)
            finally:
                watchdog.unwatch(token)

    return type(f"Watched{pool_class.__name__}", (pool_class,), {"ConnectionCls": Connection})


_WATCHED_POOLS = {"http": _watched_pool(HTTPConnectionPool), "https": _watched_pool(HTTPSConnectionPool)}
_PLAIN_POOLS = {"http": HTTPConnectionPool, "https": HTTPSConnectionPool}


class WatchedAdapter(HTTPAdapter):
    """requests' adapter whose connections wait for a reply's head no longer than `reply_deadline`."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _watch_pools_of(self.poolmanager)

    def proxy_manager_for(self, proxy: Any, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        _watch_pools_of(manager)
        return manager


def _watch_pools_of(manager: Any) -> None:
    # Only urllib3's own pools are swapped: a SOCKS proxy's pools are left as they are.
    if getattr(manager, "pool_classes_by_scheme", None) == _PLAIN_POOLS:
        manager.pool_classes_by_scheme = _WATCHED_POOLS
