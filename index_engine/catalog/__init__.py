"""The QN-DTI catalog: units, metrics and indicators loaded from versioned CSV files.

Every file is validated on load; an invalid row raises :class:`~index_engine.errors.CatalogError` naming the file,
row and field. Units carry validity dates: the administrative map is data, never code.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar, cast, get_args

from index_engine.errors import CatalogError

MetricKind = Literal["delta", "cumulative", "gauge"]
Direction = Literal["up", "down"]
Aggregation = Literal["ytd", "latest"]

DEFAULT_VERSION = "qndti-1.0"
CATALOG_ROOT = Path(__file__).parent


@dataclass(frozen=True, slots=True)
class Unit:
    """An assessed unit (province, locality, department) valid over a date range."""

    code: str
    name_vi: str
    name_en: str
    kind: str
    parent: str | None
    peer_group: str
    valid_from: dt.date
    valid_to: dt.date | None

    def valid_on(self, day: dt.date) -> bool:
        """Whether the unit exists on ``day``."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True, slots=True)
class Metric:
    """A count that connectors observe, with the observation kind sources are expected to send."""

    code: str
    kind: MetricKind
    unit_of_measure: str
    description_vi: str
    description_en: str


@dataclass(frozen=True, slots=True)
class Indicator:
    """An indicator: ``numerator / denominator × scale`` over metrics, or one metric alone."""

    code: str
    pillar: str
    name_vi: str
    name_en: str
    numerator: str
    denominator: str | None
    scale: float
    direction: Direction
    aggregation: Aggregation
    cadence_hours: float
    lead_unit: str
    source_system: str
    assumed: bool

    @property
    def metrics(self) -> tuple[str, ...]:
        """The metric codes this indicator reads."""
        return (self.numerator,) if self.denominator is None else (self.numerator, self.denominator)


@dataclass(frozen=True, slots=True)
class Catalog:
    """One version of the catalog."""

    version: str
    units: Mapping[str, Unit]
    metrics: Mapping[str, Metric]
    indicators: Mapping[str, Indicator]
    _children: Mapping[str, tuple[str, ...]] = field(repr=False, default_factory=dict)

    def children(self, unit_code: str) -> tuple[str, ...]:
        """The direct children of a unit, in catalog order."""
        return self._children.get(unit_code, ())

    def indicators_reading(self, metric_code: str) -> tuple[Indicator, ...]:
        """The indicators whose numerator or denominator is ``metric_code``."""
        return tuple(i for i in self.indicators.values() if metric_code in i.metrics)


_T = TypeVar("_T")
_Row = dict[str, str]


def _rows(path: Path) -> Iterator[tuple[int, _Row]]:
    if not path.is_file():
        raise CatalogError(path.name, "file is missing")
    with path.open(encoding="utf-8", newline="") as handle:
        # Row numbers count the header as row 1, as a spreadsheet shows them.
        yield from enumerate(csv.DictReader(handle), start=2)


class _Reader:
    """Reads typed fields from one CSV row, raising errors that name file, row and field."""

    def __init__(self, file: str, row_number: int, row: _Row) -> None:
        self.file, self.row_number, self.row = file, row_number, row

    def fail(self, name: str, message: str) -> CatalogError:
        return CatalogError(self.file, message, row=self.row_number, field=name)

    def text(self, name: str, *, required: bool = True) -> str:
        value = (self.row.get(name) or "").strip()
        if required and not value:
            raise self.fail(name, "is required")
        return value

    def optional(self, name: str) -> str | None:
        return self.text(name, required=False) or None

    def number(self, name: str) -> float:
        raw = self.text(name)
        try:
            return float(raw)
        except ValueError:
            raise self.fail(name, f"{raw!r} is not a number") from None

    def date(self, name: str, *, required: bool = True) -> dt.date | None:
        raw = self.text(name, required=required)
        if not raw:
            return None
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            raise self.fail(name, f"{raw!r} is not a date (YYYY-MM-DD)") from None

    def choice(self, name: str, allowed: tuple[str, ...]) -> str:
        value = self.text(name)
        if value not in allowed:
            raise self.fail(name, f"{value!r} is not one of {', '.join(allowed)}")
        return value

    def boolean(self, name: str) -> bool:
        return self.choice(name, ("true", "false")) == "true"


