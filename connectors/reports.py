"""One report file (CSV or XLSX) → observations, with a source's configuration: shared by file_drop and import.

A report is all or nothing: the caller produces its observations only when no row was rejected (``qndti import
--partial`` is the explicit exception). Its time is, in this order, the ``fields.ts`` column, a date given by the
caller (``qndti import --date``), the report date in the file name, or the time of reading (with a warning). Its
revision is the file's modification time (see :mod:`connectors.revisions`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from pydantic import BaseModel, ConfigDict

from connectors.config import Fields, SourceConfig
from connectors.errors import RecordRejected, SourceResponseInvalid, SourceUnavailable
from connectors.mapping import Mapped, Mapper
from connectors.revisions import revised, revision_at
from connectors.tabular import Row, TableError, TableLayout, read_grid, read_table
from connectors.units import fold
from index_engine.catalog import Catalog

_TS: Final = "\x00report date"
_DAYS: Final[tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]] = (
    (re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)"), ("y", "m", "d")),
    (re.compile(r"(?<!\d)(\d{1,2})[-._](\d{1,2})[-._](\d{4})(?!\d)"), ("d", "m", "y")),
    (re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)"), ("y", "m", "d")),
)
# A monthly report named by its month, as the folded name writes it: "thang 6 nam 2023", "t6 2023" (from
# "T6-2023"), "06 2023" (from "06.2023"), "2023 06" (from "2023-06"): the report is dated the month's last day.
_MONTHS: Final[tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]] = (
    (re.compile(r"\bthang (\d{1,2}) (?:nam )?(\d{4})\b"), ("m", "y")),
    (re.compile(r"(?<!quy )(?<!lan )\bt?(\d{1,2}) (\d{4})\b"), ("m", "y")),
    (re.compile(r"\b(\d{4}) (\d{1,2})\b"), ("y", "m")),
)


def _day(name: str) -> dt.date | None:
    written = False
    for pattern, order in _DAYS:
        for match in pattern.finditer(name):
            parts = dict(zip(order, (int(g) for g in match.groups()), strict=True))
            try:
                return dt.date(parts["y"], parts["m"], parts["d"])
            except ValueError:
                written = True  # a day that does not exist (31-02-2023) is not read as a month either
    if written:
        return None
    folded = fold(name.replace("_", " "))
    for pattern, order in _MONTHS:
        for match in pattern.finditer(folded):
            parts = dict(zip(order, (int(g) for g in match.groups()), strict=True))
            if 1 <= parts["m"] <= 12 and 1900 < parts["y"] < 2200:
                following = dt.date(parts["y"] + parts["m"] // 12, parts["m"] % 12 + 1, 1)
                return following - dt.timedelta(days=1)
    return None


def end_of_day(day: dt.date, zone: dt.tzinfo, now: dt.datetime) -> dt.datetime:
    """The last second of ``day`` in ``zone``, not later than ``now``."""
    return min(dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=zone), now)


def day_in_name(name: str) -> dt.date | None:
    """The report day (or a month's last day) written in a file name."""
    return _day(Path(name).stem)


def date_in_name(name: str, zone: dt.tzinfo, now: dt.datetime) -> dt.datetime | None:
    """The end of the report day (or month) written in a file name, not later than ``now``."""
    day = _day(Path(name).stem)
    return None if day is None else end_of_day(day, zone, now)


def folded(config: SourceConfig) -> SourceConfig:
    """The configuration with header names folded the way :mod:`connectors.tabular` folds the file's headers."""
    f = config.fields
    fields = Fields(
        unit=fold(f.unit) if f.unit else None,
        ts=fold(f.ts) if f.ts else None,
        id=fold(f.id) if f.id else None,
        metric=fold(f.metric) if f.metric else None,
        value=fold(f.value) if f.value else None,
        unit_constant=f.unit_constant,
    )
    metrics = config.metrics if f.metric else {fold(k): v for k, v in config.metrics.items()}
    return config.model_copy(update={"fields": fields, "metrics": metrics})


def _columns(config: SourceConfig) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The headers a report must have, and those of its counts, as the configuration writes them."""
    f = config.fields
    values = (f.value,) if f.value else tuple(config.metrics)
    named = (f.unit, f.ts, f.id, f.metric)
    return tuple(c for c in named if c) + tuple(v for v in values if v), tuple(v for v in values if v)


class ReportOptions(BaseModel):
    """Where a report's header is and how it is dated (the ``options`` of a ``file_drop`` source)."""

    model_config = ConfigDict(extra="forbid")

    sheet: str | int = 0
    header_row: int | None = None
    header_rows: int = 1
    date_from_filename: bool = True


@dataclass
class Report:
    """One file read as a table: its data rows, its revision, where its notes block starts, and warnings."""

    path: Path
    rows: list[tuple[int, Row]]
    revision: int
    footer_row: int | None = None
    warnings: list[str] = field(default_factory=list)
    figures: dict[str, int] = field(default_factory=dict)
    """Figure (observation id without revision) → the row that gave it: a unit given twice is an error."""


class ReportReader:
    """Reads report files into observations with a source's configuration (used by file_drop and import)."""

    def __init__(self, config: SourceConfig, catalog: Catalog, options: ReportOptions) -> None:
        self.config = folded(config)
        self.options = options
        columns, values = _columns(config)
        labels = {fold(c): c for c in columns}
        self.ts_column = config.fields.ts
        self.mapper = Mapper(self.config, catalog, labels)
        dated = self.config.model_copy(update={"fields": self.config.fields.model_copy(update={"ts": _TS})})
        self.dated_mapper = Mapper(dated, catalog, labels)
        self.layout = TableLayout(
            unit_header=config.fields.unit,
            header_row=options.header_row,
            header_rows=options.header_rows,
            sheet=options.sheet,
            columns=columns,
            value_columns=values,
        )

    def _fail(self, path: Path, message: str) -> SourceResponseInvalid:
        return SourceResponseInvalid(self.config.name, f"{path.name}: {message}")

    def prepare(self, path: Path, now: dt.datetime, date: dt.date | None = None) -> Report:
        """The data rows of ``path``; raise SourceResponseInvalid when it is not a readable table."""
        try:
            revision = revision_at(path.stat().st_mtime)
            grid = read_grid(path, self.options.sheet, self.layout.unit_header)
            table = read_table(grid, self.layout)
        except TableError as exc:
            raise self._fail(path, str(exc)) from None
        except OSError as exc:
            raise SourceUnavailable(self.config.name, f"{path.name}: cannot be read ({exc.strerror})") from None
        report = Report(path, table.rows, revision, table.footer_row)
        if not table.rows:
            raise self._fail(path, f"no data rows under the header (row {table.header_row})")
        if self.config.fields.ts is not None:
            if date is not None:
                report.warnings.append(
                    f"{path.name}: the date given is not used: each row's time is in column {self.ts_column!r}"
                )
            return report
        when = end_of_day(date, self.mapper.zone, now) if date is not None else None
        if when is None and self.options.date_from_filename:
            when = date_in_name(path.name, self.mapper.zone, now)
            if when is None:
                local = now.astimezone(self.mapper.zone)
                report.warnings.append(
                    f"{path.name}: no report date in the file name; its rows are dated {local:%Y-%m-%d %H:%M}, "
                    "the time they were read (put the date in the name, e.g. bao-cao-2023-06-30.xlsx, or give "
                    "it with qndti import --date)"
                )
        if when is not None:
            report.rows = [(n, {**r, _TS: when}) for n, r in report.rows]
        return report

    def map(self, report: Report, rows: list[tuple[int, Row]], now: dt.datetime) -> Mapped:
        """Map some of a report's rows at the report's revision; a figure given by two rows rejects the second."""
        result = Mapped()
        label = f"{report.path.name}, row"
        for number, row in rows:
            mapper = self.dated_mapper if _TS in row else self.mapper
            one = mapper.map_numbered([(number, row)], now, label)
            twice = [o for o in one.observations if o.id in report.figures]
            if twice:
                earlier = report.figures[twice[0].id]
                message = f"unit {twice[0].unit} already has {twice[0].metric} for this date in row {earlier}"
                result.rejected.append(RecordRejected(self.config.name, f"{label} {number}", message))
                continue
            report.figures.update((o.id, number) for o in one.observations)
            one.observations = [revised(o, report.revision) for o in one.observations]
            result.extend(one)
        return result

    def read(self, path: Path, now: dt.datetime) -> tuple[Report, Mapped]:
        """Read and map every data row of ``path``."""
        report = self.prepare(path, now)
        return report, self.map(report, report.rows, now)
