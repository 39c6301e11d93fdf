"""The emulator's HTTP side: keep-alive HTTP/1.1, each answer in one send with TCP_NODELAY, and the
limits a server on a shared host needs: bounded bodies, idle connections closed, a deadline for a
request's head, connections counted, and slow clients the first to go when the server is full."""

from __future__ import annotations

import ipaddress
import json
import socket
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Optional, Set, Tuple

from ._service import INSPECTION_PREFIX, Drop, Service

#: A request body larger than this is answered 413 without being read.
MAX_BODY_BYTES = 32 * 1024 * 1024
#: After a 413, the body still on its way is read and dropped for at most this long, so the client can
#: finish sending and read the answer (as a web server's lingering close does) instead of a reset.
DRAIN_SECONDS = 5.0
#: A connection with no request for this long is closed.
IDLE_SECONDS = 15.0
#: Connections served at once; beyond this a new one is answered 503 and closed.
MAX_CONNECTIONS = 256
#: A request's line and headers must arrive within this long of its first byte (a slow client that
#: drips them a byte at a time would otherwise hold its connection for ever).
HEAD_SECONDS = 10.0

#: What a connection is doing, as far as making room goes: waiting for a request's first byte, or
#: receiving its head. Connections past their head are being served, and are never evicted.
_IDLE = 0
_HEAD = 1


