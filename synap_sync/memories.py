"""``client.memories``: the contract's ingestion calls, blocking, and the bulk engine's entry points."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import IO, Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union
from urllib.parse import quote

import attrs

from ._calls import Calls, checked_wait
from ._constants import BATCH_PATH, CREATE_PATH, FORGET_PATH, MAX_BATCH_SIZE, MEMORY_PATH, STATUS_PATH, UPLOAD_PATH
from ._frames import frame_rows, is_frame, is_series, mapped_rows
from ._pace import BULK
from ._signals import Terminated
from ._transport import CallOptions, CallRecord
from ._upload import form_upload
from .bulk import BulkIngestion, IngestOptions, IngestReport
from .errors import (
    IngestInterrupted,
    SynapNotFoundError,
    SynapProtocolError,
    SynapValidationError,
)
from .models import (
    BatchCreateResponse,
    CreateMemoryRequest,
    CreateMemoryResponse,
    DeletedMemory,
    DocumentInput,
    DocumentType,
    ForgetResponse,
    IngestMode,
    Memory,
    MemoryStatusResponse,
    UpdateMemoryRequest,
    at_index,
    batch_body,
    check_scope,
    checked_metadata,
    checked_scope,
    document_type_value,
    encoded_document,
    item_document_id,
    one_of,
    optional_text,
    path_segment,
    refuse,
    required_text,
    uuid_text,
    whole_number,
)

__all__ = ["Memories"]


class Memories(Calls):
    """Create memories and follow their ingestion. Reached as ``client.memories``."""

    def batch_create(
        self,
        documents: Iterable[DocumentInput],
        fail_fast: bool = False,
        *,
        columns: Optional[Mapping[str, str]] = None,
        metadata_columns: Sequence[str] = (),
    ) -> BatchCreateResponse:
        """Ingest 1 to 100 documents in one call.

        :param documents: a list (or other iterable) of `CreateMemoryRequest` objects or dicts of their
            fields, or a pandas DataFrame of up to 100 rows (each a document, each column a field); a
            string, a single dict or None is refused. In a dict, NaN, NaT and pandas' NA are missing and
            numpy values plain, as in a DataFrame.
        :param fail_fast: if True, one invalid document refuses the whole batch and nothing is stored
            (checked locally first: nothing is sent). If False, valid documents are sent and each
            invalid one comes back in ``results`` at its index with status failed and the reason.
        :param columns: for a DataFrame or row dicts, the fields some columns go to:
            ``{"body": "document", "ticket": "document_id"}``.
        :param metadata_columns: columns whose values go into each document's ``metadata``.
        :returns: counts over all items and per-item results in input order.
        :raises SynapValidationError: wrong batch size, or (with fail_fast) any invalid document.
        :raises SynapError: whatever the service or the network answered, after safe retries.
        """
        self._transport.refuse_when_closed()
        items = _as_items(_rows(documents, columns, metadata_columns))
        if not isinstance(fail_fast, bool):
            raise refuse("fail_fast", f"must be True or False, not {fail_fast!r}")
        correlation_id = self._transport.new_correlation_id()
        if not 1 <= len(items) <= MAX_BATCH_SIZE:
            raise SynapValidationError(
                f"documents: a batch holds 1 to {MAX_BATCH_SIZE} documents, got {len(items)}",
                errors=[(None, "documents", f"must hold 1 to {MAX_BATCH_SIZE} documents")],
                correlation_id=correlation_id,
            )
        wires, document_ids, refusals = _check_batch(items)
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
        body = batch_body(valid, fail_fast)
        repeatable = all(document_ids)
        record = CallRecord()
        reply = self._post_batch(body, len(valid), repeatable, self._options, correlation_id, record)
        if record.resent_after_unknown:
            _count_lost_first_attempts(reply)
        return _merge(items, wires, refusals, reply, correlation_id)

    def _post_batch(
        self,
        body: bytes,
        count: int,
        repeatable: bool,
        options: CallOptions,
        correlation_id: Optional[str] = None,
        record: Optional[CallRecord] = None,
    ) -> BatchCreateResponse:
        """POST an encoded batch of ``count`` documents; the reply must hold ``count`` results."""

        def read(reply: Any, correlation_id: str) -> BatchCreateResponse:
            parsed = BatchCreateResponse.from_dict(reply, correlation_id)
            if parsed.result_count != count:
                raise SynapProtocolError(
                    f"batch reply has {parsed.result_count} results for {count} documents",
                    correlation_id=correlation_id,
                )
            return parsed

        return self._call(
            "POST",
            BATCH_PATH,
            read,
            body=body,
            correlation_id=correlation_id,
            options=options,
            repeatable=repeatable,
            record=record,
        )

    def ingest(
        self,
        documents: Iterable[DocumentInput],
        *,
        columns: Optional[Mapping[str, str]] = None,
        metadata_columns: Sequence[str] = (),
        **options: Any,
    ) -> IngestReport:
        """Stream any number of documents into Synap and account for every one.

        :param documents: any iterable (a generator over a huge file is fine) of
            `CreateMemoryRequest` or dicts, or a pandas DataFrame (each row a document, each column a
            field, read a row at a time as it is sent); memory stays bounded by the chunks in flight.
            NaN, NaT and pandas' NA are missing, numpy values plain, Timestamps datetimes.
        :param columns: for a DataFrame or row dicts, the fields some columns go to:
            ``{"body": "document", "ticket": "document_id"}``. A DataFrame's columns are checked before
            anything is sent: one that is no field, nor mapped, nor in ``metadata_columns`` is refused.
        :param metadata_columns: columns whose values go into each document's ``metadata`` (missing
            ones left out), beside a ``metadata`` column's own.
        :param options: any of `IngestOptions`: ``fail_fast``, ``chunk_size``, ``max_chunk_bytes``,
            ``workers``, ``max_requests_per_second``, ``journal``, ``progress``, ``derive_ids``,
            ``fail_already_stored``, ``deadline``.
        :returns: an `IngestReport`.
        :raises SynapError: only an error that every request would meet (auth, credits, quota,
            instance not ready, no such endpoint, a service that cannot be reached, three chunks in a
            row failing after every attempt), or the run's deadline, with ``.report``.
        :raises IngestInterrupted: Ctrl-C (or SIGTERM inside `synap_sync.stop_on_sigterm`); a
            KeyboardInterrupt whose ``.report`` holds what was done.
        """
        rows = _rows(documents, columns, metadata_columns)
        run = self._ingestion(rows, IngestOptions.from_keywords(options, "ingest"))
        try:
            for _ in run:
                pass
        except IngestInterrupted:
            raise
        except KeyboardInterrupt as interrupt:
            raise IngestInterrupted(run.report, terminated=isinstance(interrupt, Terminated)) from interrupt
        return run.report

    def ingest_iter(
        self,
        documents: Iterable[DocumentInput],
        *,
        columns: Optional[Mapping[str, str]] = None,
        metadata_columns: Sequence[str] = (),
        **options: Any,
    ) -> BulkIngestion:
        """The engine behind `ingest`: an iterator of one `IngestOutcome` per document as its chunk
        settles (not in input order), with the running ``report``. Same options as `ingest`.
        To stop early, ``close()`` it or use it as a context manager (``with ... as run:``)."""
        rows = _rows(documents, columns, metadata_columns)
        return self._ingestion(rows, IngestOptions.from_keywords(options, "ingest_iter"))

    def _ingestion(self, documents: Iterable[DocumentInput], options: IngestOptions) -> BulkIngestion:
        self._transport.refuse_when_closed()
        options.check(self._transport.pool_maxsize)
        _check_collection(documents)
        # One attempt per post: the chunk sender retries, counts and logs on its own terms. A bulk run is
        # bulk work for the key's pace (unless the view says otherwise): interactive calls go first.
        single = attrs.evolve(
            self._options, max_retries=0, wait_when_throttled=False, priority=self._options.priority or BULK
        )

        def post(body: bytes, count: int, repeatable: bool) -> BatchCreateResponse:
            return self._post_batch(body, count, repeatable, single)

        transport = self._transport
        return BulkIngestion(
            documents,
            options,
            post,
            retry=transport.retry,
            clock=transport.clock,
            client_attempts=self._options.max_retries + 1,
            pace_now=lambda: options.max_requests_per_second or transport.pace.rate,
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
        return self._call(
            "POST",
            CREATE_PATH,
            CreateMemoryResponse.from_dict,
            body=request.encoded,
            repeatable=request.document_id is not None,
            customer_id=customer_id,
        )

    def status(self, ingestion_id: Union[str, uuid.UUID]) -> MemoryStatusResponse:
        """Where one ingestion stands.

        :raises SynapNotFoundError: no ingestion with that id.
        """
        return self._status(_status_path(ingestion_id), self._options)

    def _status(self, path: str, options: CallOptions) -> MemoryStatusResponse:
        return self._call("GET", path, MemoryStatusResponse.from_dict, options=options)

    def wait_for_completion(
        self,
        ingestion_id: Union[str, uuid.UUID],
        timeout_seconds: float = 300,
        poll_interval_seconds: float = 2,
    ) -> MemoryStatusResponse:
        """Poll ``status`` every ``poll_interval_seconds`` until the ingestion is completed, failed or
        partial_success. Each look is bounded by the time left, so the wait ends within about half a
        second of ``timeout_seconds`` even when the service stops answering; when the next look would
        come after the timeout, a last one is made just before it.

        :returns: the terminal status (check ``.status``: a failed ingestion is returned, not raised).
        :raises SynapTimeoutError: not terminal within ``timeout_seconds``; ``.last_status`` holds the
            last status seen (None if no look was answered).
        :raises SynapValidationError: a timeout or poll interval that is not a number of seconds.
        """
        checked_wait(timeout_seconds, poll_interval_seconds)
        path = _status_path(ingestion_id)

        def describe(last: Optional[MemoryStatusResponse]) -> str:
            state = "unanswered" if last is None else f"still {last.status}"
            return f"ingestion {ingestion_id} {state}"

        return self._wait_until(
            lambda options: self._status(path, options),
            lambda current: current.is_terminal,
            timeout_seconds=timeout_seconds,
            interval=lambda _: poll_interval_seconds,
            describe=describe,
        )

    # --- the memory lifecycle ------------------------------------------------------------------------

    def get(self, memory_id: Union[uuid.UUID, str]) -> Memory:
        """One memory by id (ids come from ``status(...).memory_ids`` or a context fetch's items).

        :raises SynapNotFoundError: no such memory, or not in this key's scope.
        """
        path = MEMORY_PATH + quote(uuid_text(memory_id, "memory_id"), safe="")
        return self._call("GET", path, Memory.from_dict)

    def update(
        self,
        memory_id: Union[uuid.UUID, str],
        document: Union[str, Dict[str, Any]],
        merge_strategy: str = "smart-merge",
        document_type: Optional[Union[DocumentType, str]] = None,
        metadata: Optional[Dict[str, Any]] = None,
    ) -> Memory:
        """Change a memory: ``merge_strategy`` is ``smart-merge`` (default), ``append`` or ``replace``;
        ``metadata`` is merged with what the memory has. Not repeated when its outcome is unknown.

        :raises SynapValidationError: a bad argument, named, before sending (also a ValueError).
        :raises SynapNotFoundError: no such memory, or not in this key's scope.
        """
        path = MEMORY_PATH + quote(uuid_text(memory_id, "memory_id"), safe="")
        body = UpdateMemoryRequest(document, merge_strategy, document_type, metadata).to_dict()
        return self._call("PATCH", path, Memory.from_dict, body=body, repeatable=False)

    def delete(self, memory_id: Union[uuid.UUID, str]) -> DeletedMemory:
        """Delete a memory. Any 2xx is success (a 204 gives ``deleted_at=None``). A delete is repeated
        after an unknown outcome; a 404 to such a repeat means the first one deleted it: success.

        :raises SynapNotFoundError: no such memory (when no earlier attempt may have deleted it).
        """
        memory = uuid_text(memory_id, "memory_id")
        correlation_id = self._transport.new_correlation_id()
        record = CallRecord()

        def read(reply: Any, correlation_id: str) -> DeletedMemory:
            return DeletedMemory.from_dict(reply, uuid.UUID(memory), correlation_id)

        try:
            return self._call(
                "DELETE",
                MEMORY_PATH + quote(memory, safe=""),
                read,
                correlation_id=correlation_id,
                repeatable=True,
                record=record,
            )
        except SynapNotFoundError:
            if not record.resent_after_unknown:
                raise
            return read({}, correlation_id)

    def forget(
        self,
        description: str,
        user_id: Optional[str] = None,
        customer_id: Optional[str] = None,
        scope: Optional[Dict[str, str]] = None,
        mode: str = "preview",
    ) -> ForgetResponse:
        """Forget what matches ``description`` (3 to 500 characters) for exactly one user.

        ``mode="preview"`` (default) files a deletion request a person approves in the dashboard and
        deletes nothing; ``"direct"`` finds and deletes in one call. Only ``status == "deleted"`` means
        removed. Not repeated when its outcome is unknown (a 503 is: nothing was deleted).
        """
        if not isinstance(description, str) or not 3 <= len(description) <= 500:
            raise refuse("description", "must be a string of 3 to 500 characters")
        body = {
            "description": description,
            "user_id": optional_text(user_id, "user_id"),
            "customer_id": optional_text(customer_id, "customer_id"),
            "scope": checked_scope(scope),
            "mode": one_of(mode, "mode", FORGET_MODES),
        }
        return self._call(
            "POST", FORGET_PATH, ForgetResponse.from_dict, body=body, repeatable=False, customer_id=customer_id
        )

    def create_from_file(
        self,
        user_id: str,
        customer_id: Optional[str] = None,
        relationship_type: str = "b2c",
        file_path: Optional[str] = None,
        file: Optional[IO[bytes]] = None,
        filename: Optional[str] = None,
        text: Optional[str] = None,
        document_type: Optional[Union[DocumentType, str]] = None,
        mode: Union[IngestMode, str] = "long-range",
        metadata: Optional[Dict[str, Any]] = None,
        scope: Optional[Dict[str, str]] = None,
        *,
        max_bytes: Optional[int] = None,
    ) -> CreateMemoryResponse:
        """Ingest a file (a PDF, an email, a transcript) or a text: ``POST /api/v1/memories/upload``.

        Give exactly one of ``file_path``, ``file`` (a binary file object that can seek; ``filename``
        names it) or ``text``. The file is streamed from disk a block at a time, never read whole.
        ``max_bytes`` refuses a larger file before anything is sent. An upload has no ``document_id``
        or date: for dated history use ``batch_create``/``ingest``. It is not repeated when its
        outcome is unknown (it may have landed). Follow it with ``wait_for_completion``.

        :raises SynapValidationError: a bad argument or an unreadable file, named, before sending.
        """
        self._transport.refuse_when_closed()
        check_scope(scope)
        correlation_id = self._transport.new_correlation_id()
        self._transport.gate.refuse_customer_on_b2c(customer_id, correlation_id)
        if not isinstance(user_id, str) or not user_id.strip():
            raise refuse("user_id", "is required for an upload")
        sources = (("file_path", file_path), ("file", file), ("text", text))
        given = [name for name, value in sources if value is not None]
        if len(given) != 1:
            raise refuse(
                given[-1] if given else "file_path",
                "give exactly one of file_path, file or text" + (f", not {' and '.join(given)}" if given else ""),
            )
        if text is not None and not isinstance(text, str):
            raise refuse("text", f"must be a string, not {type(text).__name__}")
        if max_bytes is not None and (not whole_number(max_bytes) or max_bytes < 1):
            raise refuse("max_bytes", f"must be None or a whole number >= 1, got {max_bytes!r}")
        fields = [
            ("user_id", user_id),
            ("relationship_type", one_of(relationship_type, "relationship_type", ("b2c", "b2b"))),
            ("mode", one_of(mode, "mode", ("long-range", "fast"))),
        ]
        if customer_id:
            fields.append(("customer_id", required_text(customer_id, "customer_id")))
        if scope:
            fields.append(("scope", json.dumps(scope)))
        if document_type:
            fields.append(("document_type", document_type_value(document_type)))
        if metadata:
            checked = checked_metadata(metadata)
            fields.append(("metadata", json.dumps(checked)))
        upload = form_upload(fields, file_path=file_path, file=file, filename=filename, text=text, max_bytes=max_bytes)
        try:
            return self._call(
                "POST",
                UPLOAD_PATH,
                CreateMemoryResponse.from_dict,
                correlation_id=correlation_id,
                stream=upload.body,
                content_type=upload.content_type,
                repeatable=False,
            )
        finally:
            upload.close()


#: ``forget``'s modes, as the contract lists them.
FORGET_MODES = ("preview", "direct")


def _status_path(ingestion_id: Any) -> str:
    """The status path of an ingestion id (a string or a UUID), checked."""
    if isinstance(ingestion_id, uuid.UUID):
        ingestion_id = str(ingestion_id)
    if not isinstance(ingestion_id, str) or not ingestion_id.strip():
        raise refuse("ingestion_id", "must be a non-empty string or UUID")
    return STATUS_PATH + quote(path_segment(ingestion_id, "ingestion_id"), safe="")


def _count_lost_first_attempts(reply: BatchCreateResponse) -> None:
    """After a resend of a batch whose first answer was lost, an "already ingested" refusal means the
    first attempt stored the document: it counts as accepted, ``deduplicated``."""
    for result in reply.results:
        if not result.ok and result.says_already_stored:
            result.deduplicated = True
            reply.succeeded += 1
            reply.failed -= 1


def _rows(documents: Any, columns: Optional[Mapping[str, str]], metadata_columns: Sequence[str]) -> Any:
    """A DataFrame as its rows, row dicts with their columns mapped; anything else as it is."""
    if is_series(documents):
        raise refuse(
            "documents",
            "is a pandas Series: give a DataFrame (series.to_frame('document') for a column of texts)",
        )
    if is_frame(documents):
        return frame_rows(documents, columns, metadata_columns)
    if columns is None and not metadata_columns:
        return documents
    _check_collection(documents)
    return mapped_rows(documents, columns, metadata_columns)


def _check_collection(documents: Any) -> None:
    """Refuse what is not a collection of documents: None, a single document, or something that would
    iterate wrongly (a str its characters, a dict its keys) or not at all."""
    single = isinstance(documents, (str, bytes, Mapping, CreateMemoryRequest))
    if documents is None or single or not hasattr(documents, "__iter__"):
        raise refuse("documents", f"must be a collection of documents, not {type(documents).__name__}")


def _as_items(documents: Any) -> List[DocumentInput]:
    """``documents`` as a list, once it is known to be a collection of documents."""
    if isinstance(documents, list):
        return documents
    _check_collection(documents)
    return list(documents)


def _check_batch(
    items: List[DocumentInput],
) -> Tuple[List[Optional[bytes]], List[Optional[str]], List[SynapValidationError]]:
    """Check every item; returns each one's JSON as sent (a request's own encoding, or a dict checked
    and encoded; None where refused), the document_ids of those sent, and each refusal, indexed."""
    documents: List[Optional[bytes]] = []
    document_ids: List[Optional[str]] = []
    refusals: List[SynapValidationError] = []
    for index, item in enumerate(items):
        try:
            document, document_id = encoded_document(item)
        except SynapValidationError as error:
            documents.append(None)
            refusals.append(at_index(error, index))
            continue
        documents.append(document)
        document_ids.append(document_id)
    return documents, document_ids, refusals


def _merge(
    items: List[DocumentInput],
    wires: List[Optional[bytes]],
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
