"""Task progress files and records → TaskReport v1: headers, Vietnamese numbers and states, encodings, ids, bad rows."""

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from connectors.adapters.file_drop import FileDropOptions
from connectors.base import parse_options
from connectors.config import SourceConfig, parse_source
from connectors.errors import ConfigError, SourceResponseInvalid
from connectors.progress_files import ProgressFile, ProgressFileReader
from connectors.tasks import parse_day, parse_progress
from index_engine.task_report import check_task_report
from tests.agency_files import cp1258, csv_text
from tests.connectors_support import CATALOG, write_source

REPO = Path(__file__).resolve().parents[3]
REFERENCE = REPO / "connectors" / "data" / "tasks" / "tien-do-nhiem-vu-2023-06-30.csv"
HEADER_VI = ["STT", "Mã nhiệm vụ", "Tên nhiệm vụ", "Tiến độ (%)", "Trạng thái", "Ngày báo cáo", "Minh chứng", "Ghi chú"]
JUNE_30 = dt.date(2023, 6, 30)


def task_source(tmp_path: Path, **settings: Any) -> SourceConfig:
    base: dict[str, Any] = {
        "type": "file_drop",
        "produces": "task_reports",
        "options": {"folder": str(tmp_path / "drop"), "settle_seconds": 0},
    }
    base.update(settings)
    return parse_source(write_source(tmp_path / "sources", "tien-do", **base))


def read(tmp_path: Path, path: Path, **settings: Any) -> ProgressFile:
    config = task_source(tmp_path, **settings)
    return ProgressFileReader(config, parse_options(config, FileDropOptions)).read(path)


def write_csv(path: Path, rows: list[list[Any]], encoding: str = "utf-8-sig") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(csv_text(rows), encoding=encoding)
    return path


def summary(found: ProgressFile) -> list[tuple[str, str, float, str, str, str]]:
    return [(r.task, r.date.isoformat(), r.progress, r.state, r.evidence, r.note) for r in found.reports]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("60", 60.0), ("60,5", 60.5), ("60%", 60.0), ("60,5 %", 60.5), (" 7,25% ", 7.25), (75, 75.0), (0.5, 0.5)],
)
def test_progress_as_vietnamese_offices_write_it(raw: object, expected: float) -> None:
    assert parse_progress(raw, "vi") == expected


def test_progress_in_english_notation() -> None:
    assert parse_progress("60.5%", "en") == 60.5


@pytest.mark.parametrize("raw", ["sáu mươi", "", "60%%", "1/2"])
def test_progress_that_is_not_a_number(raw: str) -> None:
    with pytest.raises(ValueError, match=r"not a number|empty"):
        parse_progress(raw, "vi")


@pytest.mark.parametrize(
    "raw",
    ["2023-06-30", "30/06/2023", "30/6/2023", "30-06-2023", "30.06.2023", dt.date(2023, 6, 30)],
)
def test_report_dates(raw: object) -> None:
    assert parse_day(raw, dt.UTC) == JUNE_30


def test_an_iso_time_is_its_local_date() -> None:
    from zoneinfo import ZoneInfo

    # 17:30 UTC on 29 June is 00:30 on 30 June in Vietnam.
    assert parse_day("2023-06-29T17:30:00Z", ZoneInfo("Asia/Ho_Chi_Minh")) == JUNE_30
    assert parse_day(dt.datetime(2023, 6, 30, 9, 0), ZoneInfo("Asia/Ho_Chi_Minh")) == JUNE_30  # noqa: DTZ001


@pytest.mark.parametrize("raw", ["31/02/2023", "hôm nay", "2023-13-01"])
def test_dates_that_are_not_dates(raw: str) -> None:
    with pytest.raises(ValueError, match="not a date"):
        parse_day(raw, dt.UTC)


