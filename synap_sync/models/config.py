"""The official SDK's configuration objects, accepted as they are: ``SynapClient(config=SDKConfig(...))``
(or ``MaximemSynapSDK(config=...)``) carries their base URL, timeouts, retries and agent model over.

Settings that have no meaning for a blocking REST client (the gRPC stream, the local cache and history
search) are accepted and left unused; the porting guide lists each.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import attrs

from ._checks import refuse

__all__ = ["SDKConfig", "TimeoutConfig", "RetryPolicy", "client_options"]


def _seconds(field: str) -> Any:
    def check(instance: Any, attribute: Any, value: Any) -> None:
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value < float("inf"):
            raise refuse(f"{type(instance).__name__}.{field}", f"must be seconds > 0, got {value!r}")

    return check


@attrs.frozen
class TimeoutConfig:
    """The official SDK's timeouts: ``connect`` and ``read`` are each attempt's socket timeouts here.
    ``write`` (the deadline bounds sending a body) and ``stream_idle`` (the gRPC stream) have no use here."""

    connect: float = attrs.field(default=5.0, validator=_seconds("connect"))
    read: float = attrs.field(default=30.0, validator=_seconds("read"))
    write: float = attrs.field(default=10.0, validator=_seconds("write"))
    stream_idle: float = attrs.field(default=60.0, validator=_seconds("stream_idle"))


def _attempts(instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise refuse("RetryPolicy.max_attempts", f"must be a whole number >= 0, got {value!r}")


def _backoff(instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 60:
        raise refuse(f"RetryPolicy.{attribute.name}", f"must be seconds from 0 to 60, got {value!r}")


@attrs.frozen
class RetryPolicy:
    """The official SDK's retry settings: ``max_attempts`` attempts in all (0 and 1 both mean one),
    waits from ``backoff_base`` seconds, doubling, capped at ``backoff_max``, with up to 25% jitter
    unless ``backoff_jitter`` is False. ``retryable_errors`` is accepted and not used: what is retried is
    decided by whether a resend could store something twice (see the errors guide), not by class name."""

    max_attempts: int = attrs.field(default=3, validator=_attempts)
    backoff_base: float = attrs.field(default=1.0, validator=_backoff)
    backoff_max: float = attrs.field(default=10.0, validator=_backoff)
    backoff_jitter: bool = True
    retryable_errors: List[str] = attrs.field(
        factory=lambda: ["NetworkTimeoutError", "RateLimitError", "ServiceUnavailableError", "SynapTransientError"]
    )


@attrs.frozen
class SDKConfig:
    """The official SDK's configuration. Carried over: ``api_base_url``, ``timeouts``, ``retry_policy``
    (None: no retries), ``agent_model`` and ``agent_context_window``. Accepted and unused here:
    ``grpc_host``, ``grpc_port``, ``grpc_use_tls`` (no listening stream), ``storage_path``,
    ``cache_backend``, ``sdk_st_authoritative``, ``history_search_model``, ``st_verbatim_overlay`` (no
    local cache or history archive: every read goes to the service), ``session_timeout_minutes``
    (unused there too) and ``log_level`` (configure ``logging.getLogger("synap_sync")`` instead)."""

    api_base_url: Optional[str] = None
    grpc_host: Optional[str] = None
    grpc_port: Optional[int] = None
    grpc_use_tls: Optional[bool] = None
    storage_path: Optional[str] = None
    cache_backend: Optional[str] = "sqlite"
    session_timeout_minutes: int = 30
    timeouts: TimeoutConfig = attrs.field(factory=TimeoutConfig)
    retry_policy: Optional[RetryPolicy] = attrs.field(factory=RetryPolicy)
    log_level: str = "WARNING"
    sdk_st_authoritative: bool = False
    history_search_model: Optional[str] = "auto"
    st_verbatim_overlay: bool = True
    agent_model: Optional[str] = None
    agent_context_window: Optional[int] = None

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.timeouts, TimeoutConfig):
            raise refuse("SDKConfig.timeouts", f"must be a TimeoutConfig, not {type(self.timeouts).__name__}")
        if self.retry_policy is not None and not isinstance(self.retry_policy, RetryPolicy):
            raise refuse("SDKConfig.retry_policy", "must be a RetryPolicy or None")


def client_options(config: SDKConfig) -> Dict[str, Any]:
    """What ``config`` sets, as `SynapClient`'s options (and the retry policy's backoff as its parts)."""
    if not isinstance(config, SDKConfig):
        raise refuse("config", f"must be an SDKConfig, not {type(config).__name__}")
    policy = config.retry_policy
    options: Dict[str, Any] = {
        "timeout": (float(config.timeouts.connect), float(config.timeouts.read)),
        "max_retries": 0 if policy is None else max(policy.max_attempts - 1, 0),
        "agent_model": config.agent_model,
        "agent_context_window": config.agent_context_window,
    }
    if config.api_base_url:
        options["base_url"] = config.api_base_url
    if policy is not None:
        options["backoff_seconds"] = float(policy.backoff_base)
        options["max_backoff_seconds"] = float(policy.backoff_max)
        options["jitter"] = policy.backoff_jitter
    return options
