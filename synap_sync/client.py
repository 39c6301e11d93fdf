"""`SynapClient`: configuration from arguments or the environment, normalised once; namespaces built lazily."""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
import threading
from collections import OrderedDict
from types import TracebackType
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple, Type, Union
from urllib.parse import urlsplit

import requests

from ._clock import SYSTEM_CLOCK, Clock
from ._constants import (
    BACKOFF_SECONDS,
    DEFAULT_BASE_URL,
    DEFAULT_DEADLINE,
    DEFAULT_MAX_REPLY_BYTES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    JITTER,
    MAX_BACKOFF_SECONDS,
    WHOAMI_PATH,
)
from ._pace import LANES, Pace, Pacer, PaceStatus
from ._pace_stores import check_pace_url
from ._retry import Backoff
from ._transport import MIN_SECRET_LENGTH, CallOptions, Timeout, Transport
from ._urls import check_base_url, is_loopback, shown
from .errors import (
    SynapAuthError,
    SynapClientClosedError,
    SynapError,
    SynapInvalidInstanceIdError,
    SynapPermanentError,
)
from .memories import Memories
from .models import InstanceIdentity, positive_number, refuse, whole_number
from .models.config import SDKConfig, client_options

if TYPE_CHECKING:  # loaded on first use, to keep ``import synap_sync`` quick
    from .account import Credits, Data
    from .context import Context, ScopeNamespace, UserNamespace
    from .conversations import Conversation

__all__ = ["SynapClient", "MaximemSynapSDK"]

log = logging.getLogger("synap_sync")

_INSTANCE_ID = re.compile(r"inst_[0-9a-fA-F]{16}")
_UNSET: Any = object()


