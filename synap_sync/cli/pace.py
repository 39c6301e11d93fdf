"""``synap-sync pace``: what the key's pace knows now, as every process sharing it sees it: where it is
kept, the learned rate, the lanes' recent use and the 429s."""

from __future__ import annotations

import argparse
import json

import attrs

from ._common import EXIT_OK, SERVICE_EXIT_CODES, add_connection_arguments, connect

NAME = "pace"
SUMMARY = "show the key's pace, as every process sharing it sees it"
DESCRIPTION = (
    "Reads the pace the key's clients share (the host's file by default, or --pace-url / SYNAP_PACE_URL) and "
    "prints it as JSON: where it is kept, the rate learned from the service's 429s (null: never throttled), "
    "whether it is probing, requests per second by lane over the last ten seconds or so, and the 429s. "
    "Nothing is sent to the service."
)
EXIT_CODES = {**SERVICE_EXIT_CODES, EXIT_OK: "the pace was printed"}


def add_arguments(pace: argparse.ArgumentParser) -> None:
    add_connection_arguments(pace)
    pace.add_argument(
        "--rate-limit",
        type=float,
        metavar="N",
        help="the ceiling the key's clients are told, if any (it names the pace)",
    )


def run(args: argparse.Namespace) -> int:
    with connect(args, max_requests_per_second=args.rate_limit) as client:
        status = client.pace()
    print(json.dumps(attrs.asdict(status)))
    return EXIT_OK
