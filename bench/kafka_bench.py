"""kafka-ceiling: produce and consume rates of the raw Kafka clients on the local broker.

aiokafka (the worker's client) and kafka-python (when installed) each produce the same observation messages to a
4-partition topic of their own (acks=1, linger 20 ms) and read them back from the start. Every other figure of
the suite is read against this ceiling. Headline: aiokafka consume rate; anchor: kafka-python consume rate.

    python bench/kafka_bench.py [--messages N] [--json]
"""

from __future__ import annotations

import asyncio
import time
import uuid

from common import Result, cpu_seconds, emit, encoded, log, parser, preload, stack

from index_engine.catalog import load_catalog


async def aio_consume(bootstrap: str, topic: str, count: int) -> float:
    """Read ``count`` messages from the start with ``getmany``; return messages/s."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False, group_id=None
    )
    await consumer.start()
    try:
        seen = 0
        started = time.perf_counter()
        while seen < count:
            batches = await consumer.getmany(timeout_ms=500, max_records=10_000)
            seen += sum(len(b) for b in batches.values())
        return count / (time.perf_counter() - started)
    finally:
        await consumer.stop()


def kp_produce(bootstrap: str, topic: str, pairs: list[tuple[bytes, bytes]]) -> float:
    """Produce with kafka-python and flush; return messages/s."""
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks=1, linger_ms=20, batch_size=512 * 1024)
    try:
        started = time.perf_counter()
        for key, value in pairs:
            producer.send(topic, value=value, key=key)
        producer.flush()
        return len(pairs) / (time.perf_counter() - started)
    finally:
        producer.close()


def kp_consume(bootstrap: str, topic: str, count: int) -> float:
    """Read ``count`` messages from the start with kafka-python ``poll``; return messages/s."""
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False, group_id=None
    )
    try:
        seen = 0
        started = time.perf_counter()
        while seen < count:
            batches = consumer.poll(timeout_ms=500, max_records=10_000)
            seen += sum(len(b) for b in batches.values())
        return count / (time.perf_counter() - started)
    finally:
        consumer.close()


def create(bootstrap: str, name: str) -> None:
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    async def go() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(name, num_partitions=4, replication_factor=1)])
        finally:
            await admin.close()

    asyncio.run(go())


def run(messages: int = 300_000) -> Result:
    """Measure both clients on a stack of the benchmark's own."""
    pairs = encoded(load_catalog(), messages)
    figures: dict[str, float] = {}
    with stack() as s:
        topic = f"bench-aio-{uuid.uuid4().hex[:6]}"
        create(s.bootstrap, topic)
        log(f"aiokafka: producing {messages:,} messages")
        cpu = cpu_seconds()
        figures["aiokafka_produce_per_s"] = asyncio.run(preload(s.bootstrap, topic, pairs))
        figures["aiokafka_produce_per_cpu_s"] = messages / (cpu_seconds() - cpu)
        cpu = cpu_seconds()
        figures["aiokafka_consume_per_s"] = asyncio.run(aio_consume(s.bootstrap, topic, messages))
        figures["aiokafka_consume_per_cpu_s"] = messages / (cpu_seconds() - cpu)
        try:
            import kafka  # noqa: F401
        except ImportError:
            log("kafka-python is not installed: its column is left out")
        else:
            topic = f"bench-kp-{uuid.uuid4().hex[:6]}"
            create(s.bootstrap, topic)
            log(f"kafka-python: producing {messages:,} messages")
            cpu = cpu_seconds()
            figures["kafka_python_produce_per_s"] = kp_produce(s.bootstrap, topic, pairs)
            figures["kafka_python_produce_per_cpu_s"] = messages / (cpu_seconds() - cpu)
            cpu = cpu_seconds()
            figures["kafka_python_consume_per_s"] = kp_consume(s.bootstrap, topic, messages)
            figures["kafka_python_consume_per_cpu_s"] = messages / (cpu_seconds() - cpu)
    anchor = figures.get("kafka_python_consume_per_s", 0.0)
    return Result(
        name="kafka-ceiling",
        value=figures["aiokafka_consume_per_s"],
        unit="messages/s consumed (aiokafka)",
        anchor="kafka-python consume" if anchor else "none (kafka-python not installed)",
        anchor_value=anchor,
        goal="none: the ceiling other figures are read against",
        met=None,
        details={"messages": messages, **figures},
    )


if __name__ == "__main__":
    p = parser(__doc__)
    p.add_argument("--messages", type=int, default=300_000)
    args = p.parse_args()
    emit(run(args.messages), args.json)
