"""A view that stores a finished chat in Synap, blocking, within a deadline a web request can afford."""

import json
import math

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET, require_POST

from synap_sync import SynapRateLimitError, SynapTimeoutError, SynapTransientError, SynapValidationError
from synap_sync.django import get_client

#: A view thread is never held longer than this, whatever the service is doing.
DEADLINE_SECONDS = 2.0


@require_POST
def store_conversation(request: HttpRequest) -> HttpResponse:
    """POST {"conversation_id", "user_id", "customer_id", "turns": ["User: ...", ...]} -> 201 with the ingestion id."""
    try:
        chat = json.loads(request.body)
        document = {
            "document": "\n".join(chat["turns"]),
            "document_id": f"chat-{chat['conversation_id']}",
            "user_id": chat.get("user_id"),
            "customer_id": chat.get("customer_id"),
            "metadata": {"conversation_id": str(chat["conversation_id"])},
        }
    except (ValueError, KeyError, TypeError) as error:
        return JsonResponse({"error": f"bad conversation: {error}"}, status=400)
    client = get_client().with_options(deadline=DEADLINE_SECONDS)
    try:
        batch = client.memories.batch_create([document])
    except SynapValidationError as error:
        return JsonResponse({"error": error.message, "field": error.field}, status=400)
    except (SynapRateLimitError, SynapTimeoutError, SynapTransientError) as error:
        # The service is throttling or slow: tell the caller when to come back instead of holding the thread.
        retry_after = max(1, math.ceil(error.retry_after or 1))
        response = JsonResponse(
            {"error": "the memory service is busy", "correlation_id": error.correlation_id}, status=503
        )
        response["Retry-After"] = str(retry_after)
        return response
    result = batch.results[0]
    if not result.ok and not result.says_already_stored:
        return JsonResponse({"error": result.error_message}, status=422)
    return JsonResponse({"ingestion_id": str(result.ingestion_id), "document_id": result.document_id}, status=201)


def _busy(error: SynapTransientError) -> HttpResponse:
    response = JsonResponse({"error": "the memory service is busy", "correlation_id": error.correlation_id}, status=503)
    response["Retry-After"] = str(max(1, math.ceil(error.retry_after or 1)))
    return response


@require_POST
def record_message(request: HttpRequest, conversation_id: str) -> HttpResponse:
    """POST {"role", "content", "user_id", "customer_id"} -> 201: one chat message recorded as it happens,
    so the next prompt's context holds it."""
    try:
        message = json.loads(request.body)
        fields = {name: message.get(name) for name in ("role", "content", "user_id", "customer_id")}
    except (ValueError, AttributeError) as error:
        return JsonResponse({"error": f"bad message: {error}"}, status=400)
    client = get_client().with_options(deadline=DEADLINE_SECONDS)
    try:
        recorded = client.conversation.record_message(str(conversation_id), **fields)
    except SynapValidationError as error:
        return JsonResponse({"error": error.message, "field": error.field}, status=400)
    except (SynapTimeoutError, SynapTransientError) as error:
        return _busy(error)
    return JsonResponse({"message_id": recorded.message_id, "count": recorded.conversation_message_count}, status=201)


@require_GET
def prompt_context(request: HttpRequest, conversation_id: str) -> HttpResponse:
    """GET ?user_id=&customer_id=&q= -> what a prompt for this conversation needs: its history, and what
    is known about the user that matches ``q``."""
    client = get_client().with_options(deadline=DEADLINE_SECONDS)
    user_id, customer_id, query = (request.GET.get(name) for name in ("user_id", "customer_id", "q"))
    try:
        history = client.conversation.context.get_context_for_prompt(conversation_id)
        known = client.user.context.fetch(user_id, customer_id=customer_id, search_query=[query] if query else None)
    except SynapValidationError as error:
        return JsonResponse({"error": error.message, "field": error.field}, status=400)
    except (SynapTimeoutError, SynapTransientError) as error:
        return _busy(error)
    return JsonResponse(
        {"history": history.formatted_context or "", "facts": [fact.content for fact in known.all_items]}
    )


@require_POST
def forget_user(request: HttpRequest, user_id: str) -> HttpResponse:
    """POST {"customer_id"} -> the user's data deleted from Synap ("forget me"), permanently."""
    customer_id = json.loads(request.body or b"{}").get("customer_id")
    client = get_client().with_options(deadline=DEADLINE_SECONDS * 5)
    try:
        result = client.data.delete("user", user_id=user_id, customer_id=customer_id, confirm=user_id)
    except SynapValidationError as error:
        return JsonResponse({"error": error.message, "field": error.field}, status=400)
    except (SynapTimeoutError, SynapTransientError) as error:
        return _busy(error)
    return JsonResponse({"status": result.status, "fully_removed": result.fully_removed})
