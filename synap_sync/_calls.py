"""The ritual every call of every namespace shares, written once: a correlation id, the B2C refusal of
a ``customer_id``, the request, and the reply read into its model under that id; and the one way a
waiting helper looks again and again until something is done, within its timeout."""

from __future__ import annotations

import math
from typing import Any, Callable, Dict, Optional, TypeVar, Union

import attrs

from ._transport import CallOptions, Transport
from .errors import SynapTimeoutError
from .models import encode_json, refuse

__all__ = ["Calls", "checked_wait"]

Model = TypeVar("Model")

#: The last look of a wait is left at most this long before the wait's end (half what is left, when less).
LAST_LOOK_SECONDS = 1.0
#: A look is given at least this long, even at the very end of a wait (or with a timeout of 0).
SHORTEST_LOOK_SECONDS = 0.5


def checked_wait(timeout_seconds: Any, poll_interval_seconds: Any) -> None:
    """Refuse, by name, what a waiting helper cannot wait by: a timeout that is not seconds >= 0 (a string,
    NaN, infinity), a poll interval that is not seconds > 0 (zero or less would hammer the service)."""
    if not _seconds(timeout_seconds) or timeout_seconds < 0:
        raise refuse("timeout_seconds", f"must be a finite number of seconds >= 0, got {timeout_seconds!r}")
    if poll_interval_seconds is not None and (not _seconds(poll_interval_seconds) or poll_interval_seconds <= 0):
        raise refuse("poll_interval_seconds", f"must be a finite number of seconds > 0, got {poll_interval_seconds!r}")


def _seconds(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


class Calls:
    """The base of ``client.memories``, ``client.context``, ``client.credits`` and their siblings: the
    client's transport, its call options, and `_call`."""

    def __init__(self, transport: Transport, options: CallOptions) -> None:
        self._transport = transport
        self._options = options

    def _call(
        self,
        method: str,
        path: str,
        read: Callable[[Any, str], Model],
        *,
        body: Union[None, bytes, Dict[str, Any]] = None,
        customer_id: Optional[str] = None,
        correlation_id: Optional[str] = None,
        options: Optional[CallOptions] = None,
        **sending: Any,
    ) -> Model:
        """Send one call and return ``read(reply, correlation_id)``.

        :param body: a dict, encoded here, or a body already encoded.
        :param customer_id: refused before sending on an instance known to be B2C.
        :param options: limits for this call other than the namespace's.
        :param sending: the rest of `Transport.request`'s keywords (``query``, ``repeatable``, ...).
        """
        correlation_id = correlation_id or self._transport.new_correlation_id()
        self._transport.refuse_when_closed(correlation_id)
        if customer_id:
            self._transport.gate.refuse_customer_on_b2c(customer_id, correlation_id)
        reply = self._transport.request(
            method,
            path,
            options or self._options,
            body=encode_json(body) if isinstance(body, dict) else body,
            correlation_id=correlation_id,
            **sending,
        )
        return read(reply, correlation_id)

    def _wait_until(
        self,
        look: Callable[[CallOptions], Model],
        done: Callable[[Model], bool],
        *,
        timeout_seconds: float,
        interval: Callable[[Model], float],
        describe: Callable[[Optional[Model]], str],
    ) -> Model:
        """Look (``look(options)``) until ``done``, waiting ``interval(last answer)`` between looks, and
        give up at ``timeout_seconds`` with `SynapTimeoutError` (``last_status``: the last answer).

        Each look is bounded by the time left, so a look that hangs ends the wait on time. When the next
        regular look would come after the end, one last look is made just before it instead.
        """
        clock = self._transport.clock
        ends = clock.now() + timeout_seconds
        last: Optional[Model] = None
        final = False
        while True:
            remaining = ends - clock.now()
            try:
                last = look(self._within(remaining))
            except SynapTimeoutError:
                if clock.now() < ends:
                    raise
                raise self._timed_out(describe(last), timeout_seconds, last) from None
            if done(last):
                return last
            remaining = ends - clock.now()
            if final or remaining <= 0:
                raise self._timed_out(describe(last), timeout_seconds, last)
            wait = interval(last)
            if wait >= remaining:
                wait, final = max(remaining - min(LAST_LOOK_SECONDS, remaining / 2), 0.0), True
            clock.sleep(wait)

    def _within(self, remaining: float) -> CallOptions:
        """This namespace's call options, with a deadline no later than ``remaining`` seconds from now (but
        at least `SHORTEST_LOOK_SECONDS`)."""
        deadline = self._options.deadline
        allowed = max(remaining, SHORTEST_LOOK_SECONDS)
        return attrs.evolve(self._options, deadline=allowed if deadline is None else min(deadline, allowed))

    @staticmethod
    def _timed_out(what: str, timeout_seconds: float, last: Any) -> SynapTimeoutError:
        correlation_id = getattr(last, "correlation_id", None)
        return SynapTimeoutError(f"{what} after {timeout_seconds:g}s", last_status=last, correlation_id=correlation_id)
