import pytest
from hypothesis import given
from hypothesis import strategies as st

from index_engine.scoring import indicator_score
from index_engine.values import attainment, clip, indicator_value
from tests.unit.index_engine.conftest import make_indicator

values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
directions = st.sampled_from(["up", "down"])


def test_indicator_value() -> None:
    cqs04 = make_indicator()
    assert indicator_value(cqs04, 934, 1000) == pytest.approx(93.4)
    assert indicator_value(cqs04, None, 1000) is None
    assert indicator_value(cqs04, 5, None) is None
    assert indicator_value(cqs04, 5, 0) is None
    single = make_indicator(denominator=None, scale=1.0)
    assert indicator_value(single, 81.5, None) == 81.5


def test_attainment_and_clip() -> None:
    assert attainment(93.4, 80) == pytest.approx(1.1675)
    assert attainment(5, 0) is None
    assert attainment(4, 2, "down") == 0.5
    assert attainment(0, 2, "down") is None
    assert (clip(-1), clip(0.5), clip(2)) == (0.0, 0.5, 1.0)


@pytest.mark.parametrize(
    ("x", "b", "t", "direction", "expected"),
    [
        (75, 70, 80, "up", 0.5),
        (70, 70, 80, "up", 0.0),
        (60, 70, 80, "up", 0.0),
        (93.4, 70, 80, "up", 1.0),
        (15, 20, 10, "down", 0.5),
        # Baseline already meets the target: full score while at or above it, else x/T.
        (100, 100, 100, "up", 1.0),
        (90, 100, 100, "up", 0.9),
        (-5, 100, 100, "up", 0.0),
        (8, 5, 10, "down", 1.0),
        (20, 5, 10, "down", 0.5),
        (0, -10, -5, "down", 0.0),
    ],
)
def test_score_examples(x: float, b: float, t: float, direction: str, expected: float) -> None:
    assert indicator_score(x, b, t, direction) == pytest.approx(expected)  # type: ignore[arg-type]


@given(values, values, values, directions)
def test_score_is_within_0_and_1(x: float, b: float, t: float, direction: str) -> None:
    assert 0.0 <= indicator_score(x, b, t, direction) <= 1.0  # type: ignore[arg-type]


@given(values, values, values, values, directions)
def test_a_better_value_never_lowers_the_score(x: float, y: float, b: float, t: float, direction: str) -> None:
    worse, better = sorted((x, y)) if direction == "up" else sorted((x, y), reverse=True)
    assert indicator_score(better, b, t, direction) >= indicator_score(worse, b, t, direction)  # type: ignore[arg-type]
