"""What a reply means: the error a non-2xx answer maps to, its Retry-After, the key taken out of what
came back, and the one answer to "may this request have stored something?".

Pure functions of status, headers and bytes: the transport's send loop asks, this module answers.
"""

from __future__ import annotations

import email.utils
import json
import zlib
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from ._constants import PERMANENT_RATE_LIMIT_REASONS
from .errors import (
    SynapAuthError,
    SynapConflictError,
    SynapError,
    SynapInstanceBuildFailedError,
    SynapInstanceNotReadyError,
    SynapInsufficientCreditsError,
    SynapNotFoundError,
    SynapPermanentError,
    SynapProtocolError,
    SynapQuotaExceededError,
    SynapRateLimitError,
    SynapServerError,
    SynapTranscriptConflictError,
    SynapValidationError,
)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: A gateway's answers that may come after the service behind it acted.
GATEWAY_STATUSES = frozenset({502, 504})


def may_have_stored(method: str, status: Optional[int] = None, *, sent: bool = True) -> bool:
    """The one answer to "may this request have been acted on?" for a call that failed.

    Never when nothing was sent (the connection was never made) or the request only reads. A write
    may have been stored when no usable answer came back (``status`` None: the connection failed,
    the deadline cut the reply off, the reply was unreadable or too large) or a gateway answered
    502/504. Any other status is the service's own word that it did not act (4xx refused, 5xx failed).
    """
    if not sent or method not in WRITE_METHODS:
        return False
    return status is None or status in GATEWAY_STATUSES


def parse_reply(content: bytes, status: int, correlation_id: str, method: str, secret: str) -> Any:
    """A 2xx reply's JSON, with the key taken out; unreadable JSON is a `SynapProtocolError`."""
    try:
        return without_escaped_secret(json.loads(content), content, secret)
    except (ValueError, RecursionError):
        raise SynapProtocolError(
            f"HTTP {status}: the reply is not readable JSON",
            correlation_id=correlation_id,
            status_code=status,
            outcome_unknown=may_have_stored(method),
        ) from None


#: Where a redirect's Location is kept once `_keep_redirect_here` has taken it out of requests' sight.
REDIRECT_LOCATION = "X-Synap-Redirect-Location"


def _json_body(content: bytes, secret: str) -> Any:
    if not content:
        return None
    try:
        body = json.loads(content)
    except (ValueError, RecursionError):
        return None
    return without_escaped_secret(body, content, secret)


def without_escaped_secret(value: Any, content: bytes, secret: str) -> Any:
    """``value`` parsed from ``content``; a key spelled with JSON escapes (``\\u0073ynap_...``) survives
    the byte-level redaction, so where escapes occur the parsed strings are searched too."""
    # A lone backslash is looked for first: searching for one byte is ~50x quicker than for two.
    if not secret or b"\\" not in content or (b"\\u" not in content and b"\\/" not in content):
        return value
    return _replace_in_strings(value, secret)


def _replace_in_strings(value: Any, secret: str) -> Any:
    """``value`` with ``secret`` replaced by ``***`` in every string, keys included."""
    if isinstance(value, str):
        return value.replace(secret, "***")
    if isinstance(value, list):
        return [_replace_in_strings(item, secret) for item in value]
    if isinstance(value, dict):
        return {_replace_in_strings(key, secret): _replace_in_strings(item, secret) for key, item in value.items()}
    return value


def inflater(encoding: Optional[str], correlation_id: str) -> Optional[Callable[[bytes, int], bytes]]:
    """For a compressed reply (this client asks for none, but a proxy may compress anyway): a function
    of (compressed piece, room) giving at most ``room`` bytes out; the empty piece at the end flushes."""
    name = (encoding or "identity").strip().lower()
    if name in ("identity", ""):
        return None
    if name not in ("gzip", "x-gzip", "deflate"):
        raise SynapProtocolError(
            f"the reply is encoded as {name!r}, which this client cannot read", correlation_id=correlation_id
        )
    decoder = zlib.decompressobj(32 + zlib.MAX_WBITS)  # a gzip or a zlib header, whichever it is

    def inflate(piece: bytes, room: int) -> bytes:
        # Output beyond ``room`` stays in unconsumed_tail: the caller refuses the reply before asking more.
        return decoder.decompress(piece, room) if piece else decoder.flush()

    return inflate


def _text(value: Any) -> Optional[str]:
    return value if isinstance(value, str) else None


def _describe(body: Any) -> Tuple[Optional[str], Optional[str], Dict[str, Any]]:
    """Message, machine code and detail fields from either error shape the service uses."""
    if not isinstance(body, dict):
        return None, None, {}
    fields: Dict[str, Any] = dict(body)
    message: Optional[str] = None
    code = _text(body.get("code"))
    detail = body.get("detail")
    if isinstance(detail, dict):
        fields.update(detail)
        message = _text(detail.get("message"))
        code = _text(detail.get("code")) or code
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


def _item_errors(body: Any, fields: Dict[str, Any]) -> List[Tuple[Optional[int], str, str]]:
    """Per-item reasons a refusal lists (a ``fail_fast`` batch refused whole): ``errors`` of
    ``{"index", "field", "error"}`` objects, or a framework's ``detail`` list with ``loc`` paths."""
    listed = fields.get("errors")
    if isinstance(listed, list):
        found = []
        for item in listed:
            if isinstance(item, dict):
                index = item.get("index")
                reason = item.get("error") or item.get("message") or item.get("msg") or ""
                found.append((index if type(index) is int else None, str(item.get("field") or ""), str(reason)))
        return found
    detail = body.get("detail") if isinstance(body, dict) else None
    if not isinstance(detail, list):
        return []
    found = []
    for item in detail:
        if not isinstance(item, dict) or not isinstance(item.get("loc"), (list, tuple)):
            continue
        location = [part for part in item["loc"] if part not in ("body", "documents")]
        index = next((part for part in location if type(part) is int), None)
        field = ".".join(str(part) for part in location if type(part) is not int)
        found.append((index, field, str(item.get("msg", ""))))
    return found


