"""``file_drop``: a watched folder of CSV and XLSX reports.

Each file is read whole: if every data row maps, its observations are produced and the file moves to
``processed/``; if any row is bad, nothing of it is produced and it moves to ``failed/`` with
``<file>.reason.txt`` saying which rows and why. A file whose content (SHA-256) was produced before is not
produced again.

Options::

    folder: /srv/qndti/drop/etax     # required; processed/ and failed/ are made inside it
    patterns: ["*.csv", "*.xlsx"]
    sheet: 0                         # sheet number from 0, or its name
    header_row: null                 # 1-based; null finds the row holding the ``fields.unit`` header
    header_rows: 1                   # 2 or more when the header has merged rows
    settle_seconds: 2                # leave files younger than this alone (still being copied)
    date_from_filename: true         # without ``fields.ts``: the report date in the file name (2023-06-30,
                                     # 30-06-2023, 30.06.2023 or 20230630), else the time of the poll
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel, ConfigDict

from connectors.base import Batch, parse_options
from connectors.checkpoint import Checkpoint
from connectors.config import Fields, SourceConfig
from connectors.errors import RecordRejected, SourceResponseInvalid, SourceUnavailable
from connectors.mapping import Mapped, Mapper
from connectors.tabular import TableError, TableLayout, read_grid, rows
from connectors.units import fold
from index_engine.catalog import Catalog

MAX_REMEMBERED: Final = 5000
_TS: Final = "\x00report date"
_DATES: Final = (
    (re.compile(r"(\d{4})-(\d{2})-(\d{2})"), ("y", "m", "d")),
    (re.compile(r"(\d{1,2})[-.](\d{1,2})[-.](\d{4})"), ("d", "m", "y")),
    (re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)"), ("y", "m", "d")),
)


class FileDropOptions(BaseModel):
    """Options of a ``file_drop`` source (also the layout ``qndti import`` reads reports with)."""

    model_config = ConfigDict(extra="forbid")

    folder: Path | None = None
    patterns: list[str] = ["*.csv", "*.xlsx"]
    sheet: str | int = 0
    header_row: int | None = None
    header_rows: int = 1
    settle_seconds: float = 2.0
    date_from_filename: bool = True


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


def date_in_name(name: str, zone: dt.tzinfo, now: dt.datetime) -> dt.datetime | None:
    """The end of the report day written in a file name, not later than ``now``."""
    for pattern, order in _DATES:
        for match in pattern.finditer(name):
            parts = dict(zip(order, (int(g) for g in match.groups()), strict=True))
            try:
                day = dt.date(parts["y"], parts["m"], parts["d"])
            except ValueError:
                continue
            end = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=zone)
            return min(end, now)
    return None


class ReportReader:
    """Reads one report file into observations with a source's configuration (used by file_drop and import)."""

    def __init__(self, config: SourceConfig, catalog: Catalog, options: FileDropOptions) -> None:
        self.config = folded(config)
        self.options = options
        self.mapper = Mapper(self.config, catalog)
        dated = self.config.model_copy(update={"fields": self.config.fields.model_copy(update={"ts": _TS})})
        self.dated_mapper = Mapper(dated, catalog)
        self.layout = TableLayout(
            unit_header=config.fields.unit,
            header_row=options.header_row,
            header_rows=options.header_rows,
            sheet=options.sheet,
        )

    def prepare(self, path: Path, now: dt.datetime) -> list[tuple[int, dict[str, Any]]]:
        """The numbered data rows of ``path``; raise SourceResponseInvalid when it is not a readable table."""
        try:
            grid = read_grid(path, self.options.sheet)
            numbered = list(rows(grid, self.layout))
        except TableError as exc:
            raise SourceResponseInvalid(self.config.name, f"{path.name}: {exc}") from None
        except OSError as exc:
            raise SourceUnavailable(self.config.name, f"{path.name}: cannot be read ({exc.strerror})") from None
        if self.config.fields.ts is None and self.options.date_from_filename:
            when = date_in_name(path.name, self.mapper.zone, now)
            if when is not None:
                numbered = [(n, {**r, _TS: when}) for n, r in numbered]
        return numbered

    def map(self, numbered: list[tuple[int, dict[str, Any]]], now: dt.datetime, label: str) -> Mapped:
        """Map prepared rows; rows carrying the file-name date use it as their time."""
        dated = [r for r in numbered if _TS in r[1]]
        undated = [r for r in numbered if _TS not in r[1]]
        result = self.mapper.map_numbered(undated, now, label)
        result.extend(self.dated_mapper.map_numbered(dated, now, label))
        return result

    def read(self, path: Path, now: dt.datetime) -> Mapped:
        """Map every data row of ``path``."""
        return self.map(self.prepare(path, now), now, f"{path.name}, row")


