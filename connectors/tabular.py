"""CSV and XLSX reports as Vietnamese agencies produce them.

They have title rows above the header, merged header rows, Windows code pages, ``;`` separators, a total row
and, at the bottom, a notes and signature block (``Ghi chú: …``, ``Quảng Ninh, ngày 05 tháng 7 năm 2023``,
``NGƯỜI LẬP BIỂU`` … ``THỦ TRƯỞNG ĐƠN VỊ``, ``(Ký, ghi rõ họ tên)``, names): that block is recognised and left out.

Rows come out as ``(row number, {folded header: cell})``; headers are folded (see :func:`connectors.units.fold`)
so a configuration matches ``"Số hồ sơ tiếp nhận"`` whether the file writes it with diacritics or without. Under a
merged header cell the parts are joined with a space: a merged ``Hồ sơ`` over ``Tiếp nhận`` gives
``ho so tiep nhan``.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from openpyxl import load_workbook

from connectors.textfiles import TextDecodeError, csv_rows, decode
from connectors.units import fold

Row = dict[str, Any]

FOOTER_MARKERS: Final = (
    "nguoi lap bieu",
    "nguoi lap",
    "lap bieu",
    "nguoi bao cao",
    "ghi chu",
    "chu thich",
    "luu y",
    "so lieu tinh den",
    "nguon so lieu",
    "noi nhan",
    "thu truong",
    "lanh dao",
    "giam doc",
    "pho giam doc",
    "ke toan truong",
    "truong phong",
    "chanh van phong",
    "xac nhan",
    "ky ten",
    "ky ghi ro",
    "ky va ghi ro",
    "ky dong dau",
    "tm",
    "kt",
    "tl",
)
"""How the first text of a row below the data starts when the notes and signature block begins (folded)."""

_DATE_LINE: Final = re.compile(r"\bngay\b.*\bthang\b.*\bnam\b")
_NUMBER: Final = re.compile(r"[+-]?\d[\d.,\s]*")
HEADER_SEARCH_ROWS: Final = 30


class TableError(ValueError):
    """The file cannot be read as a table (empty, not what its name says, no header, a column missing)."""


@dataclass(frozen=True)
class TableLayout:
    """Where the header is, which columns it must have and which rows to leave out."""

    unit_header: str | None = None
    header_row: int | None = None
    header_rows: int = 1
    sheet: str | int = 0
    skip_units: tuple[str, ...] = ("tong cong", "tong so", "tong", "cong")
    columns: tuple[str, ...] = ()
    """Headers (as the configuration writes them) the file must have: reported together, once per file."""
    value_columns: tuple[str, ...] = ()
    """Headers of the counts: trailing rows after a blank row with none of them filled are the notes block."""


@dataclass(frozen=True)
class Grid:
    """The cells of a file; ``encoding`` is the text encoding a CSV was read in (None for XLSX)."""

    cells: list[list[Any]]
    encoding: str | None = None

    def read_as(self) -> str:
        """`` (read as <encoding> text)`` for CSV files, to end an error message with; empty for XLSX."""
        return f" (read as {self.encoding} text)" if self.encoding else ""


@dataclass
class Table:
    """The data rows of a report, where its header was and where its notes and signature block starts."""

    rows: list[tuple[int, Row]]
    header_row: int
    labels: list[str]
    footer_row: int | None = None


def _not_a_workbook(data: bytes) -> str:
    """Why bytes that a name calls .xlsx are not a workbook, in words an office can act on."""
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "it is an Excel 97-2003 workbook (.xls) named .xlsx: open it in Excel and save it as .xlsx"
    if head.startswith(b"<"):
        return (
            "it is a web page (HTML) or an XML file named .xlsx, as some systems export: open it in Excel and save"
            " it as .xlsx, or export CSV"
        )
    try:
        decode(data[:4096])
    except TextDecodeError:
        return "it does not start like an XLSX workbook (a ZIP archive): the file is damaged or of another kind"
    return "it is a text file named .xlsx (CSV?): rename it to .csv"


def _open_workbook(path: Path, data: bytes) -> Any:
    if not data.startswith(b"PK"):
        raise TableError(f"not an XLSX workbook: {_not_a_workbook(data)}")
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        raise TableError(
            "not a readable XLSX workbook: the ZIP archive is damaged (copied before it was complete?)"
        ) from None
    if "xl/workbook.xml" not in names:
        raise TableError("not an XLSX workbook: a ZIP archive without a workbook in it (.docx? another file?)")
    try:
        return load_workbook(path, data_only=True)
    except Exception as exc:
        raise TableError(f"not a readable XLSX workbook: {type(exc).__name__} while opening it") from None


def _cell_value(cell: Any) -> Any:
    value = cell.value
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and "%" in str(getattr(cell, "number_format", "") or ""):
        # A cell typed as 60% holds 0.6: give the percentage points it shows.
        return round(value * 100, 9)
    return value


def _xlsx_grid(path: Path, data: bytes, sheet: str | int, percent_points: bool = False) -> list[list[Any]]:
    book = _open_workbook(path, data)
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
        if percent_points:
            grid = [[_cell_value(c) for c in row] for row in ws.iter_rows()]
        else:
            grid = [list(row) for row in ws.iter_rows(values_only=True)]
        # A merged cell keeps its value in the top-left cell only: copy it over the whole range.
        for merged in ws.merged_cells.ranges:
            value = grid[merged.min_row - 1][merged.min_col - 1]
            for r in range(merged.min_row - 1, merged.max_row):
                for c in range(merged.min_col - 1, merged.max_col):
                    grid[r][c] = value
        if all(_cell_text(c) == "" for row in grid for c in row):
            raise TableError(f"sheet {ws.title!r} is empty")
        return grid
    finally:
        book.close()


def read_grid(
    path: Path, sheet: str | int = 0, expect: str | tuple[str, ...] | None = None, percent_points: bool = False
) -> Grid:
    """Every row of a CSV or XLSX file; ``expect`` is a header cell (or any of several) that tells a CSV's separator.

    With ``percent_points`` a workbook number shown as a percentage (typed ``60%``, stored 0.6) is read as 60.
    """
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise TableError("an Excel 97-2003 workbook (.xls): open it in Excel and save it as .xlsx or CSV UTF-8")
    if suffix not in (".csv", ".xlsx", ".xlsm"):
        raise TableError(f"{path.suffix or 'no extension'}: only .csv and .xlsx reports are read")
    data = path.read_bytes()
    if not data:
        raise TableError("the file is empty (0 bytes)")
    if suffix != ".csv":
        return Grid(_xlsx_grid(path, data, sheet, percent_points))
    try:
        text, encoding = decode(data)
    except TextDecodeError as exc:
        raise TableError(str(exc)) from None
    cells: list[list[Any]] = list(csv_rows(text, expect))
    if all(_cell_text(c) == "" for row in cells for c in row):
        raise TableError(f"the file has no rows, only blank lines (read as {encoding} text)")
    return Grid(cells, encoding)


def _cell_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _texts(row: Sequence[Any]) -> list[str]:
    return [t for c in row if (t := _cell_text(c))]


def _quoted(labels: Sequence[str]) -> str:
    return ", ".join(repr(label) for label in labels) if labels else "no text at all"


def _find_header(grid: Grid, layout: TableLayout) -> int:
    if layout.header_row is not None:
        return layout.header_row - 1
    if layout.unit_header is None:
        return 0
    wanted = fold(layout.unit_header)
    for index, row in enumerate(grid.cells):
        if any(fold(_cell_text(c)) == wanted for c in row):
            return index
    # Say what the most header-like row holds: the one with the most texts near the top.
    top = grid.cells[:HEADER_SEARCH_ROWS] or [[]]
    best = max(range(len(top)), key=lambda i: len(_texts(top[i])))
    raise TableError(
        f"column {layout.unit_header!r} not found; the header seems to be row {best + 1}, which has "
        f"{_quoted(_texts(top[best]))}{grid.read_as()} (has the report format changed?)"
    )


def _headers(header_block: Sequence[Sequence[Any]]) -> tuple[list[str], list[str]]:
    """Folded keys and labels as written, one per column; a merged or spanning group title is repeated."""
    width = max(len(r) for r in header_block)
    # A group title over several columns: merged in XLSX (already copied), written once in CSV (copy it right).
    filled: list[list[Any]] = []
    for row in header_block[:-1]:
        cells = [row[c] if c < len(row) else None for c in range(width)]
        for c in range(1, width):
            if _cell_text(cells[c]) == "" and _cell_text(cells[c - 1]) != "":
                cells[c] = cells[c - 1]
        filled.append(cells)
    block = [*filled, list(header_block[-1])]
    keys: list[str] = []
    labels: list[str] = []
    for col in range(width):
        parts: list[str] = []
        written: list[str] = []
        for row in block:
            text = _cell_text(row[col] if col < len(row) else None)
            if fold(text) and (not parts or parts[-1] != fold(text)):
                parts.append(fold(text))
                written.append(text)
        keys.append(" ".join(parts))
        labels.append(" ".join(written))
    return keys, labels


def _is_number(value: Any) -> bool:
    """A cell that holds a count (``1.234``, ``93,4``, ``12``), not a word or a name."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int | float) or bool(_NUMBER.fullmatch(_cell_text(value)))


