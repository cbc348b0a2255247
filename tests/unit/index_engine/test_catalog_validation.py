"""Invalid catalog files give errors that name the file, the row and the field."""

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest

from index_engine.catalog import DEFAULT_VERSION, load_catalog
from index_engine.errors import CatalogError

Copy = Callable[[str, Callable[[str], str]], Path]


def set_field(match: dict[str, str], field: str, value: str) -> Callable[[str], str]:
    """An edit that sets ``field`` to ``value`` in the first row matching ``match``."""

    def edit(text: str) -> str:
        rows = list(csv.DictReader(io.StringIO(text)))
        row = next(r for r in rows if all(r[k] == v for k, v in match.items()))
        row[field] = value
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue()

    return edit


def append(line: str) -> Callable[[str], str]:
    return lambda text: text + line + "\n"


def drop(predicate: Callable[[str], bool]) -> Callable[[str], str]:
    return lambda text: "".join(line for line in text.splitlines(keepends=True) if not predicate(line))


CQS04 = {"code": "CQS-04"}
HALONG = {"code": "HALONG"}
CQS01_QN = {"indicator": "CQS-01", "unit": "QN"}
CQS_WEIGHT = {"level": "pillar", "code": "CQS"}

CASES = [
    # units.csv: HALONG is row 3
    (
        "units.csv",
        set_field(HALONG, "parent", "XX"),
        "units.csv, row 3, field 'parent': unknown parent unit 'XX'",
    ),
    (
        "units.csv",
        set_field({"code": "QN"}, "parent", "HALONG"),
        "row 2, field 'parent': unit 'QN' is its own ancestor",
    ),
    (
        "units.csv",
        set_field(HALONG, "valid_from", "2023-13-01"),
        "row 3, field 'valid_from': '2023-13-01' is not a date",
    ),
    ("units.csv", set_field(HALONG, "valid_from", ""), "row 3, field 'valid_from': is required"),
    (
        "units.csv",
        set_field(HALONG, "valid_to", "2022-01-01"),
        "row 3, field 'valid_to': 2022-01-01 is before",
    ),
    (
        "units.csv",
        set_field(HALONG, "peer_group", "city"),
        "row 3, field 'peer_group': unknown peer group 'city'",
    ),
    ("units.csv", set_field(HALONG, "name_vi", " "), "row 3, field 'name_vi': is required"),
    (
        "units.csv",
        append("HALONG,x,x,city,QN,locality,2023-01-01,"),
        "units.csv, row 91, field 'code': duplicate",
    ),
    (
        "peer_groups.csv",
        set_field({"code": "locality"}, "ranked", "yes"),
        "peer_groups.csv, row 3, field 'ranked'",
    ),
    (
        "metrics.csv",
        set_field({"code": "dossier.processed"}, "kind", "stock"),
        "metrics.csv, row 2, field 'kind': 'stock'",
    ),
    # indicators.csv: CQS-04 is row 5
    (
        "indicators.csv",
        set_field(CQS04, "numerator", "nope"),
        "row 5, field 'numerator': unknown metric 'nope'",
    ),
    (
        "indicators.csv",
        set_field(CQS04, "denominator", "nope"),
        "row 5, field 'denominator': unknown metric 'nope'",
    ),
    ("indicators.csv", set_field(CQS04, "pillar", "XYZ"), "row 5, field 'pillar': unknown pillar 'XYZ'"),
    (
        "indicators.csv",
        set_field(CQS04, "lead_unit", "NOBODY"),
        "row 5, field 'lead_unit': unknown unit 'NOBODY'",
    ),
    (
        "indicators.csv",
        set_field(CQS04, "co_lead_units", "QN; X"),
        "row 5, field 'co_lead_units': unknown unit 'X'",
    ),
    ("indicators.csv", set_field(CQS04, "scale", "abc"), "row 5, field 'scale': 'abc' is not a number"),
    ("indicators.csv", set_field(CQS04, "scale", "0"), "row 5, field 'scale': 0 must be greater than 0"),
    (
        "indicators.csv",
        set_field(CQS04, "cadence_hours", "inf"),
        "field 'cadence_hours': 'inf' is not a finite",
    ),
    (
        "indicators.csv",
        set_field(CQS04, "direction", "sideways"),
        "row 5, field 'direction': 'sideways' is not one",
    ),
    (
        "indicators.csv",
        set_field(CQS04, "assumed", "yes"),
        "row 5, field 'assumed': 'yes' is not one of true, false",
    ),
    (
        "indicators.csv",
        set_field(CQS04, "aggregation", "latest"),
        "row 5, field 'numerator': metric 'dossier.processed_online' is a cumulative, which a latest",
    ),
    (
        "indicators.csv",
        set_field({"code": "CQS-01"}, "aggregation", "ytd"),
        "row 2, field 'numerator': metric 'procedure.online_full' is a gauge, which a ytd indicator",
    ),
    # targets.csv: CQS-01 for QN is row 2
    (
        "plans/2023/targets.csv",
        set_field(CQS01_QN, "indicator", "ZZZ-01"),
        "plans/2023/targets.csv, row 2, field 'indicator': unknown",
    ),
    (
        "plans/2023/targets.csv",
        set_field(CQS01_QN, "unit", "MARS"),
        "plans/2023/targets.csv, row 2, field 'unit': unknown unit 'MARS'",
    ),
    (
        "plans/2023/targets.csv",
        set_field(CQS01_QN, "period", "2023.5"),
        "row 2, field 'period': '2023.5' is not a whole number",
    ),
    (
        "plans/2023/targets.csv",
        set_field(CQS01_QN, "tolerance", "-1"),
        "row 2, field 'tolerance': -1 must be at least 0",
    ),
    ("plans/2023/targets.csv", set_field(CQS01_QN, "target", "0"), "row 2, field 'target': must not be 0"),
    ("plans/2023/targets.csv", set_field(CQS01_QN, "baseline", ""), "row 2, field 'baseline': is required"),
    (
        "plans/2023/targets.csv",
        append("CQS-01,QN,2023,1,2,3,true,true,"),
        "plans/2023/targets.csv, row 51, field 'indicator': duplicate",
    ),
    # weights.csv: the CQS pillar is row 2
    (
        "plans/2023/weights.csv",
        set_field(CQS_WEIGHT, "weight", "0.30"),
        "plans/2023/weights.csv, field 'weight': pillar weights sum to 0.95",
    ),
    (
        "plans/2023/weights.csv",
        set_field(CQS_WEIGHT, "weight", "0"),
        "plans/2023/weights.csv, row 2, field 'weight': 0 must be greater",
    ),
    (
        "plans/2023/weights.csv",
        set_field(CQS_WEIGHT, "level", "unit"),
        "plans/2023/weights.csv, row 2, field 'level': 'unit' is not one",
    ),
    (
        "plans/2023/weights.csv",
        set_field(CQS_WEIGHT, "code", "ABC"),
        "plans/2023/weights.csv, row 2, field 'code': unknown pillar 'ABC'",
    ),
    (
        "plans/2023/weights.csv",
        drop(lambda line: line.startswith("pillar,NT")),
        "plans/2023/weights.csv, field 'code': pillar 'NT' has no",
    ),
    (
        "plans/2023/weights.csv",
        append("indicator,CQS-01,2,true"),
        "plans/2023/weights.csv, row 41, field 'code': duplicate",
    ),
    (
        "plans/2023/completions.csv",
        append("CQS-04,QN,2023,2023-02-30,QĐ 1,"),
        "plans/2023/completions.csv, row 2, field 'confirmed_on'",
    ),
    (
        "plans/2023/completions.csv",
        append("CQS-04,QN,2023,2023-07-01,,"),
        "plans/2023/completions.csv, row 2, field 'reference': is required",
    ),
]


