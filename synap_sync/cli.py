"""``synap-sync``: run the emulator, ingest a JSON Lines file, follow an ingestion, or try the demo.

Exit codes: 0 all good; 1 some documents failed; 2 usage or invalid input; 3 authentication refused;
4 service unreachable; 5 any other service error; 6 another run holds the journal; 7 the journal could
not be written (a full disk); 130 Ctrl-C; 143 SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
from typing import IO, Any, Dict, Iterator, List, Optional, Sequence, Tuple

import attrs

from ._constants import DEFAULT_MAX_RETRIES
from ._signals import Terminated, stop_on_sigterm
from ._version import __version__
from .bulk import HTML_PAGE_START, IngestOptions, IngestOutcome, IngestReport
from .client import SynapClient
from .errors import (
    SynapAuthError,
    SynapError,
    SynapJournalBusyError,
    SynapJournalError,
    SynapNetworkError,
    SynapValidationError,
)
from .models import CreateMemoryRequest

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

#: What each exit code means, by command; ``--help`` shows a command's own.
EXIT_CODE_MEANINGS = {
    EXIT_OK: "every document acknowledged, new or already stored (or, with --dry-run, every line valid)",
    EXIT_PARTIAL: "some documents failed; they are in the failures file (fix them, then ingest that file)",
    EXIT_USAGE: "usage error, unreadable input, a journal that does not match, or invalid lines with --dry-run",
    EXIT_AUTH: "the API key was refused",
    EXIT_UNREACHABLE: "the service could not be reached",
    EXIT_SERVICE: "any other service error",
    EXIT_JOURNAL_BUSY: "another run holds the journal (two runs on one journal); nothing was sent",
    EXIT_JOURNAL: "the journal could not be written during the run (a full disk?); make room and run again",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C); the partial summary is printed and the journal resumes the run",
    EXIT_TERMINATED: "terminated (SIGTERM); as for Ctrl-C: the same command resumes the run",
}
COMMAND_EXIT_CODES = {
    "serve": {EXIT_OK: "stopped with Ctrl-C", EXIT_USAGE: "a bad option, or the port cannot be bound"},
    "ingest": EXIT_CODE_MEANINGS,
    "status": {
        EXIT_OK: "the status was printed (with --wait: it is terminal)",
        EXIT_USAGE: "usage error",
        EXIT_AUTH: "the API key was refused",
        EXIT_UNREACHABLE: "the service could not be reached",
        EXIT_SERVICE: "no such ingestion, --wait ran out of time, or any other service error",
    },
    "demo": {EXIT_OK: "every sample conversation was stored", EXIT_PARTIAL: "some were not"},
    "forget": {
        EXIT_OK: "done (or, for a preview or dry run, what would go was printed)",
        EXIT_USAGE: "usage error",
        EXIT_AUTH: "the API key was refused, or may not delete",
        EXIT_UNREACHABLE: "the service could not be reached",
        EXIT_SERVICE: "any other service error",
    },
    "transcript": {
        EXIT_OK: "the transcript was queued (or had been, unchanged: status duplicate)",
        EXIT_USAGE: "usage error, an unreadable file, or a bad turn",
        EXIT_AUTH: "the API key was refused",
        EXIT_UNREACHABLE: "the service could not be reached",
        EXIT_SERVICE: "another transcript was sent under this conversation id, or any other service error",
    },
    "credits": {
        EXIT_OK: "the balance was printed",
        EXIT_AUTH: "the API key was refused",
        EXIT_UNREACHABLE: "the service could not be reached",
        EXIT_SERVICE: "any other service error",
    },
}


def exit_codes_help(codes: Dict[int, str]) -> str:
    return "exit codes:\n" + "".join(f"  {code:<3}  {meaning}\n" for code, meaning in sorted(codes.items()))


EXIT_CODES_HELP = exit_codes_help(EXIT_CODE_MEANINGS)


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
        print(f"synap-sync: {error}", file=sys.stderr)
        return exit_code_for(error)


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


def build_parser() -> argparse.ArgumentParser:
    from .emulator import FAULT_KINDS, MAX_BODY_BYTES

    parser = argparse.ArgumentParser(
        prog="synap-sync",
        description="Load data into Synap from the shell, or run a local Synap emulator.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"synap-sync {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    serve = add_command(
        commands,
        "serve",
        "run the Synap emulator in the foreground",
    )
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1)")
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
    serve.set_defaults(run=run_serve)

    ingest = add_command(
        commands,
        "ingest",
        "send a JSON Lines file (or - for stdin) to Synap",
        description="Each line is one CreateMemoryRequest object. Blank lines and lines starting with # are skipped.",
    )
    ingest.add_argument("path", metavar="PATH", help="JSON Lines file, or - for standard input")
    add_connection_arguments(ingest)
    ingest.add_argument("--dry-run", action="store_true", help="check every line locally and send nothing")
    ingest.add_argument(
        "--estimate",
        action="store_true",
        help="check every line, print what the valid ones would cost in credits and the balance, send nothing",
    )
    workers = attrs.fields(IngestOptions).workers.default
    ingest.add_argument(
        "--workers", type=int, default=workers, metavar="N", help=f"requests in flight at once (default: {workers})"
    )
    ingest.add_argument(
        "--rate-limit",
        type=float,
        metavar="N",
        help="never send more than N requests a second (default: learn the limit from 429s)",
    )
    ingest.add_argument(
        "--journal",
        metavar="FILE",
        help="record progress here so a re-run resumes (default: PATH.journal; none for stdin)",
    )
    ingest.add_argument("--no-journal", action="store_true", help="keep no journal")
    ingest.add_argument(
        "--progress",
        action="store_true",
        default=None,
        help="show progress on stderr (default: when stderr is a terminal)",
    )
    ingest.add_argument("--no-progress", action="store_false", dest="progress", help="never show progress")
    ingest.add_argument(
        "--derive-ids",
        action="store_true",
        default=None,
        help="give each line without a document_id one derived from its content, so re-runs store it once "
        "(default: on whenever a journal is kept)",
    )
    ingest.add_argument(
        "--no-derive-ids",
        action="store_false",
        dest="derive_ids",
        help="send lines without a document_id as they are (then a run killed and run again may store the "
        "lines in flight twice)",
    )
    ingest.add_argument(
        "--fail-already-stored",
        action="store_true",
        help="count lines whose document_id the service already holds as failed (default: succeeded)",
    )
    ingest.add_argument(
        "--report",
        metavar="FILE",
        help="also write the run's report, with its timeline chart, as an HTML page (never over the input, the "
        "journal, or a file this command did not write)",
    )
    ingest.add_argument(
        "--failures",
        metavar="FILE",
        help="where failed lines go, each after a '# line N: reason' comment (default: PATH.failed.jsonl; never "
        "the input, the journal, or a file this command did not write)",
    )
    ingest.set_defaults(run=run_ingest)

    status = add_command(
        commands,
        "status",
        "show where an ingestion stands",
    )
    status.add_argument("ingestion_id", metavar="INGESTION_ID")
    status.add_argument("--wait", action="store_true", help="poll until it is completed, failed or partial")
    status.add_argument("--timeout", type=float, default=300.0, help="seconds to wait with --wait (default: 300)")
    status.add_argument(
        "--poll-interval", type=float, default=2.0, metavar="S", help="seconds between polls with --wait (default: 2)"
    )
    add_connection_arguments(status)
    status.set_defaults(run=run_status)

    forget = add_command(
        commands,
        "forget",
        "forget what Synap holds of one user",
        description=(
            "With DESCRIPTION: forget that user's memories matching it (a preview request for the dashboard, or "
            "at once with --direct). Without: delete all of the user's data, permanently; a dry run that counts "
            "what would go unless --yes is given."
        ),
    )
    forget.add_argument("description", metavar="DESCRIPTION", nargs="?", help="what to forget, 3 to 500 characters")
    forget.add_argument("--user-id", required=True, help="the user")
    forget.add_argument("--customer-id", help="the user's customer (required on a B2B instance)")
    forget.add_argument("--direct", action="store_true", help="with DESCRIPTION: delete at once, no approval")
    forget.add_argument("--yes", action="store_true", help="without DESCRIPTION: really delete (default: dry run)")
    add_connection_arguments(forget)
    forget.set_defaults(run=run_forget)

    transcript = add_command(
        commands,
        "transcript",
        "record a finished conversation from a file",
        description=(
            "PATH is plain text (the service splits it into turns) or, ending in .json, a JSON list of turns "
            '({"role": "user" or "assistant", "content": ..., "timestamp", "speaker"}). Sending the same file '
            "again under the same conversation id is answered 'duplicate' and stores nothing twice."
        ),
    )
    transcript.add_argument("path", metavar="PATH", help="the transcript: text, or a .json list of turns")
    transcript.add_argument("--conversation-id", required=True, help="your id for it (a call id, any string)")
    transcript.add_argument("--user-id", required=True, help="whose conversation it is")
    transcript.add_argument("--customer-id", help="the user's customer (required on a B2B instance)")
    transcript.add_argument("--type", dest="conversation_type", help="free-form, e.g. voice or chat")
    transcript.add_argument("--started-at", help="when it started, ISO-8601")
    transcript.add_argument("--ended-at", help="when it ended, ISO-8601")
    add_connection_arguments(transcript)
    transcript.set_defaults(run=run_transcript)

    credits = add_command(commands, "credits", "show the credit balance")
    add_connection_arguments(credits)
    credits.set_defaults(run=run_credits)

    demo = add_command(
        commands,
        "demo",
        "ingest sample conversations into an in-process emulator",
    )
    demo.set_defaults(run=run_demo)
    return parser


def add_command(commands: Any, name: str, help: str, **options: Any) -> argparse.ArgumentParser:
    """A subcommand whose --help ends with its own exit codes."""
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=help,
        epilog=exit_codes_help(COMMAND_EXIT_CODES[name]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        **options,
    )
    return parser


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


def connect(args: argparse.Namespace) -> SynapClient:
    return SynapClient(api_key=args.api_key, base_url=args.base_url, max_retries=args.max_retries)


# --- serve ---------------------------------------------------------------------------------------


def run_serve(args: argparse.Namespace) -> int:
    from .emulator import Emulator

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
        ).start()
    except (ValueError, OSError) as error:
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


# --- ingest --------------------------------------------------------------------------------------

#: A line that could not become a request: (line number, reason, the line's bytes as read).
Failure = Tuple[int, str, bytes]

_BOM = b"\xef\xbb\xbf"


def read_lines(stream: IO[bytes]) -> Iterator[Tuple[int, bytes]]:
    """Numbered lines worth reading, as bytes: blanks and ``#`` comments are skipped, a UTF-8 byte order
    mark before the first line is dropped. Decoding is per line, so one bad line spoils only itself."""
    for number, line in enumerate(stream, start=1):
        if number == 1 and line.startswith(_BOM):
            line = line[len(_BOM) :]
        raw = line.rstrip(b"\r\n")
        text = raw.strip()
        if text and not text.startswith(b"#"):
            yield number, raw


def parse_document(number: int, raw: bytes) -> Any:
    """One line's JSON; raises SynapValidationError naming the line for text that is not UTF-8 or not JSON."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        reason = f"not UTF-8 text (byte 0x{raw[error.start]:02x} at column {error.start + 1})"
        raise SynapValidationError(f"line {number}: {reason}", errors=[(None, "line", reason)]) from None
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        reason = f"not valid JSON ({error})"
        raise SynapValidationError(f"line {number}: {reason}", errors=[(None, "line", reason)]) from None


