"""A new plan year goes live with a rolling restart: ``qndti plan new``, an edited CSV, ``qndti catalog validate``.

Real processes on the real stack: the ``qndti`` command line on a copy of the catalog in ``tmp_path``
(``QNDTI_CATALOG_ROOT``), and ``qndti worker`` processes of one consumer group, started with that catalog, one
replacing the other. The worker refuses observations dated more than five minutes ahead, so the plan brought live
with an observation is that of a year already begun (the copy starts without its 2026 plan, as a catalog did in
late 2025); the 2027 plan is made, edited, validated and loaded by a restarted worker the same way.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from index_engine.catalog import CATALOG_ROOT, DEFAULT_VERSION
from index_engine.observation import Observation
from streams.topics import Topics
from tests.conftest import StackInfo
from tests.integration.conftest import WorkerProcess, service_env, wait_for
from tests.integration.scenarios import produce

pytestmark = pytest.mark.integration

LOCAL = dt.timezone(dt.timedelta(hours=7))
UNIT = "X_QUANGLA"


def qndti(env: dict[str, str], *args: str) -> str:
    """Run the ``qndti`` command line; its output, or the test fails with it."""
    done = subprocess.run([sys.executable, "-m", "qndti", *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"qndti {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def edit_target(folder: Path, year: int, target: str) -> None:
    """Set the CQS-04 target of the test's commune in ``plans/<year>/targets.csv``, as a person would."""
    path = folder / "plans" / str(year) / "targets.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        columns, rows = list(reader.fieldnames or []), list(reader)
    (row,) = [r for r in rows if r["indicator"] == "CQS-04" and r["unit"] == UNIT]
    row.update(target=target, target_assumed="false", note="edited for the test")
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def dossiers(day: dt.date, processed: float, online: float) -> list[Observation]:
    ts = dt.datetime.combine(day, dt.time(10), LOCAL)
    return [
        Observation(id=f"t:{metric}:{day}", source="test", metric=metric, unit=UNIT, ts=ts, kind="cumulative",
                    value=value)
        for metric, value in (("dossier.processed", processed), ("dossier.processed_online", online))
    ]  # fmt: skip


CURRENT = f"""SELECT target, status, round(score::numeric, 4)::float8 FROM dti.indicator_latest
               WHERE indicator_code = 'CQS-04' AND unit_code = '{UNIT}' AND period = 2026"""


def test_a_new_plan_goes_live_with_a_rolling_restart(
    stack: StackInfo,
    topics: Topics,
    database_url: str,
    worker_factory: Callable[..., WorkerProcess],
    tmp_path: Path,
) -> None:
    root = tmp_path / "catalogs"
    folder = root / DEFAULT_VERSION
    shutil.copytree(CATALOG_ROOT / DEFAULT_VERSION, folder)
    shutil.rmtree(folder / "plans" / "2026")  # the catalog as it was before the 2026 plan
    settings = {"QNDTI_CATALOG_ROOT": str(root), "QNDTI_WORKER_STALE_INTERVAL": "3600"}
    env = service_env(stack, database_url, topics, tmp_path, **settings)
    qndti(env, "db", "migrate")  # the reference tables from the copied catalog
    first = worker_factory(**settings).start()

    # Without a 2026 plan the commune's 2026 value has no target.
    produce(stack.kafka_bootstrap, topics, dossiers(dt.date(2026, 6, 30), 100, 80))
    wait_for(database_url, CURRENT, [(None, "no_target", None)], what="the 2026 value without a plan")

    out = qndti(env, "plan", "new", "2026", "--from", "2025")
    assert "plan 2026: copied from 2025" in out
    edit_target(folder, 2026, "90")
    assert "plan 2026 (no plan document found, assumed)" in qndti(env, "catalog", "validate")
    qndti(env, "db", "migrate")  # reloads the reference tables from the catalog the workers load
    with psycopg.connect(database_url) as conn:
        loaded = conn.execute(
            "SELECT target FROM dti.target WHERE indicator_code = 'CQS-04' AND unit_code = %s AND period = 2026",
            (UNIT,),
        ).fetchone()
    assert loaded == (90.0,)

    # Rolling restart: the new worker joins the group, then the old one leaves.
    second = worker_factory(**settings).start()
    first.stop()
    produce(stack.kafka_bootstrap, topics, dossiers(dt.date(2026, 7, 1), 200, 170))
    # 170 / 200 = 85 % against the edited 2026 plan: baseline 70, target 90; score (85 − 70) / (90 − 70) = 0.75.
    # f = 181 days 10 h of 365 = 0.497032; x̂ = 70 + 15 / f = 100.18 ≥ 90 → on track.
    wait_for(database_url, CURRENT, [(90.0, "on_track", 0.75)], what="the 2026 value against the edited plan")

    # Next year's plan, the same way: made from 2026, edited, validated, loaded by a restarted worker.
    assert "plan 2027: copied from 2026" in qndti(env, "plan", "new", "2027", "--from", "2026")
    edit_target(folder, 2027, "95")
    validated = qndti(env, "catalog", "validate")
    assert "plan 2027 (no plan document found, assumed): 35 indicators" in validated
    with (folder / "plans" / "2027" / "targets.csv").open(encoding="utf-8", newline="") as handle:
        edited = [r for r in csv.DictReader(handle) if r["unit"] == UNIT]
    assert [(r["indicator"], r["period"], r["target"], r["target_assumed"]) for r in edited] == [
        ("CQS-04", "2027", "95", "false")
    ]
    third = worker_factory(**settings).start()
    second.stop()
    produce(stack.kafka_bootstrap, topics, dossiers(dt.date(2026, 7, 2), 300, 270))
    # 270 / 300 = 90 % ≥ the 2026 target of 90: achieved, score 1; the worker on the 2027 catalog is live.
    wait_for(database_url, CURRENT, [(90.0, "achieved", 1.0)], what="the worker restarted on the 2027 catalog")
    assert third.alive()
