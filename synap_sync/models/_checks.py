"""Field checks shared by the request models: each refusal names its field (and its item's index)."""

from __future__ import annotations

import copy
import json
import math
import re
import uuid
from datetime import datetime, timezone
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ..errors import SynapInvalidConversationIdError, SynapValidationError

#: Containers nested deeper than this are refused (a cycle is refused the same way).
MAX_NESTING = 64


def whole_number(value: Any) -> bool:
    """An int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def positive_number(value: Any) -> bool:
    """A finite int or float above 0 (not a bool, not NaN)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < float("inf")


def refuse(field: str, reason: str) -> SynapValidationError:
    """Build the error for one refused field (the caller raises it)."""
    return SynapValidationError(f"{field}: {reason}", errors=[(None, field, reason)])


def at_index(error: SynapValidationError, index: int, batch: str = "documents") -> SynapValidationError:
    """The same refusal, of the same class (an invalid conversation id stays one), placed at ``index`` of
    its batch (``documents``, ``messages``, ``transcript``)."""
    placed = copy.copy(error)
    placed.message = f"{batch}[{index}].{error.message}"
    placed.args = (placed.message,)
    placed.errors = [(index, field, reason) for _, field, reason in error.errors]
    return placed


def conversation_uuid(value: Any) -> str:
    """A conversation id that must be a UUID, as the caller spelled it; anything else (empty, not a UUID)
    is a `SynapInvalidConversationIdError`, as the official SDK raises it."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if not isinstance(value, str) or not value.strip():
        raise refuse("conversation_id", f"must be a non-empty string, got {value!r}")
    try:
        uuid.UUID(value)
    except ValueError:
        raise SynapInvalidConversationIdError(value) from None
    return value


def item_document_id(item: Any) -> Optional[str]:
    """The document_id of an input item, if it has a usable one (the item may be invalid)."""
    value = item.get("document_id") if isinstance(item, Mapping) else getattr(item, "document_id", None)
    return value if isinstance(value, str) else None


_FRACTION = re.compile(r"\.(\d+)")


def parse_datetime(text: str) -> datetime:
    """Parse ISO-8601 on every supported Python: ``Z`` suffix and any number of fraction digits."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass  # before 3.11, fromisoformat refuses "Z" and fractions of other than 3 or 6 digits
    value = text.strip()
    if value[-1:] in ("Z", "z"):
        value = value[:-1] + "+00:00"
    match = _FRACTION.search(value)
    if match and len(match.group(1)) != 6:
        digits = match.group(1)[:6].ljust(6, "0")
        value = value[: match.start(1)] + digits + value[match.end(1) :]
    return datetime.fromisoformat(value)


def plain_datetime(value: datetime) -> Optional[datetime]:
    """A datetime, or a subclass of one (a pandas ``Timestamp``), as a plain datetime; None for ``NaT``.
    A Timestamp's nanoseconds are dropped, as a datetime has none."""
    if type(value) is datetime:
        return value
    if value != value:  # NaT
        return None
    to_pydatetime = getattr(value, "to_pydatetime", None)
    if to_pydatetime is None:
        return value
    try:
        plain: datetime = to_pydatetime(warn=False)
    except TypeError:  # not pandas' signature
        plain = to_pydatetime()
    return plain


def format_datetime(value: datetime) -> str:
    """Encode as the official SDK does: UTC as ``...Z``, other offsets kept, naive left as is."""
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


_JSON_SCALARS = frozenset({str, bool, type(None)})
#: Integers JSON parsers read exactly (64 bits); a larger one is refused rather than rounded or refused later.
_SMALLEST_INT, _LARGEST_INT = -(2**63), 2**64 - 1


def check_json(value: Any, field: str, path: str, depth: int = 0) -> None:
    """Refuse what json.dumps would refuse or silently change: NaN, infinity, non-string keys, and
    nesting beyond `MAX_NESTING` (which also catches a container that holds itself)."""
    if type(value) in _JSON_SCALARS:
        return
    if isinstance(value, int) and not isinstance(value, bool):
        if not _SMALLEST_INT <= value <= _LARGEST_INT:
            raise refuse(field, f"{path} is an integer beyond 64 bits, which JSON readers cannot hold")
        return
    if depth >= MAX_NESTING and isinstance(value, (dict, list, tuple)):
        raise refuse(field, f"{path} is nested deeper than {MAX_NESTING} levels (or contains itself)")
    if isinstance(value, dict):
        for key, item in value.items():
            if type(key) is not str and not isinstance(key, str):
                raise refuse(field, f"{path} has a non-string key {key!r}")
            kind = type(item)
            if kind in _JSON_SCALARS or (kind is int and _SMALLEST_INT <= item <= _LARGEST_INT):
                continue  # the common values, accepted without a call
            check_json(item, field, f"{path}[{key!r}]", depth + 1)
        return
    if isinstance(value, (list, tuple)):
        for position, item in enumerate(value):
            check_json(item, field, f"{path}[{position}]", depth + 1)
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise refuse(field, f"{path} is {value!r}; NaN and infinity are not valid JSON")
        return
    if isinstance(value, str):
        return
    raise refuse(field, f"{path} is a {type(value).__name__}, which is not JSON-serialisable")


