from streams.watchdog import StallWatch


def test_a_partition_behind_with_an_idle_agent_and_no_commits_is_stalled_after_patience() -> None:
    watch: StallWatch[str] = StallWatch(patience=2)
    assert watch.observe({"p0": (10, 4), "p1": (10, 4)}, idle=True) == []
    assert watch.observe({"p0": (12, 4), "p1": (12, 8)}, idle=True) == []
    assert watch.observe({"p0": (12, 4), "p1": (12, 12)}, idle=True) == ["p0"]
    # Reported once, then counted again from zero.
    assert watch.observe({"p0": (12, 4), "p1": (12, 12)}, idle=True) == []


def test_a_busy_agent_is_never_stalled() -> None:
    watch: StallWatch[str] = StallWatch(patience=1)
    for _ in range(4):
        assert watch.observe({"p0": (10, 4)}, idle=False) == []


def test_a_caught_up_partition_is_never_stalled_and_revoked_ones_are_forgotten() -> None:
    watch: StallWatch[str] = StallWatch(patience=1)
    for _ in range(3):
        assert watch.observe({"p0": (5, 5)}, idle=True) == []
    watch.observe({"p1": (9, 1)}, idle=True)
    assert watch.observe({"p1": (9, 1)}, idle=True) == ["p1"]
    assert set(watch._last) == {"p1"}
