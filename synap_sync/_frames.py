"""Tables as documents: a pandas DataFrame's rows (or any iterable of row mappings) as the dicts
``batch_create`` and ``ingest`` take, each column a field, read a row at a time as they are sent.

A frame is recognised by its type's module and methods, so pandas is never imported here (importing
synap_sync costs nothing for users without it). Its columns are checked once, before anything is sent:
a column that is no field (and not mapped, nor named for metadata), a mapping naming no column, no
``document`` column, or a ``metadata`` column of text that is not JSON are refused naming the column.
Each cell is made plain by `synap_sync.models.plain_cell` (NaN, NaT and NA missing), the same for a frame,
``df.to_dict("records")`` and a Dask partition, so all three send the same bytes.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple

from .models import REQUEST_FIELDS, json_object, plain_cell, plain_document, plain_json, refuse

__all__ = ["is_frame", "is_series", "FrameRows", "MappedRows", "frame_rows", "mapped_rows", "check_columns"]

_FIELDS = frozenset(REQUEST_FIELDS)


def is_frame(value: Any) -> bool:
    """A pandas DataFrame (or a Dask partition of one), known without importing pandas."""
    module = type(value).__module__
    return module.split(".", 1)[0] == "pandas" and hasattr(value, "itertuples") and hasattr(value, "columns")


def is_series(value: Any) -> bool:
    module = type(value).__module__
    return module.split(".", 1)[0] == "pandas" and type(value).__name__ == "Series"


def check_columns(
    names: Sequence[str], columns: Optional[Mapping[str, str]], metadata_columns: Sequence[str]
) -> List[Optional[str]]:
    """The field each column goes to (None: into ``metadata``), once the names are known to work; a
    mistake that would fail every row is refused naming the column."""
    columns = _checked_mapping(columns)
    metadata_columns = _checked_names(metadata_columns)
    present = set(names)
    for name in list(columns) + list(metadata_columns):
        if name not in present:
            where = "columns" if name in columns else "metadata_columns"
            raise refuse(where, f"names {name!r}, which is not a column; the columns are {', '.join(names)}")
    fields: List[Optional[str]] = []
    for name in names:
        if name in metadata_columns:
            fields.append(None)
            continue
        field = columns.get(name, name)
        if field not in _FIELDS:
            raise refuse(
                f"column {name!r}",
                f"is not a CreateMemoryRequest field ({', '.join(REQUEST_FIELDS)}): map it to one with "
                f"columns={{{name!r}: 'document'}}, put it in metadata with metadata_columns=[{name!r}], or drop it",
            )
        if field in fields:
            raise refuse(f"column {name!r}", f"goes to {field!r}, as another column does: map only one to it")
        fields.append(field)
    if "document" not in fields:
        raise refuse(
            "column 'document'",
            "is required: name the column holding each document's text, e.g. columns={'body': 'document'}",
        )
    return fields


def _checked_mapping(columns: Optional[Mapping[str, str]]) -> Mapping[str, str]:
    if columns is None:
        return {}
    if not isinstance(columns, Mapping) or not all(isinstance(key, str) for key in columns):
        raise refuse("columns", f"must be a dict of column names to field names, not {type(columns).__name__}")
    for name, field in columns.items():
        if field not in _FIELDS:
            raise refuse(f"columns[{name!r}]", f"must be a CreateMemoryRequest field ({', '.join(REQUEST_FIELDS)})")
    return columns


def _checked_names(metadata_columns: Sequence[str]) -> Tuple[str, ...]:
    if isinstance(metadata_columns, str) or not all(isinstance(name, str) for name in metadata_columns):
        raise refuse("metadata_columns", "must be a list of column names")
    return tuple(metadata_columns)


class FrameRows:
    """A DataFrame's rows as document dicts, read one at a time as they are iterated (a million rows are
    never all turned into dicts at once); its length is the frame's, for progress."""

    def __init__(self, frame: Any, columns: Optional[Mapping[str, str]] = None, metadata_columns: Sequence[str] = ()):
        self.frame = frame
        self.names = [str(name) for name in frame.columns]
        self.fields = check_columns(self.names, columns, metadata_columns)
        _check_json_column(frame, self.names, self.fields)

    def __len__(self) -> int:
        return len(self.frame)

    def __iter__(self) -> Iterator[Dict[str, Any]]:
        fields = self.fields
        names = self.names
        for values in self.frame.itertuples(index=False, name=None):
            yield _row(fields, names, values)

    def __repr__(self) -> str:
        return f"a DataFrame of {len(self)} rows"


def frame_rows(
    frame: Any, columns: Optional[Mapping[str, str]] = None, metadata_columns: Sequence[str] = ()
) -> FrameRows:
    """The rows of ``frame`` as documents; its columns checked now (see `check_columns`)."""
    return FrameRows(frame, columns, metadata_columns)


def _row(fields: List[Optional[str]], names: List[str], values: Iterable[Any]) -> Dict[str, Any]:
    row: Dict[str, Any] = {}
    extra: Optional[Dict[str, Any]] = None
    for field, name, value in zip(fields, names, values):
        if field is None:  # a metadata column: missing values are left out
            value = plain_cell(value)
            if value is not None:
                if extra is None:
                    extra = {}
                extra[name] = plain_json(value)
            continue
        row[field] = value
    row = plain_document(row)
    if extra:
        metadata = row.get("metadata")
        if metadata is None:
            row["metadata"] = extra
        elif isinstance(metadata, dict):
            row["metadata"] = {**metadata, **extra}  # else not an object: the checks refuse it by name
    return row


def _check_json_column(frame: Any, names: List[str], fields: List[Optional[str]]) -> None:
    """A ``metadata`` (or ``scope``) column of text that is not a JSON object would fail every row."""
    for name, field in zip(names, fields):
        if field not in ("metadata", "scope"):
            continue
        value = next((cell for cell in map(plain_cell, frame[name]) if cell is not None), None)
        if isinstance(value, str) and not isinstance(json_object(value), dict):
            raise refuse(
                f"column {name!r}",
                f"holds text that is not a JSON object ({value[:40]!r}): give dicts, or JSON text such as "
                "'{\"source\": \"crm\"}' (not Python's repr, with single quotes)",
            )


class MappedRows:
    """Row mappings (``df.to_dict("records")``, ``csv.DictReader``) with ``columns`` renamed to fields and
    ``metadata_columns`` moved into metadata; anything else passes as it is, for the checks to name."""

    def __init__(self, rows: Iterable[Any], columns: Optional[Mapping[str, str]], metadata_columns: Sequence[str]):
        self.rows = rows
        self.columns = _checked_mapping(columns)
        self.metadata_columns = _checked_names(metadata_columns)

    def __iter__(self) -> Iterator[Any]:
        columns, metadata_columns = self.columns, self.metadata_columns
        for item in self.rows:
            if not isinstance(item, Mapping):
                yield item
                continue
            names = [str(name) for name in item]
            fields = [None if name in metadata_columns else columns.get(name, name) for name in names]
            yield _row(fields, names, item.values())


class _SizedMappedRows(MappedRows):
    def __len__(self) -> int:
        return len(self.rows)  # type: ignore[arg-type]


def mapped_rows(
    rows: Iterable[Any], columns: Optional[Mapping[str, str]], metadata_columns: Sequence[str]
) -> MappedRows:
    """`MappedRows` over ``rows``, as long as they are when they have a length (for progress)."""
    return (_SizedMappedRows if hasattr(rows, "__len__") else MappedRows)(rows, columns, metadata_columns)
