"""Cutting the input into chunks (one request each), and turning a chunk's fate into outcomes."""

from __future__ import annotations

import hashlib
import itertools
from typing import Iterable, Iterator, List, Optional, Set, Tuple, Union

import attrs

from ..errors import SynapError, SynapValidationError
from ..models import (
    CreateMemoryResponse,
    DocumentInput,
    ResultLater,
    at_index,
    batch_body,
    built,
    encoded_document,
    item_document_id,
)
from ._journal import ChunkRecord, journaled_chunks
from ._report import IngestOutcome, IngestReport, kind_of

BODY_OVERHEAD = len(b'{"documents":[],"fail_fast":false}')
#: When this many documents have been refused locally, for one and the same reason, before a single
#: valid one, the input is wrong as a whole (a column of the wrong type): the run stops and says so
#: instead of refusing the rest one by one. Mixed good and bad input runs to the end.
DOOMED_AFTER = 200


@attrs.define
class Chunk:
    """Encoded documents that go in one request, with their input positions."""

    number: int
    indices: List[int]
    document_ids: List[Optional[str]]
    encoded: List[bytes]
    #: What a journal knew of this chunk when the run started (it was sent by a run that died).
    record: Optional[ChunkRecord] = None
    digest: Optional[str] = None

    def body(self, fail_fast: bool) -> bytes:
        return batch_body(self.encoded, fail_fast)

    def fingerprint(self) -> str:
        """A digest of the chunk's documents, computed once (the journal needs it twice)."""
        if self.digest is None:
            digest = hashlib.blake2b(digest_size=16)
            for encoded in self.encoded:
                digest.update(encoded)
                digest.update(b"\n")
            self.digest = digest.hexdigest()
        return self.digest

    def describe(self) -> str:
        return f"chunk {self.number} (documents {self.indices[0]} to {self.indices[-1]})"


def chunk_documents(
    documents: Iterable[DocumentInput], chunk_size: int, max_chunk_bytes: Optional[int], derive_ids: bool = False
) -> Iterator[Union[Chunk, IngestOutcome]]:
    """Check, encode and cut the input into chunks; an invalid or oversized document comes out as a
    failed outcome in its place. With ``derive_ids``, a document without an id gets one from its content.

    :raises SynapValidationError: the first `DOOMED_AFTER` documents were all refused for one reason.
    """
    number = 0
    valid = 0
    reasons: Set[Tuple[Optional[str], str]] = set()
    chunk = Chunk(0, [], [], [])
    size = BODY_OVERHEAD
    items = iter(documents)
    for index in itertools.count():
        try:
            item = next(items)
        except StopIteration:
            break
        except Exception as error:
            if chunk.indices:  # what was read before the input failed still goes, or is accounted for
                yield chunk
            raise error
        try:
            encoded, document_id = encoded_document(item, derive_ids)
        except SynapValidationError as error:
            refusal = at_index(error, index)
            yield IngestOutcome(
                index, False, item_document_id(item), error=refusal, error_message=refusal.message, kind="invalid"
            )
            if not valid:
                reasons.add(error.errors[0][1:] if error.errors else (None, error.message))
                if index + 1 >= DOOMED_AFTER and len(reasons) == 1:
                    raise _doomed(index + 1, error) from None
            continue
        valid += 1
        if max_chunk_bytes is not None and BODY_OVERHEAD + len(encoded) > max_chunk_bytes:
            message = f"documents[{index}]: {len(encoded)} bytes encoded, over max_chunk_bytes={max_chunk_bytes}"
            yield IngestOutcome(index, False, document_id, error_message=message, kind="invalid")
            continue
        too_big = max_chunk_bytes is not None and size + 1 + len(encoded) > max_chunk_bytes
        if chunk.indices and (len(chunk.indices) >= chunk_size or too_big):
            yield chunk
            number += 1
            chunk = Chunk(number, [], [], [])
            size = BODY_OVERHEAD
        chunk.indices.append(index)
        chunk.document_ids.append(document_id)
        chunk.encoded.append(encoded)
        size += len(encoded) + 1
    if chunk.indices:
        yield chunk


