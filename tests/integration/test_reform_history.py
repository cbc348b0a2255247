"""Across the reform on the real stack: 2024–2026 observations through a real ``qndti worker``, Kafka and PostgreSQL.

The 13 localities end on 30 June 2025 and the 54 wards, communes and special zones start on 1 July. Every expected
figure below is worked out by hand from the observations the test sends and the catalog's CSV targets (CQS-04:
baseline 70, target 80 for every unit and year; XHS-03 2026 at the province: 85 → 88, led by Sở KH&CN).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import psycopg
import pytest

from connectors.simulator import Simulation
from index_engine.catalog import load_catalog
from index_engine.observation import Observation
from streams.reference import load_reference
from streams.topics import Topics
from tests.conftest import StackInfo
from tests.integration.conftest import WorkerProcess, wait_for
from tests.integration.scenarios import produce

pytestmark = pytest.mark.integration

LOCAL = dt.timezone(dt.timedelta(hours=7))
# No wall-clock sweep during the test: every evaluation is as of the observations' own time.
NO_SWEEP = {"QNDTI_WORKER_STALE_INTERVAL": "3600"}


def dossiers(unit: str, day: dt.date, processed: float, online: float) -> list[Observation]:
    """Year-to-date dossier totals of a unit at 10:00 local time on ``day`` (CQS-04 = online / processed)."""
    ts = dt.datetime.combine(day, dt.time(10), LOCAL)
    return [
        Observation(
            id=f"t:{unit}:{metric}:{day}",
            source="test",
            metric=metric,
            unit=unit,
            ts=ts,
            kind="cumulative",
            value=value,
        )
        for metric, value in (("dossier.processed", processed), ("dossier.processed_online", online))
    ]


def households(unit: str, day: dt.date, fibre: float, total: float) -> list[Observation]:
    """Household levels of a unit at 10:00 local time on ``day`` (XHS-03 = fibre / total)."""
    ts = dt.datetime.combine(day, dt.time(10), LOCAL)
    return [
        Observation(
            id=f"t:{unit}:{metric}:{day}", source="test", metric=metric, unit=unit, ts=ts, kind="gauge", value=value
        )
        for metric, value in (("household.ftth", fibre), ("household.total", total))
    ]


def latest(indicator: str, unit: str, period: int) -> str:
    return f"""SELECT numerator, denominator FROM dti.indicator_value_current
                WHERE indicator_code = '{indicator}' AND unit_code = '{unit}' AND period = {period}"""


HISTORY = """SELECT (bucket AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, numerator, denominator,
                    round(value::numeric, 4)::float8, derived
               FROM dti.indicator_history_daily
              WHERE indicator_code = 'CQS-04' AND unit_code = %s AND period = 2025 ORDER BY bucket"""
JUNE_29, JUNE_30, JULY_1 = dt.date(2025, 6, 29), dt.date(2025, 6, 30), dt.date(2025, 7, 1)
MID_2026 = dt.date(2026, 6, 30)


def test_history_runs_on_across_the_reform_and_2026_units_are_scored_ranked_and_alerted(
    stack: StackInfo, topics: Topics, database_url: str, worker_factory: Callable[..., WorkerProcess]
) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        load_reference(conn, load_catalog())  # what `qndti db migrate` does after the migrations
    worker_factory(**NO_SWEEP).start()

    # 2024 and 29 June 2025: each day is evaluated on its own, so each has its own row.
    produce(stack.kafka_bootstrap, topics, dossiers("HALONG", dt.date(2024, 6, 30), 1000, 900))
    produce(stack.kafka_bootstrap, topics, dossiers("VANDON", JUNE_29, 360, 300))
    wait_for(database_url, latest("CQS-04", "VANDON", 2025), [(300.0, 360.0)], what="Vân Đồn on 29 June")

    # 30 June 2025, the last day of the districts: the province sums 1800 + 300 + 50 of 2000 + 400 + 100.
    june = [
        *dossiers("HALONG", JUNE_30, 2000, 1800),
        *dossiers("VANDON", JUNE_30, 400, 300),
        *dossiers("COTO", JUNE_30, 100, 50),
    ]
    produce(stack.kafka_bootstrap, topics, june)
    wait_for(database_url, latest("CQS-04", "QN", 2025), [(2150.0, 2500.0)], what="the province on 30 June")

    # 1 July: the new units report from zero; the districts may no longer report (dead letters).
    july = [
        *dossiers("DK_VANDON", JULY_1, 50, 40),
        *dossiers("DK_COTO", JULY_1, 10, 6),
        *dossiers("P_BAICHAY", JULY_1, 100, 90),
        *dossiers("VANDON", dt.date(2025, 7, 2), 500, 400),
        *dossiers("HALONG", dt.date(2025, 7, 5), 2100, 1900),
    ]
    produce(stack.kafka_bootstrap, topics, july)
    # Continuous: January–June of the former localities plus what the new units did since 1 July.
    wait_for(
        database_url,
        latest("CQS-04", "QN", 2025),
        [(2150.0 + 40 + 6 + 90, 2500.0 + 50 + 10 + 100)],
        what="the province on 1 July",
    )

    # 2026: two wards, a commune and both special zones; fibre households of one ward for the province's XHS-03.
    year_2026 = [
        *dossiers("P_BAICHAY", MID_2026, 100, 90),
        *dossiers("P_HONGGAI", MID_2026, 100, 72),
        *dossiers("X_QUANGLA", MID_2026, 100, 80),
        *dossiers("DK_VANDON", MID_2026, 100, 85),
        *dossiers("DK_COTO", MID_2026, 100, 60),
        *households("P_BAICHAY", MID_2026, 100, 1000),
    ]
    produce(stack.kafka_bootstrap, topics, year_2026)
    scored = """SELECT unit_code, target, status, round(score::numeric, 4)::float8 FROM dti.indicator_latest
                 WHERE indicator_code = 'CQS-04' AND period = 2026 ORDER BY unit_code"""
    # f = 180 days 10 h of 365 days = 0.494292; x̂ = 70 + (x − 70) / f; R = (x̂ − 70) / 10.
    # 72 %: R = 0.40 → off track; 60 %: R < 0 → deteriorating; at or above 80 %: achieved.
    # Scores clip((x − 70) / 10): 90 → 1, 72 → 0.2, 80 → 1, 85 → 1, 60 → 0. The province: 387 of 500 = 77.4 %.
    wait_for(
        database_url,
        scored,
        [
            ("DK_COTO", 80.0, "deteriorating", 0),
            ("DK_VANDON", 80.0, "achieved", 1),
            ("P_BAICHAY", 80.0, "achieved", 1),
            ("P_HONGGAI", 80.0, "off_track", 0.2),
            ("QN", 80.0, "on_track", 0.74),
            ("X_QUANGLA", 80.0, "achieved", 1),
        ],
        what="2026 targets, statuses and scores",
    )
    # The province: x = 77.4, x̂ = 70 + 7.4 / 0.494292 = 84.97, R = 1.50 → on track; score (77.4 − 70) / 10 = 0.74.
    ranks = """SELECT unit_code, peer_group, round(score::numeric, 4)::float8, rank, rank_of FROM dti.unit_score_latest
                WHERE pillar = 'INDEX' AND period = 2026 AND unit_code <> 'QN' ORDER BY unit_code"""
    # Only CQS-04 has a 2026 target at these units, so each index is its CQS-04 score; ranked within peer groups.
    wait_for(
        database_url,
        ranks,
        [
            ("DK_COTO", "special_zone", 0, 2, 2),
            ("DK_VANDON", "special_zone", 1, 1, 2),
            ("P_BAICHAY", "ward", 1, 1, 2),
            ("P_HONGGAI", "ward", 0.2, 2, 2),
            ("X_QUANGLA", "commune", 1, 1, 1),
        ],
        what="2026 ranks within peer groups",
    )
    # XHS-03 at the province: 10 % against E = 85 + 0.494292 × 3 = 86.48: a shortfall beyond 5 points, raised at
    # once, for Sở KH&CN (the successor of Sở TT&TT named by the 2026 plan).
    alert = wait_for(
        database_url,
        """SELECT kind, lead_unit, 'SKHCN' = ANY(notify) FROM dti.alerts_open
            WHERE indicator_code = 'XHS-03' AND unit_code = 'QN' AND kind = 'shortfall'""",
        [("shortfall", "SKHCN", True)],
        what="the province's XHS-03 alert routed to Sở KH&CN",
    )
    assert alert

    with psycopg.connect(database_url) as conn:
        letters = conn.execute(
            "SELECT reason, detail FROM dti.dead_letter WHERE convert_from(payload, 'UTF8') LIKE '%2025-07-0%'"
        ).fetchall()
        province = conn.execute(HISTORY, ("QN",)).fetchall()
        special_zone = conn.execute(HISTORY, ("DK_VANDON",)).fetchall()
        ward = conn.execute(HISTORY, ("P_BAICHAY",)).fetchall()
        lineage = conn.execute(
            "SELECT unit_code, comparable, derived_history FROM dti.unit_lineage"
            " WHERE unit_code IN ('P_BAICHAY', 'DK_VANDON') ORDER BY 1"
        ).fetchall()
        halong_2024 = conn.execute(
            "SELECT target, round(value::numeric, 4)::float8 FROM dti.indicator_status JOIN dti.indicator_value USING"
            " (indicator_code, unit_code, bucket) WHERE indicator_code = 'CQS-04' AND unit_code = 'HALONG'"
            " AND indicator_status.period = 2024"
        ).fetchall()

    assert halong_2024 == [(80.0, 90)]  # the 2024 plan's target; 900 / 1000
    # Two metrics each for Vân Đồn on 2 July and Hạ Long on 5 July: refused, naming the units to report for.
    assert sorted(r[0] for r in letters) == ["unit_not_valid"] * 4
    details = " | ".join(r[1] for r in letters)
    assert "'VANDON' does not exist on 2025-07-02" in details
    assert "successors: DK_VANDON" in details
    assert "'HALONG' does not exist on 2025-07-05" in details
    assert "P_BAICHAY" in details
    assert "X_QUANGLA" in details
    # The province's days on both sides of the reform: 2150 / 2500 = 86 %, then 2286 / 2660 = 85.9398 %.
    assert [r[:4] for r in province if r[0] in (JUNE_30, JULY_1)] == [
        (JUNE_30, 2150.0, 2500.0, 86),
        (JULY_1, 2286.0, 2660.0, round(2286 / 2660 * 100, 4)),
    ]
    # Vân Đồn special zone before 1 July is Vân Đồn district: 300 / 360 and 300 / 400, marked derived; then its own.
    assert [(r[0], r[1], r[2], float(r[3]), r[4]) for r in special_zone] == [
        (JUNE_29, 300.0, 360.0, round(300 / 360 * 100, 4), True),
        (JUNE_30, 300.0, 400.0, 75.0, True),
        (JULY_1, 40.0, 50.0, 80.0, False),
    ]
    # Bãi Cháy ward took a part of Hạ Long: no derived days, marked not comparable.
    assert [(r[0], r[4]) for r in ward] == [(JULY_1, False)]
    assert lineage == [("DK_VANDON", True, True), ("P_BAICHAY", False, False)]


def test_the_simulated_province_runs_on_across_1_july_2025(
    stack: StackInfo, topics: Topics, database_url: str, worker_factory: Callable[..., WorkerProcess]
) -> None:
    catalog = load_catalog()
    with psycopg.connect(database_url, autocommit=True) as conn:
        load_reference(conn, catalog)
    worker_factory(**NO_SWEEP).start()
    sim = Simulation(catalog, seed=2025)  # the figures of replay-2025, through the real worker
    metrics = ("dossier.processed", "dossier.processed_online")
    sent: dict[tuple[str, str], float] = {}
    for moment in (dt.datetime(2025, 6, 30, 16, tzinfo=LOCAL), dt.datetime(2025, 7, 1, 16, tzinfo=LOCAL)):
        batch = [o for o in sim.observations(moment) if o.metric in metrics]
        produce(stack.kafka_bootstrap, topics, batch)
        sent.update({(o.unit, o.metric): o.value for o in batch})
        # The province: the newest total of every unit of the year so far (the localities keep their January–June).
        online = sum(v for (_, m), v in sent.items() if m == "dossier.processed_online")
        processed = sum(v for (_, m), v in sent.items() if m == "dossier.processed")
        wait_for(database_url, latest("CQS-04", "QN", 2025), [(online, processed)], what=f"the province at {moment}")
    with psycopg.connect(database_url) as conn:
        days = conn.execute(HISTORY, ("QN",)).fetchall()
    assert [r[0] for r in days] == [JUNE_30, JULY_1]
    # One day of dossiers (about 4,300 a working day in the whole province) on a year's total: no jump.
    grown = days[1][2] - days[0][2]
    assert 0 < grown < 0.02 * days[0][2]
