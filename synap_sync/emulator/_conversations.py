"""The emulator's conversations: messages recorded one by one or in batches, and whole transcripts.

Its rules are the contract's, kept simple: a message needs a UUID ``conversation_id``, a ``role`` of
``user`` or ``assistant``, string ``content`` and (on its own) a ``user_id``; on a B2B instance a
``customer_id`` beside it, on a B2C one none. A transcript sent again unchanged under the same
conversation id is a ``duplicate``; a different one there is a 409 ``transcript_conflict``.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Callable, Dict, List, Optional, Tuple

from ._answers import Reply, iso_z, refusal

ROLES = ("user", "assistant")


class Conversations:
    """Recorded messages by conversation, and transcripts by their external id (lock held by the caller).

    :param store: makes an ingestion of a document, as a batch item would be (a transcript's memories).
    :param run_seconds: how long a compaction runs (the emulator's completion time).
    """

    def __init__(self, store: Callable[[Dict[str, Any]], Dict[str, Any]], run_seconds: Callable[[], float]) -> None:
        self._store = store
        self._run_seconds = run_seconds
        self.messages: Dict[str, List[Dict[str, Any]]] = {}
        self.transcripts: Dict[str, Tuple[str, Dict[str, Any]]] = {}
        #: Compaction runs by conversation, oldest first: (compaction id, started, turns compacted).
        self.compactions: Dict[str, List[Tuple[str, float, int, str]]] = {}

    def reset(self) -> None:
        self.messages.clear()
        self.transcripts.clear()
        self.compactions.clear()

    # --- compaction: a run takes the completion time; its summary is the turns recorded when it began ---

    def compact(self, payload: Any) -> Reply:
        try:
            conversation_id = str(uuid.UUID(str(payload.get("conversation_id"))))
        except (ValueError, AttributeError):
            return refusal(422, "conversation_id: a UUID", "INVALID_INPUT")
        strategy = payload.get("strategy")
        if strategy not in (None, "aggressive", "balanced", "conservative", "adaptive"):
            return refusal(422, "strategy: aggressive, balanced, conservative or adaptive", "INVALID_INPUT")
        runs = self.compactions.setdefault(conversation_id, [])
        now = time.time()
        if runs and now < runs[-1][1] + self._run_seconds():
            return 409, {"detail": {"code": "conflict", "message": "a compaction is already in progress"}}, {}
        compaction_id = f"cmp_{uuid.uuid4().hex[:16]}"
        runs.append((compaction_id, now, len(self.messages.get(conversation_id, [])), strategy or "adaptive"))
        reply = {
            "compaction_id": compaction_id,
            "conversation_id": conversation_id,
            "status": "in_progress",
            "trigger_type": "manual_api",
            "initiated_at": iso_z(now),
            "estimated_completion_seconds": max(1, round(self._run_seconds())),
        }
        return 200, reply, {}

    def _finished(self, conversation_id: str) -> List[Tuple[str, float, int, str]]:
        done = time.time() - self._run_seconds()
        return [run for run in self.compactions.get(conversation_id, []) if run[1] <= done]

    def compaction_status(self, conversation_id: str) -> Reply:
        try:
            conversation_id = str(uuid.UUID(conversation_id))
        except ValueError:
            return refusal(404, "no such conversation", "NOT_FOUND")
        runs, finished = self.compactions.get(conversation_id, []), self._finished(conversation_id)
        reply: Dict[str, Any] = {"conversation_id": conversation_id, "status": "none", "latest_version": len(finished)}
        if runs:
            latest = runs[-1]
            reply.update(compaction_id=latest[0], status="completed" if latest in finished else "in_progress")
            if latest in finished:
                reply["completed_at"] = iso_z(latest[1] + self._run_seconds())
            else:
                reply["estimated_completion_seconds"] = max(1, round(latest[1] + self._run_seconds() - time.time()))
        return 200, reply, {}

    def compacted(self, conversation_id: str, query: Dict[str, str]) -> Reply:
        try:
            conversation_id = str(uuid.UUID(conversation_id))
        except ValueError:
            return refusal(404, "no such conversation", "NOT_FOUND")
        finished = self._finished(conversation_id)
        version = query.get("version")
        if version is not None and (not version.isdigit() or not 1 <= int(version) <= len(finished)):
            return refusal(404, f"no version {version} of this conversation's summary", "NOT_FOUND")
        if not finished:
            return refusal(404, "no summary of this conversation yet", "NOT_FOUND")
        compaction_id, _, count, strategy = finished[int(version) - 1 if version else -1]
        turns = self.messages.get(conversation_id, [])[:count]
        text = "\n".join(f"{turn['role']}: {turn['content']}" for turn in turns)
        words = len(text.split())
        reply = {
            "formatted_context": text,
            "original_token_count": words,
            "compacted_token_count": words,
            "compression_ratio": 1.0,
            "strategy_used": strategy,
            "compaction_id": compaction_id,
            "facts": [],
            "decisions": [],
            "preferences": [],
        }
        return 200, reply, {}

    def turns(self, conversation_id: str) -> List[Dict[str, Any]]:
        """A conversation's recorded messages, oldest first, as context-for-prompt lists them."""
        return [
            {"role": m["role"], "content": m["content"], "timestamp": m["recorded_at"], "message_id": m["message_id"]}
            for m in self.messages.get(conversation_id, [])
        ]

    def record(self, payload: Any, b2c: bool) -> Reply:
        problem = _problem(payload, b2c, single=True)
        if problem:
            return refusal(422, problem, "INVALID_INPUT")
        return 200, self._keep(payload), {}

    def record_batch(self, payload: Any, b2c: bool) -> Reply:
        messages = payload.get("messages") if isinstance(payload, dict) else None
        if not isinstance(messages, list):
            return refusal(422, "messages: field required (a list)", "INVALID_INPUT")
        results, errors = [], []
        for index, message in enumerate(messages):
            problem = _problem(message, b2c, single=False)
            if problem:
                errors.append({"index": index, "error": problem})
            else:
                results.append(self._keep(message))
        reply = {
            "total": len(messages),
            "succeeded": len(results),
            "failed": len(errors),
            "results": results,
            "errors": errors,
        }
        return 200, reply, {}

    def _keep(self, message: Dict[str, Any]) -> Dict[str, Any]:
        conversation_id = str(uuid.UUID(message["conversation_id"]))
        turns = self.messages.setdefault(conversation_id, [])
        recorded = {
            "message_id": str(uuid.uuid4()),
            "conversation_id": conversation_id,
            "session_id": message.get("session_id") or f"sess_{uuid.uuid4().hex[:16]}",
            "recorded_at": iso_z(time.time()),
            "conversation_message_count": len(turns) + 1,
        }
        turns.append(dict(recorded, role=message["role"], content=message["content"]))
        return recorded

    def ingest(self, payload: Any, b2c: bool) -> Reply:
        problem = _transcript_problem(payload, b2c)
        if problem:
            return refusal(422, problem, "INVALID_INPUT")
        external = payload["conversation_id"]
        fingerprint = json.dumps(payload["transcript"], sort_keys=True)
        if external in self.transcripts:
            earlier, reply = self.transcripts[external]
            if earlier != fingerprint:
                detail = {"code": "transcript_conflict", "message": "another transcript was sent for this conversation"}
                return 409, {"detail": detail}, {}
            return 200, dict(reply, status="duplicate", summary_status="already_compacted"), {}
        turns = payload["transcript"]
        text = turns if isinstance(turns, str) else "\n".join(f"{t['role']}: {t['content']}" for t in turns)
        conversation_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"synap-emulator:{external}"))
        stored = self._store(
            {
                "document": text or "(empty)",
                "document_type": "ai-chat-conversation",
                "user_id": payload["user_id"],
                "customer_id": payload.get("customer_id"),
                "metadata": {"conversation_id": conversation_id},
            }
        )
        reply = {
            "conversation_id": conversation_id,
            "external_conversation_id": external,
            "ingestion_id": stored["ingestion_id"],
            "status": "queued",
            "turns_recorded": len(turns) if isinstance(turns, list) else len(text.splitlines()),
            "summary_status": "in_progress",
            "queued_at": stored["queued_at"],
            "warnings": [] if payload.get("started_at") else ["no event time given: the arrival time is used"],
        }
        self.transcripts[external] = (fingerprint, reply)
        return 200, reply, {}


