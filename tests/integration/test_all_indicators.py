"""Every indicator for every unit: what the worker stores equals a naive oracle written from the README.

The expectations come from :mod:`tests.integration.naive_index`, a second implementation of the rules of
``index_engine/README.md`` that reads the catalog's CSV files and imports nothing of ``index_engine``. The real
worker process consumes the scenario from the real Kafka broker and writes to the real PostgreSQL server. For every
unit with data (the 26 units below the province, and the province rolled up from them and from its own values) and
every one of the 35 indicators, the test compares the latest value row (numerator, denominator, value), the latest
status row (status, score, attainment, expected value, projection, progress ratio, shortfall, freshness) and the
latest pillar and index scores.

The scenario exercises each rule on purpose: newest-wins gauges and totals delivered out of order, deltas with
repeated ids (one repeat carrying another value) and one delta 30 minutes into the local year (still 2022 in UTC),
children that report only a numerator or only a denominator or a zero denominator (left out of the province's
sums), province values that win over the children's metric by metric, staleness at exactly 1.5× the cadence and
one minute inside it, a province metric that dates from its latest child, the baseline-meets-target score rule
(XHS-13), every status but ``completed`` (``completions.csv`` is empty), a withheld pillar and one at exactly 2/3
coverage.

When the comparison holds. The worker evaluates a unit as of the newest event time of its data, and in a batch
re-evaluates only the indicators whose inputs changed; the others keep the result of their last evaluation. What a
batch holds depends on the broker, so the scenario is built such that every final result is the same whatever the
batch boundaries, and :func:`check_premises` asserts that before anything is produced:

- every indicator whose result depends on the time (it has a value or a last-complete time) has one of its inputs
  stamped ``AT``, the newest event time of all; its last re-evaluation, after that input came, is as of ``AT``.
  Results that do not depend on the time (no data, or no value and never complete) are the same whenever taken;
- each unit's data lies on two local days at most (1 January and ``AT``'s day). The worker adds one point a day to
  an indicator's history and projects by least squares only from three points of the period, so here it always
  uses the README's straight line x̂ = B + (x−B)/f, which the oracle implements; the fit is not reimplemented;
- the two zero denominators are produced first, so their unit's first evaluation already sees them. (An
  indicator that had a status and then stops applying keeps its earlier status row: not covered here.)
- the latest child a province metric dates from is the same whether or not the children the indicator does not
  apply to are counted (the README leaves that open).

Alert hysteresis and ranks depend on the sequence of evaluations; they are not compared here.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Iterable, Mapping
from fractions import Fraction

import psycopg
import pytest
from psycopg.rows import dict_row

from index_engine.observation import Observation
from streams.topics import Topics
from tests.conftest import StackInfo
from tests.integration import naive_index as naive
from tests.integration.conftest import WorkerProcess
from tests.integration.scenarios import produce

pytestmark = pytest.mark.integration

CATALOG = naive.read_catalog()
PERIOD = 2023
AT = dt.datetime(2023, 5, 19, 5, 0, tzinfo=dt.UTC)
"""The newest event time of the scenario: 19 May 2023, 12:00 local (f = 138.5 / 365)."""
EDGE = AT - dt.timedelta(hours=1.5 * 2208)
"""1 January, 12:00 local: exactly 1.5× the quarterly cadence before ``AT``, so already stale for it."""
OLD = EDGE - dt.timedelta(hours=1)
"""1 January, 11:00 local: stale for every cadence but the yearly one."""
NEW_YEAR = dt.datetime(2023, 1, 1, 0, 30, tzinfo=naive.LOCAL)
"""Half an hour into the local year 2023 (31 December 2022 in UTC)."""
DAYS = {OLD.astimezone(naive.LOCAL).date(), AT.astimezone(naive.LOCAL).date()}
LEAVES = CATALOG.children("QN", AT.date())
TARGET_UNITS = [u for u in LEAVES if ("CQS-04", u, PERIOD) in CATALOG.targets]
F = naive.elapsed(PERIOD, AT)
ZONES = ("on_track", "at_risk", "off_track", "deteriorating", "achieved")
R_OF_ZONE = {"on_track": 1.3, "at_risk": 0.78, "off_track": 0.3, "deteriorating": -0.6}
SHARED = {
    m
    for i in CATALOG.indicators.values()
    for m in i.metrics
    if sum(m in j.metrics for j in CATALOG.indicators.values()) > 1
}
"""Metrics read by more than one indicator (their times are never made old at random)."""

VALUES = "SELECT indicator_code, unit_code, numerator, denominator, value FROM dti.indicator_latest"
STATUSES = """
SELECT DISTINCT ON (indicator_code, unit_code) indicator_code, unit_code, status, score, attainment, expected,
       projected, progress, shortfall, fresh
  FROM dti.indicator_status WHERE period = 2023 ORDER BY indicator_code, unit_code, bucket DESC, version DESC
