"""``qndti why`` on the real stack: the observations behind a province value, rebuilt as the worker built it."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Callable

import psycopg
import pytest

from index_engine.catalog import load_catalog
from index_engine.observation import Observation
from streams.lineage import gather
from streams.reference import load_reference
from streams.topics import Topics
from tests.conftest import StackInfo
from tests.integration.conftest import WorkerProcess, wait_for
from tests.integration.scenarios import CQS04_LATEST, cqs04_oracle, dossier_stream, produce

pytestmark = pytest.mark.integration

UNITS = ["HALONG", "CAMPHA", "UONGBI"]
AS_OF = dt.datetime(2023, 6, 30, 23, 59, 59, tzinfo=dt.timezone(dt.timedelta(hours=7)))


def test_why_lists_the_observations_behind_the_province_value(
    stack: StackInfo, topics: Topics, database_url: str, worker_factory: Callable[..., WorkerProcess]
) -> None:
    stream = dossier_stream(seed=11, steps=3, units=UNITS)
    last = max(o.ts for o in stream)
    # A correction of Hạ Long's last count: same time, revision 1, and its own id.
    corrected = Observation(
        id="test:HALONG:dossier.processed:2@1",
        source="test",
        metric="dossier.processed",
        unit="HALONG",
        ts=last,
        kind="cumulative",
        value=5000.0,
        revision=1,
    )
    produce(stack.kafka_bootstrap, topics, [*stream, corrected])
    with psycopg.connect(database_url) as conn:
        load_reference(conn, load_catalog())  # what `qndti db migrate` does
    worker = worker_factory().start()
    effective = [o for o in stream if not (o.unit == "HALONG" and o.metric == "dossier.processed" and o.ts == last)]
    expected = cqs04_oracle([*effective, corrected])
    wait_for(database_url, CQS04_LATEST, expected, what="CQS-04 with the correction")
    province = next(row for row in expected if row[0] == "QN")

    with psycopg.connect(database_url) as conn:
        found = gather(conn, load_catalog(), "CQS-04", "QN", AS_OF)
    assert found.inputs[:2] == province[1:3]
    by_unit = {node.unit: node for node in found.units}
    assert by_unit["HALONG"].own["dossier.processed"] == 5000.0
    assert by_unit["HALONG"].counted == {"dossier.processed": 1, "dossier.processed_online": 1}
    assert [e.id for e in by_unit["HALONG"].evidence if e.metric_code == "dossier.processed"] == [corrected.id]
    assert by_unit["QN"].own == {}  # the province reports nothing itself: its value is its units' sum
    assert found.stored is not None
    assert found.stored[:2] == province[1:3]
    with psycopg.connect(database_url) as conn:
        marked = conn.execute(
            "SELECT indicator_code, unit_code, period, revision, metrics FROM dti.indicator_revised ORDER BY 1"
        ).fetchall()
    # The correction is marked on the one indicator reading dossier.processed, at the unit it revised.
    assert marked == [("CQS-04", "HALONG", 2023, 1, "dossier.processed")]

    env = {**worker.env, "COLUMNS": "200"}
    shown = subprocess.run(
        [sys.executable, "-m", "qndti", "why", "CQS-04", "QN", "--at", "2023-06-30", "--limit", "3"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    numerator, denominator = (f"{int(v):,}".replace(",", ".") for v in province[1:3])
    assert f"tử số / numerator {numerator}, mẫu số / denominator {denominator}" in shown
    assert "khớp / matches" in shown
    assert "(3 / 6)" in shown  # three units × two metrics counted, the newest three listed
    assert "test:HALONG:dossier.processed:2@1" in shown
