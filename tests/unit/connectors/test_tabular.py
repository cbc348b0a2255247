import zipfile
from pathlib import Path

import pytest

from connectors.tabular import TableError, TableLayout, read_grid, read_table
from connectors.textfiles import decode, separator
from tests.agency_files import DATA, FOOTER, HEADER, TOTAL, cp1258, csv_text, etax_report, xlsx

ETAX = TableLayout(unit_header="Địa bàn", columns=("Địa bàn", *HEADER[2:]), value_columns=tuple(HEADER[2:]))


def test_xlsx_with_title_rows_merged_header_and_total(tmp_path: Path) -> None:
    path = xlsx(
        tmp_path / "r.xlsx",
        [
            ["BÁO CÁO THANH TOÁN KHÔNG DÙNG TIỀN MẶT"],
            ["Địa bàn", "Dịch vụ thiết yếu", None, "Thôn, bản", None],
            [None, "Tổng số", "Chấp nhận TTKDTM", "Tổng số", "Có điểm TTKDTM"],
            ["Hạ Long", 12, 12, "221", "220"],
            ["Tổng cộng", 12, 12, 221, 220],
        ],
        merges=["A1:E1", "A2:A3", "B2:C2", "D2:E2"],
    )
    layout = TableLayout(unit_header="Địa bàn", header_rows=2, sheet="bao cao")
    table = read_table(read_grid(path, "bao cao"), layout)
    assert table.rows == [
        (
            4,
            {
                "dia ban": "Hạ Long",
                "dich vu thiet yeu tong so": 12,
                "dich vu thiet yeu chap nhan ttkdtm": 12,
                "thon ban tong so": "221",
                "thon ban co diem ttkdtm": "220",
            },
        )
    ]
    assert table.labels[1] == "Dịch vụ thiết yếu Tổng số"
    with pytest.raises(TableError, match="no sheet 'Tháng 7'"):
        read_grid(path, "Tháng 7")


def test_the_notes_and_signature_block_at_the_bottom_is_left_out(tmp_path: Path) -> None:
    table = read_table(read_grid(etax_report(tmp_path / "thue.xlsx")), ETAX)
    assert [n for n, _ in table.rows] == [5, 6, 7]  # title rows 1-3, header row 4; the total row 8 is skipped
    assert table.footer_row == 10  # row 9 is blank, row 10 starts "Ghi chú: …"


def test_trailing_text_after_blank_rows_is_the_notes_block_even_without_a_known_word(tmp_path: Path) -> None:
    footer = [[], [], [None, "Đề nghị các đơn vị rà soát, gửi lại trước ngày 10 hằng tháng."], [None, "Trân trọng."]]
    table = read_table(read_grid(etax_report(tmp_path / "thue.xlsx", footer=footer)), ETAX)
    assert [n for n, _ in table.rows] == [5, 6, 7]
    assert table.footer_row == 11


def test_a_unit_row_after_a_blank_row_is_still_data(tmp_path: Path) -> None:
    data = [DATA[0], [], DATA[1], [None, "Vân Đồn", None, None, None, None], DATA[2]]
    table = read_table(read_grid(etax_report(tmp_path / "thue.xlsx", data=data)), ETAX)
    assert [n for n, _ in table.rows] == [5, 7, 8, 9]


def test_notes_above_data_are_refused_rather_than_data_dropped(tmp_path: Path) -> None:
    data = [DATA[0], ["Ghi chú: Cẩm Phả báo cáo muộn"], DATA[1]]
    with pytest.raises(TableError, match=r"row 6 starts like the notes.*'Ghi chú: Cẩm Phả báo cáo muộn'.*row 7"):
        read_table(read_grid(etax_report(tmp_path / "thue.xlsx", data=data)), ETAX)


def test_a_missing_column_is_named_once_with_the_header_found(tmp_path: Path) -> None:
    header = [*HEADER[:4], "Hộ kinh doanh kê khai", HEADER[5]]
    with pytest.raises(TableError) as caught:
        read_table(read_grid(etax_report(tmp_path / "thue.xlsx", header=header)), ETAX)
    assert str(caught.value) == (
        "column 'Hộ KD kê khai' not found; the header (row 4) has 'STT', 'Địa bàn', 'DN đang hoạt động', "
        "'DN nộp thuế điện tử', 'Hộ kinh doanh kê khai', 'Hộ KD nộp thuế điện tử'"
    )


