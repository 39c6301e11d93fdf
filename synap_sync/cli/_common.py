"""What every command shares: exit codes, the connection options, and errors said the command line's way."""

from __future__ import annotations

import argparse
import sys
from typing import Any, Dict

from .._constants import DEFAULT_MAX_RETRIES
from ..client import SynapClient
from ..errors import (
    SynapAuthError,
    SynapError,
    SynapJournalBusyError,
    SynapJournalError,
    SynapNetworkError,
    SynapValidationError,
)

EXIT_OK = 0
EXIT_PARTIAL = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_UNREACHABLE = 4
EXIT_SERVICE = 5
EXIT_JOURNAL_BUSY = 6
EXIT_JOURNAL = 7
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143

#: The codes a command that talks to the service may end with, and what each means there.
SERVICE_EXIT_CODES = {
    EXIT_OK: "done",
    EXIT_USAGE: "usage error, or an argument the client refused",
    EXIT_AUTH: "the API key was refused (or none was given)",
    EXIT_UNREACHABLE: "the service (or a proxy on the way) could not be reached",
    EXIT_SERVICE: "any other service error",
}

#: Python's advice in the library's messages, as the command line gives it.
_ADVICE = (
    ("pass api_key= or set SYNAP_API_KEY", "pass --api-key KEY or set SYNAP_API_KEY"),
    ("or pass allow_insecure_http=True", "or pass --allow-insecure-http"),
    ("pass instance_id= to SynapClient or set SYNAP_INSTANCE_ID", "set SYNAP_INSTANCE_ID"),
)


def exit_codes_help(codes: Dict[int, str]) -> str:
    return "exit codes:\n" + "".join(f"  {code:<3}  {meaning}\n" for code, meaning in sorted(codes.items()))


def exit_code_for(error: SynapError) -> int:
    if isinstance(error, SynapAuthError):
        return EXIT_AUTH
    if isinstance(error, SynapJournalBusyError):
        return EXIT_JOURNAL_BUSY
    if isinstance(error, SynapJournalError) and error.mid_run:
        return EXIT_JOURNAL
    if isinstance(error, (SynapValidationError, SynapJournalError)):
        return EXIT_USAGE
    if isinstance(error, SynapNetworkError):
        return EXIT_UNREACHABLE
    return EXIT_SERVICE


def said(text: str) -> str:
    """A library message with its Python advice (``pass api_key=``) turned into the command's flags."""
    for python, command_line in _ADVICE:
        text = text.replace(python, command_line)
    return text


def complain(message: str) -> None:
    """One line on standard error, the command line's way."""
    print(f"synap-sync: {said(message)}", file=sys.stderr)


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--api-key", help="API key (default: $SYNAP_API_KEY)")
    parser.add_argument("--base-url", help="service URL (default: $SYNAP_BASE_URL, then Synap's)")
    parser.add_argument(
        "--max-retries",
        type=int,
        default=DEFAULT_MAX_RETRIES,
        metavar="N",
        help=f"retries of a failed request where safe (default: {DEFAULT_MAX_RETRIES})",
    )
    parser.add_argument(
        "--pace-url",
        metavar="URL",
        help="where the key's pace is shared: local, file://DIR or redis://host:port/db (default: $SYNAP_PACE_URL, "
        "then a file every process of this user on the host shares)",
    )
    parser.add_argument(
        "--allow-insecure-http",
        action="store_true",
        help="allow a plain http:// service URL beyond this machine (the key then travels unencrypted)",
    )


def connect(args: argparse.Namespace, pool_maxsize: int = 10, **options: Any) -> SynapClient:
    """The client the connection options describe."""
    return SynapClient(
        api_key=args.api_key,
        base_url=args.base_url,
        max_retries=args.max_retries,
        allow_insecure_http=args.allow_insecure_http,
        pace_url=args.pace_url,
        pool_maxsize=pool_maxsize,
        **options,
    )
