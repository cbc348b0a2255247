"""Task progress reports reach ``qndti.task-reports`` keyed by task code: file drop, signed webhook and the CLI."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import msgspec
import psycopg
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from openpyxl import Workbook

from connectors.adapters.file_drop import FileDropConnector
from connectors.adapters.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookConnector, sign
from connectors.runner import SourceLoop, SourceState, run_push
from index_engine.task_report import TaskReport
from streams.reference import load_reference
from streams.topics import Topics
from tests.conftest import REPO, StackInfo, free_port
from tests.connectors_support import CATALOG, KafkaEmitter, sample, source
from tests.integration.conftest import WorkerProcess, service_env, wait_for

pytestmark = pytest.mark.integration

REFERENCE = REPO / "connectors" / "data" / "tasks" / "tien-do-nhiem-vu-2023-06-30.csv"
SECRET = "task-s3cret"  # noqa: S105 - a test secret


async def read_reports(
    bootstrap: str, topic: str, expected: int, timeout: float = 30.0
) -> list[tuple[str, TaskReport]]:
    """``(key, report)`` of every record on ``topic``, waiting up to ``timeout`` for ``expected`` of them."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    await consumer.start()
    found: list[tuple[str, TaskReport]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            [described] = await admin.describe_topics([topic])
        finally:
            await admin.close()
        partitions = [TopicPartition(topic, p["partition"]) for p in described["partitions"]]
        assert partitions, f"topic {topic} does not exist"
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        while True:
            ends = await consumer.end_offsets(partitions)
            if sum(ends.values()) >= expected or loop.time() > deadline:
                break
            await asyncio.sleep(0.2)
        for partition in partitions:
            while await consumer.position(partition) < ends[partition]:
                for record in (await consumer.getmany(partition, timeout_ms=1000)).get(partition, []):
                    assert record.key is not None
                    found.append((record.key.decode(), msgspec.json.decode(record.value, type=TaskReport)))
    finally:
        await consumer.stop()
    return found


def test_progress_files_dropped_in_the_folder(stack: StackInfo, topics: Topics, tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    shutil.copy(REFERENCE, drop / REFERENCE.name)
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["Mã nhiệm vụ", "Tiến độ (%)", "Trạng thái", "Ngày báo cáo", "Minh chứng", "Ghi chú"])
    ws.append(["NV23-39", 0.8, "Đang thực hiện", dt.date(2023, 7, 15), None, "Sở Y tế"])
    ws.append(["NV23-40", "không rõ", "Đang thực hiện", dt.date(2023, 7, 15), None, None])
    ws.append(["NV23-42", 1, "Hoàn thành", dt.date(2023, 7, 15), "Công văn 2345/SGDĐT", None])
    ws["B2"].number_format = "0%"
    ws["B4"].number_format = "0%"
    book.save(drop / "tien-do-syt-sgddt.xlsx")
    config = source(
        tmp_path / "sources",
        "tien-do",
        type="file_drop",
        produces="task_reports",
        fields={"unit_constant": "QN"},
        metrics={},
        options={"folder": str(drop), "settle_seconds": 0},
    )

    async def scenario() -> list[tuple[str, TaskReport]]:
        async with KafkaEmitter(
            stack.kafka_bootstrap, topics.observations, tmp_path / "state", task_topic=topics.task_reports
        ) as kafka:
            loop = SourceLoop(FileDropConnector(config, CATALOG), kafka.emitter, {}, SourceState("tien-do"))
            await loop.poll_once()
            # The same reference file dropped again under another name is not produced twice.
            shutil.copy(REFERENCE, drop / "ban-sao-2023-06-30.csv")
            await loop.poll_once()
            assert (
                sample(kafka.registry, "qndti_connector_task_reports_total", source="tien-do", outcome="produced") == 54
            )
            assert (
                sample(kafka.registry, "qndti_connector_task_reports_total", source="tien-do", outcome="rejected") == 1
            )
            return await read_reports(stack.kafka_bootstrap, topics.task_reports, 54)

    found = asyncio.run(scenario())
    assert len(found) == 54
    assert all(key == report.task for key, report in found)
    assert {report.source for _, report in found} == {"tien-do"}
    by_task = {report.task: report for _, report in found}
    assert sorted(by_task) == sorted([f"NV23-{n:02d}" for n in range(1, 53)])
    assert {t: r.evidence for t, r in by_task.items() if r.state == "done" and r.date == dt.date(2023, 6, 30)} == {
        "NV23-01": "Trang thông tin điện tử chuyển đổi số của tỉnh vận hành",
        "NV23-02": "Kế hoạch 111/KH-UBND ngày 26/4/2023",
        "NV23-03": "Báo cáo hoàn thành cơ sở dữ liệu đất đai của UBND thành phố Hạ Long",
        "NV23-04": "Quyết định 311/QĐ-UBND ngày 8/2/2023",
        "NV23-05": "Báo cáo thanh toán không dùng tiền mặt 6 tháng đầu năm 2023 của NHNN chi nhánh Quảng Ninh",
    }
    july = sorted((r.task, r.progress, r.state, r.evidence, r.note) for _, r in found if r.date == dt.date(2023, 7, 15))
    assert july == [
        ("NV23-39", 80.0, "in_progress", "", "Sở Y tế"),
        ("NV23-42", 100.0, "done", "Công văn 2345/SGDĐT", ""),
    ]
    assert (by_task["NV23-06"].progress, by_task["NV23-06"].state) == (60.5, "in_progress")
    reason = (drop / "processed" / "tien-do-syt-sgddt.xlsx.reason.txt").read_text(encoding="utf-8")
    assert "tien-do-syt-sgddt.xlsx, row 3, column 'Tiến độ (%)': progress 'không rõ' is not a number" in reason


def headers(body: bytes, secret: str = SECRET) -> dict[str, str]:
    stamp = str(int(time.time()))
    return {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign(secret, stamp, body), "Content-Type": "application/json"}


def test_signed_webhook_deliveries_of_progress(stack: StackInfo, topics: Topics, tmp_path: Path) -> None:
    port = free_port()
    config = source(
        tmp_path / "sources",
        "task-push",
        type="webhook",
        produces="task_reports",
        auth={"type": "hmac", "secret_env": "TASK_SECRET"},
        fields={"unit_constant": "QN"},
        metrics={},
        options={"port": port, "path": "/tasks"},
    )
    one = {"id": "syt-0630", "task": "NV23-39", "progress": 80, "state": "in_progress", "date": "2023-06-30"}
    batch = {
        "id": "sgddt-0630",
        "records": [
            {"task": "NV23-42", "progress": "100", "state": "done", "date": "2023-06-30", "evidence": "CV 12/SGDĐT"},
            {"id": "sgddt-43", "task": "NV23-43", "progress": "62,5", "date": "2023-06-30", "note": "học phí"},
        ],
    }
    unknown = {"id": "x-1", "task": "NV99-01", "progress": 10, "date": "2023-06-30"}
    bad = {"id": "x-2", "task": "NV23-44", "progress": "nhiều", "date": "2023-06-30"}

    async def scenario() -> tuple[dict[str, tuple[int, Any]], list[tuple[str, TaskReport]]]:
        async with KafkaEmitter(
            stack.kafka_bootstrap, topics.observations, tmp_path / "state", task_topic=topics.task_reports
        ) as kafka:
            connector = WebhookConnector(config, CATALOG, {"TASK_SECRET": SECRET})
            stop = asyncio.Event()
            server = asyncio.create_task(run_push(connector, kafka.emitter, {}, stop, SourceState("task-push")))
            url = f"http://127.0.0.1:{port}/tasks"
            answers: dict[str, tuple[int, Any]] = {}
            async with httpx.AsyncClient(timeout=10) as client:
                for _ in range(50):  # wait until the server listens
                    try:
                        await client.get(url)
                        break
                    except httpx.TransportError:
                        await asyncio.sleep(0.1)
                for name, body in (("one", one), ("batch", batch), ("again", one), ("unknown", unknown), ("bad", bad)):
                    raw = json.dumps(body, ensure_ascii=False).encode()
                    response = await client.post(url, content=raw, headers=headers(raw))
                    answers[name] = (response.status_code, response.json())
                raw = json.dumps(one).encode()
                answers["unsigned"] = (
                    (await client.post(url, content=raw, headers=headers(raw, "x"))).status_code,
                    None,
                )
            stop.set()
            await asyncio.wait_for(server, 10)
            return answers, await read_reports(stack.kafka_bootstrap, topics.task_reports, 4)

    answers, found = asyncio.run(scenario())
    assert answers["one"] == (202, {"id": "syt-0630", "task_reports": 1})
    assert answers["batch"] == (202, {"id": "sgddt-0630", "task_reports": 2})
    assert answers["again"] == (202, {"id": "syt-0630", "duplicate": True})
    assert answers["unknown"] == (202, {"id": "x-1", "task_reports": 1})
    assert answers["bad"][0] == 422
    assert "delivery x-2, record 1, field 'progress': progress 'nhiều' is not a number" in answers["bad"][1]["error"]
    assert answers["unsigned"][0] == 401
    day = dt.date(2023, 6, 30)
    assert sorted(found, key=lambda kr: kr[1].id) == [
        ("NV23-42", TaskReport(id="sgddt-0630/1", source="task-push", task="NV23-42", date=day, progress=100.0,
                               state="done", evidence="CV 12/SGDĐT")),
        ("NV23-43", TaskReport(id="sgddt-43", source="task-push", task="NV23-43", date=day, progress=62.5,
                               note="học phí")),
        ("NV23-39", TaskReport(id="syt-0630", source="task-push", task="NV23-39", date=day, progress=80.0)),
        ("NV99-01", TaskReport(id="x-1", source="task-push", task="NV99-01", date=day, progress=10.0)),
    ]  # fmt: skip


def qndti(stack: StackInfo, topics: Topics, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("QNDTI_")},
        "QNDTI_KAFKA_BOOTSTRAP": stack.kafka_bootstrap,
        "QNDTI_TOPIC_PREFIX": topics.observations.rsplit(".", 1)[0],
        "QNDTI_STACK_DIR": str(tmp_path / "stack"),
    }
    return subprocess.run(
        [sys.executable, "-m", "qndti", "tasks", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_command_line_sends_one_report(stack: StackInfo, topics: Topics, tmp_path: Path) -> None:
    first = qndti(
        stack, topics, tmp_path, "report", "NV23-02", "--progress", "100", "--state", "done",
        "--evidence", "Kế hoạch 111/KH-UBND ngày 26/4/2023", "--date", "2023-06-30", "--id", "skhdt-1",
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        f"Đã gửi báo cáo tiến độ / progress report sent to {topics.task_reports}:",
        "  nhiệm vụ / task: NV23-02",
        "  tiến độ / progress: 100%",
        "  trạng thái / state: hoàn thành / done",
        "  ngày / date: 2023-06-30",
        "  minh chứng / evidence: Kế hoạch 111/KH-UBND ngày 26/4/2023",
        "  mã báo cáo / id: skhdt-1",
    ]
    second = qndti(stack, topics, tmp_path, "report", "nv23-07", "--progress", "60,5", "--note", "chậm")
    assert second.returncode == 0, second.stderr
    unknown = qndti(stack, topics, tmp_path, "report", "NV99-01", "--progress", "10", "--date", "2023-06-30")
    assert unknown.returncode == 0, unknown.stderr
    assert "unknown_task" in unknown.stderr
    today = dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    found = asyncio.run(read_reports(stack.kafka_bootstrap, topics.task_reports, 3))
    assert [key for key, _ in found] == [r.task for _, r in found]
    by_task = {r.task: r for _, r in found}
    assert by_task["NV23-02"] == TaskReport(
        id="skhdt-1",
        source="cli",
        task="NV23-02",
        date=dt.date(2023, 6, 30),
        progress=100.0,
        state="done",
        evidence="Kế hoạch 111/KH-UBND ngày 26/4/2023",
    )
    generated = by_task["NV23-07"]
    assert (generated.date, generated.progress, generated.state, generated.note) == (today, 60.5, "in_progress", "chậm")
    assert generated.id.startswith(f"cli:NV23-07:{today.isoformat()}:")
    assert f"  mã báo cáo / id: {generated.id}" in second.stdout
    assert by_task["NV99-01"].progress == 10.0


H1_2023 = """
SELECT count(*), count(*) FILTER (WHERE done), count(*) FILTER (WHERE report_source = 'tien-do')
  FROM dti.task_latest WHERE period = 2023
"""
DONE_2023 = """SELECT task_code, lead_unit, progress, evidence FROM dti.task_latest
                WHERE period = 2023 AND done ORDER BY 1"""


def test_the_h1_2023_report_through_the_connectors_process_and_the_worker(
    stack: StackInfo,
    topics: Topics,
    database_url: str,
    tmp_path: Path,
    worker_factory: Callable[..., WorkerProcess],
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    shutil.copy(REFERENCE, drop / REFERENCE.name)
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "tien-do.yaml").write_text(
        f"type: file_drop\nproduces: task_reports\noptions: {{folder: {drop}, settle_seconds: 0}}\n", encoding="utf-8"
    )
    env = service_env(
        stack,
        database_url,
        topics,
        tmp_path,
        QNDTI_CONNECTOR_SOURCES=str(sources),
        QNDTI_CONNECTOR_STATE_DIR=str(tmp_path / "state"),
    )
    run = subprocess.run(
        [sys.executable, "-m", "qndti", "connectors", "run", "--once", "--source", "tien-do"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "produced 52 task reports, 0 rejected" in run.stderr
    assert (drop / "processed" / REFERENCE.name).exists()
    with psycopg.connect(database_url) as conn:
        load_reference(conn, CATALOG)  # what `qndti db migrate` does: the plans' tasks into dti.task
    worker = worker_factory().start()
    # As the province reported for the first half of 2023: 5 of the 52 tasks done, each with its lead unit of 2023
    # (the plan is over: the lead at the task's deadline) and its evidence.
    wait_for(database_url, H1_2023, [(52, 5, 52)], what="the 52 tasks of 2023 with their reports")
    wait_for(
        database_url,
        DONE_2023,
        [
            ("NV23-01", "STTTT", 100.0, "Trang thông tin điện tử chuyển đổi số của tỉnh vận hành"),
            ("NV23-02", "SKHDT", 100.0, "Kế hoạch 111/KH-UBND ngày 26/4/2023"),
            ("NV23-03", "HALONG", 100.0, "Báo cáo hoàn thành cơ sở dữ liệu đất đai của UBND thành phố Hạ Long"),
            ("NV23-04", "STTTT", 100.0, "Quyết định 311/QĐ-UBND ngày 8/2/2023"),
            (
                "NV23-05",
                "NHNN",
                100.0,
                "Báo cáo thanh toán không dùng tiền mặt 6 tháng đầu năm 2023 của NHNN chi nhánh Quảng Ninh",
            ),
        ],
        what="the five tasks done by 30 June 2023",
    )
    with psycopg.connect(database_url) as conn:
        letters = conn.execute("SELECT count(*) FROM dti.dead_letter").fetchone()
    assert letters == (0,)
    assert worker.alive()
