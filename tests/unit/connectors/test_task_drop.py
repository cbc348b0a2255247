"""A file drop of task progress files: good rows produced, bad rows set aside and said, files moved, metrics."""

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from connectors.adapters.file_drop import FileDropConnector
from connectors.base import Batch
from connectors.checkpoint import CheckpointStore
from connectors.errors import ProduceFailed
from connectors.metrics import ConnectorMetrics
from connectors.runner import Emitter, SourceLoop, SourceState
from index_engine.task_report import TaskReport
from tests.connectors_support import CATALOG, ListSink, emitter, sample, source

HEADER = "STT;Mã nhiệm vụ;Tiến độ (%);Trạng thái;Ngày báo cáo;Minh chứng\n"


def drop(tmp_path: Path) -> tuple[Path, SourceLoop, ListSink, CollectorRegistry]:
    folder = tmp_path / "drop"
    folder.mkdir()
    config = source(
        tmp_path / "sources",
        "tien-do",
        type="file_drop",
        produces="task_reports",
        fields={"unit_constant": "QN"},
        metrics={},
        options={"folder": str(folder), "settle_seconds": 0},
    )
    sink = ListSink()
    emit, registry = emitter(sink, tmp_path / "state")
    return folder, SourceLoop(FileDropConnector(config, CATALOG), emit, {}, SourceState("tien-do")), sink, registry


def test_good_rows_go_through_and_bad_rows_are_listed_next_to_the_file(tmp_path: Path) -> None:
    folder, loop, sink, registry = drop(tmp_path)
    (folder / "syt-2023-06-30.csv").write_text(
        HEADER + "1;NV23-39;80;Đang thực hiện;;\n2;NV23-40;tám mươi;Đang thực hiện;;\n3;NV23-41;100;Hoàn thành;;HSSK\n",
        encoding="utf-8",
    )
    (folder / "sgddt-2023-06-30.csv").write_text(HEADER + "1;NV23-42;x;;;\n", encoding="utf-8")
    (folder / "hong.csv").write_text("Tên;Tiến độ\nA;5\n", encoding="utf-8")
    asyncio.run(loop.poll_once())
    assert [(r.task, r.progress, r.state, r.evidence) for r in sink.task_reports] == [
        ("NV23-39", 80.0, "in_progress", ""),
        ("NV23-41", 100.0, "done", "HSSK"),
    ]
    assert sink.sent == []
    assert sorted(p.name for p in (folder / "processed").iterdir()) == [
        "syt-2023-06-30.csv",
        "syt-2023-06-30.csv.reason.txt",
    ]
    assert (folder / "processed" / "syt-2023-06-30.csv.reason.txt").read_text(encoding="utf-8") == (
        "2 rows produced; 1 rows set aside (fix them and drop the file again):\n"
        "syt-2023-06-30.csv, row 3, column 'Tiến độ (%)': progress 'tám mươi' is not a number\n"
    )
    failed = sorted(p.name for p in (folder / "failed").iterdir())
    assert failed == ["hong.csv", "hong.csv.reason.txt", "sgddt-2023-06-30.csv", "sgddt-2023-06-30.csv.reason.txt"]
    assert (
        (folder / "failed" / "sgddt-2023-06-30.csv.reason.txt")
        .read_text(encoding="utf-8")
        .startswith("no row could be read as a task report:\n")
    )
    assert sample(registry, "qndti_connector_task_reports_total", source="tien-do", outcome="produced") == 2
    assert sample(registry, "qndti_connector_task_reports_total", source="tien-do", outcome="rejected") == 2
    assert sample(registry, "qndti_connector_failures_total", source="tien-do", error_class="invalid_response") == 1
    assert sample(registry, "qndti_connector_polls_total", source="tien-do", outcome="ok") == 1
    assert not loop.state.healthy
    # Only a file that produced something is remembered: the others, corrected, are read again.
    assert [f["name"] for f in loop.checkpoint["files"].values()] == ["syt-2023-06-30.csv"]


def test_the_same_file_dropped_again_is_not_produced_twice(tmp_path: Path) -> None:
    folder, loop, sink, _ = drop(tmp_path)
    content = HEADER + "1;NV23-39;80;Đang thực hiện;;\n"
    (folder / "syt-2023-06-30.csv").write_text(content, encoding="utf-8")
    asyncio.run(loop.poll_once())
    (folder / "syt-lan-2-2023-06-30.csv").write_text(content, encoding="utf-8")
    asyncio.run(loop.poll_once())
    assert [r.task for r in sink.task_reports] == ["NV23-39"]
    assert loop.state.healthy


def test_task_reports_need_a_producer_for_them(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    plain = Emitter(ListSink(), CATALOG, CheckpointStore(tmp_path), ConnectorMetrics(registry))
    report = TaskReport(id="x", source="t", task="NV23-01", date=dt.date(2023, 6, 30), progress=10)
    batch = Batch([], {}, task_reports=[report], produces="task_reports")
    with pytest.raises(ProduceFailed, match="no producer for task reports"):
        asyncio.run(plain.emit("t", batch))
