"""synap_sync: a blocking client for the Synap memory service, with bulk ingestion, an emulator and a CLI."""

import logging

from ._signals import stop_on_sigterm
from ._version import __version__
from .bulk import IngestFailure, IngestOutcome, IngestReport, Progress
from .client import SynapClient
from .errors import (
    IngestInterrupted,
    SynapAuthError,
    SynapConflictError,
    SynapCustomerIdNotAcceptedError,
    SynapError,
    SynapInstanceBuildFailedError,
    SynapInstanceNotReadyError,
    SynapInsufficientCreditsError,
    SynapJournalBusyError,
    SynapJournalError,
    SynapNetworkError,
    SynapNotFoundError,
    SynapPaceTimeoutError,
    SynapPermanentError,
    SynapProtocolError,
    SynapQuotaExceededError,
    SynapRateLimitError,
    SynapServerError,
    SynapTimeoutError,
    SynapTransientError,
    SynapValidationError,
    official_alias,
)
from .models import (
    BatchCreateResponse,
    ContextForPromptResponse,
    ContextItem,
    ContextResponse,
    CreateMemoryRequest,
    CreateMemoryResponse,
    CreditBalance,
    CreditEstimate,
    DeleteDataResult,
    DeletedMemory,
    DocumentType,
    ForgetResponse,
    IngestMode,
    IngestStatus,
    InstanceIdentity,
    Memory,
    MemoryStatusResponse,
    RecordedBatch,
    RecordedMessage,
    TranscriptIngestResponse,
    TranscriptTurn,
    derive_document_id,
)

logging.getLogger("synap_sync").addHandler(logging.NullHandler())

__all__ = [
    "__version__",
    "SynapClient",
    "stop_on_sigterm",
    # documents and replies
    "CreateMemoryRequest",
    "DocumentType",
    "IngestMode",
    "derive_document_id",
    # conversations
    "TranscriptTurn",
    "RecordedMessage",
    "RecordedBatch",
    "TranscriptIngestResponse",
    "BatchCreateResponse",
    "CreateMemoryResponse",
    "MemoryStatusResponse",
    "IngestStatus",
    "InstanceIdentity",
    # the read side and the lifecycle
    "Memory",
    "DeletedMemory",
    "ForgetResponse",
    "ContextResponse",
    "ContextItem",
    "ContextForPromptResponse",
    "CreditBalance",
    "CreditEstimate",
    "DeleteDataResult",
    # bulk runs
    "IngestReport",
    "IngestOutcome",
    "IngestFailure",
    "Progress",
    "IngestInterrupted",
    # errors
    "SynapError",
    "SynapTransientError",
    "SynapPermanentError",
    "SynapRateLimitError",
    "SynapServerError",
    "SynapNetworkError",
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
    "SynapTimeoutError",
    "SynapPaceTimeoutError",
    "SynapJournalError",
    "SynapJournalBusyError",
]


def __getattr__(name: str) -> type:
    """The official SDK's error names (``RateLimitError``, ...), with a DeprecationWarning."""
    return official_alias(name)
