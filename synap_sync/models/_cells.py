"""A table's cells as the plain values the checks know, without importing pandas or numpy: what a
DataFrame row, ``df.to_dict("records")`` and a Dask partition hold becomes the same document.

- missing (None, NaN, pandas' ``NaT`` and ``NA``, numpy's ``NaT``) becomes None: an optional field left
  out (inside metadata, NaN is still refused where it is: JSON has no NaN);
- a numpy scalar becomes the Python number, bool or string it holds, a numpy array a list;
- a pandas ``Timestamp`` (or a numpy ``datetime64``) becomes a ``datetime``; inside metadata, where JSON
  has no dates, its ISO-8601 text;
- a ``metadata`` or ``scope`` cell holding JSON text of an object becomes the object (Dask turns columns
  of dicts into strings).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Dict, Mapping

from ._checks import format_datetime, plain_datetime

__all__ = ["plain_cell", "plain_json", "plain_document", "JSON_OBJECT_FIELDS", "json_object"]

#: Fields that hold JSON objects, which a table may carry as JSON text.
JSON_OBJECT_FIELDS = ("metadata", "scope")
_PLAIN = frozenset({str, bool, int, dict, list})
#: pandas' markers of a missing value, known by their type's name (pandas is never imported here).
_MISSING_TYPES = frozenset({"NaTType", "NAType"})


def plain_cell(value: Any) -> Any:
    """A cell as a plain Python value; None for a missing one."""
    kind = type(value)
    if value is None or kind in _PLAIN:
        return value
    if kind is float:
        return None if value != value else value  # NaN
    if kind.__name__ in _MISSING_TYPES:
        return None
    module = kind.__module__
    if module == "numpy" or module.startswith("numpy."):
        return _plain_numpy(value, kind.__name__)
    if isinstance(value, datetime):
        return plain_datetime(value)
    return value


def _plain_numpy(value: Any, name: str) -> Any:
    if name == "ndarray":
        return [plain_cell(item) for item in value.tolist()]
    if name == "datetime64":
        if value != value:  # NaT
            return None
        return value.astype("datetime64[us]").item()  # a datetime (nanoseconds would give an int)
    return plain_cell(value.item())


def plain_json(value: Any) -> Any:
    """A value going into a JSON object (metadata), plain all the way down: numpy values as numbers, a
    date as its ISO-8601 text, pandas' missing markers as None (null), tuples as lists. A float NaN is
    left for the checks to refuse where it is: JSON has no NaN, and null would say something else."""
    if type(value) is float:
        return value
    value = plain_cell(value)
    if isinstance(value, dict):
        return {key: plain_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_json(item) for item in value]
    if isinstance(value, datetime):
        return format_datetime(value)
    return value


def json_object(text: str) -> Any:
    """JSON text of an object as the dict; any other text as it is, for the checks to refuse by name."""
    if not text.lstrip().startswith("{"):
        return text
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return text
    return value if isinstance(value, dict) else text


def plain_document(item: Mapping[str, Any]) -> Dict[str, Any]:
    """A document's fields as a table row holds them, plain: missing optional fields left out (a missing
    ``document`` is kept, as None, for the checks to name)."""
    row: Dict[str, Any] = {}
    for name, value in item.items():
        if name in JSON_OBJECT_FIELDS:
            value = plain_cell(value)
            if isinstance(value, str):
                value = json_object(value)
            if value is not None:
                value = plain_json(value)
        else:
            value = plain_cell(value)
            if name == "document" and isinstance(value, dict):
                value = plain_json(value)
        if value is not None or name == "document":
            row[name] = value
    return row
