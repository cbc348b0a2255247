"""Records (JSON objects, SQL rows, spreadsheet rows, webhook bodies) → validated Observation v1 records.

A record that cannot be mapped (unit not in the catalog, negative or non-numeric count, missing field, bad
time) becomes a :class:`~connectors.errors.RecordRejected` naming the record and the field; it is never produced.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from zoneinfo import ZoneInfo

from connectors.config import SourceConfig
from connectors.errors import RecordRejected
from connectors.numbers import parse_number
from connectors.units import UnitResolver
from index_engine.catalog import Catalog
from index_engine.errors import InvalidObservation
from index_engine.observation import Observation, validate

_MISSING: Final = object()
_VI_DATE: Final = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


def get_path(record: Any, path: str) -> Any:
    """The value at a dotted path (``data.items.0.count``); a key containing dots is matched whole first."""
    if isinstance(record, Mapping) and path in record:
        return record[path]
    current = record
    for part in path.split("."):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif isinstance(current, Sequence) and not isinstance(current, str) and part.lstrip("-").isdigit():
            index = int(part)
            if not -len(current) <= index < len(current):
                return _MISSING
            current = current[index]
        else:
            return _MISSING
    return current


def parse_time(raw: object, zone: dt.tzinfo) -> dt.datetime:
    """An aware time from ISO 8601, ``dd/mm/yyyy[ HH:MM[:SS]]``, epoch seconds, or a date/datetime object.

    Times without an offset are read in ``zone`` (the source's local time); a date alone means its midnight.
    """
    if isinstance(raw, dt.datetime):
        value = raw
    elif isinstance(raw, dt.date):
        value = dt.datetime.combine(raw, dt.time())
    elif isinstance(raw, int | float) and not isinstance(raw, bool):
        value = dt.datetime.fromtimestamp(raw, dt.UTC)
    elif isinstance(raw, str) and (match := _VI_DATE.match(raw.strip())):
        day, month, year, hour, minute, second = (int(g) if g else 0 for g in match.groups())
        value = dt.datetime(year, month, day, hour, minute, second)  # noqa: DTZ001 - zone applied below
    elif isinstance(raw, str):
        text = raw.strip().replace("Z", "+00:00")
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{raw!r} is not a time") from None
    else:
        raise ValueError(f"{raw!r} is not a time")
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def _stamp(ts: dt.datetime) -> str:
    return ts.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Mapped:
    """What a batch of records became: observations to produce, and records rejected with the reason."""

    observations: list[Observation] = field(default_factory=list)
    rejected: list[RecordRejected] = field(default_factory=list)
    newest: dt.datetime | None = None

    def extend(self, other: Mapped) -> None:
        """Add another batch's results."""
        self.observations.extend(other.observations)
        self.rejected.extend(other.rejected)
        if other.newest is not None and (self.newest is None or other.newest > self.newest):
            self.newest = other.newest


class Mapper:
    """Maps one source's records to observations as its configuration says."""

    def __init__(self, config: SourceConfig, catalog: Catalog, columns: Mapping[str, str] | None = None) -> None:
        self.config = config
        self.catalog = catalog
        self.units = UnitResolver(catalog, config.units.aliases)
        self.zone = ZoneInfo(config.timezone)
        self.columns = dict(columns or {})
        """Field path → column header as the report writes it, for messages (``column 'DN nộp thuế'``)."""

    def _where(self, path: str) -> str:
        return f"column {self.columns[path]!r}" if path in self.columns else f"field {path!r}"

    def map(self, records: Iterable[Mapping[str, Any]], now: dt.datetime, label: str = "record") -> Mapped:
        """Map every record; ``label`` names records in errors (``row``, ``item``…), numbered from 1."""
        return self.map_numbered(enumerate(records, start=1), now, label)

    def map_numbered(
        self, records: Iterable[tuple[int, Mapping[str, Any]]], now: dt.datetime, label: str = "row"
    ) -> Mapped:
        """Map records that carry their own numbers (spreadsheet rows)."""
        result = Mapped()
        for number, record in records:
            try:
                observations = self.map_one(record, now)
            except RecordRejected as exc:
                exc.where = f"{label} {number}, {exc.where}"
                exc.args = (f"source {self.config.name!r}: {exc.where}: {exc.detail}",)
                result.rejected.append(exc)
                continue
            result.observations.extend(observations)
            for obs in observations:
                if result.newest is None or obs.ts > result.newest:
                    result.newest = obs.ts
        return result

    def _reject(self, where: str, message: str) -> RecordRejected:
        return RecordRejected(self.config.name, where, message)

    def _field(self, record: Mapping[str, Any], path: str, what: str) -> Any:
        value = get_path(record, path)
        if value is _MISSING:
            raise self._reject(self._where(path), f"{what} is missing (has the source changed its format?)")
        return value

    def map_one(self, record: Mapping[str, Any], now: dt.datetime) -> list[Observation]:
        """The observations of one record, or RecordRejected."""
        fields = self.config.fields
        if fields.unit is not None:
            name = self._field(record, fields.unit, "the unit")
            unit = self.units.resolve(name)
            if unit is None:
                raise self._reject(self._where(fields.unit), f"unit {name!r} is not in the catalog (add an alias?)")
        else:
            unit = str(fields.unit_constant)
        ts = now
        if fields.ts is not None:
            raw_ts = self._field(record, fields.ts, "the time")
            try:
                ts = parse_time(raw_ts, self.zone)
            except ValueError as exc:
                raise self._reject(self._where(fields.ts), str(exc)) from None
        record_id = None if fields.id is None else str(self._field(record, fields.id, "the record id"))
        pairs = self._pairs(record)
        if not pairs:
            raise self._reject("metrics", "no metric of the configuration is in this record")
        result = []
        for where, metric, raw in pairs:
            try:
                value = parse_number(raw, self.config.number_format)
            except ValueError as exc:
                raise self._reject(where, f"count {exc}") from None
            if value < 0:
                raise self._reject(where, f"count {raw!r} is negative")
            kind = self.catalog.metrics[metric].kind
            obs_id = (
                f"{self.config.name}:{record_id}:{metric}"
                if record_id is not None
                else f"{self.config.name}:{unit}:{metric}:{_stamp(ts)}"
            )
            obs = Observation(
                id=obs_id, source=self.config.name, metric=metric, unit=unit, ts=ts, kind=kind, value=value
            )
            try:
                validate(obs, self.catalog, now)
            except InvalidObservation as exc:
                raise self._reject(where, f"{exc.reason}: {exc.detail}") from None
            result.append(obs)
        return result

    def _pairs(self, record: Mapping[str, Any]) -> list[tuple[str, str, object]]:
        fields = self.config.fields
        metrics = self.config.metrics
        if fields.metric is not None and fields.value is not None:
            name = self._field(record, fields.metric, "the metric name")
            code = metrics.get(str(name).strip())
            if code is None:
                raise self._reject(self._where(fields.metric), f"metric name {name!r} is not mapped")
            return [(self._where(fields.value), code, self._field(record, fields.value, "the count"))]
        pairs = []
        for path, code in metrics.items():
            value = get_path(record, path)
            if value is _MISSING:
                raise self._reject(self._where(path), "the count is missing (has the source changed its format?)")
            if value is None or value == "":
                continue  # an empty cell is "not reported", not zero
            pairs.append((self._where(path), code, value))
        return pairs
