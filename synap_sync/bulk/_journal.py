"""A bulk run's durable memory: which chunks were sent, and which the service settled for good.

One JSON object per line, appended and fsynced before the engine goes on:

- a header with the settings that decide chunk boundaries (a resumed run must cut the same chunks);
- ``{"sent": n, "fingerprint": ..., "indices": [...]}`` *before* chunk ``n`` is sent;
- ``{"done": n, "failed": [[index, document_id, reason, kind], ...], "deduplicated": k,
  "already_stored": k}`` once every document of chunk ``n`` is acknowledged or refused for good.

A chunk with ``sent`` and no ``done`` was in flight when a run died: its outcome is unknown. A kill
mid-write leaves a torn last line, which loading drops.

A run holds its journal exclusively, by an OS lock on the open file: a second run on the same journal
(two cron runs overlapping) is refused at once instead of sending the same chunks again. The lock
goes with the process, so a crash or ``kill -9`` leaves nothing to clean up.
"""

from __future__ import annotations

import json
import os
import threading
from typing import IO, Any, Dict, List, Optional, Tuple

from ..errors import SynapJournalBusyError, SynapJournalError

try:
    import fcntl
except ImportError:  # Windows: no advisory locks here; one run per journal is then up to the caller
    fcntl = None  # type: ignore[assignment]

#: One refusal as journaled: (input index, document_id, reason, kind).
JournaledFailure = Tuple[int, Optional[str], str, str]

FORMAT = "synap-sync journal"
VERSION = 1


class ChunkRecord:
    """What the journal knows of one chunk."""

    __slots__ = ("fingerprint", "indices", "failed", "done", "deduplicated", "already_stored")

    def __init__(self, fingerprint: str, indices: List[int]) -> None:
        self.fingerprint = fingerprint
        self.indices = indices
        self.failed: List[JournaledFailure] = []
        self.done = False
        self.deduplicated = self.already_stored = 0


class Journal:
    """Opens (or creates) the journal at ``path`` for a run with ``settings``; thread-safe appends."""

    def __init__(self, path: str, settings: Dict[str, Any]) -> None:
        self.path = path
        self.chunks: Dict[int, ChunkRecord] = {}
        self._lock = threading.Lock()
        self._closed = False
        header = {"journal": FORMAT, "version": VERSION, **settings}
        try:
            if os.path.exists(path) and not _is_journal_or_empty(path):
                raise self._not_a_journal()
            self._file = open(path, "a", encoding="utf-8")
            try:
                _lock(self._file, path)
                existing = os.fstat(self._file.fileno()).st_size > 0
                if existing:
                    self._load(header)
                else:
                    self._append(header)
                    _fsync_directory(path)
            except BaseException:
                self._file.close()
                raise
        except OSError as error:
            raise SynapJournalError(
                f"cannot write the journal {path} ({error.strerror or error}): choose another place for it, "
                "or run without one",
                path=path,
            ) from None

    def _load(self, header: Dict[str, Any]) -> None:
        """Read an earlier run's records; a file that is not this run's journal is refused untouched."""
        with open(self.path, "rb") as stream:
            content = stream.read()
        complete = content[: content.rfind(b"\n") + 1]
        if not _is_journal_header(complete.split(b"\n", 1)[0]):
            raise self._not_a_journal()
        records = self._records(complete)
        if records[0].get("version") != VERSION:
            raise SynapJournalError(
                f"journal {self.path} was written in journal format version {records[0].get('version')!r}, and "
                f"this synap-sync reads version {VERSION}: finish that run with the synap-sync that wrote it, or "
                "delete the journal to start over",
                path=self.path,
            )
        if {key: records[0].get(key) for key in header} != header:
            raise SynapJournalError(
                f"journal {self.path} was written by a run with other settings ({_settings_text(records[0])}); "
                f"this run has {_settings_text(header)}. Use the same settings, or another journal path",
                path=self.path,
            )
        try:
            for record in records[1:]:
                self._replay(record)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise self._damaged("a record has the wrong shape") from None
        if len(complete) != len(content):
            with open(self.path, "r+b") as stream:  # drop the torn line a kill left behind
                stream.truncate(len(complete))

    def _records(self, complete: bytes) -> List[Dict[str, Any]]:
        try:
            records = [json.loads(line) for line in complete.decode("utf-8").splitlines()]
        except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
            raise self._damaged(str(error)) from None
        if not all(isinstance(record, dict) for record in records):
            raise self._damaged("a line is not a JSON object")
        return records

    def _not_a_journal(self) -> SynapJournalError:
        return SynapJournalError(
            f"{self.path} is not a synap-sync journal; it was left untouched. Give another journal path, "
            "or run without one",
            path=self.path,
        )

    def _damaged(self, reason: str) -> SynapJournalError:
        return SynapJournalError(
            f"journal {self.path} is damaged ({reason}); delete it to start over, or run without a journal",
            path=self.path,
        )

    def _replay(self, record: Dict[str, Any]) -> None:
        if "sent" in record:
            self.chunks[record["sent"]] = ChunkRecord(str(record["fingerprint"]), list(record["indices"]))
        elif "done" in record:
            chunk = self.chunks[record["done"]]
            chunk.failed = [_failure(*entry) for entry in record["failed"]]
            chunk.done = True
            chunk.deduplicated = int(record.get("deduplicated", 0))
            chunk.already_stored = int(record.get("already_stored", 0))

    def check(self, number: int, fingerprint: str, indices: List[int]) -> Optional[ChunkRecord]:
        """The journal's record of chunk ``number`` (None if never sent), once it matches the input."""
        record = self.chunks.get(number)
        if record is not None and (record.fingerprint != fingerprint or record.indices != indices):
            raise SynapJournalError(
                f"the input no longer matches journal {self.path} at chunk {number} (documents "
                f"{indices[0]} to {indices[-1]}): refusing to resume rather than skip the wrong documents. "
                "Restore the original input, or delete the journal to start over",
                path=self.path,
            )
        return record

    def sent(self, number: int, fingerprint: str, indices: List[int]) -> None:
        """Note chunk ``number`` as about to be sent."""
        self._append({"sent": number, "fingerprint": fingerprint, "indices": indices})

    def done(self, number: int, failed: List[JournaledFailure], deduplicated: int, already_stored: int) -> None:
        """Note every document of chunk ``number`` as settled."""
        entries = [list(failure) for failure in failed]
        self._append(
            {"done": number, "failed": entries, "deduplicated": deduplicated, "already_stored": already_stored}
        )

    def _append(self, record: Dict[str, Any]) -> None:
        line = json.dumps(record, separators=(",", ":")) + "\n"
        with self._lock:
            if self._closed:  # a worker still sending when the run returned: its chunk stays "in flight"
                return
            try:
                self._file.write(line)
                self._file.flush()
                os.fsync(self._file.fileno())
            except OSError as error:
                raise self._cannot_write(error) from None

    def _cannot_write(self, error: OSError) -> SynapJournalError:
        return SynapJournalError(
            f"cannot write the journal {self.path} ({error.strerror or error}); the run stopped, and what "
            "the service acknowledged is in the report. Make room, then run again: it resumes",
            path=self.path,
            mid_run=True,
        )

    def close(self) -> None:
        with self._lock:
            self._closed = True
            try:
                self._file.close()
            except OSError as error:  # the last buffered line could not be written
                raise self._cannot_write(error) from None


