"""The read side, blocking: context fetched for a user, customer, client or conversation, and a
conversation's context for a prompt.

Reached as the official SDK reaches it (``client.user.context.fetch(...)``,
``client.conversation.context.get_context_for_prompt(...)``), or all in one place as ``client.context``.
Bodies are byte for byte the official SDK's: base keys always (null when unset), optional ones only
when they differ from their default. Every call goes to the wire; nothing is cached.
"""

from __future__ import annotations

import uuid
from typing import Any, Callable, Dict, List, Optional, Union
from urllib.parse import quote

from ._calls import Calls
from ._constants import CONTEXT_FETCH_PATHS, CONVERSATIONS_PATH, USERS_PATH
from .models import (
    ContextForPromptResponse,
    ContextResponse,
    UserProfile,
    checked_scope,
    conversation_uuid,
    int_between,
    one_of,
    optional_text,
    path_segment,
    refuse,
    required_text,
    text_list,
)

__all__ = ["Context", "ScopeContext", "ConversationContext", "ScopeNamespace", "UserNamespace"]

FETCH_MODES = ("fast", "accurate")
PRECISION_LEVELS = ("high", "medium")
RESPONSE_SHAPES = ("by_type", "ranked")
CONTEXT_MODES = ("in-conversation", "conversation-summary")
PROMPT_STYLES = ("structured", "narrative", "bullet_points")
#: The service's ceiling on ``max_results``.
MAX_RESULTS = 50


