"""synap_sync: a blocking client for the Synap memory service's ingestion API."""

import logging

__version__ = "0.1.0"

from .client import SynapClient  # noqa: E402
from .errors import (  # noqa: E402
    AuthenticationError,
    ConflictError,
    InstanceNotReadyError,
    InsufficientCreditsError,
    InvalidInputError,
    NetworkError,
    NotFoundError,
    RateLimitError,
    ServerError,
    SynapAuthError,
    SynapConflictError,
    SynapError,
    SynapInstanceNotReadyError,
    SynapInsufficientCreditsError,
    SynapJournalError,
    SynapNetworkError,
    SynapNotFoundError,
    SynapPermanentError,
    SynapProtocolError,
    SynapQuotaExceededError,
    SynapRateLimitError,
    SynapServerError,
    SynapTimeoutError,
    SynapTransientError,
    SynapValidationError,
)
from .models import (  # noqa: E402
    BatchCreateResponse,
    CreateMemoryRequest,
    CreateMemoryResponse,
    DocumentType,
    IngestMode,
    IngestStatus,
    InstanceIdentity,
    MemoryStatusResponse,
)

logging.getLogger("synap_sync").addHandler(logging.NullHandler())

__all__ = [
    "__version__",
    "SynapClient",
    "CreateMemoryRequest",
    "CreateMemoryResponse",
    "BatchCreateResponse",
    "MemoryStatusResponse",
    "InstanceIdentity",
    "DocumentType",
    "IngestMode",
    "IngestStatus",
    "SynapError",
    "SynapTransientError",
    "SynapPermanentError",
    "SynapAuthError",
    "SynapValidationError",
    "SynapInsufficientCreditsError",
    "SynapJournalError",
    "SynapNotFoundError",
    "SynapConflictError",
    "SynapInstanceNotReadyError",
    "SynapQuotaExceededError",
    "SynapRateLimitError",
    "SynapServerError",
    "SynapNetworkError",
    "SynapProtocolError",
    "SynapTimeoutError",
    "AuthenticationError",
    "InvalidInputError",
    "RateLimitError",
    "NotFoundError",
    "ConflictError",
    "InsufficientCreditsError",
    "InstanceNotReadyError",
    "ServerError",
    "NetworkError",
]
