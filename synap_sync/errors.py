"""Exceptions raised by synap_sync; a leaf module.

Every failure the service, the network or the caller's input can produce is one of these::

    SynapError                              .message .correlation_id .status_code .code .body
    │                                       .retry_after .outcome_unknown .report
    ├── SynapTransientError                 may clear by itself: retried where the contract allows
    │   ├── SynapRateLimitError             429; .retry_after (seconds or None) .reason .upgrade_url .manage_url
    │   │   └── SynapQuotaExceededError     429 that waiting will not clear (trial, subscription): also permanent
    │   ├── SynapServerError                5xx
    │   ├── SynapAgentUnavailableError      the service's agent is unavailable (the official SDK's name)
    │   ├── SynapNetworkError               refused, reset or dropped connections, socket timeouts
    │   │   └── SynapProxyError             a proxy refused (407) or could not be reached: nothing reached Synap
    │   ├── SynapProtocolError              a reply that cannot be read, or is too large
    │   └── SynapInstanceNotReadyError      409 instance_not_ready: clears by waiting .retry_after; also a conflict
    ├── SynapPermanentError                 will not clear by repeating the same call
    │   ├── SynapAuthError                  401, 403, or no usable API key
    │   ├── SynapValidationError            400, 413, 422, or refused locally (also ValueError); .errors
    │   │   ├── SynapCustomerIdNotAcceptedError  a customer_id on a B2C instance, refused before sending
    │   │   ├── SynapInvalidInstanceIdError      an instance id that is not ``inst_`` and 16 hex digits
    │   │   └── SynapInvalidConversationIdError  a conversation id that must be a UUID and is not
    │   ├── SynapInsufficientCreditsError   402; .balance_credits .minimum_required_credits .manage_url
    │   │                                   .recovery_url .redeem_url .reason
    │   ├── SynapNotFoundError              404
    │   ├── SynapConflictError              409: a duplicate document_id, a compaction already running
    │   │   ├── SynapTranscriptConflictError    409 transcript_conflict: another transcript under this id
    │   │   ├── SynapInstanceBuildFailedError   409 instance_build_failed; .attempts .hint
    │   │   └── SynapInstanceNotReadyError      (also here: the official SDK files it under conflicts)
    │   └── SynapQuotaExceededError         (also here: waiting will not clear it)
    ├── SynapTimeoutError                   the time allowed ran out (a call's deadline, a wait); also TimeoutError
    │   └── SynapPaceTimeoutError           the deadline came while waiting for the key's pace: a throttle,
    │                                       so also a SynapRateLimitError, with .retry_after
    ├── SynapJournalError                   a bulk journal that cannot be used; .path .mid_run
    │   └── SynapJournalBusyError           another run holds the journal (two runs on one journal)
    └── SynapClientClosedError              the client was closed: every later call is refused, unsent

``outcome_unknown`` is True when the request may have reached the service and been acted on, so a
write cannot safely be repeated. ``report`` is set on the error that stopped a bulk run: what the run
had done. `IngestInterrupted` (a KeyboardInterrupt, not a SynapError) carries the report of a run
stopped by Ctrl-C.

The official SDK's names (``AuthenticationError``, ``RateLimitError``, ...) still import from here and
from ``synap_sync``, with a DeprecationWarning; each is the class above that catches exactly what the
official one catches. For any two official classes A and B, "A is a subclass of B" holds here exactly
when it holds there, with one decided difference: an instance not ready is also transient here (it
clears by waiting, and the bulk engine treats it so).
"""

from __future__ import annotations

import warnings
from typing import Any, Dict, List, Optional, Tuple

__all__ = [
    "SynapError",
    "SynapTransientError",
    "SynapPermanentError",
    "SynapRateLimitError",
    "SynapServerError",
    "SynapAgentUnavailableError",
    "SynapNetworkError",
    "SynapProxyError",
    "SynapProtocolError",
    "SynapInstanceNotReadyError",
    "SynapAuthError",
    "SynapValidationError",
    "SynapInsufficientCreditsError",
    "SynapNotFoundError",
    "SynapConflictError",
    "SynapInstanceBuildFailedError",
    "SynapQuotaExceededError",
    "SynapCustomerIdNotAcceptedError",
    "SynapInvalidInstanceIdError",
    "SynapInvalidConversationIdError",
    "SynapTranscriptConflictError",
    "SynapTimeoutError",
    "SynapPaceTimeoutError",
    "SynapJournalError",
    "SynapJournalBusyError",
    "SynapClientClosedError",
    "IngestInterrupted",
    "ItemError",
]

