"""A client built (and used) before fork, as under gunicorn --preload or celery prefork: parent, one of
its threads and four forked children call at once, and each gets its own results."""

from __future__ import annotations

import os
import signal
import threading
import time
import warnings
from typing import List

import pytest

from synap_sync import SynapClient, SynapError, SynapTimeoutError
from synap_sync.emulator import Emulator

from .fake_server import FakeServer

ROUNDS, CALLS, CHILDREN = 5, 20, 4
INGESTION_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX-only")


def call_and_check(client: SynapClient, name: str, calls: int) -> List[str]:
    """Make ``calls`` batch_create calls; what went wrong, if anything (a reply that is not ours)."""
    problems = []
    for call in range(calls):
        document_ids = [f"{name}-{call}-{item}" for item in range(3)]
        try:
            batch = client.memories.batch_create([{"document": "x", "document_id": d} for d in document_ids])
        except SynapError as error:
            problems.append(f"{name} call {call}: {error}")
            continue
        if [result.document_id for result in batch.results] != document_ids:
            problems.append(f"{name} call {call} received someone else's results")
    return problems


def extend_with_checks(problems: List[str], client: SynapClient, name: str) -> None:
    problems.extend(call_and_check(client, name, CALLS))


def fork_child(client: SynapClient, name: str) -> int:
    pid = os.fork()
    if pid == 0:  # the child: call, and say through the exit status whether every reply was its own
        code = 1
        try:
            code = 0 if not call_and_check(client, name, CALLS) else 3
        finally:
            os._exit(code)
    return pid


def wait_for(pid: int, seconds: float) -> int:
    """The child's exit status, or -1 if it was still running after ``seconds`` (then it is killed)."""
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return -1


def test_parent_thread_and_forked_children_each_get_their_own_replies() -> None:
    with Emulator() as emulator, SynapClient(api_key="synap_k", base_url=emulator.base_url) as client:
        for round_number in range(ROUNDS):
            client.memories.batch_create([{"document": "warm", "document_id": f"warm-{round_number}"}])  # pooled
            problems: List[str] = []
            thread = threading.Thread(target=extend_with_checks, args=(problems, client, f"thread{round_number}"))
            thread.start()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork of a threaded process
                children = [fork_child(client, f"child{round_number}.{n}") for n in range(CHILDREN)]
            problems += call_and_check(client, f"parent{round_number}", CALLS)
            statuses = [wait_for(pid, 30) for pid in children]
            thread.join(30)
            assert not thread.is_alive()
            assert statuses == [0] * CHILDREN, f"round {round_number}: child exit statuses {statuses}"
            assert problems == [], problems[:3]
        stored = len(emulator.stored_documents())
    assert stored == ROUNDS * (1 + (2 + CHILDREN) * CALLS * 3)


def test_a_forked_child_still_cuts_a_dripped_reply_off_at_its_deadline() -> None:
    """The process's deadline watchdog is a thread: the child, which has none, must start its own."""
    from .test_deadline import drip_everything

    with FakeServer(drip_everything) as server:
        client = SynapClient(api_key="synap_k", base_url=server.base_url, deadline=1.0, max_retries=0)
        with pytest.raises(SynapTimeoutError):  # the parent's watchdog is running now
            client.memories.status(INGESTION_ID)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork of a threaded process
            pid = os.fork()
        if pid == 0:
            code = 1
            try:
                started = time.monotonic()
                try:
                    client.memories.status(INGESTION_ID)
                except SynapTimeoutError:
                    code = 0 if time.monotonic() - started < 2.5 else 4
            finally:
                os._exit(code)
        status = wait_for(pid, 60)
    assert status == 0, f"the child's exit status: {status} (4: cut off late; 1: never cut off)"


def test_forks_while_a_thread_unpickles_clients_never_hang_a_child() -> None:
    """A module lock held by the unpickling thread at the fork must not stay held in the child."""
    import pickle

    with Emulator() as emulator:
        pickled = [
            pickle.dumps(SynapClient(api_key=f"synap_tenant_{n:03d}", base_url=emulator.base_url)) for n in range(64)
        ]
        stop = threading.Event()

        def unpickle_for_ever() -> None:
            while not stop.is_set():
                for payload in pickled:
                    pickle.loads(payload)

        thread = threading.Thread(target=unpickle_for_ever, daemon=True)
        thread.start()
        statuses = []
        try:
            for _ in range(12):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork of a threaded process
                    pid = os.fork()
                if pid == 0:
                    code = 1
                    try:
                        client = pickle.loads(pickled[0])
                        client.memories.batch_create([{"document": "from a child"}])
                        code = 0
                    finally:
                        os._exit(code)
                statuses.append(wait_for(pid, 20))
        finally:
            stop.set()
            thread.join(10)
    assert statuses == [0] * 12, f"exit statuses (-1: hung): {statuses}"