def parse_line(number: int, raw: bytes) -> CreateMemoryRequest:
    """One line to a checked request; raises SynapValidationError naming the line and field."""
    data = parse_document(number, raw)
    try:
        return CreateMemoryRequest.from_dict(data)
    except SynapValidationError as error:
        raise SynapValidationError(f"line {number}: {error.message}", errors=error.errors) from None


@contextlib.contextmanager
def open_input(path: str) -> Iterator[IO[bytes]]:
    if path == "-":
        yield sys.stdin.buffer
        return
    with open(path, "rb") as stream:
        yield stream


def failures_path(args: argparse.Namespace) -> str:
    if args.failures:
        return str(args.failures)
    return "synap-sync-stdin.failed.jsonl" if args.path == "-" else f"{args.path}.failed.jsonl"


def write_failures(path: str, failures: List[Failure]) -> None:
    """Failed lines verbatim, each after a comment with its number and reason: fix, then re-run."""
    with open(path, "wb") as stream:
        stream.write(FAILURES_HEADER + b": fix the lines below and run `synap-sync ingest` on this file\n")
        for number, reason, raw in failures:
            stream.write(f"# line {number}: {reason}\n".encode("utf-8") + raw + b"\n")


def keep_failures(target: str, failures: List[Failure]) -> None:
    """Write the failures file; if it cannot be written (a full disk, a read-only folder), write it in the
    temporary folder and say so; if that fails too, print the lines. They are never lost."""
    fallback = os.path.join(tempfile.gettempdir(), f"synap-sync-{os.getpid()}.failed.jsonl")
    problem: Optional[OSError] = None
    for place in (target, fallback):
        try:
            write_failures(place, failures)
        except OSError as error:
            problem = problem or error
            continue
        if problem is not None:
            print(f"synap-sync: cannot write {target} ({problem.strerror or problem})", file=sys.stderr)
        print(f"failed lines written to {place}", file=sys.stderr)
        return
    print(f"synap-sync: cannot write {target} ({problem}); the failed lines follow", file=sys.stderr)
    for number, reason, raw in failures:
        print(f"# line {number}: {reason}\n{raw.decode('utf-8', 'replace')}", file=sys.stderr)


