"""A real Prometheus (Debian's) scrapes a running worker and connectors process with the project's rule files.

Every target is up, every rule evaluates healthy, every recording rule has a value, and every metric name a rule
reads is exposed: on a healthy system too, since known label sets start at 0.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from streams.topics import Topics
from tests.conftest import StackInfo, free_port
from tests.integration.conftest import WorkerProcess, service_env

pytestmark = pytest.mark.integration

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "rules"


def api(port: int, path: str, **params: str) -> Any:
    query = f"?{urllib.parse.urlencode(params)}" if params else ""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/{path}{query}", timeout=10) as response:
        body = json.loads(response.read())
    assert body["status"] == "success", body
    return body["data"]


def eventually(check: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except OSError as exc:  # not listening yet
            last = exc
        if last is True:
            return
        time.sleep(1)
    raise AssertionError(f"{what} did not happen in {timeout:.0f} s; last: {last}")


@pytest.fixture
def connectors(stack: StackInfo, topics: Topics, tmp_path: Path) -> Iterator[int]:
    """``qndti connectors run`` with the simulator; yields its metrics port."""
    port = free_port()
    env = service_env(
        stack, "postgresql://unused", topics, tmp_path, QNDTI_CONNECTORS_PORT=str(port), QNDTI_SIMULATOR_INTERVAL="1"
    )
    log = (tmp_path / "connectors.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "qndti", "connectors", "run"], env=env, stdout=log, stderr=log)
    try:
        yield port
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.fixture
def prometheus(tmp_path: Path) -> Callable[[list[str], list[str]], int]:
    """Start Prometheus on the project's rule files scraping the given targets; returns its port."""
    binary = shutil.which("prometheus")
    assert binary is not None, "prometheus is not installed (make tools installs Debian's package)"
    started: list[subprocess.Popen[bytes]] = []

    def start(workers: list[str], connectors: list[str]) -> int:
        port = free_port()
        config = {
            # A worker busy with a batch answers a scrape late: a timeout would mark its gauges stale.
            "global": {"scrape_interval": "5s", "scrape_timeout": "5s", "evaluation_interval": "5s"},
            "rule_files": [str(p) for p in sorted(RULES.glob("*.yml"))],
            "scrape_configs": [
                {"job_name": "qndti-worker", "static_configs": [{"targets": workers}]},
                {"job_name": "qndti-connectors", "static_configs": [{"targets": connectors}]},
            ],
        }
        path = tmp_path / "prometheus.yml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        log = (tmp_path / "prometheus.log").open("wb")
        command = [binary, f"--config.file={path}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                   f"--web.listen-address=127.0.0.1:{port}"]  # fmt: skip
        started.append(subprocess.Popen(command, stdout=log, stderr=log))
        return port

    yield start  # type: ignore[misc]
    for proc in started:
        proc.terminate()
        proc.wait(30)


def rules_of(port: int) -> list[dict[str, Any]]:
    return [rule for group in api(port, "rules")["groups"] for rule in group["rules"]]


def test_prometheus_scrapes_every_target_and_every_rule_has_data(
    worker_factory: Callable[..., WorkerProcess],
    connectors: int,
    prometheus: Callable[[list[str], list[str]], int],
) -> None:
    worker = worker_factory(QNDTI_WORKER_STALE_INTERVAL="5").start()
    port = prometheus([f"127.0.0.1:{worker.env['QNDTI_WORKER_WEB_PORT']}"], [f"127.0.0.1:{connectors}"])

    def targets_up() -> object:
        active = api(port, "targets")["activeTargets"]
        healths = sorted((t["labels"]["job"], t["health"]) for t in active)
        return True if healths == [("qndti-connectors", "up"), ("qndti-worker", "up")] else healths

    eventually(targets_up, 90, "both targets up")

    def every_rule_evaluated() -> object:
        rules = rules_of(port)
        waiting = [r["name"] for r in rules if r.get("lastEvaluation", "").startswith("0001")]
        return waiting if waiting else True

    # The rule groups evaluate every 30 s: wait for a round of each.
    eventually(every_rule_evaluated, 120, "every rule evaluated")
    rules = rules_of(port)
    assert [r["name"] for r in rules if r["health"] != "ok"] == []

    def every_record_has_data() -> object:
        empty = [
            r["name"]
            for r in rules_of(port)
            if r["type"] == "recording" and not api(port, "query", query=r["name"])["result"]
        ]
        return empty if empty else True

    # Rates need the simulator's observations flowing through the worker: a few rounds of the 30 s groups.
    eventually(every_record_has_data, 150, "a value for every recording rule")

    exposed = set(api(port, "label/__name__/values"))
    used = {name for rule in rules for name in re.findall(r"\bqndti_[a-z0-9_]+", rule["query"])}
    assert used, "the rules read no qndti metric"
    assert sorted(used - exposed) == []
    firing = [r["name"] for r in rules if r["type"] == "alerting" and r["state"] == "firing"]
    assert firing == []