class SynapClient:
    """A blocking client for Synap; thread-safe, one connection pool, one pace for its key.

    :param api_key: defaults to ``SYNAP_API_KEY``; without one, `SynapAuthError` is raised here.
    :param base_url: defaults to ``SYNAP_BASE_URL``, then Synap's production URL.
    :param instance_id: defaults to ``SYNAP_INSTANCE_ID``; ``inst_`` and 16 hex digits.
    :param timeout: seconds, or a ``(connect, read)`` tuple, for each attempt's socket operations.
    :param max_retries: retries after the first attempt, only where retrying is safe.
    :param deadline: seconds one call may take in all (pacing, retries, backoff, reading the reply);
        None for no limit.
    :param pool_maxsize: connections kept open; size it to the threads sharing the client.
    :param max_requests_per_second: the key's known rate limit; every client of the key then stays under
        it. Without it the pace is learned from the service's 429s.
    :param pace_url: where the key's pace is kept, shared by every client of the key that keeps it there:
        None (``SYNAP_PACE_URL``, else this host's file: every process of the user on the host), ``local``
        (this process), ``file://DIRECTORY``, or ``redis://host:port/db`` for processes on several hosts
        (the ``redis`` extra). See the guide on one key, many processes.
    :param interactive_share: the part of the key's pace, 0 to 0.9, bulk work (``ingest``) leaves to
        interactive calls while they are being made; idle capacity is borrowed. Interactive calls go
        first whatever it is.
    :param max_reply_bytes: a reply larger than this is refused (`SynapProtocolError`).
    :param allow_insecure_http: allow plain ``http://`` to a host that is not loopback.
    :param backoff_seconds: the first wait before a retry; it doubles (plus up to 25% jitter) up to
        10 s. 0 retries at once (tests against the emulator).
    :param clock: for tests: a `synap_sync.testing.FakeClock` makes retries and pacing return at once.
    :param session: a `requests.Session` of your own (an mTLS adapter, a corporate proxy, requests-cache):
        it prepares and sends every call, so its adapters, proxies, ``verify``, ``cert``, headers, cookies
        and response hooks apply; its ``auth`` and ``~/.netrc`` never replace the API key, and redirects
        are never followed. Closing the client leaves it open. Without one the client makes its own.
    :param agent_model: the agent's model, sent with every recorded message (``metadata["agent_model"]``)
        unless the call gives its own: the service sizes compaction by it (the official SDK's
        ``SDKConfig.agent_model``).
    :param agent_context_window: the agent's context window in tokens, likewise.
    :param config: the official SDK's `SDKConfig`: its base URL, timeouts, retry policy and agent model
        apply where the arguments above are left at their defaults.
    """

    def __init__(
        self,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        instance_id: Optional[str] = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        *,
        deadline: Optional[float] = DEFAULT_DEADLINE,
        pool_maxsize: int = 10,
        max_requests_per_second: Optional[float] = None,
        pace_url: Optional[str] = None,
        interactive_share: float = 0.0,
        max_reply_bytes: int = DEFAULT_MAX_REPLY_BYTES,
        allow_insecure_http: bool = False,
        backoff_seconds: float = BACKOFF_SECONDS,
        clock: Clock = SYSTEM_CLOCK,
        session: Optional[requests.Session] = None,
        agent_model: Optional[str] = None,
        agent_context_window: Optional[int] = None,
        config: Optional[SDKConfig] = None,
    ) -> None:
        folded = client_options(config) if config is not None else {}
        base_url = base_url or folded.get("base_url")
        timeout = folded.get("timeout", timeout) if timeout == DEFAULT_TIMEOUT else timeout
        max_retries = folded.get("max_retries", max_retries) if max_retries == DEFAULT_MAX_RETRIES else max_retries
        if backoff_seconds == BACKOFF_SECONDS:
            backoff_seconds = folded.get("backoff_seconds", backoff_seconds)
        agent_model = agent_model or folded.get("agent_model")
        agent_context_window = agent_context_window or folded.get("agent_context_window")
        key_from_environment = api_key is None
        api_key = api_key if api_key is not None else os.environ.get("SYNAP_API_KEY")
        base_url = base_url or os.environ.get("SYNAP_BASE_URL") or DEFAULT_BASE_URL
        instance_id = instance_id or os.environ.get("SYNAP_INSTANCE_ID") or None
        check_base_url(base_url, allow_insecure_http)
        if instance_id is not None and not _INSTANCE_ID.fullmatch(instance_id):
            raise SynapInvalidInstanceIdError(instance_id)
        if not whole_number(pool_maxsize) or pool_maxsize < 1:
            raise refuse("pool_maxsize", f"must be a whole number >= 1, got {pool_maxsize!r}")
        if not whole_number(max_reply_bytes) or max_reply_bytes < 1024:
            raise refuse("max_reply_bytes", f"must be a whole number >= 1024, got {max_reply_bytes!r}")
        if not (positive_number(backoff_seconds) or backoff_seconds == 0) or backoff_seconds > 60:
            raise refuse("backoff_seconds", f"must be seconds from 0 to 60, got {backoff_seconds!r}")
        if max_requests_per_second is not None and not positive_number(max_requests_per_second):
            raise refuse("max_requests_per_second", f"must be None or a number > 0, got {max_requests_per_second!r}")
        pace_from_environment = pace_url is None and bool(os.environ.get("SYNAP_PACE_URL"))
        pace_url = pace_url if pace_url is not None else os.environ.get("SYNAP_PACE_URL") or None
        if pace_url is not None:
            pace_url = check_pace_url(pace_url)
        if not isinstance(interactive_share, (int, float)) or isinstance(interactive_share, bool) or not (
            0 <= interactive_share <= 0.9
        ):
            raise refuse("interactive_share", f"must be a share from 0 to 0.9, got {interactive_share!r}")
        if session is not None and not isinstance(session, requests.Session):
            raise refuse("session", f"must be a requests.Session, got {type(session).__name__}")
        if agent_model is not None and (not isinstance(agent_model, str) or not agent_model.strip()):
            raise refuse("agent_model", f"must be None or a model's name, got {agent_model!r}")
        window = agent_context_window
        if window is not None and (not whole_number(window) or window < 1):
            raise refuse("agent_context_window", f"must be None or a whole number of tokens >= 1, got {window!r}")
        self._options = _call_options(timeout, max_retries, deadline)
        key = _checked_key(api_key, base_url)
        #: What a pickled client carries: its configuration, the key sealed (or left to the environment).
        self._settings: Dict[str, Any] = {
            "api_key": None if key_from_environment else _SealedKey(key),
            "base_url": base_url,
            "instance_id": instance_id,
            "pool_maxsize": pool_maxsize,
            "max_requests_per_second": max_requests_per_second,
            # A Redis URL may hold a password: sealed like the key, or left to the worker's environment.
            "pace_url": None if pace_url is None or pace_from_environment else _SealedURL(pace_url),
            "interactive_share": interactive_share,
            "max_reply_bytes": max_reply_bytes,
            "allow_insecure_http": allow_insecure_http,
            "backoff_seconds": backoff_seconds,
            "clock": None if clock is SYSTEM_CLOCK else clock,
            "agent_model": agent_model,
            "agent_context_window": agent_context_window,
            "config": config,
        }
        self._transport = Transport(
            key,
            base_url,
            instance_id=instance_id,
            pool_maxsize=pool_maxsize,
            max_requests_per_second=max_requests_per_second,
            pace_url=pace_url,
            interactive_share=float(interactive_share),
            max_reply_bytes=max_reply_bytes,
            retry=Backoff(
                backoff_seconds=float(backoff_seconds),
                max_backoff_seconds=folded.get("max_backoff_seconds", MAX_BACKOFF_SECONDS),
                jitter=JITTER if folded.get("jitter", True) else 0.0,
            ),
            clock=clock,
            session=session,
        )
        self._memories: Optional[Memories] = None
        self._owns_transport = True

    def with_options(
        self,
        *,
        timeout: Timeout = _UNSET,
        max_retries: int = _UNSET,
        deadline: Optional[float] = _UNSET,
        priority: Optional[str] = _UNSET,
    ) -> "SynapClient":
        """A view of this client with other limits per call; it shares the pool, the pace and what
        ``initialize`` learned, so it is cheap: ``client.with_options(deadline=2.0).memories.batch_create(...)``.

        ``priority`` puts the view's calls in a lane of the key's pace: ``"bulk"`` for work that may wait
        (a management command replaying transcripts), ``"interactive"`` for work that may not; None (the
        default) is each call's own kind: direct calls interactive, ``ingest`` bulk.

        The view does not own the pool: closing it, or leaving ``with client.with_options(...) as view:``,
        leaves the client open; closing the client closes every view of it.
        """
        options = self._options
        view = object.__new__(SynapClient)
        view._owns_transport = False
        view._transport = self._transport
        view._settings = self._settings
        view._options = _call_options(
            options.timeout if timeout is _UNSET else timeout,
            options.max_retries if max_retries is _UNSET else max_retries,
            options.deadline if deadline is _UNSET else deadline,
            options.priority if priority is _UNSET else priority,
        )
        view._memories = None
        return view

    @property
    def memories(self) -> Memories:
        """Memories: ``batch_create``, ``create``, ``status``, ``wait_for_completion``, ``ingest``;
        ``get``, ``update``, ``delete``, ``forget``, ``create_from_file``."""
        if self._memories is None:
            self._memories = Memories(self._transport, self._options)
        return self._memories

    @property
    def context(self) -> "Context":
        """The read side: ``user``, ``customer``, ``client``, ``conversation`` fetches and ``for_prompt``."""
        from .context import Context

        return Context(self._transport, self._options)

    @property
    def user(self) -> "UserNamespace":
        """``client.user.context.fetch(...)`` and ``client.user.get_profile(...)``, as the official SDK spells them."""
        from .context import UserNamespace

        return UserNamespace(self.context)

    @property
    def customer(self) -> "ScopeNamespace":
        """``client.customer.context.fetch(...)``, as the official SDK spells it."""
        return self._scope("customer")

    @property
    def client(self) -> "ScopeNamespace":
        """``client.client.context.fetch(...)``, as the official SDK spells it."""
        return self._scope("client")

    @property
    def conversation(self) -> "Conversation":
        """Recording: ``record_message``, ``record_messages_batch``, ``ingest_transcript``; reading:
        ``client.conversation.context.fetch(...)`` and ``.get_context_for_prompt(...)``."""
        from .conversations import Conversation

        agent = (self._settings["agent_model"], self._settings["agent_context_window"])
        return Conversation(self._transport, self._options, self.context, agent)

    def _scope(self, scope: str) -> "ScopeNamespace":
        from .context import ScopeContext, ScopeNamespace

        return ScopeNamespace(ScopeContext(self.context, scope))

    @property
    def credits(self) -> "Credits":
        """Credits: ``get_balance()`` (or ``balance()``) and ``estimate(...)``."""
        from .account import Credits

        return Credits(self._transport, self._options)

    @property
    def data(self) -> "Data":
        """Permanent data deletion: ``delete(scope, ...)`` and ``status(deletion_id)``."""
        from .account import Data

        return Data(self._transport, self._options, self.initialize)

    @property
    def base_url(self) -> str:
        return self._transport.base_url

    @property
    def instance_id(self) -> Optional[str]:
        return self._transport.instance_id

    @property
    def identity(self) -> Optional[InstanceIdentity]:
        """What whoami said, after `initialize`; None before."""
        return self._transport.gate.identity

    @property
    def timeout(self) -> Tuple[float, float]:
        return self._options.timeout

    @property
    def max_retries(self) -> int:
        return self._options.max_retries

    @property
    def deadline(self) -> Optional[float]:
        return self._options.deadline

    @property
    def pool_maxsize(self) -> int:
        """Connections kept open to the service: the most calls (or ``ingest`` workers) at once."""
        return self._transport.pool_maxsize

    @property
    def pace_id(self) -> str:
        """Names the key's pace without holding the key: the same for every client of one key and URL."""
        return self._transport.pace_id

    @property
    def pace_url(self) -> Optional[str]:
        """Where the key's pace is kept, as given (or from ``SYNAP_PACE_URL``), a password in it shown as
        ``***``; None: this host's file."""
        url = self._transport.pace_url
        return None if url is None else shown(url)

    def pace(self) -> PaceStatus:
        """What the key's pace knows now, as every process sharing it sees it: where it is kept, the
        learned rate, whether it is probing, the lanes' recent use and the 429s."""
        status = self._transport.pace.status() if isinstance(self._transport.pace, Pacer) else None
        if status is None:
            raise refuse("pace", "this client's pace is kept on a cluster's scheduler; ask it there")
        return status

    @property
    def max_requests_per_second(self) -> Optional[float]:
        """The key's known rate limit, as given (None: learned from the service's 429s)."""
        value: Optional[float] = self._settings["max_requests_per_second"]
        return value

    def __repr__(self) -> str:
        return f"SynapClient(base_url={self.base_url!r}, instance_id={self.instance_id!r}, api_key='***')"

    def __reduce__(self) -> Tuple[Any, ...]:
        """Pickles as its configuration, for the workers of a cluster: never its pool, locks or pace.

        The key travels masked (not encrypted), or not at all when it came from ``SYNAP_API_KEY``:
        the unpickled client then reads the worker's own. A process rebuilds one client per
        configuration and shares it between the tasks that unpickle it.
        """
        options = self._options
        return (
            _rebuild_client,
            (self._settings, options.timeout, options.max_retries, options.deadline, True, options.priority),
        )

    def initialize(self) -> Optional[InstanceIdentity]:
        """Ask the service who this key is: learns the instance and client ids and the isolation.

        Optional, as in the official SDK; a transient failure is logged and ``None`` returned, but
        a permanent one (an invalid key) is raised, since nothing else would work either, and so is
        an answer that cannot be used (`SynapProtocolError`: say, an id a header cannot carry).
        """
        correlation_id = self._transport.new_correlation_id()
        self._transport.refuse_when_closed(correlation_id)
        try:
            reply = self._transport.request("GET", WHOAMI_PATH, self._options, correlation_id=correlation_id)
        except (SynapPermanentError, SynapClientClosedError):
            raise
        except SynapError as error:
            log.warning("whoami failed, continuing without it: %s", error)
            return None
        # An answer whose ids could not go in a header is refused here, before anything keeps them.
        identity = InstanceIdentity.from_dict(reply, correlation_id)
        self._transport.gate.remember(identity)
        return identity

    def close(self) -> None:
        """Release the pooled connections; every call made after this is refused
        (`SynapClientClosedError`), and a bulk run still going stops, its unsent documents reported
        not sent. A view made by `with_options` does not own the pool: closing the view (or leaving its
        ``with`` block) leaves the client it came from open."""
        if self._owns_transport:
            self._transport.close()

    #: The official SDK's name for `close`.
    shutdown = close

    def __enter__(self) -> "SynapClient":
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close()


