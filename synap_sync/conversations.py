"""``client.conversation``: record a conversation as it happens (each message, a batch of them, or a
whole finished transcript), blocking; ``.context`` reads it back.

No conversation write carries an idempotency key, so a message whose outcome is unknown (a read
timeout, a dropped connection after sending) is never sent again behind the caller's back: it may have
been recorded. A transcript is the exception: the service answers an identical one sent again under
the same conversation id with ``status="duplicate"``, so it is resent where a read would be.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from ._constants import MESSAGES_BATCH_PATH, MESSAGES_PATH, TRANSCRIPT_PATH
from ._transport import CallOptions, Transport
from .context import ConversationContext, ScopeNamespace
from .models import encode_json
from .models.conversations import (
    RecordedBatch,
    RecordedMessage,
    TranscriptIngestResponse,
    message_body,
    messages_body,
    transcript_body,
)

__all__ = ["Conversation"]


class Conversation(ScopeNamespace):
    """``record_message``, ``record_messages_batch``, ``ingest_transcript``; ``.context`` for reads."""

    def __init__(self, transport: Transport, options: CallOptions, context: ConversationContext) -> None:
        super().__init__(context)
        self._transport = transport
        self._options = options

    def record_message(
        self,
        conversation_id: str,
        role: str,
        content: str,
        user_id: str,
        customer_id: Optional[str] = None,
        session_id: Optional[str] = None,
        metadata: Optional[Dict[str, Any]] = None,
        scope_path: Optional[Dict[str, str]] = None,
        model: Optional[str] = None,
        context_window: Optional[int] = None,
    ) -> RecordedMessage:
        """Record one message of a conversation, as it happens: ``POST /v1/conversations/messages``.

        :param conversation_id: the conversation, a UUID (sent as you spell it).
        :param role: ``user`` or ``assistant``.
        :param content: the message's text (may be empty).
        :param user_id: whose conversation it is.
        :param customer_id: the user's customer; required by a B2B instance, refused by a B2C one.
        :param session_id: groups messages; the service makes one when it is left out.
        :param metadata: a JSON object stored with the message.
        :param scope_path: the full scope path, str to str, for accounts with nested scopes.
        :param model: the agent's model (``metadata["agent_model"]``): the service sizes compaction by it.
        :param context_window: the agent's context window in tokens (``metadata["agent_context_window"]``).
        :raises SynapValidationError: a bad field, named, before anything is sent.
        :raises SynapCustomerIdNotAcceptedError: a ``customer_id`` on an instance known to be B2C.
        :raises SynapError: what the service or the network answered; never resent after an unknown
            outcome (it may have been recorded).
        """
        correlation_id = self._transport.new_correlation_id()
        self._transport.refuse_customer_on_b2c(customer_id or None, correlation_id)
        body = message_body(
            conversation_id,
            role,
            content,
            user_id,
            customer_id,
            session_id,
            metadata,
            scope_path,
            model,
            context_window,
        )
        reply = self._transport.request(
            "POST", MESSAGES_PATH, self._options, body=encode_json(body), correlation_id=correlation_id
        )
        return RecordedMessage.from_dict(reply, correlation_id)

    def record_messages_batch(self, messages: List[Dict[str, Any]]) -> RecordedBatch:
        """Record several messages in one call: ``POST /v1/conversations/messages/batch``.

        :param messages: dicts of `record_message`'s parameters (``user_id`` may be left out), at most
            `MAX_MESSAGES_PER_BATCH`; each is checked as a single message is, and a refusal names its
            index. Each keeps its keys' order on the wire, as the official SDK sends it.
        :returns: counts, the stored messages and the refused ones; a partial success is no error.
        :raises SynapValidationError: a bad message, named with its index; nothing is sent then.
        """
        correlation_id = self._transport.new_correlation_id()
        body, customers = messages_body(messages)
        for customer_id in customers:
            self._transport.refuse_customer_on_b2c(customer_id, correlation_id)
        reply = self._transport.request(
            "POST", MESSAGES_BATCH_PATH, self._options, body=encode_json(body), correlation_id=correlation_id
        )
        return RecordedBatch.from_dict(reply, correlation_id)

    def ingest_transcript(
        self,
        conversation_id: str,
        user_id: str,
        transcript: Any,
        customer_id: Optional[str] = None,
        conversation_type: Optional[str] = None,
        analysis: Optional[Dict[str, Any]] = None,
        metadata: Optional[Dict[str, Any]] = None,
        started_at: Any = None,
        ended_at: Any = None,
        scope_path: Optional[Dict[str, str]] = None,
    ) -> TranscriptIngestResponse:
        """Record a whole finished conversation (a call, a chat export): ``POST /v1/conversations/ingest``.

        The service records its turns, queues the extraction of memories (follow it with
        ``client.memories.wait_for_completion(reply.ingestion_id)``) and starts a summary.

        :param conversation_id: any id of yours (a call id); the service keeps it as
            ``external_conversation_id``.
        :param transcript: the text (the service splits it into turns), or a list of turns: dicts or
            `TranscriptTurn` with ``role``, ``content`` and optional ``timestamp``, ``speaker``,
            ``metadata``.
        :param conversation_type: free-form (``voice``, ``chat``), at most 64 characters.
        :param analysis: a JSON object of what you know already, at most 64 KB: hints for extraction.
        :param metadata: a JSON object, at most 64 KB.
        :param started_at: when it started (datetime or ISO-8601).
        :param ended_at: when it ended.
        :raises SynapValidationError: a bad field (a turn's with its index), before anything is sent.
        :raises SynapConflictError: another transcript was sent under this ``conversation_id`` before
            (code ``transcript_conflict``); the same one again answers ``status="duplicate"``.
        """
        correlation_id = self._transport.new_correlation_id()
        self._transport.refuse_customer_on_b2c(customer_id or None, correlation_id)
        body = transcript_body(
            conversation_id,
            user_id,
            transcript,
            customer_id,
            conversation_type,
            analysis,
            metadata,
            started_at,
            ended_at,
            scope_path,
        )
        reply = self._transport.request(
            "POST",
            TRANSCRIPT_PATH,
            self._options,
            body=encode_json(body),
            correlation_id=correlation_id,
            repeatable=True,  # the service answers the identical transcript again with "duplicate"
        )
        return TranscriptIngestResponse.from_dict(reply, correlation_id)