def test_vietnamese_headers_numbers_and_states(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "tien-do.csv",
        [
            ["BÁO CÁO TIẾN ĐỘ THỰC HIỆN NHIỆM VỤ CHUYỂN ĐỔI SỐ, 6 THÁNG ĐẦU NĂM 2023"],
            [],
            HEADER_VI,
            ["I", "", "CHÍNH QUYỀN SỐ", "", "", "", "", ""],
            [1, "NV23-02", "Kế hoạch hỗ trợ DNNVV", "100", "Hoàn thành", "30/06/2023", "Kế hoạch 111/KH-UBND", ""],
            [2, "nv23-07 ", "Dịch vụ công toàn trình", "60,5", "Đang thực hiện", "30/06/2023", "", "chậm"],
            [3, "NV23-08", "Số hóa hồ sơ", "0", "Chưa thực hiện", "2023-06-30", "", ""],
            [4, "NV23-09", "Thanh toán trực tuyến", "45%", "", "30.06.2023", "", ""],
            [5, "NV23-10", "Ký số", "", "HOÀN THÀNH", "30/06/2023", "Quyết định 12/QĐ-UBND", ""],
            [6, "NV23-11", "Văn bản điện tử", "0", "", "30/06/2023", "", ""],
            [],
            ["", "Quảng Ninh, ngày 05 tháng 7 năm 2023"],
            ["", "NGƯỜI LẬP BIỂU", "", "", "THỦ TRƯỞNG ĐƠN VỊ"],
        ],
    )
    found = read(tmp_path, path)
    assert summary(found) == [
        ("NV23-02", "2023-06-30", 100.0, "done", "Kế hoạch 111/KH-UBND", ""),
        ("NV23-07", "2023-06-30", 60.5, "in_progress", "", "chậm"),
        ("NV23-08", "2023-06-30", 0.0, "not_started", "", ""),
        ("NV23-09", "2023-06-30", 45.0, "in_progress", "", ""),
        ("NV23-10", "2023-06-30", 100.0, "done", "Quyết định 12/QĐ-UBND", ""),
        ("NV23-11", "2023-06-30", 0.0, "not_started", "", ""),
    ]
    assert found.rejected == []
    assert found.footer_row == 12
    assert {r.source for r in found.reports} == {"tien-do"}


def test_english_headers_and_headers_without_diacritics(tmp_path: Path) -> None:
    english = write_csv(
        tmp_path / "progress-2023-06-30.csv",
        [["Task code", "Progress (%)", "State", "Evidence", "Note"], ["NV23-12", "70.5", "in_progress", "", "ok"]],
    )
    assert summary(read(tmp_path, english, number_format="en")) == [
        ("NV23-12", "2023-06-30", 70.5, "in_progress", "", "ok")
    ]
    plain = write_csv(
        tmp_path / "b.csv",
        [["MA NHIEM VU", "TIEN DO", "TRANG THAI", "NGAY BAO CAO"], ["NV23-13", "20", "dang thuc hien", "01/07/2023"]],
    )
    assert summary(read(tmp_path, plain)) == [("NV23-13", "2023-07-01", 20.0, "in_progress", "", "")]


def test_a_source_may_add_header_names_and_state_words(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "x-2023-06-30.csv",
        [["Số hiệu NV", "Phần trăm", "Tình hình"], ["NV23-14", "30", "Tạm dừng"]],
    )
    found = read(
        tmp_path,
        path,
        tasks={
            "task": ["Số hiệu NV"],
            "progress": ["Phần trăm"],
            "state": ["Tình hình"],
            "states": {"Tạm dừng": "in_progress"},
        },
    )
    assert summary(found) == [("NV23-14", "2023-06-30", 30.0, "in_progress", "", "")]


@pytest.mark.parametrize("encoding", ["windows-1258", "utf-16"])
def test_csv_in_the_encodings_offices_save(tmp_path: Path, encoding: str) -> None:
    rows = [HEADER_VI, [1, "NV23-15", "Kết nối CSDL dân cư", "35,5", "Đang thực hiện", "30/06/2023", "", "Đề án 06"]]
    path = tmp_path / f"tien-do-{encoding}.csv"
    text = csv_text(rows)
    path.write_bytes(cp1258(text) if encoding == "windows-1258" else text.encode("utf-16"))
    assert summary(read(tmp_path, path)) == [("NV23-15", "2023-06-30", 35.5, "in_progress", "", "Đề án 06")]


