"""``synap-sync ingest PATH``: a JSON Lines file (or standard input) into Synap, resumable, every line
accounted for; ``--dry-run`` checks it, ``--estimate`` prices it."""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import IO, Any, Dict, Iterator, List, Optional, Tuple

import attrs

from .._signals import Terminated, stop_on_sigterm
from ..bulk import IngestOptions, IngestOutcome, IngestReport
from ..client import SynapClient
from ..errors import SynapError, SynapJournalBusyError, SynapJournalError, SynapValidationError
from ._common import (
    EXIT_AUTH,
    EXIT_INTERRUPTED,
    EXIT_JOURNAL,
    EXIT_JOURNAL_BUSY,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_SERVICE,
    EXIT_TERMINATED,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    add_connection_arguments,
    complain,
    connect,
    exit_code_for,
)
from ._lines import MAX_LINE_BYTES, open_input, parse_document, parse_line, read_lines
from ._outputs import Failure, check_outputs, failures_path, keep_failures

NAME = "ingest"
SUMMARY = "send a JSON Lines file (or - for stdin) to Synap"
DESCRIPTION = "Each line is one CreateMemoryRequest object. Blank lines and lines starting with # are skipped."
EXIT_CODES = {
    EXIT_OK: "every document acknowledged, new or already stored (or, with --dry-run, every line valid)",
    EXIT_PARTIAL: "some documents failed; they are in the failures file (fix them, then ingest that file)",
    EXIT_USAGE: "usage error, unreadable input, a journal that does not match, or invalid lines with --dry-run",
    EXIT_AUTH: "the API key was refused",
    EXIT_UNREACHABLE: "the service (or a proxy on the way) could not be reached",
    EXIT_SERVICE: "any other service error",
    EXIT_JOURNAL_BUSY: "another run holds the journal (two runs on one journal); nothing was sent",
    EXIT_JOURNAL: "the journal could not be written during the run (a full disk?); make room and run again",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C); the partial summary is printed and the journal resumes the run",
    EXIT_TERMINATED: "terminated (SIGTERM); as for Ctrl-C: the same command resumes the run",
}


def add_arguments(ingest: argparse.ArgumentParser) -> None:
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
        "--max-line-bytes",
        type=int,
        default=MAX_LINE_BYTES,
        metavar="N",
        help=f"a longer line is refused without being read into memory (default: {MAX_LINE_BYTES})",
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


def run(args: argparse.Namespace) -> int:
    if args.max_line_bytes < 1:
        complain("--max-line-bytes must be at least 1")
        return EXIT_USAGE
    try:
        source = None if args.path == "-" else args.path
        check_outputs(source, journal_path(args), failures_path(args.path, args.failures), args.report)
    except SynapValidationError as error:
        complain(error.message)
        return EXIT_USAGE
    with contextlib.ExitStack() as opened:
        try:
            stream = opened.enter_context(open_input(args.path))
        except OSError as error:
            complain(f"cannot read {args.path}: {error.strerror or error}")
            return EXIT_USAGE
        if args.dry_run:
            return dry_run(stream, args.max_line_bytes)
        if args.estimate:
            return estimate(args, stream)
        with connect(args, pool_maxsize=max(10, args.workers)) as client, stop_on_sigterm():
            ingestion = IngestRun(client, stream, ingest_options(args), args.max_line_bytes)
            try:
                ingestion.ingest()
            except SynapError as error:
                return stopped(args, ingestion, error)
            except Terminated:
                complain("terminated (SIGTERM); run the same command again to resume")
                summarise(args, ingestion)
                return EXIT_TERMINATED
            except KeyboardInterrupt:
                complain("interrupted; run the same command again to resume")
                summarise(args, ingestion)
                return EXIT_INTERRUPTED
            except OSError as error:  # reading the input failed mid-run
                complain(f"cannot read {args.path}: {error.strerror or error}")
                summarise(args, ingestion)
                return EXIT_USAGE
    return summarise(args, ingestion)


def stopped(args: argparse.Namespace, ingestion: "IngestRun", error: SynapError) -> int:
    """An error ended the run: say why, then what it had done; the exit code is the error's."""
    complain(f"the run stopped: {error.message}")
    if isinstance(error, SynapJournalError) and not error.mid_run and not isinstance(error, SynapJournalBusyError):
        complain("--journal FILE puts the journal elsewhere; --no-journal keeps none")
    summarise(args, ingestion)
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


def dry_run(stream: IO[bytes], max_line_bytes: int) -> int:
    total = bad = 0
    for number, raw in read_lines(stream, max_line_bytes):
        total += 1
        try:
            parse_line(number, raw, max_line_bytes)
        except SynapValidationError as error:
            bad += 1
            print(error.message, file=sys.stderr)
    print(f"dry run: {total} lines checked, {total - bad} valid, {bad} invalid; nothing sent")
    return EXIT_USAGE if bad else EXIT_OK


def estimate(args: argparse.Namespace, stream: IO[bytes]) -> int:
    """Check every line and price the valid ones (one memories_ingested unit each); nothing is sent."""
    total = valid = 0
    for number, raw in read_lines(stream, args.max_line_bytes):
        total += 1
        try:
            parse_line(number, raw, args.max_line_bytes)
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

    def __init__(
        self, client: SynapClient, stream: IO[bytes], options: Dict[str, Any], max_line_bytes: int = MAX_LINE_BYTES
    ) -> None:
        self.client = client
        self.stream = stream
        self.options = options
        self.max_line_bytes = max_line_bytes
        self.total = 0
        self.failures: List[Failure] = []
        self.not_sent = 0
        #: What the engine counted (lines that were not JSON never reach it).
        self.report = IngestReport()
        #: Lines handed to the engine and not yet settled, by input index: (line number, bytes).
        self.pending: Dict[int, Tuple[int, bytes]] = {}

    def documents(self) -> Iterator[Any]:
        """Parsed lines; one that is too long, not UTF-8 or not JSON is a failure of its own, never sent."""
        index = 0
        for number, raw in read_lines(self.stream, self.max_line_bytes):
            self.total += 1
            try:
                document = parse_document(number, raw, self.max_line_bytes)
            except SynapValidationError as error:
                self.failures.append((number, error.errors[0][2], raw))
                continue
            assert raw is not None
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


def summarise(args: argparse.Namespace, ingestion: IngestRun) -> int:
    failures = sorted(ingestion.failures, key=lambda failure: failure[0])
    print(ingestion.summary())
    if ingestion.not_sent:
        complain(
            f"{ingestion.not_sent} lines were not sent (the run stopped first); they are no failures: "
            "run the same command again to send them"
        )
    if args.report:
        try:
            with open(args.report, "w", encoding="utf-8") as page:
                page.write(ingestion.report.to_html())
            print(f"report written to {args.report}", file=sys.stderr)
        except OSError as error:
            complain(f"cannot write the report {args.report} ({error.strerror or error})")
    if not failures:
        return EXIT_OK
    for number, reason, _ in failures[:20]:
        print(f"  line {number}: {reason}", file=sys.stderr)
    keep_failures(failures_path(args.path, args.failures), failures)
    return EXIT_PARTIAL
