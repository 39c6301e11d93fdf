"""A loopback server that answers every request with what a test scripts: for replies the emulator
would never send (a body dripped a byte at a time, a fixed status and body)."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Callable, List, Optional, Type

#: Given the socket and the request's body once it was read, write whatever the test wants.
Answer = Callable[[socket.socket, bytes], None]


def reply(status: int, body: bytes, headers: Optional[List[str]] = None) -> bytes:
    lines = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}", "Content-Type: application/json"]
    return ("\r\n".join(lines + (headers or [])) + "\r\n\r\n").encode("latin-1") + body


def dripping(payload: bytes, seconds_per_byte: float) -> Answer:
    """Headers at once, then the body one byte every ``seconds_per_byte``."""

    def answer(connection: socket.socket, request: bytes) -> None:
        head, body = payload.split(b"\r\n\r\n", 1)
        connection.sendall(head + b"\r\n\r\n")
        for byte in body:
            time.sleep(seconds_per_byte)
            connection.sendall(bytes([byte]))

    return answer


class FakeServer:
    """Serves ``answer`` to each request on a free loopback port until stopped; bounded: it stops by
    itself after ``max_requests`` requests or when the test leaves the ``with`` block."""

    def __init__(self, answer: Answer, max_requests: int = 50) -> None:
        self.answer = answer
        self.max_requests = max_requests
        self.requests = 0
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.settimeout(0.1)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self) -> "FakeServer":
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException], tb: Optional[TracebackType]
    ) -> None:
        self._stopping.set()
        self._thread.join(5)
        self._listener.close()

    def _serve(self) -> None:
        while not self._stopping.is_set() and self.requests < self.max_requests:
            try:
                connection, _ = self._listener.accept()
            except socket.timeout:
                continue
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    def _handle(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(5)
            try:
                while not self._stopping.is_set() and self.requests < self.max_requests:
                    body = _read_request(connection)
                    if body is None:
                        return
                    self.requests += 1
                    self.answer(connection, body)
            except OSError:
                return


def _read_request(connection: socket.socket) -> Optional[bytes]:
    """Read one request (headers and a Content-Length body); its body, or None when the client went away."""
    data = b""
    while b"\r\n\r\n" not in data:
        piece = connection.recv(65536)
        if not piece:
            return None
        data += piece
    head, body = data.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        piece = connection.recv(65536)
        if not piece:
            return None
        body += piece
    return body
