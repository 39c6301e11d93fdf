"""A view that stores a finished chat in Synap, blocking, within a deadline a web request can afford."""

import json
import math

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_POST

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
