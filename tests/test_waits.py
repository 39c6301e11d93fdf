"""Every loop ends: the waits for an ingestion and a compaction honour their timeout and take any value
the service puts in an estimate, their arguments are checked like any call's, and a ledger whose pages
do not advance is stopped, not followed."""

from __future__ import annotations

import json
from typing import Any, Callable

import pytest
import responses

from synap_sync import SynapClient, SynapProtocolError, SynapTimeoutError, SynapValidationError
from synap_sync.testing import FakeClock

from .conftest import BASE_URL

INGESTION_ID = "8a4b7e0e-8d8e-4f8e-9d6e-1c2b3a4d5e6f"
INGESTION_URL = f"{BASE_URL}/api/v1/memories/status/{INGESTION_ID}"
CONVERSATION = "123e4567-e89b-12d3-a456-426614174000"
COMPACTION_URL = f"{BASE_URL}/v1/conversations/{CONVERSATION}/compaction/status"
LEDGER_URL = BASE_URL + "/v1/credits/ledger"


def ingestion(status: str) -> Any:
    return {"ingestion_id": INGESTION_ID, "document_id": "d", "status": status, "queued_at": "2026-01-01T00:00:00Z"}


def compaction(status: str, estimate: Any = None) -> Any:
    return {"conversation_id": CONVERSATION, "status": status, "estimated_completion_seconds": estimate}


def entry(number: int) -> Any:
    return {"ledger_id": f"l{number}", "entry_type": "debit", "delta": -1, "created_at": "2026-01-01T00:00:00Z"}


WAITS = {
    "completion": lambda client, **kw: client.memories.wait_for_completion(INGESTION_ID, **kw),
    "compaction": lambda client, **kw: client.conversation.context.wait_for_compaction(CONVERSATION, **kw),
}


@pytest.mark.parametrize("wait", WAITS.values(), ids=WAITS.keys())
@pytest.mark.parametrize(
    "arguments, named",
    [
        ({"timeout_seconds": float("nan")}, "timeout_seconds"),
        ({"timeout_seconds": "5"}, "timeout_seconds"),
        ({"timeout_seconds": -1}, "timeout_seconds"),
        ({"timeout_seconds": float("inf")}, "timeout_seconds"),
        ({"poll_interval_seconds": 0}, "poll_interval_seconds"),
        ({"poll_interval_seconds": -2}, "poll_interval_seconds"),
        ({"poll_interval_seconds": True}, "poll_interval_seconds"),
    ],
)
@responses.activate
def test_a_wait_refuses_arguments_that_are_not_seconds_before_any_look(
    wait: Callable[..., Any], arguments: Any, named: str, client: SynapClient
) -> None:
    with pytest.raises(SynapValidationError, match=named) as caught:
        wait(client, **arguments)
    assert caught.value.field == named and len(responses.calls) == 0


@responses.activate
def test_a_long_estimate_is_met_with_a_last_look_just_before_the_timeout(client: SynapClient, clock: FakeClock) -> None:
    responses.add(responses.GET, COMPACTION_URL, json=compaction("in_progress", 8))
    responses.add(responses.GET, COMPACTION_URL, json=compaction("completed"))
    assert client.conversation.context.wait_for_compaction(CONVERSATION, timeout_seconds=5).done
    assert clock.sleeps == [4.0]  # not given up at once because 8 s is past 5 s: one look at 4 s


@responses.activate
def test_a_poll_interval_past_the_timeout_still_gets_a_last_look(client: SynapClient, clock: FakeClock) -> None:
    responses.add(responses.GET, INGESTION_URL, json=ingestion("processing"))
    responses.add(responses.GET, INGESTION_URL, json=ingestion("completed"))
    final = client.memories.wait_for_completion(INGESTION_ID, timeout_seconds=3, poll_interval_seconds=60)
    assert str(final.status) == "completed" and clock.sleeps == [2.0]


@responses.activate
def test_after_the_last_look_the_wait_ends_with_the_last_status(client: SynapClient, clock: FakeClock) -> None:
    responses.add(responses.GET, COMPACTION_URL, json=compaction("in_progress", 30))
    with pytest.raises(SynapTimeoutError, match="still in_progress after 25s") as caught:
        client.conversation.context.wait_for_compaction(CONVERSATION, timeout_seconds=25)
    assert caught.value.last_status.status == "in_progress"
    assert clock.sleeps == [10.0, 10.0, 4.0] and len(responses.calls) == 4  # the estimate, capped at 10 s


@pytest.mark.parametrize("estimate", [10**400, -(10**400), 0, 7])
@responses.activate
def test_any_whole_number_the_service_estimates_is_a_wait_of_half_a_second_to_ten(
    estimate: int, client: SynapClient, clock: FakeClock
) -> None:
    responses.add(responses.GET, COMPACTION_URL, json=compaction("in_progress", estimate))
    responses.add(responses.GET, COMPACTION_URL, json=compaction("completed"))
    client.conversation.context.wait_for_compaction(CONVERSATION)
    assert clock.sleeps == [float(min(max(estimate, 0.5), 10.0))]


@responses.activate
def test_a_ledger_that_ignores_offset_is_stopped_at_its_second_page(client: SynapClient) -> None:
    responses.add(responses.GET, LEDGER_URL, json={"entries": [entry(0), entry(1)], "total": 50, "offset": 0})
    walked = []
    with pytest.raises(SynapProtocolError, match="do not advance"):
        for item in client.credits.ledger(page_size=2):
            walked.append(item.ledger_id)
    assert walked == ["l0", "l1"] and len(responses.calls) == 2


@responses.activate
def test_a_ledger_that_echoes_the_offset_but_repeats_its_page_is_stopped(client: SynapClient) -> None:
    def same_page(request: Any) -> Any:
        offset = int(request.url.split("offset=")[1].split("&")[0])
        return 200, {}, json.dumps({"entries": [entry(0), entry(1)], "total": 9, "offset": offset})

    responses.add_callback(responses.GET, LEDGER_URL, callback=same_page)
    with pytest.raises(SynapProtocolError, match="same entries"):
        list(client.credits.ledger(page_size=2))
    assert len(responses.calls) == 2
