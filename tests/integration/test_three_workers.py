"""Three workers sharing the partitions write the same indicator values as one worker on the same input."""

from __future__ import annotations

import asyncio
import random
import re
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from index_engine.observation import Observation
from streams.topics import Topics, ensure_topics
from tests.conftest import StackInfo, free_port, fresh_database
from tests.integration.conftest import WorkerProcess, service_env, wait_for
from tests.integration.scenarios import CQS04_LATEST as QUERY
from tests.integration.scenarios import cqs04_oracle as oracle
from tests.integration.scenarios import dossier_stream as scenario
from tests.integration.scenarios import produce

pytestmark = [pytest.mark.integration, pytest.mark.scale]

# Every column of the public view, so "equal" means equal in everything dashboards read.
SNAPSHOT = """
SELECT indicator_code, unit_code, ts, value, numerator, denominator, period, bucket
  FROM dti.indicator_latest ORDER BY indicator_code, unit_code
"""


def workload() -> list[Observation]:
    """CQS-04 counts for 13 localities, shuffled, with a third of them delivered twice."""
    observations = scenario(seed=11, steps=8)
    shuffled = observations + random.Random(12).sample(observations, k=len(observations) // 3)
    random.Random(13).shuffle(shuffled)
    return shuffled


def snapshot(database_url: str) -> list[tuple[object, ...]]:
    """Rows of ``dti.indicator_latest``."""
    with psycopg.connect(database_url) as conn:
        return conn.execute(SNAPSHOT).fetchall()


async def group_members(bootstrap: str, group: str) -> tuple[str, int]:
    """State and member count of a consumer group."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (response,) = await admin.describe_consumer_groups([group])
        _error, _group, state, _ptype, _protocol, members, *_ = response.groups[0]
        return str(state), len(members)
    finally:
        await admin.close()


async def group_lag(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    """Messages between the group's committed offset and the end of each partition of ``topic``."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await admin.start()
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        ends = await consumer.end_offsets(partitions)
        committed = await admin.list_consumer_group_offsets(group, partitions=partitions)
        return {tp.partition: ends[tp] - max(0, committed[tp].offset) for tp in partitions}
    finally:
        await consumer.stop()
        await admin.close()


def wait_for_group(bootstrap: str, group: str, members: int, timeout: float = 120.0) -> None:
    """Wait until the consumer group is stable with ``members`` members."""
    deadline = time.monotonic() + timeout
    last: tuple[str, int] = ("", 0)
    while time.monotonic() < deadline:
        last = asyncio.run(group_members(bootstrap, group))
        if last == ("Stable", members):
            return
        time.sleep(1.0)
    raise AssertionError(f"consumer group {group} is {last}, want Stable with {members} members")


def consumed(worker: WorkerProcess) -> float:
    """Observations-topic messages a worker consumed, read from its /metrics."""
    port = worker.env["QNDTI_WORKER_WEB_PORT"]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    match = re.search(r'^qndti_worker_messages_total\{role="observations"\} (\S+)$', text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def run_single(
    stack: StackInfo,
    url: str,
    topics: Topics,
    observations: list[Observation],
    expected: list[tuple[object, ...]],
    tmp_path: Path,
) -> list[tuple[object, ...]]:
    """Run one worker alone on its own topics, consumer group and database; return its snapshot."""
    single = WorkerProcess(
        env=service_env(
            stack,
            url,
            topics,
            tmp_path / "single",
            QNDTI_WORKER_ID=f"qndti-test-{uuid.uuid4().hex[:8]}",
            QNDTI_WORKER_WEB_PORT=str(free_port()),
        ),
        log=tmp_path / "single-worker.log",
    )
    try:
        produce(stack.kafka_bootstrap, topics, observations)
        single.start()
        wait_for(url, QUERY, expected, what="CQS-04 from one worker")
        return snapshot(url)
    finally:
        single.stop()


def test_three_workers_equal_one_worker(
    stack: StackInfo,
    topics: Topics,
    database_url: str,
    worker_factory: Callable[..., WorkerProcess],
    tmp_path: Path,
) -> None:
    observations = workload()
    expected = oracle(observations)

    # Reference: one worker alone, on its own topics, consumer group and database.
    single_topics = Topics.with_prefix(f"t{uuid.uuid4().hex[:10]}")
    asyncio.run(ensure_topics(stack.kafka_bootstrap, single_topics, partitions=4))
    with fresh_database(stack) as single_url:
        reference = run_single(stack, single_url, single_topics, observations, expected, tmp_path)

    # Three workers in one consumer group: they start first and split the 4 partitions before any input.
    workers = [worker_factory().start() for _ in range(3)]
    wait_for_group(stack.kafka_bootstrap, workers[0].env["QNDTI_WORKER_ID"], members=3)
    produce(stack.kafka_bootstrap, topics, observations)
    try:
        wait_for(database_url, QUERY, expected, timeout=120, what="CQS-04 from three workers")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\nconsumed per worker: {[consumed(w) for w in workers]}") from None

    # Every observation was processed: the group's committed offsets reach the end of every partition.
    group = workers[0].env["QNDTI_WORKER_ID"]
    deadline = time.monotonic() + 60
    while any(lag := asyncio.run(group_lag(stack.kafka_bootstrap, group, topics.observations)).values()):
        counts = [consumed(w) for w in workers]
        assert time.monotonic() < deadline, f"lag per partition {lag}, observations consumed per worker {counts}"
        time.sleep(1.0)
    assert snapshot(database_url) == reference
    with psycopg.connect(database_url) as conn:
        stored = {row[0] for row in conn.execute("SELECT id FROM dti.observation")}
    assert stored == {o.id for o in observations}
    assert all(w.alive() for w in workers)
    # Each worker was started once and none exited on its own.
    assert [w.starts for w in workers] == [1, 1, 1]
    counts = [consumed(w) for w in workers]
    assert sum(1 for c in counts if c > 0) >= 2, f"observations consumed per worker: {counts}"
    assert sum(counts) >= len(observations), f"observations consumed per worker: {counts}"
