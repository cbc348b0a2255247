import dataclasses
import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from index_engine.errors import InvalidObservation
from index_engine.observation import (
    MAX_BYTES,
    REASONS,
    Observation,
    decode_observation,
    encode_observation,
    validate,
)
from tests.unit.index_engine.conftest import CATALOG

NOW = dt.datetime(2023, 6, 30, 10, 0, tzinfo=dt.UTC)


def record(**overrides: Any) -> dict[str, Any]:
    base = {
        "id": "dvc-1",
        "source": "dvc",
        "metric": "dossier.processed",
        "unit": "HALONG",
        "ts": "2023-06-30T09:00:00+07:00",
        "kind": "cumulative",
        "value": 1234.0,
    }
    return {**base, **overrides}


def raw(**overrides: Any) -> bytes:
    return json.dumps(record(**overrides)).encode()


def test_round_trip() -> None:
    obs = decode_observation(raw(), CATALOG, NOW)
    assert obs.unit == "HALONG"
    assert obs.value == 1234.0
    assert obs.ts.utcoffset() == dt.timedelta(hours=7)
    assert decode_observation(encode_observation(obs), CATALOG, NOW) == obs
    assert isinstance(obs, Observation)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{" + b" " * MAX_BYTES + b"}", "too_large"),
        (b'{"id": "a\xc3\x28"}', "bad_encoding"),
        (b"\xff\xfe{\x00", "bad_encoding"),
        (b'{"id": ', "malformed_json"),
        (msgspec.json.encode({"id": "x"}), "schema"),
        (raw(value="many"), "schema"),
        (raw(id=""), "schema"),
        (raw(source=""), "schema"),
        (raw(ts="2023-06-30T09:00:00"), "naive_timestamp"),
        (raw(ts="2023-06-30T10:06:00+00:00"), "future_timestamp"),
        (raw(value=-1), "bad_value"),
        (raw(metric="dossier.lost"), "unknown_metric"),
        (raw(unit="ATLANTIS"), "unknown_unit"),
        (raw(ts="2022-12-31T09:00:00+07:00"), "unit_not_valid"),
        (raw(kind="delta"), "kind_mismatch"),
        (raw(revision=-1), "schema"),
        (raw(revision=1.5), "schema"),
        (raw(revision=True), "schema"),
        (raw(revision=2**63), "schema"),
    ],
)
def test_rejections_carry_a_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(InvalidObservation) as caught:
        decode_observation(payload, CATALOG, NOW)
    assert caught.value.reason == reason
    assert reason in REASONS
    assert str(caught.value).startswith(f"{reason}: ")


def test_clock_skew_within_tolerance_is_accepted() -> None:
    assert decode_observation(raw(ts="2023-06-30T10:05:00+00:00"), CATALOG, NOW).unit == "HALONG"


def test_non_finite_values_are_bad() -> None:
    obs = msgspec.convert(record(), Observation, strict=False)
    with pytest.raises(InvalidObservation, match=r"^bad_value: value nan"):
        validate(msgspec.structs.replace(obs, value=float("nan")), CATALOG, NOW)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"id": ""}, "schema"),
        ({"ts": dt.datetime(2023, 6, 30, 9)}, "naive_timestamp"),  # noqa: DTZ001 - naive on purpose
        ({"value": -1.0}, "bad_value"),
        ({"value": float("inf")}, "bad_value"),
        ({"unit": "ATLANTIS"}, "unknown_unit"),
        ({"revision": -1}, "schema"),
        ({"revision": 2**63}, "schema"),
        ({"revision": True}, "schema"),
    ],
)
def test_observations_built_in_python_get_the_checks_the_decoder_makes_on_the_wire(
    change: dict[str, object], reason: str
) -> None:
    obs = msgspec.structs.replace(msgspec.convert(record(), Observation, strict=False), **change)
    with pytest.raises(InvalidObservation) as caught:
        validate(obs, CATALOG, NOW)
    assert caught.value.reason == reason


