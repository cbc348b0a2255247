import asyncio
import datetime as dt
import os
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from connectors.adapters.file_drop import FileDropConnector, FileDropOptions
from connectors.errors import SourceResponseInvalid
from connectors.reports import ReportReader, date_in_name
from connectors.runner import SourceLoop, SourceState
from index_engine.periods import LOCAL_TZ
from tests.agency_files import DATA, ETAX, HEADER, etax_report, xlsx
from tests.connectors_support import CATALOG, ListSink, emitter, sample, source

NOW = dt.datetime(2023, 7, 10, 3, tzinfo=dt.UTC)
JUNE_30 = dt.datetime(2023, 6, 30, 23, 59, 59, tzinfo=LOCAL_TZ)


def reader(tmp_path: Path, **options: object) -> ReportReader:
    config = source(tmp_path / "sources", "etax", type="file_drop", fields={"unit": "Địa bàn"}, metrics=ETAX)
    return ReportReader(config, CATALOG, FileDropOptions.model_validate(options))


def drop(tmp_path: Path) -> tuple[Path, SourceLoop, CollectorRegistry]:
    folder = tmp_path / "drop"
    folder.mkdir()
    config = source(
        tmp_path / "sources",
        "etax",
        type="file_drop",
        fields={"unit": "Địa bàn"},
        metrics=ETAX,
        options={"folder": str(folder), "settle_seconds": 0},
    )
    emit, registry = emitter(ListSink(), tmp_path / "state")
    return folder, SourceLoop(FileDropConnector(config, CATALOG), emit, {}, SourceState("etax")), registry


@pytest.mark.parametrize(
    ("name", "day"),
    [
        ("bao-cao-thue-2023-06-30.xlsx", dt.date(2023, 6, 30)),
        ("ttkdtm-30.06.2023.csv", dt.date(2023, 6, 30)),
        ("BC_20230630.xlsx", dt.date(2023, 6, 30)),
        ("Báo cáo tháng 6 năm 2023.xlsx", dt.date(2023, 6, 30)),
        ("BC_T6-2023.xlsx", dt.date(2023, 6, 30)),
        ("so-lieu-02.2024.csv", dt.date(2024, 2, 29)),
        ("2023-12.csv", dt.date(2023, 12, 31)),
    ],
)
def test_report_dates_in_file_names(name: str, day: dt.date) -> None:
    later = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    assert date_in_name(name, LOCAL_TZ, later) == dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=LOCAL_TZ)


@pytest.mark.parametrize("name", ["bao-cao-thue.xlsx", "bao cao quy 2 2023.xlsx", "31-02-2023.csv", "QD 311 2023.xlsx"])
def test_names_without_a_report_date(name: str) -> None:
    assert date_in_name(name, LOCAL_TZ, NOW) is None


def test_a_file_name_without_a_date_warns_and_a_date_can_be_given(tmp_path: Path) -> None:
    path = etax_report(tmp_path / "bao-cao-thue-dien-tu.xlsx")
    report = reader(tmp_path).prepare(path, NOW)
    assert report.warnings == [
        "bao-cao-thue-dien-tu.xlsx: no report date in the file name; its rows are dated 2023-07-10 10:00, the time"
        " they were read (put the date in the name, e.g. bao-cao-2023-06-30.xlsx, or give it with qndti import"
        " --date)"
    ]
    given = reader(tmp_path).prepare(path, NOW, dt.date(2023, 6, 30))
    assert given.warnings == []
    mapped = reader(tmp_path).map(given, given.rows, NOW)
    assert {o.ts for o in mapped.observations} == {JUNE_30}


def test_every_row_of_an_agency_report_maps_and_the_signature_block_is_skipped(tmp_path: Path) -> None:
    path = etax_report(tmp_path / "bao-cao-thue-2023-06-30.xlsx")
    report, mapped = reader(tmp_path).read(path, NOW)
    assert mapped.rejected == []
    assert report.footer_row == 10
    assert {(o.unit, o.metric): o.value for o in mapped.observations} == {
        ("HALONG", "enterprise.active"): 3412.0,
        ("HALONG", "enterprise.tax_epaying"): 3391.0,
        ("HALONG", "household_business.declaring"): 6870.0,
        ("HALONG", "household_business.tax_epaying"): 2402.0,
        ("CAMPHA", "enterprise.active"): 2105.0,
        ("CAMPHA", "enterprise.tax_epaying"): 2090.0,
        ("CAMPHA", "household_business.declaring"): 3120.0,
        ("CAMPHA", "household_business.tax_epaying"): 1001.0,
        ("QUANGYEN", "enterprise.active"): 1020.0,
        ("QUANGYEN", "enterprise.tax_epaying"): 1011.0,
        ("QUANGYEN", "household_business.declaring"): 2004.0,
        ("QUANGYEN", "household_business.tax_epaying"): 650.0,
    }


