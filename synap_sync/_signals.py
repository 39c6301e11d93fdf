"""SIGTERM, which systemd, Kubernetes and ``timeout`` send to stop a job, stopping a run as Ctrl-C does."""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Any, Iterator

__all__ = ["Terminated", "stop_on_sigterm"]


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived; raised in the main thread, where Ctrl-C's KeyboardInterrupt would be."""


def _raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated()


@contextlib.contextmanager
def stop_on_sigterm() -> Iterator[None]:
    """Within this block, SIGTERM stops ``ingest`` as Ctrl-C does: the run winds down (chunks in flight
    settle and are journaled), and ``IngestInterrupted`` (with ``terminated=True``) carries the report.

    Signals reach only the main thread, so this is for the main thread; the previous handler comes
    back when the block ends. Without it, SIGTERM ends the process on the spot, as it ends any program.
    """
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("stop_on_sigterm() works in the main thread only: signals are delivered there")
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