class Context(Calls):
    """Every context read: ``user``, ``customer``, ``client``, ``conversation`` and ``for_prompt``."""

    def user(
        self,
        user_id: str,
        conversation_id: Optional[str] = None,
        search_query: Optional[List[str]] = None,
        max_results: int = 10,
        types: Optional[List[str]] = None,
        mode: str = "fast",
        precision_level: str = "high",
        query_date: Optional[str] = None,
        max_results_per_query: Optional[int] = None,
        customer_id: Optional[str] = None,
        context_mode: str = "in-conversation",
        include_profile: bool = True,
        last_n_conversations: int = 1,
        scope_path: Optional[Dict[str, str]] = None,
        response_shape: str = "by_type",
    ) -> ContextResponse:
        """What is known about one user, for a prompt: ``POST /v1/context/user/fetch``
        (``client.user.context.fetch(...)``).

        :param user_id: whose memory.
        :param conversation_id: the conversation being answered, if any (its context is weighed in).
        :param search_query: what to look for, a list of strings (each searched; a bare string is
            refused, as it would be read as its characters). None: the most recent and most confident.
        :param max_results: at most this many items in all, 1 to 50.
        :param types: which kinds: ``facts``, ``preferences``, ``episodes``, ``emotions``,
            ``temporal_events`` (`ContextType` members or their values); None: all.
        :param mode: ``fast`` (vector search, ~50 to 100 ms) or ``accurate`` (graph and re-ranking, ~200
            to 500 ms).
        :param precision_level: ``high`` (default) or ``medium`` (skips the relevance refinement).
        :param query_date: "now" for the query, in the service's lenient date forms (``2023-03-11``);
            items are dated relative to it.
        :param max_results_per_query: each query's share of ``max_results`` when there are several.
        :param customer_id: the user's customer, on a B2B instance (refused on a B2C one).
        :param context_mode: ``in-conversation`` (default) or ``conversation-summary``: the user's
            ``profile`` and their latest ``last_n_conversations`` summarised.
        :param include_profile: in summary mode, include the profile (default True).
        :param last_n_conversations: in summary mode, how many past conversations (0 to 20).
        :param scope_path: the full scope path, str to str, for accounts with nested scopes.
        :param response_shape: ``by_type`` (default: a list per kind) or ``ranked`` (``items``, best first).
        :raises SynapValidationError: a bad argument, named, before sending.
        """
        body: Dict[str, Any] = {
            "user_id": required_text(user_id, "user_id"),
            "customer_id": optional_text(customer_id, "customer_id"),
            "conversation_id": optional_text(conversation_id, "conversation_id"),
        }
        body.update(_base(search_query, max_results, types, mode))
        body.update(_optional(precision_level, response_shape, query_date, max_results_per_query, scope_path))
        if one_of(context_mode, "context_mode", CONTEXT_MODES) == "conversation-summary":
            if not isinstance(include_profile, bool):
                raise refuse("include_profile", "must be True or False")
            body["context_mode"] = context_mode
            body["include_profile"] = include_profile
            body["last_n_conversations"] = int_between(last_n_conversations, "last_n_conversations", 0, 20)
        return self._fetch("user", body, customer_id)

    def customer(
        self,
        customer_id: str,
        conversation_id: Optional[str] = None,
        search_query: Optional[List[str]] = None,
        max_results: int = 10,
        types: Optional[List[str]] = None,
        mode: str = "fast",
        precision_level: str = "high",
        query_date: Optional[str] = None,
        max_results_per_query: Optional[int] = None,
        scope_path: Optional[Dict[str, str]] = None,
        response_shape: str = "by_type",
    ) -> ContextResponse:
        """What is known across one customer (tenant): ``POST /v1/context/customer/fetch``
        (``client.customer.context.fetch(...)``). The parameters are `user`'s, with ``customer_id`` first
        and required; refused on a B2C instance, which has no customer level."""
        body: Dict[str, Any] = {
            "customer_id": required_text(customer_id, "customer_id"),
            "conversation_id": optional_text(conversation_id, "conversation_id"),
        }
        body.update(_base(search_query, max_results, types, mode))
        body.update(_optional(precision_level, response_shape, query_date, max_results_per_query, scope_path))
        return self._fetch("customer", body, customer_id)

    def client(
        self,
        conversation_id: Optional[str] = None,
        search_query: Optional[List[str]] = None,
        max_results: int = 10,
        types: Optional[List[str]] = None,
        mode: str = "fast",
        precision_level: str = "high",
        query_date: Optional[str] = None,
        max_results_per_query: Optional[int] = None,
        scope_path: Optional[Dict[str, str]] = None,
        response_shape: str = "by_type",
    ) -> ContextResponse:
        """What is known across the whole client (your organisation): ``POST /v1/context/client/fetch``
        (``client.client.context.fetch(...)``). The parameters are `user`'s (no ids but a conversation's)."""
        body: Dict[str, Any] = {"conversation_id": optional_text(conversation_id, "conversation_id")}
        body.update(_base(search_query, max_results, types, mode))
        body.update(_optional(precision_level, response_shape, query_date, max_results_per_query, scope_path))
        return self._fetch("client", body, None, default_ttl=1800)

    def conversation(
        self,
        conversation_id: Union[str, uuid.UUID],
        search_query: Optional[List[str]] = None,
        max_results: int = 10,
        types: Optional[List[str]] = None,
        mode: str = "fast",
        precision_level: str = "high",
        query_date: Optional[str] = None,
        max_results_per_query: Optional[int] = None,
        user_id: Optional[str] = None,
        customer_id: Optional[str] = None,
        scope_path: Optional[Dict[str, str]] = None,
        response_shape: str = "by_type",
    ) -> ContextResponse:
        """What is known within one conversation (a UUID): ``POST /v1/context/conversation/fetch``
        (``client.conversation.context.fetch(...)``). The parameters are `user`'s; ``conversation_id`` is
        required and a UUID (else `SynapInvalidConversationIdError`), ``user_id`` and ``customer_id``
        optional."""
        body: Dict[str, Any] = {"conversation_id": conversation_uuid(conversation_id)}
        body.update(_base(search_query, max_results, types, mode))
        if user_id:
            body["user_id"] = required_text(user_id, "user_id")
        if customer_id:
            body["customer_id"] = required_text(customer_id, "customer_id")
        body.update(_optional(precision_level, response_shape, query_date, max_results_per_query, scope_path))
        return self._fetch("conversation", body, customer_id or None)

    def for_prompt(
        self,
        conversation_id: Union[str, uuid.UUID],
        style: str = "structured",
        search_history: bool = True,
        query: Optional[str] = None,
    ) -> ContextForPromptResponse:
        """A conversation's history ready for a prompt:
        ``GET /v1/conversations/{id}/context-for-prompt?style=...``.

        ``style`` is ``structured``, ``narrative`` or ``bullet_points``. ``search_history`` and ``query``
        are accepted for ported code and do nothing: the official SDK searches its own on-disk archive
        with them and sends neither.
        """
        conversation = quote(conversation_uuid(conversation_id), safe="")
        path = f"{CONVERSATIONS_PATH}{conversation}/context-for-prompt"
        query_params = {"style": one_of(style, "style", PROMPT_STYLES)}
        return self._call("GET", path, ContextForPromptResponse.from_dict, query=query_params)

    def profile(self, user_id: str, customer_id: Optional[str] = None) -> UserProfile:
        """What the service has gathered about a user: ``GET /v1/users/{user_id}/profile``.

        :raises SynapNotFoundError: no profile yet (404).
        :raises SynapCustomerIdNotAcceptedError: a ``customer_id`` on an instance known to be B2C.
        """
        path = f"{USERS_PATH}{quote(path_segment(user_id, 'user_id'), safe='')}/profile"
        query = {"customer_id": required_text(customer_id, "customer_id")} if customer_id is not None else None
        return self._call("GET", path, UserProfile.from_dict, query=query, customer_id=customer_id)

    def _fetch(
        self, scope: str, body: Dict[str, Any], customer_id: Optional[str], default_ttl: int = 300
    ) -> ContextResponse:

        def read(reply: Any, correlation_id: str) -> ContextResponse:
            return ContextResponse.from_dict(reply, correlation_id, default_ttl)

        # A read, though a POST: the contract marks it idempotent, so it is repeatable.
        return self._call("POST", CONTEXT_FETCH_PATHS[scope], read, body=body, customer_id=customer_id, repeatable=True)


