"""The connectors process (``qndti connectors run``) with the simulator, against the real stack and worker."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from index_engine.catalog import load_catalog
from streams.topics import Topics
from tests.conftest import StackInfo, free_port
from tests.connectors_support import read_topic, write_source
from tests.integration.conftest import WorkerProcess, service_env

pytestmark = pytest.mark.integration


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - a loopback URL of the test
        return response.status, response.read().decode()


def test_run_serves_metrics_and_health_and_stops_gracefully(stack: StackInfo, topics: Topics, tmp_path: Path) -> None:
    port = free_port()
    env = service_env(
        stack, "postgresql://unused", topics, tmp_path, QNDTI_CONNECTORS_PORT=str(port), QNDTI_SIMULATOR_INTERVAL="0.5"
    )
    log = (tmp_path / "connectors.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "qndti", "connectors", "run"], env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        metrics = ""
        while time.monotonic() < deadline:
            try:
                status, metrics = get(f"http://127.0.0.1:{port}/metrics")
                if 'qndti_connector_observations_total{source="simulator"}' in metrics:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        assert 'qndti_connector_polls_total{outcome="ok",source="simulator"}' in metrics, metrics[-2000:]
        assert "qndti_connector_last_success_timestamp_seconds" in metrics
        status, body = get(f"http://127.0.0.1:{port}/healthz")
        assert status == 200
        assert json.loads(body)["sources"]["simulator"]["breaker"] == "closed"
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(30)
    assert code == 0, (tmp_path / "connectors.log").read_text()
    checkpoint = json.loads((tmp_path / "stack" / "connectors" / "simulator.json").read_text())
    assert "sim_ts" in checkpoint
    found = asyncio.run(read_topic(stack.kafka_bootstrap, topics.observations, 80, timeout=10))
    # Live on the map of today (since 1 July 2025): wards, communes and special zones, no dissolved district.
    units = {o.unit for o in found}
    assert units >= {"P_TUANCHAU", "DK_COTO"}
    assert not units & {"HALONG", "COTO", "STTTT"}


def test_replay_2023_ends_h1_on_the_reference_figure(
    stack: StackInfo, topics: Topics, database_url: str, worker_factory: Callable[..., WorkerProcess], tmp_path: Path
) -> None:
    sources = tmp_path / "sources"
    write_source(
        sources,
        "simulator",
        type="simulator",
        schedule={"interval": 0.5},
        options={"mode": "replay-2023", "speed": 86400 * 30},  # a month per second
    )
    env = service_env(
        stack, database_url, topics, tmp_path, QNDTI_CONNECTOR_SOURCES=str(sources), QNDTI_CONNECTORS_PORT="0"
    )
    worker_factory().start()
    proc = subprocess.Popen(
        [sys.executable, "-m", "qndti", "connectors", "run"],
        env=env,
        stdout=(tmp_path / "replay.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        # The province's value moves as each locality's end-of-June counts arrive; it must settle on the figure.
        deadline = time.monotonic() + 120
        last = None
        while time.monotonic() < deadline:
            with psycopg.connect(database_url) as conn:
                last = conn.execute(
                    "SELECT round(value::numeric, 2), ts FROM dti.indicator_latest"
                    " WHERE indicator_code = 'CQS-04' AND unit_code = 'QN'"
                ).fetchone()
            if last is not None and last[1].isoformat().startswith("2023-06-30") and float(last[0]) == 93.40:
                break
            time.sleep(1)
        assert last is not None
        assert last[1].isoformat().startswith("2023-06-30"), last
        assert float(last[0]) == 93.40, last
    finally:
        proc.terminate()
        proc.wait(30)


def test_run_once_and_check(stack: StackInfo, topics: Topics, tmp_path: Path) -> None:
    env = service_env(stack, "postgresql://unused", topics, tmp_path)
    once = subprocess.run(
        [sys.executable, "-m", "qndti", "connectors", "run", "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert once.returncode == 0, once.stderr
    found = asyncio.run(read_topic(stack.kafka_bootstrap, topics.observations, 1))
    # One poll covers every metric of the catalog.
    assert {o.metric for o in found} == set(load_catalog().metrics)
    time.sleep(1.1)  # the simulator's checkpoint is at whole seconds: let the next one come
    check = subprocess.run(
        [sys.executable, "-m", "qndti", "connectors", "check", "simulator", "--limit", "3"],
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stderr
    said = " ".join(check.stderr.split())  # the console wraps long lines
    assert re.search(r"simulator: [1-9]\d* observations \(dry run: nothing produced\)", said), said
    assert len(asyncio.run(read_topic(stack.kafka_bootstrap, topics.observations, 0))) == len(found)
    unknown = subprocess.run(
        [sys.executable, "-m", "qndti", "connectors", "check", "nope"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert unknown.returncode == 2
    assert "unknown source nope" in unknown.stderr