def test_the_revision_is_the_modification_time_and_a_correction_has_its_own_ids(tmp_path: Path) -> None:
    original = etax_report(tmp_path / "thue-2023-06-30.xlsx")
    os.utime(original, (1_688_300_000.5, 1_688_300_000.5))
    corrected = etax_report(
        tmp_path / "thue-2023-06-30-sua.xlsx", data=[[1, "Hạ Long", "3.412", "3.401", "6.870", "2.402"]]
    )
    os.utime(corrected, (1_688_400_000, 1_688_400_000))
    _, first = reader(tmp_path).read(original, NOW)
    _, second = reader(tmp_path).read(corrected, NOW)
    before = {o.metric: o for o in first.observations if o.unit == "HALONG"}
    after = {o.metric: o for o in second.observations}
    assert before["enterprise.tax_epaying"].revision == 1_688_300_000_500
    assert before["enterprise.tax_epaying"].id == (
        "etax:HALONG:enterprise.tax_epaying:2023-06-30T16:59:59Z@1688300000500"
    )
    assert after["enterprise.tax_epaying"].revision == 1_688_400_000_000
    assert after["enterprise.tax_epaying"].value == 3401.0
    assert after["enterprise.tax_epaying"].ts == before["enterprise.tax_epaying"].ts
    # Reading the same file again gives the same ids: a repeat, not a revision.
    assert [o.id for o in reader(tmp_path).read(original, NOW)[1].observations] == [o.id for o in first.observations]


def test_a_unit_given_twice_in_one_report_is_rejected_naming_both_rows(tmp_path: Path) -> None:
    path = etax_report(tmp_path / "thue-2023-06-30.xlsx", data=[*DATA, [4, "Hạ Long", 1, 1, 1, 1]])
    _, mapped = reader(tmp_path).read(path, NOW)
    [rejected] = mapped.rejected
    assert str(rejected) == (
        "source 'etax': thue-2023-06-30.xlsx, row 8: unit HALONG already has enterprise.active for this date in row 5"
    )


def test_a_header_problem_is_one_reason_for_the_file_and_one_failure(tmp_path: Path) -> None:
    folder, loop, registry = drop(tmp_path)
    header = [*HEADER[:2], "Số DN đang hoạt động", *HEADER[3:]]
    etax_report(folder / "thue-2023-06-30.xlsx", header=header, data=DATA * 5)
    asyncio.run(loop.poll_once())
    reason = (folder / "failed" / "thue-2023-06-30.xlsx.reason.txt").read_text(encoding="utf-8")
    assert reason == (
        "thue-2023-06-30.xlsx: column 'DN đang hoạt động' not found; the header (row 4) has 'STT', 'Địa bàn', "
        "'Số DN đang hoạt động', 'DN nộp thuế điện tử', 'Hộ KD kê khai', 'Hộ KD nộp thuế điện tử'\n"
    )
    assert sample(registry, "qndti_connector_failures_total", source="etax", error_class="invalid_response") == 1
    assert sample(registry, "qndti_connector_polls_total", source="etax", outcome="empty") == 1
    assert loop.state.last_error is not None
    assert "column 'DN đang hoạt động' not found" in loop.state.last_error


def test_a_poll_with_many_bad_rows_in_two_files_is_one_failure(tmp_path: Path) -> None:
    folder, loop, registry = drop(tmp_path)
    bad = [[i, "Huyện Hoành Bồ", 1, 1, 1, 1] for i in range(10)]
    etax_report(folder / "a-2023-06-30.xlsx", data=bad)
    etax_report(folder / "b-2023-06-30.xlsx", data=[[1, "Cô Tô", "-3", 1, 1, 1], DATA[1]])
    etax_report(folder / "c-2023-06-30.xlsx")
    asyncio.run(loop.poll_once())
    assert sample(registry, "qndti_connector_polls_total", source="etax", outcome="ok") == 1
    assert sample(registry, "qndti_connector_failures_total", source="etax", error_class="bad_record") == 1
    assert sample(registry, "qndti_connector_observations_total", source="etax") == 12  # file c alone
    assert sorted(p.name for p in (folder / "failed").iterdir()) == [
        "a-2023-06-30.xlsx",
        "a-2023-06-30.xlsx.reason.txt",
        "b-2023-06-30.xlsx",
        "b-2023-06-30.xlsx.reason.txt",
    ]
    assert (folder / "failed" / "b-2023-06-30.xlsx.reason.txt").read_text(encoding="utf-8") == (
        "b-2023-06-30.xlsx, row 5, column 'DN đang hoạt động': count '-3' is negative\n"
    )
    assert loop.state.last_error is not None
    assert loop.state.last_error.endswith("(and 10 more)")


def test_rows_with_their_own_time_column_ignore_a_given_date_and_say_so(tmp_path: Path) -> None:
    config = source(
        tmp_path / "sources",
        "etax",
        type="file_drop",
        fields={"unit": "Địa bàn", "ts": "Ngày số liệu"},
        metrics={"DN đang hoạt động": "enterprise.active"},
    )
    path = xlsx(tmp_path / "thue.xlsx", [["Địa bàn", "Ngày số liệu", "DN đang hoạt động"], ["Cô Tô", "30/06/2023", 41]])
    read = ReportReader(config, CATALOG, FileDropOptions())
    report = read.prepare(path, NOW, dt.date(2023, 3, 31))
    assert report.warnings == ["thue.xlsx: the date given is not used: each row's time is in column 'Ngày số liệu'"]
    [obs] = read.map(report, report.rows, NOW).observations
    assert obs.ts == dt.datetime(2023, 6, 30, tzinfo=LOCAL_TZ)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "bao-cao-2023-06-30.xlsx: the file is empty (0 bytes)"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100),
            "bao-cao-2023-06-30.xlsx: not an XLSX workbook: it is an Excel 97-2003 workbook (.xls) named .xlsx: open "
            "it in Excel and save it as .xlsx",
        ),
    ],
)
def test_an_empty_or_fake_workbook_is_named_in_the_message(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bao-cao-2023-06-30.xlsx"
    path.write_bytes(content)
    with pytest.raises(SourceResponseInvalid) as caught:
        reader(tmp_path).prepare(path, NOW)
    assert caught.value.detail == message