def _is_marker(row: Sequence[Any]) -> bool:
    texts = _texts(row)
    if not texts or isinstance(next(c for c in row if _cell_text(c)), int | float):
        return False
    first = fold(texts[0])
    return any(first == m or first.startswith(m + " ") for m in FOOTER_MARKERS) or bool(_DATE_LINE.search(first))


def read_table(grid: Grid, layout: TableLayout) -> Table:
    """The data rows under the header, without total rows and the notes and signature block at the bottom."""
    first = _find_header(grid, layout)
    header_block = grid.cells[first : first + layout.header_rows]
    if not header_block:
        raise TableError(f"the file has no header row {first + 1}; it has {len(grid.cells)} rows")
    keys, labels = _headers(header_block)
    missing = [c for c in layout.columns if fold(c) not in keys]
    if missing:
        header_at = first + layout.header_rows
        rows_said = f"row {header_at}" if layout.header_rows == 1 else f"rows {first + 1}-{header_at}"
        raise TableError(
            f"column{'s' if len(missing) > 1 else ''} {_quoted(missing)} not found; the header ({rows_said}) has "
            f"{_quoted([label for label in labels if label])}{grid.read_as()}"
        )
    start = first + layout.header_rows
    body = [(n, row) for n, row in enumerate(grid.cells[start:], start=start + 1)]
    records = [(n, {h: (row[i] if i < len(row) else None) for i, h in enumerate(keys) if h}) for n, row in body]
    counted = [fold(c) for c in layout.value_columns]

    def has_count(record: Row) -> bool:
        return any(_is_number(record.get(k)) for k in counted)

    last_count = max((i for i, (_, r) in enumerate(records) if has_count(r)), default=-1) if counted else None
    table = Table([], start, labels)
    unit_key = fold(layout.unit_header) if layout.unit_header else None
    blank = False
    for index, ((number, row), (_, record)) in enumerate(zip(body, records, strict=True)):
        if all(_cell_text(c) == "" for c in row):
            blank = True
            continue
        # The notes and signature block: a row that starts like one, or trailing text after a blank row.
        if _is_marker(row):
            if last_count is not None and index < last_count:
                later = next(n for n, r in records[index + 1 :] if has_count(r))
                raise TableError(
                    f"row {number} starts like the notes or signature block ({_texts(row)[0]!r}) but row {later} "
                    "below it still has counts: put the notes under the data"
                )
            table.footer_row = number
            break
        if blank and last_count is not None and index > last_count:
            table.footer_row = number
            break
        if unit_key is not None:
            unit = fold(_cell_text(record.get(unit_key)))
            if not unit or unit in layout.skip_units:
                continue
        table.rows.append((number, record))
    return table