def journaled_chunks(path: str) -> Dict[int, ChunkRecord]:
    """The chunks the journal at ``path`` holds, read without taking it (its run may still hold it, or
    have died holding it); none for a missing, foreign or damaged journal."""
    try:
        with open(path, "rb") as stream:
            content = stream.read()
    except OSError:
        return {}
    complete = content[: content.rfind(b"\n") + 1]
    if not _is_journal_header(complete.split(b"\n", 1)[0]):
        return {}
    reader = object.__new__(Journal)
    reader.path, reader.chunks = path, {}
    try:
        for record in reader._records(complete)[1:]:
            reader._replay(record)
    except (SynapJournalError, KeyError, TypeError, ValueError, AttributeError):
        return {}
    return reader.chunks


def _lock(stream: IO[str], path: str) -> None:
    """Hold ``path`` for this run, or refuse at once if another run holds it."""
    if fcntl is None:
        return
    try:
        fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise SynapJournalBusyError(
            f"journal {path} is in use by another run (an earlier synap-sync ingest still going?); this run "
            "sent nothing. Wait for it to finish, or give this run another journal",
            path=path,
        ) from None


def _is_journal_or_empty(path: str) -> bool:
    """Whether the file at ``path`` may be opened for appending: empty, or a journal (by its first line)."""
    with open(path, "rb") as stream:
        first = stream.readline(64 * 1024)  # a header is short; a file without line breaks is not read whole
    return not first or _is_journal_header(first)


def _failure(index: int, document_id: Optional[str], reason: str, kind: str = "rejected") -> JournaledFailure:
    """A journaled refusal; journals written before failures had kinds hold three fields."""
    return (index, document_id, reason, kind)


def _is_journal_header(line: bytes) -> bool:
    try:
        header = json.loads(line)
    except (ValueError, RecursionError):
        return False
    return isinstance(header, dict) and header.get("journal") == FORMAT


def _settings_text(record: Dict[str, Any]) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in record.items() if key not in ("journal", "version"))


def _fsync_directory(path: str) -> None:
    """Make the new journal's directory entry durable too (a no-op where directories cannot be opened)."""
    try:
        descriptor = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