def sha256(path: Path) -> str:
    """The SHA-256 of a file's content."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def _move(path: Path, folder: Path, reason: str | None = None) -> None:
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    if target.exists():
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
        target = folder / f"{path.stem}.{stamp}{path.suffix}"
    shutil.move(path, target)
    if reason is not None:
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")


class FileDropConnector:
    """Reads the reports dropped into one folder."""

    def __init__(self, config: SourceConfig, catalog: Catalog) -> None:
        self.config = config
        self.options = parse_options(config, FileDropOptions)
        if self.options.folder is None:
            from connectors.errors import ConfigError

            raise ConfigError(config.file.rsplit("/", 1)[-1], "the folder to watch is required", "options.folder")
        self.folder = self.options.folder
        self.reader = ReportReader(config, catalog, self.options)

    async def aclose(self) -> None:
        """Nothing to release."""

    def _candidates(self, now: dt.datetime) -> list[Path]:
        if not self.folder.is_dir():
            raise SourceUnavailable(self.config.name, f"the drop folder {self.folder} is missing")
        found = {p for pattern in self.options.patterns for p in self.folder.glob(pattern) if p.is_file()}
        settle = now.timestamp() - self.options.settle_seconds
        return sorted(p for p in found if p.stat().st_mtime <= settle)

    def _poll(self, checkpoint: Checkpoint, now: dt.datetime) -> Batch:
        seen: dict[str, Any] = dict(checkpoint.get("files", {}))
        moves: list[tuple[Path, Path, str | None]] = []
        mapped = Mapped()
        rejected: list[RecordRejected] = []
        for path in self._candidates(now):
            digest = sha256(path)
            if digest in seen:
                moves.append((path, self.folder / "processed", f"same content as {seen[digest]['name']}: not produced"))
                continue
            try:
                result = self.reader.read(path, now)
            except SourceResponseInvalid as exc:
                moves.append((path, self.folder / "failed", exc.detail))
                rejected.append(RecordRejected(self.config.name, path.name, exc.detail))
                continue
            if result.rejected or not result.observations:
                reasons = [str(r.where) + ": " + r.detail for r in result.rejected] or ["no data rows"]
                moves.append((path, self.folder / "failed", "\n".join(reasons)))
                rejected.extend(result.rejected or [RecordRejected(self.config.name, path.name, "no data rows")])
                continue
            mapped.extend(result)
            seen[digest] = {"name": path.name, "at": now.isoformat(), "observations": len(result.observations)}
            moves.append((path, self.folder / "processed", None))
        # Keep the memory of produced files bounded: forget the oldest first.
        if len(seen) > MAX_REMEMBERED:
            seen = dict(sorted(seen.items(), key=lambda kv: str(kv[1]["at"]))[-MAX_REMEMBERED:])

        async def move_all() -> None:
            for path, folder, reason in moves:
                await asyncio.to_thread(_move, path, folder, reason)

        return Batch(
            mapped.observations,
            {**checkpoint, "files": seen},
            mapped.newest,
            rejected=rejected,
            after_produced=move_all if moves else None,
        )

    async def poll(self, checkpoint: Checkpoint, now: dt.datetime) -> Batch:
        """Read every settled file in the folder."""
        return await asyncio.to_thread(self._poll, checkpoint, now)


def build(config: SourceConfig, catalog: Catalog, env: Mapping[str, str]) -> FileDropConnector:
    """A ``file_drop`` connector for ``config``."""
    return FileDropConnector(config, catalog)
