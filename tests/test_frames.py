"""Tables as documents, on real pandas: a DataFrame's rows, ``df.to_dict("records")`` and row dicts with
a column mapping become the same documents, byte for byte; a frame that cannot work is refused naming
the column before anything is sent; importing synap_sync imports neither pandas nor numpy."""

from __future__ import annotations

import subprocess
import sys
import warnings
from typing import Any, List

import numpy
import pandas
import pytest

from synap_sync import CreateMemoryRequest, SynapValidationError
from synap_sync._frames import frame_rows, mapped_rows
from synap_sync.models import encoded_document, plain_cell


def awkward_frame() -> pandas.DataFrame:
    """What every real frame holds: NaN in optional text, NaT in dates, int64 and NA, nanoseconds."""
    return pandas.DataFrame(
        {
            "document": ["User: a", "User: b", "User: c"],
            "document_id": ["t-1", "t-2", "t-3"],
            "user_id": ["u1", numpy.nan, "u3"],
            "customer_id": pandas.array(["c1", pandas.NA, "c3"], dtype="string"),
            "document_created_at": pandas.to_datetime(
                ["2025-01-02T03:04:05.000000007Z", None, "2025-03-04T05:06:07.000000000Z"], utc=True
            ),
            "metadata": [{"n": numpy.int64(1), "at": pandas.Timestamp("2025-01-01")}, numpy.nan, '{"n": 3}'],
        }
    )


def encoded(rows: Any) -> List[bytes]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no pandas warning (nanoseconds dropped) may escape
        return [encoded_document(row)[0] for row in rows]


def test_a_frame_and_its_records_send_the_same_bytes_with_missing_values_left_out() -> None:
    frame = awkward_frame()
    from_frame, from_records = encoded(frame_rows(frame)), encoded(frame.to_dict("records"))
    assert from_frame == from_records
    assert from_frame[0] == (
        b'{"document":"User: a","document_type":"ai-chat-conversation","document_id":"t-1",'
        b'"document_created_at":"2025-01-02T03:04:05Z","user_id":"u1","customer_id":"c1","scope":null,'
        b'"mode":"long-range","metadata":{"n":1,"at":"2025-01-01T00:00:00"}}'
    )
    assert b'"user_id":null,"customer_id":null' in from_frame[1] and b'"document_created_at":null' in from_frame[1]
    assert from_frame[2].endswith(b'"metadata":{"n":3}}')  # JSON text of an object, as Dask leaves it


def test_a_frame_reads_its_rows_one_at_a_time_and_knows_its_length() -> None:
    frame = pandas.DataFrame({"document": [f"User: {n}" for n in range(1000)]})
    rows = frame_rows(frame)
    iterator = iter(rows)
    assert len(rows) == 1000 and next(iterator) == {"document": "User: 0"}  # nothing read ahead


def test_columns_map_to_fields_and_metadata_columns_go_into_metadata() -> None:
    frame = pandas.DataFrame(
        {
            "body": ["Ticket: printer on fire", "Ticket: no coffee"],
            "ticket": [101, 102],
            "opened": pandas.to_datetime(["2024-05-01", None]),
            "priority": [numpy.int64(1), numpy.int64(3)],
            "tags": [numpy.array(["hw", "urgent"]), numpy.nan],
        }
    )
    mapping = {"body": "document", "opened": "document_created_at"}
    rows = list(frame_rows(frame.assign(ticket=frame.ticket.astype(str)), {**mapping, "ticket": "document_id"},
                           metadata_columns=["priority", "tags"]))  # fmt: skip
    assert rows == [
        {"document": "Ticket: printer on fire", "document_id": "101",
         "document_created_at": rows[0]["document_created_at"], "metadata": {"priority": 1, "tags": ["hw", "urgent"]}},
        {"document": "Ticket: no coffee", "document_id": "102", "metadata": {"priority": 3}},
    ]  # fmt: skip
    records = list(mapped_rows(frame.to_dict("records"), mapping, ["priority", "tags", "ticket"]))
    assert records[1] == {"document": "Ticket: no coffee", "metadata": {"priority": 3, "ticket": 102}}
    assert encoded(rows)[1].endswith(b'"metadata":{"priority":3}}')


@pytest.mark.parametrize(
    "frame, options, field, words",
    [
        (pandas.DataFrame({"document": ["x"], "body": ["y"]}), {}, "column 'body'", "columns={'body': 'document'}"),
        (pandas.DataFrame({"text": ["x"]}), {}, "column 'text'", "is not a CreateMemoryRequest field"),
        (pandas.DataFrame({"user_id": ["u"]}), {}, "column 'document'", "is required"),
        (pandas.DataFrame({"document": ["x"]}), {"columns": {"body": "document"}}, "columns", "'body', which is not"),
        (pandas.DataFrame({"body": ["x"]}), {"columns": {"body": "text"}}, "columns['body']", "must be a"),
        (pandas.DataFrame({"document": ["x"]}), {"metadata_columns": ["extra"]}, "metadata_columns", "'extra'"),
        (pandas.DataFrame({"a": ["x"], "b": ["y"]}), {"columns": {"a": "document", "b": "document"}}, "column 'b'",
         "as another column does"),
        (pandas.DataFrame({"document": ["x", "y"], "metadata": [None, "{'source': 'crm'}"]}), {}, "column 'metadata'",
         "not a JSON object"),
    ],
)  # fmt: skip
def test_a_frame_that_would_fail_every_row_is_refused_naming_the_column(
    frame: pandas.DataFrame, options: Any, field: str, words: str
) -> None:
    with pytest.raises(SynapValidationError) as refused:
        frame_rows(frame, **options)
    assert refused.value.field == field and words in str(refused.value)


def test_a_valid_dict_is_sent_as_it_is_and_only_a_refused_one_is_made_plain() -> None:
    valid = {"document": "User: hi", "customer_id": "c", "metadata": {"score": 0.5}}
    assert encoded_document(valid) == encoded_document(CreateMemoryRequest(**valid))
    with pytest.raises(SynapValidationError) as refused:
        encoded_document({"document": "User: hi", "customer_id": 3.5})  # not a missing value: still refused
    assert refused.value.field == "customer_id"
    with pytest.raises(SynapValidationError) as nat:
        CreateMemoryRequest(document="x", document_created_at=pandas.NaT)  # a request says what it got
    assert nat.value.field == "document_created_at" and "NaT" in str(nat.value)


@pytest.mark.parametrize(
    "cell, plain",
    [
        (numpy.int64(7), 7), (numpy.float32(0.5), 0.5), (numpy.bool_(True), True), (numpy.str_("s"), "s"),
        (numpy.nan, None), (pandas.NA, None), (pandas.NaT, None), (numpy.datetime64("NaT"), None),
        (float("nan"), None), (numpy.array([1, 2]), [1, 2]), ("text", "text"),
    ],
)  # fmt: skip
def test_a_cell_becomes_the_plain_value_it_holds(cell: Any, plain: Any) -> None:
    value = plain_cell(cell)
    assert value == plain and type(value) is type(plain)


def test_a_numpy_datetime_cell_is_a_datetime() -> None:
    value = plain_cell(numpy.datetime64("2025-01-02T03:04:05.123456789"))
    assert value.isoformat() == "2025-01-02T03:04:05.123456"


def test_importing_synap_sync_imports_neither_pandas_nor_numpy() -> None:
    script = (
        "import sys, synap_sync, synap_sync.memories, synap_sync._frames\n"
        "print(sorted(name for name in ('pandas', 'numpy') if name in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
