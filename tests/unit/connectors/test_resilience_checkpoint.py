import datetime as dt
import json
import random
from pathlib import Path

from connectors.checkpoint import CheckpointStore
from connectors.config import Schedule
from connectors.resilience import Backoff, CircuitBreaker, next_run
from index_engine.periods import LOCAL_TZ


def test_backoff_stays_under_a_doubling_ceiling_and_resets() -> None:
    backoff = Backoff(1.0, 10.0, random.Random(1))
    delays = [backoff.next_delay() for _ in range(8)]
    for attempt, delay in enumerate(delays):
        assert 0 <= delay <= min(10.0, 2**attempt)
    backoff.reset()
    assert backoff.next_delay() <= 1.0


def test_breaker_opens_at_threshold_then_allows_one_trial() -> None:
    breaker = CircuitBreaker(threshold=3, reset_after=60)
    for t in range(3):
        assert breaker.allow(float(t))
        breaker.record_failure(float(t))
    assert breaker.state(3.0) == "open"
    assert not breaker.allow(30.0)
    assert breaker.allow(62.0)  # half open: a trial poll
    breaker.record_failure(62.0)
    assert not breaker.allow(63.0)
    assert breaker.allow(123.0)
    breaker.record_success()
    assert breaker.state(124.0) == "closed"


def test_schedule_interval_and_cron() -> None:
    start = dt.datetime(2023, 6, 30, 10, 7, tzinfo=dt.UTC)
    assert next_run(Schedule(interval=300), start) == start + dt.timedelta(minutes=5)
    assert next_run(Schedule(cron="*/15 * * * *"), start) == dt.datetime(2023, 6, 30, 10, 15, tzinfo=dt.UTC)
    # "at 06:00 every day" in Vietnam is 23:00 UTC the day before
    daily = next_run(Schedule(cron="0 6 * * *"), start, LOCAL_TZ)
    assert daily == dt.datetime(2023, 7, 1, 6, tzinfo=LOCAL_TZ)


def test_checkpoint_round_trip_is_atomic(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path / "state")
    assert store.load("igate") == {}
    store.save("igate", {"etag": '"v2"', "watermark": "2023-06-30T00:00:00+00:00", "files": {"ab": {"name": "x"}}})
    store.save("igate", {"etag": '"v3"'})
    assert store.load("igate") == {"etag": '"v3"'}
    assert json.loads((tmp_path / "state" / "igate.json").read_text()) == {"etag": '"v3"'}
    assert [p.name for p in (tmp_path / "state").iterdir()] == ["igate.json"]  # no temporary file left
