"""Three programs as code written for the official async SDK reads, and their ports made mechanically:
the import names ``synap_sync``, ``await`` goes, ``async def`` is ``def``, ``asyncio.sleep`` is
``time.sleep``. Each appends what it saw to ``out``; a port must see what its original sees.

Run by ``test_ported_programs.py`` (the ports, against the emulator) and ``test_official_parity.py``
(the originals too, where the official SDK is installed, compared line by line)."""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, List

#: A batch with its results followed to completion.
BATCH = '''
from maximem_synap import CreateMemoryRequest, MaximemSynapSDK, SDKConfig

async def main(base_url, out):
    sdk = MaximemSynapSDK(api_key="synap_port_key", config=SDKConfig(api_base_url=base_url), _force_new=True)
    await sdk.initialize()
    batch = await sdk.memories.batch_create(documents=[
        CreateMemoryRequest(document="User: I love hiking.", user_id="u1", customer_id="c1", document_id="p-1"),
        CreateMemoryRequest(document="User: I moved to Lisbon.", user_id="u1", customer_id="c1", document_id="p-2"),
    ])
    out.append(f"{batch.succeeded}/{batch.total} queued")
    for result in batch.results:
        final = await sdk.memories.wait_for_completion(result.ingestion_id, timeout_seconds=30, poll_interval_seconds=1)
        out.append(f"{result.document_id}: {final.status}, {final.memories_created} memories")
    await sdk.shutdown()
'''

#: A chat loop: messages recorded as they happen, the context for the next prompt, then compaction.
CHAT = '''
import asyncio
from maximem_synap import MaximemSynapSDK, SDKConfig

async def main(base_url, out):
    config = SDKConfig(api_base_url=base_url, agent_model="gpt-4o", cache_backend=None, storage_path=out.scratch)
    sdk = MaximemSynapSDK(api_key="synap_port_key", config=config, _force_new=True)
    await sdk.initialize()
    conversation = "7b1f3c2a-0d4e-4f6a-9b8c-1d2e3f4a5b6c"
    for role, text in [("user", "My dog is called Pixel."), ("assistant", "Pixel is a lovely name!")]:
        reply = await sdk.conversation.record_message(
            conversation_id=conversation, role=role, content=text, user_id="u1", customer_id="c1"
        )
        out.append(f"recorded a {role} message: {bool(reply['message_id'])}")
    context = await sdk.conversation.context.get_context_for_prompt(conversation)
    out.append(f"{len(context.recent_messages)} recent messages, the first from {context.recent_messages[0].role}")
    trigger = await sdk.conversation.context.compact(conversation, strategy="balanced")
    out.append(f"compaction {trigger.status}")
    status = await sdk.conversation.context.get_compaction_status(conversation)
    while status.status not in ("completed", "failed"):
        await asyncio.sleep(0.1)
        status = await sdk.conversation.context.get_compaction_status(conversation)
    compacted = await sdk.conversation.context.get_compacted(conversation, version=status.latest_version)
    out.append(f"summary {status.status} at level {compacted.level_applied}: {'Pixel' in compacted.compacted_context}")
    await sdk.shutdown()
'''

#: Error handling that catches the SDK's exception classes and reads their attributes.
ERRORS = '''
from maximem_synap import (
    AuthenticationError, ConflictError, InvalidConversationIdError, InvalidInputError, MaximemSynapSDK,
    SDKConfig, SynapError, SynapPermanentError, TranscriptConflictError,
)

async def main(base_url, out):
    sdk = MaximemSynapSDK(api_key="synap_port_key", config=SDKConfig(api_base_url=base_url, retry_policy=None),
                          _force_new=True)
    await sdk.initialize()
    try:
        await sdk.conversation.record_message(conversation_id="not-a-uuid", role="user", content="hi", user_id="u1")
    except InvalidConversationIdError as error:
        out.append(f"a conversation id that is no UUID, invalid input: {isinstance(error, InvalidInputError)}")
    try:
        await sdk.conversation.record_message(
            conversation_id="7b1f3c2a-0d4e-4f6a-9b8c-1d2e3f4a5b6c", role="system", content="hi", user_id="u1"
        )
    except InvalidConversationIdError:
        out.append("the wrong handler")
    except InvalidInputError:
        out.append("a role the service does not take: invalid input")
    first = await sdk.conversation.ingest_transcript(
        conversation_id="call-9", user_id="u1", customer_id="c1", transcript="user: hi\\nassistant: hello"
    )
    out.append(f"a transcript: {first.status}")
    try:
        await sdk.conversation.ingest_transcript(
            conversation_id="call-9", user_id="u1", customer_id="c1", transcript="user: something else"
        )
    except TranscriptConflictError as error:
        out.append(f"another transcript under that id: a conflict, correlation id kept: {bool(error.correlation_id)}")
    try:
        await sdk.memories.create(document="User: hi", user_id="u1", customer_id="c1", document_id="dup-1")
        await sdk.memories.create(document="User: hi", user_id="u1", customer_id="c1", document_id="dup-1")
    except TranscriptConflictError:
        out.append("the wrong handler")
    except ConflictError as error:
        out.append(f"a document id stored already: a conflict, permanent: {isinstance(error, SynapPermanentError)}")
    stranger = MaximemSynapSDK(api_key="synap_not_this_key", config=SDKConfig(api_base_url=base_url), _force_new=True)
    try:
        await stranger.initialize()
        await stranger.memories.create(document="User: hi", user_id="u1", customer_id="c1")
    except AuthenticationError as error:
        out.append(f"a key refused: {isinstance(error, SynapError)}")
    await stranger.shutdown()
    await sdk.shutdown()
'''

PROGRAMS = {"batch": BATCH, "chat": CHAT, "errors": ERRORS}

#: What each program sees, against the emulator.
EXPECTED = {
    "batch": ["2/2 queued", "p-1: completed, 1 memories", "p-2: completed, 1 memories"],
    "chat": [
        "recorded a user message: True",
        "recorded a assistant message: True",
        "2 recent messages, the first from user",
        "compaction in_progress",
        "summary completed at level balanced: True",
    ],
    "errors": [
        "a conversation id that is no UUID, invalid input: True",
        "a role the service does not take: invalid input",
        "a transcript: queued",
        "another transcript under that id: a conflict, correlation id kept: True",
        "a document id stored already: a conflict, permanent: True",
        "a key refused: True",
    ],
}


def port(source: str) -> str:
    """The port, made as the porting guide says: the import, ``await`` dropped, ``async def`` as ``def``,
    and ``asyncio.sleep`` as ``time.sleep``."""
    ported = source.replace("from maximem_synap import", "from synap_sync import")
    ported = ported.replace("await asyncio.sleep(", "time.sleep(").replace("import asyncio", "import time")
    ported = ported.replace("async def ", "def ")
    return re.sub(r"\bawait ", "", ported)


class Seen(List[str]):
    """What a program appends to, with a scratch directory for the official SDK's local files."""

    def __init__(self, scratch: str) -> None:
        super().__init__()
        self.scratch = scratch


def main_of(source: str) -> Callable[..., Any]:
    """The ``main`` a program's source defines."""
    namespace: Dict[str, Any] = {}
    exec(compile(source, "<program>", "exec"), namespace)  # noqa: S102 - the test's own program text
    return namespace["main"]  # type: ignore[no-any-return]
