from streams.watchdog import StallWatch


def test_a_partition_behind_and_not_moving_is_stalled_after_patience_snapshots() -> None:
    watch = StallWatch(patience=2)
    assert watch.observe({"p0": (10, 4), "p1": (10, 4)}) == []
    assert watch.observe({"p0": (12, 4), "p1": (12, 8)}) == []
    assert watch.observe({"p0": (12, 4), "p1": (12, 12)}) == ["p0"]
    # Reported once, then counted again from zero.
    assert watch.observe({"p0": (12, 4), "p1": (12, 12)}) == []


def test_a_caught_up_partition_is_never_stalled_and_revoked_ones_are_forgotten() -> None:
    watch = StallWatch(patience=1)
    for _ in range(3):
        assert watch.observe({"p0": (5, 5)}) == []
    watch.observe({"p1": (9, 1)})
    assert watch.observe({"p1": (9, 1)}) == ["p1"]
    assert set(watch._last) == {"p1"}
