"""A local stand-in for the Synap service: the contract's endpoints, in memory, stdlib only.

Knobs reproduce what production does to a client: accepted keys, a per-key rate limit (429 with
``Retry-After``), added latency, and seeded faults::

    with Emulator(rate_limit=20, burst=5) as emulator:
        client = SynapClient(api_key="synap_test", base_url=emulator.base_url)
"""

from __future__ import annotations

import errno
import threading
import time
from types import TracebackType
from typing import Any, Optional, Type

from ._http import IDLE_SECONDS, MAX_BODY_BYTES, Server, is_loopback
from ._limits import FAULT_KINDS
from ._service import Service

__all__ = ["Emulator", "FAULT_KINDS", "IDLE_SECONDS", "MAX_BODY_BYTES"]

#: How often the server thread looks for a stop request; a stop takes at most this long.
_POLL_SECONDS = 0.02


class Emulator(Service):
    """An in-memory Synap on a loopback port, served from a background thread.

    :param host: interface to bind; loopback by default.
    :param port: 0 picks a free port.
    :param idle_seconds: a kept-alive connection with no request for this long is closed, as a web
        server's keep-alive timeout does (gunicorn's is 2 s, nginx's 75 s).
    :param max_body_bytes: a request body larger than this is answered 413, as Synap answers a body over
        the ceiling it sets per instance.

    The other parameters are the service's knobs, see `Service`: ``api_keys``, ``rate_limit``,
    ``burst``, ``latency_ms``, ``fault_rate``, ``fault_kinds``, ``seed``, ``completion_seconds``,
    ``isolation``.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        idle_seconds: float = IDLE_SECONDS,
        max_body_bytes: int = MAX_BODY_BYTES,
        **knobs: Any,
    ) -> None:
        super().__init__(**knobs)
        if not idle_seconds > 0:
            raise ValueError("idle_seconds: must be > 0")
        self.host = host
        self.port = port
        self.idle_seconds = idle_seconds
        self.max_body_bytes = max_body_bytes
        self._server: Optional[Server] = None
        self._thread: Optional[threading.Thread] = None

    @property
    def exposed(self) -> bool:
        """True when bound beyond loopback while accepting any key: anyone who can reach it can use it."""
        return self.api_keys is None and not is_loopback(self.host)

    @property
    def base_url(self) -> str:
        """``http://host:port`` once started."""
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() or use it as a context manager")
        host, port = self._server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def start(self) -> "Emulator":
        """Bind the port and serve from a daemon thread; the same port can be bound again right after
        `stop` (address reuse), and a port really in use is an OSError that names it."""
        try:
            server = Server((self.host, self.port), self, self.idle_seconds, self.max_body_bytes)
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            raise OSError(
                error.errno,
                f"port {self.port} on {self.host} is already in use (an emulator from an earlier cell still "
                "running? stop() it, or pass port=0 for a free port)",
            ) from None
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, args=(_POLL_SECONDS,), name="synap-emulator", daemon=True
        )
        self._thread.start()
        return self

    def wait(self) -> None:
        """Block until the emulator stops; Ctrl-C raises KeyboardInterrupt here (the CLI's ``serve``)."""
        # Sleep, not join: a join interrupted by Ctrl-C can leave the thread's lock such that the
        # join in stop() never returns.
        while self._thread is not None and self._thread.is_alive():
            time.sleep(0.2)

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is None:
            return
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()
        self._server = None
        self._thread = None

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.stop()
