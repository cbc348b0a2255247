"""Task progress reports through the real broker and database.

Newest wins, repeats and late reports change nothing, bad reports are dead-lettered with their reason, statuses
and alerts follow, a kill -9 loses nothing.

The tasks are written into a copy of the catalog as this year's plan, dated around today, so that their
statuses do not depend on the day the tests run: the plan began 100 days ago and the task deadlines are
100 days ahead (half the time elapsed: 50 % progress expected) or yesterday (overdue).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from index_engine.catalog import CATALOG_ROOT, DEFAULT_VERSION, load_catalog
from index_engine.periods import LOCAL_TZ
from qndti.commands.plan import copy_plan
from streams.reference import load_reference
from streams.topics import Topics
from tests.conftest import StackInfo
from tests.integration.conftest import WorkerProcess, wait_for

pytestmark = pytest.mark.integration

TODAY = dt.datetime.now(LOCAL_TZ).date()
YEAR = TODAY.year
STARTS = TODAY - dt.timedelta(days=100)
AHEAD = TODAY + dt.timedelta(days=100)
# The overdue task's deadline: yesterday (on 1 January there is no day of this year before today).
YESTERDAY = max(TODAY - dt.timedelta(days=1), dt.date(YEAR, 1, 1))

TASKS = [
    ("NVT-01", "SKHCN", "SYT", AHEAD),
    ("NVT-02", "STC", "", YESTERDAY),
    ("NVT-03", "SYT", "SGDDT;STC", AHEAD),
    ("NVT-04", "SGDDT", "", AHEAD),
]

STATES = """
SELECT task_code, progress, state, status, lead_unit FROM dti.task_latest WHERE task_code LIKE 'NVT-%' ORDER BY 1
"""
ALERTS = "SELECT task_code, kind, action, notify FROM dti.task_alert ORDER BY task_code, kind, ts, action DESC"


def this_years_plan(tmp_path: Path) -> Path:
    """A copy of the catalog with this year's plan holding the test tasks; returns the catalog root."""
    root = tmp_path / "catalog"
    shutil.copytree(CATALOG_ROOT / DEFAULT_VERSION, root / DEFAULT_VERSION)
    folder = root / DEFAULT_VERSION
    plans = folder / "plans"
    if not (plans / str(YEAR)).exists():
        copy_plan(load_catalog(root=root), folder, max(int(p.name) for p in plans.iterdir()), YEAR)
    plan = plans / str(YEAR) / "plan.csv"
    header, row = plan.read_text(encoding="utf-8").splitlines()
    values = dict(zip(header.split(","), row.split(","), strict=True))
    values.update(issued_on=STARTS.isoformat(), task_tolerance="20", task_cadence_days="31", task_reminder_days="7")
    plan.write_text(",".join(values) + "\n" + ",".join(values.values()) + "\n", encoding="utf-8")
    lines = ["code,title_vi,title_en,pillar,lead_unit,co_lead_units,deadline,deliverable,assumed,note"]
    lines += [f"{code},Nhiệm vụ {code},Task {code},NT,{lead},{co},{day},,true," for code, lead, co, day in TASKS]
    (plans / str(YEAR) / "tasks.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def report(task: str, id_: str, progress: float, day: dt.date = TODAY, **extra: object) -> tuple[bytes, bytes]:
    body = {"id": id_, "source": "test", "task": task, "date": day.isoformat(), "progress": progress, **extra}
    return task.encode(), json.dumps(body).encode()


def send(bootstrap: str, topic: str, messages: list[tuple[bytes, bytes]]) -> None:
    async def run() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
        await producer.start()
        try:
            for key, value in messages:
                await producer.send_and_wait(topic, value, key=key)
        finally:
            await producer.stop()

    asyncio.run(run())


def read_topic(bootstrap: str, topic: str, count: int) -> list[tuple[bytes | None, bytes, dict[str, bytes]]]:
    async def run() -> list[tuple[bytes | None, bytes, dict[str, bytes]]]:
        consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
        await consumer.start()
        out: list[tuple[bytes | None, bytes, dict[str, bytes]]] = []
        try:
            async with asyncio.timeout(60):
                while len(out) < count:
                    for records in (await consumer.getmany(timeout_ms=1000)).values():
                        out.extend((r.key, r.value or b"", dict(r.headers or ())) for r in records)
            # Anything beyond ``count`` would be a duplicate: give it a moment to show up.
            for records in (await consumer.getmany(timeout_ms=2000)).values():
                out.extend((r.key, r.value or b"", dict(r.headers or ())) for r in records)
        finally:
            await consumer.stop()
        return out

    return asyncio.run(run())


def prepared(database_url: str, tmp_path: Path) -> Path:
    root = this_years_plan(tmp_path)
    with psycopg.connect(database_url) as conn:
        load_reference(conn, load_catalog(root=root))
    return root


def test_reports_statuses_alerts_and_dead_letters(
    stack: StackInfo,
    topics: Topics,
    database_url: str,
    tmp_path: Path,
    worker_factory: Callable[..., WorkerProcess],
) -> None:
    root = prepared(database_url, tmp_path)
    worker = worker_factory(QNDTI_CATALOG_ROOT=str(root), QNDTI_WORKER_STALE_INTERVAL="1").start()
    bad = [
        report("NV99-01", "x1", 10),
        report("NVT-01", "x2", 120),
        report("NVT-01", "x3", 10, STARTS - dt.timedelta(days=1)),
        report("NVT-01", "x4", 100, state="done"),
        (b"NVT-01", b"{not json"),
    ]
    send(
        stack.kafka_bootstrap,
        topics.task_reports,
        [
            report("NVT-01", "a", 40),
            *bad,
            report("NVT-01", "b", 60),  # same day, received later: wins
            report("NVT-01", "a", 40),  # a repeat
            report("NVT-01", "c", 10, TODAY - dt.timedelta(days=3)),  # older: kept, no effect
            report("NVT-03", "d", 20),  # 30 points behind the 50 % expected: at risk
        ],
    )
    wait_for(
        database_url,
        STATES,
        [
            ("NVT-01", 60.0, "in_progress", "on_schedule", "SKHCN"),
            ("NVT-02", 0.0, None, "overdue", "STC"),
            ("NVT-03", 20.0, "in_progress", "at_risk", "SYT"),
            ("NVT-04", 0.0, None, "at_risk", "SGDDT"),  # half the time gone, nothing reported
        ],
        what="task states after the first reports",
    )
    # The sweep evaluates every second: at risk has held twice, and each alert was raised once.
    wait_for(
        database_url,
        ALERTS,
        [
            ("NVT-02", "overdue", "raised", ["STC"]),
            ("NVT-03", "at_risk", "raised", ["SYT", "SGDDT", "STC"]),
            ("NVT-04", "at_risk", "raised", ["SGDDT"]),
        ],
        what="one overdue and two at-risk alerts",
    )
    send(
        stack.kafka_bootstrap,
        topics.task_reports,
        [report("NVT-02", "e", 100, state="done", evidence="QĐ 12/QĐ-UBND"), report("NVT-03", "f", 55)],
    )
    wait_for(
        database_url,
        ALERTS,
        [
            ("NVT-02", "overdue", "raised", ["STC"]),
            ("NVT-02", "overdue", "resolved", ["STC"]),
            ("NVT-03", "at_risk", "raised", ["SYT", "SGDDT", "STC"]),
            ("NVT-03", "at_risk", "resolved", ["SYT", "SGDDT", "STC"]),
            ("NVT-04", "at_risk", "raised", ["SGDDT"]),
        ],
        what="alerts cleared by a completion and by progress back on schedule",
    )
    with psycopg.connect(database_url) as conn:
        history = conn.execute(
            "SELECT report_id, progress, latest FROM dti.task_history WHERE task_code = 'NVT-01' ORDER BY received_at,"
            " report_id"
        ).fetchall()
        letters = conn.execute("SELECT reason, count(*) FROM dti.dead_letter GROUP BY 1 ORDER BY 1").fetchall()
        done = conn.execute(
            "SELECT status, evidence, reason_en FROM dti.task_latest WHERE task_code = 'NVT-02'"
        ).fetchone()
    assert sorted(history) == [("a", 40.0, True), ("b", 60.0, True), ("c", 10.0, False)]
    assert letters == [
        ("bad_progress", 1),
        ("before_plan", 1),
        ("malformed_json", 1),
        ("no_evidence", 1),
        ("unknown_task", 1),
    ]
    assert done == ("done", "QĐ 12/QĐ-UBND", f"Done on {TODAY.isoformat()}; evidence: QĐ 12/QĐ-UBND")

    # The topic is at least once (a batch retried after a failed commit sends its letters again); the database's
    # dead letters, keyed by origin, hold each once (above).
    dead = read_topic(stack.kafka_bootstrap, topics.task_dead_letters, len(bad))
    assert sorted({h["qndti-reason"].decode() for _, _, h in dead}) == [r for r, _ in letters]
    assert sorted({value for _, value, _ in dead}) == sorted({value for _, value in bad})
    # The alerts topic is at least once too: a retried batch may send a transition again, never a different one.
    alerts = read_topic(stack.kafka_bootstrap, topics.alerts, 5)
    messages = [(key, json.loads(value)) for key, value, _ in alerts]
    transitions = {(key, tuple(message["raised"]), tuple(message["resolved"])) for key, message in messages}
    assert sorted(transitions) == [
        (b"task|NVT-02", (), ("overdue",)),
        (b"task|NVT-02", ("overdue",), ()),
        (b"task|NVT-03", (), ("at_risk",)),
        (b"task|NVT-03", ("at_risk",), ()),
        (b"task|NVT-04", ("at_risk",), ()),
    ]
    assert worker.alive()


def test_a_worker_killed_mid_stream_loses_nothing(
    stack: StackInfo,
    topics: Topics,
    database_url: str,
    tmp_path: Path,
    worker_factory: Callable[..., WorkerProcess],
) -> None:
    root = prepared(database_url, tmp_path)
    rng = random.Random(7)
    messages = []
    newest: dict[str, tuple[dt.date, float]] = {}
    for n in range(600):
        task = rng.choice([t[0] for t in TASKS])
        day = TODAY - dt.timedelta(days=rng.randint(0, 40))
        progress = float(rng.randint(0, 99))
        messages.append(report(task, f"r{n}", progress, day))
        # The oracle: the latest date wins; of one date, the report sent last.
        if task not in newest or day >= newest[task][0]:
            newest[task] = (day, progress)
    repeats = rng.sample(messages, 50)
    worker = worker_factory(QNDTI_CATALOG_ROOT=str(root), QNDTI_WORKER_BATCH_SIZE="20").start()
    send(stack.kafka_bootstrap, topics.task_reports, messages[:300])
    with psycopg.connect(database_url, autocommit=True) as conn:
        deadline = time.monotonic() + 90
        while conn.execute("SELECT count(*) FROM dti.task_report").fetchone() == (0,):
            assert time.monotonic() < deadline, "the worker stored no report"
            time.sleep(0.1)
    worker.kill()
    worker.start()
    send(stack.kafka_bootstrap, topics.task_reports, messages[300:] + repeats)
    # Every report stored once (the repeats too), then each task's newest one.
    wait_for(
        database_url,
        "SELECT count(*), count(DISTINCT report_id) FROM dti.task_report",
        [(600, 600)],
        what="every report in the history",
    )
    expected = [(code, newest[code][1], newest[code][0]) for code in sorted(newest)]
    wait_for(
        database_url,
        "SELECT task_code, progress, report_date FROM dti.task_latest WHERE report_date IS NOT NULL ORDER BY 1",
        expected,
        what="each task's newest report after a kill -9",
    )
    assert worker.alive()
