"""The ritual every call of every namespace shares, written once: a correlation id, the B2C refusal of
a ``customer_id``, the request, and the reply read into its model under that id."""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional, TypeVar, Union

from ._transport import CallOptions, Transport
from .models import encode_json

__all__ = ["Calls"]

Model = TypeVar("Model")


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
