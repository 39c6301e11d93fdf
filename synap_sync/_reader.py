"""A reply's body read within its bounds: the call's deadline and a ceiling on its size, with the API key
taken out; and a streamed request body that stops being readable at the deadline.

Reading piece by piece (not "until N bytes") is what lets a reply dripped a byte at a time end at the
deadline; counting as it comes (after decompression, for a reply compressed although this client asks
for none) is what keeps an endless reply or a gzip bomb from filling memory.
"""

from __future__ import annotations

import http.client
import zlib
from typing import Any, List, Optional

import requests
import urllib3

from ._clock import Clock
from ._replies import inflater, may_have_stored
from .errors import SynapError, SynapNetworkError, SynapProtocolError, SynapTimeoutError

__all__ = ["read_reply", "WithinDeadline"]

_READ_SIZE = 64 * 1024


def read_reply(
    response: requests.Response,
    *,
    deadline: Optional[float],
    clock: Clock,
    max_bytes: int,
    secret: bytes,
    correlation_id: str,
    method: str,
) -> bytes:
    """The whole body of ``response``, one socket read at a time, within ``deadline`` (on ``clock``) and
    ``max_bytes``, with ``secret`` replaced by ``***``.

    :raises SynapTimeoutError: the deadline passed while the body was arriving.
    :raises SynapProtocolError: the body is larger than ``max_bytes``, or compressed in a way this
        client cannot read.
    :raises SynapNetworkError: the connection failed while the body was arriving.
    """
    raw = response.raw
    source = getattr(raw, "_fp", None)  # urllib3's http.client response: read1 reads what has come
    read = getattr(source, "read1", None) or raw.read
    unknown = may_have_stored(method)  # a failure below leaves no usable answer
    pieces: List[bytes] = []
    size = 0
    try:
        inflate = inflater(response.headers.get("Content-Encoding"), correlation_id)
        while True:
            if deadline is not None and clock.now() > deadline:
                raise SynapTimeoutError(
                    "the call's deadline passed while the reply was arriving",
                    correlation_id=correlation_id,
                    outcome_unknown=unknown,
                )
            received = read(_READ_SIZE)
            piece = received if inflate is None else inflate(received, max_bytes - size + 1)
            size += len(piece)
            if size > max_bytes:
                raise SynapProtocolError(
                    f"the reply is larger than max_reply_bytes={max_bytes}",
                    correlation_id=correlation_id,
                    status_code=response.status_code,
                    outcome_unknown=unknown,
                )
            pieces.append(piece)
            if not received:
                break
    except SynapError:
        response.close()
        raise
    except (OSError, ValueError, zlib.error, http.client.HTTPException, urllib3.exceptions.HTTPError) as exc:
        response.close()
        if deadline is not None and clock.now() >= deadline:  # the socket's timeout was what was left of it
            raise SynapTimeoutError(
                "the call's deadline passed while the reply was arriving",
                correlation_id=correlation_id,
                outcome_unknown=unknown,
            ) from None
        raise SynapNetworkError(
            f"the connection failed while the reply was arriving: {type(exc).__name__}",
            correlation_id=correlation_id,
            outcome_unknown=unknown,
        ) from None
    if source is not None and hasattr(source, "close"):
        # http.client's read1 can reach the end without marking the response closed, and a
        # connection whose last response is open cannot carry the next request.
        source.close()
    raw.release_conn()
    content = b"".join(pieces)
    return content.replace(secret, b"***") if secret and secret in content else content


class WithinDeadline:
    """A streamed body that stops being readable once the call's deadline has passed: a server that
    reads slowly (or a byte at a time) slows the upload down to the deadline, never past it."""

    def __init__(self, body: Any, deadline: float, clock: Clock) -> None:
        self._body = body
        self._deadline = deadline
        self._clock = clock
        self.expired = False

    def __len__(self) -> int:
        return len(self._body)

    def read(self, size: int = -1) -> bytes:
        if self._clock.now() > self._deadline:
            self.expired = True
            raise TimeoutError("the call's deadline passed while the request body was being sent")
        piece: bytes = self._body.read(size)
        return piece
