import asyncio
import datetime as dt
from pathlib import Path

from connectors.base import Batch
from connectors.checkpoint import Checkpoint, CheckpointStore
from connectors.config import SourceConfig
from connectors.errors import SourceAuthFailed, SourceUnavailable
from connectors.runner import SourceLoop, SourceState
from index_engine.observation import Observation
from tests.connectors_support import ListSink, emitter, sample, source

TS = dt.datetime(2023, 6, 30, 10, tzinfo=dt.UTC)


def obs(value: float, unit: str = "HALONG") -> Observation:
    return Observation(
        id=f"t:{unit}:{value}", source="t", metric="dossier.processed", unit=unit, ts=TS, kind="cumulative", value=value
    )


class ScriptedConnector:
    """Answers each poll with the next scripted result (a batch or an error to raise)."""

    def __init__(self, config: SourceConfig, script: list[Batch | Exception]) -> None:
        self.config = config
        self.script = script
        self.seen: list[Checkpoint] = []
        self.closed = False

    async def poll(self, checkpoint: Checkpoint, now: dt.datetime) -> Batch:
        self.seen.append(checkpoint)
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    async def aclose(self) -> None:
        self.closed = True


def test_checkpoint_advances_only_after_acknowledgement(tmp_path: Path) -> None:
    sink = ListSink()
    emit, registry = emitter(sink, tmp_path / "state")
    connector = ScriptedConnector(
        source(tmp_path), [Batch([obs(1)], {"cursor": "a"}, TS), Batch([obs(2)], {"cursor": "b"}, TS)]
    )
    loop = SourceLoop(connector, emit, {}, SourceState("src"))
    store = CheckpointStore(tmp_path / "state")

    sink.failing = True
    delay = asyncio.run(loop.poll_once())
    assert delay <= 0.05  # retried with backoff
    assert store.load("src") == {}
    assert sample(registry, "qndti_connector_failures_total", source="src", error_class="produce") == 1

    sink.failing = False
    asyncio.run(loop.poll_once())
    assert store.load("src") == {"cursor": "b"}
    assert connector.seen == [{}, {}]  # the second poll read again from the old checkpoint
    assert [o.value for o in sink.sent] == [2]
    assert sample(registry, "qndti_connector_observations_total", source="src") == 1
    assert sample(registry, "qndti_connector_polls_total", source="src", outcome="ok") == 1
    assert sample(registry, "qndti_connector_last_success_timestamp_seconds", source="src") > 0


def test_breaker_opens_after_failures_and_skips_polls(tmp_path: Path) -> None:
    sink = ListSink()
    emit, registry = emitter(sink, tmp_path / "state")
    errors: list[Batch | Exception] = [SourceUnavailable("src", "HTTP 503")] * 3
    connector = ScriptedConnector(source(tmp_path), errors)
    state = SourceState("src")
    loop = SourceLoop(connector, emit, {}, state)
    for _ in range(3):
        asyncio.run(loop.poll_once())
    assert state.breaker == "open"
    delay = asyncio.run(loop.poll_once())
    assert delay > 50  # waits for the trial poll
    assert sample(registry, "qndti_connector_polls_total", source="src", outcome="skipped") == 1
    assert sample(registry, "qndti_connector_failures_total", source="src", error_class="unavailable") == 3
    assert len(connector.seen) == 3


def test_auth_failure_waits_for_the_schedule_and_records_the_class(tmp_path: Path) -> None:
    emit, registry = emitter(ListSink(), tmp_path / "state")
    connector = ScriptedConnector(source(tmp_path), [SourceAuthFailed("src", "HTTP 401")])
    state = SourceState("src")
    delay = asyncio.run(SourceLoop(connector, emit, {}, state).poll_once())
    assert delay >= 59
    assert state.last_error is not None
    assert "401" in state.last_error
    assert sample(registry, "qndti_connector_failures_total", source="src", error_class="auth") == 1


def test_a_slow_source_times_out(tmp_path: Path) -> None:
    class Slow(ScriptedConnector):
        async def poll(self, checkpoint: Checkpoint, now: dt.datetime) -> Batch:
            await asyncio.sleep(5)
            raise AssertionError("not reached")

    emit, registry = emitter(ListSink(), tmp_path / "state")
    config = source(tmp_path, timeout=0.05)
    asyncio.run(SourceLoop(Slow(config, []), emit, {}, SourceState("src")).poll_once())
    assert sample(registry, "qndti_connector_failures_total", source="src", error_class="timeout") == 1


def test_run_stops_gracefully_and_closes(tmp_path: Path) -> None:
    emit, _ = emitter(ListSink(), tmp_path / "state")
    connector = ScriptedConnector(source(tmp_path), [Batch([obs(1)], {"n": 1}, TS)])

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(SourceLoop(connector, emit, {}, SourceState("src")).run(stop))
        await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, 2)

    asyncio.run(scenario())
    assert connector.closed
    assert CheckpointStore(tmp_path / "state").load("src") == {"n": 1}
