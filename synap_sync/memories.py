"""``client.memories``: the ingestion calls of the contract, blocking."""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Optional, Tuple, Union
from urllib.parse import quote

from ._progress import Progress
from ._transport import encode_json
from .bulk import BulkIngestion, IngestReport
from .errors import SynapProtocolError, SynapTimeoutError, SynapValidationError
from .models import (
    BatchCreateResponse,
    CreateMemoryRequest,
    CreateMemoryResponse,
    DocumentInput,
    DocumentType,
    IngestMode,
    MemoryStatusResponse,
    WireDocument,
    at_index,
    item_document_id,
    refuse,
    wire_document,
)

if TYPE_CHECKING:
    from .client import SynapClient

__all__ = ["Memories", "MAX_BATCH_SIZE"]

#: The service's ceiling on documents per ``batch_create`` call.
MAX_BATCH_SIZE = 100

BATCH_PATH = "/api/v1/memories/batch"
CREATE_PATH = "/api/v1/memories/create"
STATUS_PATH = "/api/v1/memories/status/"


def check_batch(items: List[DocumentInput]) -> Tuple[List[Optional[WireDocument]], List[SynapValidationError]]:
    """Check every item; returns each one's JSON object (None where refused) and each refusal, indexed."""
    wires: List[Optional[WireDocument]] = []
    refusals: List[SynapValidationError] = []
    for index, item in enumerate(items):
        try:
            wires.append(wire_document(item))
        except SynapValidationError as error:
            wires.append(None)
            refusals.append(at_index(error, index))
    return wires, refusals


