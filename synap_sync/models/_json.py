"""The one JSON encoding of request bodies (compact UTF-8), and the fast way a document is encoded in it.

A document's JSON is the same bytes ``json.dumps(wire, ensure_ascii=False, separators=(",", ":"))``
gives, made field by field: the document text, most of every body, is escaped on its UTF-8 bytes
(about 40% quicker than the json module's character loop), and the constant parts are written once.
"""

from __future__ import annotations

import json
import json.encoder
from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

from ..errors import SynapValidationError
from ._checks import refuse

#: Compact UTF-8, as the official SDK (httpx) sends its bodies: text in any script goes as itself, not
#: as ``\u`` escapes (a CJK or emoji document would be up to twice as large). A lone surrogate, which
#: UTF-8 cannot carry, is refused when encoded.
_ENCODER = json.JSONEncoder(allow_nan=False, ensure_ascii=False, separators=(",", ":"))


def _not_json(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


#: The same encoding, made once: ``JSONEncoder.encode`` builds its C encoder anew on every call, which
#: costs more than encoding a small object. The callers' checks stand in for its circular-reference
#: markers (a cycle is still a RecursionError). None where the C accelerator is missing.
_MAKE_ENCODER = getattr(json.encoder, "c_make_encoder", None)
_C_ENCODE = (
    _MAKE_ENCODER(None, _not_json, json.encoder.encode_basestring, None, ":", ",", False, False, False)
    if _MAKE_ENCODER is not None
    else None
)


def _text(value: Any) -> str:
    if _C_ENCODE is not None:
        return "".join(_C_ENCODE(value, 0))
    return _ENCODER.encode(value)


def encode_json(value: Any) -> bytes:
    """The one JSON encoding every request body uses; what it cannot encode (a lone surrogate, which UTF-8
    cannot carry, is what the checks let through) is a `SynapValidationError` naming where it is: the
    field, and in a list of items (``messages``, ``transcript``) the item's index."""
    try:
        return _text(value).encode("utf-8")
    except (ValueError, TypeError, RecursionError, OverflowError) as error:
        raise _unencodable_at(value, error) from None


def _unencodable_at(body: Any, error: BaseException) -> SynapValidationError:
    path = _first_unencodable(body) or []
    reason = _reason(_leaf_error(body, path) or error)
    if len(path) >= 3 and isinstance(path[1], int):  # {"messages": [..., {"content": <here>}]}
        batch, index, field = path[0], path[1], _dotted(path[2:])
        return SynapValidationError(f"{batch}[{index}].{field}: {reason}", errors=[(index, field, reason)])
    return refuse(_dotted(path) or "body", reason)


def _leaf_error(body: Any, path: List[Union[str, int]]) -> Optional[BaseException]:
    """The error of the value at ``path`` alone (its positions count from its own start)."""
    value = body
    try:
        for part in path:
            if isinstance(part, str):
                part.encode("utf-8")  # a key of its own that cannot be encoded
            value = value[part]
        if isinstance(value, str):
            value.encode("utf-8")
    except (KeyError, IndexError, TypeError):  # a key that cannot be encoded: the path ends at it
        return None
    except UnicodeEncodeError as error:
        return error
    return None


def _dotted(path: List[Union[str, int]]) -> str:
    """``["metadata", "tags", 2]`` as ``metadata.tags[2]``."""
    text = ""
    for part in path:
        if isinstance(part, int) or not _encodes(part):
            text += f"[{part!r}]"
        else:
            text += f".{part}" if text else part
    return text


def _first_unencodable(value: Any) -> Optional[List[Union[str, int]]]:
    """The path (keys and list positions) to the first value in ``value`` that cannot be encoded, or None."""
    try:
        _text(value).encode("utf-8")
        return None
    except (ValueError, TypeError, RecursionError, OverflowError):
        pass
    children: Iterable[Tuple[Union[str, int], Any]]
    if isinstance(value, dict):
        children = value.items()
    elif isinstance(value, (list, tuple)):
        children = enumerate(value)
    else:
        return []
    for key, item in children:
        if isinstance(key, str) and not _encodes(key):
            return [key]
        inner = _first_unencodable(item)
        if inner is not None:
            return [key, *inner]
    return []


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _reason(error: BaseException) -> str:
    if isinstance(error, UnicodeEncodeError):
        character = error.object[error.start : error.start + 1]
        return (
            f"holds {character!r} at position {error.start}, a lone surrogate, which UTF-8 cannot carry "
            "(text decoded with errors='surrogateescape'?)"
        )
    return f"cannot be encoded as JSON: {type(error).__name__}: {error}"


#: The control characters JSON writes as ``\u00XX`` (or ``\b``, ``\f``); rare in text, so a string with
#: any of them takes the json module's own escaping.
_RARE_CONTROLS = bytes(code for code in range(0x20) if code not in (0x09, 0x0A, 0x0D))
#: Below this many characters the json module's escaping is quicker (ids, timestamps).
_SHORT = 128
_escape = json.encoder.encode_basestring


def json_string(text: str) -> bytes:
    """``text`` as a JSON string in UTF-8, byte for byte as the json module writes it without ASCII
    escapes; a lone surrogate raises UnicodeEncodeError."""
    if len(text) < _SHORT:
        return _escape(text).encode("utf-8")
    data = text.encode("utf-8")
    if len(data.translate(None, _RARE_CONTROLS)) != len(data):
        return _escape(text).encode("utf-8")
    # Backslashes first, so the escapes added after are not escaped again. UTF-8 never uses these
    # bytes inside a multi-byte character, so replacing them in bytes is replacing the characters.
    escaped = data.replace(b"\\", b"\\\\").replace(b'"', b'\\"')
    escaped = escaped.replace(b"\n", b"\\n").replace(b"\r", b"\\r").replace(b"\t", b"\\t")
    return b'"' + escaped + b'"'


def encode_document(
    document: Any,
    document_type: str,
    document_id: Optional[str],
    created_at: Optional[str],
    user_id: Optional[str],
    customer_id: Optional[str],
    scope: Optional[Dict[str, str]],
    mode: str,
    metadata: Dict[str, Any],
) -> bytes:
    """One checked document's JSON object, every field in the contract's order, nulls included.

    ``document_type`` and ``mode`` come already as JSON (they are constants). The fields after the
    document are short, so they are escaped by the json module and encoded to UTF-8 together, once.
    What cannot be encoded is refused naming its field.
    """
    try:
        the_rest = "".join(
            (
                ',"document_type":',
                document_type,
                ',"document_id":',
                "null" if document_id is None else _escape(document_id),
                ',"document_created_at":',
                "null" if created_at is None else _escape(created_at),
                ',"user_id":',
                "null" if user_id is None else _escape(user_id),
                ',"customer_id":',
                "null" if customer_id is None else _escape(customer_id),
                ',"scope":',
                "null" if scope is None else _text(scope),
                ',"mode":',
                mode,
                ',"metadata":',
                _text(metadata) if metadata else "{}",
                "}",
            )
        )
        return b"".join(
            (
                b'{"document":',
                json_string(document) if type(document) is str else _text(document).encode("utf-8"),
                the_rest.encode("utf-8"),
            )
        )
    except (ValueError, TypeError, RecursionError, OverflowError) as error:
        fields = {
            "document": document,
            "document_id": document_id,
            "document_created_at": created_at,
            "user_id": user_id,
            "customer_id": customer_id,
            "scope": scope,
            "metadata": metadata,
        }
        name = _unencodable(fields)
        path: List[Union[str, int]] = [name, *(_first_unencodable(fields[name]) or [])]
        raise refuse(_dotted(path), _reason(_leaf_error(fields, path) or error)) from None


def _unencodable(fields: Dict[str, Any]) -> str:
    """The first of ``fields`` that cannot be encoded (the document, should they all seem fine)."""
    for name, value in fields.items():
        try:
            _text(value).encode("utf-8")
        except (ValueError, TypeError, RecursionError, OverflowError):
            return name
    return "document"
