"""Django glue: one client per process, configured from ``settings.SYNAP_SYNC`` and then the environment.

Django is not a dependency: it is imported only when `get_client` first reads the settings. The client
is built on first use (so a gunicorn ``--preload`` master that never calls it opens no connection),
shared by every thread of the process, rebuilt by the library after ``fork`` (each child gets its own
pool and pace), and closed at interpreter exit::

    # settings.py
    SYNAP_SYNC = {"api_key": env("SYNAP_API_KEY"), "deadline": 10.0}

    # views.py
    from synap_sync.django import get_client
    get_client().memories.batch_create(turns)
"""

from __future__ import annotations

import atexit
import contextlib
import inspect
import os
import threading
from typing import Any, Dict, Iterator, Optional

from .client import SynapClient
from .models import refuse

__all__ = ["get_client", "close_client", "override_client"]

_lock = threading.Lock()
_client: Optional[SynapClient] = None
_override: Optional[SynapClient] = None


def get_client() -> SynapClient:
    """The process's client, built on first use from ``settings.SYNAP_SYNC`` (a dict of `SynapClient`'s
    options; what it leaves out comes from ``SYNAP_API_KEY`` / ``SYNAP_BASE_URL`` / ``SYNAP_INSTANCE_ID``).

    :raises SynapValidationError: ``SYNAP_SYNC`` is not a dict, or names an option the client does not have.
    """
    global _client
    client = _override or _client
    if client is not None:
        return client
    with _lock:
        if _client is None:
            _client = SynapClient(**_settings())
            atexit.register(close_client)
        return _client


def close_client() -> None:
    """Close the process's client (at interpreter exit, or in tests); the next `get_client` builds anew."""
    global _client
    with _lock:
        client, _client = _client, None
    if client is not None:
        client.close()


@contextlib.contextmanager
def override_client(client: SynapClient) -> Iterator[SynapClient]:
    """Make `get_client` return ``client`` inside the block (tests: a client pointed at the emulator)."""
    global _override
    previous, _override = _override, client
    try:
        yield client
    finally:
        _override = previous


_OPTIONS = frozenset(inspect.signature(SynapClient.__init__).parameters) - {"self"}


def _settings() -> Dict[str, Any]:
    from django.conf import settings  # imported here: Django is not a dependency of synap_sync

    options = getattr(settings, "SYNAP_SYNC", None) or {}
    if not isinstance(options, dict):
        raise refuse("SYNAP_SYNC", f"must be a dict of SynapClient options, not {type(options).__name__}")
    unknown = sorted(set(options) - _OPTIONS)
    if unknown:
        raise refuse(
            "SYNAP_SYNC", f"{unknown[0]!r} is not a SynapClient option; they are {', '.join(sorted(_OPTIONS))}"
        )
    return dict(options)


def _new_lock_in_child() -> None:
    global _lock
    _lock = threading.Lock()  # another thread may have held it when the process forked


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_lock_in_child)