class Memories:
    """Create memories and follow their ingestion. Reached as ``client.memories``."""

    def __init__(self, client: "SynapClient") -> None:
        self._client = client
        self._transport = client._transport

    def batch_create(self, documents: Iterable[DocumentInput], fail_fast: bool = False) -> BatchCreateResponse:
        """Ingest 1 to 100 documents in one call.

        :param documents: `CreateMemoryRequest` objects or dicts of their fields (any iterable).
        :param fail_fast: if True, one invalid document refuses the whole batch and nothing is stored
            (checked locally first: nothing is sent). If False, valid documents are sent and each
            invalid one comes back in ``results`` at its index with status failed and the reason.
        :returns: counts over all items and per-item results in input order.
        :raises SynapValidationError: wrong batch size, or (with fail_fast) any invalid document.
        :raises SynapError: whatever the service or the network answered, after safe retries.
        """
        items = documents if isinstance(documents, list) else list(documents)
        correlation_id = self._transport.new_correlation_id()
        if not 1 <= len(items) <= MAX_BATCH_SIZE:
            raise SynapValidationError(
                f"documents: a batch holds 1 to {MAX_BATCH_SIZE} documents, got {len(items)}",
                errors=[(None, "documents", f"must hold 1 to {MAX_BATCH_SIZE} documents")],
                correlation_id=correlation_id,
            )
        wires, refusals = check_batch(items)
        if refusals and fail_fast:
            raise SynapValidationError(
                f"{len(refusals)} of {len(items)} documents are invalid: "
                + "; ".join(refusal.message for refusal in refusals),
                errors=[entry for refusal in refusals for entry in refusal.errors],
                correlation_id=correlation_id,
            )
        valid = [wire for wire in wires if wire is not None]
        if not valid:
            return _merge(items, wires, refusals, None, correlation_id)
        reply = self.send_batch(valid, fail_fast, correlation_id)
        return _merge(items, wires, refusals, reply, correlation_id)

    def send_batch(
        self,
        wires: List[WireDocument],
        fail_fast: bool,
        correlation_id: Optional[str] = None,
    ) -> BatchCreateResponse:
        """POST already-checked documents as one batch and parse the reply."""
        body = encode_json({"documents": wires, "fail_fast": fail_fast})
        repeat_is_harmless = all(wire["document_id"] for wire in wires)
        return self.post_batch(body, len(wires), repeat_is_harmless, correlation_id)

    def post_batch(
        self,
        body: bytes,
        count: int,
        repeat_is_harmless: bool,
        correlation_id: Optional[str] = None,
        max_retries: Optional[int] = None,
    ) -> BatchCreateResponse:
        """POST an encoded batch body of ``count`` documents; the reply must hold ``count`` results.

        :param repeat_is_harmless: every document has a document_id, so a request whose outcome is
            unknown may be sent again.
        """
        correlation_id = correlation_id or self._transport.new_correlation_id()
        reply = self._transport.request(
            "POST",
            BATCH_PATH,
            body=body,
            correlation_id=correlation_id,
            repeat_is_harmless=repeat_is_harmless,
            max_retries=max_retries,
        )
        parsed = BatchCreateResponse.from_dict(reply, correlation_id)
        if len(parsed.results) != count:
            raise SynapProtocolError(
                f"batch reply has {len(parsed.results)} results for {count} documents",
                correlation_id=correlation_id,
            )
        return parsed

    def ingest(
        self,
        documents: Iterable[DocumentInput],
        *,
        fail_fast: bool = False,
        chunk_size: int = 100,
        max_chunk_bytes: Optional[int] = None,
        workers: int = 4,
        max_requests_per_second: Optional[float] = None,
        journal: Optional[str] = None,
        progress: Union[bool, Callable[[Progress], Any], None] = None,
    ) -> IngestReport:
        """Stream any number of documents into Synap and account for every one.

        :param documents: any iterable (a generator over a huge file is fine) of
            `CreateMemoryRequest` or dicts; memory stays bounded by the chunks in flight.
        :param fail_fast: stop the run at the first invalid document (raising `SynapValidationError`
            with ``.report``); by default invalid documents are reported failed and the run goes on.
        :param chunk_size: documents per request, at most 100.
        :param max_chunk_bytes: also cap each request body at this many bytes; a document larger
            on its own is reported failed, not sent.
        :param workers: threads sending at once, sharing the client's connection pool.
        :param max_requests_per_second: never send faster than this; without it the pace is
            learned from the service's 429s.
        :param journal: a file recording, durably, what the service settled; running again with the
            same journal skips that and resumes (see the README for the guarantees).
        :param progress: True for a progress bar (tqdm if installed, else a stderr line), or a
            callable receiving `Progress` counts.
        :returns: an `IngestReport`.
        :raises SynapError: only a permanent error that every request would meet (auth, credits,
            quota, instance not ready, no such endpoint), with ``.report`` holding what was done.
        """
        run = self.ingest_iter(
            documents,
            fail_fast=fail_fast,
            chunk_size=chunk_size,
            max_chunk_bytes=max_chunk_bytes,
            workers=workers,
            max_requests_per_second=max_requests_per_second,
            journal=journal,
            progress=progress,
        )
        for _ in run:
            pass
        return run.report

    def ingest_iter(
        self,
        documents: Iterable[DocumentInput],
        *,
        fail_fast: bool = False,
        chunk_size: int = 100,
        max_chunk_bytes: Optional[int] = None,
        workers: int = 4,
        max_requests_per_second: Optional[float] = None,
        journal: Optional[str] = None,
        progress: Union[bool, Callable[[Progress], Any], None] = None,
    ) -> BulkIngestion:
        """The engine behind `ingest`: an iterator of one `IngestOutcome` per document as its chunk
        settles (not in input order), with the running ``report``. Same parameters as `ingest`.
        To stop early, ``close()`` it or use it as a context manager (``with ... as run:``)."""
        return BulkIngestion(
            self,
            documents,
            fail_fast=fail_fast,
            chunk_size=chunk_size,
            max_chunk_bytes=max_chunk_bytes,
            workers=workers,
            max_requests_per_second=max_requests_per_second,
            journal=journal,
            progress=progress,
        )

    def create(
        self,
        document: Union[str, Dict[str, Any]],
        user_id: Optional[str] = None,
        customer_id: Optional[str] = None,
        document_type: Union[DocumentType, str] = DocumentType.AI_CHAT_CONVERSATION,
        document_id: Optional[str] = None,
        document_created_at: Optional[Union[datetime, str]] = None,
        mode: Union[IngestMode, str] = IngestMode.LONG_RANGE,
        metadata: Optional[Dict[str, Any]] = None,
        scope: Optional[Dict[str, str]] = None,
    ) -> CreateMemoryResponse:
        """Ingest one document; the arguments are `CreateMemoryRequest`'s fields.

        On a B2C instance (known after ``client.initialize()``) a ``customer_id`` is refused before
        sending, as the official SDK does.

        :raises SynapValidationError: an invalid field, named.
        :raises SynapConflictError: the document_id was already ingested.
        """
        request = CreateMemoryRequest(
            document=document,
            document_type=document_type,  # type: ignore[arg-type]
            document_id=document_id,
            document_created_at=document_created_at,  # type: ignore[arg-type]
            user_id=user_id,
            customer_id=customer_id,
            scope=scope,
            mode=mode,  # type: ignore[arg-type]
            metadata=metadata,  # type: ignore[arg-type]
        )
        correlation_id = self._transport.new_correlation_id()
        identity = self._client.identity
        if customer_id is not None and identity is not None and identity.is_b2c:
            raise SynapValidationError(
                "customer_id: not allowed on a B2C instance (user_context_isolation=equals_customer)",
                errors=[(None, "customer_id", "not allowed on a B2C instance")],
                correlation_id=correlation_id,
            )
        reply = self._transport.request(
            "POST",
            CREATE_PATH,
            request.to_dict(),
            correlation_id=correlation_id,
            repeat_is_harmless=request.document_id is not None,
        )
        return CreateMemoryResponse.from_dict(reply, correlation_id)

    def status(self, ingestion_id: Union[str, uuid.UUID]) -> MemoryStatusResponse:
        """Where one ingestion stands.

        :raises SynapNotFoundError: no ingestion with that id.
        """
        if isinstance(ingestion_id, uuid.UUID):
            ingestion_id = str(ingestion_id)
        if not isinstance(ingestion_id, str) or not ingestion_id.strip():
            raise refuse("ingestion_id", "must be a non-empty string or UUID")
        correlation_id = self._transport.new_correlation_id()
        reply = self._transport.request(
            "GET", STATUS_PATH + quote(ingestion_id, safe=""), correlation_id=correlation_id
        )
        return MemoryStatusResponse.from_dict(reply, correlation_id)

    def wait_for_completion(
        self,
        ingestion_id: Union[str, uuid.UUID],
        timeout_seconds: float = 300,
        poll_interval_seconds: float = 2,
    ) -> MemoryStatusResponse:
        """Poll ``status`` until the ingestion is completed, failed or partial_success.

        :returns: the terminal status (check ``.status``: a failed ingestion is returned, not raised).
        :raises SynapTimeoutError: not terminal within ``timeout_seconds``; ``.last_status`` holds
            the last status seen.
        """
        deadline = time.monotonic() + timeout_seconds
        while True:
            current = self.status(ingestion_id)
            if current.is_terminal:
                return current
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SynapTimeoutError(
                    f"ingestion {ingestion_id} still {current.status} after {timeout_seconds}s",
                    last_status=current,
                    correlation_id=current.correlation_id,
                )
            time.sleep(min(poll_interval_seconds, remaining))


def _merge(
    items: List[DocumentInput],
    wires: List[Optional[WireDocument]],
    refusals: List[SynapValidationError],
    reply: Optional[BatchCreateResponse],
    correlation_id: str,
) -> BatchCreateResponse:
    """Put the service's results and the local refusals back in input order, counting both."""
    if not refusals and reply is not None:
        return reply
    reasons = {refusal.errors[0][0]: refusal.message for refusal in refusals}
    sent = iter(reply.results if reply is not None else ())
    results: List[CreateMemoryResponse] = []
    for index, wire in enumerate(wires):
        if wire is None:
            results.append(CreateMemoryResponse.refused(item_document_id(items[index]), reasons[index]))
        else:
            results.append(next(sent))
    succeeded = reply.succeeded if reply is not None else 0
    return BatchCreateResponse(
        batch_id=reply.batch_id if reply is not None else None,
        total=len(items),
        succeeded=succeeded,
        failed=len(items) - succeeded,
        results=results,
        extra=reply.extra if reply is not None else {},
        correlation_id=correlation_id,
    )
