"""The one path every call takes to the service: the pace, headers, retries, the deadline, reading
the reply within bounds, and the API key kept out of everything that comes back. What a reply means
(the error it maps to, whether a failed request may have stored something) is `synap_sync._replies`'.

Every request goes through ``Session.send`` of a `requests.Session` (the client's own, or one the
caller hands in), so the tools built around requests see each one: OpenTelemetry's and ddtrace's
instrumentation, Sentry, requests-mock, responses, requests-cache.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import random
import re
import time
import weakref
from typing import Any, Callable, Dict, List, Optional, Set, Tuple, Union
from urllib.parse import urlencode

import attrs
import requests
import urllib3
from requests.structures import CaseInsensitiveDict

from ._clock import SYSTEM_CLOCK, Clock
from ._constants import DEFAULT_MAX_REPLY_BYTES, GATED_PATHS, MAX_THROTTLED_ATTEMPTS
from ._gate import InstanceGate
from ._pace import INTERACTIVE, Pace, forget_shared_paces, shared_pace
from ._reader import WithinDeadline, read_reply
from ._replies import REDIRECT_LOCATION, WRITE_METHODS, error_from_reply, may_have_stored, parse_reply
from ._retry import Backoff, Verdict, classify
from ._urls import shown
from ._version import __version__
from ._watchdog import WatchedAdapter, fresh_pools, watch_adapter, watch_attempt
from .errors import (
    SynapClientClosedError,
    SynapError,
    SynapInstanceNotReadyError,
    SynapNetworkError,
    SynapPaceTimeoutError,
    SynapProxyError,
    SynapRateLimitError,
    SynapTimeoutError,
)

log = logging.getLogger("synap_sync")

Timeout = Union[float, Tuple[float, float]]

USER_AGENT = f"synap-sync/{__version__} python-requests/{requests.__version__}"
#: A key shorter than this is no secret (an emulator's test key): it is not searched for in replies
#: and messages, where it would mangle ordinary words. The client refuses one outside loopback.
MIN_SECRET_LENGTH = 8


@attrs.frozen
class CallOptions:
    """Limits for one call, from the client or ``with_options``; normalised once, trusted after.

    :param timeout: (connect, read) seconds for each attempt's socket operations.
    :param max_retries: retries after the first attempt, where the contract allows one; 429s waited
        out on the pace do not count against it, but 0 means one attempt whatever the answer.
    :param deadline: seconds for the whole call: pacing, attempts, backoff and reading the reply.
    :param wait_when_throttled: wait for the pace after a 429 and try again; off for the bulk engine,
        which counts its 429s itself.
    :param priority: the pace's lane: ``interactive`` (books the next slot) or ``bulk`` (takes what
        interactive calls leave); None for the call's own kind (a direct call is interactive, ``ingest``
        bulk).
    """

    timeout: Tuple[float, float]
    max_retries: int
    deadline: Optional[float]
    wait_when_throttled: bool = True
    priority: Optional[str] = None


@attrs.frozen
class _Call:
    """One call as each of its attempts sends it, fixed when `Transport.request` begins."""

    method: str
    path: str
    #: A fresh body for each attempt (the encoded JSON, or a new stream over an upload).
    make_body: Callable[[], Any]
    headers: Dict[str, str]
    correlation_id: str
    options: CallOptions
    #: The call's deadline on the transport's clock, or None for none.
    deadline: Optional[float]


class CallRecord:
    """What happened inside one call, for a caller that reads the reply in its light."""

    __slots__ = ("resent_after_unknown",)

    def __init__(self) -> None:
        #: An attempt whose outcome was unknown (it may have been stored) was followed by a resend.
        self.resent_after_unknown = False


def new_correlation_id(prefix: str) -> str:
    """A unique, printable id in the official SDK's form: ``syn_<prefix>_<ms>_<6 hex>``."""
    return f"syn_{prefix}_{int(time.time() * 1000)}_{random.getrandbits(24):06x}"