#: One refused field: (index of the item in its batch or None, field name, what is wrong).
ItemError = Tuple[Optional[int], str, str]


class SynapError(Exception):
    """Base of every synap_sync error; carries the call's correlation id for Synap support."""

    #: Seconds the service (or the pace) asked to wait before trying again, when it said.
    retry_after: Optional[float] = None
    #: True when the request may have been acted on although no answer was read.
    outcome_unknown: bool = False
    #: On the error that stopped a bulk run: the run's `IngestReport` so far.
    report: Any = None

    def __init__(
        self,
        message: str,
        *,
        correlation_id: Optional[str] = None,
        status_code: Optional[int] = None,
        code: Optional[str] = None,
        body: Any = None,
        retry_after: Optional[float] = None,
        outcome_unknown: Optional[bool] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.correlation_id = correlation_id
        self.status_code = status_code
        self.code = code
        self.body = body
        if retry_after is not None:
            self.retry_after = retry_after
        if outcome_unknown is not None:
            self.outcome_unknown = outcome_unknown

    def __str__(self) -> str:
        parts = [self.message]
        if self.status_code is not None:
            parts.append(f"status={self.status_code}")
        if self.code:
            parts.append(f"code={self.code}")
        if self.correlation_id:
            parts.append(f"correlation_id={self.correlation_id}")
        if self.report is not None:
            parts.append(f"the run so far: {self.report.summary()}")
        return " | ".join(parts)

    def __reduce__(self) -> Any:
        return (_rebuild, (type(self), self.__dict__.copy()))


def _rebuild(cls: "type[SynapError]", state: Dict[str, Any]) -> "SynapError":
    """Unpickle any SynapError subclass regardless of its constructor's signature."""
    error: SynapError = cls.__new__(cls)  # not Exception.__new__: SynapTimeoutError is an OSError too
    super(SynapError, error).__init__(state.get("message", ""))
    error.__dict__.update(state)
    return error


class SynapTransientError(SynapError):
    """A failure that may clear on its own; the client retries these where retrying is safe."""


class SynapPermanentError(SynapError):
    """A failure that repeating the same call will not fix."""


class _SaidWith429(SynapError):
    """What a 429's body may add: ``reason``, ``upgrade_url`` and ``manage_url`` (None when not said)."""

    def __init__(
        self,
        message: str,
        *,
        reason: Optional[str] = None,
        upgrade_url: Optional[str] = None,
        manage_url: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.reason = reason
        self.upgrade_url = upgrade_url
        self.manage_url = manage_url


class SynapRateLimitError(_SaidWith429, SynapTransientError):
    """429, or a pace that cannot give this call a slot before its deadline; see ``retry_after``.

    ``reason``, ``upgrade_url`` and ``manage_url`` are what the body said, when it said; the official
    SDK's ``retry_after_seconds`` is ``retry_after``.
    """

    @property
    def retry_after_seconds(self) -> Optional[float]:
        """The official SDK's name for ``retry_after``."""
        return self.retry_after


class SynapServerError(SynapTransientError):
    """5xx: trouble on the service's side."""


class SynapAgentUnavailableError(SynapTransientError):
    """The service's agent is unavailable for now; the official SDK's ``AgentUnavailableError``, kept so
    that an ``except`` clause ported from it catches what it caught there (0.6.9 never raises it)."""


class SynapNetworkError(SynapTransientError):
    """The request did not complete: connection refused, reset, dropped, or a socket timed out."""


class SynapProxyError(SynapNetworkError):
    """A proxy between this client and the service refused the request (407 Proxy Authentication
    Required, or another refusal of its own) or could not be reached. Nothing reached the service, so a
    write is never "outcome unknown": a bulk run reports it not sent. The message names the proxy
    (without its password)."""


class SynapProtocolError(SynapTransientError):
    """A reply that could not be read: not JSON, the wrong shape, too deep, or too large.

    By default the outcome is unknown: a success reply that cannot be read still says the service
    acted. The transport says which of its own such failures may have stored something."""

    outcome_unknown = True


class SynapAuthError(SynapPermanentError):
    """401/403, or no usable API key: the key is missing, malformed, invalid, or lacks permission."""


class SynapValidationError(SynapPermanentError, ValueError):
    """Input refused, locally before sending or by the service (400/413/422).

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
    """402: the account is out of credits; top up at ``manage_url`` (``recovery_url``, ``redeem_url``
    and ``reason`` as the body gives them)."""

    def __init__(
        self,
        message: str,
        *,
        balance_credits: Any = None,
        minimum_required_credits: Any = None,
        manage_url: Optional[str] = None,
        recovery_url: Optional[str] = None,
        redeem_url: Optional[str] = None,
        reason: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.balance_credits = balance_credits
        self.minimum_required_credits = minimum_required_credits
        self.manage_url = manage_url
        self.recovery_url = recovery_url
        self.redeem_url = redeem_url
        self.reason = reason


class SynapCustomerIdNotAcceptedError(SynapValidationError):
    """A ``customer_id`` given on a B2C instance (``user_context_isolation=equals_customer``), refused
    before sending once ``initialize`` has learned the isolation (the official SDK's
    ``CustomerIdNotAcceptedError``)."""


class SynapInvalidInstanceIdError(SynapValidationError):
    """An instance id that is not ``inst_`` and 16 hex digits (the official SDK's ``InvalidInstanceIdError``);
    ``instance_id`` is the id refused."""

    def __init__(self, instance_id: Any, **kwargs: Any) -> None:
        reason = f"must be 'inst_' and 16 hex digits, got {instance_id!r}"
        super().__init__(f"instance_id: {reason}", errors=[(None, "instance_id", reason)], **kwargs)
        self.instance_id = instance_id


class SynapInvalidConversationIdError(SynapValidationError):
    """A conversation id that must be a UUID (recording a message, compaction, a conversation's context)
    and is not; ``conversation_id`` is the id refused (the official SDK's ``InvalidConversationIdError``)."""

    def __init__(self, conversation_id: Any, **kwargs: Any) -> None:
        reason = f"must be a UUID, got {conversation_id!r}"
        super().__init__(f"conversation_id: {reason}", errors=[(None, "conversation_id", reason)], **kwargs)
        self.conversation_id = conversation_id


class SynapNotFoundError(SynapPermanentError):
    """404: no such ingestion (or resource)."""


class SynapConflictError(SynapPermanentError):
    """409: the document_id was already ingested (or another conflict the service reports)."""


class SynapInstanceNotReadyError(SynapTransientError, SynapConflictError):
    """409 instance_not_ready: a new instance's memory is still being built; writes wait ``retry_after`` s.

    A conflict, as the official SDK files it (``except ConflictError`` catches it), and transient too:
    it clears by waiting, so the retry rules and the bulk engine treat it as such.

    ``instance_id``, ``state`` and ``from_cooldown`` (True when refused locally, before sending,
    because the service said to wait) are kept for code ported from the official SDK.
    """

    def __init__(
        self,
        message: str,
        *,
        instance_id: Optional[str] = None,
        state: Optional[str] = None,
        from_cooldown: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.instance_id = instance_id
        self.state = state
        self.from_cooldown = from_cooldown

    @property
    def retry_after_seconds(self) -> Optional[float]:
        """The official SDK's name for ``retry_after``."""
        return self.retry_after



class SynapTranscriptConflictError(SynapConflictError):
    """409 transcript_conflict: another transcript was sent before under this ``conversation_id`` (the
    same one again is answered ``status="duplicate"``, not refused)."""


class SynapInstanceBuildFailedError(SynapConflictError):
    """409 instance_build_failed: the instance's memory could not be built; ``attempts``, ``hint``,
    ``instance_id``."""

    def __init__(
        self,
        message: str,
        *,
        attempts: Any = None,
        hint: Optional[str] = None,
        instance_id: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.attempts = attempts
        self.hint = hint
        self.instance_id = instance_id


class SynapQuotaExceededError(SynapRateLimitError, SynapPermanentError):
    """429 with a reason waiting cannot clear (``trial_limit_reached``, ``subscription_inactive``);
    ``reason``, ``upgrade_url`` and ``manage_url`` as the body gives them. A rate limit still (the
    official SDK raises ``RateLimitError`` for it, so ``except`` clauses catch it there and here), but a
    permanent one: never retried, never waited out, and it stops a bulk run."""


class SynapTimeoutError(SynapError, TimeoutError):
    """The time allowed ran out: a call's ``deadline``, or ``wait_for_completion``'s timeout.

    ``last_status`` holds the last status ``wait_for_completion`` saw; ``outcome_unknown`` says whether
    a write cut short by its deadline may have been stored.
    """

    def __init__(self, message: str, *, last_status: Any = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.last_status = last_status


class SynapPaceTimeoutError(SynapRateLimitError, SynapTimeoutError):
    """The call's deadline passed while it waited for the key's pace: the key is throttled, so
    ``except SynapRateLimitError`` catches it (a web view answers 503), and it is a timeout too.
    ``retry_after`` says when the pace has its next free slot."""


class SynapJournalError(SynapError):
    """A bulk run's journal cannot be used: other settings, other input, damaged, or it cannot be
    written; ``path`` names it. ``mid_run`` is True when writing failed during the run (a full disk):
    then ``report`` says what the service acknowledged before it stopped."""

    def __init__(self, message: str, *, path: Optional[str] = None, mid_run: bool = False) -> None:
        super().__init__(message)
        self.path = path
        self.mid_run = mid_run


class SynapJournalBusyError(SynapJournalError):
    """Another run (in this process or another) holds the journal: two runs on one journal would send
    the same documents twice, so this one refuses before sending anything."""


class SynapClientClosedError(SynapError):
    """The client was closed (``close()``, the end of its ``with`` block, an exit hook): every call made
    after that is refused before anything is sent. A bulk run whose client is closed mid-run stops as for
    Ctrl-C: what it had not sent is reported not sent, and running it again with its journal sends it."""


class IngestInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM, under `synap_sync.stop_on_sigterm`) stopped ``ingest``; ``report`` holds what
    the run had done (the journal resumes it), and ``terminated`` says it was SIGTERM."""

    def __init__(self, report: Any, terminated: bool = False) -> None:
        how = "terminated (SIGTERM)" if terminated else "interrupted"
        super().__init__(f"ingest {how}: {report.summary()}" if report is not None else f"ingest {how}")
        self.report = report
        self.terminated = terminated

    def __reduce__(self) -> Any:
        return (type(self), (self.report, self.terminated))


#: The official SDK's names, kept importable with a DeprecationWarning so ported code keeps working.
OFFICIAL_ALIASES: Dict[str, type] = {
    "AuthenticationError": SynapAuthError,
    "InvalidInputError": SynapValidationError,
    "RateLimitError": SynapRateLimitError,
    "NotFoundError": SynapNotFoundError,
    "ConflictError": SynapConflictError,
    "InsufficientCreditsError": SynapInsufficientCreditsError,
    "ServerError": SynapServerError,
    "NetworkError": SynapNetworkError,
    "InstanceNotReadyError": SynapInstanceNotReadyError,
    "InstanceBuildFailedError": SynapInstanceBuildFailedError,
    "CustomerIdNotAcceptedError": SynapCustomerIdNotAcceptedError,
    "ContextNotFoundError": SynapNotFoundError,
    "InvalidConversationIdError": SynapInvalidConversationIdError,
    "ServiceUnavailableError": SynapServerError,
    "NetworkTimeoutError": SynapNetworkError,
    "ConnectionError": SynapNetworkError,  # the official SDK's shadows the builtin; this one is ours
    "TranscriptConflictError": SynapTranscriptConflictError,
    "AgentUnavailableError": SynapAgentUnavailableError,
    "InvalidInstanceIdError": SynapInvalidInstanceIdError,
    "SDKError": SynapError,
    "TransientError": SynapTransientError,
    "PermanentError": SynapPermanentError,
}


def official_alias(name: str) -> type:
    """The class behind an official SDK name, with a DeprecationWarning; AttributeError otherwise."""
    try:
        target = OFFICIAL_ALIASES[name]
    except KeyError:
        raise AttributeError(name) from None
    warnings.warn(
        f"{name} is the official SDK's name; use synap_sync.{target.__name__}",
        DeprecationWarning,
        stacklevel=3,
    )
    return target


def __getattr__(name: str) -> type:
    return official_alias(name)
