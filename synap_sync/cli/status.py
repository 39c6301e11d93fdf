"""``synap-sync status INGESTION_ID``: where one ingestion stands, or (``--wait``) its end."""

from __future__ import annotations

import argparse
import json
from typing import Any, Dict

from ._common import EXIT_OK, EXIT_SERVICE, SERVICE_EXIT_CODES, add_connection_arguments, connect

NAME = "status"
SUMMARY = "show where an ingestion stands"
DESCRIPTION = None
EXIT_CODES = {
    **SERVICE_EXIT_CODES,
    EXIT_OK: "the status was printed (with --wait: it is terminal)",
    EXIT_SERVICE: "no such ingestion, --wait ran out of time, or any other service error",
}


def add_arguments(status: argparse.ArgumentParser) -> None:
    status.add_argument("ingestion_id", metavar="INGESTION_ID")
    status.add_argument("--wait", action="store_true", help="poll until it is completed, failed or partial")
    status.add_argument("--timeout", type=float, default=300.0, help="seconds to wait with --wait (default: 300)")
    status.add_argument(
        "--poll-interval", type=float, default=2.0, metavar="S", help="seconds between polls with --wait (default: 2)"
    )
    add_connection_arguments(status)


def run(args: argparse.Namespace) -> int:
    with connect(args) as client:
        if args.wait:
            current = client.memories.wait_for_completion(
                args.ingestion_id, timeout_seconds=args.timeout, poll_interval_seconds=args.poll_interval
            )
        else:
            current = client.memories.status(args.ingestion_id)
    fields: Dict[str, Any] = {
        "ingestion_id": str(current.ingestion_id),
        "document_id": current.document_id,
        "status": str(current.status),
        "memories_created": current.memories_created,
        "error_message": current.error_message,
    }
    print(json.dumps(fields))
    return EXIT_OK