def test_a_missing_unit_column_shows_the_row_that_looks_like_the_header(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("Báo cáo tháng 6\nSTT;Đơn vị;DN đang hoạt động\n1;Hạ Long;3.412\n", encoding="utf-8")
    with pytest.raises(TableError) as caught:
        read_table(read_grid(path), ETAX)
    assert str(caught.value) == (
        "column 'Địa bàn' not found; the header seems to be row 2, which has 'STT', 'Đơn vị', 'DN đang hoạt động'"
        " (read as UTF-8 text) (has the report format changed?)"
    )


def test_windows_1258_csv_with_title_rows_holding_commas(tmp_path: Path) -> None:
    # Excel with Vietnamese settings writes ';' between cells and ',' in decimals and titles: a sniffer takes ','.
    rows = [["BÁO CÁO, THÁNG 6 NĂM 2023"], HEADER, DATA[0], ["2", "Cô Tô", "93,4", "90", "", ""], TOTAL]
    path = tmp_path / "r.csv"
    path.write_bytes(cp1258(csv_text(rows)))
    grid = read_grid(path)
    assert grid.encoding == "Windows-1258"
    table = read_table(grid, ETAX)
    assert [(n, r["dia ban"], r["dn dang hoat dong"]) for n, r in table.rows] == [
        (3, "TP. Hạ Long", "3.412"),
        (4, "Cô Tô", "93,4"),
    ]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_text_with_tabs_as_excel_saves_unicode_text(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(csv_text([HEADER, DATA[0]], "\t").encode(encoding))
    grid = read_grid(path)
    assert grid.encoding == "UTF-16"
    assert read_table(grid, ETAX).rows[0][1]["ho kd nop thue dien tu"] == "2.402"


def test_the_encoding_is_said_when_the_header_is_not_found(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(cp1258(csv_text([["Đơn vị", "Số DN"], ["Hạ Long", "1"]])))
    with pytest.raises(TableError, match=r"'Đơn vị', 'Số DN' \(read as Windows-1258 text\)"):
        read_table(read_grid(path), ETAX)


def test_text_in_no_known_encoding_says_so(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(b"Don vi;So\r\nHa Long;\x81\x8d\r\n")
    with pytest.raises(TableError, match=r"neither UTF-8 nor UTF-16 nor Windows-1258 text \(byte 0x81 at position 19"):
        read_grid(path)


def test_separator_prefers_the_one_that_shows_the_expected_header() -> None:
    assert separator("a,b,c;d\n1,2,3;4\n") == ","  # most cells per row
    assert separator("a,b;c\n1,2;3\n") == ";"  # a tie: ';' as Excel with Vietnamese settings writes
    assert separator("a,b;Địa bàn\n1,2;3\n", "Địa bàn") == ";"
    assert decode("Hạ Long".encode())[1] == "UTF-8"


def _docx(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return path


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bao-cao.xlsx", b"", r"^the file is empty \(0 bytes\)$"),
        ("bao-cao.csv", b"", r"^the file is empty \(0 bytes\)$"),
        ("bao-cao.csv", b"\r\n;;\r\n\r\n", r"^the file has no rows, only blank lines \(read as UTF-8 text\)$"),
        ("bao-cao.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), r"Excel 97-2003 workbook \(\.xls\) named"),
        (
            "bao-cao.xlsx",
            "<html><table><tr><td>Hạ Long</td></tr></table>".encode(),
            r"web page \(HTML\) or an XML file named .xlsx",
        ),
        ("bao-cao.xlsx", cp1258("Địa bàn;DN\r\nHạ Long;1\r\n"), r"text file named .xlsx \(CSV\?\): rename it to .csv"),
        ("bao-cao.xlsx", b"PK\x03\x04 not really a workbook", r"ZIP archive is damaged"),
        ("bao-cao.xlsx", bytes(range(256)) * 4, r"does not start like an XLSX workbook"),
        ("bao-cao.xls", b"\xd0\xcf\x11\xe0", r"Excel 97-2003 workbook \(\.xls\): open it in Excel and save it as"),
    ],
)
def test_empty_and_fake_files_get_a_message_an_office_can_act_on(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(TableError, match=message) as caught:
        read_grid(path)
    assert "BadZipFile" not in str(caught.value)


def test_a_zip_that_is_not_a_workbook_and_an_empty_sheet(tmp_path: Path) -> None:
    with pytest.raises(TableError, match="a ZIP archive without a workbook in it"):
        read_grid(_docx(tmp_path / "bao-cao.xlsx"))
    with pytest.raises(TableError, match=r"^sheet 'Báo cáo' is empty$"):
        read_grid(xlsx(tmp_path / "trong.xlsx", []))


def test_footer_words_only_count_at_the_start_of_a_row(tmp_path: Path) -> None:
    # A "Ghi chú" column in the header and a remark in a data row are data, not the notes block.
    header = [*HEADER, "Ghi chú"]
    data = [[*DATA[0], "Ghi chú: số liệu ước"], [*DATA[1], None]]
    table = read_table(read_grid(etax_report(tmp_path / "thue.xlsx", data=data, header=header, footer=FOOTER)), ETAX)
    assert [n for n, _ in table.rows] == [5, 6]
    assert table.rows[0][1]["ghi chu"] == "Ghi chú: số liệu ước"