class Transport:
    """Owns the connection pool and the key's pace; thread-safe, one per client (views share it).

    :param api_key: sent as the bearer token; never logged, and removed from whatever comes back.
    :param max_requests_per_second: a known ceiling for the key's pace.
    :param pace_url: where the key's pace is kept (`synap_sync._pace_stores.open_store`); this host's file
        when None.
    :param interactive_share: the part of the pace bulk calls leave to interactive ones while they are
        being made.
    :param max_reply_bytes: a reply larger than this is refused while it streams in.
    :param session: a caller's `requests.Session`: it prepares and sends every request (its adapters,
        proxies, ``verify``, ``cert``, headers, cookies and hooks apply; never its ``auth``), and it is
        not closed with the transport. Without one the transport makes and owns its own.
    """

    def __init__(
        self,
        api_key: str,
        base_url: str,
        *,
        instance_id: Optional[str] = None,
        pool_maxsize: int = 10,
        max_requests_per_second: Optional[float] = None,
        pace_url: Optional[str] = None,
        interactive_share: float = 0.0,
        max_reply_bytes: int = DEFAULT_MAX_REPLY_BYTES,
        retry: Optional[Backoff] = None,
        clock: Clock = SYSTEM_CLOCK,
        session: Optional[requests.Session] = None,
    ) -> None:
        self._api_key = api_key
        #: What is taken out of replies and messages: the key, unless it is too short to be a secret.
        self._secret_text = api_key if len(api_key) >= MIN_SECRET_LENGTH else ""
        self._secret = self._secret_text.encode("utf-8")
        self.pool_maxsize = pool_maxsize
        self.max_reply_bytes = max_reply_bytes
        self.retry = retry or Backoff()
        self.clock = clock
        #: Who the key is, and the instance's not-ready wait: the refusals made before sending.
        self.gate = InstanceGate(clock, instance_id)
        self.correlation_prefix = instance_id[5:13] if instance_id else "sync"
        self.closed = False
        self._owns_session = session is None
        self.session = session if session is not None else _own_session(pool_maxsize)
        template = requests.PreparedRequest()
        template.prepare(method="GET", url=base_url.rstrip("/") + "/")
        self.base_url = (template.url or "").rstrip("/")
        # The client talks to one host, so the session's and the environment's settings (proxies, CA
        # bundle, client certificate) are merged once here instead of on every call.
        settings = self.session.merge_environment_settings(self.base_url + "/", {}, True, None, None)
        self.proxies: Dict[str, str] = dict(settings["proxies"] or {})
        self._verify: Union[bool, str] = settings["verify"] if settings["verify"] is not None else True
        self._cert: Any = settings["cert"]
        if not self._owns_session:
            self._watch_callers_adapter()
        self._headers = CaseInsensitiveDict(
            {
                "Authorization": f"Bearer {api_key}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Accept-Encoding": "identity",
                "User-Agent": USER_AGENT,
                "Connection": "keep-alive",
            }
        )
        self._max_requests_per_second = max_requests_per_second
        self.pace_url = pace_url
        self.interactive_share = interactive_share
        self.pace: Pace = shared_pace(self.base_url, api_key, max_requests_per_second, clock, pace_url)
        #: Names the key's pace without holding the key: the same for every client of the key and URL.
        self.pace_id = hashlib.sha256(f"{self.base_url}\n{api_key}".encode("utf-8")).hexdigest()
        _LIVE.add(self)

    def use_pace(self, pace: Pace) -> None:
        """Take its slots from ``pace`` instead of this process's pace for the key (a pace shared
        across a cluster); for a transport of its own, before its first call."""
        self.pace = pace

    def _watch_callers_adapter(self) -> None:
        """A caller's session: its adapter for our URL keeps the deadline on the reply's head, when it
        is requests' own (a mock's or a cache's adapter has no sockets to watch)."""
        proxy = requests.utils.select_proxy(self.base_url + "/", self.proxies)
        watch_adapter(self.session.get_adapter(self.base_url + "/"), proxy)

    def _start_over_after_fork(self) -> None:
        """In a forked child: the pooled connections and the locks belong to the parent (a connection
        shared by two processes mixes their requests and replies); take new ones, without closing the
        parent's sockets."""
        if self._owns_session:
            self.session = _own_session(self.pool_maxsize)
        else:
            fresh_pools(self.session.get_adapter(self.base_url + "/"))
            self._watch_callers_adapter()
        self.gate.start_over_after_fork()
        self.pace = shared_pace(self.base_url, self._api_key, self._max_requests_per_second, self.clock, self.pace_url)

    def __repr__(self) -> str:
        return f"<Transport {self.base_url}>"

    def close(self) -> None:
        """Refuse every later send (retries too) and release the pooled connections; waits for
        nothing: a call in flight keeps its connection until it ends, then that one closes too.
        A caller's session is theirs to close."""
        self.closed = True
        self.release_idle()

    def release_idle(self) -> None:
        """Close the pooled connections now idle (the client stays usable: the next call opens one).
        A caller's session is left alone: its pool serves the caller's other requests too."""
        if self._owns_session:
            self.session.close()

    def new_correlation_id(self) -> str:
        return new_correlation_id(self.correlation_prefix)

    @property
    def instance_id(self) -> Optional[str]:
        return self.gate.instance_id

    # --- one call --------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        options: CallOptions,
        *,
        body: Optional[bytes] = None,
        correlation_id: Optional[str] = None,
        repeatable: Optional[bool] = None,
        record: Optional[CallRecord] = None,
        query: Optional[Dict[str, str]] = None,
        stream: Optional[Callable[[], Any]] = None,
        content_type: Optional[str] = None,
    ) -> Any:
        """Send one call, retrying where the contract allows, and return the reply's parsed JSON
        (``{}`` for a 204, or a DELETE answered with no body).

        :param body: the encoded JSON body, or None.
        :param query: query parameters, form-encoded here (a space as ``+``), as the official SDK sends them.
        :param stream: instead of ``body``, makes a fresh file-like body for each attempt (an upload
            streamed from disk); it has ``len()``, sent as Content-Length.
        :param content_type: the body's type when it is not JSON (a form).
        :param repeatable: may a request whose outcome is unknown be sent again? Defaults to True for
            GET and False otherwise.
        :param record: told whether a resend followed an attempt that may have been acted on.
        :raises SynapError: the mapped failure of the last attempt, or `SynapTimeoutError` /
            `SynapRateLimitError` when the deadline leaves no time for what must come next.
        """
        correlation_id = correlation_id or self.new_correlation_id()
        if repeatable is None:
            repeatable = method == "GET"
        deadline = None if options.deadline is None else self.clock.now() + options.deadline
        headers = self._call_headers(correlation_id)
        if content_type is not None:
            headers["Content-Type"] = content_type
        if query:
            path = path + "?" + urlencode(query)  # form-encoded, as the official SDK's: a space is "+"
        retries = throttles = 0
        make_body: Callable[[], Any] = stream if stream is not None else lambda: body
        call = _Call(method, path, make_body, headers, correlation_id, options, deadline)
        while True:
            try:
                return self._attempt(call)
            except SynapError as error:
                verdict = classify(error, repeatable)
                if verdict is Verdict.THROTTLED:
                    throttles += 1
                    if not self._may_wait_for_pace(error, throttles, options, deadline):
                        raise
                    continue  # the pace, told of the 429 already, gives the next slot
                if verdict is Verdict.STOP or retries >= options.max_retries:
                    raise
                retries += 1
                delay = self.retry.delay(error, retries)
                if deadline is not None and self.clock.now() + delay > deadline:
                    raise
                log.info("retrying %s %s in %.2fs after: %s", method, path, delay, error)
                if record is not None and error.outcome_unknown:
                    record.resent_after_unknown = True
                self.clock.sleep(delay)

    def _may_wait_for_pace(
        self, error: SynapError, throttles: int, options: CallOptions, deadline: Optional[float]
    ) -> bool:
        """After a 429: try again on the pace's next slot, unless this call may not retry, has met
        too many 429s, or the service asked for a wait the call's deadline cannot afford."""
        if not options.wait_when_throttled or not options.max_retries or throttles >= MAX_THROTTLED_ATTEMPTS:
            return False
        if deadline is not None and error.retry_after is not None:
            return self.clock.now() + error.retry_after <= deadline
        return True

    def _call_headers(self, correlation_id: str) -> Dict[str, str]:
        headers = {"X-Correlation-ID": correlation_id}
        gate = self.gate
        if gate.instance_id:
            headers["X-Instance-ID"] = gate.instance_id
        if gate.client_id:
            headers["X-Client-ID"] = gate.client_id
        return headers

    def refuse_when_closed(self, correlation_id: Optional[str] = None) -> None:
        """A closed client sends nothing more: every call (and every retry) is refused, before anything else."""
        if self.closed:
            raise SynapClientClosedError(
                "the client is closed (close() was called, or its with-block ended): make a new SynapClient",
                correlation_id=correlation_id,
            )

    def _attempt(self, call: _Call) -> Any:
        method, path, correlation_id, deadline = call.method, call.path, call.correlation_id, call.deadline
        self.refuse_when_closed(correlation_id)
        gated = path in GATED_PATHS
        if gated:
            self.gate.refuse_while_held(correlation_id)
        sent_at = self._take_slot(deadline, correlation_id, call.options.priority or INTERACTIVE)
        try:
            response = self._send_once(call)
            content = read_reply(
                response,
                deadline=deadline,
                clock=self.clock,
                max_bytes=self.max_reply_bytes,
                secret=self._secret,
                correlation_id=correlation_id,
                method=method,
            )
        except SynapError:
            self.pace.unanswered(sent_at)  # a probe that got no answer must not hold the others back
            raise
        finally:
            if self.closed:  # closed while this call was in flight: its connection goes too
                self.release_idle()
        status = response.status_code
        log.debug("%s %s -> %s correlation_id=%s", method, path, status, correlation_id)
        if status == 407:  # only a proxy answers 407: the request never reached the service
            self.pace.unanswered(sent_at)
            raise self._proxy_refused(f"407 {response.reason or 'Proxy Authentication Required'}", correlation_id)
        if 200 <= status < 300:
            self.pace.accepted(sent_at)
            if gated:
                self.gate.release()
            if status == 204 or (method == "DELETE" and not content.strip()):  # done, nothing to say
                return {}
            return parse_reply(content, status, correlation_id, method, self._secret_text)
        error = error_from_reply(
            status, response.reason, response.headers, content, correlation_id, self._secret_text, method
        )
        if status == 429 and classify(error, False) is Verdict.THROTTLED:
            self.pace.throttled(sent_at, error.retry_after)
        elif status == 429:
            self.pace.unanswered(sent_at)  # a quota, not the bucket: it says nothing of the pace
        else:
            self.pace.accepted(sent_at)  # any other answer took one of the key's tokens too
        if isinstance(error, SynapInstanceNotReadyError) and gated:
            self.gate.hold_back(error)
        raise error

    def _send_once(self, call: _Call) -> requests.Response:
        """Send the request and return the reply with its head read; the body is left to `_read`.

        A request that meets the close of a kept-alive connection the server had let go idle, before
        any byte of a reply, was never read by the service: it goes again, at once, on another
        connection, whatever its method (see `synap_sync._watchdog` for what counts as idle). Each
        such connection is discarded, so this ends on a fresh one, where a failure is reported as it is.
        """
        method, path, correlation_id, deadline = call.method, call.path, call.correlation_id, call.deadline
        for _ in range(self.pool_maxsize + 1):
            self.refuse_when_closed(correlation_id)
            timeout = self._timeout_within(call.options.timeout, deadline, correlation_id)
            body = call.make_body()
            if hasattr(body, "read") and deadline is not None:  # a streamed upload: sent within the deadline too
                body = WithinDeadline(body, deadline, self.clock)
            prepared = self._prepare(method, path, body, call.headers)
            log.debug("%s %s correlation_id=%s", method, path, correlation_id)
            try:
                with watch_attempt(None if deadline is None else deadline - self.clock.now()) as attempt:
                    return self.session.send(
                        prepared,
                        stream=True,
                        timeout=timeout,
                        verify=self._verify,
                        cert=self._cert,
                        proxies=self.proxies,
                        allow_redirects=False,
                    )
            except requests.RequestException as exc:
                if isinstance(body, WithinDeadline) and body.expired:
                    raise SynapTimeoutError(
                        "the call's deadline passed while the request body was being sent",
                        correlation_id=correlation_id,
                        outcome_unknown=may_have_stored(method),
                    ) from None
                if self._past(deadline):  # the watchdog, or the socket's timeout, cut the head off at the deadline
                    raise SynapTimeoutError(
                        "the call's deadline passed while the reply's status line and headers were arriving",
                        correlation_id=correlation_id,
                        outcome_unknown=may_have_stored(method),
                    ) from None
                if not attempt.stale:
                    raise self._network_error(exc, correlation_id, method) from None
                log.info("%s %s: the server had closed the kept-alive connection; sending again", method, path)
        raise SynapNetworkError(  # every pooled connection was stale, and so was the fresh one
            f"cannot reach {self.base_url}: every connection was closed before a reply",
            correlation_id=correlation_id,
            outcome_unknown=may_have_stored(method),
        )

    def _prepare(self, method: str, path: str, body: Any, headers: Dict[str, str]) -> requests.PreparedRequest:
        """The request as it goes out. A caller's session prepares it (its headers, cookies and hooks join
        in, as for any request it sends; its ``auth`` and ~/.netrc never replace the API key); the
        transport's own session has none of those, so its requests are prepared here, directly."""
        if not self._owns_session:
            request = requests.Request(
                method,
                self.base_url + path,
                headers={**self._headers, **headers},
                data=body,
                # requests would let a request's own response hooks replace the session's: both are kept.
                hooks={"response": [*self.session.hooks.get("response", ()), _keep_redirect_here]},
                auth=_keep_authorization,
            )
            return self.session.prepare_request(request)
        prepared = requests.PreparedRequest()
        prepared.method = method
        prepared.url = self.base_url + path
        prepared.headers = self._headers.copy()
        prepared.headers.update(headers)
        prepared.body = body
        if body is not None:
            prepared.headers["Content-Length"] = str(len(body))
        elif method in WRITE_METHODS:
            prepared.headers["Content-Length"] = "0"
        prepared.hooks = {"response": [_keep_redirect_here]}
        return prepared

    def _take_slot(self, deadline: Optional[float], correlation_id: str, lane: str) -> float:
        """Wait for the key's pace to give this attempt a slot in its lane, or refuse at once if it falls
        too late."""
        slot = self.pace.acquire(deadline, lane, self.interactive_share)
        if slot is None:
            wait = self.pace.next_slot_in()
            if deadline is not None and self.clock.now() >= deadline:
                raise SynapPaceTimeoutError(
                    "the call's deadline passed while it waited for the key's pace",
                    retry_after=wait,
                    correlation_id=correlation_id,
                )
            raise SynapRateLimitError(
                f"the key's pace has no slot for {wait:.2f}s, past this call's deadline",
                retry_after=wait,
                correlation_id=correlation_id,
            )
        return slot

    def _timeout_within(
        self, timeout: Tuple[float, float], deadline: Optional[float], correlation_id: str
    ) -> Tuple[float, float]:
        """The socket timeouts for one attempt, never reaching past the call's deadline."""
        if deadline is None:
            return timeout
        remaining = deadline - self.clock.now()
        if remaining <= 0:
            raise SynapTimeoutError("the call's deadline passed", correlation_id=correlation_id)
        return (min(timeout[0], remaining), min(timeout[1], remaining))

    def _past(self, deadline: Optional[float]) -> bool:
        """Has the call's deadline passed? (A failure then is the deadline's, not the network's.)"""
        return deadline is not None and self.clock.now() >= deadline

    def _network_error(self, exc: requests.RequestException, correlation_id: str, method: str) -> SynapNetworkError:
        """Map a requests failure to a plain message; says whether the service may have acted on the request."""
        if isinstance(exc, requests.exceptions.ProxyError):
            refusal = _tunnel_refusal(exc)
            if refusal is not None:
                return self._proxy_refused(refusal, correlation_id)
            return SynapProxyError(
                f"cannot reach the proxy at {self._proxy_shown()}: {_reason(exc)}; nothing reached the service",
                correlation_id=correlation_id,
                code="proxy_unreachable",
                outcome_unknown=False,
            )
        never_connected = isinstance(exc, requests.ConnectTimeout) or _refused(exc)
        if never_connected:
            message = f"cannot connect to {self.base_url}: {_reason(exc)}"
        else:
            message = f"the connection to {self.base_url} failed: {_reason(exc)}"
        if self._secret_text:
            message = message.replace(self._secret_text, "***")
        return SynapNetworkError(
            message, correlation_id=correlation_id, outcome_unknown=may_have_stored(method, sent=not never_connected)
        )

    def _proxy_shown(self) -> str:
        proxy = requests.utils.select_proxy(self.base_url + "/", self.proxies)
        return shown(proxy) if proxy else "(none configured)"

    def _proxy_refused(self, refusal: str, correlation_id: str) -> SynapProxyError:
        return SynapProxyError(
            f"the proxy at {self._proxy_shown()} refused to carry the request to {self.base_url}: {refusal}; "
            "nothing reached the service",
            correlation_id=correlation_id,
            code="proxy_refused",
            outcome_unknown=False,
        )


