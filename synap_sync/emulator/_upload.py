"""Reading an upload's form as the service would: multipart (a file) or urlencoded (text), by hand,
without the client's code."""

from __future__ import annotations

import urllib.parse
from typing import Dict, Optional, Tuple

#: What the emulator keeps of an uploaded file (it makes a memory of the text, not an archive).
KEPT_BYTES = 64 * 1024

Form = Tuple[Dict[str, str], Optional[Tuple[str, bytes, int]]]


def parse_form(content_type: str, body: bytes) -> Optional[Form]:
    """The fields, and the file part as (filename, its first KEPT_BYTES, its size); None if unreadable."""
    kind, _, parameters = content_type.partition(";")
    kind = kind.strip().lower()
    if kind == "application/x-www-form-urlencoded":
        try:
            return dict(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True)), None
        except UnicodeDecodeError:
            return None
    if kind != "multipart/form-data":
        return None
    boundary = ""
    for parameter in parameters.split(";"):
        name, _, value = parameter.strip().partition("=")
        if name.lower() == "boundary":
            boundary = value.strip('"')
    if not boundary:
        return None
    fields: Dict[str, str] = {}
    file: Optional[Tuple[str, bytes, int]] = None
    delimiter = b"--" + boundary.encode("latin-1")
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        head, separator, content = part.partition(b"\r\n\r\n")
        if not separator:
            return None
        content = content[:-2] if content.endswith(b"\r\n") else content
        disposition = {}
        for line in head.decode("latin-1").split("\r\n"):
            if line.lower().startswith("content-disposition:"):
                for item in line.split(";")[1:]:
                    key, _, value = item.strip().partition("=")
                    disposition[key.lower()] = value.strip('"')
        if "name" not in disposition:
            return None
        name = disposition["name"]
        if "filename" in disposition:
            file = (disposition["filename"], content[:KEPT_BYTES], len(content))
        else:
            fields[name] = content.decode("utf-8", "replace")
    return fields, file