def test_a_workbook_with_percentage_cells_and_dates(tmp_path: Path) -> None:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["TIẾN ĐỘ THỰC HIỆN NHIỆM VỤ"])
    ws.append(HEADER_VI)
    ws.append([1, "NV23-16", "Kho dữ liệu", 0.605, "Đang thực hiện", dt.datetime(2023, 6, 30), None, None])  # noqa: DTZ001
    ws.append([2, "NV23-17", "LGSP", 45, "Đang thực hiện", "30/06/2023", None, None])
    ws.append([3, "NV23-04", "QN-DTI", 1, "Hoàn thành", dt.date(2023, 6, 30), "Quyết định 311/QĐ-UBND", None])
    ws["D3"].number_format = "0.0%"
    ws["D5"].number_format = "0%"
    ws.merge_cells("A1:H1")
    path = tmp_path / "tien-do.xlsx"
    book.save(path)
    assert summary(read(tmp_path, path)) == [
        ("NV23-16", "2023-06-30", 60.5, "in_progress", "", ""),
        ("NV23-17", "2023-06-30", 45.0, "in_progress", "", ""),
        ("NV23-04", "2023-06-30", 100.0, "done", "Quyết định 311/QĐ-UBND", ""),
    ]


def test_ids_are_derived_from_the_file_name_and_the_row(tmp_path: Path) -> None:
    row = [1, "NV23-02", "Kế hoạch", "100", "Hoàn thành", "30/06/2023", "Kế hoạch 111/KH-UBND ngày 26/4/2023", ""]
    first = write_csv(tmp_path / "a" / "tien-do.csv", [HEADER_VI, row, [2, "NV23-07", "", "50", "", "30/06/2023"]])
    [done, _] = read(tmp_path, first).reports
    content = ["tien-do.csv", "NV23-02", "2023-06-30", 100.0, "done", "Kế hoạch 111/KH-UBND ngày 26/4/2023", ""]
    digest = hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()[:16]
    assert done.id == f"tien-do:NV23-02:2023-06-30:{digest}"
    # The same file again, with its rows in another order and another row changed: the same row keeps its id.
    again = write_csv(tmp_path / "b" / "tien-do.csv", [HEADER_VI, [1, "NV23-07", "", "55", "", "30/06/2023"], row])
    [changed, same] = read(tmp_path, again).reports
    assert same.id == done.id
    assert changed.id.startswith("tien-do:NV23-07:2023-06-30:")
    assert changed.id != read(tmp_path, first).reports[1].id
    # Under another name the rows are other reports.
    other = shutil.copy(first, tmp_path / "tien-do-lan-2.csv")
    assert read(tmp_path, Path(other)).reports[0].id != done.id


def test_an_id_column_is_used_as_it_is(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "t-2023-06-30.csv", [["Mã báo cáo", "Mã nhiệm vụ", "Tiến độ"], ["SYT-7", "NV23-39", "80"]]
    )
    assert [r.id for r in read(tmp_path, path).reports] == ["SYT-7"]


def test_rows_that_cannot_be_reports_are_set_aside_and_the_rest_goes_through(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "tien-do.csv",
        [
            HEADER_VI,
            [1, "NV23-18", "", "sáu mươi", "Đang thực hiện", "30/06/2023", "", ""],
            [2, "", "Nhiệm vụ không mã", "50", "Đang thực hiện", "30/06/2023", "", ""],
            [3, "NV23-19", "", "40", "Đang thực hiện", "", "", ""],
            [4, "NV23-20", "", "40", "Tạm dừng", "30/06/2023", "", ""],
            [5, "NV23-21", "", "", "Đang thực hiện", "30/06/2023", "", ""],
            [6, "NV23-22", "", "40", "Đang thực hiện", "31/02/2023", "", ""],
            [7, "NV23-23", "", "90", "Đang thực hiện", "30/06/2023", "", ""],
        ],
    )
    found = read(tmp_path, path)
    assert summary(found) == [("NV23-23", "2023-06-30", 90.0, "in_progress", "", "")]
    assert [r.where for r in found.rejected] == [
        "tien-do.csv, row 2, column 'Tiến độ (%)'",
        "tien-do.csv, row 3, column 'Mã nhiệm vụ'",
        "tien-do.csv, row 4, column 'Ngày báo cáo'",
        "tien-do.csv, row 5, column 'Trạng thái'",
        "tien-do.csv, row 6, column 'Tiến độ (%)'",
        "tien-do.csv, row 7, column 'Ngày báo cáo'",
    ]
    assert [r.detail for r in found.rejected][:3] == [
        "progress 'sáu mươi' is not a number",
        "no task code",
        "no report date",
    ]
    assert "Tạm dừng" in found.rejected[3].detail
    assert str(found.rejected[0]) == (
        "source 'tien-do': tien-do.csv, row 2, column 'Tiến độ (%)': progress 'sáu mươi' is not a number"
    )


