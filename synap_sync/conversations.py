"""``client.conversation``: record a conversation as it happens (each message, a batch of them, or a
whole finished transcript), blocking; ``.context`` reads it back.

No conversation write carries an idempotency key, so a message whose outcome is unknown (a read
timeout, a dropped connection after sending) is never sent again behind the caller's back: it may have
been recorded. A transcript is the exception: the service answers an identical one sent again under
the same conversation id with ``status="duplicate"``, so it is resent where a read would be.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import quote

from ._calls import Calls, checked_wait
from ._constants import (
    COMPACT_PATH,
    CONVERSATIONS_PATH,
    MESSAGES_BATCH_PATH,
    MESSAGES_PATH,
    TRANSCRIPT_PATH,
)
from ._transport import CallOptions, Transport
from .context import Context, ConversationContext, ScopeNamespace
from .errors import SynapNotFoundError
from .models import int_between, one_of
from .models.conversations import (
    COMPACTED_FORMATS,
    CompactionResponse,
    CompactionStatusResponse,
    CompactionTriggerResponse,
    RecordedBatch,
    RecordedMessage,
    TranscriptIngestResponse,
    compact_body,
    conversation_segment,
    message_body,
    messages_body,
    transcript_body,
)

__all__ = ["Conversation", "ConversationReads"]

#: Bounds on the wait between two looks at a compaction's status.
SHORTEST_POLL_SECONDS = 0.5
LONGEST_POLL_SECONDS = 10.0


class ConversationReads(ConversationContext, Calls):
    """``client.conversation.context``: ``fetch``, ``get_context_for_prompt``, and compaction:
    ``compact``, ``get_compaction_status``, ``wait_for_compaction``, ``get_compacted``."""

    def __init__(self, context: Context, transport: Transport, options: CallOptions) -> None:
        ConversationContext.__init__(self, context)
        Calls.__init__(self, transport, options)

    def compact(
        self,
        conversation_id: str,
        strategy: Optional[str] = None,
        compaction_level: Optional[str] = None,
        target_tokens: Optional[int] = None,
        force: bool = False,
    ) -> CompactionTriggerResponse:
        """Start compacting a conversation into a summary: ``POST /v1/conversations/compact``.

        :param strategy: ``aggressive`` (shortest), ``balanced``, ``conservative`` (keeps most detail)
            or ``adaptive`` (the service chooses, also when None).
        :param compaction_level: the official SDK's other name for ``strategy``, used when it is None.
        :param target_tokens: a budget for the summary.
        :param force: compact even below the service's automatic threshold.
        :raises SynapConflictError: a compaction of this conversation is already under way. Never resent
            after an unknown outcome (a second run might start).
        """
        body = compact_body(conversation_id, strategy, compaction_level, target_tokens, force)
        return self._call("POST", COMPACT_PATH, CompactionTriggerResponse.from_dict, body=body)

    def get_compaction_status(self, conversation_id: str) -> CompactionStatusResponse:
        """Where the conversation's compaction stands: ``GET .../{id}/compaction/status``.

        :raises SynapNotFoundError: the service knows no such conversation.
        """
        path = self._path(conversation_id, "compaction/status")
        return self._call("GET", path, CompactionStatusResponse.from_dict)

    def wait_for_compaction(
        self,
        conversation_id: str,
        timeout_seconds: float = 300,
        poll_interval_seconds: Optional[float] = None,
    ) -> CompactionStatusResponse:
        """Look at the compaction's status until it is completed or failed, then return it (the official
        SDK has no such helper: code ported from it polls by hand).

        Between looks it waits what the service estimates (``estimated_completion_seconds``, within 0.5 to
        10 s) unless ``poll_interval_seconds`` is given. ``none`` just after ``compact`` means "not
        started yet", not "nothing to do". Each look is bounded by the time left, and when the next look
        would come after the timeout, a last one is made just before it.

        :raises SynapTimeoutError: ``timeout_seconds`` passed first; ``last_status`` holds the last answer.
        :raises SynapValidationError: a timeout or poll interval that is not a number of seconds.
        """
        checked_wait(timeout_seconds, poll_interval_seconds)
        path = self._path(conversation_id, "compaction/status")

        def describe(last: Optional[CompactionStatusResponse]) -> str:
            return "the compaction was " + ("unanswered" if last is None else f"still {last.status}")

        return self._wait_until(
            lambda options: self._call("GET", path, CompactionStatusResponse.from_dict, options=options),
            lambda status: status.done,
            timeout_seconds=timeout_seconds,
            interval=lambda status: poll_interval_seconds or _estimated_wait(status.estimated_completion_seconds),
            describe=describe,
        )

    def get_compacted(
        self, conversation_id: str, version: Optional[int] = None, format: str = "structured"
    ) -> Optional[CompactionResponse]:
        """The conversation's compacted summary: ``GET .../{id}/compacted?format=...``; None when there is
        none yet (404).

        :param version: a given run's summary (versions grow by one per run); the latest when None.
        :param format: ``structured``, ``narrative`` or ``injection`` (ready to inject in a prompt).
        """
        query = {"format": one_of(format, "format", COMPACTED_FORMATS)}
        if version is not None:
            query["version"] = str(int_between(version, "version", 1, 2**31))
        path = self._path(conversation_id, "compacted")
        try:
            return self._call("GET", path, CompactionResponse.from_dict, query=query)
        except SynapNotFoundError:
            return None

    @staticmethod
    def _path(conversation_id: str, tail: str) -> str:
        return f"{CONVERSATIONS_PATH}{quote(conversation_segment(conversation_id), safe='')}/{tail}"


def _estimated_wait(estimate: Optional[int]) -> float:
    """The service's estimate as a wait between looks, within 0.5 to 10 s; any whole number it sends, however
    large or negative, is compared as it is (never converted to a float first, which could overflow)."""
    if estimate is None:
        return 2.0
    return float(min(max(estimate, SHORTEST_POLL_SECONDS), LONGEST_POLL_SECONDS))


class Conversation(ScopeNamespace, Calls):
    """``record_message``, ``record_messages_batch``, ``ingest_transcript``; ``.context`` for reads."""

    def __init__(
        self,
        transport: Transport,
        options: CallOptions,
        context: Context,
        agent: Tuple[Optional[str], Optional[int]] = (None, None),
    ) -> None:
        ScopeNamespace.__init__(self, ConversationReads(context, transport, options))
        Calls.__init__(self, transport, options)
        #: The client's agent model and context window: what a message carries when its call gives none.
        self._agent = agent

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
            The client's ``agent_model`` when None; either replaces one in ``metadata``.
        :param context_window: the agent's context window in tokens (``metadata["agent_context_window"]``),
            likewise.
        :raises SynapValidationError: a bad field, named, before anything is sent.
        :raises SynapCustomerIdNotAcceptedError: a ``customer_id`` on an instance known to be B2C.
        :raises SynapError: what the service or the network answered; never resent after an unknown
            outcome (it may have been recorded).
        """
        body = message_body(
            conversation_id,
            role,
            content,
            user_id,
            customer_id,
            session_id,
            metadata,
            scope_path,
            model or self._agent[0],
            context_window or self._agent[1],
        )
        return self._call("POST", MESSAGES_PATH, RecordedMessage.from_dict, body=body, customer_id=customer_id)

    def record_messages_batch(self, messages: List[Dict[str, Any]]) -> RecordedBatch:
        """Record several messages in one call: ``POST /v1/conversations/messages/batch``.

        :param messages: dicts of `record_message`'s parameters (``user_id`` may be left out), at most
            `MAX_MESSAGES_PER_BATCH`; each is checked as a single message is, and a refusal names its
            index. Each keeps its keys' order on the wire, as the official SDK sends it.
        :returns: counts, the stored messages and the refused ones; a partial success is no error.
        :raises SynapValidationError: a bad message, named with its index; nothing is sent then.
        """
        body, customers = messages_body(messages, self._agent)
        correlation_id = self._transport.new_correlation_id()
        for customer_id in customers:
            self._transport.gate.refuse_customer_on_b2c(customer_id, correlation_id)
        return self._call(
            "POST", MESSAGES_BATCH_PATH, RecordedBatch.from_dict, body=body, correlation_id=correlation_id
        )

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
        # Repeatable: the service answers the identical transcript sent again with "duplicate".
        return self._call(
            "POST",
            TRANSCRIPT_PATH,
            TranscriptIngestResponse.from_dict,
            body=body,
            repeatable=True,
            customer_id=customer_id,
        )
