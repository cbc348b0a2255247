import datetime as dt
import re
from pathlib import Path

import pytest

from connectors.mapping import Mapper, get_path, parse_time
from index_engine.periods import LOCAL_TZ
from tests.connectors_support import CATALOG, source

NOW = dt.datetime(2023, 7, 1, tzinfo=dt.UTC)


def test_wide_record_becomes_one_observation_per_metric(tmp_path: Path) -> None:
    mapper = Mapper(source(tmp_path), CATALOG)
    result = mapper.map([{"unit": "TP. Hạ Long", "ts": "30/06/2023 17:00", "processed": "1.234", "online": 1100}], NOW)
    assert result.rejected == []
    assert [(o.unit, o.metric, o.value, o.kind) for o in result.observations] == [
        ("HALONG", "dossier.processed", 1234.0, "cumulative"),
        ("HALONG", "dossier.processed_online", 1100.0, "cumulative"),
    ]
    ts = dt.datetime(2023, 6, 30, 17, tzinfo=LOCAL_TZ)
    assert result.observations[0].ts == ts
    assert result.observations[0].id == "src:HALONG:dossier.processed:2023-06-30T10:00:00Z"
    assert result.newest == ts


def test_long_records_with_metric_names(tmp_path: Path) -> None:
    config = source(
        tmp_path,
        fields={"unit": "donVi", "ts": "ngay", "metric": "chiTieu", "value": "soLieu", "id": "ma"},
        metrics={"Hồ sơ đã xử lý": "dossier.processed"},
    )
    result = Mapper(config, CATALOG).map(
        [{"donVi": "Cẩm Phả", "ngay": "2023-06-30", "chiTieu": "Hồ sơ đã xử lý", "soLieu": "93,0", "ma": "r-1"}], NOW
    )
    assert [(o.id, o.unit, o.value) for o in result.observations] == [("src:r-1:dossier.processed", "CAMPHA", 93.0)]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"unit": "Hoành Bồ", "ts": "2023-06-30", "processed": 1}, "unit 'Hoành Bồ' is not in the catalog"),
        ({"unit": "Ha Long", "ts": "2023-06-30", "processed": -5}, "count -5 is negative"),
        ({"unit": "Ha Long", "ts": "2023-06-30", "processed": "n/a"}, "'n/a' is not a number"),
        ({"unit": "Ha Long", "ts": "2023-06-30", "tiepNhan": 5}, "'processed'.*missing.*changed its format"),
        ({"donVi": "Ha Long", "ts": "2023-06-30", "processed": 5}, "field 'unit'.*missing"),
        ({"unit": "Ha Long", "ts": "yesterday", "processed": 5}, "'yesterday' is not a time"),
        ({"unit": "Ha Long", "ts": "2030-01-01T00:00:00Z", "processed": 5}, "future_timestamp"),
    ],
)
def test_bad_records_are_rejected_with_record_and_field(
    tmp_path: Path, record: dict[str, object], message: str
) -> None:
    config = source(tmp_path, metrics={"processed": "dossier.processed"})
    result = Mapper(config, CATALOG).map([{"unit": "Uông Bí", "ts": "2023-06-30", "processed": 1}, record], NOW)
    assert len(result.observations) == 1
    [rejected] = result.rejected
    assert rejected.where.startswith("record 2, ")
    assert re.search(message, str(rejected)), str(rejected)


def test_paths_and_times() -> None:
    assert get_path({"a": {"b": [{"c": 3}]}}, "a.b.0.c") == 3
    assert get_path({"a.b": 1}, "a.b") == 1
    assert parse_time(1688137200, LOCAL_TZ) == dt.datetime(2023, 6, 30, 15, tzinfo=dt.UTC)
    assert parse_time("2023-06-30T10:00:00Z", LOCAL_TZ) == dt.datetime(2023, 6, 30, 10, tzinfo=dt.UTC)
    assert parse_time(dt.date(2023, 6, 30), LOCAL_TZ) == dt.datetime(2023, 6, 30, tzinfo=LOCAL_TZ)
