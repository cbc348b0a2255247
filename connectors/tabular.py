"""CSV and XLSX reports as Vietnamese agencies produce them.

They have title rows above the header, merged header rows, Windows code pages, ``;`` separators and a total row
at the bottom.

Rows come out as ``(row number, {folded header: cell})``; headers are folded (see :func:`connectors.units.fold`)
so a configuration matches ``"Số hồ sơ tiếp nhận"`` whether the file writes it with diacritics or without. Under a
merged header cell the parts are joined with a space: a merged ``Hồ sơ`` over ``Tiếp nhận`` gives
``ho so tiep nhan``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from connectors.units import fold

Row = dict[str, Any]


class TableError(ValueError):
    """The file cannot be read as a table (no header, unreadable encoding, missing sheet)."""


@dataclass(frozen=True)
class TableLayout:
    """Where the header is and which rows to leave out."""

    unit_header: str | None = None
    header_row: int | None = None
    header_rows: int = 1
    sheet: str | int = 0
    skip_units: tuple[str, ...] = ("tong cong", "tong so", "tong", "cong")


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-16" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        return text
    try:
        return data.decode("cp1258")  # Windows Vietnamese, still produced by older office software
    except UnicodeDecodeError:
        raise TableError("the file is neither UTF-8 nor UTF-16 nor Windows-1258 text") from None


def _csv_grid(path: Path) -> list[list[Any]]:
    text = _decode(path.read_bytes())
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [list(row) for row in csv.reader(io.StringIO(text), dialect)]


def _xlsx_grid(path: Path, sheet: str | int) -> list[list[Any]]:
    try:
        book = load_workbook(path, data_only=True)
    except Exception as exc:
        raise TableError(f"not a readable XLSX workbook: {type(exc).__name__}") from None
    try:
        if isinstance(sheet, int):
            if sheet >= len(book.worksheets):
                raise TableError(f"the workbook has no sheet number {sheet + 1}")
            ws = book.worksheets[sheet]
        else:
            names = {fold(n): n for n in book.sheetnames}
            if fold(sheet) not in names:
                raise TableError(f"the workbook has no sheet {sheet!r} (it has {', '.join(book.sheetnames)})")
            ws = book[names[fold(sheet)]]
        grid = [list(row) for row in ws.iter_rows(values_only=True)]
        # A merged cell keeps its value in the top-left cell only: copy it over the whole range.
        for merged in ws.merged_cells.ranges:
            value = grid[merged.min_row - 1][merged.min_col - 1]
            for r in range(merged.min_row - 1, merged.max_row):
                for c in range(merged.min_col - 1, merged.max_col):
                    grid[r][c] = value
        return grid
    finally:
        book.close()


def read_grid(path: Path, sheet: str | int = 0) -> list[list[Any]]:
    """Every row of a CSV or XLSX file as a list of cells."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv_grid(path)
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_grid(path, sheet)
    raise TableError(f"{path.suffix or 'no extension'}: only .csv and .xlsx reports are read")


def _cell_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _find_header(grid: Sequence[Sequence[Any]], layout: TableLayout) -> int:
    if layout.header_row is not None:
        return layout.header_row - 1
    if layout.unit_header is None:
        return 0
    wanted = fold(layout.unit_header)
    for index, row in enumerate(grid):
        if any(fold(_cell_text(c)) == wanted for c in row):
            return index
    raise TableError(f"no header row with a column {layout.unit_header!r} (has the report format changed?)")


def rows(grid: Sequence[Sequence[Any]], layout: TableLayout) -> Iterator[tuple[int, Row]]:
    """Data rows under the header as ``(spreadsheet row number, {folded header: value})``."""
    first = _find_header(grid, layout)
    header_block: Sequence[Sequence[Any]] = grid[first : first + layout.header_rows]
    if not header_block:
        raise TableError("the file has no header row")
    width = max(len(r) for r in header_block)
    # A group title over several columns: merged in XLSX (already copied), written once in CSV (copy it right).
    filled: list[list[Any]] = []
    for row in header_block[:-1]:
        cells = [row[c] if c < len(row) else None for c in range(width)]
        for c in range(1, width):
            if _cell_text(cells[c]) == "" and _cell_text(cells[c - 1]) != "":
                cells[c] = cells[c - 1]
        filled.append(cells)
    header_block = [*filled, header_block[-1]]
    headers: list[str] = []
    for col in range(width):
        parts: list[str] = []
        for row in header_block:
            text = fold(_cell_text(row[col] if col < len(row) else None))
            if text and (not parts or parts[-1] != text):
                parts.append(text)
        headers.append(" ".join(parts))
    unit_key = fold(layout.unit_header) if layout.unit_header else None
    for number, row in enumerate(grid[first + layout.header_rows :], start=first + layout.header_rows + 1):
        if all(_cell_text(c) == "" for c in row):
            continue
        record = {h: (row[i] if i < len(row) else None) for i, h in enumerate(headers) if h}
        if unit_key is not None:
            unit = fold(_cell_text(record.get(unit_key)))
            if not unit or unit in layout.skip_units:
                continue
        yield number, record