def _base(search_query: Any, max_results: Any, types: Any, mode: Any) -> Dict[str, Any]:
    """The keys every fetch sends, in the official SDK's order."""
    return {
        "search_query": text_list(search_query, "search_query"),
        "max_results": int_between(max_results, "max_results", 1, MAX_RESULTS),
        "types": text_list(types, "types") or ["all"],
        "mode": one_of(mode, "mode", FETCH_MODES),
    }


def _optional(
    precision_level: Any, response_shape: Any, query_date: Any, max_results_per_query: Any, scope_path: Any
) -> Dict[str, Any]:
    """The keys sent only when they differ from their default, so a default call's bytes match the SDK's."""
    body: Dict[str, Any] = {}
    if one_of(precision_level, "precision_level", PRECISION_LEVELS) == "medium":
        body["precision_level"] = "medium"
    if one_of(response_shape, "response_shape", RESPONSE_SHAPES) == "ranked":
        body["response_shape"] = "ranked"
    if query_date:
        body["query_date"] = required_text(query_date, "query_date")
    if max_results_per_query:
        body["max_results_per_query"] = int_between(max_results_per_query, "max_results_per_query", 1, MAX_RESULTS)
    if scope_path:
        body["scope"] = checked_scope(scope_path)
    return body


class ScopeContext:
    """``client.user.context`` and its siblings: ``fetch(...)`` as the official SDK spells it, which is
    `Context.user`, `Context.customer`, `Context.client` or `Context.conversation` (their signatures)."""

    def __init__(self, context: Context, scope: str) -> None:
        self.fetch: Callable[..., ContextResponse] = getattr(context, scope)


class ConversationContext(ScopeContext):
    """``client.conversation.context``: ``fetch`` and ``get_context_for_prompt``."""

    def __init__(self, context: Context) -> None:
        super().__init__(context, "conversation")
        self.get_context_for_prompt = context.for_prompt


class ScopeNamespace:
    """``client.user``, ``client.customer``, ``client.client``, ``client.conversation``: each has ``.context``."""

    def __init__(self, context: ScopeContext) -> None:
        self.context = context


class UserNamespace(ScopeNamespace):
    """``client.user``: ``.context.fetch(...)`` and ``get_profile(user_id, customer_id=None)``."""

    def __init__(self, context: Context) -> None:
        super().__init__(ScopeContext(context, "user"))
        self.get_profile = context.profile