#: What a JSON copy shares instead of copying: values that cannot change.
_IMMUTABLE = frozenset({str, bool, type(None), int, float})


def json_copy(value: Any) -> Any:
    """A copy of a value `check_json` accepted, its own down to the last container: plain dicts and
    lists are rebuilt (scalars shared, as nothing can change them), anything else deep-copied."""
    kind = type(value)
    if kind in _IMMUTABLE:
        return value
    if kind is dict:
        return {key: item if type(item) in _IMMUTABLE else json_copy(item) for key, item in value.items()}
    if kind is list:
        return [item if type(item) in _IMMUTABLE else json_copy(item) for item in value]
    return copy.deepcopy(value)


def checked_json_copy(value: Dict[str, Any], field: str, freeze: bool = False) -> Dict[str, Any]:
    """A dict checked as `check_json` checks it and copied as `json_copy` copies it (with ``freeze``, as
    `frozen_copy` does), in one pass when it is a plain dict of string keys to strings, whole numbers,
    booleans or None (as metadata usually is)."""
    if type(value) is dict or type(value) is FrozenDict:
        for key, item in value.items():
            kind = type(item)
            if type(key) is str and (kind in _JSON_SCALARS or (kind is int and _SMALLEST_INT <= item <= _LARGEST_INT)):
                continue
            break  # not flat: checked and copied the long way
        else:
            return FrozenDict(value) if freeze else dict(value)
    check_json(value, field, field)
    copied: Dict[str, Any] = frozen_copy(value) if freeze else json_copy(value)
    return copied


_READ_ONLY = (
    "a built request cannot change, so that what it shows is what it sends: make a new one "
    "(attrs.evolve(request, metadata=...)), or change a copy (dict(request.metadata))"
)


