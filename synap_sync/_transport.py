"""The one path every call takes to the service: headers, JSON, retries, error mapping, redaction."""

from __future__ import annotations

import email.utils
import json
import logging
import os
import random
import threading
import time
from datetime import datetime, timezone
from typing import Any, Dict, Optional, Tuple, Union

import requests
import urllib3
from requests.adapters import HTTPAdapter

from . import __version__
from .errors import (
    SynapAuthError,
    SynapConflictError,
    SynapError,
    SynapInstanceNotReadyError,
    SynapInsufficientCreditsError,
    SynapNetworkError,
    SynapNotFoundError,
    SynapPermanentError,
    SynapProtocolError,
    SynapQuotaExceededError,
    SynapRateLimitError,
    SynapServerError,
    SynapValidationError,
)

log = logging.getLogger("synap_sync")

Timeout = Union[float, Tuple[float, float]]

USER_AGENT = f"synap-sync/{__version__} python-requests/{requests.__version__}"

#: ASCII-escaped output encodes faster than UTF-8 (measured: ~1/3 less time for a 100-document batch).
_ENCODER = json.JSONEncoder(allow_nan=False)


def encode_json(value: Any) -> bytes:
    """The one JSON encoding every request body uses."""
    return _ENCODER.encode(value).encode("ascii")


#: 429 reasons that waiting will not clear.
_PERMANENT_RATE_LIMIT_REASONS = frozenset({"trial_limit_reached", "subscription_inactive"})


class RetryPolicy:
    """Exponential backoff with jitter, as the official SDK: from 1 s, doubling, capped at 10 s, +≤25%."""

    def __init__(
        self,
        max_retries: int = 2,
        backoff_seconds: float = 1.0,
        max_backoff_seconds: float = 10.0,
        jitter: float = 0.25,
        max_retry_after_seconds: float = 60.0,
    ) -> None:
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.jitter = jitter
        self.max_retry_after_seconds = max_retry_after_seconds

    def delay(self, error: SynapError, retry_number: int) -> float:
        """Seconds to wait before retry number ``retry_number`` (1-based) after ``error``."""
        retry_after: Optional[float] = getattr(error, "retry_after", None)
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after_seconds)
        backoff = min(self.max_backoff_seconds, self.backoff_seconds * 2.0 ** (retry_number - 1))
        return backoff * (1.0 + random.uniform(0.0, self.jitter))


def may_retry(error: SynapError, repeat_is_harmless: bool) -> bool:
    """Whether the contract allows sending the same request again after ``error``.

    :param repeat_is_harmless: the request is idempotent, or every document in it has a document_id.
    """
    if isinstance(error, (SynapRateLimitError, SynapServerError)):
        return True
    if isinstance(error, (SynapNetworkError, SynapProtocolError)):
        return repeat_is_harmless or not error.outcome_unknown
    return False


def new_correlation_id(prefix: str) -> str:
    """A unique, printable id in the official SDK's form: ``syn_<prefix>_<ms>_<6 hex>``."""
    return f"syn_{prefix}_{int(time.time() * 1000)}_{random.getrandbits(24):06x}"


