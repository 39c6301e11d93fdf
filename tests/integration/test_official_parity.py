"""The official async SDK (``maximem-synap``) and this client against one capturing loopback server:
every endpoint both have, with non-ASCII text and upper-case ids, must go out byte for byte the same
(method, path and query, body). Runs where the official SDK is installed (Python 3.11+); CI installs
it for this test and fails if it is skipped."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest

official = pytest.importorskip("maximem_synap", reason="the official SDK is not installed (it needs Python 3.11+)")

Sent = Tuple[str, str, bytes]
CONVERSATION = "3F6B1A2C-4D5E-6F7A-8B9C-0D1E2F3A4B5C"  # upper case, as a caller may spell it
MEMORY = "0F8FAD5B-D9CB-469F-A165-70867728950E"
TEXT = "Olá! 中文 😀 naïve"
MEMORY_REPLY = {
    "memory_id": MEMORY.lower(),
    "memory_type": "fact",
    "content": "c",
    "confidence": 1.0,
    "category": "x",
    "created_at": "2026-01-01T00:00:00Z",
    "deleted_at": "2026-01-01T00:00:00Z",
}
REPLIES: Dict[str, Any] = {
    "/api/v1/auth/whoami": {
        "client_id": "cli",
        "instance_id": "inst_0123456789abcdef",
        "user_context_isolation": "per_customer",
    },
    "/api/v1/memories/batch": {
        "batch_id": str(uuid.uuid4()),
        "total": 1,
        "succeeded": 1,
        "failed": 0,
        "results": [
            {
                "ingestion_id": str(uuid.uuid4()),
                "document_id": "d",
                "status": "queued",
                "queued_at": "2026-01-01T00:00:00+00:00",
                "error_message": None,
            }
        ],
    },
    "/api/v1/memories/create": {
        "ingestion_id": str(uuid.uuid4()),
        "document_id": "d",
        "status": "queued",
        "queued_at": "2026-01-01T00:00:00+00:00",
    },
    "/api/v1/memories/upload": {
        "ingestion_id": str(uuid.uuid4()),
        "document_id": "d",
        "status": "queued",
        "queued_at": "2026-01-01T00:00:00+00:00",
    },
    "/v1/conversations/messages": {
        "message_id": "m",
        "conversation_id": "c",
        "session_id": "s",
        "recorded_at": "2026-01-01T00:00:00Z",
    },
    "/v1/conversations/messages/batch": {"total": 1, "succeeded": 1, "failed": 0, "results": [], "errors": []},
    "/v1/conversations/ingest": {
        "conversation_id": str(uuid.uuid4()),
        "ingestion_id": str(uuid.uuid4()),
        "status": "queued",
        "summary_status": "in_progress",
    },
    "/v1/conversations/compact": {"compaction_id": "cmp", "status": "in_progress"},
}
INGESTION = "6C4A1F9E-2B7D-4E0A-9C1F-1A2B3C4D5E6F"
BY_PREFIX = {
    "/api/v1/memories/status/": {
        "ingestion_id": INGESTION.lower(),
        "document_id": "d",
        "status": "completed",
        "queued_at": "2026-01-01T00:00:00+00:00",
        "started_at": None,
        "completed_at": None,
        "memories_created": 1,
        "memory_ids": [],
        "error_message": None,
    },
    "/api/v1/memories/forget": {"status": "nothing_matches", "candidates": [], "deleted_ids": []},
    "/v1/data/delete": {
        "deletion_id": "del_1",
        "status": "dry_run",
        "scope": "user",
        "counts": {},
        "continue": False,
        "fully_removed": False,
    },
}
BY_ENDING = {
    "/compacted": {"formatted_context": "x", "strategy_used": "adaptive"},
    "/status": {"conversation_id": "c", "status": "completed"},
    "/profile": {"profile": {"attributes": {}, "overview": "o"}},
    "/context-for-prompt": {"formatted_context": "x", "available": True, "recent_messages": []},
    "/fetch": {"facts": [], "preferences": [], "episodes": [], "emotions": [], "temporal_events": []},
}


class Capture(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    sent: List[Sent] = []

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Quiet."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        Capture.sent.append((self.command, self.path, self.rfile.read(length) if length else b""))
        path = self.path.split("?")[0]
        reply = REPLIES.get(path)
        if reply is None:
            reply = next((value for prefix, value in BY_PREFIX.items() if path.startswith(prefix)), None)
        if reply is None:
            reply = next((value for ending, value in BY_ENDING.items() if path.endswith(ending)), MEMORY_REPLY)
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_DELETE = _answer  # noqa: N815 - http.server's naming


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Capture)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def calls(client: Any, Request: Any) -> Dict[str, Callable[[], Any]]:  # noqa: N803 - each client's own class
    """The same calls, in each client's spelling (the official ones are coroutines)."""
    conversation, user, memories = client.conversation, client.user, client.memories
    return {
        "batch_create": lambda: memories.batch_create(
            documents=[Request(document=TEXT, user_id="u1", customer_id="c1", metadata={"k": TEXT})]
        ),
        "create": lambda: memories.create(document=TEXT, user_id="u1", customer_id="c1"),
        "record_message": lambda: conversation.record_message(CONVERSATION, "user", TEXT, "u1", customer_id="c1"),
        "record_message with its own model": lambda: conversation.record_message(
            CONVERSATION, "assistant", TEXT, "u1", customer_id="c1", metadata={"agent_model": "x", "k": 1},
            model="claude-x", context_window=9000,
        ),
        "record_messages_batch": lambda: conversation.record_messages_batch(
            [{"conversation_id": CONVERSATION, "role": "user", "content": TEXT, "user_id": "u1", "customer_id": "c1"}]
        ),
        "ingest_transcript": lambda: conversation.ingest_transcript("call-1", "u1", TEXT, customer_id="c1"),
        "compact": lambda: conversation.context.compact(CONVERSATION),
        "get_compaction_status": lambda: conversation.context.get_compaction_status(CONVERSATION),
        "get_profile": lambda: user.get_profile("u1", customer_id="c1"),
        "get_profile, spaces in the query": lambda: user.get_profile("u1", customer_id="c 1&x+y:z"),
        "create_from_file, text": lambda: memories.create_from_file(user_id="u1", customer_id="c1", text=TEXT),
        "get_context_for_prompt": lambda: conversation.context.get_context_for_prompt(CONVERSATION),
        "conversation fetch": lambda: conversation.context.fetch(conversation_id=CONVERSATION, search_query=[TEXT]),
        "user fetch": lambda: user.context.fetch(user_id="u1", customer_id="c1", search_query=[TEXT]),
        "status": lambda: memories.status(INGESTION),
        "forget": lambda: memories.forget(TEXT, user_id="u1", customer_id="c1"),
        "customer fetch": lambda: client.customer.context.fetch(customer_id="c1", search_query=[TEXT]),
        "client fetch": lambda: client.client.context.fetch(search_query=[TEXT]),
        "data.delete": lambda: client.data.delete("user", user_id="u1", customer_id="c1", dry_run=True),
        "data.status": lambda: client.data.status("del_1"),
        "get": lambda: memories.get(MEMORY),
        "update": lambda: memories.update(MEMORY, document=TEXT),
        "delete": lambda: memories.delete(MEMORY),
        # with a version: without one the official SDK may answer from its local cache and send nothing
        "get_compacted": lambda: conversation.context.get_compacted(CONVERSATION, version=2, format="narrative"),
    }


