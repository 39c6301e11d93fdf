"""The key stays secret everywhere: a server that echoes it in every field it can, and every place a
run leaves words behind searched for it."""

from __future__ import annotations

import json
import logging
import pickle
import socket
import subprocess
import sys
import traceback
from pathlib import Path
from typing import Any, List

import pytest

from synap_sync import SynapAuthError, SynapClient
from tests.conftest import docs

from .fake_server import FakeServer, reply

KEY = "synap_sweep_SECRET_0123456789abcdef"
ESCAPED = "".join(f"\\u{ord(char):04x}" for char in KEY)


def echoing(status: int) -> Any:
    """Answers every batch with the key in each per-item error, an unknown field, a header, and (escaped)
    inside the message; or, for an error status, in the body's every field."""

    def answer(connection: socket.socket, request: bytes) -> None:
        if status != 200:
            body = json.dumps({"error": f"bad key {KEY}", "detail": {"message": f"key {KEY}", "key": KEY}})
            connection.sendall(reply(status, body.encode(), [f"X-Echo: {KEY}", f"Location: https://x/{KEY}"]))
            return
        documents = json.loads(request)["documents"]
        results = [
            {
                "ingestion_id": None,
                "document_id": document.get("document_id"),
                "status": "failed",
                "error_message": f"refused for {KEY} / {ESCAPED}",
                "echo": KEY,
            }
            for document in documents
        ]
        body = json.dumps({"batch_id": None, "total": len(results), "succeeded": 0, "failed": len(results),
                           "results": results, "key": KEY})  # fmt: skip
        # json.dumps wrote the escapes as text (a doubled backslash); make them real JSON escapes, which
        # a parser turns back into the key.
        body = body.replace(json.dumps(ESCAPED)[1:-1], ESCAPED)
        assert json.loads(body)["results"][0]["error_message"].count(KEY) == 2
        connection.sendall(reply(200, body.encode(), [f"X-Echo: {KEY}"]))

    return answer


def test_a_run_against_a_server_echoing_the_key_leaves_it_nowhere(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    journal = tmp_path / "run.journal"
    with FakeServer(echoing(200), max_requests=100) as server:
        client = SynapClient(api_key=KEY, base_url=server.base_url)
        report = client.memories.ingest(docs(250), journal=str(journal), workers=2)
    assert report.failed == 250  # every document refused, each with an echoing message
    places: List[str] = [
        repr(report),
        report._repr_html_(),
        repr(report.failures),
        "".join(failure.error_message for failure in report.failures),
        journal.read_text(),
        caplog.text,
        repr(client),
    ]
    assert all(KEY not in place for place in places)


@pytest.mark.parametrize("status", [401, 500, 301])
def test_an_error_echoing_the_key_keeps_it_out_of_message_body_pickle_and_traceback(status: int) -> None:
    with FakeServer(echoing(status)) as server:
        client = SynapClient(api_key=KEY, base_url=server.base_url, max_retries=0)
        with pytest.raises(Exception) as caught:
            client.memories.batch_create([{"document": "x", "document_id": "d"}])
    error = caught.value
    if status == 401:
        assert isinstance(error, SynapAuthError)
    texts = [
        str(error),
        repr(error),
        repr(getattr(error, "body", None)),
        repr(error.__dict__),
        "".join(traceback.format_exception(type(error), error, error.__traceback__)),
    ]
    assert all(KEY not in text for text in texts)
    assert KEY.encode() not in pickle.dumps(error)


def test_the_command_line_leaves_the_key_in_no_output_and_no_file(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(document) + "\n" for document in docs(120)))
    with FakeServer(echoing(200), max_requests=100) as server:
        result = subprocess.run(
            [sys.executable, "-m", "synap_sync", "ingest", str(source), "--base-url", server.base_url, "--no-progress"],
            capture_output=True,
            text=True,
            timeout=60,
            env={"SYNAP_API_KEY": KEY, "PATH": "/usr/bin:/bin"},
        )
    assert result.returncode == 1, result.stderr
    written = [path.read_text() for path in tmp_path.iterdir() if path.name != "in.jsonl"]
    assert len(written) == 2  # the journal and the failures file
    assert all(KEY not in text for text in [result.stdout, result.stderr, *written])