class MaximemSynapSDK(SynapClient):
    """The official SDK's constructor, for ported code: ``MaximemSynapSDK(instance_id, api_key, config)``
    is ``SynapClient(api_key=api_key, instance_id=instance_id or None, config=config)``, blocking.

    ``initialize()`` is optional here, ``shutdown()`` is ``close()``; it is no per-process singleton (two
    calls give two clients, sharing the key's pace), so ``_force_new`` changes nothing.
    """

    def __init__(
        self,
        instance_id: str = "",
        api_key: Optional[str] = None,
        config: Optional[SDKConfig] = None,
        _force_new: bool = False,
    ) -> None:
        super().__init__(api_key=api_key, instance_id=instance_id or None, config=config)


class _SealedKey:
    """An API key as a pickled client carries it: masked, so that neither its ``repr`` nor the pickled
    bytes show it (a task graph may be logged or dumped); masking is not encryption."""

    __slots__ = ("_masked",)
    what = "API key"

    def __init__(self, key: str) -> None:
        self._masked = base64.b85encode(bytes(byte ^ 0x5A for byte in key.encode("utf-8"))).decode("ascii")

    def reveal(self) -> str:
        return bytes(byte ^ 0x5A for byte in base64.b85decode(self._masked)).decode("utf-8")

    def __repr__(self) -> str:
        return f"<{self.what}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _SealedKey) and other._masked == self._masked

    def __hash__(self) -> int:
        return hash(self._masked)

    def __getstate__(self) -> str:
        return self._masked

    def __setstate__(self, masked: str) -> None:
        self._masked = masked


