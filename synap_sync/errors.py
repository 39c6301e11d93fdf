"""Exceptions raised by synap_sync.

Every failure the service, the network or the caller's input can produce is one of these::

    SynapError                              .message .correlation_id .status_code .code .body
    ├── SynapTransientError                 may clear by itself: retried where the contract allows
    │   ├── SynapRateLimitError             429; .retry_after (seconds or None)
    │   ├── SynapServerError                5xx
    │   ├── SynapNetworkError               timeouts, refused or dropped connections
    │   ├── SynapProtocolError              a success reply whose body cannot be read
    │   └── SynapTimeoutError               wait_for_completion ran out of time (also TimeoutError)
    └── SynapPermanentError                 will not clear by retrying the same call
        ├── SynapAuthError                  401, 403, or no API key
        ├── SynapValidationError            400, 422, or refused locally (also ValueError); .errors
        ├── SynapInsufficientCreditsError   402; .balance_credits .minimum_required_credits
        ├── SynapNotFoundError              404
        ├── SynapConflictError              409 (duplicate document_id, instance_build_failed)
        │   └── SynapInstanceNotReadyError  409 instance_not_ready; .retry_after
        ├── SynapQuotaExceededError         429 that waiting will not clear (trial or subscription)
        └── SynapJournalError               a bulk journal that does not match this run's input

`SynapNetworkError` and `SynapProtocolError` carry ``outcome_unknown``: True when the request may have
reached the service and been acted on, so a write cannot be safely repeated.
The official SDK's names are kept as aliases (`AuthenticationError`, `InvalidInputError`, ...).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

__all__ = [
    "SynapError",
    "SynapTransientError",
    "SynapPermanentError",
    "SynapRateLimitError",
    "SynapServerError",
    "SynapNetworkError",
    "SynapProtocolError",
    "SynapTimeoutError",
    "SynapAuthError",
    "SynapValidationError",
    "SynapInsufficientCreditsError",
    "SynapNotFoundError",
    "SynapConflictError",
    "SynapInstanceNotReadyError",
    "SynapQuotaExceededError",
    "SynapJournalError",
    "ItemError",
]

#: One refused field: (index of the item in its batch or None, field name, what is wrong).
ItemError = Tuple[Optional[int], str, str]


class SynapError(Exception):
    """Base of every synap_sync error; carries the call's correlation id for Synap support."""

    def __init__(
        self,
        message: str,
        *,
        correlation_id: Optional[str] = None,
        status_code: Optional[int] = None,
        code: Optional[str] = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.correlation_id = correlation_id
        self.status_code = status_code
        self.code = code
        self.body = body

    def __str__(self) -> str:
        parts = [self.message]
        if self.status_code is not None:
            parts.append(f"status={self.status_code}")
        if self.code:
            parts.append(f"code={self.code}")
        if self.correlation_id:
            parts.append(f"correlation_id={self.correlation_id}")
        return " | ".join(parts)

    def __reduce__(self) -> Any:
        return (_rebuild, (type(self), self.__dict__.copy()))


def _rebuild(cls: "type[SynapError]", state: Dict[str, Any]) -> "SynapError":
    """Unpickle any SynapError subclass regardless of its constructor's signature."""
    error: SynapError = Exception.__new__(cls)
    Exception.__init__(error, state.get("message", ""))
    error.__dict__.update(state)
    return error


class SynapTransientError(SynapError):
    """A failure that may clear on its own; the client retries these where retrying is safe."""


class SynapPermanentError(SynapError):
    """A failure that repeating the same call will not fix."""


class SynapRateLimitError(SynapTransientError):
    """429: the key's request rate was exceeded; ``retry_after`` is the service's wait in seconds."""

    def __init__(self, message: str, *, retry_after: Optional[float] = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class SynapServerError(SynapTransientError):
    """5xx: trouble on the service's side; it did not act on the request."""


class SynapNetworkError(SynapTransientError):
    """The request did not complete: connection refused, reset, dropped, or timed out."""

    def __init__(self, message: str, *, outcome_unknown: bool = False, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.outcome_unknown = outcome_unknown


class SynapProtocolError(SynapTransientError):
    """The service said yes but its reply could not be read or had the wrong shape."""

    def __init__(self, message: str, *, outcome_unknown: bool = True, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.outcome_unknown = outcome_unknown


class SynapTimeoutError(SynapTransientError, TimeoutError):
    """``wait_for_completion`` gave up; ``last_status`` is the last status seen (or None)."""

    def __init__(self, message: str, *, last_status: Any = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.last_status = last_status


class SynapAuthError(SynapPermanentError):
    """401/403, or no API key configured: the key is missing, invalid, or lacks permission."""


class SynapValidationError(SynapPermanentError, ValueError):
    """Input refused, locally before sending or by the service (400/422).

    ``errors`` lists every refused field as ``(index, field, reason)``; index is None outside a batch.
    """

    def __init__(self, message: str, *, errors: Optional[List[ItemError]] = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.errors: List[ItemError] = list(errors or [])

    @property
    def field(self) -> Optional[str]:
        """The first refused field's name, when the error came from a field check."""
        return self.errors[0][1] if self.errors else None


class SynapInsufficientCreditsError(SynapPermanentError):
    """402: the account is out of credits; top up at ``manage_url``."""

    def __init__(
        self,
        message: str,
        *,
        balance_credits: Any = None,
        minimum_required_credits: Any = None,
        manage_url: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.balance_credits = balance_credits
        self.minimum_required_credits = minimum_required_credits
        self.manage_url = manage_url


class SynapNotFoundError(SynapPermanentError):
    """404: no such ingestion (or resource)."""


class SynapConflictError(SynapPermanentError):
    """409: a duplicate ``document_id``, or the instance's memory could not be built."""


class SynapInstanceNotReadyError(SynapConflictError):
    """409 instance_not_ready: a new instance is still being built; try again after ``retry_after`` s."""

    def __init__(self, message: str, *, retry_after: Optional[float] = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class SynapQuotaExceededError(SynapPermanentError):
    """429 with a reason waiting cannot clear (``trial_limit_reached``, ``subscription_inactive``)."""


class SynapJournalError(SynapPermanentError):
    """A bulk run's journal cannot be used: other settings, other input, or damaged."""


# The official SDK's names, so ported ``except`` clauses keep working.
AuthenticationError = SynapAuthError
InvalidInputError = SynapValidationError
RateLimitError = SynapRateLimitError
NotFoundError = SynapNotFoundError
ConflictError = SynapConflictError
InsufficientCreditsError = SynapInsufficientCreditsError
ServerError = SynapServerError
NetworkError = SynapNetworkError
InstanceNotReadyError = SynapInstanceNotReadyError
