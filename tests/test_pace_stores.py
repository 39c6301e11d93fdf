"""The stores a key's pace is kept in: the host file (private, never the key, one lock per process even
after a fork, a folder it cannot use gives way to this process's pace with one warning) and the fallback
between stores."""

from __future__ import annotations

import fcntl
import logging
import os
import stat
import time
import uuid
from pathlib import Path
from typing import Any, List

import pytest

from synap_sync import SynapClient
from synap_sync._clock import SYSTEM_CLOCK
from synap_sync._pace_stores import (
    FallbackStore,
    FileStore,
    LocalStore,
    StoreUnavailable,
    _fallback,
    open_store,
    pace_name,
)
from synap_sync._pace_stores._file import STALE_SECONDS, runtime_directory
from synap_sync._pace_stores._record import PaceRecord

KEY = "synap_live_k3y_that_must_never_show"


def exit_code(status: int) -> int:
    """A child's exit code from ``os.waitpid``'s status (``os.waitstatus_to_exitcode`` is 3.9+)."""
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1


def learned(store: Any, rate: float = 12.5) -> None:
    """Leave ``store`` holding a pace learned at ``rate`` (as a 429 would have taught it)."""

    def teach(record: PaceRecord, now: float) -> None:
        record.rate = rate
        record.marks = [(now, rate)]

    store.update(teach)


def test_a_second_store_on_the_same_file_reads_what_the_first_learned(tmp_path: Path) -> None:
    name = pace_name("https://synap.example", KEY, None)
    first, second = FileStore(str(tmp_path), name), FileStore(str(tmp_path), name)
    assert not first.quiet() and not second.quiet()  # a new pace opens with a few sends at a time
    first.update(lambda record, now: setattr(record, "opened", 1.0))
    assert first.quiet() and second.quiet()  # read from the shared map, without the lock
    learned(first)
    assert not second.quiet() and second.update(lambda record, now: record.rate) == 12.5
    first.close()
    second.close()


def test_the_file_and_its_folder_are_private_and_never_hold_the_key(tmp_path: Path) -> None:
    folder = tmp_path / "pace"
    name = pace_name("https://synap.example", KEY, None)
    store = FileStore(str(folder), name)
    learned(store)
    store.close()
    (path,) = folder.iterdir()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert KEY not in path.name and KEY[6:14] not in path.name
    content = path.read_bytes()
    assert KEY.encode() not in content and KEY[6:14].encode() not in content and len(content) < 1024


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can run a process as another user")
def test_another_user_can_neither_read_nor_write_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "pace"
    store = FileStore(str(folder), pace_name("https://synap.example", KEY, None))
    learned(store)
    os.chmod(tmp_path, 0o755)  # the way to the folder is open: the folder and file modes alone keep others out
    pid = os.fork()
    if pid == 0:  # the child becomes nobody and tries both
        code = 0
        try:
            os.setgid(65534)
            os.setuid(65534)
            for mode in (os.O_RDONLY, os.O_WRONLY):
                try:
                    os.close(os.open(store.path, mode))
                    code = 1
                except PermissionError:
                    pass
            try:
                os.listdir(folder)
                code = 1
            except PermissionError:
                pass
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    store.close()
    assert exit_code(status) == 0