def official_sends(base_url: str) -> Dict[str, List[Sent]]:
    from maximem_synap import MaximemSynapSDK
    from maximem_synap.memories.models import CreateMemoryRequest
    from maximem_synap.models.config import SDKConfig

    async def run() -> Dict[str, List[Sent]]:
        config = SDKConfig(api_base_url=base_url, agent_model="gpt-4o", agent_context_window=128000)
        sdk = MaximemSynapSDK(api_key="synap_parity_key_0123", config=config, _force_new=True)
        await sdk.initialize()
        sent = {}
        for name, call in calls(sdk, CreateMemoryRequest).items():
            before = len(Capture.sent)
            await call()
            sent[name] = Capture.sent[before:]
        await sdk.shutdown()
        return sent

    return asyncio.run(run())


def our_sends(base_url: str) -> Dict[str, List[Sent]]:
    from synap_sync import CreateMemoryRequest, SDKConfig, SynapClient

    sent = {}
    config = SDKConfig(agent_model="gpt-4o", agent_context_window=128000)  # ported as it was
    with SynapClient(api_key="synap_parity_key_0123", base_url=base_url, config=config) as client:
        client.initialize()
        for name, call in calls(client, CreateMemoryRequest).items():
            before = len(Capture.sent)
            call()
            sent[name] = Capture.sent[before:]
    return sent


def test_every_endpoint_both_clients_have_goes_out_byte_for_byte_the_same(base_url: str) -> None:
    theirs, ours = official_sends(base_url), our_sends(base_url)
    different = {name: (theirs[name], ours[name]) for name in theirs if theirs[name] != ours[name]}
    assert different == {}
    assert len(theirs) == 24 and all(theirs.values())  # each call sent something


# --- what tests/test_porting.py says of the official SDK, checked against the SDK itself ---------------


def test_the_official_names_exceptions_and_enums_written_down_are_the_sdks_own() -> None:
    import enum
    import inspect

    from tests.test_porting import OFFICIAL_ENUMS, OFFICIAL_NAMES, OFFICIAL_PARENTS

    assert official.__all__ == OFFICIAL_NAMES
    classes = {name: getattr(official, name) for name in OFFICIAL_PARENTS}
    assert {
        name: sorted(other for other in classes if other != name and issubclass(cls, classes[other]))
        for name, cls in classes.items()
    } == OFFICIAL_PARENTS
    grpc = {"SessionExpiredError", "ListeningAlreadyActiveError", "ListeningNotActiveError"}
    errors = {name for name in official.__all__ if inspect.isclass(getattr(official, name))
              and issubclass(getattr(official, name), BaseException)}  # fmt: skip
    assert errors - grpc == set(OFFICIAL_PARENTS)
    exported = {name: getattr(official, name) for name in official.__all__}
    enums = {name: kind for name, kind in exported.items() if inspect.isclass(kind) and issubclass(kind, enum.Enum)}
    assert {name: {member.name: str(member) for member in kind} for name, kind in enums.items()} == OFFICIAL_ENUMS


@pytest.mark.parametrize("name", ["batch", "chat", "errors"])
def test_each_program_and_its_mechanical_port_see_the_same(name: str, tmp_path: Any) -> None:
    import warnings

    from synap_sync.emulator import Emulator

    from .ported_programs import PROGRAMS, Seen, main_of, port

    theirs, ours = Seen(str(tmp_path)), Seen(str(tmp_path))
    with Emulator(api_keys=["synap_port_key"], completion_seconds=0.2) as emulator:
        asyncio.run(main_of(PROGRAMS[name])(emulator.base_url, theirs))
        emulator.reset()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            main_of(port(PROGRAMS[name]))(emulator.base_url, ours)
    assert list(ours) == list(theirs) and len(theirs) >= 3
