"""``manage.py ingest_history FILE``: load a JSON Lines history into Synap, resumably, with progress."""

import json
from typing import Any, Dict, Iterator

from django.core.management.base import BaseCommand, CommandError, CommandParser

from synap_sync import IngestInterrupted, SynapError
from synap_sync.django import get_client


class Command(BaseCommand):
    help = "Send a JSON Lines file of conversations to Synap; run it again after a crash to resume."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="one JSON object per line: CreateMemoryRequest's fields")
        parser.add_argument("--journal", help="where to record progress (default: PATH.journal)")
        parser.add_argument("--workers", type=int, default=4)
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["path"]
        try:
            report = get_client().memories.ingest(
                _rows(path),
                workers=options["workers"],
                journal=options["journal"] or f"{path}.journal",
                progress=not options["no_progress"],
                derive_ids=True,  # chat exports seldom carry ids: a re-run must not store them twice
            )
        except IngestInterrupted as interrupted:
            raise CommandError(f"interrupted: {interrupted.report.summary()}; run again to resume") from None
        except SynapError as error:
            raise CommandError(f"the run stopped: {error}") from None
        self.stdout.write(report.summary())
        if report.failed:
            for failure in report.failures[:20]:
                self.stderr.write(f"line {failure.index + 1}: {failure.kind}: {failure.error_message}")
            raise CommandError(f"{report.failed} documents failed")


def _rows(path: str) -> Iterator[Dict[str, Any]]:
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)