def test_a_forked_child_locks_the_file_apart_from_its_parent(tmp_path: Path) -> None:
    """flock belongs to an open file: a child using its parent's would take the lock its parent holds."""
    store = FileStore(str(tmp_path), pace_name("https://synap.example", KEY, None))
    learned(store)
    told, tell = os.pipe()
    fcntl.flock(store._fd, fcntl.LOCK_EX)  # the parent is in the middle of a change
    pid = os.fork()
    if pid == 0:
        code = 3
        try:
            try:
                fcntl.flock(store._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                os.write(tell, b"took the parent's lock")  # two processes would change the record at once
            except BlockingIOError:
                os.write(tell, b"waits")
            code = 0 if store.update(lambda record, now: record.rate) == 12.5 else 2
        finally:
            os._exit(code)
    try:
        tried = os.read(told, 100)  # the parent holds its lock until the child has tried to take it
    finally:
        fcntl.flock(store._fd, fcntl.LOCK_UN)
        _, status = os.waitpid(pid, 0)
        store.close()
    assert tried == b"waits" and exit_code(status) == 0  # and then it read what the parent learned


def test_a_folder_others_can_write_or_that_cannot_be_made_leaves_each_process_its_own_pace(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    open_to_all = tmp_path / "shared"
    open_to_all.mkdir()
    os.chmod(open_to_all, 0o777)
    impossible = f"/proc/synap-sync-{uuid.uuid4().hex}"
    caplog.set_level(logging.WARNING, logger="synap_sync")
    for url in (f"file://{open_to_all}", f"file://{impossible}"):
        for base_url in ("https://a.synap.example", "https://b.synap.example"):
            store = open_store(url, pace_name(base_url, KEY, None))
            assert isinstance(store, LocalStore) and store.description == "this process"
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 2  # one for each folder, however many paces meet it
    assert "others can write in it" in warnings[0] and impossible in warnings[1]
    assert all("each process keeps its own" in warning and KEY not in warning for warning in warnings)


def test_without_a_setting_the_pace_is_kept_in_the_users_runtime_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("SYNAP_PACE_URL")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    caplog.set_level(logging.INFO, logger="synap_sync")
    with SynapClient(api_key=KEY, base_url="https://runtime.synap.example") as client:
        status = client.pace()
        assert client.pace_url is None
    folder = tmp_path / "synap-sync"
    (path,) = folder.iterdir()
    assert status.store == f"the host file {path}" and runtime_directory() == str(folder)
    said = [record.getMessage() for record in caplog.records if "is kept in" in record.getMessage()]
    assert said == [f"the pace for https://runtime.synap.example is kept in the host file {path}"]


def test_pace_files_nobody_used_for_a_week_are_swept_when_a_process_first_opens_the_folder(tmp_path: Path) -> None:
    old, recent = tmp_path / "pace-old", tmp_path / "pace-recent"
    for path in (old, recent):
        path.write_bytes(PaceRecord().pack())
        path.chmod(0o600)
    long_ago = time.time() - STALE_SECONDS - 60
    os.utime(old, (long_ago, long_ago))
    tmp_path.chmod(0o700)
    store = FileStore(str(tmp_path), "fresh")
    store.close()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["pace-fresh", "pace-recent"]


class Flaky:
    """A shared store that can be switched off, as Redis going down and coming back."""

    description = "the shared store"

    def __init__(self) -> None:
        self.up = True
        self.inner = LocalStore(SYSTEM_CLOCK)

    def update(self, change: Any) -> Any:
        if not self.up:
            raise StoreUnavailable("connection refused")
        return self.inner.update(change)

    def quiet(self) -> bool:
        return self.inner.quiet()

    def now(self) -> float:
        return self.inner.now()

    def wait_for_change(self, seconds: float) -> None:
        self.inner.wait_for_change(seconds)

    def close(self) -> None:
        self.inner.close()


def test_a_store_that_goes_down_is_left_with_one_warning_and_taken_again_when_it_is_back(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(_fallback, "RETRY_SECONDS", 0.0)
    caplog.set_level(logging.INFO, logger="synap_sync")
    shared = Flaky()
    backups: List[LocalStore] = []

    def backup() -> LocalStore:
        backups.append(LocalStore(SYSTEM_CLOCK))
        return backups[-1]

    store = FallbackStore(shared, backup)
    learned(store, 10.0)
    shared.up = False
    for _ in range(5):
        assert store.update(lambda record, now: "done") == "done"  # nothing fails for it
    assert not store.shared and store.description == "this process (the shared store cannot be reached)"
    shared.up = True
    assert store.update(lambda record, now: record.rate) == 10.0 and store.shared
    messages = [(record.levelname, record.getMessage()) for record in caplog.records]
    assert [level for level, _ in messages] == ["WARNING", "INFO"] and len(backups) == 1
    assert "connection refused" in messages[0][1] and "pacing on this process" in messages[0][1]
