"""A task progress file (CSV or XLSX, as a lead unit fills it) → TaskReport v1 records, row by row.

The header is the first row holding a task-code column (``Mã nhiệm vụ``, ``Task``, …; see
:mod:`connectors.tasks`), or ``header_row``; title rows above it and the notes and signature block under the data
are left out as in every report (:mod:`connectors.tabular`). A progress column is required; a date column is not
when the file name carries the report date (``tien-do-2023-06-30.xlsx``). Unlike a report of counts, a progress
file is not all or nothing: each row is a report of its own, so a row that cannot become a TaskReport is set aside
with its row number and column, and the other rows go through. A row without a task code and without progress,
state, date or evidence is a heading (``I. CHÍNH QUYỀN SỐ``) and is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors.config import SourceConfig
from connectors.errors import RecordRejected, SourceResponseInvalid, SourceUnavailable
from connectors.reports import ReportOptions, day_in_name
from connectors.tabular import HEADER_SEARCH_ROWS, Grid, TableError, TableLayout, read_grid, read_table
from connectors.tasks import KNOWN_NAMES, TaskRecordParser, Where
from connectors.units import fold
from index_engine.task_report import TaskReport

_FILLED = ("progress", "state", "date", "evidence")


@dataclass
class ProgressFile:
    """What one file gave: its reports, the rows set aside, and where its notes block starts."""

    path: Path
    reports: list[TaskReport] = field(default_factory=list)
    rejected: list[RecordRejected] = field(default_factory=list)
    footer_row: int | None = None


def _texts(row: list[Any]) -> list[str]:
    return [str(c).strip() for c in row if c is not None and str(c).strip()]


class ProgressFileReader:
    """Reads progress files with one source's configuration (``produces: task_reports``)."""

    def __init__(self, config: SourceConfig, options: ReportOptions) -> None:
        self.config = config
        self.options = options
        self.parser = TaskRecordParser(config)
        self.task_names = self.parser.names.names["task"]

    def _fail(self, path: Path, message: str) -> SourceResponseInvalid:
        return SourceResponseInvalid(self.config.name, f"{path.name}: {message}")

    def _header(self, grid: Grid) -> int:
        if self.options.header_row is not None:
            return self.options.header_row
        for number, row in enumerate(grid.cells, start=1):
            if any(fold(str(c)) in self.task_names for c in row if c is not None):
                return number
        top = grid.cells[:HEADER_SEARCH_ROWS] or [[]]
        best = max(range(len(top)), key=lambda i: len(_texts(top[i])))
        said = ", ".join(repr(t) for t in _texts(top[best])) or "no text at all"
        names = ", ".join(repr(n) for n in KNOWN_NAMES["task"][:2])
        raise TableError(
            f"no task-code column ({names}, …); the header seems to be row {best + 1}, which has {said}{grid.read_as()}"
        )

    def read(self, path: Path) -> ProgressFile:
        """Every row of ``path`` as a report or a rejection; raise SourceResponseInvalid when it is not a table."""
        expect = tuple(self.config.tasks.task) + KNOWN_NAMES["task"]
        try:
            grid = read_grid(path, self.options.sheet, expect, percent_points=True)
            header = self._header(grid)
            table = read_table(grid, TableLayout(header_row=header, header_rows=self.options.header_rows))
        except TableError as exc:
            raise self._fail(path, str(exc)) from None
        except OSError as exc:
            raise SourceUnavailable(self.config.name, f"{path.name}: cannot be read ({exc.strerror})") from None
        labels = {fold(label): label for label in table.labels if label}
        keys = self.parser.names.find(labels)
        last_header = header + self.options.header_rows - 1
        if "task" not in keys:
            raise self._fail(path, f"no task-code column in the header (row {last_header})")
        if "progress" not in keys and "state" not in keys:
            raise self._fail(path, f"no progress column ('Tiến độ (%)', 'Progress') in the header (row {last_header})")
        day = day_in_name(path.name) if self.options.date_from_filename else None
        if "date" not in keys and day is None:
            raise self._fail(
                path, "no report-date column ('Ngày báo cáo', 'Date') and no date in the file name (e.g. 2023-06-30)"
            )
        result = ProgressFile(path, footer_row=table.footer_row)
        where = Where("column", labels)
        for number, row in table.rows:
            if not _texts([row.get(keys["task"])]) and not any(
                _texts([row.get(keys[p])]) for p in _FILLED if p in keys
            ):
                continue  # a heading row
            try:
                result.reports.append(self.parser.parse(row, keys, where, day=day, seed=path.name))
            except RecordRejected as exc:
                exc.where = f"{path.name}, row {number}, {exc.where}"
                exc.args = (f"source {self.config.name!r}: {exc.where}: {exc.detail}",)
                result.rejected.append(exc)
        if not result.reports and not result.rejected:
            raise self._fail(path, f"no task rows under the header (row {last_header})")
        return result
