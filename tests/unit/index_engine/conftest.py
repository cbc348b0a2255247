"""Factories for the index engine's tests: each test states only what matters to it."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from index_engine.catalog import CATALOG_ROOT, DEFAULT_VERSION, Catalog, Indicator, Target, load_catalog
from index_engine.evaluate import Reading, catalog_moment, evaluate_indicator
from index_engine.moment import Moment, moment_at
from index_engine.periods import LOCAL_TZ
from index_engine.results import IndicatorResult
from index_engine.status import Status

MID_2023 = dt.datetime(2023, 7, 2, 12, 0, tzinfo=LOCAL_TZ)
"""About half of the 2023 plan period has elapsed."""

CATALOG = load_catalog()


@pytest.fixture
def catalog() -> Catalog:
    return CATALOG


def make_indicator(**overrides: Any) -> Indicator:
    """CQS-04 of the bundled catalog with some fields changed."""
    return replace(CATALOG.indicators["CQS-04"], **overrides)


def make_target(**overrides: Any) -> Target:
    """A 2023 province target B=70, T=80, tolerance 5, with some fields changed."""
    base = Target("CQS-04", "QN", 2023, 70.0, 80.0, 5.0, baseline_assumed=True, target_assumed=False)
    return replace(base, **overrides)


def make_moment(now: dt.datetime = MID_2023) -> Moment:
    return moment_at(now)


def make_result(**overrides: Any) -> IndicatorResult:
    """An on-track CQS-04 result for QN at mid-2023, with some fields changed."""
    base = IndicatorResult(
        indicator="CQS-04",
        pillar="CQS",
        unit="QN",
        period=2023,
        numerator=76.0,
        denominator=100.0,
        value=76.0,
        baseline=70.0,
        target=80.0,
        tolerance=5.0,
        score=0.6,
        attainment=0.95,
        fraction=0.5,
        expected=75.0,
        projected=82.0,
        progress=1.2,
        shortfall=-1.0,
        fit_points=0,
        last_seen=MID_2023 - dt.timedelta(hours=1),
        fresh=True,
        status=Status.ON_TRACK,
    )
    if "indicator" in overrides:
        overrides.setdefault("pillar", CATALOG.indicators[overrides["indicator"]].pillar)
    fields = {f: getattr(base, f) for f in base.__struct_fields__}
    return IndicatorResult(**{**fields, **overrides})


def evaluate(
    value: float | None,
    *,
    target: Target | None = None,
    no_target: bool = False,
    now: dt.datetime = MID_2023,
    seen_hours_ago: float | None = 1.0,
    completed: bool = False,
    history: tuple[tuple[dt.datetime, float], ...] = (),
) -> IndicatorResult | None:
    """Evaluate a one-metric indicator (cadence 24 h) valued ``value``, against B=70, T=80 by default."""
    indicator = make_indicator(denominator=None, scale=1.0)
    reading = Reading(
        numerator=value,
        denominator=None,
        last_seen=None if seen_hours_ago is None else now - dt.timedelta(hours=seen_hours_ago),
        history=history,
    )
    target = None if no_target else target or make_target()
    return evaluate_indicator(indicator, "QN", reading, target, catalog_moment(CATALOG, now), completed=completed)


@pytest.fixture
def catalog_copy(tmp_path: Path) -> Callable[[str, Callable[[str], str]], Path]:
    """Copy the bundled catalog to ``tmp_path`` and rewrite one file; returns the root to load from."""

    def copy(file: str, edit: Callable[[str], str]) -> Path:
        folder = tmp_path / DEFAULT_VERSION
        if not folder.exists():
            shutil.copytree(CATALOG_ROOT / DEFAULT_VERSION, folder)
        path = folder / file
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
        return tmp_path

    return copy
