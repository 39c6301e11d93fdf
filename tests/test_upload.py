"""create_from_file: the official SDK's form layout byte for byte, streamed from disk, refused before
sending when it cannot be sent, and never repeated when it may have landed."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any, List, Tuple

import pytest
import requests
import responses

from synap_sync import SynapClient, SynapCustomerIdNotAcceptedError, SynapNetworkError, SynapValidationError

from .conftest import API_KEY, BASE_URL

UPLOAD_URL = f"{BASE_URL}/api/v1/memories/upload"
REPLY = {
    "ingestion_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
    "document_id": "doc_1",
    "status": "queued",
    "queued_at": "2025-01-01T00:00:00Z",
}


def capture(bodies: List[bytes], status: int = 200) -> Any:
    def callback(request: Any) -> Tuple[int, dict, str]:
        body = request.body
        bodies.append(body.read() if hasattr(body, "read") else body)
        import json

        return status, {}, json.dumps(REPLY if status == 200 else {"detail": "busy"})

    return callback


@responses.activate
def test_a_file_goes_as_the_official_multipart_layout(client: SynapClient, tmp_path: Path) -> None:
    report = tmp_path / "q3 report.pdf"
    report.write_bytes(b"%PDF-1.7 \x00\xff binary")
    bodies: List[bytes] = []
    responses.add_callback(responses.POST, UPLOAD_URL, callback=capture(bodies))
    result = client.memories.create_from_file(
        "u1",
        customer_id="c1",
        relationship_type="b2b",
        file_path=str(report),
        document_type="pdf",
        metadata={"k": "v"},
        scope={"customer": "c", "user": "u1"},
    )
    assert result.document_id == "doc_1"
    sent = responses.calls[0].request
    boundary = re.fullmatch(r"multipart/form-data; boundary=([0-9a-f]{32})", sent.headers["Content-Type"]).group(1)
    fields = [
        ("user_id", "u1"),
        ("relationship_type", "b2b"),
        ("mode", "long-range"),
        ("customer_id", "c1"),
        ("scope", '{"customer": "c", "user": "u1"}'),
        ("document_type", "pdf"),
        ("metadata", '{"k": "v"}'),
    ]
    expected = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields
    )
    expected += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="q3 report.pdf"\r\n'
        f"Content-Type: application/pdf\r\n\r\n"
    ).encode()
    expected += b"%PDF-1.7 \x00\xff binary" + f"\r\n--{boundary}--\r\n".encode()
    assert bodies == [expected]
    assert sent.headers["Content-Length"] == str(len(expected))
    assert sent.headers["Authorization"] == f"Bearer {API_KEY}" and "X-Correlation-ID" in sent.headers


@responses.activate
def test_text_goes_urlencoded_with_only_the_fields_given(client: SynapClient) -> None:
    bodies: List[bytes] = []
    responses.add_callback(responses.POST, UPLOAD_URL, callback=capture(bodies))
    client.memories.create_from_file("u 1", text="tea & cake = 100%")
    assert bodies == [b"user_id=u+1&relationship_type=b2c&mode=long-range&text=tea+%26+cake+%3D+100%25"]
    assert responses.calls[0].request.headers["Content-Type"] == "application/x-www-form-urlencoded"


@responses.activate
def test_a_file_object_is_sent_from_where_it_stands_under_its_name_or_upload(client: SynapClient) -> None:
    bodies: List[bytes] = []
    responses.add_callback(responses.POST, UPLOAD_URL, callback=capture(bodies))
    stream = io.BytesIO(b"HEADERbody of the mail")
    stream.read(6)
    client.memories.create_from_file("u1", file=stream)
    assert b'filename="upload"\r\nContent-Type: application/octet-stream\r\n\r\nbody of the mail\r\n' in bodies[0]
    assert b"HEADER" not in bodies[0]


@responses.activate
def test_an_upload_answered_503_is_sent_again_whole(client: SynapClient, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"z" * 300_000)
    bodies: List[bytes] = []
    responses.add_callback(responses.POST, UPLOAD_URL, callback=capture(bodies, status=503))
    responses.add_callback(responses.POST, UPLOAD_URL, callback=capture(bodies))
    client.memories.create_from_file("u1", file_path=str(path))
    assert len(bodies) == 2 and bodies[0] == bodies[1] and b"\r\n\r\n" + b"z" * 300_000 + b"\r\n--" in bodies[0]


@responses.activate
def test_an_upload_that_may_have_landed_is_not_sent_again(client: SynapClient) -> None:
    responses.add(responses.POST, UPLOAD_URL, body=requests.ReadTimeout("slow"))
    with pytest.raises(SynapNetworkError) as caught:
        client.memories.create_from_file("u1", text="hello")
    assert caught.value.outcome_unknown and len(responses.calls) == 1


@pytest.mark.parametrize(
    "field, arguments",
    [
        ("user_id", {"user_id": "", "text": "x"}),
        ("file_path", {"user_id": "u1"}),
        ("text", {"user_id": "u1", "file_path": "a.pdf", "text": "x"}),
        ("scope", {"user_id": "u1", "text": "x", "scope": {"team": 1}}),
        ("relationship_type", {"user_id": "u1", "text": "x", "relationship_type": "b2x"}),
        ("mode", {"user_id": "u1", "text": "x", "mode": "slow"}),
        ("document_type", {"user_id": "u1", "text": "x", "document_type": "memo"}),
        ("file_path", {"user_id": "u1", "file_path": "/no/such/file.pdf"}),
        ("file", {"user_id": "u1", "file": io.StringIO("text mode")}),
        ("file", {"user_id": "u1", "file": io.BytesIO(b"12345"), "max_bytes": 4}),
        ("text", {"user_id": "u1", "text": "12345", "max_bytes": 4}),
        ("max_bytes", {"user_id": "u1", "text": "x", "max_bytes": 0}),
    ],
)
@responses.activate
def test_what_cannot_be_sent_is_refused_by_name_before_sending(client: SynapClient, field: str, arguments: Any) -> None:
    with pytest.raises(SynapValidationError) as caught:
        client.memories.create_from_file(**arguments)
    assert caught.value.field == field and len(responses.calls) == 0


@responses.activate
def test_a_customer_id_on_a_b2c_instance_is_refused_before_the_file_is_opened(client: SynapClient) -> None:
    responses.add(
        responses.GET,
        f"{BASE_URL}/api/v1/auth/whoami",
        json={"client_id": "c", "instance_id": None, "user_context_isolation": "equals_customer"},
    )
    client.initialize()
    with pytest.raises(SynapCustomerIdNotAcceptedError):
        client.memories.create_from_file("u1", customer_id="c1", file_path="/no/such/file.pdf")
