"""What the service said of the instance, and the local refusals it causes: who the key is (whoami:
the instance and client ids, B2B or B2C), and a 409 instance_not_ready's wait, during which the gated
writes are refused before sending, as the official SDK refuses them."""

from __future__ import annotations

import threading
from typing import Optional, Tuple

from ._clock import Clock
from ._constants import MAX_NOT_READY_SECONDS
from .errors import SynapCustomerIdNotAcceptedError, SynapInstanceNotReadyError
from .models import InstanceIdentity

__all__ = ["InstanceGate"]


class InstanceGate:
    """One per transport; thread-safe.

    :param instance_id: the instance id the client was given, if any (whoami may tell it later).
    """

    def __init__(self, clock: Clock, instance_id: Optional[str] = None) -> None:
        self.clock = clock
        self.instance_id = instance_id
        self.client_id: Optional[str] = None
        self.identity: Optional[InstanceIdentity] = None
        self._lock = threading.Lock()
        self._not_ready_until = 0.0
        #: What the 409 instance_not_ready said: the instance id and its state, for the refusals it causes.
        self._not_ready_said: Tuple[Optional[str], Optional[str]] = (None, None)

    def start_over_after_fork(self) -> None:
        """A forked child: another thread of the parent may have held the lock at the fork."""
        self._lock = threading.Lock()

    def remember(self, identity: InstanceIdentity) -> None:
        """Keep what whoami said: its ids go on every later request."""
        self.identity = identity
        self.instance_id = self.instance_id or identity.instance_id
        self.client_id = identity.client_id

    def refuse_customer_on_b2c(self, customer_id: Optional[str], correlation_id: Optional[str] = None) -> None:
        """A ``customer_id`` on an instance known to be B2C is refused before sending, as the official
        SDK does (known after ``initialize``)."""
        if customer_id is not None and self.identity is not None and self.identity.is_b2c:
            instance = f" {self.instance_id}" if self.instance_id else ""
            raise SynapCustomerIdNotAcceptedError(
                f"customer_id: {customer_id!r} is not accepted on the B2C instance{instance} "
                "(user_context_isolation=equals_customer), where each user is their own customer: "
                "send the user_id alone and leave customer_id out",
                errors=[(None, "customer_id", "not accepted on a B2C instance: send the user_id alone")],
                correlation_id=correlation_id,
            )

    def hold_back(self, error: SynapInstanceNotReadyError) -> None:
        """Hold the gated writes back for the wait the service asked for (at most 300 s), and keep what
        it said of the instance for the local refusals meanwhile."""
        if error.retry_after is None:
            return
        with self._lock:
            self._not_ready_until = self.clock.now() + min(error.retry_after, MAX_NOT_READY_SECONDS)
            self._not_ready_said = (error.instance_id, error.state)

    def release(self) -> None:
        """A gated call went through: the instance is ready."""
        if self._not_ready_until:
            self._not_ready_until = 0.0

    def refuse_while_held(self, correlation_id: str) -> None:
        """Refuse a gated call while the service's wait has not passed."""
        remaining = self._not_ready_until - self.clock.now()
        if remaining > 0:
            seconds = float(int(remaining) + (remaining % 1 > 0))
            raise SynapInstanceNotReadyError(
                f"the instance is still being built; not sending writes for another {seconds:.0f}s",
                retry_after=seconds,
                correlation_id=correlation_id,
                code="instance_not_ready",
                instance_id=self._not_ready_said[0] or self.instance_id,
                state=self._not_ready_said[1],
                from_cooldown=True,
            )
