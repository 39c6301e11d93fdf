"""The pace in a file every process of the user on this host shares: the default, with no setting and no
infrastructure. A gunicorn fleet, Celery's prefork workers and a cron job beside the web app then pace as
one, and a process that starts (a reload, a new worker) begins at the rate the others learned.

The file lives in the user's runtime directory (``$XDG_RUNTIME_DIR/synap-sync``, else a private
``synap-sync-<uid>`` folder in the temporary directory): the folder is 0700 and the file 0600, so another
user can neither read nor write it. Each change happens under an OS lock (``flock``) and a thread lock;
a key that was never throttled is seen as such from a shared memory map, with no lock at all. Times are
the machine's monotonic clock, the same in every process; a file from an earlier boot is read as new.
"""

from __future__ import annotations

import mmap
import os
import stat
import struct
import tempfile
import threading
import time
import weakref
from typing import Callable, Set, TypeVar

from .._clock import SYSTEM_CLOCK
from ._record import MARKS_OFFSET, OPENED_OFFSET, RATE_OFFSET, RECORD_SIZE, PaceRecord

try:
    import fcntl
except ImportError:  # Windows: no flock; each process keeps its own pace there
    fcntl = None  # type: ignore[assignment]

__all__ = ["FileStore", "StoreUnavailable", "runtime_directory"]

Result = TypeVar("Result")

#: A pace file nobody changed for this long is removed when a new one is made beside it.
STALE_SECONDS = 7 * 24 * 3600.0
_NUMBER = struct.Struct("<d")


class StoreUnavailable(Exception):
    """A shared store cannot be used (a read-only or foreign folder, Redis down, no redis-py)."""


def runtime_directory() -> str:
    """The user's runtime directory for pace files: private to the user, emptied at logout or reboot."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    if base and os.path.isdir(base):
        return os.path.join(base, "synap-sync")
    return os.path.join(tempfile.gettempdir(), f"synap-sync-{os.getuid()}")


def _boot() -> float:
    """Which boot of the machine this is: a host file's times are since it."""
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as source:
            return float(int(source.read().replace("-", "")[:12], 16))
    except (OSError, ValueError):
        return float(round(time.time() - time.monotonic(), -1))  # when the machine started, near enough


class FileStore:
    """One key's pace in ``directory``/pace-``name``, shared by every process of the user on the host."""

    def __init__(self, directory: str, name: str) -> None:
        if fcntl is None:
            raise StoreUnavailable("this platform has no file locks")
        self.path = os.path.join(directory, f"pace-{name}")
        self.description = f"the host file {self.path}"
        self.clock = SYSTEM_CLOCK
        self.boot = _boot()
        self._fd = -1
        try:
            _private_directory(directory)
        except OSError as error:  # said of the folder: one warning for every pace it cannot hold
            raise StoreUnavailable(f"{directory}: {error.strerror or error}") from None
        self._open()
        _LIVE.add(self)
        _sweep_once(directory)

    def _open(self) -> None:
        """Open the file (made if new) and map it; a forked child does it again, as a lock on the parent's
        open file would be the parent's too."""
        self._lock = threading.Lock()
        try:
            self._fd = _private_file(self.path)
        except OSError as error:
            raise StoreUnavailable(f"{self.path}: {error.strerror or error}") from None
        try:
            if os.fstat(self._fd).st_size < RECORD_SIZE:  # new: its first record is written under the lock
                self._ensure_record()
            self._map = mmap.mmap(self._fd, RECORD_SIZE, prot=mmap.PROT_READ)
        except (OSError, ValueError) as error:
            os.close(self._fd)
            self._fd = -1
            raise StoreUnavailable(f"{self.path}: {getattr(error, 'strerror', None) or error}") from None

    def _ensure_record(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            if os.fstat(self._fd).st_size < RECORD_SIZE:
                os.pwrite(self._fd, PaceRecord(self.boot).pack(), 0)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def update(self, change: Callable[[PaceRecord, float], Result]) -> Result:
        with self._lock:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            except (OSError, ValueError) as error:
                raise StoreUnavailable(f"{self.path}: {getattr(error, 'strerror', None) or error}") from None
            try:
                data = os.pread(self._fd, RECORD_SIZE, 0)
                record = PaceRecord.unpack(data, self.boot)
                result = change(record, self.clock.now())
                changed = record.pack()
                if changed != data:
                    os.pwrite(self._fd, changed, 0)
                return result
            except OSError as error:
                raise StoreUnavailable(f"{self.path}: {error.strerror or error}") from None
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def quiet(self) -> bool:
        """Past the opening, never paced nor throttled, read from the shared map without a lock: a torn
        read at worst lets one more request go unpaced, which its answer then paces."""
        try:
            return (
                _NUMBER.unpack_from(self._map, OPENED_OFFSET)[0] != 0.0
                and _NUMBER.unpack_from(self._map, RATE_OFFSET)[0] == 0.0
                and self._map[MARKS_OFFSET] == 0
            )
        except ValueError:  # closed: its update says why
            return False

    def now(self) -> float:
        return self.clock.now()

    def wait_for_change(self, seconds: float) -> None:
        time.sleep(min(max(seconds, 0.0), 0.02))

    def close(self) -> None:
        fd, self._fd = self._fd, -1
        try:
            self._map.close()
            if fd >= 0:
                os.close(fd)
        except (OSError, ValueError, AttributeError):
            pass

    def __del__(self) -> None:
        self.close()

    def _reopen_in_child(self) -> None:
        if self._fd < 0:
            return
        self.close()
        try:
            self._open()
        except StoreUnavailable:
            pass  # its next update says so, and its caller falls back


#: Every file store open in this process, so a forked child opens each file again.
_LIVE: "weakref.WeakSet[FileStore]" = weakref.WeakSet()


def _reopen_in_child() -> None:
    for store in list(_LIVE):
        store._reopen_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reopen_in_child)


def _private_directory(directory: str) -> None:
    """Make ``directory`` (0700), or make sure the one there is this user's own and nobody else can write it."""
    try:
        os.mkdir(directory, 0o700)
    except FileExistsError:
        pass
    info = os.lstat(directory)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise OSError(0, "not a folder of this user's")
    if info.st_mode & 0o022:  # others could replace the files in it (reading its names shows only hashes)
        raise OSError(0, "others can write in it")


def _private_file(path: str) -> int:
    """The pace file, opened (made 0600 if new), this user's own and private; never through a symlink."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0), 0o600)
    info = os.fstat(fd)
    if info.st_uid != os.getuid() or not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise OSError(0, f"{path} is not a file of this user's")
    if info.st_mode & 0o077:
        os.fchmod(fd, 0o600)
    return fd


_SWEPT: Set[str] = set()


def _sweep_once(directory: str) -> None:
    """Remove the pace files of keys nobody used for a week (an emulator's ports, old keys), once a process."""
    if directory in _SWEPT:
        return
    _SWEPT.add(directory)
    cutoff = time.time() - STALE_SECONDS
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        path = os.path.join(directory, name)
        try:
            if name.startswith("pace-") and os.lstat(path).st_mtime < cutoff:
                os.unlink(path)
        except OSError:
            continue