def run_ingest(args: argparse.Namespace) -> int:
    try:
        check_outputs(args)
    except SynapValidationError as error:
        print(f"synap-sync: {error.message}", file=sys.stderr)
        return EXIT_USAGE
    with contextlib.ExitStack() as opened:
        try:
            stream = opened.enter_context(open_input(args.path))
        except OSError as error:
            print(f"synap-sync: cannot read {args.path}: {error.strerror or error}", file=sys.stderr)
            return EXIT_USAGE
        if args.dry_run:
            return dry_run(stream)
        if args.estimate:
            return estimate(args, stream)
        with connect(args) as client, stop_on_sigterm():
            run = IngestRun(client, stream, ingest_options(args))
            try:
                run.ingest()
            except SynapError as error:
                return stopped(args, run, error)
            except Terminated:
                print("synap-sync: terminated (SIGTERM); run the same command again to resume", file=sys.stderr)
                summarise(args, run)
                return EXIT_TERMINATED
            except KeyboardInterrupt:
                print("synap-sync: interrupted; run the same command again to resume", file=sys.stderr)
                summarise(args, run)
                return EXIT_INTERRUPTED
            except OSError as error:  # reading the input failed mid-run
                print(f"synap-sync: cannot read {args.path}: {error.strerror or error}", file=sys.stderr)
                summarise(args, run)
                return EXIT_USAGE
    return summarise(args, run)


