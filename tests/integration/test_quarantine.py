"""Implausible observations on the real stack, quarantined with their reason and left out of every value.

A revision or ``qndti quarantine accept`` brings one in, ``reject`` keeps it out. Expected values are worked by hand.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Callable

import psycopg
import pytest

from index_engine.observation import Observation
from streams.topics import Topics
from tests.conftest import StackInfo
from tests.integration.conftest import WorkerProcess, wait_for
from tests.integration.scenarios import START, produce

pytestmark = pytest.mark.integration

KTS02 = """SELECT unit_code, numerator, denominator FROM dti.indicator_latest
            WHERE indicator_code = 'KTS-02' ORDER BY unit_code"""
HELD = "SELECT id, reason FROM dti.quarantine_open ORDER BY id"
SCORE = "SELECT unit_code, value FROM dti.indicator_latest WHERE indicator_code = 'CQS-09' AND unit_code = 'HALONG'"
T1, T2, T3 = (START + dt.timedelta(hours=h) for h in (0, 1, 2))


def gauge(id_: str, metric: str, unit: str, ts: dt.datetime, value: float, revision: int = 0) -> Observation:
    return Observation(
        id=id_, source="test", metric=metric, unit=unit, ts=ts, kind="gauge", value=value, revision=revision
    )


def qndti(worker: WorkerProcess, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "qndti", *args],
        env={**worker.env, "COLUMNS": "250"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_quarantine_keeps_implausible_values_out_until_revised_or_accepted(
    stack: StackInfo, topics: Topics, database_url: str, worker_factory: Callable[..., WorkerProcess]
) -> None:
    produce(
        stack.kafka_bootstrap,
        topics,
        [
            gauge("h-active-1", "enterprise.active", "HALONG", T1, 2000),
            gauge("h-tax-1", "enterprise.tax_epaying", "HALONG", T1, 1800),
            gauge("c-active-1", "enterprise.active", "CAMPHA", T1, 1000),
            gauge("c-tax-1", "enterprise.tax_epaying", "CAMPHA", T1, 900),
            gauge("h-active-2", "enterprise.active", "HALONG", T2, 1.5),  # "1,5" read as 1.5 enterprises
            gauge("c-active-2", "enterprise.active", "CAMPHA", T2, 1000),
            gauge("c-tax-2", "enterprise.tax_epaying", "CAMPHA", T2, 1200),  # more filing than active, same time
            gauge("h-active-3", "enterprise.active", "HALONG", T3, 25000),  # 12.5 times the last value
            gauge("h-score-1", "service_index.score", "HALONG", T1, 80),
            gauge("h-score-2", "service_index.score", "HALONG", T2, 101),  # a score out of 100
        ],
    )
    worker = worker_factory().start()
    # As if the three had not arrived: Hạ Long 1800/2000, Cẩm Phả 900/1000, the province the sums.
    wait_for(
        database_url,
        KTS02,
        [("CAMPHA", 900.0, 1000.0), ("HALONG", 1800.0, 2000.0), ("QN", 2700.0, 3000.0)],
        what="values without the implausible observations",
    )
    wait_for(
        database_url,
        HELD,
        [
            ("c-tax-2", "share_exceeds"),
            ("h-active-2", "not_whole"),
            ("h-active-3", "jump"),
            ("h-score-2", "above_maximum"),
        ],
        what="four observations held",
    )
    wait_for(database_url, SCORE, [("HALONG", 80.0)], what="the service score without the one above 100")
    listed = qndti(worker, "quarantine", "list")
    assert "4 quan sát đang cách ly / observations held" in listed
    for held_id, reason in (("c-tax-2", "share_exceeds"), ("h-active-2", "not_whole"), ("h-active-3", "jump")):
        assert any(held_id in line and reason in line for line in listed.splitlines()), listed

    # A revision of Cẩm Phả's figure that passes the rules replaces the held one.
    produce(stack.kafka_bootstrap, topics, [gauge("c-tax-2@1", "enterprise.tax_epaying", "CAMPHA", T2, 950, 1)])
    wait_for(
        database_url,
        KTS02,
        [("CAMPHA", 950.0, 1000.0), ("HALONG", 1800.0, 2000.0), ("QN", 2750.0, 3000.0)],
        what="values after the revision",
    )
    wait_for(
        database_url,
        HELD,
        [("h-active-2", "not_whole"), ("h-active-3", "jump"), ("h-score-2", "above_maximum")],
        what="the revised one gone",
    )

    # The operator accepts the jump (a real change) and rejects the fraction.
    assert "Đã chấp nhận / accepted 1" in qndti(worker, "quarantine", "accept", "h-active-3")
    assert "Đã loại / rejected 1" in qndti(worker, "quarantine", "reject", "h-active-2")
    wait_for(
        database_url,
        KTS02,
        [("CAMPHA", 950.0, 1000.0), ("HALONG", 1800.0, 25000.0), ("QN", 2750.0, 26000.0)],
        what="values after the jump was accepted",
    )
    with psycopg.connect(database_url) as conn:
        decided = conn.execute("SELECT id, status FROM dti.quarantine ORDER BY id").fetchall()
        held = conn.execute(HELD).fetchall()
    assert decided == [
        ("c-tax-2", "held"),  # superseded by its revision: out of dti.quarantine_open
        ("h-active-2", "rejected"),
        ("h-active-3", "accepted"),
        ("h-score-2", "held"),
    ]
    assert held == [("h-score-2", "above_maximum")]
    failed = subprocess.run(
        [sys.executable, "-m", "qndti", "quarantine", "accept", "h-active-3"],
        env=worker.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert failed.returncode == 1
    assert "not held (unknown or decided already): h-active-3" in failed.stderr
