"""The service's rules without sockets: what the emulator answers to one request, and what it holds.

It checks the raw JSON on its own terms, without the client's models (it is the server's view: sharing
the client's checks would hide the client's bugs).
"""

from __future__ import annotations

import collections
import json
import math
import re
import threading
import time
import urllib.parse
import uuid
from datetime import datetime
from typing import Any, Callable, Collection, Counter, Dict, List, NamedTuple, Optional, Tuple

from ._answers import Reply, iso_z, refusal
from ._conversations import Conversations
from ._limits import Faults, TokenBucket
from ._memories import Memories, memory_count, memory_ids_of
from ._upload import parse_form

__all__ = ["Service", "Drop"]

MAX_BATCH = 100
#: The writes a building instance refuses (the service's gated paths).
BUILD_GATED_PATHS = frozenset(
    {
        "/api/v1/memories/batch",
        "/api/v1/memories/create",
        "/v1/conversations/messages",
        "/v1/conversations/messages/batch",
        "/v1/conversations/ingest",
        "/v1/context/user/fetch",
        "/v1/context/customer/fetch",
        "/v1/context/client/fetch",
        "/v1/context/conversation/fetch",
    }
)
ACCEPTED_TYPES = (
    "ai-chat-conversation",
    "document",
    "email",
    "pdf",
    "image",
    "audio",
    "meeting-transcript",
)
ACCEPTED_MODES = ("fast", "long-range")

#: Paths under this prefix are the emulator's own, read-only (``GET /_emulator/held``); Synap has none.
INSPECTION_PREFIX = "/_emulator/"
#: Requests with a missing or refused key are counted under this one name, whatever their path.
REFUSED_KEY = "(refused key)"
#: The request counts keep at most this many names; requests under any further one share this name.
MAX_COUNTED_KEYS = 256
OTHER_REQUESTS = "(other requests)"
#: An id in a path (a UUID, or an ingestion or deletion id), collapsed in the request counts.
_ID_SEGMENT = re.compile(r"/(?:[0-9a-f]{8}-[0-9a-f-]{27}|del_[0-9a-f]+)(?=/|$)")


class Request(NamedTuple):
    """One request as a route's answer sees it."""

    method: str
    #: The pattern's groups: the ids in the path.
    params: Tuple[str, ...]
    query: Dict[str, str]
    body: bytes
    content_type: str
    #: The JSON body parsed, for a route that takes one (None when the body was empty).
    payload: Any


class Route(NamedTuple):
    method: str
    pattern: "re.Pattern[str]"
    answer: Callable[[Request], Reply]
    #: The body is JSON, parsed before ``answer`` sees it.
    json: bool
    locked: bool


class Drop(Exception):
    """Raised inside a handler to close the connection without answering."""


def _field_problem(item: Any, isolation: str) -> Optional[str]:
    """The server's own reading of one document object: the first problem, named by field, or None."""
    if not isinstance(item, dict):
        return "document: each entry of documents must be a JSON object"
    content = item.get("document")
    if content is None:
        return "document: field required"
    if isinstance(content, str):
        if not content.strip():
            return "document: must not be empty"
    elif isinstance(content, dict):
        if not content:
            return "document: must not be an empty object"
    else:
        return "document: must be a string or an object"
    for name, accepted, default in (
        ("document_type", ACCEPTED_TYPES, "ai-chat-conversation"),
        ("mode", ACCEPTED_MODES, "long-range"),
    ):
        if item.get(name, default) not in accepted:
            return f"{name}: unsupported value {item.get(name)!r}; expected one of {', '.join(accepted)}"
    for name in ("document_id", "user_id", "customer_id"):
        value = item.get(name)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            return f"{name}: must be a non-empty string or null"
    created = item.get("document_created_at")
    if created is not None and not _is_timestamp(created):
        return f"document_created_at: not an ISO-8601 datetime: {created!r}"
    scope = item.get("scope")
    if scope is not None and (not isinstance(scope, dict) or not all(isinstance(v, str) for v in scope.values())):
        return "scope: must be an object of string values or null"
    if item.get("metadata") is not None and not isinstance(item.get("metadata"), dict):
        return "metadata: must be an object"
    if isolation == "b2b" and item.get("user_id") and not item.get("customer_id"):
        return "customer_id: required with user_id on a B2B instance"
    return None


