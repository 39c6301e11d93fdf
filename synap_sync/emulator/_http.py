"""The emulator's HTTP side: keep-alive HTTP/1.1, each answer in one send with TCP_NODELAY."""

from __future__ import annotations

import socket
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any, Dict

from ._service import Drop, Service


class Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive; every answer goes out in one send, with TCP_NODELAY set besides."""

    protocol_version = "HTTP/1.1"
    server_version = "SynapEmulator"

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        emulator: Service = self.server.emulator  # type: ignore[attr-defined]
        emulator.note_connection()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Quiet: tests and benchmarks would drown in access lines."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def _serve(self, method: str) -> None:
        arrived = time.monotonic()
        emulator: Service = self.server.emulator  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        try:
            status, payload, headers = emulator.handle(
                method, path, self.headers.get("Authorization", ""), body, arrived
            )
        except Drop:
            emulator.note_answer(0)
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        emulator.note_answer(status)
        self._answer(status, payload, headers)

    def _answer(self, status: int, body: bytes, headers: Dict[str, str]) -> None:
        lines = [
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
            f"Date: {self.date_time_string()}",
        ]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
