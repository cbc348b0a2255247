"""CQS-04 from Kafka to ``dti.indicator_latest``, exact under out-of-order delivery, duplicates and a kill -9."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable

import psycopg
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from streams.deadletters import partitions_of
from streams.topics import Topics
from tests.conftest import StackInfo
from tests.integration.conftest import WorkerProcess, wait_for
from tests.integration.scenarios import CQS04_LATEST, cqs04_oracle, dossier_stream, produce

pytestmark = pytest.mark.integration


def test_out_of_order_and_duplicates_give_exact_values(
    stack: StackInfo, topics: Topics, database_url: str, worker_factory: Callable[..., WorkerProcess]
) -> None:
    observations = dossier_stream(seed=1, steps=6)
    shuffled = observations + random.Random(2).sample(observations, k=len(observations) // 3)
    random.Random(3).shuffle(shuffled)
    produce(stack.kafka_bootstrap, topics, shuffled)

    worker_factory().start()

    expected = cqs04_oracle(observations)
    wait_for(database_url, CQS04_LATEST, expected, what="CQS-04 for QN and 13 localities")

    # The same values are published on the indicator-values topic; the last message per key is the current one.
    published = asyncio.run(last_per_key(stack.kafka_bootstrap, topics.indicator_values))
    assert sorted(
        (key.split("|")[1], v["numerator"], v["denominator"])
        for key, v in published.items()
        if key.startswith("CQS-04|")
    ) == [(unit, num, den) for unit, num, den, _ in expected]

    # Only CQS-04's metrics came: the other indicators of the province are evaluated as without data, and a setup
    # gap like this pages nobody (no stale alert), while CQS-04 itself is not stale.
    with psycopg.connect(database_url) as conn:
        no_data = conn.execute(
            "SELECT count(*) FROM dti.indicator_status_current"
            " WHERE unit_code = 'QN' AND status = 'stale' AND indicator_code <> 'CQS-04'"
        ).fetchone()
        stale_alerts = conn.execute("SELECT count(*) FROM dti.alert WHERE kind = 'stale'").fetchone()
    assert no_data is not None
    assert no_data[0] >= 20, no_data
    assert stale_alerts == (0,)


async def last_per_key(bootstrap: str, topic: str) -> dict[str, dict[str, object]]:
    """The last message of each key on ``topic``, decoded from JSON."""
    tps = [TopicPartition(topic, p) for p in await partitions_of(bootstrap, topic)]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        last: dict[str, dict[str, object]] = {}
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                for record in records:
                    last[(record.key or b"").decode()] = json.loads(record.value or b"{}")
        return last
    finally:
        await consumer.stop()


def test_kill_and_restart_mid_stream_keeps_values_exact(
    stack: StackInfo, topics: Topics, database_url: str, worker_factory: Callable[..., WorkerProcess]
) -> None:
    observations = dossier_stream(seed=4, steps=20)
    first, second = observations[: len(observations) // 2], observations[len(observations) // 2 :]
    produce(stack.kafka_bootstrap, topics, first)
    worker = worker_factory().start()
    wait_for(database_url, CQS04_LATEST, cqs04_oracle(first), what="values after the first half")

    produce(stack.kafka_bootstrap, topics, second[: len(second) // 2])
    worker.kill()
    # Replays of already-processed observations arrive while the worker is down.
    produce(stack.kafka_bootstrap, topics, second[len(second) // 2 :] + first[:50])
    worker.start()

    wait_for(database_url, CQS04_LATEST, cqs04_oracle(observations), what="values after kill -9 and restart")
    # Started twice by the test, and never exited on its own.
    assert worker.starts == 2
    assert worker.alive()
