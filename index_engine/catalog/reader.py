"""Typed reading of catalog CSV files, with errors that name the file, row and field."""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Callable, Container, Iterator
from pathlib import Path
from typing import TypeVar

from index_engine.errors import CatalogError

_T = TypeVar("_T")
Row = dict[str, str]


def rows(path: Path, name: str | None = None) -> Iterator[tuple[int, Row]]:
    """The rows of a CSV file with their spreadsheet row numbers; errors call the file ``name``."""
    if not path.is_file():
        raise CatalogError(name or path.name, "file is missing")
    with path.open(encoding="utf-8", newline="") as handle:
        # Row numbers count the header as row 1, as a spreadsheet shows them.
        yield from enumerate(csv.DictReader(handle), start=2)


class Reader:
    """Reads typed fields from one CSV row, raising errors that name file, row and field."""

    def __init__(self, file: str, row_number: int, row: Row) -> None:
        self.file, self.row_number, self.row = file, row_number, row

    def fail(self, name: str, message: str) -> CatalogError:
        """An error about field ``name`` of this row."""
        return CatalogError(self.file, message, row=self.row_number, field=name)

    def text(self, name: str, *, required: bool = True) -> str:
        """A stripped text field."""
        value = (self.row.get(name) or "").strip()
        if required and not value:
            raise self.fail(name, "is required")
        return value

    def optional(self, name: str) -> str | None:
        """A text field that may be empty."""
        return self.text(name, required=False) or None

    def codes(self, name: str) -> tuple[str, ...]:
        """A list of codes separated by ``;``, possibly empty."""
        return tuple(c.strip() for c in self.text(name, required=False).split(";") if c.strip())

    def number(self, name: str, *, positive: bool = False, minimum: float | None = None) -> float:
        """A finite number, optionally required to be > 0 or ≥ ``minimum``."""
        raw = self.text(name)
        try:
            value = float(raw)
        except ValueError:
            raise self.fail(name, f"{raw!r} is not a number") from None
        if not math.isfinite(value):
            raise self.fail(name, f"{raw!r} is not a finite number")
        if positive and value <= 0:
            raise self.fail(name, f"{raw} must be greater than 0")
        if minimum is not None and value < minimum:
            raise self.fail(name, f"{raw} must be at least {minimum:g}")
        return value

    def integer(self, name: str) -> int:
        """A whole number."""
        raw = self.text(name)
        try:
            return int(raw)
        except ValueError:
            raise self.fail(name, f"{raw!r} is not a whole number") from None

    def date(self, name: str) -> dt.date:
        """A required ISO date."""
        value = self.optional_date(name, required=True)
        assert value is not None  # noqa: S101 - required=True guarantees a date
        return value

    def optional_date(self, name: str, *, required: bool = False) -> dt.date | None:
        """An ISO date (YYYY-MM-DD), ``None`` when empty and not required."""
        raw = self.text(name, required=required)
        if not raw:
            return None
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            raise self.fail(name, f"{raw!r} is not a date (YYYY-MM-DD)") from None

    def choice(self, name: str, allowed: tuple[str, ...]) -> str:
        """One of ``allowed``."""
        value = self.text(name)
        if value not in allowed:
            raise self.fail(name, f"{value!r} is not one of {', '.join(allowed)}")
        return value

    def boolean(self, name: str) -> bool:
        """``true`` or ``false``."""
        return self.choice(name, ("true", "false")) == "true"

    def reference(self, name: str, code: str, known: Container[str], what: str) -> str:
        """Check that ``code`` (read from field ``name``) is in ``known``."""
        if code not in known:
            raise self.fail(name, f"unknown {what} {code!r}")
        return code


def load_table(
    path: Path,
    build: Callable[[Reader], _T],
    key: Callable[[_T], object],
    key_field: str = "code",
    name: str | None = None,
) -> list[tuple[Reader, _T]]:
    """Build one record per row, rejecting duplicate keys; keeps each row's reader for later checks.

    Errors name the file ``name`` (default: the file's name), for example ``plans/2024/targets.csv``.
    """
    seen: set[object] = set()
    table: list[tuple[Reader, _T]] = []
    for number, row in rows(path, name):
        reader = Reader(name or path.name, number, row)
        item = build(reader)
        code = key(item)
        if code in seen:
            raise reader.fail(key_field, f"duplicate {code!r}")
        seen.add(code)
        table.append((reader, item))
    return table