"""
SCORES = """
SELECT DISTINCT ON (unit_code, pillar) unit_code, pillar, score, coverage, points
  FROM dti.unit_score WHERE period = 2023 ORDER BY unit_code, pillar, bucket DESC, version DESC
"""

Key = tuple[str, str]
Expected = dict[Key, dict[str, object]]


def centre(indicator: str, zone: str) -> float:
    """A province value of the indicator inside ``zone`` at ``AT`` (straight-line projection)."""
    t = CATALOG.targets[(indicator, "QN", PERIOD)]
    if zone == "achieved":
        return min(100.0, t.target + (t.target - t.baseline) / 2) if t.target < 100 else 100.0
    return t.baseline + R_OF_ZONE[zone] * F * (t.target - t.baseline)


class Scenario:
    """The newest value and time of each unit's metrics, expanded into observations with repeats and stale ones."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.plan: dict[Key, tuple[float, dt.datetime]] = {}
        self.first: list[Key] = []
        self.new_year: Key | None = None
        self.conflicting: Key | None = None

    def put(self, unit: str, metric: str, value: float, ts: dt.datetime = AT) -> float:
        """Plan a metric's newest value; a metric already planned (shared by two indicators) keeps its value."""
        return self.plan.setdefault((unit, metric), (float(value), ts))[0]

    def denominator_value(self, metric: str) -> int:
        return self.rng.randint(50, 5000) if CATALOG.metric_kinds[metric] == "gauge" else self.rng.randint(2000, 30000)

    def pair(
        self,
        unit: str,
        code: str,
        x: float,
        *,
        parts: str = "both",
        numerator_at: dt.datetime = AT,
        den_at: dt.datetime = AT,
    ) -> None:
        """Plan an indicator's metrics at ``unit`` so that its value is close to ``x``."""
        ind = CATALOG.indicators[code]
        ratio = x / ind.scale * (1 + self.rng.uniform(-0.003, 0.003))
        if ind.denominator is None:
            self.put(unit, ind.numerator, round(ratio, 3), numerator_at)
            return
        den = self.plan.get((unit, ind.denominator), (float(self.denominator_value(ind.denominator)), AT))[0]
        if parts in ("both", "denominator"):
            den = self.put(unit, ind.denominator, den, den_at)
        if parts in ("both", "numerator"):
            self.put(
                unit, ind.numerator, min(den, round(den * ratio)) if x <= 100 else round(den * ratio), numerator_at
            )

    def generic(self, code: str, x: float, units: Iterable[str] = LEAVES) -> None:
        """Leaves report at random: both metrics (some with an old denominator), one of them, or nothing."""
        ind = CATALOG.indicators[code]
        for unit in units:
            draw = self.rng.random()
            if draw < 0.55:
                old = ind.denominator not in SHARED and self.rng.random() < 0.12
                self.pair(unit, code, x, den_at=OLD if old else AT)
            elif draw < 0.62 or (draw < 0.69 and ind.denominator is None):
                self.pair(unit, code, x, parts="numerator")
            elif draw < 0.69:
                self.pair(unit, code, x, parts="denominator")

    def observations(self) -> list[Observation]:
        """Two readings of each level or total (the older one must lose), deltas in parts with repeated ids."""
        first: list[Observation] = []
        rest: list[Observation] = []
        for (unit, metric), (value, ts) in self.plan.items():
            made = self._readings(unit, metric, value, ts)
            if (unit, metric) in self.first:
                first.append(made[0])
                rest.extend(made[1:])
            else:
                rest.extend(made)
        self.rng.shuffle(rest)
        return first + rest

    def _readings(self, unit: str, metric: str, value: float, ts: dt.datetime) -> list[Observation]:
        kind = CATALOG.metric_kinds[metric]

        def obs(k: int | str, when: dt.datetime, v: float) -> Observation:
            return Observation(
                id=f"oracle:{unit}:{metric}:{k}", source="test", metric=metric, unit=unit, ts=when, kind=kind, value=v
            )

        if kind != "delta":
            # The older reading differs (so it must be seen to lose) but stays plausible: a gauge within the
            # catalog's jump factor of its newer value, and a level of 0 read as 0 before.
            step = self.rng.randint(1, 40) if kind == "cumulative" or value >= 400 else max(1, int(value) // 10)
            earlier = value - step if value > step else value + step
            if value == 0:
                earlier = 0.0
            return [obs(0, ts, value), obs(1, ts - dt.timedelta(hours=1), earlier)]
        times = [ts, ts - dt.timedelta(hours=1), ts - dt.timedelta(hours=2)]
        if (unit, metric) == self.new_year:
            times.append(NEW_YEAR)
        total = int(value)
        cuts = sorted(self.rng.randint(0, total) for _ in times[1:])
        amounts = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
        made = [obs(k, when, float(a)) for k, (when, a) in enumerate(zip(times, amounts, strict=True))]
        repeat = made[self.rng.randrange(len(made))]
        extra = 1000.0 if (unit, metric) == self.conflicting else 0.0
        return [*made, obs(repeat.id.rsplit(":", 1)[1], repeat.ts, repeat.value + extra)]


def scenario(seed: int) -> list[Observation]:
    """The observations of the test (see the module's docstring for what each special case checks)."""
    s = Scenario(seed)
    special = {"CQS-04", "CQS-06", "KTS-05", "XHS-04", "XHS-06", "XHS-09", "XHS-10", "XHS-12", "XHS-13", "NT-03"}
    # Zero denominators, produced first: VANDON's 7 listed products of 0 rated, BACHE's 0 of 0 facilities.
    s.put("VANDON", "ocop.listed_online", 7)
    s.put("VANDON", "ocop.rated", 0)
    s.put("BACHE", "health_facility.dx", 0)
    s.put("BACHE", "health_facility.total", 0)
    s.first = [("VANDON", "ocop.listed_online"), ("VANDON", "ocop.rated"), ("BACHE", "health_facility.dx")]
    s.first.append(("BACHE", "health_facility.total"))
    # CQS-04: each unit with a target in a zone of its own; COTO without a denominator, MONGCAI's stale.
    for k, unit in enumerate(TARGET_UNITS):
        x = centre("CQS-04", ZONES[k % len(ZONES)])
        if unit == "COTO":
            s.pair(unit, "CQS-04", x, parts="numerator")
        else:
            s.pair(unit, "CQS-04", x, den_at=OLD if unit == "MONGCAI" else AT)
    s.generic("CQS-04", 75.0, [u for u in LEAVES if u not in TARGET_UNITS])
    # CQS-06: only a numerator anywhere, so the province has no value.
    s.pair("TTPVHCC", "CQS-06", 90.0, parts="numerator")
    # KTS-05: the province's own numerator; grdp.total from two children, 1.5× and 1.5× less a minute old.
    s.pair("SKHDT", "KTS-05", 12.0, den_at=EDGE)
    s.pair("THONGKE", "KTS-05", 13.0, den_at=EDGE + dt.timedelta(minutes=1))
    grdp = s.plan[("SKHDT", "grdp.total")][0] + s.plan[("THONGKE", "grdp.total")][0]
    s.put("QN", "grdp.digital_value_added", round(grdp * centre("KTS-05", "on_track") / 100))
    # XHS-04: one child, its denominator exactly 1.5× the cadence old: stale. XHS-06: one child, old.
    s.pair("NHNN", "XHS-04", 90.0, den_at=EDGE)
    s.pair("SYT", "XHS-06", 8.0, den_at=OLD)
    # XHS-13 (baseline 100 = target): near 100 everywhere, one village total fully covered; XHS-09 gets only the
    # denominators it shares with XHS-13; XHS-10 and XHS-12 get nothing.
    s.pair("HALONG", "XHS-13", 100.0)
    s.generic("XHS-13", 97.0)
    # NT-03: every numerator old, the shared denominators fresh: stale for the province.
    s.generic("NT-03", 75.0)
    for (unit, metric), (value, _) in list(s.plan.items()):
        if metric == "infosys.soc_monitored":
            s.plan[(unit, metric)] = (value, OLD)
    fresh = [code for code in CATALOG.indicators if code not in special]
    for k, code in enumerate(fresh):
        s.generic(code, centre(code, ZONES[k % len(ZONES)]))
    # The province's own values: they win over its children's, metric by metric.
    s.put("QN", "service_index.score", 76.5)
    population = sum(v for (u, m), (v, _) in s.plan.items() if m == "population.total" and u != "QN")
    s.put("QN", "population.total", round(population * 1.02))
    s.put("QN", "agency.dx_plan", 95)
    s.put("QN", "agency.total", 100)
    shared = sum(v for (u, m), (v, _) in s.plan.items() if m == "database.shared_total")
    s.put("QN", "database.shared_total", round(shared * 1.01), OLD)
    s.new_year = next(k for k in s.plan if k[1] == "fee.paid" and s.plan[k][1] == AT)
    s.conflicting = next(k for k in s.plan if k[1] == "document.e_signed")
    return s.observations()


# -- premises and expectations ---------------------------------------------------------------------------------


def evaluated_units(data: naive.Data) -> list[str]:
    """Units the worker evaluates: those with data of their own and their ancestors."""
    units = set(data.values)
    for unit in list(units):
        parent = CATALOG.units[unit].parent
        while parent is not None:
            units.add(parent)
            parent = CATALOG.units[parent].parent
    return sorted(units)


def stamped_at(data: naive.Data, unit: str, ind: naive.Indicator) -> bool:
    """Whether one of the indicator's inputs at ``unit`` (its own metrics, or a child's) came at ``AT``."""
    if any(data.seen.get(unit, {}).get(m) == AT for m in ind.metrics):
        return True
    return any(stamped_at(data, child, ind) for child in CATALOG.children(unit, AT.date()))


def check_premises(readings: list[Observation], data: naive.Data, units: list[str]) -> None:
    """Assert what makes the comparison independent of batch boundaries (see the module's docstring)."""
    day = AT.astimezone(naive.LOCAL).date()
    assert max(r.ts for r in readings) == AT
    assert {r.ts.astimezone(naive.LOCAL).date() for r in readings} <= DAYS
    for unit in units:
        for ind in CATALOG.indicators.values():
            given = naive.inputs(CATALOG, data, unit, ind, day)
            value = naive.indicator_value(ind, given[0], given[1])
            if value is not None or given[2] is not None:
                assert stamped_at(data, unit, ind), (unit, ind.code)
            below = [naive.inputs(CATALOG, data, c, ind, day) for c in CATALOG.children(unit, day)]
            any_child = max((c[2] for c in below if c[2] is not None), default=None)
            summed = max((c[2] for c in below if c[2] is not None and naive.applies(ind, c[0], c[1])), default=None)
            assert any_child == summed, (unit, ind.code)


def value_rows(data: naive.Data, units: list[str]) -> Expected:
    """One row per unit and indicator with any input: its numerator, denominator and value."""
    day = AT.astimezone(naive.LOCAL).date()
    rows: Expected = {}
    for unit in units:
        for ind in CATALOG.indicators.values():
            if naive.has_inputs(CATALOG, data, unit, ind, day):
                n, d, _ = naive.inputs(CATALOG, data, unit, ind, day)
                rows[(ind.code, unit)] = {"numerator": n, "denominator": d, "value": naive.indicator_value(ind, n, d)}
    return rows


def status_rows(cards: Iterable[naive.Scorecard]) -> Expected:
    """The latest status row of each indicator that applies to a unit."""
    fields = ("status", "score", "attainment", "expected", "projected", "progress", "shortfall", "fresh")
    return {(r.indicator, r.unit): {f: getattr(r, f) for f in fields} for c in cards for r in c.results.values()}


def score_rows(cards: Iterable[naive.Scorecard]) -> Expected:
    """Each unit's pillars that apply (score and coverage) and its index (score and points)."""
    rows: Expected = {}
    for card in cards:
        for pillar, p in card.pillars.items():
            rows[(card.unit, pillar)] = {"score": p.score, "coverage": float(p.coverage)}
        points = None if card.index is None else card.index * naive.POINTS
        rows[(card.unit, "INDEX")] = {"score": card.index, "points": points}
    return rows


def check_scenario(cards: Mapping[str, naive.Scorecard], values: Expected, data: naive.Data) -> None:
    """The scenario reaches the rules it is meant to (a scenario that exercised nothing would pass anything)."""
    province = cards["QN"]
    statuses = {r.status for r in province.results.values()}
    assert statuses >= {*ZONES, "stale"}, statuses
    assert len(province.results) == len(CATALOG.indicators)
    assert {r.status for c in cards.values() if c.unit != "QN" for r in c.results.values()} >= {*ZONES, "no_target"}
    assert province.pillars["XHS"].score is None
    assert province.pillars["NT"].coverage == Fraction(2, 3)
    assert province.pillars["NT"].score is not None
    assert province.results["CQS-09"].value == 76.5
    assert province.results["XHS-04"].status == "stale"
    assert province.results["KTS-05"].fresh
    assert province.results["NT-05"].status == "stale"
    assert province.results["NT-05"].value is not None
    assert province.results["XHS-13"].status not in {"achieved", "stale"}
    for unit, code in (("VANDON", "KTS-07"), ("BACHE", "XHS-05")):
        assert code not in cards[unit].results
        assert values[(code, unit)]["value"] is None
    assert data.seen["QN"]["grdp.digital_value_added"] == AT


# -- comparing with the database -------------------------------------------------------------------------------


def _same(want: object, got: object) -> bool:
    if isinstance(want, float) and isinstance(got, float):
        return got == pytest.approx(want, rel=1e-9, abs=1e-12)
    return want == got


def differences(expected: Expected, actual: Expected) -> list[str]:
    """What differs between expected and stored rows, one line each."""
    lines = [f"missing {k}: want {expected[k]}" for k in sorted(expected.keys() - actual.keys())]
    lines += [f"unexpected {k}: {actual[k]}" for k in sorted(actual.keys() - expected.keys())]
    for key in sorted(expected.keys() & actual.keys()):
        for name, want in expected[key].items():
            if not _same(want, actual[key][name]):
                lines.append(f"{key} {name}: want {want!r}, got {actual[key][name]!r}")
    return lines


def stored(database_url: str, query: str, keys: tuple[str, str]) -> Expected:
    """The rows of ``query`` keyed by two of its columns."""
    with psycopg.connect(database_url, row_factory=dict_row) as conn:
        rows = conn.execute(query).fetchall()
    return {(str(r.pop(keys[0])), str(r.pop(keys[1]))): r for r in rows}


def wait_until_equal(
    database_url: str, query: str, keys: tuple[str, str], expected: Expected, timeout: float, what: str
) -> None:
    """Poll until the stored rows equal ``expected``; fail with the differences after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        diffs = differences(expected, stored(database_url, query, keys))
        if not diffs:
            return
        if time.monotonic() > deadline:
            shown = "\n".join(diffs[:40])
            raise AssertionError(f"{what}: {len(diffs)} differences after {timeout:.0f} s (first 40):\n{shown}")
        time.sleep(0.5)


def test_every_indicator_for_every_unit_matches_the_naive_oracle(
    stack: StackInfo, topics: Topics, database_url: str, worker_factory: Callable[..., WorkerProcess]
) -> None:
    readings = scenario(seed=13)
    data = naive.metric_values(readings, PERIOD)
    units = evaluated_units(data)
    check_premises(readings, data, units)
    cards = {unit: naive.scorecard(CATALOG, data, unit, AT) for unit in units}
    expected_values = value_rows(data, units)
    check_scenario(cards, expected_values, data)
    assert {code for code, _ in expected_values} == set(CATALOG.indicators) - {"XHS-10", "XHS-12"}
    assert len(units) == len(LEAVES) + 1

    produce(stack.kafka_bootstrap, topics, readings)
    worker = worker_factory().start()

    indicator_key = ("indicator_code", "unit_code")
    wait_until_equal(database_url, VALUES, indicator_key, expected_values, 150, "values of every indicator and unit")
    wait_until_equal(database_url, STATUSES, indicator_key, status_rows(cards.values()), 60, "statuses and scores")
    wait_until_equal(database_url, SCORES, ("unit_code", "pillar"), score_rows(cards.values()), 30, "pillars, index")
    with psycopg.connect(database_url) as conn:
        dead = conn.execute("SELECT count(*) FROM dti.dead_letter").fetchone()
    assert dead == (0,)
    assert worker.alive()
    assert worker.starts == 1
