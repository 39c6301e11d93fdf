"""Watches each attempt's connection: holds the wait for a reply's head to the call's deadline, and
tells whether a failure came from a kept-alive connection the server had already closed.

A socket's timeout bounds each read, not their sum: a server that drips its headers a byte at a time,
each within the read timeout, would hold a call for as long as it liked. While a call waits for its
reply's head, its socket is watched; one thread shuts down any socket whose call's deadline has
passed, and the read fails at once. (The body is bounded by the transport as it reads it.)

A server closes a keep-alive connection that sat idle (gunicorn after 2 s, nginx 75 s, a load
balancer 60 s); a request that goes out on it at that moment meets the close before any byte of a
reply. The connection knows whether it carried a reply before and how long it then sat idle, so the
attempt can say it was *stale*: a failure before any byte of a reply, on a connection that sat idle
for at least `STALE_IDLE_SECONDS`. A connection in steady use is never closed for idling, so a failure
there is not called stale: it may be a server that acted on the request and died before answering.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import threading
import time
from typing import Any, Dict, Iterator, Optional, Tuple

from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

__all__ = ["Attempt", "WatchedAdapter", "watch_attempt", "watch_adapter", "fresh_pools", "STALE_IDLE_SECONDS"]

#: A connection idle this long may have been closed by the server for idling; none closes sooner
#: (gunicorn's 2 s is the shortest common default).
STALE_IDLE_SECONDS = 0.25


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
_current = threading.local()


def _start_over_in_child() -> None:
    """A forked child has no watchdog thread, and its lock may have been held at the fork."""
    global _WATCHDOG
    _WATCHDOG = _Watchdog()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_start_over_in_child)


class Attempt:
    """One attempt as its connection saw it."""

    __slots__ = ("until", "stale")

    def __init__(self, until: Optional[float]) -> None:
        #: The reply's head must arrive by then (``time.monotonic``); None: no bound.
        self.until = until
        #: The attempt failed before any byte of a reply, on a connection that had carried one before
        #: and then sat idle for at least STALE_IDLE_SECONDS.
        self.stale = False


@contextlib.contextmanager
def watch_attempt(seconds: Optional[float]) -> Iterator[Attempt]:
    """Watch the calling thread's next request: its reply head within ``seconds`` (None: no bound)."""
    attempt = Attempt(None if seconds is None else time.monotonic() + max(seconds, 0.0))
    _current.attempt = attempt
    try:
        yield attempt
    finally:
        _current.attempt = None


#: What a connection closed by the server meets when the next request goes out on it: the end of the
#: stream where the status line should be, or a reset. No byte of a reply has been read either way.
_CLOSED_UNDER_US = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


def _watched_pool(pool_class: Any) -> Any:
    """``pool_class`` whose connections are watched while they wait for a reply's head."""
    plain = pool_class.ConnectionCls

    class Connection(plain):  # type: ignore[misc,valid-type]
        #: When this connection's last reply head arrived (``time.monotonic``); None before its first.
        synap_replied_at: Optional[float] = None

        def getresponse(self, *args: Any, **kwargs: Any) -> Any:
            attempt: Optional[Attempt] = getattr(_current, "attempt", None)
            if attempt is None:
                return plain.getresponse(self, *args, **kwargs)
            replied_at = self.synap_replied_at
            started = time.monotonic()
            watchdog = _WATCHDOG
            token = None if attempt.until is None or self.sock is None else watchdog.watch(self.sock, attempt.until)
            try:
                response = plain.getresponse(self, *args, **kwargs)
            except _CLOSED_UNDER_US:
                attempt.stale = replied_at is not None and started - replied_at >= STALE_IDLE_SECONDS
                raise
            finally:
                if token is not None:
                    watchdog.unwatch(token)
            self.synap_replied_at = time.monotonic()
            return response

    return type(f"Watched{pool_class.__name__}", (pool_class,), {"ConnectionCls": Connection})


_WATCHED_POOLS = {"http": _watched_pool(HTTPConnectionPool), "https": _watched_pool(HTTPSConnectionPool)}
_PLAIN_POOLS = {"http": HTTPConnectionPool, "https": HTTPSConnectionPool}


class WatchedAdapter(HTTPAdapter):
    """requests' adapter whose connections are watched (see `watch_attempt`)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _watch_pools_of(self.poolmanager)

    def proxy_manager_for(self, proxy: Any, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        _watch_pools_of(manager)
        return manager


def watch_adapter(adapter: Any, proxy: Optional[str]) -> None:
    """Watch the connections of a caller's own adapter (requests' `HTTPAdapter` or a subclass of it),
    and of its manager for ``proxy``; another kind of adapter (a mock, a cache) is left as it is."""
    if isinstance(adapter, WatchedAdapter) or not isinstance(adapter, HTTPAdapter):
        return
    _watch_pools_of(adapter.poolmanager)
    if proxy:
        _watch_pools_of(adapter.proxy_manager_for(proxy))


def fresh_pools(adapter: Any) -> None:
    """In a forked child: give a caller's adapter new, empty pools without closing the parent's
    sockets (closing them here would be harmless, but a TLS close would speak on the parent's behalf)."""
    if not isinstance(adapter, HTTPAdapter):
        return
    adapter.proxy_manager = {}
    sizes = (getattr(adapter, "_pool_connections", 10), getattr(adapter, "_pool_maxsize", 10))
    adapter.init_poolmanager(*sizes, block=getattr(adapter, "_pool_block", False))
    _watch_pools_of(adapter.poolmanager)


def _watch_pools_of(manager: Any) -> None:
    # Only urllib3's own pools are swapped: a SOCKS proxy's pools are left as they are.
    if getattr(manager, "pool_classes_by_scheme", None) == _PLAIN_POOLS:
        manager.pool_classes_by_scheme = _WATCHED_POOLS
