"""``synap-sync``: run the emulator, ingest a JSON Lines file, follow an ingestion, record a
transcript, forget a user, show credits or the key's pace, or try the demo. One module per command, as
pip lays out its own: each has a ``NAME``, a ``SUMMARY``, its ``EXIT_CODES``, ``add_arguments(parser)``
and ``run(args)``.

Exit codes: 0 all good; 1 some documents failed; 2 usage or invalid input; 3 authentication refused;
4 service unreachable; 5 any other service error; 6 another run holds the journal; 7 the journal could
not be written (a full disk); 130 Ctrl-C; 143 SIGTERM.
"""

from __future__ import annotations

import argparse
from types import ModuleType
from typing import Dict, Optional, Sequence

from .._version import __version__
from ..errors import SynapError
from . import credits, demo, forget, ingest, pace, serve, status, transcript
from ._common import EXIT_INTERRUPTED, EXIT_USAGE, complain, exit_code_for, exit_codes_help

__all__ = ["main", "build_parser", "COMMANDS"]

#: The commands, by name, in the order ``--help`` lists them.
COMMANDS: Dict[str, ModuleType] = {
    command.NAME: command for command in (serve, ingest, status, forget, transcript, credits, pace, demo)
}

#: What each exit code means (ingest's list holds every code any command ends with).
EXIT_CODE_MEANINGS = ingest.EXIT_CODES


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Console entry point; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except SynapError as error:
        complain(str(error))
        return exit_code_for(error)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="synap-sync",
        description="Load data into Synap from the shell, or run a local Synap emulator.",
        epilog=exit_codes_help(EXIT_CODE_MEANINGS),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"synap-sync {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name, command in COMMANDS.items():
        subparser = commands.add_parser(
            name,
            help=command.SUMMARY,
            description=command.DESCRIPTION,
            epilog=exit_codes_help(command.EXIT_CODES),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.add_arguments(subparser)
        subparser.set_defaults(run=command.run)
    return parser

