"""Bulk ingestion: stream any iterable into Synap in chunks, from parallel workers, at the pace the
service allows, accounting for every document.

The engine is a layer over a "post one batch" callable (`Poster`), a retry policy and a clock: it
never imports the namespace that builds it (``client.memories``).
"""

from ._engine import BulkIngestion
from ._options import IngestOptions, ProgressOption
from ._progress import Progress
from ._report import (
    FAILURE_KINDS,
    HTML_PAGE_START,
    NOT_SENT_KINDS,
    IngestFailure,
    IngestOutcome,
    IngestReport,
    TimelineSecond,
)
from ._sender import Poster

__all__ = [
    "BulkIngestion",
    "IngestOptions",
    "IngestOutcome",
    "IngestFailure",
    "IngestReport",
    "TimelineSecond",
    "FAILURE_KINDS",
    "NOT_SENT_KINDS",
    "HTML_PAGE_START",
    "Progress",
    "Poster",
    "ProgressOption",
]
