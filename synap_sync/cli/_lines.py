"""Reading what the commands are given: JSON Lines a line at a time (a byte order mark dropped, blanks and
``#`` comments skipped, each line bounded in size and parsed alone), and whole text files the same way."""

from __future__ import annotations

import contextlib
import json
import sys
from typing import IO, Any, Iterator, Optional, Tuple

from ..errors import SynapValidationError
from ..models import CreateMemoryRequest

#: A line (or a text file) longer than this is refused without being read into memory: no request body
#: could carry it. ``--max-line-bytes`` changes it.
MAX_LINE_BYTES = 32 * 1024 * 1024
BOM = b"\xef\xbb\xbf"
#: What is read at a time while skipping through a line that is too long.
_SKIP_BYTES = 1 << 20

#: One numbered line as read: its bytes, or None for a line over the size bound (not read).
Line = Tuple[int, Optional[bytes]]


def read_lines(stream: IO[bytes], max_bytes: int = MAX_LINE_BYTES) -> Iterator[Line]:
    """Numbered lines worth reading, as bytes: blanks and ``#`` comments are skipped, a UTF-8 byte order
    mark before the first line is dropped. A line over ``max_bytes`` comes as None, having been skipped
    through a megabyte at a time, never held whole. Decoding is per line: one bad line spoils only itself."""
    number = 0
    while True:
        line = stream.readline(max_bytes + 1)
        if not line:
            return
        number += 1
        if len(line) > max_bytes and not line.endswith(b"\n"):
            _skip_rest_of_line(stream)
            yield number, None
            continue
        if number == 1 and line.startswith(BOM):
            line = line[len(BOM) :]
        raw = line.rstrip(b"\r\n")
        text = raw.strip()
        if text and not text.startswith(b"#"):
            yield number, raw


def _skip_rest_of_line(stream: IO[bytes]) -> None:
    while True:
        piece = stream.readline(_SKIP_BYTES)
        if not piece or piece.endswith(b"\n"):
            return


def too_long(max_bytes: int) -> str:
    return f"longer than {max_bytes} bytes, so not read (--max-line-bytes sets the bound)"


def decoded(data: bytes) -> str:
    """UTF-8 text, a byte order mark dropped; text that is not UTF-8 is a `SynapValidationError` saying where."""
    if data.startswith(BOM):
        data = data[len(BOM) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        reason = f"not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start})"
        raise SynapValidationError(reason, errors=[(None, "text", reason)]) from None


def parsed_json(text: str) -> Any:
    """JSON text parsed; JSON nested too deeply to parse is refused as such, never a traceback."""
    try:
        return json.loads(text)
    except RecursionError:
        raise SynapValidationError("not readable JSON: nested too deeply") from None
    except ValueError as error:
        raise SynapValidationError(f"not valid JSON ({error})") from None


def parse_document(number: int, raw: Optional[bytes], max_bytes: int = MAX_LINE_BYTES) -> Any:
    """One line's JSON; raises SynapValidationError naming the line for a line too long, text that is not
    UTF-8, or not JSON."""
    try:
        if raw is None:
            raise SynapValidationError(too_long(max_bytes))
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise SynapValidationError(
                f"not UTF-8 text (byte 0x{raw[error.start]:02x} at column {error.start + 1})"
            ) from None
        return parsed_json(text)
    except SynapValidationError as error:
        raise SynapValidationError(f"line {number}: {error.message}", errors=[(None, "line", error.message)]) from None


def parse_line(number: int, raw: Optional[bytes], max_bytes: int = MAX_LINE_BYTES) -> CreateMemoryRequest:
    """One line to a checked request; raises SynapValidationError naming the line and field."""
    data = parse_document(number, raw, max_bytes)
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