@pytest.mark.parametrize(("file", "edit", "message"), CASES)
def test_invalid_row_names_file_row_and_field(
    catalog_copy: Copy, file: str, edit: Callable[[str], str], message: str
) -> None:
    root = catalog_copy(file, edit)
    with pytest.raises(CatalogError) as caught:
        load_catalog(DEFAULT_VERSION, root=root)
    assert message in str(caught.value)
    assert caught.value.file == file


@pytest.mark.parametrize("file", ["units.csv", "pillars.csv", "plans/2023/targets.csv", "plans/2023/completions.csv"])
def test_missing_file(catalog_copy: Copy, file: str) -> None:
    root = catalog_copy(file, lambda text: text)
    (root / DEFAULT_VERSION / file).unlink()
    with pytest.raises(CatalogError, match=f"^{file}: file is missing$"):
        load_catalog(DEFAULT_VERSION, root=root)


def test_confirmed_completion_is_loaded(catalog_copy: Copy) -> None:
    root = catalog_copy("plans/2023/completions.csv", append("CQS-04,QN,2023,2023-07-01,CV 123/STTTT,first half"))
    completion = load_catalog(DEFAULT_VERSION, root=root).completion("CQS-04", "QN", 2023)
    assert completion is not None
    assert (completion.reference, completion.note) == ("CV 123/STTTT", "first half")


def test_indicator_weights_may_differ(catalog_copy: Copy) -> None:
    root = catalog_copy("plans/2023/weights.csv", set_field({"level": "indicator", "code": "CQS-04"}, "weight", "2.5"))
    catalog = load_catalog(DEFAULT_VERSION, root=root)
    assert catalog.indicator_weight("CQS-04", 2023) == 2.5
    assert catalog.indicator_weight("CQS-04", 2026) == 1.0  # the 2026 plan has its own weights
    assert catalog.indicator_weight("CQS-04") == 1.0  # the newest plan's


def test_error_without_row() -> None:
    error = CatalogError("units.csv", "file is missing")
    assert (error.row, error.field, str(error)) == (None, None, "units.csv: file is missing")