def _describe_item_error(error: Tuple[Optional[int], str, str]) -> str:
    index, field, reason = error
    where = f"documents[{index}]" if index is not None else "documents"
    return f"{where}{'.' + field if field else ''}: {reason}"


def _describe_validation_item(item: Any) -> str:
    if isinstance(item, dict):
        location = item.get("loc", ())
        parts = location if isinstance(location, (list, tuple)) else ()
        where = ".".join(str(part) for part in parts if part != "body")
        what = item.get("msg", item)
        return f"{where}: {what}" if where else str(what)
    return str(item)


def parse_retry_after(value: Optional[str]) -> Optional[float]:
    """``Retry-After`` as seconds: an integer (or decimal) count, or an HTTP date; None if unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if seconds == seconds and seconds != float("inf") else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max((when - datetime.now(timezone.utc)).total_seconds(), 0.0)


def _number(value: Any) -> Optional[float]:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == value:
        return float(value)
    return None


def error_from_reply(
    status: int,
    reason: Optional[str],
    headers: Any,
    content: bytes,
    correlation_id: Optional[str],
    secret: str = "",
    method: str = "POST",
) -> SynapError:
    """Map a non-2xx reply to the matching SynapError, with a message from whatever body came back."""
    body = _json_body(content, secret)
    message, code, fields = _describe(body)
    if not message:
        message = f"HTTP {status} {reason or ''}".rstrip()
    kwargs: Dict[str, Any] = {"correlation_id": correlation_id, "status_code": status, "code": code, "body": body}
    codes = {str(code).lower(), str(fields.get("error", "")).lower()}
    if status in (400, 413, 422):
        errors = _item_errors(body, fields)
        if errors and isinstance(fields.get("errors"), list):  # say which, not only that some were refused
            message += ": " + "; ".join(_describe_item_error(error) for error in errors[:5])
            message += f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        return SynapValidationError(message, errors=errors, **kwargs)
    if status in (401, 403):
        return SynapAuthError(message, **kwargs)
    if status == 402:
        return SynapInsufficientCreditsError(
            message,
            balance_credits=fields.get("balance_credits"),
            minimum_required_credits=fields.get("minimum_required_credits"),
            manage_url=_text(fields.get("manage_url")),
            recovery_url=_text(fields.get("recovery_url")),
            redeem_url=_text(fields.get("redeem_url")),
            reason=_text(fields.get("reason")),
            **kwargs,
        )
    if status == 404:
        return SynapNotFoundError(message, **kwargs)
    if status == 409:
        return _conflict(message, codes, fields, headers, kwargs)
    if status == 429:
        said = {name: _text(fields.get(name)) for name in ("reason", "upgrade_url", "manage_url")}
        if said["reason"] in PERMANENT_RATE_LIMIT_REASONS:
            return SynapQuotaExceededError(message, **said, **kwargs)
        retry_after = parse_retry_after(headers.get("Retry-After"))
        if retry_after is None:
            retry_after = _number(fields.get("retry_after_seconds"))
        return SynapRateLimitError(message, retry_after=retry_after, **said, **kwargs)
    if status >= 500:
        # A gateway's 502 or 504 may come after the service behind it acted: for a write, unknown.
        retry_after = parse_retry_after(headers.get("Retry-After"))
        return SynapServerError(
            message, retry_after=retry_after, outcome_unknown=may_have_stored(method, status), **kwargs
        )
    if 300 <= status < 400:
        location = str(headers.get(REDIRECT_LOCATION) or headers.get("Location") or "nowhere")
        location = location.replace(secret, "***") if secret else location
        return SynapPermanentError(
            f"the service answered {status}, a redirect to {location}; redirects are not followed (the key "
            "would go with them): set base_url to where it points",
            **dict(kwargs, code="redirect"),
        )
    if 400 <= status < 500:
        return SynapPermanentError(message, **kwargs)
    return SynapProtocolError(f"unexpected reply: {message}", outcome_unknown=may_have_stored(method), **kwargs)


def _conflict(
    message: str, codes: Set[str], fields: Dict[str, Any], headers: Any, kwargs: Dict[str, Any]
) -> SynapError:
    if "instance_not_ready" in codes:
        retry_after = _number(fields.get("retry_after_seconds"))
        if retry_after is None:
            retry_after = parse_retry_after(headers.get("Retry-After"))
        return SynapInstanceNotReadyError(
            message,
            retry_after=retry_after,
            instance_id=_text(fields.get("instance_id")),
            state=_text(fields.get("state")),
            **kwargs,
        )
    if "instance_build_failed" in codes:
        return SynapInstanceBuildFailedError(
            message,
            attempts=fields.get("attempts"),
            hint=_text(fields.get("hint")),
            instance_id=_text(fields.get("instance_id")),
            **kwargs,
        )
    if "transcript_conflict" in codes:
        return SynapTranscriptConflictError(message, **kwargs)
    return SynapConflictError(message, **kwargs)
