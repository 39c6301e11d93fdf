"""The files ``ingest`` writes beside its input: the failures file (fix it, ingest it) and the HTML report;
never over the input, the journal, each other, or a file this command did not write."""

from __future__ import annotations

import os
import sys
import tempfile
from typing import Dict, List, Optional, Tuple

from ..bulk import HTML_PAGE_START
from ..errors import SynapValidationError

#: A line that could not become an acknowledged document: (line number, reason, the line's bytes as read,
#: or None for a line too long to be read).
Failure = Tuple[int, str, Optional[bytes]]

#: How each file this command writes begins: a file there that begins otherwise is not ours to replace.
FAILURES_HEADER = b"# synap-sync failures"
REPORT_HEADER = HTML_PAGE_START.encode("utf-8")


def failures_path(path: str, failures: Optional[str]) -> str:
    if failures:
        return str(failures)
    return "synap-sync-stdin.failed.jsonl" if path == "-" else f"{path}.failed.jsonl"


def check_outputs(
    source: Optional[str], journal: Optional[str], failures: str, report: Optional[str]
) -> None:
    """Refuse, before reading anything, to write the failures file or the report over the input, the
    journal, each other, or a file that this command did not write."""
    protected: Dict[str, Optional[str]] = {"the input": source, "the journal": journal}
    outputs = [("--failures", failures, FAILURES_HEADER)]
    if report:
        outputs.append(("--report", report, REPORT_HEADER))
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


def write_failures(path: str, failures: List[Failure]) -> None:
    """Failed lines verbatim, each after a comment with its number and reason: fix, then re-run. A line too
    long to read is named by its comment alone."""
    with open(path, "wb") as stream:
        stream.write(FAILURES_HEADER + b": fix the lines below and run `synap-sync ingest` on this file\n")
        for number, reason, raw in failures:
            stream.write(f"# line {number}: {reason}\n".encode("utf-8"))
            if raw is not None:
                stream.write(raw + b"\n")


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
        text = "" if raw is None else "\n" + raw.decode("utf-8", "replace")
        print(f"# line {number}: {reason}{text}", file=sys.stderr)
