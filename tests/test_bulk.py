"""Bulk engine pieces that need no network: chunking, the report, argument checks."""

from __future__ import annotations

import json
from typing import Any, Dict, List

import pytest

from synap_sync import SynapClient, SynapValidationError, derive_document_id
from synap_sync.bulk import IngestFailure, IngestOutcome, IngestReport, TimelineSecond
from synap_sync.bulk._chart import MAX_COLUMNS, timeline_svg
from synap_sync.bulk._chunks import Chunk, chunk_documents
from synap_sync.models import wire_document
from tests.conftest import docs

from .conftest import API_KEY


def chunks_of(pieces: List[Any]) -> List[Chunk]:
    return [piece for piece in pieces if isinstance(piece, Chunk)]


def test_chunks_hold_at_most_chunk_size_documents_in_order() -> None:
    chunks = chunks_of(list(chunk_documents(docs(250), 100, None)))
    assert [len(chunk.indices) for chunk in chunks] == [100, 100, 50]
    assert [index for chunk in chunks for index in chunk.indices] == list(range(250))
    assert [chunk.number for chunk in chunks] == [0, 1, 2]


def test_chunk_bodies_stay_under_max_chunk_bytes() -> None:
    limit = 2_000
    chunks = chunks_of(list(chunk_documents(docs(100, text="x" * 150), 100, limit)))
    assert len(chunks) > 1
    for chunk in chunks:
        body = chunk.body(fail_fast=False)
        assert len(body) <= limit
        assert len(json.loads(body)["documents"]) == len(chunk.indices)


def test_a_document_over_the_byte_ceiling_is_failed_not_sent() -> None:
    items = docs(1) + [{"document": "y" * 5_000, "document_id": "big"}] + docs(1)
    pieces = list(chunk_documents(items, 100, 1_000))
    failed = [piece for piece in pieces if isinstance(piece, IngestOutcome)]
    assert [(outcome.index, outcome.document_id, outcome.ok) for outcome in failed] == [(1, "big", False)]
    assert "max_chunk_bytes=1000" in (failed[0].error_message or "")
    assert [chunk.indices for chunk in chunks_of(pieces)] == [[0, 2]]


def test_invalid_items_come_out_in_place_with_index_and_field() -> None:
    items = docs(2) + [{"document": "z", "mode": "slow"}] + docs(2)
    pieces = list(chunk_documents(items, 100, None))
    refused = pieces[0]
    assert isinstance(refused, IngestOutcome) and refused.index == 2 and not refused.ok
    assert refused.error_message is not None and refused.error_message.startswith("documents[2].mode:")
    assert chunks_of(pieces)[0].indices == [0, 1, 3, 4]


def test_chunk_body_is_the_batch_contract() -> None:
    chunk = chunks_of(list(chunk_documents(docs(2), 100, None)))[0]
    body = json.loads(chunk.body(fail_fast=True))
    assert body["fail_fast"] is True and [document["document_id"] for document in body["documents"]] == ["d0", "d1"]
    assert list(body["documents"][0]) == [
        "document", "document_type", "document_id", "document_created_at",
        "user_id", "customer_id", "scope", "mode", "metadata",
    ]  # fmt: skip


def test_fingerprint_follows_the_content() -> None:
    first = chunks_of(list(chunk_documents(docs(3), 100, None)))[0]
    same = chunks_of(list(chunk_documents(docs(3), 100, None)))[0]
    changed = chunks_of(list(chunk_documents(docs(2) + [{"document": "other", "document_id": "d2"}], 100, None)))[0]
    assert first.fingerprint() == same.fingerprint() != changed.fingerprint()


def test_report_repr_is_one_line_with_the_counts() -> None:
    report = IngestReport(total=10, succeeded=9, failed=1, requests=2, retries=1, throttled=3, elapsed_seconds=2.0)
    text = repr(report)
    assert "\n" not in text
    for part in ("total=10", "succeeded=9", "failed=1", "retries=1", "throttled=3", "5 docs/s"):
        assert part in text


def test_report_html_lists_failures_escaped() -> None:
    report = IngestReport(total=1, failed=1, failures=[IngestFailure(0, "<d>", "mode: <bad>")])
    html = report._repr_html_()
    assert "<table>" in html and "&lt;bad&gt;" in html and "<bad>" not in html


@pytest.mark.parametrize(
    "arguments, field",
    [
        ({"chunk_size": 0}, "chunk_size"),
        ({"chunk_size": 101}, "chunk_size"),
        ({"workers": 0}, "workers"),
        ({"workers": 11}, "workers"),
        ({"max_chunk_bytes": 10}, "max_chunk_bytes"),
        ({"max_requests_per_second": 0}, "max_requests_per_second"),
    ],
)
def test_bad_arguments_are_refused_before_anything_runs(arguments: Dict[str, Any], field: str) -> None:
    client = SynapClient(api_key=API_KEY, base_url="https://synap.test")
    with pytest.raises(SynapValidationError) as caught:
        client.memories.ingest(docs(1), **arguments)
    assert caught.value.field == field


