"""The contract's data: documents as they are checked and sent, replies as they are parsed."""

from ._checks import at_index, format_datetime, item_document_id, parse_datetime, positive_number, refuse, whole_number
from .documents import (
    CreateMemoryRequest,
    DocumentInput,
    DocumentType,
    IngestMode,
    WireDocument,
    derive_document_id,
    encode_json,
    wire_document,
)
from .replies import (
    BatchCreateResponse,
    CreateMemoryResponse,
    IngestStatus,
    InstanceIdentity,
    MemoryStatusResponse,
    Status,
    says_already_stored,
)

__all__ = [
    "CreateMemoryRequest",
    "DocumentInput",
    "DocumentType",
    "IngestMode",
    "WireDocument",
    "wire_document",
    "derive_document_id",
    "encode_json",
    "BatchCreateResponse",
    "CreateMemoryResponse",
    "IngestStatus",
    "InstanceIdentity",
    "MemoryStatusResponse",
    "Status",
    "says_already_stored",
    "refuse",
    "at_index",
    "item_document_id",
    "parse_datetime",
    "format_datetime",
    "whole_number",
    "positive_number",
]
