"""Faults against the real stack, each ending with the exact values of an oracle.

Kill -9 at random points, a worker lost from a pair, a broker restart under load, and a replay of the whole topic
into an empty database.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from index_engine.observation import Observation, encode_observation
from qndti.stack import LocalStack, process
from qndti.stack.kafka import MAIN_CLASS
from streams.topics import Topics, ensure_topics
from tests.conftest import REPO, StackInfo, free_port, fresh_database
from tests.integration.conftest import WorkerProcess, wait_for
from tests.integration.scenarios import CQS04_LATEST, cqs04_oracle, dossier_stream, produce

pytestmark = pytest.mark.integration

CHAOS_ROUNDS = int(os.environ.get("CHAOS_ROUNDS", "5"))
# Leaf units' buckets follow their own partition's order, so a replay rebuilds them exactly; a parent's
# intermediate buckets depend on how its children's updates interleaved, so only its latest value is compared.
LEAF_SERIES = """
SELECT indicator_code, unit_code, bucket, period, ts, value, numerator, denominator
  FROM dti.indicator_value WHERE unit_code <> 'QN' ORDER BY indicator_code, unit_code, bucket
"""
LATEST = "SELECT * FROM dti.indicator_latest ORDER BY indicator_code, unit_code"


def chunks(items: list[Observation], count: int, rng: random.Random) -> list[list[Observation]]:
    """Interleave units at random (keeping each unit's order) and cut into ``count`` pieces."""
    by_unit: dict[str, list[Observation]] = {}
    for obs in items:
        by_unit.setdefault(obs.unit, []).append(obs)
    queues = [list(reversed(v)) for v in by_unit.values()]
    mixed = []
    while queues:
        queue = rng.choice(queues)
        mixed.append(queue.pop())
        if not queue:
            queues.remove(queue)
    size = -(-len(mixed) // count)
    return [mixed[i : i + size] for i in range(0, len(mixed), size)]


def test_kill_9_at_random_points_leaves_exact_values(
    stack: StackInfo, topics: Topics, database_url: str, worker_factory: Callable[..., WorkerProcess]
) -> None:
    seed = int(os.environ.get("CHAOS_SEED", str(time.time_ns() % 10_000)))
    rng = random.Random(seed)
    observations = dossier_stream(seed=seed, steps=40)
    pieces = chunks(observations, CHAOS_ROUNDS + 1, rng)
    worker = worker_factory().start()
    for piece in pieces[:-1]:
        produce(stack.kafka_bootstrap, topics, piece)
        # Kills land during start-up, rebalance or processing alike.
        time.sleep(rng.uniform(0.5, 8.0))
        worker.kill()
        worker.start()
    produce(stack.kafka_bootstrap, topics, pieces[-1])

    wait_for(
        database_url, CQS04_LATEST, cqs04_oracle(observations), timeout=120, what=f"values after kills (seed {seed})"
    )
    assert worker.starts == CHAOS_ROUNDS + 1
    assert worker.alive()


def test_two_workers_share_partitions_and_survive_losing_one(
    stack: StackInfo, topics: Topics, database_url: str, worker_factory: Callable[..., WorkerProcess]
) -> None:
    observations = dossier_stream(seed=7, steps=30)
    half = len(observations) // 2
    first, second = worker_factory().start(), worker_factory().start()
    produce(stack.kafka_bootstrap, topics, observations[:half])
    wait_for(database_url, CQS04_LATEST, cqs04_oracle(observations[:half]), what="values with two workers")

    first.kill()
    produce(stack.kafka_bootstrap, topics, observations[half:])

    wait_for(database_url, CQS04_LATEST, cqs04_oracle(observations), what="values after losing a worker")
    assert second.alive()


def test_replaying_the_topic_into_an_empty_database_gives_identical_rows(
    stack: StackInfo, topics: Topics, database_url: str, worker_factory: Callable[..., WorkerProcess]
) -> None:
    observations = dossier_stream(seed=11, steps=30)
    produce(stack.kafka_bootstrap, topics, observations)
    worker_factory().start()
    wait_for(database_url, CQS04_LATEST, cqs04_oracle(observations), what="values of the first run")
    with psycopg.connect(database_url) as conn:
        first_series = conn.execute(LEAF_SERIES).fetchall()
        first_latest = conn.execute(LATEST).fetchall()

    with fresh_database(stack) as empty:
        # A new consumer group starts from the earliest offset with empty state.
        worker_factory(database=empty, group=f"replay-{os.getpid()}-{time.time_ns()}").start()
        wait_for(empty, LATEST, first_latest, what="latest values replayed from the earliest offset")
        wait_for(empty, LEAF_SERIES, first_series, timeout=10, what="time series replayed from the earliest offset")


def test_broker_restart_under_load_loses_no_acknowledged_observation(
    tmp_path: Path, database_url: str, worker_factory: Callable[..., WorkerProcess]
) -> None:
    local = LocalStack(
        home=tmp_path / "own-stack",
        kafka_port=free_port(),
        kafka_controller_port=free_port(),
        postgres_port=free_port(),
        jars=REPO / ".stack" / "kafka" / "lib",
        external_database_url=database_url,
    )
    status = local.up()
    try:
        topics = Topics.with_prefix("restart")
        asyncio.run(ensure_topics(status.kafka_bootstrap, topics, partitions=4))
        observations = dossier_stream(seed=13, steps=20)
        worker = worker_factory(bootstrap=status.kafka_bootstrap, QNDTI_TOPIC_PREFIX="restart").start()
        acknowledged: list[Observation] = []

        def restart_broker() -> None:
            # A crash, not a clean stop: the harsher case, and the one that leaves no time to flush anything.
            process.stop(local.status().kafka_pid or 0, MAIN_CLASS, sig=signal.SIGKILL)
            time.sleep(3)
            local.up()

        async def load_with_restart() -> None:
            sending = asyncio.create_task(
                _send_until_acknowledged(status.kafka_bootstrap, topics, observations, acknowledged)
            )
            await asyncio.sleep(2)
            await asyncio.to_thread(restart_broker)
            await asyncio.wait_for(sending, timeout=200)

        asyncio.run(load_with_restart())
        assert len(acknowledged) == len(observations)
        # The worker rides out the broker's restart: it is never restarted here.
        assert worker.alive()
        wait_for(
            database_url, CQS04_LATEST, cqs04_oracle(acknowledged), timeout=150, what="values after a broker restart"
        )
        assert worker.starts == 1
        assert worker.alive()
    finally:
        local.down()


async def _send_until_acknowledged(
    bootstrap: str, topics: Topics, observations: list[Observation], acknowledged: list[Observation]
) -> None:
    """Send slowly, one at a time; retry each observation until the broker acknowledges it."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, request_timeout_ms=5000, retry_backoff_ms=500
    )
    await producer.start()
    try:
        for obs in observations:
            while True:
                try:
                    await producer.send_and_wait(topics.observations, encode_observation(obs), key=obs.unit.encode())
                    acknowledged.append(obs)
                    break
                except KafkaError:
                    await asyncio.sleep(0.5)
            await asyncio.sleep(0.003)
    finally:
        await producer.stop()
