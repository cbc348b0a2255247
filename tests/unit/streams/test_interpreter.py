"""The worker's interpreter settings."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator

import pytest

from streams import interpreter


@pytest.fixture
def restored() -> Iterator[None]:
    thresholds, switch = gc.get_threshold(), sys.getswitchinterval()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)
    sys.setswitchinterval(switch)


@pytest.mark.usefixtures("restored")
def test_tune_collects_young_objects_less_often_and_hands_the_interpreter_over_sooner() -> None:
    gc.unfreeze()
    interpreter.tune()
    assert gc.get_threshold() == (50_000, 20, 20)
    assert gc.get_freeze_count() > 0  # what was alive at start is out of the collector's way
    assert sys.getswitchinterval() == pytest.approx(0.0005)
