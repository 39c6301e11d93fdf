"""The emulator's memories and all that follows ingestion: memories made from completed ingestions, fetched,
changed, deleted and forgotten; context fetches; context for a prompt; credits; data deletion.

Its rules are the contract's, kept simple: a completed ingestion of a document of N characters holds
``1 + N // 400`` memories (the document's 400-character pieces, in order); a context fetch ranks a
scope's memories by how many query words they contain; forget matches memories of one user holding
any word of the description; a deleted memory is gone from every fetch.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from ._answers import Reply, iso_z, refusal

PIECE = 400
_MEMORY_NAMESPACE = uuid.UUID("5b7e3c1e-0f6a-4a57-9a55-7d1f3c9b2e11")
CONTEXT_SCOPES = ("user", "customer", "client", "conversation")
FETCH_MODES = ("fast", "accurate")
PROMPT_STYLES = ("structured", "narrative", "bullet_points")
PRICES = {"memories_ingested": 1.0, "llm_input_tokens": 0.001, "llm_output_tokens": 0.002, "retrievals": 0.1}
STARTING_CREDITS = 10_000.0


def memory_ids_of(ingestion_id: str, count: int) -> List[str]:
    """The ids of an ingestion's memories: UUIDs, the same every time they are asked for."""
    return [str(uuid.uuid5(_MEMORY_NAMESPACE, f"{ingestion_id}:{n}")) for n in range(count)]


def memory_count(document: Any) -> int:
    return 1 + len(_text(document)) // PIECE


def _text(document: Any) -> str:
    return document if isinstance(document, str) else json.dumps(document, sort_keys=True)