def stopped(args: argparse.Namespace, run: "IngestRun", error: SynapError) -> int:
    """An error ended the run: say why, then what it had done; the exit code is the error's."""
    print(f"synap-sync: the run stopped: {error.message}", file=sys.stderr)
    if isinstance(error, SynapJournalError) and not error.mid_run and not isinstance(error, SynapJournalBusyError):
        print("synap-sync: --journal FILE puts the journal elsewhere; --no-journal keeps none", file=sys.stderr)
    summarise(args, run)
    return exit_code_for(error)


def journal_path(args: argparse.Namespace) -> Optional[str]:
    if args.no_journal:
        return None
    if args.journal is None and args.path != "-":
        return f"{args.path}.journal"
    return str(args.journal) if args.journal is not None else None


def ingest_options(args: argparse.Namespace) -> Dict[str, Any]:
    journal = journal_path(args)
    progress = args.progress if args.progress is not None else sys.stderr.isatty()
    # With a journal, a run killed and run again resends the chunks that were in flight: derived ids
    # make that resend a harmless duplicate refusal instead of a second copy.
    derive_ids = args.derive_ids if args.derive_ids is not None else journal is not None
    return {
        "workers": args.workers,
        "journal": journal,
        "max_requests_per_second": args.rate_limit,
        "progress": progress,
        "derive_ids": derive_ids,
        "fail_already_stored": args.fail_already_stored,
    }