class _SealedURL(_SealedKey):
    """A pace URL as a pickled client carries it: a Redis password in it is masked like the key."""

    __slots__ = ()
    what = "pace URL"


#: Clients rebuilt from a pickle in this process, by configuration, the most recently used last: a
#: worker's tasks share one pool. At most MAX_REBUILT are kept (a process serving 1,200 tenants keeps
#: the busiest); one dropped lets its idle connections go, and the rest when its last user drops it.
_REBUILT: "OrderedDict[str, SynapClient]" = OrderedDict()
_REBUILT_LOCK = threading.Lock()
MAX_REBUILT = 16


def _renew_rebuilt_lock() -> None:
    """A forked child: another thread may have held the lock at the fork, and would never release it."""
    global _REBUILT_LOCK
    _REBUILT_LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_renew_rebuilt_lock)


def _rebuild_client(
    settings: Dict[str, Any],
    timeout: Tuple[float, float],
    max_retries: int,
    deadline: Optional[float],
    shared: bool = True,
    priority: Optional[str] = None,
) -> SynapClient:
    """Unpickle a `SynapClient`: this process's client of that configuration (made on first use),
    seen with the pickled client's call options; with ``shared=False``, a client of its own."""
    settings = dict(settings)
    sealed = settings.pop("api_key")
    key = sealed.reveal() if sealed is not None else None
    sealed_url = settings.pop("pace_url")
    settings["pace_url"] = sealed_url.reveal() if sealed_url is not None else None
    clock = settings.pop("clock")
    if clock is not None or not shared:  # a test's clock is never shared
        own = SynapClient(key, **settings, clock=clock or SYSTEM_CLOCK)
        own._options = _call_options(timeout, max_retries, deadline, priority)  # its own, not a view: it owns its pool
        return own
    identity = hashlib.sha256(repr((sorted(settings.items()), key)).encode("utf-8")).hexdigest()
    dropped: List[SynapClient] = []
    with _REBUILT_LOCK:
        client = _REBUILT.get(identity)
        if client is None or client._transport.closed:
            client = _REBUILT[identity] = SynapClient(key, **settings)
        _REBUILT.move_to_end(identity)
        while len(_REBUILT) > MAX_REBUILT:
            dropped.append(_REBUILT.popitem(last=False)[1])
    for old in dropped:
        old._transport.release_idle()
    return client.with_options(timeout=timeout, max_retries=max_retries, deadline=deadline, priority=priority)