class Server(ThreadingHTTPServer):
    """A thread per connection, at most MAX_CONNECTIONS of them. When full, a connection is closed to
    make room: the one idle the longest, else the one slowest in sending its request's head; so a crowd
    of idle or dripping connections cannot lock a real client out.

    :param idle_seconds: a connection with no request for this long is closed (a keep-alive timeout).
    :param max_body_bytes: a request body larger than this is answered 413 (Synap sets such a ceiling per
        instance, and publishes no number).
    """

    daemon_threads = True
    #: Connections the kernel may hold before they are accepted; socketserver's 5 drops bursts of clients.
    request_queue_size = 128

    def __init__(
        self,
        address: Any,
        emulator: Service,
        idle_seconds: float = IDLE_SECONDS,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        if ":" in str(address[0]):  # an IPv6 address (``::1``)
            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)
        #: Bound to loopback, the server answers only requests addressed to this machine: a web page in the
        #: developer's browser cannot reach it through a name of its own that resolves here (DNS rebinding).
        self.loopback_only = is_loopback(str(address[0]))
        self.emulator = emulator
        self.idle_seconds = idle_seconds
        self.max_body_bytes = max_body_bytes
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._lock = threading.Lock()
        #: Connections not being served: (idle or receiving a head, since when).
        self._waiting: Dict[socket.socket, Tuple[int, float]] = {}
        #: Connections closed to make room or for a late head: their handler must not serve them.
        self._evicted: Set[socket.socket] = set()

    def note(self, connection: socket.socket, state: Optional[int]) -> None:
        """``connection`` is idle, receiving a head (since now), or being served (None)."""
        with self._lock:
            if state is None:
                self._waiting.pop(connection, None)
            else:
                self._waiting[connection] = (state, time.monotonic())

    def was_evicted(self, connection: socket.socket) -> bool:
        with self._lock:
            return connection in self._evicted

    def service_actions(self) -> None:
        """Between accepts (every poll of ``serve_forever``): close connections whose head is late."""
        late = time.monotonic() - HEAD_SECONDS
        with self._lock:
            overdue = [
                connection for connection, (state, since) in self._waiting.items() if state == _HEAD and since < late
            ]
        for connection in overdue:
            self._evict(connection)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that resets or drops its connection is no news; anything else is printed."""
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, socket.timeout)):
            return
        super().handle_error(request, client_address)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self._close_longest_idle()
            if not self._slots.acquire(timeout=1.0):
                try:
                    request.sendall(_reply(503, {"error": "too many connections", "code": "UNAVAILABLE"}, {}))
                except OSError:
                    pass
                self.shutdown_request(request)
                return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def _close_longest_idle(self) -> None:
        """Make room: the connection idle the longest goes first, then the one whose head is slowest."""
        with self._lock:
            if not self._waiting:
                return
            connection = min(self._waiting, key=self._waiting.__getitem__)
        self._evict(connection)

    def _evict(self, connection: socket.socket) -> None:
        with self._lock:
            self._waiting.pop(connection, None)
            self._evicted.add(connection)
        try:
            connection.shutdown(socket.SHUT_RDWR)  # its handler sees the end and leaves, freeing a slot
        except OSError:
            pass

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.note(request, None)
            with self._lock:
                self._evicted.discard(request)
            self._slots.release()


def is_loopback(host: str) -> bool:
    """This machine, by name or address."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host_name(header: str) -> str:
    """The name or address in a Host header, without its port (``[::1]:8765`` gives ``::1``)."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def _reply(status: int, payload: Any, headers: Dict[str, str], date: str = "") -> bytes:
    body = json.dumps(payload).encode("utf-8") if not isinstance(payload, bytes) else payload
    lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}", "Content-Type: application/json"]
    lines.append(f"Content-Length: {len(body)}")
    if date:
        lines.append(f"Date: {date}")
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive; every answer goes out in one send, with TCP_NODELAY set besides."""

    protocol_version = "HTTP/1.1"
    server_version = "SynapEmulator"
    timeout = IDLE_SECONDS

    server: Server

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.idle_seconds)
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.emulator.note_connection()

    def handle_one_request(self) -> None:
        """Wait, idle, for the next request's first byte; then its head is on the clock."""
        self.server.note(self.connection, _IDLE)
        try:
            first = self.connection.recv(1, socket.MSG_PEEK)
        except OSError:  # the idle timeout, a reset, or an eviction
            first = b""
        if not first or self.server.was_evicted(self.connection):
            self.close_connection = True
            return
        self.server.note(self.connection, _HEAD)
        super().handle_one_request()

    def parse_request(self) -> bool:
        """Read the headers; a connection evicted meanwhile is not served (its head is cut short)."""
        parsed = super().parse_request()
        self.server.note(self.connection, None)
        if self.server.was_evicted(self.connection):
            self.close_connection = True
            return False
        return parsed

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Quiet: tests and benchmarks would drown in access lines."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def do_PATCH(self) -> None:  # noqa: N802
        self._serve("PATCH")

    def do_DELETE(self) -> None:  # noqa: N802
        self._serve("DELETE")

    def send_error(self, code: int, message: Optional[str] = None, explain: Optional[str] = None) -> None:
        """http.server's own refusals (a garbled request line, oversized headers): JSON, one send, then close."""
        self.close_connection = True
        try:
            self.wfile.write(_reply(code, {"error": message or HTTPStatus(code).phrase, "code": "INVALID_INPUT"}, {}))
        except OSError:
            pass

    def _body(self) -> Optional[bytes]:
        """The request body, or None after answering a Content-Length that cannot be honoured."""
        declared = self.headers.get("Content-Length")
        if declared is None:
            return b""
        try:
            length = int(declared.strip())
        except ValueError:
            length = -1
        if length < 0:
            self.send_error(400, f"Content-Length must be a whole number of bytes, got {declared!r}")
            return None
        limit = self.server.max_body_bytes
        if length > limit:
            self.send_error(413, f"request body of {length} bytes is over the emulator's {limit}")
            self.server.emulator.note_answer(413)
            self._drain(length)
            return None
        return self.rfile.read(length)

    def _drain(self, length: int) -> None:
        """Read and drop up to ``length`` bytes of a refused body, for at most DRAIN_SECONDS."""
        ends = time.monotonic() + DRAIN_SECONDS
        try:
            while length > 0 and time.monotonic() < ends:
                piece = self.rfile.read1(min(length, 1 << 20))  # type: ignore[attr-defined]
                if not piece:
                    return
                length -= len(piece)
        except OSError:
            return

    def _serve(self, method: str) -> None:
        arrived = time.monotonic()
        emulator = self.server.emulator
        host = _host_name(self.headers.get("Host", ""))
        if self.server.loopback_only and host and not is_loopback(host):  # no Host at all: an HTTP/1.0 client
            self.close_connection = True
            refused = {"error": "this emulator answers only requests addressed to this machine", "code": "FORBIDDEN"}
            self.wfile.write(_reply(403, refused, {"Connection": "close"}, self.date_time_string()))
            emulator.note_answer(403)
            return
        body = self._body()
        if body is None:
            return
        try:
            status, payload, headers = emulator.handle(
                method,
                self.path,
                self.headers.get("Authorization", ""),
                body,
                arrived,
                self.headers.get("Content-Type", ""),
            )
        except Drop:
            emulator.note_answer(0)
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if not self.path.startswith(INSPECTION_PREFIX):  # counts are of Synap's answers, not of looking
            emulator.note_answer(status)
        self._answer(status, payload, headers)

    def _answer(self, status: int, body: bytes, headers: Dict[str, str]) -> None:
        self.wfile.write(_reply(status, body, headers, self.date_time_string()))
