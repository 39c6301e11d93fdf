"""``synap-sync credits``: the account's credit balance."""

from __future__ import annotations

import argparse
import json

from ._common import EXIT_OK, SERVICE_EXIT_CODES, add_connection_arguments, connect

NAME = "credits"
SUMMARY = "show the credit balance"
DESCRIPTION = None
EXIT_CODES = {**SERVICE_EXIT_CODES, EXIT_OK: "the balance was printed"}


def add_arguments(credits: argparse.ArgumentParser) -> None:
    add_connection_arguments(credits)


def run(args: argparse.Namespace) -> int:
    with connect(args) as client:
        balance = client.credits.get_balance()
    print(json.dumps({"balance_credits": balance.balance_credits, "warning_low": balance.warning_low}))
    return EXIT_OK