def test_an_out_of_range_number_on_the_wire_is_a_bad_value() -> None:
    with pytest.raises(InvalidObservation, match=r"^bad_value: "):
        decode_observation(raw().replace(b"1234.0", b"1e999"), CATALOG, NOW)


def test_revision_is_optional_and_absent_when_zero() -> None:
    assert decode_observation(raw(), CATALOG, NOW).revision == 0
    corrected = decode_observation(raw(id="dvc-1@7", revision=7), CATALOG, NOW)
    assert corrected.revision == 7
    assert json.loads(encode_observation(corrected))["revision"] == 7
    # A figure that was never corrected is written exactly as before the field existed.
    assert "revision" not in json.loads(encode_observation(decode_observation(raw(), CATALOG, NOW)))
    assert validate(msgspec.structs.replace(corrected, revision=2**63 - 1), CATALOG, NOW).revision == 2**63 - 1


JULY_2025 = dt.datetime(2025, 7, 2, tzinfo=dt.UTC)


def test_a_dissolved_locality_is_rejected_naming_its_successors() -> None:
    with pytest.raises(InvalidObservation) as caught:
        decode_observation(raw(ts="2025-07-01T08:00:00+07:00"), CATALOG, JULY_2025)
    assert caught.value.reason == "unit_not_valid"
    assert "2025-07-01" in caught.value.detail
    for ward in ("P_TUANCHAU", "P_HONGGAI", "X_QUANGLA", "X_THONGNHAT"):
        assert ward in caught.value.detail


def test_validity_is_judged_in_local_time() -> None:
    # 30 June 2025 17:30 UTC is already 1 July in Asia/Ho_Chi_Minh: Hạ Long city no longer exists.
    with pytest.raises(InvalidObservation, match="unit_not_valid"):
        decode_observation(raw(ts="2025-06-30T17:30:00Z"), CATALOG, JULY_2025)
    # One minute earlier it is 30 June 23:59 locally: accepted, though the UTC date is the same.
    assert decode_observation(raw(ts="2025-06-30T16:59:00Z"), CATALOG, JULY_2025).unit == "HALONG"
    # A new ward one local minute before its first day names where to report instead.
    with pytest.raises(InvalidObservation) as caught:
        decode_observation(raw(unit="P_TUANCHAU", ts="2025-06-30T16:59:00Z"), CATALOG, JULY_2025)
    assert "predecessors: HALONG" in caught.value.detail
    assert (
        decode_observation(raw(unit="P_TUANCHAU", ts="2025-06-30T17:00:00Z"), CATALOG, JULY_2025).unit == "P_TUANCHAU"
    )


def test_a_unit_without_successors_or_predecessors_says_none() -> None:
    with pytest.raises(InvalidObservation, match="predecessors: none"):
        decode_observation(raw(unit="SNGV", ts="2025-02-28T09:00:00+07:00"), CATALOG, JULY_2025)
    without_successions = dataclasses.replace(CATALOG, successions=())
    with pytest.raises(InvalidObservation, match="successors: none"):
        decode_observation(raw(ts="2025-07-01T09:00:00+07:00"), without_successions, JULY_2025)


@given(
    unit=st.sampled_from(sorted(CATALOG.units)),
    # Naive wall-clock times, given an offset below: hypothesis draws the offset apart.
    moment=st.datetimes(min_value=dt.datetime(2022, 12, 25), max_value=dt.datetime(2026, 12, 31)),  # noqa: DTZ001
    offset=st.integers(min_value=-12 * 60, max_value=14 * 60),
)
def test_rejected_exactly_when_the_unit_does_not_exist_on_the_local_date(
    unit: str, moment: dt.datetime, offset: int
) -> None:
    ts = moment.replace(tzinfo=dt.timezone(dt.timedelta(minutes=offset)))
    local_day = ts.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    record = raw(unit=unit, ts=ts.isoformat())
    later = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    if CATALOG.units[unit].valid_on(local_day):
        assert decode_observation(record, CATALOG, later).unit == unit
    else:
        with pytest.raises(InvalidObservation, match=r"^unit_not_valid"):
            decode_observation(record, CATALOG, later)
