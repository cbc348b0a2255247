"""Grafana's PostgreSQL macros and template variables expand as Grafana documents them."""

from __future__ import annotations

import datetime as dt

import pytest

from grafana.errors import QueryExpansionError
from grafana.macros import QueryContext, expand, format_duration

START = dt.datetime(2023, 6, 30, 3, 0, tzinfo=dt.UTC)
END = dt.datetime(2023, 6, 30, 9, 30, 15, tzinfo=dt.UTC)


def ctx(**variables: str | list[str]) -> QueryContext:
    return QueryContext(START, END, dt.timedelta(minutes=5), variables)


def test_time_macros() -> None:
    sql = "SELECT $__time(bucket), v FROM t WHERE $__timeFilter(bucket) AND ts > $__timeFrom() AND ts < $__timeTo()"
    assert expand(sql, ctx()) == (
        "SELECT bucket AS \"time\", v FROM t WHERE bucket BETWEEN '2023-06-30T03:00:00Z' AND '2023-06-30T09:30:15Z' "
        "AND ts > '2023-06-30T03:00:00Z' AND ts < '2023-06-30T09:30:15Z'"
    )


def test_time_range_is_written_in_utc() -> None:
    hanoi = dt.timezone(dt.timedelta(hours=7))
    context = QueryContext(START.astimezone(hanoi), END.astimezone(hanoi))
    assert expand("$__timeFrom()", context) == "'2023-06-30T03:00:00Z'"


def test_epoch_macros() -> None:
    assert expand("$__unixEpochFilter(t)", ctx()) == "t >= 1688094000 AND t <= 1688117415"
    assert expand("$__unixEpochFrom() $__unixEpochTo()", ctx()) == "1688094000 1688117415"
    assert expand("$__timeEpoch(ts)", ctx()) == 'extract(epoch from ts) AS "time"'


def test_interval() -> None:
    assert expand("'$__interval'::interval, $__interval_ms", ctx()) == "'5m'::interval, 300000"
    assert format_duration(dt.timedelta(seconds=10)) == "10s"
    assert format_duration(dt.timedelta(hours=2)) == "2h"
    assert format_duration(dt.timedelta(days=1)) == "1d"
    assert format_duration(dt.timedelta(milliseconds=1500)) == "1500ms"
    with pytest.raises(QueryExpansionError):
        format_duration(dt.timedelta(0))


def test_variable_syntaxes_and_formats() -> None:
    context = ctx(unit="HALONG", name="Sở TT&TT's", many=["A", "B'C"])
    assert expand("$unit ${unit} [[unit]]", context) == "HALONG HALONG HALONG"
    assert expand("${name:sqlstring}", context) == "'Sở TT&TT''s'"
    assert expand("${many:sqlstring}", context) == "'A','B''C'"
    assert expand("${many:csv}", context) == "A,B'C"
    assert expand("${many:raw}", context) == "A,B'C"
    assert expand("$many", context) == "'A','B''C'"
    assert expand("${unit:singlequote} ${unit:doublequote}", context) == "'HALONG' \"HALONG\""


def test_multi_value_variable_defaults_to_a_quoted_list() -> None:
    context = QueryContext(START, END, variables={"unit": "HALONG"}, multi=frozenset({"unit"}))
    assert expand("unit_code IN ($unit)", context) == "unit_code IN ('HALONG')"


def test_variables_expand_before_macros() -> None:
    assert expand("$__timeFilter($col)", ctx(col="bucket")) == (
        "bucket BETWEEN '2023-06-30T03:00:00Z' AND '2023-06-30T09:30:15Z'"
    )


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("$__timeGroup(bucket, '1h')", "timeGroup"),
        ("$__timeGroupAlias(bucket, '1h')", "timeGroup"),
        ("$__nope()", "unknown macro"),
        ("$__timeFilter()", "one column"),
        ("$__timeFrom", "written"),
        ("$missing", "no value"),
        ("${unit:percentencode}", "unsupported format"),
    ],
)
def test_errors(sql: str, message: str) -> None:
    with pytest.raises(QueryExpansionError, match=message):
        expand(sql, ctx(unit="X"))


def test_context_rejects_naive_or_reversed_ranges() -> None:
    with pytest.raises(QueryExpansionError, match="aware"):
        QueryContext(START.replace(tzinfo=None), END)
    with pytest.raises(QueryExpansionError, match="after"):
        QueryContext(END, START)