class FrozenDict(Dict[str, Any]):
    """The dicts of a built request (its metadata, a document or scope given as an object): readable as any
    dict, JSON-serialisable, but any change raises TypeError."""

    __slots__ = ()

    def _read_only(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(_READ_ONLY)

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _read_only  # type: ignore

    def __reduce__(self) -> Any:
        return (FrozenDict, (dict(self),))

    def __copy__(self) -> "FrozenDict":
        return self

    def __deepcopy__(self, memo: Any) -> "FrozenDict":
        return self


class FrozenList(List[Any]):
    """The lists inside a built request's dicts: readable as any list, but any change raises TypeError."""

    __slots__ = ()

    def _read_only(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(_READ_ONLY)

    __setitem__ = __delitem__ = append = extend = insert = pop = remove = clear = _read_only  # type: ignore
    sort = reverse = __iadd__ = __imul__ = _read_only  # type: ignore

    def __reduce__(self) -> Any:
        return (FrozenList, (list(self),))

    def __copy__(self) -> "FrozenList":
        return self

    def __deepcopy__(self, memo: Any) -> "FrozenList":
        return self


def frozen_copy(value: Any) -> Any:
    """A copy of a value `check_json` accepted that cannot change: dicts and lists (and tuples) become
    `FrozenDict` and `FrozenList` down to the last one; scalars are shared, as nothing can change them."""
    kind = type(value)
    if kind in _IMMUTABLE or kind is FrozenDict or kind is FrozenList:
        return value
    if isinstance(value, dict):
        return FrozenDict({key: item if type(item) in _IMMUTABLE else frozen_copy(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return FrozenList([item if type(item) in _IMMUTABLE else frozen_copy(item) for item in value])
    return copy.deepcopy(value)


def check_optional_id(value: Any, field: str) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise refuse(field, f"must be a non-empty string or None, not {type(value).__name__}")
    if not value.strip():
        raise refuse(field, "must not be empty")


def check_document(value: Any) -> None:
    if isinstance(value, str):
        if not value.strip():
            raise refuse("document", "must not be empty")
        return
    if isinstance(value, dict):
        if not value:
            raise refuse("document", "must not be an empty object")
        check_json(value, "document", "document")
        return
    if value is None:
        raise refuse("document", "is missing (None, or an empty cell of a table)")
    raise refuse("document", f"must be a string or a dict, not {type(value).__name__}")


def json_text_hint(value: Any) -> str:
    """For an object given as its JSON text (what a DataFrame column of dicts becomes once converted
    to strings, or a CSV cell): a hint saying so; else nothing."""
    if not isinstance(value, str) or not value.lstrip().startswith("{"):
        return ""
    try:
        parsed = json.loads(value)
    except ValueError:
        return ""
    if not isinstance(parsed, dict):
        return ""
    return " (it is a JSON string holding an object: parse it with json.loads before passing it)"


def check_scope(value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        hint = json_text_hint(value)
        raise refuse("scope", f"must be a dict of str to str or None, not {type(value).__name__}{hint}")
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise refuse("scope", f"must map str to str; got {key!r}: {item!r}")


def check_metadata(value: Any) -> None:
    if type(value) is not dict and type(value) is not FrozenDict:
        raise refuse("metadata", f"must be a dict, not {type(value).__name__}{json_text_hint(value)}")
    if value:
        check_json(value, "metadata", "metadata")


def checked_scope(value: Any) -> Optional[Dict[str, str]]:
    """A scope checked as a document's is, copied: the caller's dict stays theirs. None stays None."""
    check_scope(value)
    return None if value is None else dict(value)


def checked_metadata(value: Any, freeze: bool = False) -> Dict[str, Any]:
    """Metadata checked as a document's is (a JSON object, no NaN, bounded depth), copied (with
    ``freeze``, read-only: a `FrozenDict`)."""
    if type(value) is not dict and type(value) is not FrozenDict:
        check_metadata(value)  # refuses it, naming the field
    return checked_json_copy(value, "metadata", freeze)


def required_text(value: Any, field: str) -> str:
    """A non-blank string, or a refusal naming ``field``."""
    if not isinstance(value, str) or not value.strip():
        raise refuse(field, f"must be a non-empty string, got {value!r}")
    return value


def path_segment(value: Any, field: str) -> str:
    """A non-blank string that stays one path segment once percent-encoded: ``.`` and ``..`` would be
    read as "here" and "up" by a proxy that normalises paths, and routed to another endpoint."""
    text = required_text(value, field).strip()
    if text in (".", ".."):
        raise refuse(field, f"must be an id, not {text!r}")
    return text


def to_datetime(value: Any, field: str) -> Optional[datetime]:
    """None, a datetime, an ISO-8601 string or a Unix timestamp (taken as UTC) as a datetime; anything
    else a refusal naming ``field``."""
    if value is None or type(value) is datetime:
        return value
    if isinstance(value, datetime):  # a pandas Timestamp: its plain datetime (NaT, "not a time", refused)
        plain = plain_datetime(value)
        if plain is None:
            raise refuse(field, "is NaT (a missing date): leave it out, or give None")
        return plain
    if isinstance(value, (int, float)) and not isinstance(value, bool):  # a Unix timestamp, as the official SDK takes
        try:
            return datetime.fromtimestamp(value, timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise refuse(field, f"is not a Unix timestamp a date can hold: {value!r}") from None
    if isinstance(value, str):
        try:
            return parse_datetime(value)
        except ValueError:
            raise refuse(field, f"is not an ISO-8601 datetime: {value!r}") from None
    raise refuse(field, f"must be a datetime, an ISO-8601 string or a Unix timestamp, not {type(value).__name__}")


def optional_text(value: Any, field: str) -> Optional[str]:
    """None, or a non-blank string."""
    return None if value is None else required_text(value, field)


def one_of(value: Any, field: str, choices: Tuple[str, ...]) -> str:
    """One of ``choices`` (an enum member counts as its value), or a refusal listing them."""
    value = getattr(value, "value", value)
    if value not in choices:
        raise refuse(field, f"must be one of {', '.join(choices)}; got {value!r}")
    return str(value)


def text_list(value: Any, field: str) -> Optional[List[str]]:
    """None, or a list of strings (a bare string is refused: it would be read as its characters)."""
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise refuse(field, f"must be a list of strings, not {type(value).__name__}")
    if not all(isinstance(item, str) for item in value):
        raise refuse(field, "must be a list of strings")
    return list(value)


def int_between(value: Any, field: str, low: int, high: int) -> int:
    if not whole_number(value) or not low <= value <= high:
        raise refuse(field, f"must be a whole number from {low} to {high}, got {value!r}")
    return int(value)


def uuid_text(value: Any, field: str) -> str:
    """A UUID as it goes on the wire: a ``uuid.UUID`` as its canonical text, a string as the caller
    spelled it (upper case, braces and all, as the official SDK sends it) once it reads as a UUID;
    else a refusal naming ``field``. Quote it before it goes into a path."""
    if isinstance(value, uuid.UUID):
        return str(value)
    try:
        uuid.UUID(str(value))
    except ValueError:
        raise refuse(field, f"must be a UUID, got {value!r}") from None
    return str(value)
