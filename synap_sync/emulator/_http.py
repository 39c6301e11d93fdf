"""The emulator's HTTP side: keep-alive HTTP/1.1, each answer in one send with TCP_NODELAY, and the
limits a server on a shared host needs: bounded bodies, idle connections closed, connections counted."""

from __future__ import annotations

import json
import socket
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Optional

from ._service import Drop, Service

#: A request body larger than this is answered 413 without being read.
MAX_BODY_BYTES = 32 * 1024 * 1024
#: A connection with no request for this long is closed.
IDLE_SECONDS = 15.0
#: Connections served at once; beyond this a new one is answered 503 and closed.
MAX_CONNECTIONS = 256


class Server(ThreadingHTTPServer):
    """A thread per connection, at most MAX_CONNECTIONS of them; when full, the connection idle the
    longest is closed to make room, so a crowd of idle connections cannot lock a real client out."""

    daemon_threads = True
    #: Connections the kernel may hold before they are accepted; socketserver's 5 drops bursts of clients.
    request_queue_size = 128

    def __init__(self, address: Any, emulator: Service) -> None:
        super().__init__(address, Handler)
        self.emulator = emulator
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._lock = threading.Lock()
        #: Connections waiting for their next request, and since when.
        self._idle: Dict[socket.socket, float] = {}

    def idle(self, connection: socket.socket, waiting: bool) -> None:
        with self._lock:
            if waiting:
                self._idle[connection] = time.monotonic()
            else:
                self._idle.pop(connection, None)

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
        with self._lock:
            if not self._idle:
                return
            connection = min(self._idle, key=self._idle.__getitem__)
            del self._idle[connection]
        try:
            connection.shutdown(socket.SHUT_RDWR)  # its handler sees the end and leaves, freeing a slot
        except OSError:
            pass

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.idle(request, False)
            self._slots.release()


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

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        emulator: Service = self.server.emulator  # type: ignore[attr-defined]
        emulator.note_connection()

    def handle_one_request(self) -> None:
        self.server.idle(self.connection, True)  # type: ignore[attr-defined]  # until a request line comes
        super().handle_one_request()

    def parse_request(self) -> bool:
        self.server.idle(self.connection, False)  # type: ignore[attr-defined]
        return super().parse_request()

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
        if length > MAX_BODY_BYTES:
            self.send_error(413, f"request body of {length} bytes is over the emulator's {MAX_BODY_BYTES}")
            return None
        return self.rfile.read(length)

    def _serve(self, method: str) -> None:
        arrived = time.monotonic()
        emulator: Service = self.server.emulator  # type: ignore[attr-defined]
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
        emulator.note_answer(status)
        self._answer(status, payload, headers)

    def _answer(self, status: int, body: bytes, headers: Dict[str, str]) -> None:
        self.wfile.write(_reply(status, body, headers, self.date_time_string()))
