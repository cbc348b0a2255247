import datetime as dt

import pytest

from connectors import revisions
from connectors.revisions import remember, revision_at
from index_engine.observation import Observation

TS = dt.datetime(2023, 6, 30, 10, tzinfo=dt.UTC)
POLL = dt.datetime(2023, 7, 1, 0, 0, 1, 250_000, tzinfo=dt.UTC)
POLL_MS = 1_688_169_601_250  # 2023-07-01T00:00:01.25Z in milliseconds, computed by hand


def figure(value: float, unit: str = "HALONG") -> Observation:
    return Observation(
        id=f"dvc:{unit}:dossier.processed:2023-06-30T10:00:00Z",
        source="dvc",
        metric="dossier.processed",
        unit=unit,
        ts=TS,
        kind="cumulative",
        value=value,
    )


def test_revision_is_milliseconds_since_the_epoch() -> None:
    assert revision_at(POLL) == POLL_MS
    assert revision_at(1.5) == 1500


def test_an_unchanged_figure_keeps_its_id_and_a_changed_one_gets_a_higher_revision() -> None:
    first, checkpoint = remember([figure(100), figure(7, "CAMPHA")], {"etag": "x"}, POLL)
    assert [(o.id, o.revision) for o in first] == [
        (f"dvc:HALONG:dossier.processed:2023-06-30T10:00:00Z@{POLL_MS}", POLL_MS),
        (f"dvc:CAMPHA:dossier.processed:2023-06-30T10:00:00Z@{POLL_MS}", POLL_MS),
    ]
    assert checkpoint["etag"] == "x"
    later = POLL + dt.timedelta(minutes=5)
    again, checkpoint = remember([figure(100), figure(9, "CAMPHA")], checkpoint, later)
    assert again[0] == first[0]  # the same figure again: the same id, a no-op downstream
    assert again[1].revision == POLL_MS + 300_000
    assert again[1].id.endswith(f"@{POLL_MS + 300_000}")
    assert checkpoint[revisions.CLOCK] == POLL_MS + 300_000


def test_revisions_grow_even_when_the_clock_goes_back() -> None:
    _, checkpoint = remember([figure(100)], {}, POLL)
    earlier = POLL - dt.timedelta(hours=1)
    [corrected], checkpoint = remember([figure(101)], checkpoint, earlier)
    assert corrected.revision == POLL_MS + 1
    [other], _ = remember([figure(5, "UONGBI")], checkpoint, earlier)
    assert other.revision == POLL_MS + 2  # above every revision given before, even for a new figure


def test_a_figure_given_twice_in_one_poll_gets_a_higher_revision_the_second_time() -> None:
    found, _ = remember([figure(100), figure(120)], {}, POLL)
    assert [o.revision for o in found] == [POLL_MS, POLL_MS + 1]


def test_the_memory_is_bounded_and_forgets_the_least_recently_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(revisions, "MAX_FIGURES", 2)
    _, checkpoint = remember([figure(1, "HALONG"), figure(2, "CAMPHA")], {}, POLL)
    _, checkpoint = remember([figure(1, "HALONG"), figure(3, "UONGBI")], checkpoint, POLL)
    assert [key.split(":")[1] for key in checkpoint[revisions.FIGURES]] == ["HALONG", "UONGBI"]