def _is_timestamp(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    head, dot, tail = text.partition(".")
    if dot:  # fromisoformat before 3.11 wants exactly 6 fraction digits
        digits = "".join(ch for ch in tail if ch.isdigit())
        text = head + "." + digits[:6].ljust(6, "0") + tail[len(digits) :]
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


class Service:
    """An in-memory Synap: the contract's endpoints and rules, and what tests inspect; no sockets.

    :param api_keys: bearer tokens accepted; None accepts any non-empty token.
    :param rate_limit: requests per second allowed per key (None: unlimited).
    :param burst: requests allowed at once before the rate applies (default: one second's worth).
    :param latency_ms: every answer takes at least this long (the work itself included).
    :param fault_rate: share of requests (0-1) that meet a fault, drawn from ``seed``.
    :param fault_kinds: which faults to draw from, see `FAULT_KINDS`.
    :param completion_seconds: how long an ingestion takes from queued to completed.
    :param isolation: ``b2b`` (user_id needs customer_id) or ``b2c``, as whoami reports it.
    :param build_seconds: a new instance's memory is built for this long first: meanwhile creating
        memories, recording conversations and context fetches are answered 409 instance_not_ready.
    """

    def __init__(
        self,
        *,
        api_keys: Optional[Collection[str]] = None,
        rate_limit: Optional[float] = None,
        burst: Optional[int] = None,
        latency_ms: float = 0.0,
        fault_rate: float = 0.0,
        fault_kinds: Collection[str] = ("503", "drop"),
        seed: int = 0,
        completion_seconds: float = 1.5,
        isolation: str = "b2b",
        build_seconds: float = 0.0,
    ) -> None:
        self.faults = Faults(fault_rate, fault_kinds, seed)
        if isolation not in ("b2b", "b2c"):
            raise ValueError("isolation: must be 'b2b' or 'b2c'")
        self.api_keys = None if api_keys is None else frozenset(api_keys)
        self.rate_limit = rate_limit
        self.burst = burst if burst is not None else max(1, math.ceil(rate_limit or 1))
        self.latency = latency_ms / 1000.0
        self.completion_seconds = completion_seconds
        self.isolation = isolation
        self.instance_id = "inst_" + uuid.uuid4().hex[:16]
        self._built_at = time.monotonic() + build_seconds
        self._lock = threading.Lock()
        self._buckets: Dict[str, TokenBucket] = {}
        self._ingestions: Dict[str, Dict[str, Any]] = {}
        self._by_document_id: Dict[str, str] = {}
        #: Requests received, by ``"METHOD /path"`` (status ids collapsed), for tests to inspect.
        self.requests: Counter[str] = collections.Counter()
        #: Answers sent, by status code (a dropped connection counts as 0).
        self.statuses: Counter[int] = collections.Counter()
        #: TCP connections accepted so far (a pooled client reuses its connections).
        self.connections = 0
        #: Memories made from completed ingestions, what is done with them, credits, data deletion.
        self.memories = Memories(self._completed, self.instance_id)
        #: Recorded messages and transcripts (a transcript's memories come from an ingestion).
        self.conversations = Conversations(self._store, lambda: self.completion_seconds)
        self.memories.recorded_turns = self.conversations.turns
        self._routes = self._route_table()

    def note_connection(self) -> None:
        """Count a TCP connection accepted (the HTTP side calls this)."""
        with self._lock:
            self.connections += 1

    def note_answer(self, status: int) -> None:
        """Count an answer sent; 0 for a connection closed without one."""
        with self._lock:
            self.statuses[status] += 1

    # --- inspection --------------------------------------------------------------------------------

    @property
    def request_count(self) -> int:
        """Every HTTP request received, whatever its answer."""
        return sum(self.requests.values())

    def reset(self) -> None:
        """Forget every document, ingestion and count, as a fresh emulator would (for a shared one in tests)."""
        with self._lock:
            self._buckets.clear()
            self._ingestions.clear()
            self._by_document_id.clear()
            self.requests.clear()
            self.statuses.clear()
            self.memories.reset()
            self.conversations.reset()

    def _completed(self) -> List[Tuple[str, Dict[str, Any], float]]:
        """Ingestions completed by now, with their documents and completion times (lock held)."""
        done = time.time() - self.completion_seconds
        return [
            (ingestion_id, record["request"], record["queued"] + self.completion_seconds)
            for ingestion_id, record in self._ingestions.items()
            if record["queued"] <= done
        ]

    def stored_documents(self) -> List[Dict[str, Any]]:
        """Every document accepted so far, as sent, in arrival order."""
        with self._lock:
            return [dict(record["request"]) for record in self._ingestions.values()]

    def held(self) -> Dict[str, Any]:
        """What the emulator holds, as plain JSON: the documents accepted (as sent, with their ingestion
        ids), the messages recorded by conversation, and the requests and answers counted. ``GET
        /_emulator/held`` answers it, and ``synap-sync serve --dump FILE`` writes it on exit."""
        with self._lock:
            return {
                "documents": [
                    dict(record["request"], _ingestion_id=ingestion_id)
                    for ingestion_id, record in self._ingestions.items()
                ],
                "messages": {key: [dict(turn) for turn in turns] for key, turns in self.conversations.messages.items()},
                "requests": dict(self.requests),
                "statuses": {str(status): count for status, count in self.statuses.items()},
            }

    def ingestion_ids(self) -> List[str]:
        """The ingestion id of every accepted document, in arrival order."""
        with self._lock:
            return list(self._ingestions)

    # --- handling ----------------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, authorization: str, body: bytes, arrived: float, content_type: str = ""
    ) -> Tuple[int, bytes, Dict[str, str]]:
        """Answer one request (``path`` with its query), encoded, no sooner than ``latency`` after it
        ``arrived``; raises `Drop` to close the connection instead."""
        status, payload, headers = self._decide(method, path, authorization, body, arrived, content_type)
        encoded = json.dumps(payload).encode("utf-8")
        self._wait_out_latency(arrived)
        return status, encoded, headers

    def _decide(
        self, method: str, target: str, authorization: str, body: bytes, arrived: float, content_type: str = ""
    ) -> Reply:
        path, _, query_string = target.partition("?")
        query = dict(urllib.parse.parse_qsl(query_string))
        token = authorization[7:].strip() if authorization.startswith("Bearer ") else ""
        if path.startswith(INSPECTION_PREFIX):  # the emulator's own: not a request to Synap, never paced or faulted
            if not token or (self.api_keys is not None and token not in self.api_keys):
                return refusal(401, "Invalid or missing API key", "UNAUTHORIZED")
            if path == INSPECTION_PREFIX + "held" and method == "GET":
                return 200, self.held(), {}
            return 404, {"detail": "Not Found"}, {}
        if not token or (self.api_keys is not None and token not in self.api_keys):
            self._count(REFUSED_KEY)  # by path only once the key is known: a stranger cannot grow the counts
            return refusal(401, "Invalid or missing API key", "UNAUTHORIZED")
        self._count(f"{method} {_ID_SEGMENT.sub('/{id}', path)}")
        wait = self._take_token(token)
        if wait:
            reply = refusal(429, "Rate limit exceeded", "RATE_LIMITED")
            reply[2]["Retry-After"] = str(max(1, math.ceil(wait)))
            return reply
        building = self._building(method, path)
        if building is not None:
            return building
        fault = self.faults.draw()
        if fault == "503":
            return refusal(503, "Service temporarily unavailable", "UNAVAILABLE")
        if fault == "drop":
            self._wait_out_latency(arrived)
            raise Drop()
        reply = self._route(method, path, body, query, content_type)
        if fault == "lost-reply":
            self._wait_out_latency(arrived)
            raise Drop()
        if fault == "504-after-store":
            return refusal(504, "Gateway Timeout: the upstream did not answer in time", "GATEWAY_TIMEOUT")
        return reply

    def _building(self, method: str, path: str) -> Optional[Reply]:
        """While the instance is still being built (``build_seconds`` after the emulator was made), the
        writes that need its memory are answered 409 instance_not_ready, with the wait left."""
        left = self._built_at - time.monotonic()
        if left <= 0 or method != "POST" or path not in BUILD_GATED_PATHS:
            return None
        detail = {
            "code": "instance_not_ready",
            "message": "the instance's memory is still being built",
            "retry_after_seconds": max(1, math.ceil(left)),
            "instance_id": self.instance_id,
            "state": "building",
        }
        return 409, {"detail": detail}, {"Retry-After": str(max(1, math.ceil(left)))}

    def _wait_out_latency(self, arrived: float) -> None:
        """Answer ``latency`` after the request arrived, however long the work itself took."""
        remaining = self.latency - (time.monotonic() - arrived)
        if remaining > 0:
            time.sleep(remaining)

    def _count(self, key: str) -> None:
        """Count a request under ``key``; past `MAX_COUNTED_KEYS` different keys, new ones share one."""
        with self._lock:
            if key not in self.requests and len(self.requests) >= MAX_COUNTED_KEYS:
                key = OTHER_REQUESTS
            self.requests[key] += 1

    def _take_token(self, token: str) -> float:
        if self.rate_limit is None:
            return 0.0
        with self._lock:
            bucket = self._buckets.get(token)
            if bucket is None:
                bucket = self._buckets[token] = TokenBucket(self.rate_limit, self.burst)
            return bucket.take()

    def _route(self, method: str, path: str, body: bytes, query: Dict[str, str], content_type: str = "") -> Reply:
        """The one router: the first route whose method and pattern match answers; a path some route
        knows under another method is 405, any other 404."""
        known_path = False
        for route in self._routes:
            match = route.pattern.fullmatch(path)
            if match is None:
                continue
            known_path = True
            if route.method != method:
                continue
            request = Request(method, match.groups(), query, body, content_type, None)
            if route.json and body:
                try:
                    request = request._replace(payload=json.loads(body.decode("utf-8")))
                except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
                    return refusal(400, "request body is not valid JSON (or nested too deeply)", "INVALID_INPUT")
            if not route.locked:
                return route.answer(request)
            with self._lock:
                return route.answer(request)
        return (405, {"detail": "Method Not Allowed"}, {}) if known_path else (404, {"detail": "Not Found"}, {})

    def _route_table(self) -> List[Route]:
        """Every endpoint the emulator answers. ``locked`` routes run under the service's lock; the
        ingestion routes take it themselves, around only what touches the store."""
        memories, conversations = self.memories, self.conversations
        b2c = self.isolation == "b2c"
        not_an_id = r"(?!(?:batch|create|forget|upload|status)$)([^/]+)"

        def route(method: str, pattern: str, answer: Callable[[Request], Reply], json: bool = True) -> Route:
            return Route(method, re.compile(pattern), answer, json, locked=json)

        return [
            Route("GET", re.compile("/api/v1/auth/whoami"), lambda r: self._whoami(), False, False),
            Route(
                "GET", re.compile("/api/v1/memories/status/([^/]+)"), lambda r: self._status(r.params[0]), False, False
            ),
            Route(
                "POST",
                re.compile("/api/v1/memories/upload"),
                lambda r: self._upload(r.body, r.content_type),
                False,
                False,
            ),
            Route("POST", re.compile("/api/v1/memories/batch"), lambda r: self._batch(r.payload), True, False),
            Route("POST", re.compile("/api/v1/memories/create"), lambda r: self._create(r.payload), True, False),
            route("POST", "/api/v1/memories/forget", lambda r: memories.forget(r.payload, self.isolation)),
            *(
                route(
                    verb, "/api/v1/memories/" + not_an_id, lambda r: memories.memory(r.method, r.params[0], r.payload)
                )
                for verb in ("GET", "PATCH", "DELETE")
            ),
            route(
                "POST",
                "/v1/context/(user|customer|client|conversation)/fetch",
                lambda r: memories.fetch(r.params[0], r.payload),
            ),
            route("POST", "/v1/conversations/messages", lambda r: conversations.record(r.payload, b2c)),
            route("POST", "/v1/conversations/messages/batch", lambda r: conversations.record_batch(r.payload, b2c)),
            route("POST", "/v1/conversations/ingest", lambda r: conversations.ingest(r.payload, b2c)),
            route("POST", "/v1/conversations/compact", lambda r: conversations.compact(r.payload)),
            route(
                "GET",
                "/v1/conversations/([^/]+)/compaction/status",
                lambda r: conversations.compaction_status(r.params[0]),
            ),
            route(
                "GET", "/v1/conversations/([^/]+)/compacted", lambda r: conversations.compacted(r.params[0], r.query)
            ),
            route(
                "GET",
                "/v1/conversations/([^/]+)/context-for-prompt",
                lambda r: memories.for_prompt(r.params[0], r.query),
            ),
            route(
                "GET", "/v1/users/(.+)/profile", lambda r: memories.profile(urllib.parse.unquote(r.params[0]), r.query)
            ),
            route("GET", "/v1/credits/ledger", lambda r: memories.ledger_page(r.query)),
            route("POST", "/v1/credits/redeem", lambda r: memories.redeem(r.payload)),
            route("GET", "/v1/credits/balance", lambda r: memories.balance()),
            route("POST", "/v1/credits/estimate", lambda r: memories.estimate(r.payload)),
            route("POST", "/v1/data/delete", lambda r: memories.delete_data(r.payload)),
            route(
                "GET",
                "/v1/data/delete/([^/]+)",
                lambda r: memories.deletion_status(urllib.parse.unquote(r.params[0]), r.query),
            ),
        ]

    def _whoami(self) -> Reply:
        isolation = "equals_customer" if self.isolation == "b2c" else "per_customer"
        reply = {"client_id": "cli_emulator", "instance_id": self.instance_id, "user_context_isolation": isolation}
        return 200, reply, {}

    def _upload(self, body: bytes, content_type: str) -> Reply:
        """An upload (a multipart file, or a urlencoded text field) becomes an ingestion, as create."""
        form = parse_form(content_type, body)
        if form is None:
            return refusal(400, "an upload is a multipart or urlencoded form", "INVALID_INPUT")
        fields, file = form
        if file is None and not fields.get("text"):
            return refusal(422, "one of file or text is required", "INVALID_INPUT")
        with self._lock:
            document = self.memories.upload_fields(fields, file)
            if document is None:
                return refusal(422, "user_id: field required", "INVALID_INPUT")
            result = self._store(document)
        del result["error_message"]
        return 200, result, {}

    def _batch(self, payload: Any) -> Reply:
        if not isinstance(payload, dict) or not isinstance(payload.get("documents"), list):
            return refusal(422, "documents: field required (a list)", "INVALID_INPUT")
        documents = payload["documents"]
        fail_fast = payload.get("fail_fast", False)
        if not isinstance(fail_fast, bool):
            return refusal(422, "fail_fast: must be a boolean", "INVALID_INPUT")
        if not 1 <= len(documents) <= MAX_BATCH:
            return refusal(
                422, f"documents: a batch holds 1 to {MAX_BATCH} documents, got {len(documents)}", "INVALID_INPUT"
            )
        with self._lock:
            problems = self._problems(documents)
            if fail_fast and any(problems):
                listed = [{"index": i, "error": p} for i, p in enumerate(problems) if p]
                return refusal(
                    422, "batch rejected: some documents are invalid (fail_fast)", "INVALID_INPUT", errors=listed
                )
            results = [
                self._refused_result(document, problem) if problem else self._store(document)
                for document, problem in zip(documents, problems)
            ]
        succeeded = sum(1 for result in results if result["error_message"] is None)
        reply = {
            "batch_id": str(uuid.uuid4()),
            "total": len(results),
            "succeeded": succeeded,
            "failed": len(results) - succeeded,
            "results": results,
        }
        return 200, reply, {}

    def _problems(self, documents: List[Any]) -> List[Optional[str]]:
        """Each document's problem, duplicates of stored or earlier ids included (lock held)."""
        problems: List[Optional[str]] = []
        seen = set()
        for document in documents:
            problem = _field_problem(document, self.isolation)
            document_id = document.get("document_id") if problem is None else None
            if document_id is not None:
                if document_id in self._by_document_id or document_id in seen:
                    problem = f"document_id: {document_id!r} was already ingested"
                seen.add(document_id)
            problems.append(problem)
        return problems

    def _create(self, payload: Any) -> Reply:
        with self._lock:
            problem = _field_problem(payload, self.isolation)
            if problem:
                return refusal(422, problem, "INVALID_INPUT")
            document_id = payload.get("document_id")
            if document_id is not None and document_id in self._by_document_id:
                return refusal(409, f"document_id {document_id!r} was already ingested", "DUPLICATE_DOCUMENT")
            result = self._store(payload)
        del result["error_message"]
        return 200, result, {}

    def _store(self, document: Dict[str, Any]) -> Dict[str, Any]:
        """Accept one checked document (lock held)."""
        ingestion_id = str(uuid.uuid4())
        document_id = document.get("document_id") or f"doc_{uuid.uuid4().hex[:12]}"
        queued = time.time()
        self._ingestions[ingestion_id] = {"request": document, "document_id": document_id, "queued": queued}
        self._by_document_id[document_id] = ingestion_id
        return {
            "ingestion_id": ingestion_id,
            "document_id": document_id,
            "status": "queued",
            "queued_at": iso_z(queued),
            "error_message": None,
        }

    @staticmethod
    def _refused_result(document: Any, problem: str) -> Dict[str, Any]:
        document_id = document.get("document_id") if isinstance(document, dict) else None
        return {  # every result carries an ingestion id and a time, a refused one too (the contract's shape)
            "ingestion_id": str(uuid.uuid4()),
            "document_id": document_id if isinstance(document_id, str) else None,
            "status": "failed",
            "queued_at": iso_z(time.time()),
            "error_message": problem,
        }

    def _status(self, ingestion_id: str) -> Reply:
        with self._lock:
            record = self._ingestions.get(ingestion_id)
        if record is None:
            return 404, {"detail": f"ingestion {ingestion_id} not found"}, {}
        queued = record["queued"]
        elapsed = time.time() - queued
        started = queued + self.completion_seconds / 3
        finished = queued + self.completion_seconds
        status = "queued" if elapsed < self.completion_seconds / 3 else "processing"
        if elapsed >= self.completion_seconds:
            status = "completed"
        created = memory_count(record["request"]["document"]) if status == "completed" else 0
        return (
            200,
            {
                "ingestion_id": ingestion_id,
                "document_id": record["document_id"],
                "status": status,
                "queued_at": iso_z(queued),
                "started_at": iso_z(started) if status != "queued" else None,
                "completed_at": iso_z(finished) if status == "completed" else None,
                "memories_created": created,
                "memory_ids": memory_ids_of(ingestion_id, created),
                "error_message": None,
            },
            {},
        )