def _load(path: Path, build: Callable[[_Reader], _T], key: Callable[[_T], str]) -> dict[str, _T]:
    items: dict[str, _T] = {}
    for number, row in _rows(path):
        reader = _Reader(path.name, number, row)
        item = build(reader)
        code = key(item)
        if code in items:
            raise reader.fail("code", f"duplicate code {code!r}")
        items[code] = item
    return items


def _unit(r: _Reader) -> Unit:
    valid_from = r.date("valid_from")
    assert valid_from is not None  # noqa: S101 - required=True guarantees a date
    return Unit(
        code=r.text("code"),
        name_vi=r.text("name_vi"),
        name_en=r.text("name_en"),
        kind=r.text("kind"),
        parent=r.optional("parent"),
        peer_group=r.text("peer_group"),
        valid_from=valid_from,
        valid_to=r.date("valid_to", required=False),
    )


def _metric(r: _Reader) -> Metric:
    return Metric(
        code=r.text("code"),
        kind=cast(MetricKind, r.choice("kind", get_args(MetricKind))),
        unit_of_measure=r.text("unit_of_measure"),
        description_vi=r.text("description_vi"),
        description_en=r.text("description_en"),
    )


def _indicator(r: _Reader) -> Indicator:
    return Indicator(
        code=r.text("code"),
        pillar=r.text("pillar"),
        name_vi=r.text("name_vi"),
        name_en=r.text("name_en"),
        numerator=r.text("numerator"),
        denominator=r.optional("denominator"),
        scale=r.number("scale"),
        direction=cast(Direction, r.choice("direction", get_args(Direction))),
        aggregation=cast(Aggregation, r.choice("aggregation", get_args(Aggregation))),
        cadence_hours=r.number("cadence_hours"),
        lead_unit=r.text("lead_unit"),
        source_system=r.text("source_system"),
        assumed=r.boolean("assumed"),
    )


def _check_references(
    units: Mapping[str, Unit], metrics: Mapping[str, Metric], indicators: Mapping[str, Indicator]
) -> None:
    for number, unit in enumerate(units.values(), start=2):
        if unit.parent is not None and unit.parent not in units:
            raise CatalogError("units.csv", f"unknown parent unit {unit.parent!r}", row=number, field="parent")
    for number, indicator in enumerate(indicators.values(), start=2):
        for name in ("numerator", "denominator"):
            code = getattr(indicator, name)
            if code is not None and code not in metrics:
                raise CatalogError("indicators.csv", f"unknown metric {code!r}", row=number, field=name)
        if indicator.lead_unit not in units:
            raise CatalogError(
                "indicators.csv", f"unknown lead unit {indicator.lead_unit!r}", row=number, field="lead_unit"
            )


def load_catalog(version: str = DEFAULT_VERSION, root: Path = CATALOG_ROOT) -> Catalog:
    """Load and validate one catalog version from ``root/version``."""
    folder = root / version
    if not folder.is_dir():
        raise CatalogError(str(folder), "catalog version folder is missing")
    units = _load(folder / "units.csv", _unit, lambda u: u.code)
    metrics = _load(folder / "metrics.csv", _metric, lambda m: m.code)
    indicators = _load(folder / "indicators.csv", _indicator, lambda i: i.code)
    _check_references(units, metrics, indicators)
    children: dict[str, list[str]] = {}
    for unit in units.values():
        if unit.parent is not None:
            children.setdefault(unit.parent, []).append(unit.code)
    return Catalog(
        version=version,
        units=units,
        metrics=metrics,
        indicators=indicators,
        _children={k: tuple(v) for k, v in children.items()},
    )
