"""When a failed call may be sent again, and how long to wait first: one classifier, one backoff.

The service has no idempotency key, so a write is repeated only when that cannot store anything
twice: it answered 429 or a 5xx other than a gateway's 502/504 (it did not act), the connection
was never made, or every document carries a ``document_id`` (the service refuses the copy). Used by
the transport's retry loop and by the bulk engine's chunk sender alike.
"""

from __future__ import annotations

import enum
import random
from typing import Callable

from ._constants import BACKOFF_SECONDS, JITTER, MAX_BACKOFF_SECONDS, MAX_RETRY_AFTER_SECONDS
from .errors import (
    SynapError,
    SynapNetworkError,
    SynapProtocolError,
    SynapProxyError,
    SynapQuotaExceededError,
    SynapRateLimitError,
    SynapServerError,
    SynapTimeoutError,
)


class Verdict(enum.Enum):
    """What to do after a failed attempt."""

    #: The service did not act (or a repeat is harmless): send again after a backoff.
    RETRY = "retry"
    #: 429: send again when the pace gives a slot; this does not use up a retry.
    THROTTLED = "throttled"
    #: Repeating cannot help, or might store something twice.
    STOP = "stop"


def classify(error: SynapError, repeatable: bool) -> Verdict:
    """The contract's rule for ``error``.

    :param repeatable: the request is a read, or every document in it has a document_id.
    """
    if isinstance(error, SynapQuotaExceededError):
        return Verdict.STOP  # a 429 that waiting will not clear: a trial used up, a subscription ended
    if isinstance(error, SynapRateLimitError):
        return Verdict.THROTTLED
    if isinstance(error, SynapProxyError) and error.code == "proxy_refused":
        return Verdict.STOP  # the proxy wants credentials it was not given: the same again fails the same
    if isinstance(error, (SynapServerError, SynapNetworkError, SynapProtocolError, SynapTimeoutError)):
        # 5xx means the service did not act, except a gateway's 502/504, which leaves it unknown.
        return Verdict.RETRY if repeatable or not error.outcome_unknown else Verdict.STOP
    return Verdict.STOP


class Backoff:
    """Exponential backoff as the official SDK: from 1 s, doubling, plus up to 25% jitter, never over
    10 s; a Retry-After is honoured up to 60 s."""

    def __init__(
        self,
        backoff_seconds: float = BACKOFF_SECONDS,
        max_backoff_seconds: float = MAX_BACKOFF_SECONDS,
        jitter: float = JITTER,
        max_retry_after_seconds: float = MAX_RETRY_AFTER_SECONDS,
        uniform: Callable[[float, float], float] = random.uniform,
    ) -> None:
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.jitter = jitter
        self.max_retry_after_seconds = max_retry_after_seconds
        self._uniform = uniform

    def delay(self, error: SynapError, retry_number: int) -> float:
        """Seconds to wait before retry number ``retry_number`` (1-based) after ``error``."""
        if error.retry_after is not None:
            return min(max(error.retry_after, 0.0), self.max_retry_after_seconds)
        backoff = self.backoff_seconds * 2.0 ** (retry_number - 1)
        return min(self.max_backoff_seconds, backoff * (1.0 + self._uniform(0.0, self.jitter)))
