"""CQS-04 from Kafka to ``dti.indicator_latest``, exact under out-of-order delivery, duplicates and a kill -9."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import Callable

import pytest

from connectors.producer import ObservationProducer
from index_engine.catalog import load_catalog
from index_engine.observation import Observation
from streams.topics import Topics
from tests.conftest import StackInfo
from tests.integration.conftest import WorkerProcess, wait_for

pytestmark = pytest.mark.integration

CATALOG = load_catalog()
LOCALITIES = [u for u in CATALOG.children("QN") if CATALOG.units[u].peer_group == "locality"]
START = dt.datetime(2023, 6, 30, 1, 0, tzinfo=dt.UTC)
QUERY = """
SELECT unit_code, numerator, denominator, round(value::numeric, 9)
  FROM dti.indicator_latest WHERE indicator_code = 'CQS-04' ORDER BY unit_code
"""


def scenario(seed: int, steps: int) -> list[Observation]:
    """Cumulative counts for every locality at ``steps`` times: growing totals, a realistic online share."""
    rng = random.Random(seed)
    result = []
    for unit in LOCALITIES:
        processed = online = 0
        for step in range(steps):
            processed += rng.randint(50, 400)
            online = min(processed, online + rng.randint(40, 380))
            ts = START + dt.timedelta(minutes=10 * step)
            for metric, value in (("dossier.processed", processed), ("dossier.processed_online", online)):
                result.append(
                    Observation(
                        id=f"test:{unit}:{metric}:{step}",
                        source="test",
                        metric=metric,
                        unit=unit,
                        ts=ts,
                        kind="cumulative",
                        value=float(value),
                    )
                )
    return result


def oracle(observations: list[Observation]) -> list[tuple[object, ...]]:
    """Expected rows of the view: newest value per unit and metric; the province from summed counts."""
    newest: dict[tuple[str, str], Observation] = {}
    for obs in observations:
        key = (obs.unit, obs.metric)
        if key not in newest or obs.ts > newest[key].ts:
            newest[key] = obs
    rows: dict[str, tuple[float, float]] = {}
    for unit in {u for u, _ in newest}:
        rows[unit] = (newest[(unit, "dossier.processed_online")].value, newest[(unit, "dossier.processed")].value)
    rows["QN"] = (sum(n for n, _ in rows.values()), sum(d for _, d in rows.values()))
    from decimal import Decimal

    return [(unit, num, den, round(Decimal(repr(num / den * 100)), 9)) for unit, (num, den) in sorted(rows.items())]


def produce(stack: StackInfo, topics: Topics, observations: list[Observation]) -> None:
    async def send() -> None:
        producer = ObservationProducer(stack.kafka_bootstrap, topics.observations)
        await producer.start()
        try:
            await producer.send(observations)
        finally:
            await producer.stop()

    asyncio.run(send())


def test_out_of_order_and_duplicates_give_exact_values(
    stack: StackInfo, topics: Topics, database_url: str, worker_factory: Callable[..., WorkerProcess]
) -> None:
    observations = scenario(seed=1, steps=6)
    shuffled = observations + random.Random(2).sample(observations, k=len(observations) // 3)
    random.Random(3).shuffle(shuffled)
    produce(stack, topics, shuffled)

    worker_factory().start()

    wait_for(database_url, QUERY, oracle(observations), what="CQS-04 for QN and 13 localities")


def test_kill_and_restart_mid_stream_keeps_values_exact(
    stack: StackInfo, topics: Topics, database_url: str, worker_factory: Callable[..., WorkerProcess]
) -> None:
    observations = scenario(seed=4, steps=20)
    first, second = observations[: len(observations) // 2], observations[len(observations) // 2 :]
    produce(stack, topics, first)
    worker = worker_factory().start()
    wait_for(database_url, QUERY, oracle(first), what="values after the first half")

    produce(stack, topics, second[: len(second) // 2])
    worker.kill()
    # Replays of already-processed observations arrive while the worker is down.
    produce(stack, topics, second[len(second) // 2 :] + first[:50])
    worker.start()

    wait_for(database_url, QUERY, oracle(observations), what="values after kill -9 and restart")
    assert worker.starts == 2
