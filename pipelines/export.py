"""Print or export any table of the work folder (``wenmai show``)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pyarrow as pa

from pipelines.core import store
from pipelines.core.cells import defuse
from pipelines.core.errors import BadParams

__all__ = ["export_table", "select", "defuse"]

_TEXT_WIDTH = 40
_EXCEL_CELL = 32767
log = logging.getLogger("wenmai")


def select(table: pa.Table, *, rows: int, columns: str | None) -> pa.Table:
    """Keep the first ``rows`` rows (0 = all) and the named columns, in the given order."""
    if columns:
        wanted = [c.strip() for c in columns.split(",") if c.strip()]
        missing = [c for c in wanted if c not in table.column_names]
        if missing:
            raise BadParams(f"show: no column {missing[0]!r}; columns: "
                            + ", ".join(table.column_names))
        table = table.select(wanted)
    return table if rows <= 0 else table.slice(0, rows)


def _head(stored: store.StoredTable, rows: int) -> pa.Table:
    """The first ``rows`` rows (0 = all), read a batch at a time: ``show`` of a large table
    never loads more than it prints."""
    if rows <= 0:
        return stored.read()
    batches, seen = [], 0
    for batch in stored.iter_batches(rows=min(rows, store.BATCH_ROWS)):
        batches.append(batch)
        seen += batch.num_rows
        if seen >= rows:
            break
    return pa.Table.from_batches(batches, schema=stored.schema).slice(0, rows)


def export_table(workdir: Path, name: str, *, rows: int, columns: str | None, fmt: str,
                 output: Path | None, max_width: int | None = None) -> str | None:
    """Render a table as text (``table``/``csv``/``json``/``jsonl``) or write it (``xlsx`` or
    ``output``). ``json`` is one JSON array of row objects, ``jsonl`` one object a line;
    ``table`` fits ``max_width`` terminal columns when it is given.

    Returns:
        The text to print, or None when it was written to ``output``.
    """
    from pipelines.workflow import resolve_table_name

    stored = store.open_table(workdir, resolve_table_name(workdir, name))
    table = select(_head(stored, rows), rows=rows, columns=columns)
    total = stored.num_rows
    frame = _frame(table)
    if fmt in ("csv", "xlsx"):
        frame = _defused(frame)
    if fmt == "xlsx":
        if output is None:
            raise BadParams("show: --format xlsx needs --output FILE.xlsx")
        for col in frame.columns:  # Excel cells hold neither lists nor more than 32,767 chars
            if not _is_texty(frame[col]):
                continue
            frame[col] = frame[col].map(_join_list)
            too_long = frame[col].map(lambda v: isinstance(v, str) and len(v) > _EXCEL_CELL)
            if too_long.any():
                log.warning("show: %d cell(s) of column %s cut to %d characters (Excel's limit); "
                            "use --format csv or json for the full text", int(too_long.sum()),
                            col, _EXCEL_CELL)
                frame[col] = frame[col].map(
                    lambda v: v[:_EXCEL_CELL] if isinstance(v, str) else v)
        frame.to_excel(output, index=False)
        return None
    if fmt == "csv":
        for col in frame.columns:
            if _is_texty(frame[col]):
                frame[col] = frame[col].map(_join_list)
        # RFC 4180 line ends: a field holding a bare carriage return is then quoted too
        # (with "\n" alone the csv module leaves it bare, and a spreadsheet splits the row)
        text = frame.to_csv(index=False, lineterminator="\r\n")
    elif fmt == "json":
        text = json.dumps(table.to_pylist(), ensure_ascii=False, default=_jsonable,
                          indent=1) + "\n"
    elif fmt == "jsonl":
        text = "".join(json.dumps(row, ensure_ascii=False, default=_jsonable) + "\n"
                       for row in table.to_pylist())
    else:
        text = _as_text(frame, table, total, max_width)
    if output is not None:
        Path(output).write_text(text, encoding="utf-8", newline="")
        return None
    return text


def _defused(frame: Any) -> Any:
    """Every text cell and column name of a CSV/XLSX export passed through :func:`defuse`."""
    frame = frame.copy()
    for col in frame.columns:
        if _is_texty(frame[col]):
            frame[col] = frame[col].map(_join_list).map(defuse)
    frame.columns = [defuse(str(c)) for c in frame.columns]
    return frame


def _frame(table: pa.Table) -> object:
    """The table as pandas, integer columns with nulls as nullable integers (2024, not
    2024.0, in CSV and Excel)."""
    import pandas as pd

    ints = {pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype(),
            pa.int64(): pd.Int64Dtype()}
    return table.to_pandas(types_mapper=ints.get)


def _as_text(frame: Any, table: pa.Table, total: int, max_width: int | None = None) -> str:
    """A fixed-width view with long texts cut and nulls blank, fitting ``max_width`` terminal
    columns (CJK characters count two; cut cells end in ``…``; columns that do not fit at all
    are named in the footer); the footer gives the total."""
    from pipelines.core.textwidth import fit_columns, pad, width

    if table.num_rows == 0:
        return "(no rows; columns: " + ", ".join(table.column_names) + ")\n"
    names = [str(c) for c in frame.columns]
    cells: list[list[str]] = []
    right: list[bool] = []
    for col in frame.columns:
        column = frame[col]
        if _is_texty(column):
            cells.append([str(_short(v)) for v in column])
            right.append(False)
        else:  # pandas' number formatting, the same decimals down a column
            text = frame[[col]].to_string(index=False, header=False, na_rep="")
            cells.append([line.strip() for line in text.splitlines()])
            right.append(True)
    natural = [max([width(name)] + [width(c) for c in column])
               for name, column in zip(names, cells, strict=True)]
    widths = fit_columns(natural, max_width) if max_width else natural
    shown = [i for i, w in enumerate(widths) if w > 0]

    def line(values: list[str]) -> str:
        return "  ".join(pad(values[i], widths[i], ">" if right[i] else "<")
                         for i in shown).rstrip()

    lines = [line(names)] + [line([column[r] for column in cells])
                             for r in range(table.num_rows)]
    rows, cols = table.num_rows, len(table.column_names)
    left_out = [names[i] for i, w in enumerate(widths) if w == 0]
    more = (f"; {len(left_out)} not shown for width: {', '.join(left_out)} (--columns picks)"
            if left_out else "")
    footer = (f"[{rows:,} of {total:,} row{'s' * (total != 1)} shown; "
              f"{cols} column{'s' * (cols != 1)}{more}]")
    return "\n".join(lines) + "\n" + footer + "\n"


def _is_texty(column: object) -> bool:
    """Object or string columns (pandas 3 gives strings their own dtype)."""
    import pandas as pd

    return pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)


def _join_list(value: object) -> object:
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return value


def _short(value: object) -> object:
    if value is None:
        return ""
    value = _join_list(value)
    if isinstance(value, str):
        value = value.replace("\n", " ⏎ ")
        if len(value) > _TEXT_WIDTH:
            return value[: _TEXT_WIDTH - 1] + "…"
    return value


def _jsonable(value: object) -> object:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