def test_what_the_worker_judges_passes_through(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "tien-do-2023-06-30.csv",
        [
            ["Mã nhiệm vụ", "Tiến độ (%)", "Trạng thái", "Ngày báo cáo", "Minh chứng"],
            ["NV99-01", "50", "Đang thực hiện", "", ""],
            ["NV23-24", "120", "Đang thực hiện", "", ""],
            ["NV23-25", "100", "Hoàn thành", "", ""],
            ["NV23-26", "-5", "Đang thực hiện", "", ""],
            ["NV23-27", "10", "Đang thực hiện", "01/01/2022", ""],
        ],
    )
    found = read(tmp_path, path)
    assert found.rejected == []
    assert summary(found) == [
        ("NV99-01", "2023-06-30", 50.0, "in_progress", "", ""),
        ("NV23-24", "2023-06-30", 120.0, "in_progress", "", ""),
        ("NV23-25", "2023-06-30", 100.0, "done", "", ""),
        ("NV23-26", "2023-06-30", -5.0, "in_progress", "", ""),
        ("NV23-27", "2022-01-01", 10.0, "in_progress", "", ""),
    ]


@pytest.mark.parametrize(
    ("rows", "name", "message"),
    [
        ([["STT", "Tên nhiệm vụ", "Tiến độ"], [1, "A", "5"]], "t-2023-06-30.csv", "no task-code column"),
        ([["Mã nhiệm vụ", "Tên nhiệm vụ"], ["NV23-01", "A"]], "t-2023-06-30.csv", "no progress column"),
        ([["Mã nhiệm vụ", "Tiến độ"], ["NV23-01", "5"]], "tien-do.csv", "no report-date column"),
        ([["Mã nhiệm vụ", "Tiến độ"], ["", ""]], "t-2023-06-30.csv", "no task rows under the header"),
    ],
)
def test_a_file_that_is_no_progress_report_is_refused_whole(
    tmp_path: Path, rows: list[list[Any]], name: str, message: str
) -> None:
    with pytest.raises(SourceResponseInvalid, match=message):
        read(tmp_path, write_csv(tmp_path / name, rows))


def test_the_h1_2023_reference_report(tmp_path: Path) -> None:
    found = read(tmp_path, REFERENCE)
    assert found.rejected == []
    assert len(found.reports) == 52
    assert [r.task for r in found.reports] == [f"NV23-{n:02d}" for n in range(1, 53)]
    done = {r.task: r.evidence for r in found.reports if r.state == "done"}
    assert sorted(done) == ["NV23-01", "NV23-02", "NV23-03", "NV23-04", "NV23-05"]
    assert done["NV23-02"] == "Kế hoạch 111/KH-UBND ngày 26/4/2023"
    assert done["NV23-04"] == "Quyết định 311/QĐ-UBND ngày 8/2/2023"
    assert all(r.progress == 100 for r in found.reports if r.state == "done")
    others = [r for r in found.reports if r.state != "done"]
    assert {r.state for r in others} == {"in_progress"}
    assert [r.progress for r in others[:3]] == [60.5, 45.0, 70.0]
    assert {r.date for r in found.reports} == {JUNE_30}
    # Every row is a report the worker accepts (checked as on 30 June 2023).
    for report in found.reports:
        check_task_report(report, CATALOG, JUNE_30)


def test_task_sources_are_file_drops_or_webhooks_without_metrics(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot produce task reports"):
        parse_source(write_source(tmp_path, "a", type="http_json", produces="task_reports"))
    with pytest.raises(ConfigError, match="maps no metrics"):
        parse_source(
            write_source(tmp_path, "b", type="file_drop", produces="task_reports", metrics={"x": "dossier.processed"})
        )
    with pytest.raises(ConfigError, match="Input should be"):
        parse_source(
            write_source(tmp_path, "c", type="file_drop", produces="task_reports", tasks={"states": {"x": "ok"}})
        )