def _problem(message: Any, b2c: bool, single: bool) -> Optional[str]:
    """What is wrong with one message, or None."""
    if not isinstance(message, dict):
        return "a message is a JSON object"
    try:
        uuid.UUID(str(message.get("conversation_id")))
    except ValueError:
        return "conversation_id: a UUID"
    if message.get("role") not in ROLES:
        return "role: user or assistant"
    if not isinstance(message.get("content"), str):
        return "content: a string"
    user_id, customer_id = message.get("user_id"), message.get("customer_id")
    if single and not (isinstance(user_id, str) and user_id):
        return "user_id: required"
    return _customer_problem(user_id, customer_id, b2c)


def _customer_problem(user_id: Any, customer_id: Any, b2c: bool) -> Optional[str]:
    if b2c and customer_id:
        return "customer_id: not accepted on a B2C instance (user_context_isolation=equals_customer)"
    if not b2c and user_id and not customer_id:
        return "customer_id: required beside user_id on a B2B instance"
    return None


def _transcript_problem(payload: Any, b2c: bool) -> Optional[str]:
    if not isinstance(payload, dict):
        return "a JSON object"
    if not isinstance(payload.get("conversation_id"), str) or not payload["conversation_id"]:
        return "conversation_id: required"
    if not isinstance(payload.get("user_id"), str) or not payload["user_id"]:
        return "user_id: required"
    transcript = payload.get("transcript")
    if isinstance(transcript, str) and not transcript.strip():
        return "transcript: must not be empty"
    if isinstance(transcript, list) and not transcript:
        return "transcript: must hold at least one turn"
    if isinstance(transcript, list):
        for index, turn in enumerate(transcript):
            if not isinstance(turn, dict) or turn.get("role") not in ROLES or not isinstance(turn.get("content"), str):
                return f"transcript[{index}]: a turn needs a role (user or assistant) and string content"
    elif not isinstance(transcript, str):
        return "transcript: a string or a list of turns"
    return _customer_problem(payload["user_id"], payload.get("customer_id"), b2c)