def _keep_authorization(request: requests.PreparedRequest) -> requests.PreparedRequest:
    """The request's auth: it leaves the Authorization header (the API key) as it is, and, being set, keeps
    a session's ``auth`` and ~/.netrc from replacing it."""
    return request


def _tunnel_refusal(exc: BaseException) -> Optional[str]:
    """What a proxy answered to CONNECT when it refused the tunnel (``407 Proxy Authentication Required``)."""
    for cause in _causes(exc):
        found = _TUNNEL_REFUSED.search(str(cause))
        if found:
            return found.group(1).strip().rstrip("')\"")
    return None


_TUNNEL_REFUSED = re.compile(r"Tunnel connection failed: ([^'\"]+)")


def _keep_redirect_here(response: requests.Response, **_: Any) -> requests.Response:
    """A response hook: requests reads a redirect's whole body, however large, to get the next request
    ready even when it follows none. This client follows none and reads every body itself, within its
    bounds, so the Location moves out of requests' sight first."""
    if response.is_redirect:
        response.headers[REDIRECT_LOCATION] = response.headers.pop("Location")
    return response


def _own_session(pool_maxsize: int) -> requests.Session:
    """The session a transport makes for itself: watched connections, no retries below ours, and a
    cookie jar that keeps nothing."""
    session = requests.Session()
    adapter = WatchedAdapter(pool_connections=1, pool_maxsize=pool_maxsize, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.cookies = _NoCookies()
    return session


class _NoCookies(requests.cookies.RequestsCookieJar):
    """A cookie jar that keeps nothing, without reading the reply's headers for cookies it would refuse."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None

    def set_cookie(self, cookie: Any, *args: Any, **kwargs: Any) -> None:
        return None


#: Every transport alive in this process, so a forked child can give each its own pool and pace.
_LIVE: "weakref.WeakSet[Transport]" = weakref.WeakSet()


def _start_over_in_child() -> None:
    forget_shared_paces()
    for transport in list(_LIVE):
        transport._start_over_after_fork()


if hasattr(os, "register_at_fork"):  # POSIX: gunicorn --preload, celery prefork, multiprocessing's fork
    os.register_at_fork(after_in_child=_start_over_in_child)


def _causes(exc: BaseException) -> List[BaseException]:
    """``exc`` and every exception urllib3 and requests wrapped in it, outermost first."""
    causes: List[BaseException] = []
    seen: Set[int] = set()
    pending: List[Any] = [exc]
    while pending:
        cause = pending.pop()
        if not isinstance(cause, BaseException) or id(cause) in seen:
            continue
        seen.add(id(cause))
        causes.append(cause)
        pending += [cause.__cause__, cause.__context__, getattr(cause, "reason", None), *cause.args[:1]]
        pending.append(getattr(cause, "original_error", None))  # urllib3's ProxyError keeps what the proxy did
    return causes


def _reason(exc: BaseException) -> str:
    """What went wrong, in a few words, from the bottom of the chain urllib3 and requests wrap it in."""
    causes = _causes(exc)
    for cause in causes:
        if isinstance(cause, urllib3.exceptions.NewConnectionError):  # a ConnectTimeoutError by descent only
            continue
        if isinstance(cause, (requests.ConnectTimeout, urllib3.exceptions.ConnectTimeoutError)):
            return "timed out while connecting"
        if isinstance(cause, (requests.ReadTimeout, urllib3.exceptions.ReadTimeoutError, TimeoutError)):
            return "no reply within the read timeout"
        if isinstance(cause, http.client.RemoteDisconnected):
            return "the server closed the connection without a reply"
    for cause in reversed(causes):
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror[:1].lower() + cause.strerror[1:]
    if isinstance(exc, requests.exceptions.SSLError):
        return "the TLS handshake failed"
    return type(causes[-1]).__name__


def _refused(exc: requests.RequestException) -> bool:
    """True when the connection was never made (refused, unresolvable): nothing was sent."""
    if not isinstance(exc, requests.ConnectionError) or not exc.args:
        return False
    reason = getattr(exc.args[0], "reason", None)
    return isinstance(reason, urllib3.exceptions.NewConnectionError)