def test_derived_ids_follow_the_content_and_who_and_when_it_belongs_to() -> None:
    base = {"document": "User: hi", "user_id": "u1", "customer_id": "c1", "document_created_at": "2025-01-02T03:04:05Z"}
    first = derive_document_id(wire_document(base))
    assert first == derive_document_id(wire_document(dict(base)))
    assert first.startswith("sha256-") and len(first) == len("sha256-") + 32
    for field, other in [
        ("document", "User: hello"),
        ("user_id", "u2"),
        ("customer_id", "c2"),
        ("document_type", "email"),
        ("document_created_at", "2025-01-02T03:04:06Z"),
        ("scope", {"team": "a"}),
    ]:
        assert derive_document_id(wire_document(dict(base, **{field: other}))) != first, field
    for field, other in [("mode", "fast"), ("metadata", {"source": "export"})]:
        assert derive_document_id(wire_document(dict(base, **{field: other}))) == first, field


def test_derive_ids_fills_only_missing_ids() -> None:
    items = [{"document": "a"}, {"document": "b", "document_id": "mine"}]
    chunk = chunks_of(list(chunk_documents(items, 100, None, derive_ids=True)))[0]
    assert chunk.document_ids[1] == "mine" and (chunk.document_ids[0] or "").startswith("sha256-")
    assert json.loads(chunk.body(False))["documents"][0]["document_id"] == chunk.document_ids[0]
    plain = chunks_of(list(chunk_documents(items, 100, None)))[0]
    assert plain.document_ids == [None, "mine"]


def test_report_counts_already_stored_and_groups_failures_by_kind() -> None:
    report = IngestReport()
    report.record(IngestOutcome(0, True, "a"))
    report.record(IngestOutcome(1, True, "b", already_stored=True))
    report.record(IngestOutcome(2, True, "c", deduplicated=True))
    report.record(IngestOutcome(3, False, "d", error_message="customer_id: required", kind="rejected"))
    report.record(IngestOutcome(4, False, "e", error_message="bad", kind="invalid"))
    assert (report.succeeded, report.new, report.already_stored, report.deduplicated, report.failed) == (3, 1, 1, 1, 2)
    assert [failure.kind for failure in report.failures] == ["rejected", "invalid"]
    assert "already_stored=1" in repr(report)
    summary = "total 5, succeeded 3, not sent 0, failed 2; new 1, already stored 1, deduplicated 1, resumed 0"
    assert report.summary() == summary
    html = report._repr_html_()
    succeeded_part, failed_part = html.split(">failed<", 1)
    assert "already stored" in succeeded_part and "deduplicated on retry" in succeeded_part
    assert "rejected" in failed_part and "invalid" in failed_part


def test_the_timeline_puts_each_seconds_counts_in_its_own_bucket() -> None:
    report = IngestReport()
    for index in range(3):
        report.record(IngestOutcome(index, True))
    report.requests, report.throttled = 2, 1
    report.note_time(0.4, None)
    report.record(IngestOutcome(3, False, error_message="x", kind="rejected"))
    report.requests = 3
    report.note_time(2.7, 19.5)
    assert [(s.second, s.succeeded, s.failed, s.requests, s.throttled, s.pace) for s in report.timeline] == [
        (0, 3, 0, 2, 1, None),
        (1, 0, 0, 0, 0, None),
        (2, 0, 1, 1, 0, 19.5),
    ]


def test_the_report_draws_its_timeline_as_inline_svg() -> None:
    report = IngestReport(total=10, succeeded=10)
    report.timeline = [TimelineSecond(n, succeeded=100, requests=5, throttled=n % 2, pace=20.0) for n in range(5)]
    html = report._repr_html_()
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert svg.count('fill="#2e7d32"') == 5 and svg.count('fill="#c62828"') == 2 and "<polyline" in svg
    page = report.to_html()
    assert page.startswith("<!doctype html>") and html in page


def test_a_long_run_is_drawn_in_a_bounded_number_of_columns() -> None:
    long_run = [TimelineSecond(n, succeeded=1) for n in range(36_000)]  # ten hours
    svg = timeline_svg(long_run)
    assert 0 < svg.count("<rect") <= MAX_COLUMNS and "36000 s" in svg


def test_derive_document_id_takes_what_users_have_a_dict_or_a_request_and_names_a_bad_field() -> None:
    from synap_sync import CreateMemoryRequest, SynapValidationError

    as_dict = derive_document_id({"document": "User: hi", "user_id": "u1"})
    assert as_dict == derive_document_id(CreateMemoryRequest(document="User: hi", user_id="u1"))
    assert as_dict.startswith("sha256-") and len(as_dict) == len("sha256-") + 32
    with pytest.raises(SynapValidationError) as caught:
        derive_document_id({"document": ""})
    assert caught.value.field == "document"
