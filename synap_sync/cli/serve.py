"""``synap-sync serve``: the emulator in the foreground, for a test suite, a demo or a developer's
laptop; Ctrl-C or SIGTERM stops it (``--dump FILE`` writes what it held)."""

from __future__ import annotations

import argparse
import errno
import json
import os
import sys
import tempfile
from typing import Any, Dict

from .._signals import stop_on_sigterm
from ..emulator import FAULT_KINDS, IDLE_SECONDS, MAX_BODY_BYTES, Emulator
from ._common import EXIT_OK, EXIT_USAGE

NAME = "serve"
SUMMARY = "run the Synap emulator in the foreground"
DESCRIPTION = None
EXIT_CODES = {EXIT_OK: "stopped with Ctrl-C or SIGTERM", EXIT_USAGE: "a bad option, or the port cannot be bound"}


def add_arguments(serve: argparse.ArgumentParser) -> None:
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="interface to bind, IPv4 or IPv6 (default: 127.0.0.1); on loopback only requests addressed to "
        "this machine are answered",
    )
    serve.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default: 0)")
    serve.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help="accept only this bearer key (repeatable; default: any non-empty key)",
    )
    serve.add_argument("--rate-limit", type=float, metavar="N", help="requests per second per key (default: none)")
    serve.add_argument("--burst", type=int, metavar="N", help="requests allowed at once (default: one second's worth)")
    serve.add_argument(
        "--latency-ms", type=float, default=0.0, metavar="N", help="every answer takes at least this long"
    )
    serve.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        metavar="F",
        help="share of requests that meet a fault, 0 to 1 (default: 0)",
    )
    serve.add_argument(
        "--fault",
        action="append",
        dest="fault_kinds",
        choices=FAULT_KINDS,
        metavar="KIND",
        help="a fault to draw from (repeatable): 503, drop (closed before an answer), lost-reply (stored, "
        "then closed), 504-after-store (stored, then a gateway's 504); default: 503 and drop",
    )
    serve.add_argument(
        "--build-seconds",
        type=float,
        default=0.0,
        metavar="S",
        help="answer writes and fetches 409 instance_not_ready for this long after starting (default: 0)",
    )
    serve.add_argument(
        "--max-body-bytes",
        type=int,
        default=MAX_BODY_BYTES,
        metavar="N",
        help=f"answer a larger request body 413 (default: {MAX_BODY_BYTES})",
    )
    serve.add_argument(
        "--idle-seconds",
        type=float,
        default=IDLE_SECONDS,
        metavar="S",
        help=f"close a kept-alive connection idle this long, as a web server's keep-alive timeout does "
        f"(default: {IDLE_SECONDS:g}; gunicorn's is 2, nginx's 75)",
    )
    serve.add_argument(
        "--dump",
        metavar="FILE",
        help="on exit (Ctrl-C or SIGTERM), write what the emulator holds to FILE as JSON; while it runs, "
        "GET /_emulator/held answers the same",
    )
    serve.add_argument("--seed", type=int, default=0, help="seed for the faults (default: 0)")
    serve.add_argument(
        "--completion-seconds",
        type=float,
        default=1.5,
        metavar="S",
        help="time from queued to completed (default: 1.5)",
    )
    serve.add_argument("--isolation", choices=("b2b", "b2c"), default="b2b", help="what whoami reports")


def run(args: argparse.Namespace) -> int:
    try:
        emulator = Emulator(
            args.host,
            args.port,
            api_keys=args.api_keys,
            rate_limit=args.rate_limit,
            burst=args.burst,
            latency_ms=args.latency_ms,
            fault_rate=args.fault_rate,
            seed=args.seed,
            completion_seconds=args.completion_seconds,
            isolation=args.isolation,
            fault_kinds=args.fault_kinds or ("503", "drop"),
            build_seconds=args.build_seconds,
            max_body_bytes=args.max_body_bytes,
            idle_seconds=args.idle_seconds,
        ).start()
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            message = f"port {args.port} on {args.host} is in use: choose another --port, or --port 0 for a free one"
        else:
            message = f"cannot listen on {args.host} port {args.port}: {error.strerror or error}"
        print(f"synap-sync serve: {message}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as error:
        print(f"synap-sync serve: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(f"Synap emulator listening on {emulator.base_url}", flush=True)
    if emulator.exposed:
        print(
            f"synap-sync serve: warning: listening on {args.host}, beyond this machine, and accepting any key; "
            "pass --api-key KEY to require one",
            file=sys.stderr,
            flush=True,
        )
    try:
        with stop_on_sigterm():
            emulator.wait()
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM as Terminated
        print("stopping", file=sys.stderr)
    finally:
        emulator.stop()
        if args.dump:
            write_dump(args.dump, emulator.held())
    return EXIT_OK


def write_dump(path: str, held: Dict[str, Any]) -> None:
    """Write what a stopped emulator held, whole or not at all (a temporary file renamed into place)."""
    directory = os.path.dirname(os.path.abspath(path))
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=directory, delete=False, suffix=".tmp") as out:
        json.dump(held, out, indent=1, ensure_ascii=False)
    os.replace(out.name, path)
    print(f"wrote what the emulator held to {path}", file=sys.stderr)
