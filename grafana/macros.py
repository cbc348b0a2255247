"""Expansion of Grafana's PostgreSQL macros and template variables, to run panel and alert queries without Grafana.

Follows Grafana's documented semantics for the PostgreSQL data source (11.x): template variables are
interpolated first (as the frontend does), then the backend expands the ``$__`` macros:

- ``$__time(col)`` → ``col AS "time"``; ``$__timeEpoch(col)`` → ``extract(epoch from col) AS "time"``;
- ``$__timeFilter(col)`` → ``col BETWEEN '<from>' AND '<to>'`` (RFC 3339 UTC timestamps);
- ``$__timeFrom()`` / ``$__timeTo()`` → ``'<from>'`` / ``'<to>'``;
- ``$__unixEpochFilter(col)`` → ``col >= <from s> AND col <= <to s>``; ``$__unixEpochFrom()`` / ``…To()``;
- ``$__interval`` → a duration such as ``1m`` and ``$__interval_ms`` → milliseconds;
- ``$var``, ``${var}``, ``[[var]]`` and ``${var:format}`` with the formats ``raw``, ``csv``, ``sqlstring``,
  ``singlequote``, ``doublequote``; without a format a single value is inserted raw and a multi-value variable
  as a quoted, comma-separated list (the SQL data sources' default).

``$__timeGroup`` is refused: its expansion differs between PostgreSQL and TimescaleDB (``time_bucket``), so the
project's queries never use it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from grafana.errors import QueryExpansionError

VariableValue = str | Sequence[str]


@dataclass(frozen=True)
class QueryContext:
    """The dashboard state a query runs in: time range, interval and template variable values."""

    time_from: dt.datetime
    time_to: dt.datetime
    interval: dt.timedelta = dt.timedelta(minutes=1)
    variables: Mapping[str, VariableValue] = field(default_factory=dict)
    multi: frozenset[str] = frozenset()
    """Names of variables that are multi-value or include "All" (they get the quoted-list default format)."""

    def __post_init__(self) -> None:
        if self.time_from.tzinfo is None or self.time_to.tzinfo is None:
            raise QueryExpansionError("the time range must use aware datetimes")
        if self.time_from > self.time_to:
            raise QueryExpansionError("the time range starts after it ends")


_VARIABLE = re.compile(r"\$(\w+)|\$\{(\w+)(?::(\w+))?\}|\[\[(\w+)(?::(\w+))?\]\]")
_MACRO = re.compile(r"\$__(\w+)(?:\(([^()]*)\))?")
_SQL_MACROS_WITH_ARGS = {"time", "timeEpoch", "timeFilter", "unixEpochFilter", "timeGroup", "timeGroupAlias"}
_SQL_MACROS_NO_ARGS = {"timeFrom", "timeTo", "unixEpochFrom", "unixEpochTo"}


def expand(sql: str, context: QueryContext) -> str:
    """The query as Grafana would send it to PostgreSQL: variables interpolated, macros expanded."""
    return _expand_macros(_interpolate(sql, context), context)


def format_duration(interval: dt.timedelta) -> str:
    """A Grafana interval string (``10s``, ``5m``, ``1h``, ``1d``, else milliseconds ``250ms``)."""
    ms = round(interval.total_seconds() * 1000)
    if ms <= 0:
        raise QueryExpansionError(f"interval must be positive, got {interval}")
    for suffix, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms % size == 0:
            return f"{ms // size}{suffix}"
    return f"{ms}ms"


def _rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _quote(value: str, quote: str, escape: str) -> str:
    return quote + value.replace(quote, escape + quote) + quote


def _format(name: str, value: VariableValue, fmt: str | None, multi: bool) -> str:
    values = [value] if isinstance(value, str) else list(value)
    if not values:
        raise QueryExpansionError(f"template variable ${name} has no value")
    if fmt is None:
        if multi or len(values) > 1:
            return ",".join(_quote(v, "'", "'") for v in values)
        return values[0]
    match fmt:
        case "raw":
            return ",".join(values)
        case "csv":
            return ",".join(values)
        case "sqlstring":
            return ",".join(_quote(v, "'", "'") for v in values)
        case "singlequote":
            return ",".join(_quote(v, "'", "\\") for v in values)
        case "doublequote":
            return ",".join(_quote(v, '"', "\\") for v in values)
        case _:
            raise QueryExpansionError(f"unsupported format {fmt!r} of template variable ${name}")


def _interpolate(sql: str, context: QueryContext) -> str:
    builtins: dict[str, str] = {
        "__interval": format_duration(context.interval),
        "__interval_ms": str(round(context.interval.total_seconds() * 1000)),
    }

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or match.group(4)
        fmt = match.group(3) or match.group(5)
        if name in builtins:
            return builtins[name]
        if name.startswith("__"):
            return match.group(0)  # a macro: expanded in the second pass
        if name not in context.variables:
            raise QueryExpansionError(f"template variable ${name} has no value in this context")
        return _format(name, context.variables[name], fmt, name in context.multi)

    return _VARIABLE.sub(replace, sql)


def _expand_macros(sql: str, context: QueryContext) -> str:
    start, end = _rfc3339(context.time_from), _rfc3339(context.time_to)
    epoch_from, epoch_to = int(context.time_from.timestamp()), int(context.time_to.timestamp())

    def replace(match: re.Match[str]) -> str:
        name, raw_args = match.group(1), match.group(2)
        args = [a.strip() for a in raw_args.split(",")] if raw_args is not None else []
        if name in ("timeGroup", "timeGroupAlias"):
            raise QueryExpansionError(
                "$__timeGroup differs between PostgreSQL and TimescaleDB; bucket in the view or use $__time"
            )
        if name in _SQL_MACROS_WITH_ARGS:
            if len(args) != 1 or not args[0]:
                raise QueryExpansionError(f"macro $__{name} takes one column, got {raw_args!r}")
            column = args[0]
            return {
                "time": f'{column} AS "time"',
                "timeEpoch": f'extract(epoch from {column}) AS "time"',
                "timeFilter": f"{column} BETWEEN '{start}' AND '{end}'",
                "unixEpochFilter": f"{column} >= {epoch_from} AND {column} <= {epoch_to}",
            }[name]
        if name in _SQL_MACROS_NO_ARGS:
            if raw_args is None or raw_args.strip():
                raise QueryExpansionError(f"macro $__{name} is written $__{name}()")
            return {
                "timeFrom": f"'{start}'",
                "timeTo": f"'{end}'",
                "unixEpochFrom": str(epoch_from),
                "unixEpochTo": str(epoch_to),
            }[name]
        raise QueryExpansionError(f"unknown macro $__{name}")

    return _MACRO.sub(replace, sql)
