"""``synap-sync transcript PATH``: a finished conversation from a file, recorded once (the same file sent
again under the same conversation id is answered ``duplicate``)."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from ..errors import SynapValidationError
from ._common import EXIT_OK, EXIT_SERVICE, EXIT_USAGE, SERVICE_EXIT_CODES, add_connection_arguments, complain, connect
from ._lines import MAX_LINE_BYTES, decoded, parsed_json

NAME = "transcript"
SUMMARY = "record a finished conversation from a file"
DESCRIPTION = (
    "PATH is plain text (the service splits it into turns) or, ending in .json, a JSON list of turns "
    '({"role": "user" or "assistant", "content": ..., "timestamp", "speaker"}), UTF-8 with or without a byte '
    "order mark. Sending the same file again under the same conversation id is answered 'duplicate' and stores "
    "nothing twice. On a B2B instance give the user's --customer-id too."
)
EXIT_CODES = {
    **SERVICE_EXIT_CODES,
    EXIT_OK: "the transcript was queued (or had been, unchanged: status duplicate)",
    EXIT_USAGE: "usage error, an unreadable file, or a bad turn",
    EXIT_SERVICE: "another transcript was sent under this conversation id, or any other service error",
}


def add_arguments(transcript: argparse.ArgumentParser) -> None:
    transcript.add_argument("path", metavar="PATH", help="the transcript: text, or a .json list of turns")
    transcript.add_argument("--conversation-id", required=True, help="your id for it (a call id, any string)")
    transcript.add_argument("--user-id", required=True, help="whose conversation it is")
    transcript.add_argument("--customer-id", help="the user's customer (required on a B2B instance)")
    transcript.add_argument("--type", dest="conversation_type", help="free-form, e.g. voice or chat")
    transcript.add_argument("--started-at", help="when it started, ISO-8601")
    transcript.add_argument("--ended-at", help="when it ended, ISO-8601")
    add_connection_arguments(transcript)


def read_transcript(path: str) -> Any:
    """The file's turns (``.json``) or text; anything unreadable is a `SynapValidationError` saying why."""
    try:
        if os.path.getsize(path) > MAX_LINE_BYTES:
            raise SynapValidationError(f"larger than {MAX_LINE_BYTES} bytes: no request could carry it")
        with open(path, "rb") as source:
            text = decoded(source.read(MAX_LINE_BYTES + 1))
    except OSError as error:
        raise SynapValidationError(error.strerror or str(error)) from None
    return parsed_json(text) if path.endswith(".json") else text


def run(args: argparse.Namespace) -> int:
    try:
        turns = read_transcript(args.path)
    except SynapValidationError as error:
        complain(f"cannot read {args.path}: {error.message}")
        return EXIT_USAGE
    with connect(args) as client:
        reply = client.conversation.ingest_transcript(
            args.conversation_id,
            args.user_id,
            turns,
            customer_id=args.customer_id,
            conversation_type=args.conversation_type,
            started_at=args.started_at,
            ended_at=args.ended_at,
        )
    recorded = {
        "status": reply.status,
        "ingestion_id": str(reply.ingestion_id),
        "conversation_id": reply.conversation_id,
        "turns_recorded": reply.turns_recorded,
        "warnings": reply.warnings,
    }
    print(json.dumps(recorded))
    return EXIT_OK
