"""DataFrames straight in, and traces that follow the work, against the emulator on loopback: a frame,
its records and a batch of it store the same documents; a frame that cannot work sends nothing; every
HTTP span of an ingest run inside a span belongs to that span's trace."""

from __future__ import annotations

from typing import Any, Dict, List

import numpy
import pandas
import pytest

from synap_sync import SynapClient, SynapValidationError
from synap_sync.emulator import Emulator


def history(rows: int = 250) -> pandas.DataFrame:
    """An export as a data person gets it: NaN, NaT, int64 and a bad row among the good."""
    frame = pandas.DataFrame(
        {
            "body": [f"User: note {n}" for n in range(rows)],
            "ticket": [f"t-{n}" for n in range(rows)],
            "customer_id": ["acme" if n % 3 else numpy.nan for n in range(rows)],
            "opened": pandas.to_datetime(["2025-01-02T03:04:05Z" if n % 4 else None for n in range(rows)], utc=True),
            "priority": numpy.arange(rows, dtype="int64"),
        }
    )
    frame.loc[7, "body"] = ""  # one row the checks refuse: it fails alone, with its position
    return frame


COLUMNS = {"body": "document", "ticket": "document_id", "opened": "document_created_at"}


def stored(emulator: Emulator) -> Dict[str, Dict[str, Any]]:
    return {document["document_id"]: document for document in emulator.stored_documents()}


def test_a_frame_and_its_records_store_the_same_documents_once() -> None:
    frame = history()
    kept: List[Dict[str, Dict[str, Any]]] = []
    reports = []
    for documents in (frame, frame.to_dict("records")):
        with Emulator() as emulator, SynapClient(api_key="synap_k", base_url=emulator.base_url) as client:
            reports.append(client.memories.ingest(documents, columns=COLUMNS, metadata_columns=["priority"]))
            kept.append(stored(emulator))
    assert kept[0] == kept[1] and len(kept[0]) == 249
    assert kept[0]["t-8"] == {
        "document": "User: note 8", "document_type": "ai-chat-conversation", "document_id": "t-8",
        "document_created_at": None, "user_id": None, "customer_id": "acme", "scope": None, "mode": "long-range",
        "metadata": {"priority": 8},
    }  # fmt: skip
    for report in reports:
        assert (report.total, report.succeeded, report.failed) == (250, 249, 1)
        assert (report.failures[0].index, report.failures[0].document_id) == (7, "t-7")
        assert report.failure_records()[0]["error_message"] == "documents[7].document: must not be empty"


def test_a_small_frame_is_one_batch() -> None:
    frame = history(20)
    with Emulator() as emulator, SynapClient(api_key="synap_k", base_url=emulator.base_url) as client:
        batch = client.memories.batch_create(frame, columns=COLUMNS, metadata_columns=["priority"])
        requests = emulator.request_count
    assert (batch.total, batch.succeeded, batch.failed, requests) == (20, 19, 1, 1)


@pytest.mark.parametrize(
    "frame, options, field",
    [
        (history(), {}, "column 'body'"),  # no mapping: body is no field
        (history(), {"columns": {"text": "document"}}, "columns"),
        (history().rename(columns={"body": "document"}), {}, "column 'ticket'"),
        (pandas.Series(["User: a", "User: b"]), {}, "documents"),
    ],
)
def test_a_frame_that_cannot_work_is_refused_before_anything_is_sent(frame: Any, options: Any, field: str) -> None:
    with Emulator() as emulator, SynapClient(api_key="synap_k", base_url=emulator.base_url) as client:
        with pytest.raises(SynapValidationError) as refused:
            client.memories.ingest(frame, **options)
        with pytest.raises(SynapValidationError):
            client.memories.batch_create(frame.head(3), **options)
        assert emulator.request_count == 0
    assert refused.value.field == field


def test_every_request_of_an_ingest_inside_a_span_belongs_to_that_spans_trace(tracing: Any) -> None:
    from opentelemetry.trace import SpanKind

    provider, exporter = tracing
    documents = [{"document": f"User: {n}", "document_id": f"d-{n}"} for n in range(1000)]
    with Emulator() as emulator, SynapClient(api_key="synap_k", base_url=emulator.base_url) as client:
        with provider.get_tracer("backfill").start_as_current_span("nightly job") as job:
            report = client.memories.ingest(documents, workers=4, chunk_size=50)
        requests = emulator.request_count
    http = [span for span in exporter.get_finished_spans() if span.kind == SpanKind.CLIENT]
    trace_id = job.get_span_context().trace_id
    assert report.succeeded == 1000 and len(http) == requests == 20
    assert [span for span in http if span.context.trace_id != trace_id] == []
    assert {span.parent.span_id for span in http} == {job.get_span_context().span_id}
