"""Reply bodies the service sends, built from the contract, for `responses` stubs."""

import json
import uuid
from typing import Any, Dict, List, Tuple

import requests

from synap_sync._constants import BATCH_PATH

from .conftest import BASE_URL

BATCH_URL = BASE_URL + BATCH_PATH


def result(document_id: Any = None, status: str = "queued", error_message: Any = None) -> Dict[str, Any]:
    return {
        "ingestion_id": None if error_message else str(uuid.uuid4()),
        "document_id": document_id,
        "status": status,
        "queued_at": "2026-01-01T00:00:00+00:00",
        "error_message": error_message,
    }


def batch_reply(documents: List[Dict[str, Any]]) -> Dict[str, Any]:
    """What the service answers when it accepts every document it was sent."""
    return {
        "batch_id": str(uuid.uuid4()),
        "total": len(documents),
        "succeeded": len(documents),
        "failed": 0,
        "results": [result(document.get("document_id") or f"gen-{index}") for index, document in enumerate(documents)],
    }


def echo_batch(request: requests.PreparedRequest) -> Tuple[int, Dict[str, str], str]:
    """A `responses` callback that accepts whatever batch it is sent."""
    body = json.loads(request.body or b"{}")
    return 200, {}, json.dumps(batch_reply(body["documents"]))
