"""The connectors table of docs/metrics.md against what the metrics registry holds after real polls."""

import asyncio
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import httpx
from prometheus_client import CollectorRegistry

from connectors.adapters.file_drop import FileDropConnector
from connectors.adapters.http_json import HttpJsonConnector
from connectors.runner import SourceLoop, SourceState
from tests.connectors_support import CATALOG, ListSink, emitter, source

DOC = Path(__file__).resolve().parents[3] / "docs" / "metrics.md"
RECORD = {"unit": "Hạ Long", "ts": "2023-06-30T17:00:00+07:00", "processed": 10, "online": 9}


@dataclass(frozen=True)
class Documented:
    """One row of the table: type, label names, and the values of the labels that list them."""

    type: str
    labels: frozenset[str]
    values: dict[str, frozenset[str]]


def documented() -> dict[str, Documented]:
    section = DOC.read_text(encoding="utf-8").split("## Connectors", 1)[1].split("\n## ", 1)[0]
    table: dict[str, Documented] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) != 4 or not cells[0].startswith("`qndti_"):
            continue
        labels: set[str] = set()
        values: dict[str, frozenset[str]] = {}
        for part in cells[2].split(", "):
            name, _, listed = part.partition(" = ")
            labels.add(name.strip("`"))
            if listed:
                values[name.strip("`")] = frozenset(re.findall(r"`(\w+)`", listed))
        table[cells[0].strip("`")] = Documented(cells[1], frozenset(labels), values)
    return table


def emitted(registry: CollectorRegistry) -> dict[str, Documented]:
    found: dict[str, Documented] = {}
    for family in registry.collect():
        name = f"{family.name}_total" if family.type == "counter" else family.name
        labels: set[str] = set()
        values: dict[str, set[str]] = defaultdict(set)
        for sample in family.samples:
            labels.update(sample.labels)
            for key, value in sample.labels.items():
                values[key].add(value)
        found[name] = Documented(family.type, frozenset(labels), {k: frozenset(v) for k, v in values.items()})
    return found


class Answers:
    """An API that answers each request with the next scripted answer (a response or an exception to raise)."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def poll_all(tmp_path: Path) -> CollectorRegistry:
    """Poll HTTP sources through every outcome and error class a poll can have."""
    sink = ListSink()
    emit, registry = emitter(sink, tmp_path / "state")
    good = httpx.Response(200, json={"data": [RECORD]}, headers={"ETag": '"v1"'})
    script = Answers(
        good,  # ok
        httpx.Response(304),  # not_modified
        httpx.Response(200, json={"data": []}),  # empty
        httpx.Response(200, text="<html>bảo trì</html>"),  # invalid_response
        httpx.Response(401),  # auth
        httpx.Response(503),  # unavailable: the third failure in a row opens the breaker
        httpx.Response(200, json={"data": [{**RECORD, "processed": -1}]}),  # bad_record
        httpx.ReadTimeout("slow"),  # timeout
        RuntimeError("a bug"),  # internal
        good,  # produce: the broker is down
    )
    config = source(
        tmp_path / "sources",
        "dvc",
        options={"url": "https://dvc.example.vn/api", "records": "data", "conditional": True},
        retry={"backoff_initial": 0.01, "backoff_max": 0.05, "breaker_failures": 3, "breaker_reset": 0.05},
    )
    connector = HttpJsonConnector(config, CATALOG, {}, transport=httpx.MockTransport(script))
    loop = SourceLoop(connector, emit, {}, SourceState("dvc"))

    async def scenario() -> None:
        for _ in range(6):
            await loop.poll_once()
        await loop.poll_once()  # the breaker is open: skipped
        for _ in range(3):
            await asyncio.sleep(0.06)  # a trial poll after the reset time
            await loop.poll_once()
        sink.failing = True
        await asyncio.sleep(0.06)
        await loop.poll_once()
        await connector.aclose()

    asyncio.run(scenario())
    assert script.answers == []
    sink.failing = False
    # A task progress file with one good row and one that cannot be a report.
    drop = tmp_path / "tasks"
    drop.mkdir()
    (drop / "tien-do-2023-06-30.csv").write_text(
        "Mã nhiệm vụ;Tiến độ (%)\nNV23-07;60\nNV23-08;nhiều\n", encoding="utf-8"
    )
    tasks = FileDropConnector(
        source(
            tmp_path / "sources",
            "tasks",
            type="file_drop",
            produces="task_reports",
            fields={"unit_constant": "QN"},
            metrics={},
            options={"folder": str(drop), "settle_seconds": 0},
        ),
        CATALOG,
    )
    asyncio.run(SourceLoop(tasks, emit, {}, SourceState("tasks")).poll_once())
    assert len(sink.task_reports) == 1
    return registry


def test_the_connectors_table_is_what_real_polls_make(tmp_path: Path) -> None:
    table = documented()
    found = emitted(poll_all(tmp_path))
    assert sorted(found) == sorted(table)
    for name, row in table.items():
        assert found[name].type == row.type, name
        assert found[name].labels == row.labels, name
        for label, values in row.values.items():
            assert found[name].values[label] == values, (name, label)


def total(registry: CollectorRegistry, family: str) -> float:
    return sum(s.value for f in registry.collect() if f.name == family for s in f.samples if s.name.endswith("_total"))


def test_each_poll_counts_once_and_fails_at_most_once(tmp_path: Path) -> None:
    registry = poll_all(tmp_path)
    # 11 polls: ok, not_modified, empty, 3 failures, 1 skipped by the open breaker, 4 failed trial polls; then
    # the task file's poll, which went through (ok) and set a row aside (one failure).
    assert total(registry, "qndti_connector_polls") == 12
    assert total(registry, "qndti_connector_failures") == 8
