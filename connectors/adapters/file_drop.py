"""``file_drop``: a watched folder of CSV and XLSX reports.

Each file is read whole (see :mod:`connectors.reports`): if every data row maps, its observations are produced
and the file moves to ``processed/``; if any row is bad, nothing of it is produced and it moves to ``failed/``
with ``<file>.reason.txt`` saying which rows and why. A file whose content (SHA-256) was produced before is not
produced again. The observations of a file carry its modification time as their revision, so a corrected file
for the same date, saved after the original, has the higher revision (see :mod:`connectors.revisions`).

A source with ``produces: task_reports`` reads task progress files instead (:mod:`connectors.progress_files`):
each good row becomes a TaskReport; rows that cannot be one are logged and counted, and listed in
``<file>.reason.txt`` next to the file in ``processed/`` (or in ``failed/`` when no row was good); the other rows
go through.

Options::

    folder: /srv/qndti/drop/etax     # required; processed/ and failed/ are made inside it
    patterns: ["*.csv", "*.xlsx"]
    sheet: 0                         # sheet number from 0, or its name
    header_row: null                 # 1-based; null finds the row holding the ``fields.unit`` header
    header_rows: 1                   # 2 or more when the header has merged rows
    settle_seconds: 2                # leave files younger than this alone (still being copied)
    date_from_filename: true         # without ``fields.ts``: the report date in the file name (2023-06-30,
                                     # 30-06-2023, 30.06.2023, 20230630; a month: thang-6-2023, T6-2023,
                                     # 06.2023, 2023-06 → its last day), else the time of the poll, with a
                                     # warning in the log
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from pydantic import Field

from connectors.base import Batch, parse_options
from connectors.checkpoint import Checkpoint
from connectors.config import SourceConfig
from connectors.errors import ConfigError, SourceResponseInvalid, SourceUnavailable
from connectors.mapping import Mapped
from connectors.progress_files import ProgressFileReader
from connectors.reports import ReportOptions, ReportReader
from index_engine.catalog import Catalog
from index_engine.task_report import TaskReport

MAX_REMEMBERED: Final = 5000


class FileDropOptions(ReportOptions):
    """Options of a ``file_drop`` source (its report layout is also what ``qndti import`` reads reports with)."""

    folder: Path | None = None
    patterns: list[str] = Field(default_factory=lambda: ["*.csv", "*.xlsx"])
    settle_seconds: float = 2.0


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
            raise ConfigError(config.file.rsplit("/", 1)[-1], "the folder to watch is required", "options.folder")
        self.folder = self.options.folder
        self.reader = ReportReader(config, catalog, self.options)
        self.tasks = ProgressFileReader(config, self.options) if config.produces == "task_reports" else None

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
        reports: list[TaskReport] = []
        rejected: list[SourceResponseInvalid] = []
        warnings: list[str] = []
        for path in self._candidates(now):
            digest = sha256(path)
            if digest in seen:
                moves.append((path, self.folder / "processed", f"same content as {seen[digest]['name']}: not produced"))
                continue
            if self.tasks is not None:
                before = len(reports)
                moves.append(self._progress(self.tasks, path, reports, rejected))
                if len(reports) > before:
                    seen[digest] = {"name": path.name, "at": now.isoformat(), "task_reports": len(reports) - before}
                continue
            try:
                report, result = self.reader.read(path, now)
            except SourceResponseInvalid as exc:
                moves.append((path, self.folder / "failed", exc.detail))
                rejected.append(exc)
                continue
            if result.rejected:
                reasons = [f"{r.where}: {r.detail}" for r in result.rejected]
                moves.append((path, self.folder / "failed", "\n".join(reasons)))
                rejected.extend(result.rejected)
                continue
            mapped.extend(result)
            warnings.extend(report.warnings)
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
            warnings=warnings,
            task_reports=reports,
            produces=self.config.produces,
        )

    def _progress(
        self, reader: ProgressFileReader, path: Path, reports: list[TaskReport], rejected: list[SourceResponseInvalid]
    ) -> tuple[Path, Path, str | None]:
        """Read one progress file into ``reports`` and ``rejected``; return where it moves and why."""
        try:
            found = reader.read(path)
        except SourceResponseInvalid as exc:
            rejected.append(exc)
            return path, self.folder / "failed", exc.detail
        reports.extend(found.reports)
        rejected.extend(found.rejected)
        if not found.rejected:
            return path, self.folder / "processed", None
        lines = [f"{r.where}: {r.detail}" for r in found.rejected]
        if not found.reports:
            return path, self.folder / "failed", "no row could be read as a task report:\n" + "\n".join(lines)
        produced, aside = len(found.reports), len(found.rejected)
        head = f"{produced} rows produced; {aside} rows set aside (fix them and drop the file again):"
        return path, self.folder / "processed", "\n".join([head, *lines])

    async def poll(self, checkpoint: Checkpoint, now: dt.datetime) -> Batch:
        """Read every settled file in the folder."""
        return await asyncio.to_thread(self._poll, checkpoint, now)


def build(config: SourceConfig, catalog: Catalog, env: Mapping[str, str]) -> FileDropConnector:
    """A ``file_drop`` connector for ``config``."""
    return FileDropConnector(config, catalog)