class Transport:
    """Owns the pooled ``requests.Session``; thread-safe, one per client."""

    def __init__(
        self,
        api_key: str,
        base_url: str,
        timeout: Timeout,
        retry: RetryPolicy,
        pool_maxsize: int = 10,
    ) -> None:
        self._api_key = api_key
        self.pool_maxsize = pool_maxsize
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retry = retry
        self.instance_id: Optional[str] = None
        self.client_id: Optional[str] = None
        self.correlation_prefix = "sync"
        self._not_ready_until = 0.0
        self._lock = threading.Lock()
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=pool_maxsize, max_retries=0)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.headers.update(
            {
                "Authorization": f"Bearer {api_key}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            }
        )
        # The client talks to one host, so the environment (proxies, CA bundle) is read once here
        # instead of on every call; trust_env off also keeps ~/.netrc from replacing the API key.
        self._proxies = requests.utils.get_environ_proxies(self.base_url)
        self._verify: Union[bool, str] = (
            os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        )
        self.session.trust_env = False
        self._template = self.session.prepare_request(requests.Request("GET", self.base_url + "/"))
        self.base_url = (self._template.url or "").rstrip("/")

    def __repr__(self) -> str:
        return f"<Transport {self.base_url}>"

    def close(self) -> None:
        self.session.close()

    def new_correlation_id(self) -> str:
        return new_correlation_id(self.correlation_prefix)

    def request(
        self,
        method: str,
        path: str,
        payload: Any = None,
        *,
        body: Optional[bytes] = None,
        correlation_id: Optional[str] = None,
        repeat_is_harmless: Optional[bool] = None,
        max_retries: Optional[int] = None,
    ) -> Any:
        """Send one call, retrying where safe, and return the reply's parsed JSON.

        :param payload: the JSON body, encoded once here; None for no body.
        :param body: an already encoded JSON body, sent as is (instead of ``payload``).
        :param repeat_is_harmless: may a request whose outcome is unknown be repeated? Defaults to
            True for GET and False otherwise.
        :param max_retries: overrides the client's retry count for this call (the bulk engine paces
            its own retries).
        :raises SynapError: the mapped failure of the last attempt.
        """
        correlation_id = correlation_id or self.new_correlation_id()
        if repeat_is_harmless is None:
            repeat_is_harmless = method == "GET"
        retries = self.retry.max_retries if max_retries is None else max_retries
        if payload is not None:
            body = encode_json(payload)
        headers = self._call_headers(correlation_id)
        url = self.base_url + path
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._attempt(method, url, body, headers, correlation_id)
            except SynapError as error:
                if attempt > retries or not may_retry(error, repeat_is_harmless):
                    raise
                delay = self.retry.delay(error, attempt)
                log.info("retrying %s %s in %.2fs after: %s", method, path, delay, error)
                _sleep(delay)

    def _call_headers(self, correlation_id: str) -> Dict[str, str]:
        headers = {"X-Correlation-ID": correlation_id}
        if self.instance_id:
            headers["X-Instance-ID"] = self.instance_id
        if self.client_id:
            headers["X-Client-ID"] = self.client_id
        return headers

    def _attempt(
        self, method: str, url: str, body: Optional[bytes], headers: Dict[str, str], correlation_id: str
    ) -> Any:
        self._refuse_while_not_ready(correlation_id)
        log.debug("%s %s correlation_id=%s", method, url, correlation_id)
        prepared = self._template.copy()
        prepared.method = method
        prepared.url = url
        prepared.headers.update(headers)
        if body is not None:
            prepared.body = body
            prepared.headers["Content-Length"] = str(len(body))
        try:
            response = self.session.send(
                prepared, timeout=self.timeout, proxies=self._proxies, verify=self._verify, allow_redirects=False
            )
        except requests.RequestException as exc:
            raise network_error(exc, correlation_id, self._api_key) from exc
        log.debug("%s %s -> %s correlation_id=%s", method, url, response.status_code, correlation_id)
        if not 200 <= response.status_code < 300:
            error = error_from_response(response, correlation_id, self._api_key)
            if isinstance(error, SynapInstanceNotReadyError):
                self._remember_not_ready(error.retry_after)
            raise error
        try:
            return json.loads(response.content)
        except ValueError:
            raise SynapProtocolError(
                f"HTTP {response.status_code}: the reply is not JSON",
                correlation_id=correlation_id,
                status_code=response.status_code,
                outcome_unknown=method != "GET",
            ) from None

    def _remember_not_ready(self, retry_after: Optional[float]) -> None:
        with self._lock:
            self._not_ready_until = time.monotonic() + (retry_after if retry_after is not None else 60.0)

    def _refuse_while_not_ready(self, correlation_id: str) -> None:
        remaining = self._not_ready_until - time.monotonic()
        if remaining > 0:
            raise SynapInstanceNotReadyError(
                f"the instance is still being built; not sending for another {remaining:.0f}s",
                retry_after=remaining,
                correlation_id=correlation_id,
                code="instance_not_ready",
            )


def _sleep(seconds: float) -> None:
    """Module-level so tests can replace it and count the waits."""
    time.sleep(seconds)


def _redact(text: str, secret: str) -> str:
    return text.replace(secret, "***") if secret else text


def network_error(exc: requests.RequestException, correlation_id: str, secret: str) -> SynapNetworkError:
    """Map a requests failure; says whether the service may have received the request."""
    never_connected = isinstance(exc, requests.ConnectTimeout) or _refused(exc)
    kind = type(exc).__name__
    return SynapNetworkError(
        _redact(f"{kind}: {exc}", secret),
        correlation_id=correlation_id,
        outcome_unknown=not never_connected,
    )


def _refused(exc: requests.RequestException) -> bool:
    """True when the connection was never made (refused, unresolvable): nothing was sent."""
    if not isinstance(exc, requests.ConnectionError) or not exc.args:
        return False
    reason = getattr(exc.args[0], "reason", None)
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def _json_body(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _describe(body: Any) -> Tuple[Optional[str], Optional[str], Dict[str, Any]]:
    """Message, machine code and detail fields from either error shape the service uses."""
    if not isinstance(body, dict):
        return None, None, {}
    fields: Dict[str, Any] = dict(body)
    message: Optional[str] = None
    code = body.get("code") if isinstance(body.get("code"), str) else None
    detail = body.get("detail")
    if isinstance(detail, dict):
        fields.update(detail)
        message = detail.get("message") if isinstance(detail.get("message"), str) else None
        code = detail.get("code") if isinstance(detail.get("code"), str) else code
    elif isinstance(detail, str):
        message = detail
    elif isinstance(detail, list):
        message = "; ".join(_describe_validation_item(item) for item in detail)
    details = body.get("details")
    if isinstance(details, dict):
        fields.update(details)
    error = body.get("error")
    if isinstance(error, str):
        if message is None:
            message = error
        if code is None and error.replace("_", "").isalpha() and error.lower() == error:
            code = error
    return message, code, fields


def _describe_validation_item(item: Any) -> str:
    if isinstance(item, dict):
        location = ".".join(str(part) for part in item.get("loc", ()) if part != "body")
        return f"{location}: {item.get('msg', item)}" if location else str(item.get("msg", item))
    return str(item)


def parse_retry_after(value: Optional[str]) -> Optional[float]:
    """``Retry-After`` as seconds: an integer (or decimal) count, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max((when - datetime.now(timezone.utc)).total_seconds(), 0.0)


def _number(value: Any) -> Optional[float]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def error_from_response(response: requests.Response, correlation_id: str, secret: str = "") -> SynapError:
    """Map a non-2xx reply to the matching SynapError, with a message from whatever body came back."""
    status = response.status_code
    body = _json_body(response)
    message, code, fields = _describe(body)
    if not message:
        message = f"HTTP {status} {response.reason or ''}".rstrip()
    kwargs: Dict[str, Any] = {
        "correlation_id": correlation_id,
        "status_code": status,
        "code": code,
        "body": body,
    }
    message = _redact(message, secret)
    codes = {str(code).lower(), str(fields.get("error", "")).lower()}
    if status in (400, 413, 422):
        return SynapValidationError(message, **kwargs)
    if status in (401, 403):
        return SynapAuthError(message, **kwargs)
    if status == 402:
        return SynapInsufficientCreditsError(
            message,
            balance_credits=fields.get("balance_credits"),
            minimum_required_credits=fields.get("minimum_required_credits"),
            manage_url=fields.get("manage_url"),
            **kwargs,
        )
    if status == 404:
        return SynapNotFoundError(message, **kwargs)
    if status == 409:
        if "instance_not_ready" in codes:
            retry_after = _number(fields.get("retry_after_seconds"))
            if retry_after is None:
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
            return SynapInstanceNotReadyError(message, retry_after=retry_after, **kwargs)
        return SynapConflictError(message, **kwargs)
    if status == 429:
        if fields.get("reason") in _PERMANENT_RATE_LIMIT_REASONS:
            return SynapQuotaExceededError(message, **kwargs)
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return SynapRateLimitError(message, retry_after=retry_after, **kwargs)
    if status >= 500:
        return SynapServerError(message, **kwargs)
    if 400 <= status < 500:
        return SynapPermanentError(message, **kwargs)
    return SynapProtocolError(f"unexpected reply: {message}", outcome_unknown=True, **kwargs)