def private_copy(client: SynapClient, pace: Optional[Callable[[Clock], Pace]] = None) -> SynapClient:
    """A new client of ``client``'s configuration and call options, with a pool of its own and a pace
    of its own: ``pace(clock)`` when given (a cluster task's pace, kept on the scheduler)."""
    options = client._options
    copy = _rebuild_client(
        client._settings, options.timeout, options.max_retries, options.deadline, False, options.priority
    )
    if pace is not None:
        copy._transport.use_pace(pace(copy._transport.clock))
    return copy


def _checked_key(api_key: Optional[str], base_url: str) -> str:
    """The key as it goes in the header: surrounding whitespace (a paste error) dropped, anything
    else a header cannot carry refused without showing the key; a key too short to be a secret is
    for an emulator on this machine only."""
    if api_key is None or not isinstance(api_key, str) or not api_key.strip():
        raise SynapAuthError("no API key: pass api_key= or set SYNAP_API_KEY")
    key = api_key.strip()
    bad = [char for char in key if not (" " < char <= "~")]
    if bad:
        raise SynapAuthError(
            f"the API key contains {len(bad)} character(s) an HTTP header cannot carry "
            "(spaces, line breaks, or non-ASCII such as a zero-width space); copy it again"
        )
    host = urlsplit(base_url).hostname or ""
    if len(key) < MIN_SECRET_LENGTH and not is_loopback(host):
        raise SynapAuthError(
            f"the API key is {len(key)} characters long, too short to be one (Synap's are far longer); "
            "short keys are accepted only for an emulator on this machine"
        )
    return key


def _call_options(timeout: Timeout, max_retries: Any, deadline: Any, priority: Any = None) -> CallOptions:
    if priority is not None and priority not in LANES:
        raise refuse("priority", f"must be None, 'interactive' or 'bulk', got {priority!r}")
    if not whole_number(max_retries) or max_retries < 0:
        raise refuse("max_retries", f"must be a whole number >= 0, got {max_retries!r}")
    if deadline is not None and not positive_number(deadline):
        raise refuse("deadline", f"must be None or seconds > 0, got {deadline!r}")
    return CallOptions(
        timeout=_check_timeout(timeout),
        max_retries=max_retries,
        deadline=None if deadline is None else float(deadline),
        priority=priority,
    )


def _check_timeout(timeout: Union[Timeout, Any]) -> Tuple[float, float]:
    if positive_number(timeout):
        return (float(timeout), float(timeout))  # type: ignore[arg-type]
    if isinstance(timeout, tuple) and len(timeout) == 2 and all(positive_number(part) for part in timeout):
        return (float(timeout[0]), float(timeout[1]))
    raise refuse("timeout", f"must be seconds > 0 or a (connect, read) tuple, got {timeout!r}")
