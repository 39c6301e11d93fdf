"""An upload's body, laid out as the official SDK (httpx) lays it out, streamed from the file a block at
a time: a 100 MB PDF never sits in memory.

A file goes as ``multipart/form-data`` (the form fields first, then the file part); text alone goes as
``application/x-www-form-urlencoded``. Either way the length is known before sending (Content-Length),
and each attempt gets a fresh body that starts again at the file's first byte.
"""

from __future__ import annotations

import io
import mimetypes
import os
import stat
from typing import IO, Any, Callable, List, Optional, Tuple, Union
from urllib.parse import urlencode

from .models import refuse

__all__ = ["Upload", "form_upload"]

#: Bytes read from the file per block.
BLOCK = 64 * 1024

Segment = Union[bytes, Tuple[IO[bytes], int, int]]


class _Body(io.RawIOBase):
    """One attempt's body: fixed bytes and a span of a file, read in order."""

    def __init__(self, segments: List[Segment], length: int) -> None:
        super().__init__()
        self._segments = list(segments)
        self._length = length

    def __len__(self) -> int:
        return self._length

    def readable(self) -> bool:
        return True

    def read(self, size: Optional[int] = -1) -> bytes:
        """Up to ``size`` bytes (at most one segment's worth); everything left when ``size`` is -1."""
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(BLOCK), b""))
        while self._segments:
            segment = self._segments[0]
            if isinstance(segment, bytes):
                piece, rest = segment[:size], segment[size:]
                if rest:
                    self._segments[0] = rest
                else:
                    self._segments.pop(0)
                if piece:
                    return piece
                continue
            stream, position, remaining = segment
            if remaining <= 0:
                self._segments.pop(0)
                continue
            stream.seek(position)
            piece = stream.read(min(size, remaining))
            if not piece:
                raise OSError(f"the file ended {remaining} bytes early: it changed while it was being sent")
            self._segments[0] = (stream, position + len(piece), remaining - len(piece))
            return piece
        return b""

    def readinto(self, buffer: Any) -> int:
        piece = self.read(len(buffer))
        buffer[: len(piece)] = piece
        return len(piece)


class Upload:
    """What the transport needs to send an upload: its content type and a body per attempt."""

    def __init__(self, content_type: str, segments: List[Segment], length: int, close: Callable[[], None]) -> None:
        self.content_type = content_type
        self._segments = segments
        self.length = length
        self.close = close

    def body(self) -> _Body:
        return _Body(self._segments, self.length)


def form_upload(
    fields: List[Tuple[str, str]],
    *,
    file_path: Optional[str] = None,
    file: Optional[IO[bytes]] = None,
    filename: Optional[str] = None,
    text: Optional[str] = None,
    max_bytes: Optional[int] = None,
) -> Upload:
    """The body for ``fields`` and one source; a source that cannot be read, or is over ``max_bytes``,
    is refused by name before anything is sent."""
    if text is not None:
        encoded = urlencode([*fields, ("text", text)]).encode("ascii")
        _check_size(len(text.encode("utf-8")), max_bytes, "text")
        return Upload("application/x-www-form-urlencoded", [encoded], len(encoded), lambda: None)
    close: Callable[[], None] = lambda: None  # noqa: E731
    if file_path is not None:
        stream: IO[bytes] = _open_regular(file_path)
        close = stream.close
        name = os.path.basename(os.fspath(file_path))
    else:
        stream = file  # type: ignore[assignment]
        name = filename or "upload"
    try:
        _refuse_special(stream, "file")
        start, size = _span(stream, "file_path" if file_path is not None else "file")
        _check_size(size, max_bytes, "file_path" if file_path is not None else "file")
    except BaseException:
        close()
        raise
    boundary = os.urandom(16).hex()
    head = b"".join(
        b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
        % (boundary.encode(), _quote(key), value.encode("utf-8"))
        for key, value in fields
    )
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    head += b'--%s\r\nContent-Disposition: form-data; name="file"; filename="%s"\r\nContent-Type: %s\r\n\r\n' % (
        boundary.encode(),
        _quote(name),
        content_type.encode("ascii"),
    )
    tail = b"\r\n--%s--\r\n" % boundary.encode()
    segments: List[Segment] = [head, (stream, start, size), tail]
    return Upload(f"multipart/form-data; boundary={boundary}", segments, len(head) + size + len(tail), close)


def _open_regular(path: str) -> IO[bytes]:
    """Open a regular file without waiting: a FIFO would block the open until a writer came, a device
    (``/dev/zero``) has no end and no length, a directory no content."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as error:
        raise refuse("file_path", f"cannot be read: {error.strerror or error} ({path})") from None
    try:
        _refuse_unless_regular(os.fstat(descriptor).st_mode, "file_path", f" ({path})")
        if hasattr(os, "set_blocking"):
            os.set_blocking(descriptor, True)
    except BaseException:
        os.close(descriptor)
        raise
    return os.fdopen(descriptor, "rb")


def _refuse_special(stream: Any, field: str) -> None:
    """Refuse a file object over anything but a regular file (a pipe, a socket, a device)."""
    try:
        mode = os.fstat(stream.fileno()).st_mode
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return  # an in-memory file (BytesIO) has no descriptor: it is data, not a special file
    _refuse_unless_regular(mode, field, "")


def _refuse_unless_regular(mode: int, field: str, where: str) -> None:
    if not stat.S_ISREG(mode):
        kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
        raise refuse(field, f"must be a regular file; this is {kind}{where}")


_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def _span(stream: Any, field: str) -> Tuple[int, int]:
    """Where the file's unread bytes start, and how many there are (without reading them)."""
    if not hasattr(stream, "read") or not hasattr(stream, "seek") or not hasattr(stream, "tell"):
        raise refuse(field, "must be a binary file object that can seek (open(path, 'rb')), or pass file_path")
    try:
        start = stream.tell()
        end = stream.seek(0, os.SEEK_END)
        stream.seek(start)
        probe = stream.read(0)
    except (OSError, ValueError) as error:
        raise refuse(field, f"cannot be read and rewound: {error}") from None
    if not isinstance(probe, bytes):
        raise refuse(field, "must be opened in binary mode ('rb'), not text")
    return start, end - start


def _check_size(size: int, max_bytes: Optional[int], field: str) -> None:
    if max_bytes is not None and size > max_bytes:
        raise refuse(field, f"is {size} bytes, over max_bytes={max_bytes}")


def _quote(value: str) -> bytes:
    """A form field or file name inside quotes, as httpx writes it."""
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A").encode("utf-8")