#: How each file this command writes begins: a file there that begins otherwise is not ours to replace.
FAILURES_HEADER = b"# synap-sync failures"
REPORT_HEADER = HTML_PAGE_START.encode("utf-8")


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse, before reading anything, to write the failures file or the report over the input, the
    journal, each other, or a file that this command did not write."""
    protected = {"the input": None if args.path == "-" else args.path, "the journal": journal_path(args)}
    outputs = [("--failures", failures_path(args), FAILURES_HEADER)]
    if args.report:
        outputs.append(("--report", str(args.report), REPORT_HEADER))
    for option, target, header in outputs:
        for name, path in protected.items():
            if path is not None and _same_file(target, path):
                raise SynapValidationError(f"{option} {target} is {name}; choose another file")
        if not _ours_or_absent(target, header):
            raise SynapValidationError(
                f"{option} {target} exists and was not written by synap-sync; it was left untouched. "
                "Choose another file, or remove it"
            )
        protected[option] = target


def _same_file(one: str, other: str) -> bool:
    try:
        return os.path.samefile(one, other)
    except OSError:
        return os.path.abspath(one) == os.path.abspath(other)


def _ours_or_absent(path: str, header: bytes) -> bool:
    try:
        with open(path, "rb") as existing:
            start = existing.read(len(header))
    except OSError:
        return True  # absent, or unreadable: writing it will fail then, and say so
    return not start or start == header


def dry_run(stream: IO[bytes]) -> int:
    total = bad = 0
    for number, raw in read_lines(stream):
        total += 1
        try:
            parse_line(number, raw)
        except SynapValidationError as error:
            bad += 1
            print(error.message, file=sys.stderr)
    print(f"dry run: {total} lines checked, {total - bad} valid, {bad} invalid; nothing sent")
    return EXIT_USAGE if bad else EXIT_OK


def estimate(args: argparse.Namespace, stream: IO[bytes]) -> int:
    """Check every line and price the valid ones (one memories_ingested unit each); nothing is sent."""
    total = valid = 0
    for number, raw in read_lines(stream):
        total += 1
        try:
            parse_line(number, raw)
            valid += 1
        except SynapValidationError as error:
            print(error.message, file=sys.stderr)
    with connect(args) as client:
        quote = client.credits.estimate(metric_type="memories_ingested", units=valid, item_count=valid)
        balance = client.credits.get_balance()
    print(
        f"estimate: {valid} of {total} lines valid; about {quote.credits_estimate:g} credits "
        f"(memories_ingested), balance {balance.balance_credits:g}; nothing sent"
    )
    return EXIT_OK


def _failure_reason(outcome: IngestOutcome) -> str:
    """Why a line failed, as its failures-file entry says it: a refused field as ``field: reason``
    (the line number says where, so no ``documents[i]``), anything else as the run reported it."""
    error = outcome.error
    if outcome.kind == "invalid" and isinstance(error, SynapValidationError) and error.errors:
        _, field, reason = error.errors[0]
        return f"{field}: {reason}" if field else reason
    return outcome.error_message or "failed"


class IngestRun:
    """Feeds a JSON Lines stream to the bulk engine and maps every outcome back to its line.

    Every line read ends as one of: succeeded, not sent (the run stopped first: no failure, running the
    same command again sends it) or failed (refused or failed for good: it goes to the failures file).
    """

    def __init__(self, client: SynapClient, stream: IO[bytes], options: Dict[str, Any]) -> None:
        self.client = client
        self.stream = stream
        self.options = options
        self.total = 0
        self.failures: List[Failure] = []
        self.not_sent = 0
        #: What the engine counted (lines that were not JSON never reach it).
        self.report = IngestReport()
        #: Lines handed to the engine and not yet settled, by input index: (line number, bytes).
        self.pending: Dict[int, Tuple[int, bytes]] = {}

    def documents(self) -> Iterator[Any]:
        """Parsed lines; one that is not UTF-8 JSON is a failure of its own, never sent."""
        index = 0
        for number, raw in read_lines(self.stream):
            self.total += 1
            try:
                document = parse_document(number, raw)
            except SynapValidationError as error:
                self.failures.append((number, error.errors[0][2], raw))
                continue
            self.pending[index] = (number, raw)
            index += 1
            yield document

    def ingest(self) -> None:
        engine = self.client.memories.ingest_iter(self.documents(), **self.options)
        self.report = engine.report
        try:
            for outcome in engine:
                self._settle(outcome)
        finally:
            engine.close()
            for outcome in engine.settled_after_stop:  # settled while the run wound down
                self._settle(outcome)
            self.not_sent += len(self.pending)  # read, but never sent: the run stopped first
            self.pending.clear()

    def _settle(self, outcome: IngestOutcome) -> None:
        number, raw = self.pending.pop(outcome.index)
        if outcome.not_sent:
            self.not_sent += 1
        elif not outcome.ok:
            self.failures.append((number, _failure_reason(outcome), raw))

    @property
    def succeeded(self) -> int:
        return self.total - self.not_sent - len(self.failures)

    def summary(self) -> str:
        report = self.report
        return (
            f"total {self.total}, succeeded {self.succeeded}, not sent {self.not_sent}, failed {len(self.failures)}; "
            f"new {report.new}, already stored {report.already_stored}, deduplicated {report.deduplicated}, "
            f"resumed {report.resumed}"
        )


def summarise(args: argparse.Namespace, run: IngestRun) -> int:
    failures = sorted(run.failures)
    print(run.summary())
    if run.not_sent:
        print(
            f"synap-sync: {run.not_sent} lines were not sent (the run stopped first); they are no failures: "
            "run the same command again to send them",
            file=sys.stderr,
        )
    if args.report:
        try:
            with open(args.report, "w", encoding="utf-8") as page:
                page.write(run.report.to_html())
            print(f"report written to {args.report}", file=sys.stderr)
        except OSError as error:
            print(f"synap-sync: cannot write the report {args.report} ({error.strerror or error})", file=sys.stderr)
    if not failures:
        return EXIT_OK
    for number, reason, _ in failures[:20]:
        print(f"  line {number}: {reason}", file=sys.stderr)
    keep_failures(failures_path(args), failures)
    return EXIT_PARTIAL


# --- status --------------------------------------------------------------------------------------


def run_status(args: argparse.Namespace) -> int:
    with connect(args) as client:
        if args.wait:
            current = client.memories.wait_for_completion(
                args.ingestion_id, timeout_seconds=args.timeout, poll_interval_seconds=args.poll_interval
            )
        else:
            current = client.memories.status(args.ingestion_id)
    fields: Dict[str, Any] = {
        "ingestion_id": str(current.ingestion_id),
        "document_id": current.document_id,
        "status": str(current.status),
        "memories_created": current.memories_created,
        "error_message": current.error_message,
    }
    print(json.dumps(fields))
    return EXIT_OK


# --- forget and credits --------------------------------------------------------------------------


def run_forget(args: argparse.Namespace) -> int:
    with connect(args) as client:
        if args.description is not None:
            mode = "direct" if args.direct else "preview"
            result = client.memories.forget(
                args.description, user_id=args.user_id, customer_id=args.customer_id, mode=mode
            )
            print(
                json.dumps(
                    {
                        "status": result.status,
                        "request_id": result.request_id,
                        "matched": [candidate.content for candidate in result.candidates],
                        "deleted_ids": result.deleted_ids,
                        "still_present_in": result.still_present_in,
                    }
                )
            )
            return EXIT_OK
        deletion = client.data.delete(
            "user",
            user_id=args.user_id,
            customer_id=args.customer_id,
            dry_run=not args.yes,
            confirm=args.user_id if args.yes else None,
        )
        print(
            json.dumps(
                {
                    "status": deletion.status,
                    "deletion_id": deletion.deletion_id,
                    "counts": deletion.counts,
                    "fully_removed": deletion.fully_removed,
                }
            )
        )
        if not args.yes:
            print("dry run: nothing was deleted; add --yes to delete", file=sys.stderr)
    return EXIT_OK


def run_transcript(args: argparse.Namespace) -> int:
    try:
        with open(args.path, "rb") as source:
            text = source.read().decode("utf-8")
        turns: Any = json.loads(text) if args.path.endswith(".json") else text
    except (OSError, ValueError) as error:
        print(f"synap-sync: cannot read {args.path}: {error}", file=sys.stderr)
        return EXIT_USAGE
    with connect(args) as client:
        reply = client.conversation.ingest_transcript(
            args.conversation_id,
            args.user_id,
            turns,
            customer_id=args.customer_id,
            conversation_type=args.conversation_type,
            started_at=args.started_at,
            ended_at=args.ended_at,
        )
    print(
        json.dumps(
            {
                "status": reply.status,
                "ingestion_id": str(reply.ingestion_id),
                "conversation_id": reply.conversation_id,
                "turns_recorded": reply.turns_recorded,
                "warnings": reply.warnings,
            }
        )
    )
    return EXIT_OK


def run_credits(args: argparse.Namespace) -> int:
    with connect(args) as client:
        balance = client.credits.get_balance()
    print(json.dumps({"balance_credits": balance.balance_credits, "warning_low": balance.warning_low}))
    return EXIT_OK


# --- demo ----------------------------------------------------------------------------------------


def run_demo(args: argparse.Namespace) -> int:
    from .emulator import Emulator

    sample = os.path.join(os.path.dirname(__file__), "data", "sample_conversations.jsonl")
    with Emulator(completion_seconds=1.0) as emulator:
        print(f"started a local Synap emulator at {emulator.base_url} (nothing leaves this machine)")
        with SynapClient(api_key="synap_demo_key", base_url=emulator.base_url) as client, open(sample, "rb") as stream:
            run = IngestRun(client, stream, {"workers": 4})
            run.ingest()
            total, failures = run.total, run.failures
            print(f"ingested {total} sample conversations: {total - len(failures)} queued, {len(failures)} failed")
            ingestion_ids = emulator.ingestion_ids()
            print(f"the emulator holds {len(ingestion_ids)} documents; waiting for the first three ingestions:")
            for ingestion_id in ingestion_ids[:3]:
                status = client.memories.wait_for_completion(ingestion_id, poll_interval_seconds=0.2)
                print(f"  {status.ingestion_id}  {status.status}  memories_created={status.memories_created}")
    print(run.summary())
    return EXIT_OK if not failures else EXIT_PARTIAL