def _words(text: str) -> List[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


class Memories:
    """The memories completed ingestions made, and all that is done with them: fetched as context,
    changed, deleted, forgotten, paid for in credits, deleted by scope (lock held by the caller)."""

    def __init__(self, completed: Callable[[], List[Tuple[str, Dict[str, Any], float]]], instance_id: str) -> None:
        #: Completed ingestions as (ingestion id, the document as sent, completion time).
        self._completed = completed
        self.instance_id = instance_id
        self.memories: Dict[str, Dict[str, Any]] = {}
        self.gone: Set[str] = set()
        self.made_from: Set[str] = set()
        self.deletions: Dict[str, Dict[str, Any]] = {}
        self.spent = 0.0
        #: Credits granted by redeemed codes, and the ledger's movements (newest last).
        self.granted = 0.0
        self.ledger: List[Dict[str, Any]] = []
        self.redeemed: Set[str] = set()
        #: A conversation's recorded messages, oldest first (set by the service that records them).
        self.recorded_turns: Callable[[str], List[Dict[str, Any]]] = lambda conversation_id: []

    def reset(self) -> None:
        self.memories.clear()
        self.gone.clear()
        self.made_from.clear()
        self.deletions.clear()
        self.spent = 0.0
        self.granted = 0.0
        self.ledger.clear()
        self.redeemed.clear()

    def _refresh(self) -> None:
        """Make the memories of ingestions completed since the last look."""
        for ingestion_id, document, completed in self._completed():
            if ingestion_id in self.made_from:
                continue
            self.made_from.add(ingestion_id)
            text = _text(document["document"])
            pieces = [text[start : start + PIECE] for start in range(0, len(text), PIECE)] or [text]
            for memory_id, piece in zip(memory_ids_of(ingestion_id, memory_count(document["document"])), pieces):
                if memory_id in self.gone:
                    continue
                self.spent += 1.0
                self._move(-1.0, "debit", completed, metric_type="memories_ingested", category="ingestion")
                metadata = document.get("metadata") or {}
                self.memories[memory_id] = {
                    "memory_id": memory_id,
                    "memory_type": "fact",
                    "content": piece,
                    "confidence": 0.9,
                    "category": document.get("document_type", "ai-chat-conversation"),
                    "subcategory": None,
                    "created_at": iso_z(completed),
                    "updated_at": None,
                    "source_document_id": document.get("document_id"),
                    "_user_id": document.get("user_id"),
                    "_customer_id": document.get("customer_id"),
                    "_conversation_id": metadata.get("conversation_id") if isinstance(metadata, dict) else None,
                    "_metadata": metadata if isinstance(metadata, dict) else {},
                    "_role": (metadata.get("role") if isinstance(metadata, dict) else None) or "user",
                }

    @staticmethod
    def _public(memory: Dict[str, Any]) -> Dict[str, Any]:
        return {key: value for key, value in memory.items() if not key.startswith("_")}

    # --- memories --------------------------------------------------------------------------------

    def memory(self, method: str, memory_id: str, payload: Any) -> Reply:
        self._refresh()
        memory = self.memories.get(memory_id)
        if memory is None:
            return 404, {"detail": f"memory {memory_id} not found"}, {}
        if method == "GET":
            return 200, self._public(memory), {}
        if method == "DELETE":
            del self.memories[memory_id]
            self.gone.add(memory_id)
            return 200, {"memory_id": memory_id, "deleted_at": iso_z(time.time())}, {}
        if method != "PATCH":
            return 405, {"detail": "Method Not Allowed"}, {}
        if not isinstance(payload, dict) or "document" not in payload:
            return refusal(422, "document: field required", "INVALID_INPUT")
        strategy = payload.get("merge_strategy", "smart-merge")
        if strategy not in ("smart-merge", "append", "replace"):
            return refusal(422, f"merge_strategy: unsupported value {strategy!r}", "INVALID_INPUT")
        new = _text(payload["document"])
        memory["content"] = new if strategy == "replace" else f"{memory['content']}\n{new}"
        if isinstance(payload.get("metadata"), dict):
            memory["_metadata"].update(payload["metadata"])
        memory["updated_at"] = iso_z(time.time())
        return 200, self._public(memory), {}

    def forget(self, payload: Any, isolation: str) -> Reply:
        self._refresh()
        if not isinstance(payload, dict):
            return refusal(422, "body must be an object", "INVALID_INPUT")
        description = payload.get("description")
        if not isinstance(description, str) or not 3 <= len(description) <= 500:
            return refusal(422, "description: 3 to 500 characters", "INVALID_INPUT")
        mode = payload.get("mode", "preview")
        if mode not in ("preview", "direct"):
            return refusal(422, f"mode: unsupported value {mode!r}", "INVALID_INPUT")
        user_id = payload.get("user_id")
        if not user_id:
            return refusal(400, "forget must be scoped to exactly one user: give user_id", "INVALID_INPUT")
        if isolation == "b2b" and not payload.get("customer_id"):
            return refusal(400, "customer_id: required on a B2B instance", "INVALID_INPUT")
        words = set(_words(description))
        found = [
            memory
            for memory in self.memories.values()
            if memory["_user_id"] == user_id and words & set(_words(memory["content"]))
        ]
        candidates = [
            {"memory_id": m["memory_id"], "content": m["content"], "memory_type": "fact", "store": "memory"}
            for m in found
        ]
        if not found:
            return 200, {"status": "nothing_matches", "request_id": None, "candidates": []}, {}
        if mode == "preview":
            return 200, {"status": "preview", "request_id": f"fr_{uuid.uuid4().hex[:12]}", "candidates": candidates}, {}
        for memory in found:
            del self.memories[memory["memory_id"]]
            self.gone.add(memory["memory_id"])
        deleted = [memory["memory_id"] for memory in found]
        return 200, {"status": "deleted", "candidates": candidates, "deleted_ids": deleted}, {}

    # --- context -------------------------------------------------------------------------------------

    def fetch(self, scope: str, payload: Any) -> Reply:
        self._refresh()
        if not isinstance(payload, dict):
            return refusal(422, "body must be an object", "INVALID_INPUT")
        required = {"user": "user_id", "customer": "customer_id", "conversation": "conversation_id"}.get(scope)
        if required and not payload.get(required):
            return refusal(422, f"{required}: field required", "INVALID_INPUT")
        max_results = payload.get("max_results", 10)
        if not isinstance(max_results, int) or not 1 <= max_results <= 50:
            return refusal(422, "max_results: 1 to 50", "INVALID_INPUT")
        if payload.get("mode", "fast") not in FETCH_MODES:
            return refusal(422, "mode: fast or accurate", "INVALID_INPUT")
        if "context_mode" in payload and scope != "user":
            return refusal(422, "context_mode: only for user fetches", "INVALID_INPUT")
        query = payload.get("search_query") or []
        if not isinstance(query, list):
            return refusal(422, "search_query: a list of strings", "INVALID_INPUT")
        words = {word for text in query if isinstance(text, str) for word in _words(text)}
        field = {"user": "_user_id", "customer": "_customer_id", "conversation": "_conversation_id"}.get(scope)
        pool = [m for m in self.memories.values() if field is None or m[field] == payload.get(required)]
        if scope == "user" and payload.get("customer_id"):
            pool = [m for m in pool if m["_customer_id"] == payload["customer_id"]]
        ranked = sorted(
            pool,
            key=lambda m: (-len(words & set(_words(m["content"]))), m["created_at"]),
        )
        if words:
            ranked = [m for m in ranked if words & set(_words(m["content"]))]
        items = [
            {
                "id": m["memory_id"],
                "content": m["content"],
                "confidence": m["confidence"],
                "source": "memory",
                "extracted_at": m["created_at"],
                "metadata": dict(m["_metadata"]),
            }
            for m in ranked[:max_results]
        ]
        context: Dict[str, Any] = {"facts": items, "preferences": [], "episodes": [], "emotions": []}
        context["temporal_events"] = []
        if payload.get("response_shape") == "ranked":
            context["items"] = [dict(item, rank=n + 1) for n, item in enumerate(items)]
        return 200, {"context": context, "ttl_seconds": 1800 if scope == "client" else 300}, {}

    def for_prompt(self, conversation_id: str, query: Dict[str, str]) -> Reply:
        self._refresh()
        style = query.get("style", "structured")
        if style not in PROMPT_STYLES:
            return refusal(422, f"style: one of {', '.join(PROMPT_STYLES)}", "INVALID_INPUT")
        turns = sorted(
            (m for m in self.memories.values() if m["_conversation_id"] == conversation_id),
            key=lambda m: (m["created_at"], m["memory_id"]),
        )
        messages = self.recorded_turns(conversation_id) + [
            {"role": m["_role"], "content": m["content"], "timestamp": m["created_at"], "message_id": m["memory_id"]}
            for m in turns
        ]
        lines = [f"{message['role']}: {message['content']}" for message in messages]
        formatted = ("- " if style == "bullet_points" else "") + ("\n- " if style == "bullet_points" else "\n").join(
            lines
        )
        return (
            200,
            {
                "formatted_context": formatted if lines else None,
                "available": bool(lines),
                "recent_messages": messages,
                "recent_message_count": len(messages),
                "total_message_count": len(messages),
                "compacted_message_count": 0,
            },
            {},
        )

    # --- credits and data deletion --------------------------------------------------------------------

    def _move(self, delta: float, entry_type: str, moment: float, **fields: Any) -> str:
        ledger_id = f"led_{uuid.uuid4().hex[:16]}"
        self.ledger.append(
            {"ledger_id": ledger_id, "entry_type": entry_type, "delta": delta, "created_at": iso_z(moment), **fields}
        )
        return ledger_id

    def ledger_page(self, query: Dict[str, str]) -> Reply:
        self._refresh()
        try:
            limit, offset = int(query.get("limit", "100")), int(query.get("offset", "0"))
        except ValueError:
            return refusal(422, "limit and offset: whole numbers", "INVALID_INPUT")
        if not 1 <= limit <= 1000 or offset < 0:
            return refusal(422, "limit: 1 to 1000; offset: >= 0", "INVALID_INPUT")
        entries = [e for e in reversed(self.ledger) if query.get("entry_type") in (None, e["entry_type"])]
        page = entries[offset : offset + limit]
        return 200, {"entries": page, "total": len(entries), "limit": limit, "offset": offset}, {}

    def redeem(self, payload: Any) -> Reply:
        code = payload.get("code") if isinstance(payload, dict) else None
        if not isinstance(code, str) or not code.startswith("SYN-"):
            return refusal(422, "code: not a credit code", "INVALID_INPUT")
        if code in self.redeemed:
            detail = {"message": "this code was redeemed already", "reason": "code_redeemed"}
            return 402, {"detail": detail}, {}
        self.redeemed.add(code)
        self.granted += 1000.0
        redemption_id = self._move(1000.0, "credit", time.time(), category="redemption")
        left = STARTING_CREDITS + self.granted - self.spent
        reply = {
            "redemption_id": redemption_id,
            "credits_granted": 1000.0,
            "new_balance_credits": left,
            "expires_at": None,
        }
        return 200, reply, {}

    def profile(self, user_id: str, query: Dict[str, str]) -> Reply:
        """What the emulator knows of a user: how many memories it holds of them; 404 for none."""
        self._refresh()
        held = [m for m in self.memories.values() if m["_user_id"] == user_id]
        if query.get("customer_id") is not None:
            held = [m for m in held if m["_customer_id"] == query["customer_id"]]
        if not held:
            return refusal(404, f"no profile for user {user_id}", "NOT_FOUND")
        attributes = {"memories": {"value": len(held), "confidence": 1.0, "updated_at": held[-1]["created_at"]}}
        profile = {"attributes": attributes, "overview": f"{len(held)} memories", "extras": {}, "_meta": {}}
        return 200, {"profile": profile}, {}

    def balance(self) -> Reply:
        self._refresh()
        left = STARTING_CREDITS + self.granted - self.spent
        return (
            200,
            {
                "client_id": "cli_emulator",
                "balance_credits": left,
                "warning_low": left < STARTING_CREDITS / 10,
                "buckets": [{"source_type": "trial", "balance": left, "expires_at": None}],
            },
            {},
        )

    def estimate(self, payload: Any) -> Reply:
        if not isinstance(payload, dict) or payload.get("metric_type") not in PRICES:
            return refusal(422, f"metric_type: one of {', '.join(PRICES)}", "INVALID_INPUT")
        units = payload.get("units")
        if not isinstance(units, (int, float)) or isinstance(units, bool) or units < 0:
            return refusal(422, "units: a number >= 0", "INVALID_INPUT")
        return 200, {"credits_estimate": round(units * PRICES[payload["metric_type"]], 6)}, {}

    def delete_data(self, payload: Any) -> Reply:
        self._refresh()
        if not isinstance(payload, dict):
            return refusal(422, "body must be an object", "INVALID_INPUT")
        scope = payload.get("scope")
        field = {"user": "user_id", "customer": "customer_id", "conversation": "conversation_id"}.get(str(scope))
        if field is None:
            return refusal(400, "scope: user, customer or conversation", "INVALID_INPUT")
        if payload.get("instance_id") != self.instance_id:
            return refusal(403, "instance_id: not this key's instance", "FORBIDDEN")
        target = payload.get(field)
        if not target:
            return refusal(400, f"{field}: required for scope {scope}", "INVALID_INPUT")
        dry_run = payload.get("dry_run") is True
        if not dry_run and payload.get("confirm") != target:
            return refusal(400, f"confirm: must repeat the {field}", "INVALID_INPUT")
        key = {"user_id": "_user_id", "customer_id": "_customer_id", "conversation_id": "_conversation_id"}[field]
        found = [m for m in self.memories.values() if m[key] == target]
        kept = scope == "conversation"
        result: Dict[str, Any] = {
            "deletion_id": None if dry_run else f"del_{uuid.uuid4().hex[:12]}",
            "status": "dry_run" if dry_run else "complete",
            "scope": scope,
            "dry_run": dry_run,
            "found": bool(found),
            "counts": {"memories": 0 if kept else len(found)},
            "fully_removed": not dry_run,
            "memories_kept": kept,
        }
        if not dry_run:
            if not kept:
                for memory in found:
                    del self.memories[memory["memory_id"]]
                    self.gone.add(memory["memory_id"])
            self.deletions[result["deletion_id"]] = result
        return 200, result, {}

    def deletion_status(self, deletion_id: str, query: Dict[str, str]) -> Reply:
        if query.get("instance_id") != self.instance_id:
            return refusal(403, "instance_id: not this key's instance", "FORBIDDEN")
        result = self.deletions.get(deletion_id)
        if result is None:
            return 404, {"detail": f"deletion {deletion_id} not found"}, {}
        return 200, result, {}

    def upload_fields(self, fields: Dict[str, str], file: Optional[Tuple[str, bytes, int]]) -> Optional[Dict[str, Any]]:
        """An upload as the document it becomes, or None when a required field is missing."""
        if not fields.get("user_id"):
            return None
        if file is not None:
            name, head, size = file
            text = head.decode("utf-8", "replace") if not name.lower().endswith(".pdf") else f"[{name}: {size} bytes]"
        else:
            text = fields.get("text", "")
        metadata = json.loads(fields["metadata"]) if fields.get("metadata") else {}
        return {
            "document": text or f"[{file[0] if file else 'upload'}]",
            "document_type": fields.get("document_type") or "document",
            "document_id": None,
            "user_id": fields["user_id"],
            "customer_id": fields.get("customer_id"),
            "mode": fields.get("mode", "long-range"),
            "metadata": metadata,
        }