def _doomed(count: int, error: SynapValidationError) -> SynapValidationError:
    return SynapValidationError(
        f"the first {count} documents were all refused for the same reason, so the run stopped before "
        f"reading the rest (is the input as a whole of the wrong shape?): {error.message}",
        errors=[(None, *entry[1:]) for entry in error.errors[:1]],
    )


def acknowledged(
    chunk: Chunk, results: List[Union[CreateMemoryResponse, ResultLater]], maybe_stored: bool, fail_already_stored: bool
) -> List[IngestOutcome]:
    """The service's per-item answers for ``chunk``; a refusal that says the id is stored already is a
    success (``deduplicated`` when this run may have stored it, else ``already_stored``). An accepted
    document's result is built only if its outcome's ``result`` is read."""
    outcomes = []
    for index, document_id, answer in zip(chunk.indices, chunk.document_ids, results):
        if answer.ok:
            outcomes.append(IngestOutcome(index, True, document_id, answer))
            continue
        result = built(answer)
        assert result is not None
        if result.says_already_stored:
            if maybe_stored:
                outcomes.append(IngestOutcome(index, True, document_id, result, deduplicated=True))
            elif fail_already_stored:
                message = result.error_message or "already stored"
                outcomes.append(
                    IngestOutcome(index, False, document_id, result, error_message=message, kind="duplicate")
                )
            else:
                outcomes.append(IngestOutcome(index, True, document_id, result, already_stored=True))
        else:
            message = result.error_message or f"status {result.status}"
            outcomes.append(IngestOutcome(index, False, document_id, result, error_message=message, kind="rejected"))
    return outcomes


def failed(
    chunk: Chunk, error: Optional[SynapError], message: str = "", kind: Optional[str] = None
) -> List[IngestOutcome]:
    """Every document of ``chunk`` failed: ``message``, then the error's own words."""
    message += str(error) if error is not None else ""
    kind = kind or kind_of(error)
    return [
        IngestOutcome(index, False, document_id, error=error, error_message=message, kind=kind)
        for index, document_id in zip(chunk.indices, chunk.document_ids)
    ]


def replayed(chunk: Chunk, record: ChunkRecord) -> List[IngestOutcome]:
    """The outcomes an earlier run's journal settled for ``chunk``."""
    refused = {index: (reason, kind) for index, _, reason, kind in record.failed}
    outcomes = []
    for index, document_id in zip(chunk.indices, chunk.document_ids):
        reason, kind = refused.get(index, (None, None))
        outcomes.append(
            IngestOutcome(index, reason is None, document_id, error_message=reason, resumed=True, kind=kind)
        )
    return outcomes


def journaled_report(path: str) -> IngestReport:
    """What the journal at ``path`` says was settled: the documents of chunks done, acknowledged or
    failed with their reasons, and those of chunks sent but not done as failed ``not_settled`` (the
    service may hold them; a resume finds out). Earlier runs' chunks in it count too."""
    report = IngestReport()
    for _, record in sorted(journaled_chunks(path).items()):
        refused = {index: (document_id, reason, kind) for index, document_id, reason, kind in record.failed}
        already, deduplicated = record.already_stored, record.deduplicated
        for index in record.indices:
            if not record.done:
                report.record(IngestOutcome(index, False, error_message=NOT_SETTLED_IN_JOURNAL, kind="not_settled"))
            elif index in refused:
                document_id, reason, kind = refused[index]
                report.record(IngestOutcome(index, False, document_id, error_message=reason, kind=kind))
            else:
                is_stored, is_deduplicated = already > 0, already <= 0 < deduplicated
                outcome = IngestOutcome(index, True, already_stored=is_stored, deduplicated=is_deduplicated)
                already -= outcome.already_stored
                deduplicated -= outcome.deduplicated
                report.record(outcome)
    report.failures.sort(key=lambda failure: failure.index)
    return report


NOT_SETTLED_IN_JOURNAL = "not settled: the run stopped while this chunk was on its way; the service may hold it"
