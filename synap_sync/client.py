"""`SynapClient`: configuration from arguments or the environment, and the ``memories`` namespace."""

from __future__ import annotations

import ipaddress
import logging
import os
import re
from types import TracebackType
from typing import Optional, Type
from urllib.parse import urlsplit

from ._transport import RetryPolicy, Timeout, Transport
from .errors import SynapAuthError, SynapError, SynapPermanentError
from .memories import Memories
from .models import InstanceIdentity, refuse

__all__ = ["SynapClient", "DEFAULT_BASE_URL", "DEFAULT_TIMEOUT"]

log = logging.getLogger("synap_sync")

DEFAULT_BASE_URL = "https://synap-cloud-prod.maximem.ai"
#: The official SDK's connect and read timeouts, in seconds.
DEFAULT_TIMEOUT = (5.0, 30.0)
WHOAMI_PATH = "/api/v1/auth/whoami"

_INSTANCE_ID = re.compile(r"inst_[0-9a-fA-F]{16}")


class SynapClient:
    """A blocking client for Synap's ingestion API; thread-safe, one connection pool.

    :param api_key: defaults to ``SYNAP_API_KEY``; without one, `SynapAuthError` is raised here.
    :param base_url: defaults to ``SYNAP_BASE_URL``, then Synap's production URL.
    :param instance_id: defaults to ``SYNAP_INSTANCE_ID``; ``inst_`` and 16 hex digits.
    :param timeout: seconds, or a ``(connect, read)`` tuple, as in requests.
    :param max_retries: retries after the first attempt, only where retrying is safe.
    :param pool_maxsize: connections kept open; size it to the threads sharing the client.
    :param allow_insecure_http: allow plain ``http://`` to a host that is not loopback.
    """

    def __init__(
        self,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        instance_id: Optional[str] = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        *,
        pool_maxsize: int = 10,
        allow_insecure_http: bool = False,
    ) -> None:
        api_key = api_key if api_key is not None else os.environ.get("SYNAP_API_KEY")
        if not api_key or not api_key.strip():
            raise SynapAuthError("no API key: pass api_key= or set SYNAP_API_KEY")
        base_url = base_url or os.environ.get("SYNAP_BASE_URL") or DEFAULT_BASE_URL
        instance_id = instance_id or os.environ.get("SYNAP_INSTANCE_ID") or None
        _check_base_url(base_url, allow_insecure_http)
        if instance_id is not None and not _INSTANCE_ID.fullmatch(instance_id):
            raise refuse("instance_id", f"must be 'inst_' and 16 hex digits, got {instance_id!r}")
        if not isinstance(max_retries, int) or max_retries < 0:
            raise refuse("max_retries", f"must be a whole number >= 0, got {max_retries!r}")
        self._transport = Transport(
            api_key.strip(),
            base_url,
            _check_timeout(timeout),
            RetryPolicy(max_retries=max_retries),
            pool_maxsize=pool_maxsize,
        )
        self._transport.instance_id = instance_id
        if instance_id:
            self._transport.correlation_prefix = instance_id[5:13]
        #: What whoami said, after `initialize`; None before.
        self.identity: Optional[InstanceIdentity] = None
        self.memories = Memories(self)

    @property
    def base_url(self) -> str:
        return self._transport.base_url

    @property
    def instance_id(self) -> Optional[str]:
        return self._transport.instance_id

    def __repr__(self) -> str:
        return f"SynapClient(base_url={self.base_url!r}, instance_id={self.instance_id!r}, api_key='***')"

    def initialize(self) -> Optional[InstanceIdentity]:
        """Ask the service who this key is: learns the instance and client ids and the isolation.

        Optional, as in the official SDK; a transient failure is logged and ``None`` returned, but
        a permanent one (an invalid key) is raised, since nothing else would work either.
        """
        try:
            reply = self._transport.request("GET", WHOAMI_PATH)
            identity = InstanceIdentity.from_dict(reply)
        except SynapPermanentError:
            raise
        except SynapError as error:
            log.warning("whoami failed, continuing without it: %s", error)
            return None
        self.identity = identity
        self._transport.instance_id = self._transport.instance_id or identity.instance_id
        self._transport.client_id = identity.client_id
        return identity

    def close(self) -> None:
        """Release the pooled connections."""
        self._transport.close()

    def __enter__(self) -> "SynapClient":
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close()


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_base_url(base_url: str, allow_insecure_http: bool) -> None:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise refuse("base_url", f"must be an http(s) URL with a host, got {base_url!r}")
    if parts.scheme == "http" and not allow_insecure_http and not _is_loopback(parts.hostname):
        raise refuse(
            "base_url",
            f"plain http:// would send the API key unencrypted to {parts.hostname}; "
            "use https://, or pass allow_insecure_http=True",
        )


def _check_timeout(timeout: Timeout) -> Timeout:
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0:
        return float(timeout)
    if (
        isinstance(timeout, tuple)
        and len(timeout) == 2
        and all(isinstance(part, (int, float)) and not isinstance(part, bool) and part > 0 for part in timeout)
    ):
        return (float(timeout[0]), float(timeout[1]))
    raise refuse("timeout", f"must be seconds > 0 or a (connect, read) tuple, got {timeout!r}")
